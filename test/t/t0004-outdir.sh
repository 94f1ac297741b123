#!/bin/sh
# t0004-outdir.sh: out/ holds what the recipe makes: unchanged files are not written again, files no longer built are removed (or kept with --keep-stale), other recipes' and the user's files stay.
. "$(dirname "$0")/lib.sh"

cp -r "$TOP/test/data/sample" "$T/r"
b() { "$POCBAKE" build --json --cache "$T/cache" -o "$T/out" "$@"; }
stamp() { (cd "$T/out" && find . -type f ! -name .pocbake-outputs -printf '%p %i %T@\n' | LC_ALL=C sort); }
fin() { jq -r "select(.event==\"finish\") | \"\(.written) \(.unchanged) \(.removed)\"" "$1"; }

b "$T/r/app.yaml" >"$T/e1" 2>"$T/err1"
ok "first build" test $? = 0
n=$(stamp | wc -l)
is "$(fin "$T/e1")" "$n 0 0" "every output written once ($n files)"
like "$(cat "$T/err1")" "$T/out: $n files written, 0 unchanged, 0 no longer built removed" "and the build says so"
echo "mine" >"$T/out/notes.txt"
stamp >"$T/s1"

b "$T/r/app.yaml" >"$T/e2" 2>"$T/err2"
ok "no-change rebuild" test $? = 0
is "$(fin "$T/e2")" "0 $n 0" "no file written again"
stamp >"$T/s2"
ok "every output keeps its inode and mtime" cmp -s "$T/s1" "$T/s2"
is "$(jq -r 'select(.event=="output") | .path' "$T/e2" | wc -l)" "$n" "each output still reported"
is "$(jq -r 'select(.event=="output") | "\(.sha256)  \(.path)"' "$T/e2" | sha256sum --quiet -c 2>&1)" "" \
        "output events carry each file's sha256"
is "$(jq -r 'select(.event=="output") | "\(.size) \(.path)"' "$T/e2" | while read -r sz p; do [ "$(stat -c %s "$p")" = "$sz" ] || echo "$p"; done)" "" \
        "and its size"
is "$(jq -r 'select(.event=="output") | "\(.path | sub(".*/"; "")) \(.format)"' "$T/e2" | sort | tr '\n' ' ')" \
        "alpha.qcow2 qcow2 alpha.raw raw alpha.vhdx vhdx beta.qcow2 qcow2 beta.raw raw beta.vhdx vhdx " "and its format"

# a file changed or removed in out/ is written again
sum=$(sha256sum <"$T/out/alpha/alpha.vhdx")
echo x >>"$T/out/alpha/alpha.vhdx"
rm "$T/out/beta/beta.qcow2"
b "$T/r/app.yaml" >"$T/e3" 2>"$T/err3"
is "$(fin "$T/e3")" "2 $((n - 2)) 0" "a changed and a removed output are written again"
is "$(sha256sum <"$T/out/alpha/alpha.vhdx")" "$sum" "the changed one is the build's again"

# a role asks for fewer formats: the old ones go, with --keep-stale they stay and are named
sed -i 's/^outputs: .*/outputs: [qcow2]/' "$T/r/lib.yaml"
b --keep-stale "$T/r/app.yaml" >"$T/e4" 2>"$T/err4"
ok "build with --keep-stale" test $? = 0
ok "the raw image is kept" test -e "$T/out/alpha/alpha.raw"
like "$(cat "$T/err4")" "pocbake build: $T/out/alpha/alpha.raw is no longer built \(kept: --keep-stale\)" "and named"
b "$T/r/app.yaml" >"$T/e5" 2>"$T/err5"
ok "build without" test $? = 0
is "$(fin "$T/e5")" "0 $((n - 4)) 4" "four files no longer built are removed"
ok "raw and vhdx are gone" test ! -e "$T/out/alpha/alpha.raw" -a ! -e "$T/out/beta/beta.vhdx"
ok "the qcow2 images stay" test -s "$T/out/alpha/alpha.qcow2" -a -s "$T/out/beta/beta.qcow2"
is "$(cat "$T/out/notes.txt")" mine "a file the build never wrote is left alone"
out=$("$POCBAKE" boot --timeout 1 -o "$T/out" alpha 2>&1)
like "$out" "^pocbake boot: $T/out/alpha/alpha\.qcow2: " "boot picks the qcow2, not the removed raw image"

# another recipe into the same out/: each keeps its own files
cat >"$T/r/solo.yaml" <<'EOF'
role: solo
extends: lib.yaml
EOF
b "$T/r/solo.yaml" >"$T/e6" 2>"$T/err6"
ok "another recipe builds into the same out/" test $? = 0
b "$T/r/app.yaml" >"$T/e7" 2>"$T/err7"
is "$(fin "$T/e7")" "0 $((n - 4)) 0" "the appliance's rebuild removes nothing of it"
ok "the other recipe's image stays" test -s "$T/out/solo/solo.qcow2"

# --role: the other roles' files stay
b --role beta "$T/r/app.yaml" >"$T/e8" 2>"$T/err8"
ok "a partial build" test $? = 0
ok "alpha's files stay" test -s "$T/out/alpha/alpha.qcow2"
b "$T/r/app.yaml" >"$T/e9" 2>"$T/err9"
is "$(fin "$T/e9" | cut -d' ' -f3)" 0 "and the next whole build still knows them"

# a record that names paths outside out/ removes nothing there
b "$T/r/app.yaml" >/dev/null 2>&1
echo keep >"$T/victim"
printf 'pocbake-outputs 1\n5 1 1\t%s\t/x\t../victim\n' "$(realpath "$T/r/app.yaml")" >"$T/out/.pocbake-outputs"
b "$T/r/app.yaml" >"$T/e10" 2>"$T/err10"
ok "a tampered record: the build succeeds" test $? = 0
is "$(cat "$T/victim")" keep "and a path outside out/ in it is not touched"
# --role on a built appliance signed for Secure Boot: the same keys, nothing built
# (the roles' common initrd does not take the name of the first role built)
"$POCBAKE" keys init "$T/keys" >/dev/null
"$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/sb" "$T/r/app.yaml"
ok "a signed build" test $? = 0
"$POCBAKE" build --json --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/sb" --role beta "$T/r/app.yaml" >"$T/e11"
is "$(jq -r 'select(.event=="finish") | .built' "$T/e11")" 0 "--role beta on it builds nothing"
done_testing
