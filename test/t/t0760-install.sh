#!/bin/bash
# t0760-install.sh: the iso's installer under UEFI Secure Boot (TCG): writes the host image to the
# only blank disk, checks it and reboots; the installed disk boots alone; a disk holding data is
# refused without pocbake.wipe.
. "$(dirname "$0")/lib.sh"

[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] || skip_all "no kernel in /boot (linux-image-amd64)"
for tool in xorriso mksquashfs mkfs.vfat mcopy debugfs sfdisk qemu-system-x86_64; do
        command -v $tool >/dev/null || skip_all "$tool missing (xorriso, squashfs-tools, dosfstools, mtools, e2fsprogs, fdisk, qemu-system-x86)"
done
[ -r /usr/lib/ISOLINUX/isolinux.bin ] || skip_all "isolinux missing"
TIMEOUT=${POCBAKE_BOOT_TIMEOUT:-180}
K=$T/keys
quiet() { local out; out=$("$@" 2>&1) || { diag "$out"; return 1; }; }
boot() { "$POCBAKE" boot --accel tcg --timeout "$TIMEOUT" "$@" 2>&1; }

ok "keys init" quiet "$POCBAKE" keys init "$K" --cn-prefix t0760
ok "build the sample role alpha" quiet "$POCBAKE" build "$TOP/test/data/sample/app.yaml" --role alpha \
        --keys "$K" -o "$T/out"
IMG=$T/out/alpha/alpha.raw
SHA=$(sha256sum <"$IMG" | cut -d' ' -f1)
ok "an iso whose default entry installs" quiet "$POCBAKE" iso -o "$T/inst.iso" --keys "$K" --image "$IMG" \
        --default install --timeout 0
mcopy -i "$T/inst.iso@@$(($(sfdisk -d "$T/inst.iso" | sed -n 's/.*iso2 : start= *\([0-9]*\),.*/\1/p') * 512))" \
        ::/loader/loader.conf "$T/loader.conf" 2>/dev/null
like "$(cat "$T/loader.conf")" "default install.efi" "loader.conf boots the install entry"

# A blank sparse disk the size of the image: the only disk with nothing in its first MiB.
truncate -s "$(stat -c %s "$IMG")" "$T/target.raw"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
out=$(boot --as cdrom --vars "$T/vars.fd" --disk "$T/target.raw" --expect "POCBAKE-INSTALL done" \
        --log "$T/install.log" "$T/inst.iso")
like "$out" "check passed in" "the installer runs to its end (keys enrolled on the way)"
diag "install boot (with enrollment): $out"
log=$(tr -d '\r' <"$T/install.log")
like "$log" "install: writing /install/host.raw.gz \($(stat -c %s "$IMG") bytes\) to /dev/vda" \
        "it picks the blank disk"
like "$log" "POCBAKE-INSTALL done: /dev/vda sha256:$SHA" "it reads the disk back and the hash matches"
ok "the installed disk holds the image's bytes" cmp "$T/target.raw" "$IMG"
# sfdisk names the file in "device" and each "node": keep only the partition numbers.
table() { sfdisk --json "$1" | sed 's|"device": .*|"device"|; s|"node": "[^"]*[^0-9]\([0-9]*\)"|"node": "\1"|'; }
like "$(table "$IMG")" '"node": "2"' "sfdisk reads the host image's table"
is "$(table "$T/target.raw")" "$(table "$IMG")" \
        "its partition table equals the host image's"

out=$(boot --vars "$T/vars.fd" --expect "POCBAKE-CHECK alpha ok" --log "$T/disk.log" "$T/target.raw")
like "$out" "check passed in" "the installed disk boots alone under Secure Boot to the role's check"
diag "installed disk boot: $out"

# A disk that holds data is not overwritten unless pocbake.wipe is given.
truncate -s "$(stat -c %s "$IMG")" "$T/data.raw"
printf 'precious data' | dd of="$T/data.raw" bs=1 seek=4096 conv=notrunc status=none
cp "$T/data.raw" "$T/data.orig"
out=$(boot --as cdrom --vars "$T/vars.fd" --disk "$T/data.raw" --expect "POCBAKE-INSTALL refused" \
        --log "$T/refuse.log" "$T/inst.iso")
like "$out" "check passed in" "the installer stops"
like "$(tr -d '\r' <"$T/refuse.log")" \
        "POCBAKE-INSTALL refused: no empty disk found \(disks: /dev/vda\); name one with pocbake.target=/dev/... and add pocbake.wipe to overwrite it" \
        "and says why: no blank disk, how to name one and to wipe it"
ok "the disk holding data is untouched" cmp "$T/data.raw" "$T/data.orig"
diag "refusal boot: $out"
ok "an iso whose installer targets /dev/vda" quiet "$POCBAKE" iso -o "$T/target.iso" --keys "$K" \
        --image "$IMG" --default install --timeout 0 --cmdline "console=ttyS0 pocbake.target=/dev/vda"
out=$(boot --as cdrom --vars "$T/vars.fd" --disk "$T/data.raw" --expect "POCBAKE-INSTALL refused" \
        --log "$T/refuse2.log" "$T/target.iso")
like "$(tr -d '\r' <"$T/refuse2.log")" \
        "POCBAKE-INSTALL refused: /dev/vda holds data \(its first MiB is not empty\); add pocbake.wipe to overwrite it" \
        "a named target that holds data is refused without pocbake.wipe"
ok "and left untouched" cmp "$T/data.raw" "$T/data.orig"
ok "an iso whose installer may wipe /dev/vda" quiet "$POCBAKE" iso -o "$T/wipe.iso" --keys "$K" \
        --image "$IMG" --default install --timeout 0 --cmdline "console=ttyS0 pocbake.target=/dev/vda pocbake.wipe"
out=$(boot --as cdrom --vars "$T/vars.fd" --disk "$T/data.raw" --expect "POCBAKE-INSTALL done" \
        --log "$T/wipe.log" "$T/wipe.iso")
like "$(tr -d '\r' <"$T/wipe.log")" "POCBAKE-INSTALL done: /dev/vda sha256:$SHA" \
        "with pocbake.wipe the disk holding data is overwritten and checked"
ok "it now holds the image" cmp "$T/data.raw" "$IMG"
diag "install over data: $out"
done_testing
