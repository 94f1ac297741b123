#!/bin/sh
# t0001: build the two-role sample; read the disks back with independent tools.
. "$(dirname "$0")/lib.sh"

S=$TOP/test/data/sample
out=$T/out
"$POCBAKE" build --quiet -j 2 --cache "$T/cache" -o "$out" "$S/app.yaml" 2>"$T/err"
ok "build of the sample succeeds" test $? = 0 || cat "$T/err" >&2

# part_offset DISK N: byte offset of partition N (1-based) from sfdisk --json
part_offset() {
        sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start * 512"
}
part_bytes() {
        sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].size * 512"
}

for role in alpha beta; do
        raw=$out/$role/$role.raw
        ok "$role: raw, qcow2 and vhdx exist" test -f "$raw" -a -f "$out/$role/$role.qcow2" -a -f "$out/$role/$role.vhdx"
        ok "$role: sfdisk --verify accepts the raw disk" sh -c "sfdisk --verify '$raw' >'$T/v' 2>&1 && ! grep -qi warn '$T/v'"
        is "$(sfdisk --json "$raw" | jq -r '.partitiontable.label')" gpt "$role: label is gpt"
        is "$(sfdisk --json "$raw" | jq -r '[.partitiontable.partitions[].type] | join(" ")')" \
                "C12A7328-F81F-11D2-BA4B-00A0C93EC93B 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709" \
                "$role: esp and root-x86-64 partition types"
        ok "$role: qemu-img check qcow2" qemu-img check -q "$out/$role/$role.qcow2"
        ok "$role: qemu-img check vhdx" qemu-img check -q -f vhdx "$out/$role/$role.vhdx"
        is "$(qemu-img info --output=json "$out/$role/$role.vhdx" | jq -r '.format')" vhdx "$role: vhdx format"
        ok "$role: qcow2 holds the same disk" qemu-img compare -q -f raw -F qcow2 "$raw" "$out/$role/$role.qcow2"
        ok "$role: vhdx holds the same disk" qemu-img compare -q -f raw -F vhdx "$raw" "$out/$role/$role.vhdx"
        # root filesystem: partition 2, extracted sparsely
        off=$(part_offset "$raw" 2); len=$(part_bytes "$raw" 2)
        dd if="$raw" of="$T/$role.root" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" conv=sparse status=none
        ok "$role: fsck.ext4 -fn accepts the root" fsck.ext4 -fn "$T/$role.root"
        off=$(part_offset "$raw" 1); len=$(part_bytes "$raw" 1)
        dd if="$raw" of="$T/$role.esp" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" conv=sparse status=none
        ok "$role: fsck.vfat -n accepts the esp" fsck.vfat -n "$T/$role.esp"
done

# stat_field IMG PATH: "mode uid gid" of PATH in an ext4 image, read by debugfs
stat_field() {
        debugfs -R "stat $2" "$1" 2>/dev/null | awk '
                /Mode:/ { for (i = 1; i <= NF; i++) if ($i == "Mode:") m = $(i + 1) }
                /User:/ { for (i = 1; i <= NF; i++) { if ($i == "User:") u = $(i + 1); if ($i == "Group:") g = $(i + 1) } }
                END { print m, u, g }'
}
A=$T/alpha.root
is "$(stat_field "$A" /etc/motd)" "0640 1501 1500" "alpha: /etc/motd mode and owner from the recipe"
is "$(debugfs -R 'cat /etc/motd' "$A" 2>/dev/null)" "welcome to alpha" "alpha: /etc/motd content"
is "$(stat_field "$A" /srv/data)" "0750 1501 1500" "alpha: /srv/data directory mode and owner"
is "$(debugfs -R 'cat /etc/alpha/alpha.conf' "$A" 2>/dev/null)" "alpha configuration" "alpha: overlay file present"
is "$(stat_field "$A" /etc/alpha/alpha.conf | cut -d' ' -f2-)" "0 0" "alpha: overlay files owned by root, not the build user"
like "$(debugfs -R 'stat /usr/bin/hello' "$A" 2>/dev/null)" 'Fast link dest: "\.\./\.\./bin/busybox"' "alpha: symlink target"
like "$(debugfs -R 'cat /etc/passwd' "$A" 2>/dev/null)" '^alice:x:1501:1500:' "alpha: user alice in /etc/passwd"
like "$(debugfs -R 'cat /etc/group' "$A" 2>/dev/null)" '^ops:x:1500:' "alpha: group ops in /etc/group"
like "$(debugfs -R 'cat /etc/inittab' "$A" 2>/dev/null)" 'respawn:httpd -f -p 8080 -h /srv' "alpha: service in inittab"
is "$(debugfs -R 'ls -p /boot/efi' "$A" 2>/dev/null | grep -c 'hello.txt')" 0 "alpha: esp files are not in the root filesystem"
is "$(mtype -i "$T/alpha.esp" ::/hello.txt)" "on the esp" "alpha: esp file on the vfat partition (mtools)"
# /etc/fstab names the disk's partitions by the GUIDs the GPT carries
guids=$(sfdisk --json "$out/alpha/alpha.raw" | jq -r '.partitiontable.partitions[].uuid' | tr A-Z a-z)
esp_guid=$(echo "$guids" | sed -n 1p) root_guid=$(echo "$guids" | sed -n 2p)
fstab=$(debugfs -R 'cat /etc/fstab' "$A" 2>/dev/null)
like "$fstab" "^PARTUUID=$root_guid / ext4 defaults 0 1\$" "alpha: fstab mounts the root partition at /"
like "$fstab" "^PARTUUID=$esp_guid /boot/efi vfat umask=0077,nofail 0 2\$" "alpha: fstab mounts the ESP at /boot/efi"
ok "alpha: applets are hard links to /bin/busybox" sh -c "debugfs -R 'stat /bin/sh' '$A' 2>/dev/null | grep -q 'Links: [0-9][0-9][0-9]*'"
is "$(debugfs -R 'stat /bin/sh' "$A" 2>/dev/null | grep -o 'Inode: [0-9]*')" \
        "$(debugfs -R 'stat /bin/busybox' "$A" 2>/dev/null | grep -o 'Inode: [0-9]*')" "alpha: /bin/sh is /bin/busybox's inode"
is "$(stat_field "$T/beta.root" /etc/beta.conf)" "0600 0 0" "beta: /etc/beta.conf mode 0600 root"
is "$(debugfs -R 'cat /etc/hostname' "$T/beta.root" 2>/dev/null)" "beta" "beta: hostname"

# raw output allocation stays near the data: sparse, not the full disk size
alloc=$(du -B1 "$out/alpha/alpha.raw" | cut -f1)
size=$(stat -c %s "$out/alpha/alpha.raw")
ok "alpha: raw disk is sparse ($alloc of $size bytes allocated)" test "$alloc" -lt $((size / 2))
done_testing
