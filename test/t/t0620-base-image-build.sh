#!/bin/sh
# t0620: a role with base: {image: …} built by pocbake build: the image (made by pocbake
# itself) is copied and the recipe's files, users and services applied through
# libguestfs; the source image is left alone and the output is read back with debugfs.
. "$(dirname "$0")/lib.sh"

command -v debugfs >/dev/null || skip_all "debugfs is not installed"
"$POCBAKE" build --quiet --role beta --cache "$T/cache" -o "$T/base" "$TOP/test/data/sample/app.yaml" 2>"$T/err"
ok "a base image built by pocbake" test $? = 0 || cat "$T/err" >&2
sum_before=$(sha256sum <"$T/base/beta/beta.qcow2")
cat >"$T/custom.yaml" <<YAML
role: custom
base: {image: $T/base/beta/beta.qcow2}
groups: [{name: ops, gid: 1700}]
users: [{name: olga, uid: 1701, group: ops}]
files:
  - {path: /etc/custom.conf, content: "customized\n", mode: 0640, owner: olga, group: ops}
outputs: [raw, qcow2]
YAML
start=$(date +%s)
"$POCBAKE" build --quiet --json --cache "$T/cache" -o "$T/out" "$T/custom.yaml" >"$T/e1" 2>"$T/err"
ok "build customizes the image ($(($(date +%s) - start)) s)" test $? = 0 || cat "$T/err" >&2
is "$(sha256sum <"$T/base/beta/beta.qcow2")" "$sum_before" "the source image is untouched"
raw=$T/out/custom/custom.raw
off=$(sfdisk --json "$raw" | jq '.partitiontable.partitions[1].start * 512')
len=$(sfdisk --json "$raw" | jq '.partitiontable.partitions[1].size * 512')
dd if="$raw" of="$T/root" bs=1M iflag=skip_bytes,count_bytes skip="$off" count="$len" conv=sparse status=none
is "$(debugfs -R 'cat /etc/custom.conf' "$T/root" 2>/dev/null)" "customized" "the recipe's file is in the image"
like "$(debugfs -R 'stat /etc/custom.conf' "$T/root" 2>/dev/null | grep -E 'User:|Mode:' | tr -s ' ' | tr '\n' ' ')" \
        "Mode: 0640 .*User: 1701 Group: 1700" "with the recipe's owner and mode"
like "$(debugfs -R 'cat /etc/passwd' "$T/root" 2>/dev/null)" "^olga:x:1701:1700:" "the user is in /etc/passwd"
is "$(debugfs -R 'cat /etc/beta.conf' "$T/root" 2>/dev/null)" "mode = beta" "the base image's own files stay"
ok "fsck.ext4 accepts the customized root" sh -c "fsck.ext4 -fn '$T/root' >/dev/null 2>&1"
"$POCBAKE" build --quiet --json --cache "$T/cache" -o "$T/out" "$T/custom.yaml" >"$T/e2" 2>"$T/err"
is "$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e2" | wc -l)" 0 "nothing rebuilt the second time"
done_testing
