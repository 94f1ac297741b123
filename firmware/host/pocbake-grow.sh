#!/bin/sh
# pocbake-grow: on first boot, grow the storage pool to the end of its disk and onto the extra disks, then disable itself.
set -eu
conf=${POCBAKE_STORAGE_CONF:-/etc/pocbake/storage.conf}
stamp=${POCBAKE_GROWN:-/var/lib/pocbake/grown}

log() { echo "pocbake-grow: $*" >&2; }
# a step that fails says which it was (some tools fail without a word under -q)
run() { "$@" || { rc=$?; log "failed (exit $rc): $*"; exit "$rc"; }; }

# POOL_VG, POOL_PART, POOL_GROW, POOL_EXTRA_DISKS
# shellcheck source=/dev/null
. "$conf"

pv=$(pvs --noheadings -o pv_name -S "vg_name=$POOL_VG" | awk 'NR == 1 { print $1 }')
[ -n "$pv" ] || { log "no physical volume of $POOL_VG"; exit 1; }

if [ "$POOL_GROW" = yes ]; then
        # the disk holding the partition: its parent in sysfs (lsblk would also
        # list the volumes on the partition once they are active)
        part=$(readlink -f "$pv")
        disk=$(readlink -f "/sys/class/block/${part##*/}")
        disk=/dev/$(basename "$(dirname "$disk")")
        [ -b "$disk" ] || { log "no disk above $pv"; exit 1; }
        # the image was written to a larger disk: move the backup GPT to its end,
        # then let the pool partition take what follows it
        run sfdisk -q --relocate gpt-bak-std "$disk"
        echo ', +' | run sfdisk --no-reread --no-tell-kernel -q -N "$POOL_PART" "$disk"
        run partx -u -n "$POOL_PART" "$disk"
        run pvresize "$pv"
        log "$pv grown to the end of $disk"
fi

for extra in $POOL_EXTRA_DISKS; do
        if [ ! -b "$extra" ]; then
                log "extra disk $extra not present: skipped"
                continue
        fi
        if pvs "$extra" >/dev/null 2>&1; then
                continue
        fi
        run pvcreate -q "$extra"
        run vgextend -q "$POOL_VG" "$extra"
        log "$POOL_VG extended onto $extra"
done

mkdir -p "$(dirname "$stamp")"
: >"$stamp"
systemctl disable pocbake-grow.service >/dev/null 2>&1 || true
