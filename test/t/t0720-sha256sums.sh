#!/bin/sh
# t0720-sha256sums.sh: outputs: [sha256sums]: a signed SHA256SUMS of every other output, checked by sha256sum and openssl.
. "$(dirname "$0")/lib.sh"

for tool in openssl sha256sum; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done

"$POCBAKE" keys init --cn-prefix t0720 "$T/keys" >/dev/null 2>&1
cp "$TOP/test/data/recipes/minimal.yaml" "$T/minimal.yaml"
cat >"$T/app.yaml" <<'YAML'
appliance: app
roles: [minimal.yaml]
outputs: [bundle, bundle-gz, sha256sums]
YAML
build() { "$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$1" "$T/app.yaml"; }

build "$T/out" 2>"$T/err"
ok "an appliance with sha256sums builds" test $? = 0 || sed -e 's/^/# /' -e '$a\' "$T/err"
ok "SHA256SUMS and SHA256SUMS.sig are written" test -s "$T/out/SHA256SUMS" -a -s "$T/out/SHA256SUMS.sig"

# every other file of the output directory is listed, and nothing else
listed=$(sed 's/^[0-9a-f]\{64\}  //' "$T/out/SHA256SUMS" | LC_ALL=C sort)
present=$(cd "$T/out" && find . -type f ! -name 'SHA256SUMS*' ! -name .pocbake-outputs | sed 's|^\./||' | LC_ALL=C sort)
is "$listed" "$present" "SHA256SUMS lists every other output"
like "$listed" "app.tar.gz" "the bundle's .tar.gz among them"
(cd "$T/out" && sha256sum --quiet -c SHA256SUMS) >"$T/sum.out" 2>&1
ok "sha256sum -c accepts it" test $? = 0 || sed -e 's/^/# /' -e '$a\' "$T/sum.out"

verify() {
        openssl cms -verify -binary -inform DER -in "$T/out/SHA256SUMS.sig" -content "$1" \
                -CAfile "$T/keys/db.crt" -purpose any -out /dev/null 2>"$T/cms.err"
}
ok "openssl cms verifies the signature with db.crt (codesign.crt is issued by db)" verify "$T/out/SHA256SUMS"
sed 's/^\(.\)/0/' "$T/out/SHA256SUMS" >"$T/tampered"
verify "$T/tampered"
ok "a changed SHA256SUMS fails the signature" test $? != 0

# a second build from the cache writes the same bytes
build "$T/out2" 2>"$T/err"
ok "rebuild from the cache" test $? = 0
ok "same SHA256SUMS bytes" cmp -s "$T/out/SHA256SUMS" "$T/out2/SHA256SUMS"
ok "same signature bytes" cmp -s "$T/out/SHA256SUMS.sig" "$T/out2/SHA256SUMS.sig"

# a damaged output is caught by the list
printf 'x' | dd of="$T/out2/minimal/minimal.raw" bs=1 seek=1000 conv=notrunc 2>/dev/null
(cd "$T/out2" && sha256sum --quiet -c SHA256SUMS) >"$T/sum.out" 2>&1
ok "sha256sum -c names a damaged output" grep -q "minimal/minimal.raw: FAILED" "$T/sum.out"
done_testing
