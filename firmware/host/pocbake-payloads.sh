#!/bin/sh
# pocbake-payloads: define and start the appliance's networks and VMs from the payloads pocbake baked into this host.
# The payloads are golden: read-only, checked against the manifest at every boot (a
# payload whose sha256 differs is refused: its VM is not started). Each VM runs on its
# own qcow2 overlay backed by its payload, made the first time and kept across boots;
# removing the overlay resets the VM to its payload.
set -u
dir=${POCBAKE_PAYLOADS:-/var/lib/pocbake/payloads}
overlays=${POCBAKE_OVERLAYS:-/var/lib/pocbake/overlays}
xml=${POCBAKE_LIBVIRT:-/var/lib/pocbake/libvirt}
kvm=${POCBAKE_KVM_DEV:-/dev/kvm}
manifest=$dir/manifest.json
status=0

log() { echo "pocbake-payloads: $*" >&2; }

# Under `pocbake up` the host runs beside its role VMs, not above them: up hands
# every VM of the appliance a disk whose serial is pocbake-checks.
for s in /sys/block/*/serial; do
        if [ "$(cat "$s" 2>/dev/null)" = pocbake-checks ]; then
                log "running beside the role VMs (pocbake up): not starting them here"
                exit 0
        fi
done

if [ ! -r "$manifest" ]; then
        log "no manifest at $manifest: nothing started"
        exit 1
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

for net in "$xml"/networks/*.xml; do
        [ -e "$net" ] || continue
        name=$(basename "$net" .xml)
        if ! virsh -q net-info "$name" >/dev/null 2>&1; then
                virsh -q net-define "$net" >/dev/null || { log "network $name: net-define failed"; status=1; continue; }
        fi
        if ! virsh -q net-info "$name" 2>/dev/null | grep -Eq '^Active: +yes'; then
                virsh -q net-start "$name" >/dev/null || { log "network $name: net-start failed"; status=1; }
        fi
done

# The domain type belongs to the machine the host runs on, not to the image: the
# same disk may boot on hardware with KVM or nested under emulation. A device that
# exists but does not open (no working module, no VT-x) counts as no KVM.
if [ -c "$kvm" ] && (true <>"$kvm") 2>/dev/null; then
        type=kvm
else
        type=qemu
fi
log "domain type $type ($kvm $([ $type = kvm ] && echo opens || echo 'does not open'))"

# The overlay of role $1 on golden payload $2 whose sha256 is $3, made when missing.
# ROLE.base holds the sha256 of the payload it was made on: an overlay on other bytes
# than today's payload would read as garbage, so it is set aside as ROLE.qcow2.old.
overlay() {
        o=$overlays/$1.qcow2
        if [ -e "$o" ] && [ "$(cat "$overlays/$1.base" 2>/dev/null)" != "$3" ]; then
                log "$1: overlay $o was made on another payload: kept as $o.old, a new one made"
                mv -f "$o" "$o.old" || return 1
        fi
        [ -e "$o" ] && return 0
        # the backing path is stored in the overlay: make it absolute and link-free
        golden=$(readlink -f "$2") &&
                mkdir -p "$overlays" &&
                qemu-img create -q -f qcow2 -F qcow2 -b "$golden" "$o.tmp" >"$work/err" 2>&1 &&
                echo "$3" >"$overlays/$1.base" &&
                mv "$o.tmp" "$o" && log "$1: new overlay $o on $golden" && return 0
        log "$1: cannot make overlay $o: $(tr '\n' ' ' <"$work/err")"
        rm -f "$o.tmp"
        return 1
}

# What this host defines for role $1: the XML pocbake wrote, with this machine's
# domain type ($2) and the disk on the overlay ($3). pocbake writes
# "<domain type='T'>" alone on the first line and one "<source file='F'/>" line
# (builder/guest/xml.c); a file of another shape is refused rather than guessed at.
domain() {
        sed -e "1s|^<domain type='[a-z]*'>\$|<domain type='$2'>|" \
                -e "s|^\( *\)<source file='[^']*'/>\$|\1<source file='$3'/>|" \
                "$xml/$1.xml" >"$work/$1.xml" 2>/dev/null &&
                [ "$(head -n 1 "$work/$1.xml")" = "<domain type='$2'>" ] &&
                [ "$(grep -c "<source file=" "$work/$1.xml")" = 1 ] &&
                grep -qF "<source file='$3'/>" "$work/$1.xml"
}

# pocbake writes one payload per line:
# {"role": "R", "file": "F", "size": N, "sha256": "H", "autostart": true}
list=$work/list
sed -n 's/^ *{"role": "\([A-Za-z0-9._-]*\)", "file": "\([A-Za-z0-9._-]*\)", "size": [0-9]*, "sha256": "\([0-9a-f]*\)", "autostart": \([a-z]*\)},*$/\1 \2 \3 \4/p' \
        "$manifest" >"$list"
if [ "$(wc -l <"$list")" != "$(grep -c '"role":' "$manifest")" ]; then
        log "$manifest: unreadable payload lines"
        status=1
fi

while read -r role file want autostart; do
        if [ "$autostart" != true ]; then
                log "$role: disabled in the recipe: not started"
                continue
        fi
        got=$(sha256sum <"$dir/$file" 2>/dev/null | cut -d' ' -f1)
        if [ "$got" != "$want" ]; then
                log "payload $file: sha256 mismatch (manifest $want, disk ${got:-missing}): $role not started"
                status=1
                continue
        fi
        chmod 0444 "$dir/$file" || log "payload $file: cannot make it read-only"
        overlay "$role" "$dir/$file" "$want" || { status=1; continue; }
        if ! domain "$role" "$type" "$overlays/$role.qcow2"; then
                log "$role: $xml/$role.xml is not a domain as pocbake writes it: not started"
                status=1
                continue
        fi
        virsh -q define "$work/$role.xml" >/dev/null || { log "$role: define failed"; status=1; continue; }
        if [ "$(virsh -q domstate "$role" 2>/dev/null)" != running ]; then
                virsh -q start "$role" >/dev/null || { log "$role: start failed"; status=1; }
        fi
done <"$list"
exit $status
