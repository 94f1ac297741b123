#!/bin/sh
# t0610-customize.sh: base: {image: ...}: a pocbake-built qcow2 customized through libguestfs (overlay, accounts, files, service), read back with debugfs.
. "$(dirname "$0")/lib.sh"

for tool in debugfs sfdisk jq qemu-img; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
DRIVER=$(dirname "$POCBAKE")/test/test_guest_host
[ -x "$DRIVER" ] || skip_all "$DRIVER is not built (make check builds it)"
S=$TOP/test/data/sample

"$POCBAKE" build --quiet --allow-path "$S" --cache "$T/cache" -o "$T/out" "$S/roles/alpha.yaml" >"$T/err" 2>&1
rc=$?
ok "sample role alpha builds" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
BASE=$T/out/alpha/alpha.qcow2

mkdir -p "$T/ov/etc/custom" "$T/ov/root"
echo "from the overlay" >"$T/ov/etc/custom/ov.txt"
chmod 0600 "$T/ov/etc/custom/ov.txt"
echo "PS1='# '" >"$T/ov/root/.profile"
# recipe FILE OVERLAY
recipe() {
        cat >"$1" <<EOF
role: custom
base: {image: $BASE}
overlays: [$2]
groups:
  - {name: devs, gid: 1600}
users:
  - {name: bob, uid: 1601, group: devs, shell: /bin/sh}
files:
  - {path: /etc/custom/file.conf, content: "hello custom\n", mode: 0640, owner: bob, group: devs}
  - {path: /etc/systemd/system/hello.service, content: "[Service]\nExecStart=/bin/true\n"}
services: [hello, {name: ticker, command: "/bin/sleep 60"}]
EOF
}
recipe "$T/custom.yaml" "$T/ov"

# root-partition ROOTFS-OUT RAW: the ext4 root (partition 2) extracted sparsely
root_part() {
        off=$(sfdisk --json "$2" | jq '.partitiontable.partitions[1].start * 512')
        len=$(sfdisk --json "$2" | jq '.partitiontable.partitions[1].size * 512')
        dd if="$2" of="$1" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" conv=sparse status=none
}
stat_field() {
        debugfs -R "stat $2" "$1" 2>/dev/null | awk '
                /Mode:/ { for (i = 1; i <= NF; i++) if ($i == "Mode:") m = $(i + 1) }
                /User:/ { for (i = 1; i <= NF; i++) { if ($i == "User:") u = $(i + 1); if ($i == "Group:") g = $(i + 1) } }
                END { print m, u, g }'
}

start=$(date +%s)
"$DRIVER" customize "$T/custom.yaml" "$BASE" "$T/custom.raw" >"$T/drv" 2>&1
rc=$?
ok "customize in one launch ($(($(date +%s) - start)) s)" test $rc = 0
[ $rc = 0 ] || { cat "$T/drv" >&2; done_testing; }
is "$(qemu-img info --output=json "$T/custom.raw" | jq -r .format)" raw "output is a raw disk"
alloc=$(du -B1 "$T/custom.raw" | cut -f1)
ok "output stays sparse ($alloc bytes allocated)" test "$alloc" -lt $(($(stat -c %s "$T/custom.raw") / 4))
root_part "$T/root.img" "$T/custom.raw"
root_part "$T/base.img" "$T/out/alpha/alpha.raw"
e2fsck -fn "$T/root.img" >"$T/fsck" 2>&1
rc=$?
ok "e2fsck -fn accepts the customized root" test $rc = 0
[ $rc = 0 ] || cat "$T/fsck" >&2

R=$T/root.img
is "$(debugfs -R 'cat /etc/custom/ov.txt' "$R" 2>/dev/null)" "from the overlay" "overlay file content"
is "$(stat_field "$R" /etc/custom/ov.txt)" "0600 0 0" "overlay file keeps its mode, owned by root"
is "$(debugfs -R 'cat /etc/custom/file.conf' "$R" 2>/dev/null)" "hello custom" "recipe file content"
is "$(stat_field "$R" /etc/custom/file.conf)" "0640 1601 1600" "recipe file mode and owner by name"
like "$(debugfs -R 'cat /etc/passwd' "$R" 2>/dev/null | tr '\n' ';')" '^root:x:0:0:.*;alice:x:1501:1500:[^;]*;bob:x:1601:1600::/home/bob:/bin/sh;$' \
        "passwd keeps the image's users and appends bob"
like "$(debugfs -R 'cat /etc/group' "$R" 2>/dev/null | tr '\n' ';')" 'ops:x:1500:[^;]*;devs:x:1600:;$' "group appended"
like "$(debugfs -R 'cat /etc/shadow' "$R" 2>/dev/null)" '^bob:!:' "shadow entry, locked"
is "$(stat_field "$R" /etc/shadow)" "$(stat_field "$T/base.img" /etc/shadow)" "shadow keeps the image's mode and owner"
is "$(stat_field "$R" /home/bob | cut -d' ' -f2-)" "1601 1600" "home of bob owned by bob"
is "$(stat_field "$R" /etc)" "$(stat_field "$T/base.img" /etc)" "existing /etc keeps its mode and owner"
is "$(stat_field "$R" /root)" "$(stat_field "$T/base.img" /root)" "existing /root keeps its mode though the overlay has it"
is "$(debugfs -R 'cat /root/.profile' "$R" 2>/dev/null)" "PS1='# '" "overlay file inside /root"
like "$(debugfs -R 'stat /etc/systemd/system/multi-user.target.wants/hello.service' "$R" 2>/dev/null)" \
        'Fast link dest: "/etc/systemd/system/hello.service"' "service hello enabled"
like "$(debugfs -R 'cat /etc/systemd/system/ticker.service' "$R" 2>/dev/null | tr '\n' ';')" 'ExecStart=/bin/sleep 60;' \
        "service with a command gets a unit"
is "$(debugfs -R 'cat /etc/motd' "$R" 2>/dev/null)" "welcome to alpha" "the image's own files are still there"
like "$(debugfs -R 'stat /etc/custom/file.conf' "$R" 2>/dev/null)" 'mtime: 0x6553f100' "mtime is SOURCE_DATE_EPOCH"

# A hostile overlay is refused before any launch; no output appears.
cp "$TOP/test/data/hostile/dotdot.tar" "$T/dotdot.tar" # inside the recipe's tree
recipe "$T/hostile.yaml" "$T/dotdot.tar"
start=$(date +%s)
"$DRIVER" customize "$T/hostile.yaml" "$BASE" "$T/hostile.raw" >"$T/drv" 2>&1
is "$?" 1 "hostile overlay: customize fails"
like "$(cat "$T/drv")" 'dotdot\.tar: entry "\.\./pocbake-evil": path leaves the root' "hostile overlay: the entry is named"
ok "hostile overlay: no output, no launch ($(($(date +%s) - start)) s)" test ! -e "$T/hostile.raw" -a $(($(date +%s) - start)) -lt 10
ok "hostile overlay: nothing escaped" test ! -e "$T/pocbake-evil"
done_testing
