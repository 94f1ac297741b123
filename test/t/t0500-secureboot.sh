#!/bin/bash
# t0500-secureboot.sh: keys -> initrd -> signed UKI -> ESP; OVMF enrolls via systemd-boot and
# boots with Secure Boot on; a UKI changed after signing is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || skip_all "no kernel in /boot (linux-image-amd64)"
have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF Secure Boot firmware missing"
for tool in mkfs.vfat mcopy sfdisk; do
        command -v $tool >/dev/null || skip_all "$tool missing (dosfstools, mtools, fdisk)"
done
[ -r /usr/lib/systemd/boot/efi/systemd-bootx64.efi ] || skip_all "systemd-boot-efi missing"
TIMEOUT=${POCBAKE_BOOT_TIMEOUT:-180}

# mkdisk TREE DISK: a GPT disk whose only partition is an ESP holding TREE.
mkdisk() {
        rm -f "$2.fat" "$2"
        mkfs.vfat -n ESP -C "$2.fat" $((40 * 1024)) >/dev/null &&
                mcopy -s -i "$2.fat" "$1"/* :: &&
                truncate -s 48M "$2" &&
                printf 'label: gpt\nstart=2048, size=81920, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n' |
                sfdisk -q "$2" &&
                dd if="$2.fat" of="$2" bs=1M seek=1 conv=notrunc,sparse status=none &&
                rm -f "$2.fat"
}

ok "keys init" "$POCBAKE" keys init "$T/keys"
ok "keys enroll" "$POCBAKE" keys enroll "$T/keys"
ok "initrd with the marker init" "$POCBAKE" initrd -o "$T/initrd.img" --module efivarfs --compress zstd
ok "signed uki" "$POCBAKE" uki -o "$T/poc.efi" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --cmdline "console=ttyS0 pocbake.marker pocbake.poweroff" \
        --key "$T/keys/db.key" --cert "$T/keys/db.crt"
ok "esp tree" "$POCBAKE" esp "$T/esp" --keys "$T/keys" --uki "$T/poc.efi"
conf=$(cat "$T/esp/loader/loader.conf" 2>&1)
like "$conf" "secure-boot-enroll force" "loader.conf enrolls by force"
like "$conf" "default poc.efi" "loader.conf boots the uki by default"
# quiet CMD...: run CMD, showing its output only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { diag "$out"; return 1; }; }
ok "systemd-boot signed with db" quiet "$POCBAKE" verify efi "$T/esp/EFI/BOOT/BOOTX64.EFI" --cert "$T/keys/db.crt"
ok "uki signed with db" quiet "$POCBAKE" verify efi "$T/esp/EFI/Linux/poc.efi" --cert "$T/keys/db.crt"
is "$(ls "$T/esp/loader/keys/auto" | tr '\n' ' ')" "KEK.auth PK.auth db.auth " "enrollment files in loader/keys/auto"

ok "gpt disk with the esp" mkdisk "$T/esp" "$T/disk.img"
cp "$FIRMWARE_VARS_TEMPLATE" "$T/vars.fd"

# Boot 1: setup mode; systemd-boot enrolls PK/KEK/db and resets, then the UKI boots.
qemu_uefi_secure "$T/vars.fd" "$T/disk.img" "$T/boot1.log"
wait_for "$T/boot1.log" "POCBAKE-MARKER secureboot=" "$TIMEOUT"
rc=$?
diag "enrollment boot: ${WAITED}s (rc $rc)"
log=$(tr -d '\r' <"$T/boot1.log" | grep -a "POCBAKE-MARKER" | head -n 1)
is "$log" "POCBAKE-MARKER secureboot=1" "enrolled, the signed uki boots with Secure Boot on"
[ "$rc" = 0 ] || diag "$(tail -n 20 "$T/boot1.log")"

# Boot 2: enrolled now, the same disk boots straight to the UKI.
qemu_uefi_secure "$T/vars.fd" "$T/disk.img" "$T/boot2.log"
wait_for "$T/boot2.log" "POCBAKE-MARKER secureboot=" "$TIMEOUT"
diag "enrolled boot: ${WAITED}s (rc $?)"
log=$(tr -d '\r' <"$T/boot2.log" | grep -a "POCBAKE-MARKER" | head -n 1)
is "$log" "POCBAKE-MARKER secureboot=1" "the enrolled firmware boots the signed uki again"

# Boot 3: the same UKI with one byte of .cmdline changed after signing.
cp -r "$T/esp" "$T/esp2"
off=$(objdump -h "$T/esp2/EFI/Linux/poc.efi" | awk '$2 == ".cmdline" { print $6 }')
ok "found .cmdline in the uki" test -n "$off"
printf 'C' | dd of="$T/esp2/EFI/Linux/poc.efi" bs=1 seek=$((0x$off)) conv=notrunc status=none
ok "tampered uki fails pocbake verify" \
        sh -c '! "$1" verify efi "$2" --cert "$3" 2>/dev/null' - "$POCBAKE" \
        "$T/esp2/EFI/Linux/poc.efi" "$T/keys/db.crt"
ok "gpt disk with the tampered uki" mkdisk "$T/esp2" "$T/disk2.img"
qemu_uefi_secure "$T/vars.fd" "$T/disk2.img" "$T/boot3.log"
wait_for "$T/boot3.log" "POCBAKE-MARKER" "$TIMEOUT"
rc=$?
diag "refusal boot: ${WAITED}s (rc $rc)"
is "$rc" 2 "the firmware refuses the tampered uki"
like "$(tr -d '\r' <"$T/boot3.log")" "poc.efi.*Access Denied" "the refusal names the uki and Access Denied"
done_testing
