#!/bin/sh
# t0015-quickstart.sh: the README's quick start, run as it stands there: an empty directory to a role of one's own booted under Secure Boot in five commands.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF secure boot firmware missing"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"
[ "$(id -u)" = 0 ] || skip_all "staging a root needs root"

# the fenced block between the markers, without its fences
sed -n '/^<!-- quickstart -->$/,/^<!-- \/quickstart -->$/p' "$TOP/README.md" | sed -e '1,2d' -e '$d' | sed '$d' >"$T/quick.sh"
is "$(grep -c -E '^(pocbake|mkdir|cat) ' "$T/quick.sh")" 5 "the README's quick start is five commands"
mkdir -p "$T/bin" "$T/xdg"
ln -s "$POCBAKE" "$T/bin/pocbake"
(cd "$T" && PATH="$T/bin:$PATH" XDG_CACHE_HOME="$T/xdg" POCBAKE_ACCEL=tcg sh -e "$T/quick.sh") >"$T/out" 2>&1
ok "the quick start runs as written, to a booted role" test $? = 0 || sed 's/^/# /' "$T/out"
like "$(cat "$T/out")" "web: check passed in [0-9]+ s \(ovmf-secboot, accel tcg\)" "and the role's own check passed"
ok "in a directory of its own" test -s "$T/hello/out/web/web.raw"
done_testing
