# qemu.sh: QEMU helpers for boot tests (source after lib.sh): UEFI Secure Boot launch,
# serial-log watching, cleanup. Always TCG: KVM guests hang on the build machines.
#   qemu_uefi_secure VARS DISK LOG [QEMU ARGS...]  start QEMU in the background; sets QEMU_PID
#   wait_for LOG REGEX TIMEOUT  0 when REGEX shows in LOG, 2 on "Access Denied", 3 when QEMU
#                               ended first, 1 on timeout; QEMU is killed in every case;
#                               WAITED holds the seconds it took
#   qemu_direct KERNEL INITRD APPEND LOG [QEMU ARGS...]  direct kernel boot (SeaBIOS); sets QEMU_PID
#   qemu_cleanup                kill a QEMU still running (installed in the EXIT trap)
QEMU_PID=
WAITED=0
QEMU_PROFILE=${QEMU_PROFILE:-$TOP/firmware/qemu/ovmf-secboot.profile}

qemu_cleanup() {
        if [ -n "$QEMU_PID" ]; then
                kill "$QEMU_PID" 2>/dev/null
                wait "$QEMU_PID" 2>/dev/null
        fi
        QEMU_PID=
}
trap 'qemu_cleanup; rm -rf "$T"' EXIT

# have_qemu_uefi_secure: 0 when QEMU and the Secure Boot OVMF build are installed.
have_qemu_uefi_secure() {
        # shellcheck source=/dev/null
        . "$QEMU_PROFILE" || return 1
        command -v qemu-system-x86_64 >/dev/null && [ -r "$FIRMWARE_CODE" ] &&
                [ -r "$FIRMWARE_VARS_TEMPLATE" ]
}

qemu_uefi_secure() {
        local vars=$1 disk=$2 log=$3
        shift 3
        # shellcheck source=/dev/null
        . "$QEMU_PROFILE"
        : >"$log"
        # $MACHINE_ARGS is a list of words on purpose.
        # shellcheck disable=SC2086
        qemu-system-x86_64 -accel tcg -m 1024 -machine "$MACHINE" $MACHINE_ARGS \
                -drive if=pflash,format=raw,unit=0,readonly=on,file="$FIRMWARE_CODE" \
                -drive if=pflash,format=raw,unit=1,file="$vars" \
                -display none -serial file:"$log" -monitor none -net none \
                -drive if=virtio,format=raw,file="$disk" "$@" </dev/null >"$log.qemu" 2>&1 &
        QEMU_PID=$!
}

wait_for() {
        local log=$1 re=$2 timeout=$3 start rc
        start=$(date +%s)
        while :; do
                WAITED=$(($(date +%s) - start))
                if grep -Eaq -- "$re" "$log"; then rc=0; break; fi
                if grep -aq "Access Denied" "$log"; then rc=2; break; fi
                if ! kill -0 "$QEMU_PID" 2>/dev/null; then
                        grep -Eaq -- "$re" "$log" && rc=0 || rc=3
                        break
                fi
                if [ "$WAITED" -ge "$timeout" ]; then rc=1; break; fi
                sleep 0.5
        done
        qemu_cleanup
        return $rc
}

# qemu_direct KERNEL INITRD APPEND LOG [QEMU ARGS...]: the kernel loaded by QEMU itself
# (SeaBIOS), for tests of the initrd alone; sets QEMU_PID.
qemu_direct() {
        local kernel=$1 initrd=$2 append=$3 log=$4
        shift 4
        : >"$log"
        qemu-system-x86_64 -accel tcg -m 1024 -machine q35 -nodefaults -display none \
                -serial file:"$log" -monitor none -kernel "$kernel" -initrd "$initrd" \
                -append "$append" "$@" </dev/null >"$log.qemu" 2>&1 &
        QEMU_PID=$!
}
