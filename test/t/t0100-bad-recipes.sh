#!/bin/sh
# t0100-bad-recipes.sh: every bad recipe fails validation with its exact first message.
. "$(dirname "$0")/lib.sh"

# Work on a copy so that "validate writes nothing" can be checked on the whole tree.
cp -r "$TOP/test/data/bad" "$T/bad"
cp -r "$TOP/test/data/recipes" "$T/recipes"
before=$(cd "$T" && find . | LC_ALL=C sort)

count=0
for f in "$T"/bad/[0-9]*.yaml; do
        name=$(basename "$f")
        want=$(cat "${f%.yaml}.err")
        got=$(cd "$T/bad" && "$POCBAKE" validate "$name" 2>&1 >/dev/null)
        rc=$?
        is "$rc" 2 "$name: exit code 2"
        is "$(printf '%s\n' "$got" | head -n 1)" "$want" "$name: first message"
        count=$((count + 1))
done
[ "$count" -ge 30 ] && pass "at least 30 bad recipes ($count)" || fail "at least 30 bad recipes ($count)"

# A message names the file as given on the command line.
got=$(cd "$T" && "$POCBAKE" validate bad/03-size-4q.yaml 2>&1 >/dev/null | head -n 1)
is "$got" 'bad/03-size-4q.yaml:4:40: size "4Q": expected a number with K, M, G or T' "paths stay relative to the command line"

# Several mistakes in one file are all reported, in file order.
cat >"$T/bad/many.yaml" <<'YAML'
role: r1
base: {busybox: {}}
disk: {partitions: [{name: root, size: 4Q, fs: ext4}]}
vm: {vcpus: 0, memory: lots}
YAML
got=$(cd "$T/bad" && "$POCBAKE" validate many.yaml 2>&1 >/dev/null)
is "$got" 'many.yaml:3:40: size "4Q": expected a number with K, M, G or T
many.yaml:4:13: vcpus "0" is out of range (expected 1..256)
many.yaml:4:24: size "lots": expected a number with K, M, G or T' "every error of a file in one run"
rm -f "$T/bad/many.yaml"

(cd "$T/recipes" && "$POCBAKE" validate minimal.yaml >"$T/err.out" 2>"$T/err")
is "$?" 0 "a good recipe validates"
is "$(cat "$T/err")" "" "a good recipe prints no error"
like "$(cat "$T/err.out")" "^minimal.yaml: valid: appliance [a-z0-9-]+, 1 role, 1 recipe file, 0 overlays, 0 file sources; outputs: disks only" \
        "and says what it checked"
rm -f "$T/err.out"

after=$(cd "$T" && find . -name err -prune -o -print | LC_ALL=C sort)
before=$(printf '%s\n' "$before" | grep -v '^\./err$')
is "$after" "$before" "validate creates no files"

done_testing
