#!/bin/sh
# pocbake-payloads: define and start the appliance's networks and VMs from the payloads pocbake baked into this host.
# A payload whose sha256 differs from the manifest is refused: its VM is not started.
set -u
dir=${POCBAKE_PAYLOADS:-/var/lib/pocbake/payloads}
xml=${POCBAKE_LIBVIRT:-/var/lib/pocbake/libvirt}
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

# pocbake writes one payload per line:
# {"role": "R", "file": "F", "size": N, "sha256": "H", "autostart": true}
list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
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
        virsh -q define "$xml/$role.xml" >/dev/null || { log "$role: define failed"; status=1; continue; }
        if [ "$(virsh -q domstate "$role" 2>/dev/null)" != running ]; then
                virsh -q start "$role" >/dev/null || { log "$role: start failed"; status=1; }
        fi
done <"$list"
exit $status
