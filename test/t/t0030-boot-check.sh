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

# No keys, no surprise: the chain goes in unsigned, the build says so once, the
# disk boots with Secure Boot off, and boot under ovmf-secboot says why not at once
"$POCBAKE" build --quiet --cache "$T/cache" -o "$T/nokeys" --role alpha "$T/r/app.yaml" 2>"$T/enk"
ok "a build without keys" test $? = 0 || cat "$T/enk" >&2
is "$(grep -c 'warning: no --keys: the boot chain on 1 disk is unsigned; it boots with Secure Boot off' "$T/enk")" 1 \
        "it warns once that the boot chain is unsigned"
part=$(sfdisk --json "$T/nokeys/alpha/alpha.raw" | jq -r '.partitiontable.partitions[0].start')
is "$(mdir -b -i "$T/nokeys/alpha/alpha.raw@@$((part * 512))" ::/EFI/BOOT ::/EFI/Linux 2>/dev/null | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "BOOTX64.EFI alpha.efi " "its ESP has the loader and the role's UKI"
"$POCBAKE" boot --accel tcg --firmware ovmf --timeout 180 "$T/nokeys/alpha/alpha.raw" >"$T/onk" 2>"$T/enk"
is "$?" 0 "it boots under OVMF without Secure Boot, and its check passes"
"$POCBAKE" boot --accel tcg --timeout 600 "$T/nokeys/alpha/alpha.raw" >"$T/onk" 2>"$T/enk"
is "$? $(cat "$T/enk")" \
        "1 pocbake boot: $T/nokeys/alpha/alpha.raw: its boot loader (EFI/BOOT/BOOTX64.EFI on the ESP) is unsigned, which Secure Boot refuses (built without --keys?); boot it with --firmware ovmf, or build with --keys" \
        "under ovmf-secboot it is refused before QEMU starts, with the reason"
# a disk with nothing to boot: the firmware's shell is seen on the console at once
truncate -s 64M "$T/blank.raw"
"$POCBAKE" boot --accel tcg --firmware ovmf --timeout 600 "$T/blank.raw" >/dev/null 2>"$T/eb"
is "$?" 1 "a disk the firmware cannot boot exits 1"
like "$(head -n 1 "$T/eb")" "blank.raw: the firmware found nothing it could start and stopped in its UEFI shell after [0-9]+ s" \
        "the UEFI shell is recognised on the console, not waited out (timeout 600 s)"
rm -f "$T/blank.raw"

"$POCBAKE" boot --accel tcg --timeout 180 --log "$T/beta.log" "$T/out/beta/beta.qcow2" >"$T/o2" 2>"$T/e2"; rc=$?
is "$rc" 1 "beta's failing check exits 1"
like "$(cat "$T/e2")" "the role's check failed" "the failure is named"
ok "what boot prints holds no escape sequence" sh -c "! grep -q \"\$(printf '\\033')\" '$T/e2'"
like "$(cat "$T/e2")" "pocbake-check: the answer is no" "the check's output is shown"
like "$(cat "$T/beta.log")" "POCBAKE-CHECK beta failed" "--log keeps the console"
like "$(cat "$T/e2")" "nics: lo$" "without --nic the VM has no NIC"
"$POCBAKE" boot --accel tcg --nic --timeout 180 "$T/out/beta/beta.qcow2" >/dev/null 2>"$T/e4"
like "$(cat "$T/e4")" "nics: eth0 lo" "--nic gives the VM a NIC"

"$POCBAKE" boot -o "$T/out" no-such-role 2>"$T/e3"; rc=$?
is "$rc" 2 "an unknown role is a usage error"
like "$(cat "$T/e3")" 'no-such-role" is neither an image nor a role' "and says so"
done_testing
