#!/bin/sh
# t0009: a build killed with SIGKILL takes its workers and their tools with it: nothing
# it started keeps running (or writing into the cache) after it is gone; the next build
# removes the temp files and directories of builds that are gone, and only those; a build
# killed among its final renames is finished by the next one (its journal).
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
cp -r "$TOP/test/data/sample" "$T/r"
# alpha's root gets 90 MB to copy, so its disk node is still at work when killed
head -c $((90 * 1024 * 1024)) /dev/urandom >"$T/r/big.bin"
sed -i 's|^files:$|files:\n  - {path: /big.bin, source: ../big.bin}|' "$T/r/roles/alpha.yaml"

"$POCBAKE" build --json --quiet -j2 --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" >"$T/ev" 2>/dev/null &
bp=$!
n=0
until grep -q '"event":"start","node":"disk:alpha"' "$T/ev" 2>/dev/null || [ $n -ge 600 ]; do
        sleep 0.05
        n=$((n + 1))
done
workers=$(cat /proc/$bp/task/*/children 2>/dev/null | tr -s ' \n' ' ')
kill -9 $bp
wait $bp 2>/dev/null
like "$workers" "[0-9]" "the build had workers running when it was killed"
sleep 0.3
left=""
for p in $(pgrep -f "$T/cache"); do
        left="$left $p:$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)"
done
is "$left" "" "no worker and no tool of the killed build is still running"

like "$(ls "$T/cache/tmp")" "\.$bp\.[A-Za-z0-9]{6}" "the killed build left its work directory in the cache"
# a temp file of a build that is gone (the pid of a shell that has exited), and one of
# a build still running (this test's own pid, standing in for a concurrent build)
gone=$(sh -c 'echo $$')
mkdir -p "$T/out/alpha"
echo partial >"$T/out/alpha/.alpha.raw.tmp-$gone-Ab12Cd"
echo partial >"$T/out/.app.tar.zst.tmp-$$-Ef34Gh"

# the next build removes what the dead ones left, keeps the live one's, finishes the job
"$POCBAKE" build --json --quiet --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" >"$T/ev2" 2>"$T/err"
ok "a build after the kill succeeds" test $? = 0 || cat "$T/err" >&2
is "$(ls -A "$T/cache/tmp")" "" "the dead build's work directories are gone from the cache"
ok "a dead build's temp file in out/ is removed" test ! -e "$T/out/alpha/.alpha.raw.tmp-$gone-Ab12Cd"
ok "a running build's temp file in out/ is kept" test -e "$T/out/.app.tar.zst.tmp-$$-Ef34Gh"
like "$(jq -r 'select(.event=="finish") | .leftovers' "$T/ev2")" "^[1-9]" "the finish event counts what was removed"

# Killed among its renames: alpha's three files change; the build dies right after the
# first rename (POCBAKE_FAULT_COMMIT, the hook for this moment). Its journal lists the
# other two; the next build into out/ finishes them before anything else, even one
# that only builds beta, so out/ holds alpha's complete new set, not one new file
# beside two old ones.
rm -f "$T/out/.app.tar.zst.tmp-$$-Ef34Gh"
sums() { (cd "$1" && find . -type f ! -name '.*' | LC_ALL=C sort | xargs sha256sum); }
old=$(sums "$T/out")
echo "changed" >>"$T/r/overlays/alpha/etc/alpha/alpha.conf"
"$POCBAKE" build --quiet --cache "$T/cache2" -o "$T/ref" "$T/r/app.yaml" 2>/dev/null
new=$(sums "$T/ref")
POCBAKE_FAULT_COMMIT=1 "$POCBAKE" build --quiet --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" 2>/dev/null
is "$?" 137 "the build was killed after its first rename"
ok "its journal is left in out/" test -s "$T/out/.pocbake-commit"
is "$(tail -n +2 "$T/out/.pocbake-commit" | wc -l)" 3 "listing alpha's three renames"
mixed=$(sums "$T/out")
ok "at that moment out/ is neither set" test "$mixed" != "$old" -a "$mixed" != "$new"
"$POCBAKE" build --json --quiet --role beta --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" >"$T/ev3" 2>"$T/err"
ok "the next build (beta only) succeeds" test $? = 0 || cat "$T/err" >&2
is "$(jq -r 'select(.event=="finish") | .recovered' "$T/ev3")" 2 "it finished the two renames left undone"
is "$(sums "$T/out")" "$new" "out/ holds the complete new set"
ok "the journal is gone" test ! -e "$T/out/.pocbake-commit"
done_testing
