#!/bin/sh
# t0017-burn.sh: pocbake burn writes only a whole removable drive nothing uses, asks unless --yes, reads it back and compares; tested on a loop device named removable through the test hook, never a real disk.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "loop devices need root"
command -v losetup >/dev/null && command -v sfdisk >/dev/null || skip_all "losetup or sfdisk missing"
truncate -s 96M "$T/stick"
L=$(losetup -f --show -P "$T/stick" 2>/dev/null) || skip_all "no loop device here"
trap 'umount "$T/mnt" 2>/dev/null; losetup -d "$L" 2>/dev/null; rm -rf "$T"' EXIT

# a small image: a GPT with one partition and some bytes
truncate -s 40M "$T/img.raw"
printf 'label: gpt\nstart=2048, size=40000, type=linux\n' | sfdisk -q "$T/img.raw" >/dev/null
head -c 3000000 /dev/urandom | dd of="$T/img.raw" bs=1M seek=5 conv=notrunc status=none

out=$("$POCBAKE" burn --yes "$T/img.raw" "$L" 2>&1)
like "$? $out" "^2 pocbake burn: $L is not a removable drive: refused" "a drive that is not removable is refused"
export POCBAKE_TEST_REMOVABLE="$L"
out=$("$POCBAKE" burn "$T/img.raw" "$L" </dev/null 2>&1)
like "$? $out" "^2 .*no terminal to ask on \(expected --yes" "without --yes and no terminal it asks no one and writes nothing"
is "$(cmp -n 1048576 "$T/img.raw" "$L" >/dev/null 2>&1; echo $?)" 1 "nothing was written"
out=$("$POCBAKE" burn --yes "$T/img.raw" "$L" 2>&1)
is "$?" 0 "burn --yes writes the image"
like "$out" "^$L: .*, 96 MiB
$L: 40 MiB written and read back the same" "it shows the drive and says it compared what it wrote"
ok "the drive holds the image, byte for byte" cmp -n "$(stat -c %s "$T/img.raw")" "$T/img.raw" "$L"

# now the drive has a partition table: the partition is refused, so is the drive while mounted
partprobe "$L" 2>/dev/null || blockdev --rereadpt "$L" 2>/dev/null
if [ -b "${L}p1" ]; then
        out=$("$POCBAKE" burn --yes "$T/img.raw" "${L}p1" 2>&1)
        like "$? $out" "^2 pocbake burn: ${L}p1 is a partition \(expected the whole drive\)" "a partition is refused"
        mkfs.ext4 -q "${L}p1" && mkdir -p "$T/mnt" && mount "${L}p1" "$T/mnt"
        out=$("$POCBAKE" burn --yes "$T/img.raw" "$L" 2>&1)
        like "$? $out" "^2 pocbake burn: $L is in use: mounted on $T/mnt" "a drive with a mounted partition is refused"
        umount "$T/mnt"
else
        skip "no partition devices for loop devices here"
        skip "no partition devices for loop devices here"
fi
truncate -s 200M "$T/big.raw"
out=$("$POCBAKE" burn --yes "$T/big.raw" "$L" 2>&1)
like "$? $out" "^2 pocbake burn: $T/big.raw \(200 MiB\) does not fit on $L \(96 MiB\)" "an image larger than the drive is refused"
qemu-img convert -f raw -O qcow2 "$T/img.raw" "$T/img.qcow2"
out=$("$POCBAKE" burn --yes "$T/img.qcow2" "$L" 2>&1)
like "$? $out" "^2 pocbake burn: $T/img.qcow2 is qcow2 \(expected a raw image or an ISO" "a qcow2 is refused with the fix"
out=$("$POCBAKE" burn --yes "$T/img.raw" "$T/stick" 2>&1)
like "$? $out" "^2 pocbake burn: $T/stick is not a block device" "a file is refused"
done_testing
