# install.sh: pocbake's installer, sourced by the initrd's init on pocbake.install (busybox sh).
# Writes the host image from the install medium, or fetched over HTTP, to one disk, reads it
# back and checks its hash.
#
# What it trusts: the install boot entry is a signed UKI (Secure Boot checked it) and its
# command line carries pocbake.install=sha256:HEX, the hash of the raw host image. The
# manifest on the medium must name the same hash and the bytes read back from the disk must
# match it. busybox has no openssl: install/manifest.json.sig is checked when the iso is
# built or verified (openssl cms -verify, pocbake verify), not here. Booted through isolinux
# (BIOS, no Secure Boot) nothing is signed and the hash protects only against bad media.
#
# Over the network (the PXE set's install entries): pocbake.image=URL names the gzip'd image,
# pocbake.imagehash=sha256:HEX its hash and pocbake.imagesize=N the raw size, all on the
# signed command line. The image streams to the disk from its second MiB on while both
# hashes are taken; the first MiB (partition table) is written only once the fetched bytes
# matched, so a refused image leaves a disk that still counts as blank.
#
# Uses from the init: SRC (pocbake.root), POWEROFF, say, emit, halt_boot, find_root, net_up,
# net_url. Command line: pocbake.target=/dev/X (else the only disk whose first MiB is all
# zeros), pocbake.wipe (allow a target that holds data).

inst_stop() {
        how=$1
        shift
        emit "POCBAKE-INSTALL $how: $*"
        halt_boot "install stopped"
}

# The first MiB reads as zeros: no partition table, no filesystem signature.
inst_blank() {
        [ "$(head -c 1048576 "$1" 2>/dev/null | tr -d '\000' | wc -c)" = 0 ]
}

# Disks that could be targets: not the medium, not CD drives, loops or RAM disks, not empty.
inst_disks() {
        for b in /sys/block/*; do
                n=${b##*/}
                case "$n" in loop* | ram* | sr* | zram* | fd*) continue ;; esac
                [ "$n" = "$INST_MEDIA_DISK" ] && continue
                [ "$(cat "$b/size")" -gt 0 ] 2>/dev/null || continue
                echo "/dev/$n"
        done
}

# Sets INST_TARGET (not through $(...): a refusal must reach the console and stop here).
inst_pick_target() {
        found='' count=0
        for dev in $(inst_disks); do
                inst_blank "$dev" && { found="$found $dev"; count=$((count + 1)); }
        done
        case $count in
        1) INST_TARGET=${found# } ;;
        0) inst_stop refused "no empty disk found (disks: $(inst_disks | tr '\n' ' ' | sed 's/ $//'));" \
                "name one with pocbake.target=/dev/... and add pocbake.wipe to overwrite it" ;;
        *) inst_stop refused "more than one empty disk (${found# }); name one with pocbake.target=/dev/..." ;;
        esac
}

# The ISO: the manifest on the medium names the image, its size and hash.
inst_from_media() {
        case "$SRC" in iso:*) ;; *) inst_stop failed "no pocbake.root=iso:LABEL on the command line" ;; esac
        INST_LABEL=${SRC#iso:}
        INST_LABEL=${INST_LABEL%%:*}
        INST_MEDIA=$(find_root "LABEL=$INST_LABEL") || inst_stop failed "no medium labelled \"$INST_LABEL\""
        INST_MEDIA_DISK=${INST_MEDIA##*/}
        [ -e "/sys/class/block/$INST_MEDIA_DISK/partition" ] &&
                INST_MEDIA_DISK=$(basename "$(readlink -f "/sys/class/block/$INST_MEDIA_DISK/..")")
        mkdir -p /run/media
        mount -t iso9660 -o ro "$INST_MEDIA" /run/media || inst_stop failed "cannot mount $INST_MEDIA"

        M=/run/media/install/manifest.json
        [ -r "$M" ] || inst_stop failed "no install/manifest.json on $INST_MEDIA"
        INST_SHA=$(sed -n 's/^  "sha256": "\([0-9a-f]*\)",\{0,1\}$/\1/p' "$M")
        INST_SIZE=$(sed -n 's/^  "size": \([0-9]*\),\{0,1\}$/\1/p' "$M")
        INST_IMG=/run/media/$(sed -n 's/^  "image": "\([^"]*\)",\{0,1\}$/\1/p' "$M")
        if [ ${#INST_SHA} != 64 ] || [ -z "$INST_SIZE" ] || [ ! -f "$INST_IMG" ]; then
                inst_stop failed "$M names no image, size or sha256"
        fi
        if [ -n "$INST_WANT" ]; then
                [ "$INST_WANT" = "$INST_SHA" ] || inst_stop refused \
                        "the manifest names sha256:$INST_SHA, the signed boot entry sha256:$INST_WANT"
        else
                say "install: no pocbake.install=sha256: on the command line; trusting the manifest"
        fi
}

# Over HTTP: everything comes from the command line; the network comes up now.
inst_from_net() {
        [ ${#INST_GZSHA} = 64 ] || inst_stop failed "pocbake.image needs pocbake.imagehash=sha256:HEX"
        case "$INST_SIZE" in '' | *[!0-9]*) inst_stop failed "pocbake.image needs pocbake.imagesize=BYTES" ;; esac
        [ "$INST_SIZE" -gt 1048576 ] || inst_stop failed "pocbake.imagesize=$INST_SIZE: expected more than 1 MiB"
        net_up "$INST_URL"
        INST_URL=$(net_url "$INST_URL")
        INST_IMG=$INST_URL
}

# Stream URL to the target from its second MiB on, hashing the gzip'd and the raw
# bytes on the way; then the first MiB if the fetched bytes are the signed ones.
inst_write_net() {
        rm -f /run/inst.gz /run/inst.raw
        mkfifo /run/inst.gz /run/inst.raw || inst_stop failed "cannot make fifos in /run"
        sha256sum </run/inst.gz >/run/inst.gz.sum &
        sha256sum </run/inst.raw >/run/inst.raw.sum &
        wget -q -O - "$INST_URL" | tee /run/inst.gz | gunzip -c | tee /run/inst.raw | {
                # dd, not head: head reads through stdio and takes more than it prints
                dd of=/run/inst.head bs=1M count=1 iflag=fullblock 2>/dev/null
                dd of="$INST_TARGET" bs=1M seek=1 iflag=fullblock conv=notrunc,fsync 2>/dev/null
        }
        wait
        INST_GOT=$(cut -d' ' -f1 /run/inst.gz.sum)
        if [ "$INST_GOT" != "$INST_GZSHA" ]; then
                # without its first MiB the disk holds no partition table; the backup
                # GPT at the image's end goes too
                dd if=/dev/zero of="$INST_TARGET" bs=1M count=1 seek=$((INST_SIZE / 1048576 - 1)) \
                        conv=notrunc,fsync 2>/dev/null
                inst_stop refused "$INST_URL has sha256:$INST_GOT, the signed boot entry wants" \
                        "sha256:$INST_GZSHA; the disk's first MiB was not written"
        fi
        [ "$(wc -c </run/inst.head)" = 1048576 ] || inst_stop failed "$INST_URL is shorter than 1 MiB"
        dd if=/run/inst.head of="$INST_TARGET" bs=1M count=1 conv=notrunc,fsync 2>/dev/null ||
                inst_stop failed "cannot write $INST_TARGET"
        INST_SHA=$(cut -d' ' -f1 /run/inst.raw.sum)
}

INST_WANT='' INST_TARGET='' INST_WIPE='' INST_URL='' INST_GZSHA='' INST_SIZE='' INST_MEDIA_DISK=''
for arg in $(cat /proc/cmdline); do
        case "$arg" in
        pocbake.install=sha256:*) INST_WANT=${arg#pocbake.install=sha256:} ;;
        pocbake.target=*) INST_TARGET=${arg#pocbake.target=} ;;
        pocbake.wipe) INST_WIPE=1 ;;
        pocbake.image=*) INST_URL=${arg#pocbake.image=} ;;
        pocbake.imagehash=sha256:*) INST_GZSHA=${arg#pocbake.imagehash=sha256:} ;;
        pocbake.imagesize=*) INST_SIZE=${arg#pocbake.imagesize=} ;;
        esac
done
if [ -n "$INST_URL" ]; then inst_from_net; else inst_from_media; fi

[ -n "$INST_TARGET" ] || inst_pick_target
[ -b "$INST_TARGET" ] || inst_stop failed "target $INST_TARGET is not a block device"
[ "${INST_TARGET##*/}" = "$INST_MEDIA_DISK" ] && inst_stop refused "$INST_TARGET is the install medium"
inst_blank "$INST_TARGET" || [ -n "$INST_WIPE" ] || inst_stop refused \
        "$INST_TARGET holds data (its first MiB is not empty); add pocbake.wipe to overwrite it"
INST_BYTES=$(($(cat "/sys/class/block/${INST_TARGET##*/}/size") * 512))
[ "$INST_BYTES" -ge "$INST_SIZE" ] ||
        inst_stop refused "$INST_TARGET has $INST_BYTES bytes, the image needs $INST_SIZE"

say "install: writing ${INST_IMG#/run/media} ($INST_SIZE bytes) to $INST_TARGET"
if [ -n "$INST_URL" ]; then
        inst_write_net
else
        gunzip -c "$INST_IMG" | dd of="$INST_TARGET" bs=1M conv=fsync 2>/dev/null ||
                inst_stop failed "cannot write $INST_TARGET"
fi
# Read the disk, not the page cache.
sync
blockdev --flushbufs "$INST_TARGET" 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
INST_GOT=$(head -c "$INST_SIZE" "$INST_TARGET" | sha256sum | cut -d' ' -f1)
[ "$INST_GOT" = "$INST_SHA" ] ||
        inst_stop failed "$INST_TARGET reads back as sha256:$INST_GOT, want sha256:$INST_SHA"
[ -n "$INST_URL" ] || umount /run/media
emit "POCBAKE-INSTALL done: $INST_TARGET sha256:$INST_SHA"
[ -n "$POWEROFF" ] && poweroff -f
reboot -f
