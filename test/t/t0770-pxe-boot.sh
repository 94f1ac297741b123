#!/bin/bash
# t0770-pxe-boot.sh: the PXE set boots over QEMU's TFTP (TCG): a BIOS client through the NIC's iPXE
# and boot.ipxe; a UEFI Secure Boot client loads the signed UKI; an unsigned UKI is refused; the
# install UKI fetches the image over HTTP into a blank disk that then boots, and refuses an image
# whose sha256 is not the signed one.
. "$(dirname "$0")/lib.sh"

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || skip_all "no kernel in /boot (linux-image-amd64)"
for tool in xorriso mksquashfs mkfs.vfat mcopy debugfs qemu-system-x86_64; do
        command -v $tool >/dev/null || skip_all "$tool missing (xorriso, squashfs-tools, dosfstools, mtools, e2fsprogs, qemu-system-x86)"
done
"$POCBAKE" pxe --help >/dev/null 2>&1 || skip_all "pocbake has no pxe verb"
TIMEOUT=${POCBAKE_BOOT_TIMEOUT:-180}
# the install boots stream the whole image through gunzip and two sha256sums under TCG
# before they answer: their bound is wider (it only ends a stuck boot; nothing is timed)
ITIMEOUT=${POCBAKE_BOOT_TIMEOUT:-600}
K=$T/keys
quiet() { local out; out=$("$@" 2>&1) || { diag "$out"; return 1; }; }
boot() { "$POCBAKE" boot --accel tcg --timeout "$TIMEOUT" "$@" 2>&1; }

ok "keys init" quiet "$POCBAKE" keys init "$K" --cn-prefix t0770
ok "build the sample role alpha" quiet "$POCBAKE" build "$TOP/test/data/sample/app.yaml" --role alpha \
        --keys "$K" -o "$T/out"
# The role's root as a squashfs: the one the iso carries.
ok "iso" quiet "$POCBAKE" iso -o "$T/a.iso" --keys "$K" --image "$T/out/alpha/alpha.raw"
xorriso -osirrox on -indev "$T/a.iso" -extract /live/root.squashfs "$T/root.squashfs" >/dev/null 2>&1
ok "the live root is extracted" test -s "$T/root.squashfs"
ROOTSHA=$(sha256sum <"$T/root.squashfs" | cut -d' ' -f1)
ok "a network initrd" quiet "$POCBAKE" initrd -o "$T/initrd.img" --compress zstd --module virtio_pci \
        --module virtio_net --module virtio_blk --module squashfs --module loop --module overlay --module efivarfs
CMDLINE="console=ttyS0 pocbake.marker pocbake.root=tftp://10.0.2.2/root.squashfs pocbake.roothash=sha256:$ROOTSHA"
ok "a signed UKI" quiet "$POCBAKE" uki -o "$T/signed.efi" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --cmdline "$CMDLINE" --key "$K/db.key" --cert "$K/db.crt"
ok "the same UKI unsigned" quiet "$POCBAKE" uki -o "$T/unsigned.efi" --kernel "$KERNEL" \
        --initrd "$T/initrd.img" --cmdline "$CMDLINE"
ok "pocbake pxe writes the set" quiet "$POCBAKE" pxe -o "$T/set" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --uki "$T/signed.efi" --root "$T/root.squashfs" --cmdline "console=ttyS0 pocbake.marker" \
        --keys "$K" --name lab --image "$T/out/alpha/alpha.raw"
cp "$T/unsigned.efi" "$T/set/unsigned.efi"

out=$(boot --firmware seabios --pxe "$T/set" --bootfile boot.ipxe --expect "POCBAKE-CHECK alpha ok" \
        --log "$T/bios.log")
like "$out" "check passed in" "BIOS PXE: iPXE runs boot.ipxe, the root comes over TFTP, the role's check passes"
diag "BIOS PXE boot: $out"
log=$(tr -d '\r' <"$T/bios.log")
like "$log" "Command line: console=ttyS0 pocbake.marker initrd=initrd.img pocbake.root=tftp://10.0.2.2/root.squashfs" \
        "with boot.ipxe's command line"
like "$log" "pocbake.root=tftp://10.0.2.2/root.squashfs pocbake.roothash=sha256:$ROOTSHA" \
        "the menu's default entry, with the root's hash"
like "$log" "POCBAKE-MARKER secureboot=none" "and no Secure Boot"

# Secure Boot on needs our keys enrolled: one boot of the role's disk with an empty store does it.
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
out=$(boot --vars "$T/vars.fd" --log "$T/enroll.log" "$T/out/alpha/alpha.raw")
like "$out" "check passed in" "the role's disk enrolls its keys"
diag "enrollment boot: $out"

out=$(boot --vars "$T/vars.fd" --pxe "$T/set" --bootfile lab.efi --expect "POCBAKE-CHECK alpha ok" \
        --log "$T/uefi.log")
like "$out" "check passed in" "UEFI PXE: OVMF loads the signed UKI, the role's check passes"
diag "UEFI PXE boot: $out"
log=$(tr -d '\r' <"$T/uefi.log")
like "$log" "POCBAKE-MARKER secureboot=1" "with Secure Boot on"
like "$log" "root hash verified \(sha256:$ROOTSHA\)" "and the fetched root's hash checked"

out=$(boot --vars "$T/vars.fd" --pxe "$T/set" --bootfile unsigned.efi --expect "POCBAKE-MARKER" \
        --log "$T/refused.log")
like "$? $out" "^1 pocbake boot: unsigned.efi: the firmware refused an image \(Access Denied: unsigned, or signed with a key its db does not hold" \
        "UEFI PXE: an unsigned UKI is refused"
diag "refusal: $(echo "$out" | head -n 1)"
log=$(tr -d '\r' <"$T/refused.log")
like "$log" "NBP filename is unsigned.efi" "after OVMF downloaded it"
like "$log" "failed to load Boot[0-9A-F]+ \"UEFI PXEv4 .*: Access Denied" "OVMF says Access Denied"
ok "and the kernel never ran" sh -c '! printf "%s" "$1" | grep -q "POCBAKE-MARKER"' - "$log"

# Installing: the set is served over HTTP on 127.0.0.1:80 in a network namespace of this test's
# own, where QEMU's user network takes the guest's 10.0.2.2:80.
if ! unshare -rn true 2>/dev/null; then
        diag "PXE install not tested: no network namespace for its HTTP server (unshare -rn failed)"
        done_testing
fi
served() {
        unshare -rn sh -c 'ip link set lo up && { busybox httpd -f -p 127.0.0.1:80 -h "$0" & h=$!; } &&
                "$@"; rc=$?; kill $h; exit $rc' "$@"
}
GZSHA=$(sha256sum <"$T/set/host.raw.gz" | cut -d' ' -f1)
ok "lab-install.efi's signed command line carries the image's sha256" \
        grep -qa "pocbake.install pocbake.image=http://next-server/host.raw.gz pocbake.imagehash=sha256:$GZSHA" \
        "$T/set/lab-install.efi"
gunzip -c "$T/set/host.raw.gz" | cmp -s - "$T/out/alpha/alpha.raw"
ok "host.raw.gz is the image" test $? = 0
truncate -s "$(stat -c %s "$T/out/alpha/alpha.raw")" "$T/target.raw"
out=$(served "$T/set" "$POCBAKE" boot --accel tcg --timeout "$ITIMEOUT" --vars "$T/vars.fd" --pxe "$T/set" \
        --bootfile lab-install.efi --disk "$T/target.raw" --expect "POCBAKE-CHECK alpha ok" --log "$T/install.log" 2>&1)
like "$out" "check passed in" "UEFI PXE install: the image comes over HTTP, the machine reboots into the disk"
diag "PXE install and first boot: $out"
log=$(tr -d '\r' <"$T/install.log")
like "$log" "install: writing http://10.0.2.2/host.raw.gz \($(stat -c %s "$T/out/alpha/alpha.raw") bytes\) to /dev/vda" \
        "the installer fetches over HTTP into the blank disk"
like "$log" "POCBAKE-INSTALL done: /dev/vda sha256:$(sha256sum <"$T/out/alpha/alpha.raw" | cut -d' ' -f1)" \
        "it reads the disk back"
# the booted role has written to its root since: the first MiB (the partition table, written last) is compared
ok "the disk's first MiB is the image's" cmp -n 1048576 "$T/target.raw" "$T/out/alpha/alpha.raw"

# An image whose bytes are not the signed ones is refused before the disk's first MiB is written.
cp -r "$T/set" "$T/bad"
printf 'X' | dd of="$T/bad/host.raw.gz" bs=1 seek=4096 conv=notrunc status=none
truncate -s "$(stat -c %s "$T/out/alpha/alpha.raw")" "$T/blank.raw"
out=$(served "$T/bad" "$POCBAKE" boot --accel tcg --timeout "$ITIMEOUT" --vars "$T/vars.fd" --pxe "$T/bad" \
        --bootfile lab-install.efi --disk "$T/blank.raw" --expect "POCBAKE-INSTALL refused" --log "$T/bad.log" 2>&1)
badlog=$(tr -d '\r' <"$T/bad.log")
case $badlog in *"POCBAKE-INSTALL refused"*) ;; *) diag "pocbake boot said: $out" >&2 ;; esac
like "$badlog" \
        "POCBAKE-INSTALL refused: http://10.0.2.2/host.raw.gz has sha256:[0-9a-f]{64}, the signed boot entry wants sha256:$GZSHA; the disk's first MiB was not written" \
        "an altered image is refused, saying why"
ok "and the disk's first MiB is still blank" cmp -s -n 1048576 "$T/blank.raw" /dev/zero
done_testing
