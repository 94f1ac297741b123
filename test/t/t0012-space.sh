#!/bin/sh
# t0012-space.sh: a build that cannot fit stops before it writes (estimated from the recipe's data and from what this cache's earlier builds took, against the free space of the cache and of out/), exit 1; a filesystem that fills anyway is named with "No space left on device" and the room wanted.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "mounting small tmpfs filesystems needs root"
command -v jq >/dev/null || skip_all "jq is not installed"
mnt() { mkdir -p "$2" && mount -t tmpfs -o "size=$1" tmpfs "$2"; }
trap 'for m in "$T"/small*; do umount "$m" 2>/dev/null; done; rm -rf "$T"' EXIT
mnt 200M "$T/small-cache" || skip_all "cannot mount a tmpfs here"
mnt 100M "$T/small-out"

cp -r "$TOP/test/data/sample" "$T/r"
head -c $((90 * 1024 * 1024)) /dev/urandom >"$T/r/big.bin"
sed -i 's|^files:$|files:\n  - {path: /big.bin, source: ../big.bin}|' "$T/r/roles/alpha.yaml"

# cold, the cache on 200 MiB: alpha's root, disk, qcow2 and vhdx each hold the 90 MB
out=$("$POCBAKE" build --quiet --cache "$T/small-cache/c" -o "$T/out1" "$T/r/app.yaml" 2>&1)
is "$?" 1 "a cold build whose cache cannot hold it exits 1"
like "$out" "not enough free space: this build adds about [0-9.]+ MiB to the cache \($T/small-cache/c\), whose filesystem has 200.0 MiB free \(expected: free some space" \
        "and says how much it needs, where, and what is free"
ok "before writing anything to out/" test ! -e "$T/out1"
is "$(ls -A "$T/small-cache/c/objects" "$T/small-cache/c/tmp" | grep -cv ':$\|^$')" 0 "or to the cache"

# where it fits: built; the cache remembers what each node took
"$POCBAKE" build --quiet --cache "$T/cache" -o "$T/out2" "$T/r/app.yaml" 2>"$T/err"
ok "the same build on a disk with room succeeds" test $? = 0 || cat "$T/err" >&2
alpha=$(awk '$2 == "disk:alpha" {print $1}' "$T/cache/sizes")
ok "the cache records what disk:alpha took ($alpha bytes)" test "${alpha:-0}" -ge $((90 * 1024 * 1024))

# everything cached, out/ on 100 MiB: alpha's three files alone are 270 MB
out=$("$POCBAKE" build --quiet --cache "$T/cache" -o "$T/small-out/o" "$T/r/app.yaml" 2>&1)
is "$?" 1 "a build whose out/ cannot hold its files exits 1"
like "$out" "not enough free space: this build writes about [0-9.]+ MiB to $T/small-out/o, whose filesystem has 100.0 MiB free" \
        "and names out/ with both figures"
is "$(ls -A "$T/small-out")" "" "out/ stays empty"

# a 230 KB archive that expands to 150 MiB on a 1 GiB disk: the estimate (what the
# recipe names) passes, the cache's filesystem fills during the extraction
mkdir -p "$T/fill/opt"
yes pocbake | head -c $((150 * 1024 * 1024)) >"$T/fill/opt/fill"
tar -C "$T/fill" -czf "$T/r/fill.tar.gz" opt
rm -rf "$T/fill"
sed -i '/big.bin/d' "$T/r/roles/alpha.yaml"
sed -i 's|  - ../overlays/alpha|  - ../overlays/alpha\n  - ../fill.tar.gz|' "$T/r/roles/alpha.yaml"
sed -i 's/size: 160M/size: 1G/' "$T/r/lib.yaml"
umount "$T/small-out"
mnt 100M "$T/small-out"
out=$("$POCBAKE" build --quiet --cache "$T/small-out/c" -o "$T/out3" "$T/r/app.yaml" 2>&1)
is "$?" 1 "a filesystem that fills during the build: exit 1"
like "$out" "fill.tar.gz: entry \"opt/fill\": No space left on device while writing into $T/small-out/c/tmp/[^ ]* \(this entry alone is 157286400 bytes" \
        "the message says No space left on device, names the archive, the entry, where and how much"
is "$(ls -A "$T/small-out/c/tmp")" "" "the half-made object is gone"
ok "nothing in out/" test ! -e "$T/out3"
done_testing
