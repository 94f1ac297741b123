#!/bin/sh
# t0030: pocbake boot runs a built role under OVMF Secure Boot and reports the role's
# boot-time check: a passing check exits 0, a failing one exits 1 with the role's output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF secure boot firmware missing"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"

cp -r "$TOP/test/data/sample" "$T/r"
# the check also shows the root mounted read-write (the command line says rw), the
# role's kernel.modules loaded by the initrd, and the ESP mountable (vfat's codepage
# and charset modules are there)
cat >>"$T/r/roles/alpha.yaml" <<'YAML'
kernel: {cmdline: "console=ttyS0 pocbake.marker", modules: [nf_tables]}
check: {command: "touch /rw-probe && grep -q '^nf_tables ' /proc/modules && mount -t vfat /dev/vda1 /mnt && test -d /mnt/loader && cat /etc/motd", expect: "welcome to alpha", timeout: 60}
YAML
cat >>"$T/r/roles/beta.yaml" <<'YAML'
check: {command: "echo the answer is no; echo nics: $(ls /sys/class/net)", expect: "yes", timeout: 4}
YAML
"$POCBAKE" keys init "$T/keys" >/dev/null
"$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" 2>"$T/err"
ok "build with keys" test $? = 0 || cat "$T/err" >&2

"$POCBAKE" boot --accel tcg --timeout 180 -o "$T/out" alpha >"$T/o1" 2>"$T/e1"; rc=$?
is "$rc" 0 "alpha boots and its check passes"
like "$(cat "$T/o1")" "^alpha: check passed in [0-9]+ s \(ovmf-secboot, accel tcg\)" "boot reports the pass"
ok "the image was not written by the boot" cmp -s "$T/out/alpha/alpha.raw" "$T/cache/objects/$(
        "$POCBAKE" plan --json --cache "$T/cache" --keys "$T/keys" "$T/r/app.yaml" |
        jq -r 'select(.node=="disk:alpha") | .key')/disk.raw"

"$POCBAKE" boot --accel tcg --timeout 180 --log "$T/beta.log" "$T/out/beta/beta.qcow2" >"$T/o2" 2>"$T/e2"; rc=$?
is "$rc" 1 "beta's failing check exits 1"
like "$(cat "$T/e2")" "the role's check failed" "the failure is named"
like "$(cat "$T/e2")" "pocbake-check: the answer is no" "the check's output is shown"
like "$(cat "$T/beta.log")" "POCBAKE-CHECK beta failed" "--log keeps the console"
like "$(cat "$T/e2")" "nics: lo[^[:alnum:]]" "without --nic the VM has no NIC"
"$POCBAKE" boot --accel tcg --nic --timeout 180 "$T/out/beta/beta.qcow2" >/dev/null 2>"$T/e4"
like "$(cat "$T/e4")" "nics: eth0 lo" "--nic gives the VM a NIC"

"$POCBAKE" boot -o "$T/out" no-such-role 2>"$T/e3"; rc=$?
is "$rc" 2 "an unknown role is a usage error"
like "$(cat "$T/e3")" 'no-such-role" is neither an image nor a role' "and says so"
done_testing
