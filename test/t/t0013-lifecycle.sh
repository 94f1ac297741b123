#!/bin/sh
# t0013-lifecycle.sh: cache du and prune (least recently used first, by age or to a size, never while a build holds the cache) and clean -o DIR (only the files builds wrote, unchanged).
. "$(dirname "$0")/lib.sh"

command -v flock >/dev/null || skip_all "flock(1) is not installed"
cp -r "$TOP/test/data/sample" "$T/r"
C=$T/cache
"$POCBAKE" build --quiet --cache "$C" -o "$T/out" "$T/r/app.yaml" 2>"$T/err"
ok "a build fills the cache" test $? = 0 || cat "$T/err" >&2
n=$(ls "$C/objects" | wc -l)

out=$("$POCBAKE" cache du --cache "$C")
like "$out" "^$C: $n objects, [0-9.]+ [KMG]iB \(least recently used 20[0-9-]+ [0-9:]+, most recently" \
        "cache du: the objects, their size and their use"
is "$(printf '%s\n' "$out" | tail -n +2 | wc -l)" 5 "and the five largest"

# last use: a build renews the record of each object it reads
for f in "$C"/manifests/*; do touch -d '2020-01-01' "$f"; done
"$POCBAKE" build --quiet --role alpha --cache "$C" -o "$T/out" "$T/r/app.yaml" 2>/dev/null
touch -d '2021-01-01' "$T/ref"
recent=$(for k in $(ls "$C/objects"); do [ "$C/manifests/$k" -nt "$T/ref" ] && echo "$k"; done | wc -l)
ok "a build renews the use of the objects it read ($recent of $n)" test "$recent" -gt 0 -a "$recent" -lt "$n"

out=$("$POCBAKE" cache prune --cache "$C" --older-than 30d --dry-run)
like "$out" "$C: $((n - recent)) of $n objects would go" "prune --dry-run: the objects not used for 30 days"
is "$(ls "$C/objects" | wc -l)" "$n" "and removes nothing"

# a build holds the cache: prune refuses, removes nothing
flock -s "$C/lock" sleep 4 &
holder=$!
sleep 1
out=$("$POCBAKE" cache prune --cache "$C" --older-than 30d 2>&1)
is "$? $out" "1 pocbake cache prune: $C: a build is using it (expected: prune once the build using it has finished)" \
        "prune while a build holds the cache: exit 1, why"
is "$(ls "$C/objects" | wc -l)" "$n" "and nothing removed"
wait "$holder"

out=$("$POCBAKE" cache prune --cache "$C" --older-than 30d)
like "$out" "$C: $((n - recent)) of $n objects removed" "prune --older-than removes what no build used since"
is "$(ls "$C/objects" | wc -l)" "$recent" "only those"
is "$(for k in $(ls "$C/objects"); do [ -e "$C/manifests/$k" ] && echo "$k"; done | wc -l)" "$recent" \
        "the objects left keep their records"
"$POCBAKE" cache prune --cache "$C" --max-size 1K >/dev/null
is "$(ls "$C/objects" | wc -l)" 0 "prune --max-size 1K: every object"
is "$(ls "$C/digests" 2>/dev/null | wc -l)" 0 "and their digests"
out=$("$POCBAKE" cache prune --cache "$C" 2>&1)
is "$? $out" "2 pocbake cache prune: expected --max-size SIZE or --older-than AGE (see pocbake cache prune --help)" \
        "prune without a limit: usage error"

# clean -o: the files builds wrote, no others, not a changed one
"$POCBAKE" build --quiet --cache "$C" -o "$T/out" "$T/r/app.yaml" 2>/dev/null
echo mine >"$T/out/notes.txt"
echo changed >>"$T/out/alpha/alpha.qcow2"
files=$(find "$T/out" -type f ! -name .pocbake-outputs ! -name notes.txt | wc -l)
out=$("$POCBAKE" clean -o "$T/out" 2>"$T/cerr")
is "$? $out" "0 $T/out: $((files - 1)) files removed, 1 changed since a build wrote it left" "clean -o removes the files builds wrote"
like "$(cat "$T/cerr")" "alpha.qcow2 changed since a build wrote it: left" "and names the changed one it left"
is "$(cd "$T/out" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" "./.pocbake-outputs ./alpha/alpha.qcow2 ./notes.txt " \
        "the user's file and the changed one stay"
rm "$T/out/alpha/alpha.qcow2"
"$POCBAKE" clean -o "$T/out" >/dev/null
is "$(cd "$T/out" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./notes.txt " "nothing recorded left: the record goes too"
done_testing
