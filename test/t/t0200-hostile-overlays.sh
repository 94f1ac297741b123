#!/bin/sh
# t0200-hostile-overlays.sh: every hostile archive as an overlay fails the build with its message and writes no output.
. "$(dirname "$0")/lib.sh"

H=$TOP/test/data/hostile

# expect FILE: the message that follows "<archive path>: " (see test/data/hostile/README)
expect() {
        case $1 in
        abs-path.tar | abs-path.cpio)
                echo 'entry "/tmp/pocbake-evil": path is absolute (expected a relative path inside the archive)' ;;
        dotdot.tar)
                echo 'entry "../pocbake-evil": path leaves the root (expected a relative path inside the archive)' ;;
        dotdot-inner.tar)
                echo 'entry "a/../../pocbake-evil": path leaves the root (expected a relative path inside the archive)' ;;
        symlink-up.tar)
                echo 'entry "up": symlink target "../../.." leaves the root' ;;
        symlink-deep-up.tar)
                echo 'entry "a/b/l": symlink target "../../../etc" leaves the root' ;;
        symlink-abs-through.tar)
                echo 'entry "evil/pocbake-evil": path would go through the symlink "evil" inside the root' ;;
        hardlink-abs.tar)
                echo 'entry "passwd": hard link target "/etc/passwd" is absolute (expected a relative path inside the archive)' ;;
        hardlink-dotdot.tar)
                echo 'entry "x": hard link target "../x" leaves the root (expected a relative path inside the archive)' ;;
        hardlink-missing.tar)
                echo 'entry "x": hard link target "not-extracted" is not an earlier entry of the archive' ;;
        device.tar)
                echo 'entry "dev/evil-mem": device node not allowed (allow_devices is off)' ;;
        fifo.tar)
                echo 'entry "evil-fifo": FIFO not allowed (allow_devices is off)' ;;
        setuid.tar)
                echo 'entry "bin/evil-su": setuid bit not allowed (mode 4755; allow_setuid is off)' ;;
        setgid.tar)
                echo 'entry "bin/evil-sg": setgid bit not allowed (mode 2755; allow_setuid is off)' ;;
        dir-then-symlink.tar)
                echo 'entry "d/pocbake-evil": path would go through the symlink "d" inside the root' ;;
        *)
                echo "no expectation for $1" >&2
                return 1 ;;
        esac
}

# recipe ARCHIVE: a one-role recipe with ARCHIVE as its only overlay
recipe() {
        cat >"$T/r.yaml" <<YAML
role: t
base: {busybox: {}}
overlays: ['$1']
disk: {partitions: [{name: root, type: root, size: 64M, fs: ext4, mountpoint: /}]}
YAML
}

count=0
for a in "$H"/*.tar "$H"/*.cpio; do
        name=$(basename "$a")
        want=$(expect "$name") || { fail "$name: has an expected message"; continue; }
        rm -rf "$T/out" "$T/cache" /tmp/pocbake-evil
        recipe "$a"
        "$POCBAKE" build --allow-path "$H" "$T/r.yaml" -o "$T/out" --cache "$T/cache" >"$T/stdout" 2>"$T/err"
        is "$?" 1 "$name: build fails with exit code 1"
        if grep -qF -- "$a: $want" "$T/err"; then
                pass "$name: message names the archive and the entry"
        else
                fail "$name: message names the archive and the entry"
                diag "want: $a: $want" "got:" "$(cat "$T/err")"
        fi
        left=$(find "$T/out" -mindepth 1 2>/dev/null | head -n 5)
        is "$left" "" "$name: no output written"
        ok "$name: nothing written outside the root" test ! -e /tmp/pocbake-evil -a ! -L /tmp/pocbake-evil
        count=$((count + 1))
done
[ "$count" -ge 10 ] && pass "at least 10 hostile archives ($count)" || fail "at least 10 hostile archives ($count)"

# Only tar and cpio (plain, gzip, xz, zstd, bzip2) are archives, judged by their bytes
# when the recipe is read: a zip (with a path-escape entry), a text file, and a link
# named x.tar to a text file (which libarchive would read as an mtree list and make
# empty files of its lines) are refused before anything is built, exit 2.
printf 'etc/passwd\nbin/evil\n' >"$T/words.txt"
ln -s "$T/words.txt" "$T/x.tar"
for a in "$H/zip-slip.zip" "$T/words.txt" "$T/x.tar"; do
        name=$(basename "$a")
        rm -rf "$T/out" "$T/cache"
        recipe "$a"
        "$POCBAKE" validate --allow-path "$H" "$T/r.yaml" >/dev/null 2>"$T/err"
        is "$?" 2 "$name: validate refuses it (exit 2)"
        like "$(cat "$T/err")" "r.yaml:3:[0-9]+: overlay .*$name: not a tar or cpio archive \(expected tar or cpio" \
                "$name: the message is at the recipe line and says what is expected"
        "$POCBAKE" build --allow-path "$H" "$T/r.yaml" -o "$T/out" --cache "$T/cache" >/dev/null 2>&1
        is "$?" 2 "$name: build refuses it too (exit 2)"
        is "$(ls "$T/out" "$T/cache/objects" 2>/dev/null)" "" "$name: nothing built, no output"
done

# An archive that expands past the role's disk stops there: 300 MiB of zeros in a
# small tar.gz against a 64 MiB disk fails the build naming the archive and the entry,
# and leaves nothing in the cache (the overlay's bytes never all reach the disk).
truncate -s 300M "$T/zeros"
tar -C "$T" -czf "$T/bomb.tar.gz" zeros
rm -f "$T/zeros"
rm -rf "$T/out" "$T/cache"
cat >"$T/r.yaml" <<YAML
role: t
base: {busybox: {}}
overlays: ['$T/bomb.tar.gz']
disk: {size: 64M, partitions: [{name: root, type: root, size: rest, fs: ext4, mountpoint: /}]}
YAML
"$POCBAKE" build --allow-path "$H" "$T/r.yaml" -o "$T/out" --cache "$T/cache" >/dev/null 2>"$T/err"
is "$?" 1 "bomb.tar.gz ($(du -k "$T/bomb.tar.gz" | cut -f1) KiB, 300 MiB inside) fails the build"
like "$(cat "$T/err")" "bomb.tar.gz: entry \"zeros\": the archive expands past what the role's disk can hold" \
        "the message names the archive and the entry where it stopped"
is "$(find "$T/cache" -type f -size +1M | head -n 3)" "" "nothing of it is left in the cache"

# The same archive with the matching allow_ setting goes through: the refusal is the setting's doing.
rm -rf "$T/out" "$T/cache"
cat >"$T/r.yaml" <<YAML
role: t
base: {busybox: {}}
overlays: [{path: '$H/setuid.tar', allow_setuid: true}]
disk: {partitions: [{name: root, type: root, size: 64M, fs: ext4, mountpoint: /}]}
YAML
"$POCBAKE" build --allow-path "$H" "$T/r.yaml" -o "$T/out" --cache "$T/cache" >"$T/stdout" 2>"$T/err"
rc=$?
is "$rc" 0 "setuid.tar with allow_setuid: true builds"
[ "$rc" = 0 ] || diag "$(cat "$T/err")"

done_testing
