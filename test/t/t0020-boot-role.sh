#!/bin/sh
# t0020: a role disk built with keys boots under OVMF with Secure Boot: systemd-boot
# enrolls the keys from the ESP, the signed UKI boots, the init finds the root by
# PARTUUID and the role's busybox init comes up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF secure boot firmware missing"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"

"$POCBAKE" keys init "$T/keys" >/dev/null
ok "throwaway keys" test -r "$T/keys/db.key"
"$POCBAKE" build --quiet --keys "$T/keys" --role alpha --cache "$T/cache" -o "$T/out" \
        "$TOP/test/data/sample/app.yaml" 2>"$T/err"
ok "build with keys succeeds" test $? = 0 || cat "$T/err" >&2
disk=$T/out/alpha/alpha.raw
off=$(sfdisk --json "$disk" | jq '.partitiontable.partitions[0].start * 512')
for f in EFI/BOOT/BOOTX64.EFI EFI/systemd/systemd-bootx64.efi EFI/Linux/alpha.efi; do
        mcopy -n -i "$disk@@$off" "::/$f" "$T/x.efi" 2>/dev/null
        ok "$f is signed with db (sbverify)" sh -c "sbverify --cert '$T/keys/db.crt' '$T/x.efi' >/dev/null 2>&1"
        rm -f "$T/x.efi"
done
for k in PK KEK db; do
        ok "loader/keys/auto/$k.auth on the ESP" sh -c "mdir -i '$disk@@$off' ::/loader/keys/auto/$k.auth >/dev/null"
done
is "$(mtype -i "$disk@@$off" ::/hello.txt)" "on the esp" "the recipe's ESP files are kept"

. "$QEMU_PROFILE"
cp "$FIRMWARE_VARS_TEMPLATE" "$T/vars.fd"
qemu_uefi_secure "$T/vars.fd" "$disk" "$T/serial.log"
wait_for "$T/serial.log" "pocbake: alpha up" 240; rc=$?
is "$rc" 0 "enrolls, boots the signed UKI and reaches the role's init (${WAITED} s)"
like "$(cat "$T/serial.log")" "POCBAKE-MARKER secureboot=1" "SecureBoot variable is 1"
[ "$rc" = 0 ] || tail -n 30 "$T/serial.log" | sed -e 's/^/# /' -e '$a\'
done_testing
