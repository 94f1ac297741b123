#!/bin/sh
# t0600-host-image.sh: host disk with an LVM pool and two role payloads, composed by pocbake, read back by LVM, xfs_repair, e2fsck, pocbake inspect, virt-filesystems and guestfish; the same bytes from a second build; verify image catches a changed byte.
. "$(dirname "$0")/lib.sh"

for tool in guestfish virt-filesystems jq qemu-img sfdisk xfs_repair e2fsck; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
export POCBAKE_DATADIR=$TOP
S=$TOP/test/data/sample

host='disk:
  size: 1400M
  partitions:
    - {name: esp, type: esp, size: 40M, fs: vfat, mountpoint: /boot/efi}
    - {name: root, type: root, size: 100M, fs: ext4, mountpoint: /}
    - {name: pool, type: lvm, size: rest}
storage:
  pool: {partition: pool, vg: pocpool, grow: true, extra_disks: [/dev/vdb]}
  volumes:
    - {name: csv, size: 320M, fs: xfs, mountpoint: /srv/csv, purpose: cluster-shared-volume}
    - {name: blob, size: 64M, fs: ext4, mountpoint: /srv/blob, purpose: blob}
    - {name: sofs, size: rest, fs: xfs, mountpoint: /srv/share, purpose: file-share}
files:
  - {path: /srv/share/README, content: "on the share"}
outputs: [raw]'
{
        echo "appliance: lab"
        echo "roles: [$S/roles/alpha.yaml, $S/roles/beta.yaml]"
        echo "networks: [{name: management, bridge: br-mgmt, cidr: 10.20.0.0/24, nat: true}]"
        echo "host:"
        echo "  base: {busybox: {}}"
        echo "$host" | sed 's/^/  /'
} >"$T/app.yaml"

start=$(date +%s)
(cd "$T" && "$POCBAKE" build --allow-path "$S" --quiet --cache "$T/cache" -o "$T/out" app.yaml) >"$T/err" 2>&1
rc=$?
ok "roles and the host disk build ($(($(date +%s) - start)) s)" test $rc = 0
[ $rc = 0 ] || { cat "$T/err" >&2; done_testing; }
IMG=$T/out/host/host.raw

# The same recipe given by its absolute path, another cache, another out/, one job
"$POCBAKE" build --allow-path "$S" --quiet -j1 --cache "$T/cache2" -o "$T/out2" "$T/app.yaml" >"$T/err" 2>&1
rc=$?
ok "a second build from scratch" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
differ=$(cd "$T/out" && find . -type f ! -name .pocbake-outputs | sort | while read -r f; do
        cmp -s "$f" "$T/out2/$f" || echo "$f"
done)
is "$differ" "" "every file of the second build is byte-identical, host.raw included"
rm -rf "$T/out2" "$T/cache2"

# The pool as the host's tools read it, without libguestfs: the volumes cut out
# of the image at the offsets LVM's metadata gives
pstart=$(sfdisk -J "$IMG" | jq '.partitiontable.partitions[2].start')
vol() { # NAME FIRST-EXTENT EXTENTS
        dd if="$IMG" of="$T/$1.img" bs=1M skip=$((pstart / 2048 + 1 + $2 * 4)) count=$(($3 * 4)) conv=sparse status=none
}
vol csv 0 80
vol blob 80 16
vol sofs 96 218
dd if="$IMG" bs=512 skip=$((pstart + 1)) count=1 status=none | head -c 8 >"$T/label"
is "$(cat "$T/label")" LABELONE "the pool partition carries an LVM label in its second sector"
ok "xfs_repair -n finds the csv volume clean" sh -c "xfs_repair -n '$T/csv.img' >'$T/rep' 2>&1"
ok "xfs_repair -n finds the sofs volume clean" sh -c "xfs_repair -n '$T/sofs.img' >'$T/rep' 2>&1"
ok "e2fsck -fn finds the blob volume clean" sh -c "e2fsck -fn '$T/blob.img' >'$T/rep' 2>&1"
is "$(TZ=UTC xfs_db -r -c 'inode 128' -c 'print core.mtime.sec' "$T/csv.img" 2>&1)" \
        "core.mtime.sec = $(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S %Y')" \
        "xfs inode times are the build's epoch"
rm -f "$T/csv.img" "$T/blob.img" "$T/sofs.img"
if L=$(losetup -f --show -r -o $((pstart * 512)) "$IMG" 2>/dev/null); then
        lvs --noheadings -o lv_name,lv_size,seg_pe_ranges --units m pocpool >"$T/lvs" 2>/dev/null
        losetup -d "$L"
        is "$(awk '{print $1 "=" $2 "=" $3}' "$T/lvs" | sort | tr '\n' ' ')" \
                "blob=64.00m=$L:80-95 csv=320.00m=$L:0-79 sofs=872.00m=$L:96-313 " "lvs reads the group from a loop device"
else
        skip "no loop device here" 1
fi

start=$(date +%s)
"$POCBAKE" inspect --json "$IMG" >"$T/inspect.json" 2>"$T/err"
rc=$?
ok "pocbake inspect --json ($(($(date +%s) - start)) s)" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
J=$T/inspect.json
is "$(jq -r '.volume_groups | join(" ")' "$J")" pocpool "inspect: volume group pocpool"
is "$(jq -r '[.logical_volumes[] | "\(.name)=\(.size)"] | sort | join(" ")' "$J")" \
        "blob=67108864 csv=335544320 sofs=914358272" "inspect: three volumes, rest takes the 218 extents left"
is "$(jq -r '[.filesystems[] | select(.device | startswith("/dev/pocpool/")) | "\(.device)=\(.type)"] | sort | join(" ")' "$J")" \
        "/dev/pocpool/blob=ext4 /dev/pocpool/csv=xfs /dev/pocpool/sofs=xfs" "inspect: filesystems on the volumes"
is "$(jq -r '.filesystems[] | select(.device == "/dev/pocpool/csv") | .label' "$J")" csv "inspect: xfs label is the volume name"
is "$(jq -r '.os' "$J")" "pocbake 0.1.0 (host)" "inspect: os-release of the root"
is "$(jq -r '[.payloads[] | "\(.file):\(.match)"] | join(" ")' "$J")" "alpha.qcow2:true beta.qcow2:true" \
        "inspect: both payloads match the manifest"
is "$(jq -r '.payloads[0].sha256' "$J")" "$(sha256sum <"$T/out/alpha/alpha.qcow2" | cut -d' ' -f1)" \
        "inspect: manifest sha256 is the role's qcow2"

# filesystem UUIDs derive from role and volume names (uuid_derive "pool-fs"):
# every build of this recipe gets these
is "$(jq -r '[.filesystems[] | select(.device | startswith("/dev/pocpool/")) | "\(.device)=\(.uuid)"] | sort | join(" ")' "$J")" \
        "/dev/pocpool/blob=b271ff09-9a19-4764-9c91-acbf9a914c6a /dev/pocpool/csv=fa6f1c00-33e1-48e3-a48a-91d5ef000470 /dev/pocpool/sofs=af7cdaed-795c-4699-a3b9-6343d971e378" \
        "inspect: volume filesystem uuids derived from the recipe"

start=$(date +%s)
virt-filesystems -a "$IMG" --all --long --csv >"$T/vfs.csv" 2>"$T/err"
rc=$?
ok "virt-filesystems reads the image ($(($(date +%s) - start)) s)" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
# Name,Type,VFS,Label,MBR,Size,Parent (a filesystem's size there is its usable space)
is "$(awk -F, '$1 ~ /^\/dev\/pocpool\// && $2 == "filesystem" { print $1 "=" $3 "=" $4 }' "$T/vfs.csv" | sort | tr '\n' ' ')" \
        "$(jq -r '[.filesystems[] | select(.device | startswith("/dev/pocpool/")) | "\(.device)=\(.type)=\(.label)"] | sort | join(" ")' "$J") " \
        "virt-filesystems agrees on volume filesystem types and labels"
is "$(awk -F, '$2 == "lv" { print $1 "=" $6 }' "$T/vfs.csv" | sort | tr '\n' ' ')" \
        "$(jq -r '[.logical_volumes[] | "/dev/\(.vg)/\(.name)=\(.size)"] | sort | join(" ")' "$J") " \
        "virt-filesystems agrees on volume sizes"
is "$(awk -F, '$2 == "vg" { print $1 }' "$T/vfs.csv")" /dev/pocpool "virt-filesystems sees the volume group"

# guestfish: what the host boots with, a copy of the payloads, then one changed byte
mkdir -p "$T/co"
start=$(date +%s)
guestfish -a "$IMG" -m /dev/sda2 -m /dev/pocpool/csv:/srv/csv -m /dev/pocpool/sofs:/srv/share >"$T/gf" 2>"$T/err" <<EOF
cat /etc/fstab
echo ==link
readlink /var/lib/pocbake/payloads
readlink /var/lib/pocbake/overlays
is-dir /srv/csv/pocbake-overlays
echo ==mode
stat /srv/csv/pocbake-payloads/alpha.qcow2
echo ==wants
readlink /etc/systemd/system/multi-user.target.wants/pocbake-payloads.service
readlink /etc/systemd/system/multi-user.target.wants/pocbake-grow.service
echo ==conf
cat /etc/pocbake/storage.conf
echo ==dirs
is-dir /srv/blob
is-dir /srv/share
is-file /usr/lib/pocbake/pocbake-payloads
echo ==share
cat /srv/share/README
copy-out /var/lib/pocbake/libvirt $T/co
copy-out /srv/csv/pocbake-payloads $T/co
pwrite /srv/csv/pocbake-payloads/alpha.qcow2 "X" 65536
EOF
rc=$?
ok "guestfish reads and changes the image ($(($(date +%s) - start)) s)" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
G=$(tr '\n' ';' <"$T/gf")
like "$G" '/dev/pocpool/csv /srv/csv xfs defaults 0 2' "fstab: csv volume"
like "$G" '/dev/pocpool/sofs /srv/share xfs defaults 0 2' "fstab: sofs volume"
like "$G" '==link;/srv/csv/pocbake-payloads;/srv/csv/pocbake-overlays;true;' \
        "payload and overlay directories are on the cluster-shared volume"
like "$G" '==mode;([^;]*;)*mode: 33060;' "payloads are read-only (0444) in the image"
like "$G" "POOL_EXTRA_DISKS='/dev/vdb'" "grow configuration names the extra disk"
like "$G" '==wants;/etc/systemd/system/pocbake-payloads.service;/etc/systemd/system/pocbake-grow.service;' \
        "both host units enabled"
like "$G" '==dirs;true;true;true;' "mountpoints and the payload script exist"
like "$G" '==share;on the share' "a recipe file under a volume's mountpoint is on the volume"
cmp -s "$T/co/pocbake-payloads/beta.qcow2" "$T/out/beta/beta.qcow2"
ok "beta payload is the role's qcow2 byte for byte" test $? = 0
if command -v virt-xml-validate >/dev/null; then
        ok "alpha.xml is a valid libvirt domain" sh -c "virt-xml-validate \"$T/co/libvirt/alpha.xml\" domain >/dev/null"
        ok "management.xml is a valid libvirt network" sh -c "virt-xml-validate \"$T/co/libvirt/networks/management.xml\" network >/dev/null"
fi

start=$(date +%s)
"$POCBAKE" verify image "$IMG" >"$T/vout" 2>"$T/verr"
is "$?" 1 "verify image fails after one byte changed ($(($(date +%s) - start)) s)"
like "$(cat "$T/verr")" '^payload alpha\.qcow2: sha256 mismatch \(manifest [0-9a-f]{64}, image [0-9a-f]{64}\)$' \
        "verify image names the changed payload and both sums"
is "$(grep -c beta "$T/verr")" 0 "verify image does not blame beta"

# The boot script, with a stand-in virsh that logs its calls (t0602 tests it in
# detail): both VMs start on overlays; after a change to alpha's bytes only beta
# starts and the mismatch is logged.
mkdir -p "$T/bin"
cat >"$T/bin/virsh" <<'EOF'
#!/bin/sh
echo "$*" >>"$VIRSH_LOG"
case "$*" in *net-info* | *domstate*) exit 1 ;; esac
exit 0
EOF
chmod +x "$T/bin/virsh"
run_script() {
        : >"$T/virsh.log"
        PATH=$T/bin:$PATH VIRSH_LOG=$T/virsh.log POCBAKE_PAYLOADS=$T/co/pocbake-payloads POCBAKE_LIBVIRT=$T/co/libvirt \
                POCBAKE_OVERLAYS=$T/co/overlays POCBAKE_KVM_DEV=$T/no-kvm sh "$TOP/firmware/host/pocbake-payloads.sh" 2>"$T/script.err"
}
run_script
rc=$?
ok "payload script starts the VMs" test $rc = 0
[ $rc = 0 ] || cat "$T/script.err" >&2
like "$(tr '\n' ';' <"$T/virsh.log")" \
        "^-q net-info management;-q net-define $T/co/libvirt/networks/management.xml;-q net-info management;-q net-start management;-q define /[^;]*/alpha.xml;-q domstate alpha;-q start alpha;-q define /[^;]*/beta.xml;-q domstate beta;-q start beta;\$" \
        "payload script: network, then each verified domain defined and started"
is "$(qemu-img info --output=json "$T/co/overlays/beta.qcow2" | jq -r '."backing-filename"')" "$T/co/pocbake-payloads/beta.qcow2" \
        "payload script: beta runs on an overlay of its payload"
chmod u+w "$T/co/pocbake-payloads/alpha.qcow2"
printf 'X' | dd of="$T/co/pocbake-payloads/alpha.qcow2" bs=1 seek=65536 conv=notrunc status=none
run_script
is "$?" 1 "payload script fails on a changed payload"
like "$(cat "$T/script.err")" 'payload alpha\.qcow2: sha256 mismatch \(manifest [0-9a-f]{64}, disk [0-9a-f]{64}\): alpha not started' \
        "payload script logs the mismatch"
like "$(tr '\n' ';' <"$T/virsh.log")" '^[^;]*;[^;]*;[^;]*;[^;]*;-q define [^;]*beta.xml;-q domstate beta;-q start beta;$' \
        "payload script starts beta only"

# A name mkfs.xfs -p cannot take fails the build before anything is written,
# naming the volume's file
sed 's|{path: /srv/share/README, content: "on the share"}|{path: "/srv/share/two words", content: "x"}|' "$T/app.yaml" >"$T/bad.yaml"
"$POCBAKE" build --allow-path "$S" --quiet --cache "$T/cache" -o "$T/bad-out" "$T/bad.yaml" >"$T/bad" 2>&1
is "$?" 1 "a file name xfs cannot hold fails the build"
like "$(cat "$T/bad")" 'xfs: file name "two words" cannot be listed for mkfs.xfs -p' "the error names the file"
ok "no host image written" test ! -e "$T/bad-out/host/host.raw"
done_testing
