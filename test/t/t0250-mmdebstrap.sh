#!/bin/sh
# t0250-mmdebstrap.sh: a role whose base is made by mmdebstrap from the Debian mirror (network; opt-in).
. "$(dirname "$0")/lib.sh"

[ "${POCBAKE_NETWORK_TESTS:-0}" = 1 ] || skip_all "needs the Debian mirror: set POCBAKE_NETWORK_TESTS=1 to run"
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed"
[ "$(id -u)" = 0 ] || skip_all "mmdebstrap --mode=root and staging need root"

cat >"$T/r.yaml" <<'YAML'
role: deb
base: {mmdebstrap: {suite: bookworm, variant: minbase, packages: [busybox]}}
users:
  - {name: ops, uid: 1001}
files:
  - {path: /etc/motd, content: "staged by pocbake\n", owner: ops, group: ops, mode: "0640"}
disk: {partitions: [{name: root, type: root, size: 768M, fs: ext4, mountpoint: /}]}
YAML
"$POCBAKE" build -j 1 "$T/r.yaml" -o "$T/out" --cache "$T/cache" 2>"$T/err"
rc=$?
is "$rc" 0 "an mmdebstrap base builds"
[ "$rc" = 0 ] || { diag "$(cat "$T/err")"; done_testing; }

raw=$(ls "$T"/out/deb/*.raw)
off=$(sfdisk --json "$raw" | jq '.partitiontable.partitions[0].start * 512')
dd if="$raw" of="$T/root.img" bs=1M iflag=skip_bytes skip="$off" conv=sparse status=none
cat_img() { debugfs -R "cat $1" "$T/root.img" 2>/dev/null; }
like "$(cat_img /etc/debian_version)" '^12' "the root is Debian 12"
like "$(cat_img /etc/passwd)" '^ops:x:1001:1001::/home/ops:/bin/sh' "the user is added to the Debian passwd"
like "$(cat_img /var/lib/dpkg/status)" 'Package: busybox' "the extra package is installed (dpkg database kept)"
like "$(debugfs -R 'stat /etc/motd' "$T/root.img" 2>/dev/null)" 'User: +1001 +Group: +1001' "file owner from the staged passwd"
like "$(debugfs -R 'stat /usr/bin/passwd' "$T/root.img" 2>/dev/null)" 'Mode: +04755' "setuid programs of the base keep their bit"

done_testing
