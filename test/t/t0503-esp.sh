#!/bin/bash
# t0503-esp.sh: pocbake esp: the tree, signatures (sbverify), loader.conf per enroll mode, and
# inputs checked before anything is written.
. "$(dirname "$0")/lib.sh"

[ -r /usr/lib/systemd/boot/efi/systemd-bootx64.efi ] || skip_all "systemd-boot-efi missing"
command -v sbverify >/dev/null || skip_all "sbverify (sbsigntool) missing"

head -c 20000 /dev/urandom >"$T/vmlinuz"
ok "--help" sh -c '"$1" esp --help | grep -q "^usage: pocbake esp"' - "$POCBAKE"
ok "keys init" "$POCBAKE" keys init "$T/keys"
ok "uki" "$POCBAKE" uki -o "$T/app.efi" --kernel "$T/vmlinuz" --uname 1.0 --cmdline quiet

# Before enrollment files exist: refused, nothing written.
err=$("$POCBAKE" esp "$T/esp0" --keys "$T/keys" --uki "$T/app.efi" 2>&1)
is "$?" 2 "missing .auth files exit 2"
like "$err" "enrollment file \(run \"pocbake keys enroll\"\) \"$T/keys/PK.auth\"" "the missing file is named"
ok "nothing written" test ! -e "$T/esp0"

ok "keys enroll" "$POCBAKE" keys enroll "$T/keys"
ok "esp" "$POCBAKE" esp "$T/esp" --keys "$T/keys" --uki "$T/app.efi"
files=$(cd "$T/esp" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
is "$files" "./EFI/BOOT/BOOTX64.EFI ./EFI/Linux/app.efi ./EFI/systemd/systemd-bootx64.efi ./loader/keys/auto/KEK.auth ./loader/keys/auto/PK.auth ./loader/keys/auto/db.auth ./loader/loader.conf " "esp tree"
for f in EFI/BOOT/BOOTX64.EFI EFI/systemd/systemd-bootx64.efi EFI/Linux/app.efi; do
        ok "$f signed with db (sbverify)" sh -c 'sbverify --cert "$1" "$2" >/dev/null 2>&1' - "$T/keys/db.crt" "$T/esp/$f"
        ok "$f does not verify against PK" sh -c '! sbverify --cert "$1" "$2" >/dev/null 2>&1' - "$T/keys/PK.crt" "$T/esp/$f"
done
ok "PK.auth copied" cmp "$T/keys/PK.auth" "$T/esp/loader/keys/auto/PK.auth"
conf=$(grep -v '^#' "$T/esp/loader/loader.conf")
is "$conf" "$(printf 'timeout 0\ndefault app.efi\neditor no\nconsole-mode keep\nsecure-boot-enroll force')" "loader.conf (force)"

ok "esp --enroll off" "$POCBAKE" esp "$T/esp-off" --keys "$T/keys" --uki "$T/app.efi" --enroll off --timeout 5
like "$(cat "$T/esp-off/loader/loader.conf")" "secure-boot-enroll off" "loader.conf (off)"
like "$(cat "$T/esp-off/loader/loader.conf")" "timeout 5" "loader.conf timeout"
ok "no keys with --enroll off" test ! -e "$T/esp-off/loader/keys"
ok "esp --enroll manual" "$POCBAKE" esp "$T/esp-m" --keys "$T/keys" --uki "$T/app.efi" --enroll manual
like "$(cat "$T/esp-m/loader/loader.conf")" "secure-boot-enroll manual" "loader.conf (manual)"
ok "keys offered with manual" test -e "$T/esp-m/loader/keys/auto/db.auth"

err=$("$POCBAKE" esp "$T/x" --keys "$T/keys" --uki "$T/app.efi" --enroll sometimes 2>&1)
is "$?" 2 "bad --enroll is a usage error"
like "$err" '--enroll "sometimes": expected force, manual or off' "bad --enroll is named"
cp "$T/app.efi" "$T/app.img"
err=$("$POCBAKE" esp "$T/x" --keys "$T/keys" --uki "$T/app.img" 2>&1)
is "$?" 2 "a uki not named .efi exits 2"
like "$err" "the name must end in .efi" "a uki not named .efi is explained"
err=$("$POCBAKE" esp "$T/x" --keys "$T/keys" 2>&1)
is "$?" 2 "no --uki is a usage error"
ok "nothing written on errors" test ! -e "$T/x"
done_testing
