#!/bin/sh
# t0040: the shipped appliance in the mini profile: all thirteen roles and the host
# build with keys, and each boots under OVMF with Secure Boot and passes its own check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF secure boot firmware missing"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"

"$POCBAKE" keys init --cn-prefix "pocbake TEST" "$T/keys" >/dev/null
"$POCBAKE" build --quiet --json --keys "$T/keys" --cache "$T/cache" -o "$T/out" \
        "$TOP/recipes/poc.yaml" >"$T/events" 2>"$T/err"
ok "the mini appliance builds" test $? = 0 || cat "$T/err" >&2
roles=$(sed -n 's|^  - roles/\(.*\)\.yaml$|\1|p' "$TOP/recipes/poc.yaml")
is "$(echo $roles | wc -w)" 13 "poc.yaml lists thirteen roles"
ok "the host image, the PXE set and the bundle" test -s "$T/out/host/host.raw" -a -s "$T/out/pxe/boot.ipxe" -a -s "$T/out/poc.tar.zst"
for r in $roles; do
        ok "$r: raw, qcow2 and vhdx" test -f "$T/out/$r/$r.raw" -a -f "$T/out/$r/$r.qcow2" -a -f "$T/out/$r/$r.vhdx"
done
roles="$roles host"

# Two guests at a time: TCG runs one vCPU per host thread.
boot_one() {
        "$POCBAKE" boot --accel tcg --timeout 240 -o "$T/out" "$1" >"$T/$1.out" 2>"$T/$1.err"
        echo $? >"$T/$1.rc"
}
set -- $roles
while [ $# -gt 0 ]; do
        boot_one "$1" & p1=$!
        if [ $# -gt 1 ]; then boot_one "$2" & p2=$!; else p2=; fi
        wait $p1 ${p2:+$p2}
        for r in "$1" ${2:+"$2"}; do
                is "$(cat "$T/$r.rc")" 0 "$r boots with Secure Boot and passes its check: $(cat "$T/$r.out")"
                [ "$(cat "$T/$r.rc")" = 0 ] || sed 's/^/# /' "$T/$r.err" | tail -n 15
        done
        shift; [ $# -gt 0 ] && shift
done

# The same host over the network: the PXE set's root is the installed host's
# (UEFI with Secure Boot: OVMF loads the signed UKI over TFTP, the root follows;
# BIOS: the NIC's iPXE runs boot.ipxe, whose menu starts the live entry).
start=$(date +%s)
"$POCBAKE" boot --accel tcg --timeout 480 --pxe "$T/out/pxe" --bootfile poc.efi \
        --expect "POCBAKE-CHECK host ok" --log "$T/pxe.log" >"$T/pxe.out" 2>"$T/pxe.err"
rc=$?
is "$rc" 0 "the host booted over PXE passes its own check ($(($(date +%s) - start)) s)"
[ "$rc" = 0 ] || tail -n 15 "$T/pxe.err" "$T/pxe.log" | sed 's/^/# /'
start=$(date +%s)
"$POCBAKE" boot --accel tcg --firmware seabios --timeout 480 --pxe "$T/out/pxe" --bootfile boot.ipxe \
        --expect "POCBAKE-CHECK host ok" --log "$T/bios.log" >"$T/bios.out" 2>"$T/bios.err"
rc=$?
is "$rc" 0 "the host booted over PXE with BIOS and iPXE passes its own check ($(($(date +%s) - start)) s)"
[ "$rc" = 0 ] || tail -n 15 "$T/bios.err" "$T/bios.log" | sed 's/^/# /'
done_testing
