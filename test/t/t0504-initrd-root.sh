#!/bin/bash
# t0504-initrd-root.sh: the initrd's init finds and checks the root (PARTUUID with a good hash,
# LABEL with a bad one, a squashfs on a CD by label, one fetched over TFTP) and switch_roots
# into it (QEMU, TCG).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || skip_all "no kernel in /boot (linux-image-amd64)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 missing"
for tool in mkfs.ext4 sfdisk mksquashfs xorriso; do
        command -v $tool >/dev/null || skip_all "$tool missing (e2fsprogs, fdisk, squashfs-tools, xorriso)"
done
TIMEOUT=${POCBAKE_BOOT_TIMEOUT:-180}
# quiet CMD...: run CMD, showing its output only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { diag "$out"; return 1; }; }

# A root whose /sbin/init reports which root it is, then powers off.
mkroot() {
        mkdir -p "$1/bin" "$1/sbin" "$1/etc" "$1/dev" "$1/proc" "$1/sys" "$1/run" "$1/tmp"
        cp /bin/busybox "$1/bin/busybox"
        printf '#!/bin/busybox sh\n/bin/busybox echo "POCBAKE-ROOT switched $(/bin/busybox cat /etc/root-id)"\n/bin/busybox poweroff -f\n' >"$1/sbin/init"
        chmod 755 "$1/sbin/init"
        echo "$2" >"$1/etc/root-id"
}

ok "initrd" "$POCBAKE" initrd -o "$T/initrd.img" --compress zstd --module virtio_pci \
        --module virtio_blk --module virtio_scsi --module sr_mod --module ext4 --module iso9660 \
        --module squashfs --module loop --module overlay --module virtio_net

mkroot "$T/ext4root" ext4
ok "ext4 root fs" quiet mkfs.ext4 -q -L pocroot -d "$T/ext4root" "$T/root.ext4" 16M
PARTUUID=5b2c3e1a-7f60-4d2b-9c1e-0a1b2c3d4e5f
truncate -s 20M "$T/disk.img"
printf 'label: gpt\nstart=2048, size=32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s\n' \
        "$PARTUUID" | sfdisk -q "$T/disk.img"
dd if="$T/root.ext4" of="$T/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
HASH=$(sha256sum <"$T/root.ext4" | cut -d' ' -f1)

qemu_direct "$KERNEL" "$T/initrd.img" \
        "console=ttyS0 root=PARTUUID=$PARTUUID pocbake.roothash=sha256:$HASH pocbake.poweroff" \
        "$T/a.log" -drive if=virtio,format=raw,file="$T/disk.img"
wait_for "$T/a.log" "POCBAKE-ROOT switched|refusing" "$TIMEOUT"
diag "PARTUUID boot: ${WAITED}s"
like "$(tr -d '\r' <"$T/a.log")" "root hash verified \(sha256:$HASH\)" "the root's hash is checked"
like "$(tr -d '\r' <"$T/a.log")" "POCBAKE-ROOT switched ext4" "root=PARTUUID found, mounted, switched to"

BAD=$(printf '%064d' 0)
qemu_direct "$KERNEL" "$T/initrd.img" \
        "console=ttyS0 root=LABEL=pocroot pocbake.roothash=sha256:$BAD pocbake.poweroff" \
        "$T/b.log" -drive if=virtio,format=raw,file="$T/disk.img"
wait_for "$T/b.log" "POCBAKE-ROOT switched|refusing to boot" "$TIMEOUT"
diag "bad hash boot: ${WAITED}s"
log=$(tr -d '\r' <"$T/b.log")
like "$log" "root hash mismatch on /dev/vda1: got sha256:$HASH, want sha256:$BAD; refusing to boot" \
        "a wrong root hash is refused with both hashes"
ok "and the root is not entered" sh -c '! printf "%s" "$1" | grep -q "POCBAKE-ROOT switched"' - "$log"

mkroot "$T/sqroot" squashfs
mkdir -p "$T/iso/live"
ok "squashfs root" quiet mksquashfs "$T/sqroot" "$T/iso/live/root.squashfs" -quiet -no-progress -all-root
ok "iso" quiet xorriso -as mkisofs -quiet -V POCISO -o "$T/cd.iso" "$T/iso"
qemu_direct "$KERNEL" "$T/initrd.img" "console=ttyS0 pocbake.root=iso:POCISO pocbake.poweroff" \
        "$T/c.log" -device virtio-scsi-pci -drive if=none,id=cd,media=cdrom,format=raw,file="$T/cd.iso" \
        -device scsi-cd,drive=cd
wait_for "$T/c.log" "POCBAKE-ROOT switched|refusing|no CD|cannot mount" "$TIMEOUT"
diag "iso boot: ${WAITED}s"
like "$(tr -d '\r' <"$T/c.log")" "POCBAKE-ROOT switched squashfs" "pocbake.root=iso: mounts the CD's squashfs and switches to it"

# PXE-style: DHCP and TFTP from QEMU's user network (the server is 10.0.2.2).
SQHASH=$(sha256sum <"$T/iso/live/root.squashfs" | cut -d' ' -f1)
qemu_direct "$KERNEL" "$T/initrd.img" \
        "console=ttyS0 pocbake.root=tftp://10.0.2.2/live/root.squashfs pocbake.roothash=sha256:$SQHASH pocbake.poweroff" \
        "$T/d.log" -netdev user,id=n0,tftp="$T/iso" -device virtio-net-pci,netdev=n0
wait_for "$T/d.log" "POCBAKE-ROOT switched|refusing|no DHCP|cannot fetch|no network" "$TIMEOUT"
diag "tftp boot: ${WAITED}s"
log=$(tr -d '\r' <"$T/d.log")
like "$log" "root hash verified \(sha256:$SQHASH\)" "the fetched root's hash is checked"
like "$log" "POCBAKE-ROOT switched squashfs" "pocbake.root=tftp:// fetches the squashfs and switches to it"
done_testing
