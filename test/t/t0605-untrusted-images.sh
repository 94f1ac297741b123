#!/bin/sh
# t0605-untrusted-images.sh: images from elsewhere that name other host files (qcow2 backing and data files, a VHDX parent, a VMDK descriptor) are refused by inspect, verify image and image bases before qemu opens them; a file that is no disk image exits 1.
. "$(dirname "$0")/lib.sh"

for tool in qemu-img python3; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
echo "host-secret-$$" >"$T/secret"
cd "$T" || exit 1
qemu-img create -q -f qcow2 -b "$T/secret" -F raw back.qcow2 1M
qemu-img create -q -f qcow2 -o data_file="$T/secret",data_file_raw=on data.qcow2 1M
printf '# Disk DescriptorFile\nversion=1\nRW 8 FLAT "%s" 0\n' "$T/secret" >desc.vmdk
# a differencing VHDX: a metadata item of qemu-img's VHDX becomes a parent locator
qemu-img create -q -f vhdx parent.vhdx 8M
python3 - parent.vhdx <<'EOF'
import sys, uuid
f = open(sys.argv[1], 'r+b')
f.seek(192 * 1024)
t = f.read(64 * 1024)
md = uuid.UUID('8b7ca206-4790-4b9a-b8fe-575f050f886e').bytes_le
for i in range(int.from_bytes(t[8:12], 'little')):
    e = t[16 + 32 * i:48 + 32 * i]
    if e[:16] == md:
        off = int.from_bytes(e[16:24], 'little')
f.seek(off + 32)
f.write(uuid.UUID('a8d35f2d-b30b-454d-abf7-d3d84834ab0c').bytes_le)
EOF
echo "just some text" >text.txt

check() { # FILE MESSAGE
        out=$("$POCBAKE" inspect "$1" 2>&1)
        rc=$?
        is "$rc" 1 "inspect $1: exit 1"
        like "$out" "^pocbake inspect: $1: $2" "inspect $1: $(printf '%s' "$2" | tr -d '\\')"
        case $out in *host-secret*) fail "inspect $1: the named file's content is not shown" ;;
        *) pass "inspect $1: the named file's content is not shown" ;; esac
}
check back.qcow2 "a qcow2 image with a backing file \(\"$T/secret\"\): pocbake opens only the image it is given"
check data.qcow2 "a qcow2 image with an external data file"
check parent.vhdx "a VHDX differencing disk \(it names its parent\)"
check desc.vmdk "a VMDK descriptor \(it names other files\)"
check text.txt "not a disk image"
out=$("$POCBAKE" verify image back.qcow2 2>&1)
like "$? $out" "^1 pocbake verify image: back.qcow2: a qcow2 image with a backing file" "verify image refuses it too"
qemu-img create -q -f vhdx plain.vhdx 8M
"$POCBAKE" inspect plain.vhdx >"$T/plain.out" 2>&1
is "$?" 0 "a plain VHDX is inspected (no differencing disk)"

# an image base with a backing file: the build stops before qemu-img reads it
cat >based.yaml <<EOF
role: based
base: {image: $T/back.qcow2}
outputs: [raw]
EOF
out=$("$POCBAKE" build --quiet --cache "$T/cache" -o "$T/out" based.yaml 2>&1)
rc=$?
ok "an image base with a backing file fails the build ($rc)" test $rc != 0
like "$out" "back.qcow2: a qcow2 image with a backing file" "and says why"
done_testing
