#!/bin/bash
# t0750-iso.sh: the hybrid ISO: layout, El Torito entries, ESP, signed manifest, reproducibility,
# bad input; boots under UEFI Secure Boot as a CD and as a USB stick, and under SeaBIOS (TCG).
. "$(dirname "$0")/lib.sh"

[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] || skip_all "no kernel in /boot (linux-image-amd64)"
for tool in xorriso mksquashfs mkfs.vfat mcopy mdir debugfs openssl sfdisk qemu-system-x86_64; do
        command -v $tool >/dev/null || skip_all "$tool missing (xorriso, squashfs-tools, dosfstools, mtools, e2fsprogs, openssl, fdisk, qemu-system-x86)"
done
[ -r /usr/lib/ISOLINUX/isolinux.bin ] || skip_all "isolinux missing"
TIMEOUT=${POCBAKE_BOOT_TIMEOUT:-180}
K=$T/keys

# quiet CMD...: run CMD, showing its output only when it fails.
quiet() { local out; out=$("$@" 2>&1) || { diag "$out"; return 1; }; }

ok "keys init" quiet "$POCBAKE" keys init "$K" --cn-prefix t0750
ok "build the sample role alpha" quiet "$POCBAKE" build "$TOP/test/data/sample/app.yaml" --role alpha \
        --keys "$K" -o "$T/out"
IMG=$T/out/alpha/alpha.raw
echo "release notes" >"$T/notes.txt"

iso() { "$POCBAKE" iso --keys "$K" --image "$IMG" --cmdline "console=ttyS0 pocbake.marker" \
        --timeout 0 --payload extra/notes.txt="$T/notes.txt" "$@"; }

start=$(date +%s.%N)
out=$(iso -o "$T/a.iso" 2>&1)
is "$? $out" "0 $T/a.iso: hybrid iso written (label POCBAKE, default entry live)" "pocbake iso writes the iso"
diag "iso build: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s, $(($(stat -c %s "$T/a.iso") / 1048576)) MiB"
iso -o "$T/b.iso" >/dev/null 2>&1
ok "two builds are byte-identical" cmp "$T/a.iso" "$T/b.iso"
is "$(ls -a "$T" | grep -c '^\.a\.iso\.')" 0 "no work directory is left beside the output"

eltorito=$(xorriso -indev "$T/a.iso" -report_el_torito plain 2>/dev/null)
like "$eltorito" "El Torito boot img : +1 +BIOS +y +none" "El Torito entry 1 boots BIOS (isolinux)"
like "$eltorito" "El Torito img path : +1 +/isolinux/isolinux.bin" "the BIOS entry is isolinux.bin"
like "$eltorito" "El Torito boot img : +2 +UEFI +y +none" "El Torito entry 2 boots UEFI"
files=$(xorriso -indev "$T/a.iso" -find / -type f 2>/dev/null | tr -d "'" | sort | tr '\n' ' ')
is "$files" "/extra/notes.txt /install/host.raw.gz /install/manifest.json /install/manifest.json.sig /isolinux/isolinux.bin /isolinux/isolinux.cfg /isolinux/ldlinux.c32 /live/initrd.img /live/root.squashfs /live/vmlinuz " \
        "the iso 9660 tree holds isolinux, the live system, the install image and the payload"

# The ESP is GPT partition 2 (hybrid: also found when the file is a USB stick).
part=$(sfdisk -d "$T/a.iso" | grep -i "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
like "$part" "a.iso2 : start=" "GPT partition 2 is the ESP"
esp_start=$(echo "$part" | sed 's/.*start= *\([0-9]*\),.*/\1/')
esp_size=$(echo "$part" | sed 's/.*size= *\([0-9]*\),.*/\1/')
ok "the ESP is under El Torito's 32 MiB" test "$esp_size" -lt 65536
dd if="$T/a.iso" of="$T/esp.img" bs=512 skip="$esp_start" count="$esp_size" status=none
espfiles=$(mdir -i "$T/esp.img" -/ -b :: | sort | tr '\n' ' ')
for f in ::/EFI/BOOT/BOOTX64.EFI ::/EFI/Linux/live.efi ::/EFI/Linux/install.efi \
        ::/loader/loader.conf ::/loader/keys/auto/PK.auth ::/loader/keys/auto/db.auth; do
        like "$espfiles" "$f " "the ESP has ${f#::/}"
done
mcopy -i "$T/esp.img" ::/loader/loader.conf "$T/loader.conf"
like "$(cat "$T/loader.conf")" "default live.efi" "loader.conf boots the live entry by default"
like "$(cat "$T/loader.conf")" "secure-boot-enroll force" "loader.conf enrolls the keys"
for u in live install; do
        mcopy -i "$T/esp.img" ::/EFI/Linux/$u.efi "$T/$u.efi"
        like "$(sbverify --cert "$K/db.crt" "$T/$u.efi" 2>&1)" "Signature verification OK" "$u.efi is signed by db"
done

xorriso -osirrox on -indev "$T/a.iso" -extract /install "$T/install" -extract /isolinux/isolinux.cfg \
        "$T/isolinux.cfg" -extract /live/root.squashfs "$T/root.squashfs" >/dev/null 2>&1
chmod -R u+w "$T/install"
sha=$(sha256sum <"$IMG" | cut -d' ' -f1)
like "$(cat "$T/install/manifest.json")" "\"sha256\": \"$sha\"" "the manifest names the host image's sha256"
like "$(cat "$T/install/manifest.json")" "\"size\": $(stat -c %s "$IMG")," "the manifest names its size"
like "$(cat "$T/install/manifest.json")" "\"path\": \"extra/notes.txt\", \"size\": 14, \"sha256\": \"$(sha256sum <"$T/notes.txt" | cut -d' ' -f1)\"" \
        "the manifest lists the payload"
ok "host.raw.gz unpacks to the host image" sh -c 'gunzip -c "$1" | cmp - "$2"' - "$T/install/host.raw.gz" "$IMG"
out=$(openssl cms -verify -binary -inform DER -in "$T/install/manifest.json.sig" \
        -content "$T/install/manifest.json" -CAfile "$K/db.crt" -purpose any -out /dev/null 2>&1)
like "$out" "^CMS Verification successful" "manifest.json.sig verifies against db.crt"
sed -i 's/"label": "POCBAKE"/"label": "EVIL"/' "$T/install/manifest.json"
out=$(openssl cms -verify -binary -inform DER -in "$T/install/manifest.json.sig" \
        -content "$T/install/manifest.json" -CAfile "$K/db.crt" -purpose any -out /dev/null 2>&1)
like "$out" "content verify error|digest failure" "an edited manifest fails the signature check"
rootsha=$(sha256sum <"$T/root.squashfs" | cut -d' ' -f1)
like "$(cat "$T/isolinux.cfg")" "append initrd=/live/initrd.img pocbake.root=iso:POCBAKE pocbake.roothash=sha256:$rootsha console=ttyS0" \
        "isolinux's live entry mounts the squashfs by label and checks its hash"
like "$(cat "$T/isolinux.cfg")" "pocbake.install=sha256:$sha" "isolinux's install entry names the image hash"
like "$(strings "$T/install.efi" | grep -m1 pocbake.install)" "pocbake.install=sha256:$sha" \
        "the signed install UKI carries the image hash on its command line"
ok "the squashfs holds the role's files" sh -c 'unsquashfs -cat "$1" etc/motd | grep -q "welcome to alpha"' - "$T/root.squashfs"

# The epoch comes from SOURCE_DATE_EPOCH, read once by the command: unset means
# 1980-01-01 as for every other output (the ISO said 1970), a bad value is bad usage.
out=$(env -u SOURCE_DATE_EPOCH "$POCBAKE" iso --keys "$K" --image "$IMG" --root-squashfs "$T/root.squashfs" \
        -o "$T/e.iso" 2>&1)
is "$? $out" "0 $T/e.iso: hybrid iso written (label POCBAKE, default entry live)" "pocbake iso without SOURCE_DATE_EPOCH"
is "$(dd if="$T/e.iso" bs=1 skip=$((32768 + 813)) count=16 status=none)" "1980010100000000" \
        "its primary volume descriptor is created 1980-01-01"
xorriso -osirrox on -indev "$T/e.iso" -extract /install/manifest.json "$T/e.json" >/dev/null 2>&1
like "$(cat "$T/e.json")" '"created": "1980-01-01T00:00:00Z"' "its manifest is dated 1980-01-01"
is "$(dd if="$T/a.iso" bs=1 skip=$((32768 + 813)) count=16 status=none)" \
        "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)" "with SOURCE_DATE_EPOCH the volume is created then"
out=$(SOURCE_DATE_EPOCH=soon iso -o "$T/bad.iso" 2>&1)
is "$? $out" "2 pocbake iso: SOURCE_DATE_EPOCH \"soon\": expected whole seconds since 1970 (0 to 253402300799)" \
        "a bad SOURCE_DATE_EPOCH is bad usage, named"
ok "and no output is written" test ! -e "$T/bad.iso"

# Refusals name the bad value.
out=$(iso -o "$T/bad.iso" --label "lower case" 2>&1)
like "$? $out" "^2 .*iso label \"lower case\": character 'l' is not allowed" "a bad label is refused"
out=$(iso -o "$T/bad.iso" --payload ../x="$T/notes.txt" 2>&1)
like "$out" "payload \"../x\": \"..\" is not allowed" "a payload path with .. is refused"
out=$(iso -o "$T/bad.iso" --payload live/x="$T/notes.txt" 2>&1)
like "$out" "payload \"live/x\": /live belongs to the iso itself" "a payload over /live is refused"
out=$("$POCBAKE" iso -o "$T/bad.iso" --keys "$K" --image "$T/nothere.raw" 2>&1)
like "$out" "host image $T/nothere.raw: No such file" "a missing image is refused"
out=$("$POCBAKE" iso -o "$T/bad.iso" --keys "$T" --image "$IMG" 2>&1)
like "$out" "keys $T: no PK.key" "a key directory without keys is refused"
ok "and no output is left" test ! -e "$T/bad.iso"

boot() { "$POCBAKE" boot --accel tcg --timeout "$TIMEOUT" "$@" 2>&1; }
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
out=$(boot --as cdrom --vars "$T/vars.fd" --expect "POCBAKE-CHECK alpha ok" --log "$T/cd.log" "$T/a.iso")
like "$out" "check passed in" "UEFI Secure Boot: the iso boots as a CD (keys enrolled) to the role's check"
diag "UEFI CD boot (with enrollment): $out"
log=$(tr -d '\r' <"$T/cd.log")
like "$log" "POCBAKE-MARKER secureboot=1" "Secure Boot was on"
like "$log" "root hash verified \(sha256:$rootsha\)" "the live root's hash was checked"
out=$(boot --as usb --vars "$T/vars.fd" --expect "POCBAKE-CHECK alpha ok" --log "$T/usb.log" "$T/a.iso")
like "$out" "check passed in" "UEFI Secure Boot: the same file boots as a USB stick"
diag "UEFI USB boot: $out"
like "$(tr -d '\r' <"$T/usb.log")" "POCBAKE-MARKER secureboot=1" "with Secure Boot on"
out=$(boot --firmware seabios --as cdrom --expect "POCBAKE-CHECK alpha ok" --log "$T/bios.log" "$T/a.iso")
like "$out" "check passed in" "SeaBIOS boots the iso (isolinux) to the role's check"
diag "BIOS CD boot: $out"
like "$(tr -d '\r' <"$T/bios.log")" "BOOT_IMAGE=/live/vmlinuz initrd=/live/initrd.img pocbake.root=iso:POCBAKE" \
        "through isolinux's live entry"
done_testing
