#!/bin/bash
# t0501-initrd.sh: pocbake initrd: same inputs give the same bytes, sorted entries with one mtime,
# modules with their dependencies, the init found in the data directory, error messages.
. "$(dirname "$0")/lib.sh"

[ -x /bin/busybox ] || skip_all "busybox-static missing"
ls /lib/modules/*/modules.dep >/dev/null 2>&1 || skip_all "no kernel modules (linux-image-amd64)"
command -v cpio >/dev/null || skip_all "cpio missing"

ok "--help" sh -c '"$1" initrd --help | grep -q "^usage: pocbake initrd"' - "$POCBAKE"
ok "initrd a" "$POCBAKE" initrd -o "$T/a.img" --module ext4 --module efivarfs
ok "initrd b" "$POCBAKE" initrd -o "$T/b.img" --module ext4 --module efivarfs
ok "same inputs, same bytes" cmp "$T/a.img" "$T/b.img"
is "$(od -An -tx1 -j3 -N5 "$T/a.img" | tr -d ' ')" "0000000000" "gzip header: no name, mtime 0"

list=$(zcat "$T/a.img" | cpio -it 2>/dev/null)
sorted=$(printf '%s\n' "$list" | tr / '\001' | LC_ALL=C sort | tr '\001' /)
is "$list" "$sorted" "entries sorted by path, a directory before its contents"
like "$list" "kernel/fs/ext4/ext4.ko" "ext4 module present"
like "$list" "kernel/fs/jbd2/jbd2.ko" "ext4's dependency jbd2 present"
ok "busybox applet links present" sh -c 'printf "%s\n" "$1" | grep -qx bin/sh' - "$list"
order=$(zcat "$T/a.img" | cpio -i --to-stdout etc/pocbake/modules 2>/dev/null | sed 's|.*/||' | tr '\n' ' ')
like "$order" "jbd2.ko .*ext4.ko" "load list puts jbd2 before ext4"
dates=$(zcat "$T/a.img" | TZ=UTC cpio -itv 2>/dev/null | sed 's/ -> .*//' |
        awk '{ print $(NF - 3), $(NF - 2), $(NF - 1) }' | sort -u)
is "$dates" "$(TZ=UTC LC_ALL=C date -d "@$SOURCE_DATE_EPOCH" '+%b %e %Y' | tr -s ' ')" "every entry has mtime SOURCE_DATE_EPOCH"
owners=$(zcat "$T/a.img" | cpio -itv --numeric-uid-gid 2>/dev/null | awk '{ print $3 ":" $4 }' | sort -u)
is "$owners" "0:0" "every entry owned by 0:0"
(cd "$T" && zcat a.img | cpio -i --to-stdout init 2>/dev/null >init.out)
ok "init from the source tree" cmp "$T/init.out" "$TOP/firmware/initrd/init"

SOURCE_DATE_EPOCH=1700000100 "$POCBAKE" initrd -o "$T/c.img" --module ext4 --module efivarfs
ok "another SOURCE_DATE_EPOCH, other bytes" sh -c '! cmp -s "$1" "$2"' - "$T/a.img" "$T/c.img"
env -u SOURCE_DATE_EPOCH "$POCBAKE" initrd -o "$T/e.img" --module efivarfs
is "$(zcat "$T/e.img" | TZ=UTC cpio -itv 2>/dev/null | sed 's/ -> .*//' | awk '{ print $(NF - 1) }' | sort -u)" \
        1980 "without SOURCE_DATE_EPOCH every entry is dated 1980"
err=$(SOURCE_DATE_EPOCH=-1 "$POCBAKE" initrd -o "$T/x.img" --module efivarfs 2>&1)
is "$?" 2 "a bad SOURCE_DATE_EPOCH is a usage error"
like "$err" 'SOURCE_DATE_EPOCH "-1": expected whole seconds since 1970' "the bad SOURCE_DATE_EPOCH is named"
ok "and no initrd is written" test ! -e "$T/x.img"

ok "zstd" "$POCBAKE" initrd -o "$T/z.img" --compress zstd --module efivarfs
is "$(od -An -tx1 -N4 "$T/z.img" | tr -d ' ')" "28b52ffd" "zstd magic"

# An installed data directory (POCBAKE_DATADIR) wins over the source tree.
mkdir -p "$T/share/firmware/initrd"
printf '#!/bin/sh\necho installed\n' >"$T/share/firmware/initrd/init"
cp "$TOP/firmware/initrd/udhcpc.script" "$T/share/firmware/initrd/"
POCBAKE_DATADIR=$T/share "$POCBAKE" initrd -o "$T/d.img"
is "$(zcat "$T/d.img" | cpio -i --to-stdout init 2>/dev/null)" "$(printf '#!/bin/sh\necho installed')" \
        "POCBAKE_DATADIR overrides the init's location"

err=$("$POCBAKE" initrd -o "$T/x.img" --module ext4 --module nosuchmod 2>&1)
is "$?" 2 "an unknown module exits 2 (a named input that is not there)"
like "$err" 'kernel module "nosuchmod" not found in /lib/modules/' "unknown module is named"
ok "no output on failure" test ! -e "$T/x.img"
KVER=$(ls /lib/modules | sort -V | tail -n 1)
ok "--kernel-version" "$POCBAKE" initrd -o "$T/k.img" --kernel-version "$KVER" --module efivarfs
like "$(zcat "$T/k.img" | cpio -it 2>/dev/null)" "lib/modules/$KVER/kernel/fs/efivarfs/efivarfs.ko" \
        "--kernel-version picks the module tree"
err=$("$POCBAKE" initrd -o "$T/x.img" --kernel-version 0.0-none 2>&1)
is "$?" 2 "an unknown kernel version exits 2"
like "$err" "cannot read /lib/modules/0.0-none/modules.dep" "unknown kernel version is named"
err=$("$POCBAKE" initrd -o "$T/x.img" --compress lz4 2>&1)
is "$?" 2 "bad --compress is a usage error"
like "$err" '--compress "lz4": expected gzip, zstd or none' "bad --compress is named"
err=$("$POCBAKE" initrd 2>&1)
is "$?" 2 "missing -o is a usage error"
like "$err" "-o OUT is required" "missing -o is named"
done_testing
