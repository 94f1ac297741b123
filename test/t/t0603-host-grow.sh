#!/bin/sh
# t0603-host-grow.sh: the host's first-boot pool growth (firmware/host/pocbake-grow.sh) on loop devices: an image written to a larger disk, its volumes active, and an extra disk.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (loop devices, LVM)"
for tool in losetup sfdisk partx pvs vgcreate lvcreate; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
GROW=$TOP/firmware/host/pocbake-grow.sh
export LVM_SUPPRESS_FD_WARNINGS=1
VG=pbgrow$$
DISK= EXTRA=
cleanup() {
        vgremove -q -f "$VG" >/dev/null 2>&1
        [ -n "$DISK" ] && losetup -d "$DISK"
        [ -n "$EXTRA" ] && losetup -d "$EXTRA"
        rm -rf "$T"
}
trap cleanup EXIT

# the image as built: esp, root, and a small pool partition at its end
truncate -s 64M "$T/disk.img"
truncate -s 32M "$T/extra.img"
printf 'label: gpt\nsize=8M, type=U\nsize=8M, type=L\nsize=24M, type=E6D6D379-F507-44C2-A23C-238F2A3DF928\n' |
        sfdisk -q "$T/disk.img"
# partx adds the partitions where losetup -P did not scan them (not every kernel does)
DISK=$(losetup -P --show -f "$T/disk.img") && EXTRA=$(losetup --show -f "$T/extra.img")
partx -a "$DISK" 2>/dev/null
for i in 1 2 3 4 5; do [ -b "${DISK}p3" ] && break; sleep 1; done
ok "loop devices for the disk and the extra disk" test -b "${DISK}p3" -a -b "$EXTRA"
[ -b "${DISK}p3" ] || done_testing
pvcreate -q "${DISK}p3" >"$T/lvm" 2>&1 && vgcreate -q "$VG" "${DISK}p3" >>"$T/lvm" 2>&1
rc=$?
ok "a pool on the partition" test $rc = 0
[ $rc = 0 ] || diag "$(cat "$T/lvm")"
# on the host the volumes are active and mounted when it runs (lsblk then listed
# them under the partition, and the script took a volume for the disk)
if dmsetup version >/dev/null 2>&1; then
        lvcreate -q -y -L 8M -n csv "$VG" >"$T/lvm" 2>&1
        rc=$?
        ok "an active volume in the pool" test $rc = 0
        [ $rc = 0 ] || diag "$(cat "$T/lvm")"
else
        _n=$((_n + 1))
        echo "ok $_n # SKIP this kernel has no device-mapper: the pool's volume is not active"
fi
before=$(pvs --noheadings --units b --nosuffix -o pv_size "${DISK}p3" | tr -d ' ')

# the node's real disk is larger than the image
truncate -s 128M "$T/disk.img"
losetup -c "$DISK"
cat >"$T/storage.conf" <<EOF
POOL_VG='$VG'
POOL_PART=3
POOL_GROW=yes
POOL_EXTRA_DISKS='$EXTRA $T/absent'
EOF
POCBAKE_STORAGE_CONF=$T/storage.conf POCBAKE_GROWN=$T/state/grown sh "$GROW" >"$T/out" 2>&1
rc=$?
ok "pocbake-grow succeeds" test $rc = 0
diag "$(cat "$T/out")"
after=$(pvs --noheadings --units b --nosuffix -o pv_size "${DISK}p3" | tr -d ' ')
ok "the pool partition's volume grew ($before -> $after bytes)" test "$after" -gt $((before + 48 * 1048576))
end=$(sfdisk -l -o End "$DISK" | tail -n 1 | tr -d ' ')
ok "partition 3 ends at the disk's last usable sector ($end)" test "$end" -ge $((128 * 2048 - 40))
ok "the GPT checks out after the move of its backup" sfdisk -q --verify "$DISK"
is "$(pvs --noheadings -o vg_name "$EXTRA" 2>/dev/null | tr -d ' ')" "$VG" "the extra disk joined the pool"
like "$(cat "$T/out")" "extra disk $T/absent not present: skipped" "an absent extra disk is skipped with a line"
like "$(cat "$T/out")" "${DISK}p3 grown to the end of $DISK" "the log names the partition and its disk"
ok "the stamp that keeps it from running again is written" test -e "$T/state/grown"

# a failing step says which one it was
sed "s/^POOL_VG=.*/POOL_VG='nosuchvg$$'/" "$T/storage.conf" >"$T/bad.conf"
POCBAKE_STORAGE_CONF=$T/bad.conf POCBAKE_GROWN=$T/state/grown2 sh "$GROW" >"$T/out" 2>&1
rc=$?
is "$rc" 1 "no physical volume of the group: exit 1"
like "$(cat "$T/out")" "no physical volume of nosuchvg$$" "and says so"
ok "no stamp after a failure" test ! -e "$T/state/grown2"
done_testing
