#!/bin/sh
# t0110-exit-codes.sh: one exit-code mapping: what the user gave wrong exits 2 with a message, before any work.
. "$(dirname "$0")/lib.sh"

R=$TOP/test/data/recipes

out=$("$POCBAKE" validate "$T/missing.yaml" 2>&1)
is "$?" 2 "validate of a missing recipe exits 2"
like "$out" "missing.yaml: cannot read" "and names the file"

# a recipe over the 4 MiB bound: refused before it is parsed
{ echo "role: big"; head -c 5000000 /dev/zero | tr '\0' '#'; echo; } >"$T/big.yaml"
out=$("$POCBAKE" validate "$T/big.yaml" 2>&1)
is "$?" 2 "an oversized recipe exits 2"
like "$out" "big.yaml: larger than 4 MiB" "and says the bound"

truncate -s 1M "$T/disk.raw"
out=$("$POCBAKE" boot --firmware nosuch --timeout 5 "$T/disk.raw" 2>&1)
is "$?" 2 "boot --firmware with an unknown profile exits 2"
like "$out" 'firmware "nosuch"' "and names the firmware"

out=$("$POCBAKE" frobnicate 2>&1)
is "$?" 2 "an unknown verb exits 2"
like "$out" 'unknown command "frobnicate"' "and names it"

# One voice: a wrong option is one line, "pocbake VERB: …", naming it and where the help is
for verb in validate plan build up down status boot inspect pxe bundle iso initrd uki esp push pull \
        "keys init" "keys enroll" "sign efi" "verify efi" "verify bundle" "verify pxe" "verify image" "cache verify"; do
        out=$("$POCBAKE" $verb --no-such-option x 2>&1)
        is "$? $(printf '%s\n' "$out" | wc -l) $out" \
                "2 1 pocbake $verb: unknown option \"--no-such-option\" (see pocbake $verb --help)" \
                "$verb: an unknown option exits 2 with one line naming it"
done
out=$("$POCBAKE" buidl 2>&1)
is "$? $out" '2 pocbake: unknown command "buidl"; did you mean "build"? (see pocbake --help)' \
        "a mistyped verb: did you mean, in one line"
out=$("$POCBAKE" build --jsno x.yaml 2>&1)
is "$? $out" '2 pocbake build: unknown option "--jsno"; did you mean "--json"? (see pocbake build --help)' \
        "a mistyped option: did you mean"
out=$("$POCBAKE" keys enrol 2>&1)
is "$? $out" '2 pocbake keys: unknown kind "enrol"; did you mean "enroll"? (see pocbake keys --help)' \
        "a mistyped kind: did you mean"
out=$("$POCBAKE" build 2>&1)
is "$? $out" "2 pocbake build: expected RECIPE, the recipe file (see pocbake build --help)" \
        "a missing argument says which"
out=$("$POCBAKE" build -o 2>&1)
is "$? $out" "2 pocbake build: option -o needs a value (see pocbake build --help)" "an option without its value says so"
out=$("$POCBAKE" boot --as floppy x.raw 2>&1)
is "$? $out" '2 pocbake boot: --as "floppy": expected disk, cdrom or usb (see pocbake boot --help)' \
        "a bad value names the option and the allowed values"
out=$("$POCBAKE" plan --role alpah --cache "$T/c" "$TOP/test/data/sample/app.yaml" 2>&1)
like "$? $out" "^2 pocbake plan: no role named \"alpah\" in .*app.yaml; did you mean \"alpha\"\? \(expected one of: alpha, beta\)" \
        "a mistyped role: did you mean, and the roles there are"
out=$("$POCBAKE" validate --keys k x.yaml 2>&1)
is "$? $out" "2 pocbake validate: option --keys does not apply to this verb (see pocbake validate --help)" \
        "an option of another verb is named"
out=$("$POCBAKE" version)
like "$? $out" "^0 pocbake [0-9.]+
commit: [0-9a-f]{12}(\+changes)?|unknown
data directory: $TOP
tools:
  qemu-system-x86_64 " "version: the version, the commit, the data directory, the tools"
like "$("$POCBAKE" version)" "  mkfs.ext4 +mke2fs [0-9.]+" "and each tool's own version line"
is "$("$POCBAKE" -V | head -n 1)" "$("$POCBAKE" --version | head -n 1)" "-V and --version say the same"

out=$(SOURCE_DATE_EPOCH=yesterday "$POCBAKE" plan --cache "$T/c" "$R/minimal.yaml" 2>&1)
is "$?" 2 "a SOURCE_DATE_EPOCH that is not a number exits 2"
like "$out" 'SOURCE_DATE_EPOCH "yesterday": expected whole seconds' "and says what it expected"

# A bad codesign key is found in the check phase: exit 2, no node ran, nothing written.
"$POCBAKE" keys init --cn-prefix t0110 "$T/keys" >/dev/null 2>&1
cp "$R/minimal.yaml" "$T/minimal.yaml"
cat >"$T/app.yaml" <<'YAML'
appliance: app
roles: [minimal.yaml]
outputs: [bundle]
YAML
cp "$T/keys/codesign.key" "$T/codesign.key.good"
printf 'not a key\n' >"$T/keys/codesign.key"
out=$("$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/app.yaml" 2>&1)
is "$?" 2 "a codesign key that does not load exits 2"
like "$out" "^pocbake build: .*codesign.key" "and names the key, prefixed"
is "$(ls "$T/cache/objects" 2>/dev/null | wc -l)" 0 "no node was built"
ok "nothing was written to the output directory" test ! -e "$T/out"

cp "$T/codesign.key.good" "$T/keys/codesign.key"
chmod 0644 "$T/keys/codesign.key"
out=$("$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/app.yaml" 2>&1)
is "$?" 2 "a codesign key others can read exits 2"
like "$out" "^pocbake build: .*codesign.key.*chmod 600" "and names the key, prefixed, with the fix"
chmod 0600 "$T/keys/codesign.key"

mv "$T/keys/codesign.crt" "$T/codesign.crt.good"
out=$("$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/app.yaml" 2>&1)
is "$?" 2 "a missing codesign certificate exits 2"
is "$out" "pocbake build: keys $T/keys: no codesign.crt (the iso, pxe and bundle outputs are signed with codesign.key and codesign.crt; make the set with 'pocbake keys init $T/keys')" \
        "prefixed, with what it is for and the fix"
is "$(ls "$T/cache/objects" 2>/dev/null | wc -l)" 0 "no node was built"
mv "$T/codesign.crt.good" "$T/keys/codesign.crt"

"$POCBAKE" keys init --cn-prefix other "$T/other" >/dev/null 2>&1
cp "$T/other/codesign.crt" "$T/keys/codesign.crt"
out=$("$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/app.yaml" 2>&1)
is "$?" 2 "a codesign certificate of another key exits 2"
is "$(ls "$T/cache/objects" 2>/dev/null | wc -l)" 0 "still no node was built"

out=$("$POCBAKE" build --quiet --cache "$T/cache" -o "$T/out" "$T/app.yaml" 2>&1)
is "$?" 2 "a signed output without keys exits 2"
like "$out" "output bundle is signed: it needs keys" "and says which output"

# A disk larger than one file can be on the cache's filesystem (ext4: 16 TiB) is
# found before the first node: exit 2, at the recipe line, with what to do.
if [ "$(stat -f -c %T "$T")" = ext2/ext3 ]; then
        cp -r "$TOP/test/data/sample" "$T/big"
        sed -i 's/^  size: 160M$/  size: 16T/' "$T/big/lib.yaml"
        out=$("$POCBAKE" build --quiet --cache "$T/cache16" -o "$T/out16" "$T/big/app.yaml" 2>&1)
        is "$?" 2 "a 16T disk on ext4 exits 2"
        like "$out" "pocbake build: .*lib.yaml:[0-9]+:[0-9]+: disk of (alpha|beta): 17592186044416 bytes is more than the filesystem of .*cache16/tmp can hold in one file .*make the disk smaller" \
                "and says where, why and what to do"
        is "$(ls "$T/cache16/objects" 2>/dev/null | wc -l)" 0 "no node was built for it"
        ok "nothing written to its out/" test ! -e "$T/out16"
else
        skip "a 16T disk on ext4 exits 2 (the test directory is on $(stat -f -c %T "$T"), not ext4)"
fi
done_testing
