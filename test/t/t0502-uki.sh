#!/bin/bash
# t0502-uki.sh: pocbake uki: sections and sizes read back with objdump, signing checked with
# sbverify, determinism, error messages.
. "$(dirname "$0")/lib.sh"

STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -r "$STUB" ] || skip_all "systemd-boot-efi missing"
command -v objdump >/dev/null || skip_all "objdump (binutils) missing"
KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || skip_all "no kernel in /boot (linux-image-amd64)"

head -c 300000 /dev/urandom >"$T/initrd.img"
printf 'NAME=test\nID=test\nVERSION_ID=1\n' >"$T/os-release"
CMDLINE="console=ttyS0 root=LABEL=root ro"

ok "--help" sh -c '"$1" uki --help | grep -q "^usage: pocbake uki"' - "$POCBAKE"
ok "uki" "$POCBAKE" uki -o "$T/a.efi" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --cmdline "$CMDLINE" --os-release "$T/os-release"
ok "uki again" "$POCBAKE" uki -o "$T/b.efi" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --cmdline "$CMDLINE" --os-release "$T/os-release"
ok "same inputs, same bytes" cmp "$T/a.efi" "$T/b.efi"

# size NAME: the section's size as objdump prints it (hex, 8 digits).
size() { objdump -h "$T/a.efi" | awk -v n="$1" '$2 == n { print $3 }'; }
hex() { printf '%08x' "$1"; }
is "$(size .linux)" "$(hex "$(stat -c %s "$KERNEL")")" ".linux holds the kernel"
is "$(size .initrd)" "$(hex 300000)" ".initrd holds the initrd"
is "$(size .cmdline)" "$(hex ${#CMDLINE})" ".cmdline holds the command line"
is "$(size .osrel)" "$(hex "$(stat -c %s "$T/os-release")")" ".osrel holds os-release"
uname=$(basename "$KERNEL" | sed 's/^vmlinuz-//')
is "$(size .uname)" "$(hex ${#uname})" ".uname holds the kernel release read from the kernel"
is "$(objdump -h "$T/a.efi" | awk '/^ *[0-9]+ \./ { n = $2 } END { print n }')" ".linux" ".linux is the last section"
is "$(objdump -h "$T/a.efi" | grep -c ' \.sbat ')" 1 "one .sbat section (the stub's)"
ok "sbverify reads it (unsigned)" sh -c 'sbverify --list "$1" 2>&1 | grep -q "No signature table present"' - "$T/a.efi"

ok "keys" "$POCBAKE" keys init "$T/keys"
ok "signed uki" "$POCBAKE" uki -o "$T/s.efi" --kernel "$KERNEL" --initrd "$T/initrd.img" \
        --cmdline "$CMDLINE" --key "$T/keys/db.key" --cert "$T/keys/db.crt"
ok "sbverify accepts the signature" sh -c 'sbverify --cert "$1" "$2" >/dev/null' - "$T/keys/db.crt" "$T/s.efi"
ok "no unsigned leftovers" test ! -e "$T/s.efi.unsigned"

ok "sbat merged" "$POCBAKE" uki -o "$T/sb.efi" --kernel "$KERNEL" --cmdline x --sbat "$TOP/firmware/sbat.csv"
like "$(objdump -s -j .sbat "$T/sb.efi")" "\\.pocbake,1,pocba" "the stub's .sbat has the pocbake line"
printf 'pocbake.uki,1,The pocbake developers,pocbake,0.1.0,https://example.org/pocbake/uki\n' >"$T/long.csv"
err=$("$POCBAKE" uki -o "$T/x.efi" --kernel "$KERNEL" --cmdline x --sbat "$T/long.csv" 2>&1)
is "$?" 1 "too long sbat fails"
like "$err" "merged SBAT of [0-9]+ bytes does not fit the .sbat section of stub" "too long sbat is explained"
err=$("$POCBAKE" uki -o "$T/x.efi" --kernel "$T/nope" --cmdline x 2>&1)
is "$?" 2 "a missing kernel exits 2"
like "$err" "cannot read kernel \"$T/nope\"" "missing kernel is named"
err=$("$POCBAKE" uki -o "$T/x.efi" --kernel "$T/os-release" --cmdline x 2>&1)
like "$err" "no x86 boot header with a version string; give the release with --uname" "not a kernel"
err=$("$POCBAKE" uki -o "$T/x.efi" --kernel "$KERNEL" --cmdline x --key "$T/keys/db.key" 2>&1)
is "$?" 2 "--key without --cert is a usage error"
like "$err" "--key and --cert go together" "--key without --cert is explained"
ok "no output on failure" test ! -e "$T/x.efi"
done_testing
