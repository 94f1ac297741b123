#!/bin/sh
# t0011: the cache is not trusted blindly. Each object carries a record of what it held
# when it was made; a build drops and rebuilds an object it uses whose files changed, a
# byte changed in place (its time put back) is caught when the output is copied out and
# nothing ships, and `pocbake cache verify` reads every object again.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
cp -r "$TOP/test/data/sample" "$T/r"
A=$T/r/app.yaml
b() { "$POCBAKE" build --json --quiet --cache "$T/cache" -o "$T/$1" "$A"; }
key() { "$POCBAKE" plan --json --cache "$T/cache" "$A" | jq -r "select(.node==\"$1\") | .key"; }
flip() { # flip FILE OFFSET [keep-time]: one byte changed in place
        touch -r "$1" "$T/ref"
        printf 'Z' | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
        [ -z "${3:-}" ] || touch -r "$T/ref" "$1"
}

b o1 >"$T/e1" 2>"$T/err"
ok "first build" test $? = 0 || cat "$T/err" >&2
n=$(ls "$T/cache/objects" | wc -l)
is "$(ls "$T/cache/manifests" | wc -l)" "$n" "every object has its record"
out=$("$POCBAKE" cache verify --cache "$T/cache")
is "$?" 0 "cache verify: every object as made (exit 0)"
like "$out" "^$n objects, $n as made, 0 not$" "and says so"

# A byte of a disk image changed (its mtime with it): the build drops the object,
# builds it again and ships what the recipe makes
flip "$T/cache/objects/$(key disk:alpha)/disk.raw" 3000000
b o2 >"$T/e2" 2>"$T/err"
ok "build after a changed object succeeds" test $? = 0 || cat "$T/err" >&2
is "$(jq -r 'select(.event=="dropped") | "\(.node) \(.reason)"' "$T/e2")" "disk:alpha disk.raw" "the changed object is named and dropped"
like "$(cat "$T/err")" "the cache object of disk:alpha \([0-9a-f]{16}\) no longer holds what was made \(disk.raw\): dropped, built again" \
        "and the build says so"
is "$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e2" | tr '\n' ' ')" "disk:alpha " "only that node is built again"
ok "the image shipped is the one the recipe makes" cmp "$T/o1/alpha/alpha.raw" "$T/o2/alpha/alpha.raw"

# Files removed from a root tree the next build reads (its disk must be made again)
root=$T/cache/objects/$(key rootfs:beta)/root
rm -rf "$root/bin" "$root/etc" "$T/cache/objects/$(key disk:beta)"
b o3 >"$T/e3" 2>"$T/err"
ok "build after a root lost files succeeds" test $? = 0 || cat "$T/err" >&2
is "$(jq -r 'select(.event=="dropped") | .node' "$T/e3")" "rootfs:beta" "the root tree is dropped"
ok "and beta's image is whole again" cmp "$T/o1/beta/beta.raw" "$T/o3/beta/beta.raw"

# A byte changed with the mtime put back passes the cheap check; the copy out reads
# the bytes and refuses them: the build fails naming the object, nothing is written
flip "$T/cache/objects/$(key disk:beta)/disk.raw" 3000000 keep
b o4 >"$T/e4" 2>"$T/err"
is "$?" 1 "a changed image that kept its time fails the build"
like "$(cat "$T/err")" "the cache object of disk:beta \([0-9a-f]{16}\) no longer holds what was made \(disk.raw\): not exported" \
        "the message names the object and the file"
is "$(find "$T/o4" -type f 2>/dev/null | wc -l)" 0 "no output was written"
b o4 >"$T/e5" 2>"$T/err"
ok "the next build makes it again" test $? = 0 || cat "$T/err" >&2
ok "and ships what the recipe makes" cmp "$T/o1/beta/beta.raw" "$T/o4/beta/beta.raw"

# cache verify reads everything: an object no build used since it changed
k=$(key qcow2:alpha)
flip "$T/cache/objects/$k/disk.qcow2" 70000 keep
out=$("$POCBAKE" cache verify --cache "$T/cache")
is "$?" 1 "cache verify finds a changed object (exit 1)"
like "$out" "$k: disk.qcow2 differs from what was made" "and names it and the file"
out=$("$POCBAKE" cache verify --cache "$T/cache" --drop)
like "$out" "1 not \(dropped\)" "--drop removes it"
ok "it is gone" test ! -e "$T/cache/objects/$k"
out=$("$POCBAKE" cache verify --cache "$T/cache")
is "$?" 0 "cache verify is clean again"
"$POCBAKE" cache verify --cache "$T/nosuch" >/dev/null 2>&1
is "$?" 2 "cache verify of a missing cache exits 2"
done_testing
