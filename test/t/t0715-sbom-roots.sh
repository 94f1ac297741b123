#!/bin/sh
# t0715-sbom-roots.sh: a role root's Debian packages (its dpkg status) reach the bundle's SBOM with their licenses, the provenance names the base tarball with its digest, and the report lists them.
. "$(dirname "$0")/lib.sh"

for tool in jq tar zstd; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
[ "$(id -u)" = 0 ] || skip_all "staging a root needs root"

"$POCBAKE" keys init "$T/keys" --cn-prefix t0715 >/dev/null
mkdir -p "$T/root/bin" "$T/root/var/lib/dpkg" "$T/root/usr/share/doc/foo" "$T/root/usr/share/doc/bar" "$T/r"
cp /bin/busybox "$T/root/bin/busybox"
cat >"$T/root/var/lib/dpkg/status" <<'EOS'
Package: foo
Status: install ok installed
Architecture: amd64
Version: 1:2.0-3
Description: a package with a machine-readable copyright

Package: bar
Status: install ok installed
Architecture: all
Version: 0.9
Description: one without

Package: gone
Status: deinstall ok config-files
Version: 1.0
EOS
printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: Expat or GPL-2+\n' \
        >"$T/root/usr/share/doc/foo/copyright"
printf 'bar is in the public domain.\n' >"$T/root/usr/share/doc/bar/copyright"
tar -C "$T/root" --owner=0 --group=0 -cf "$T/r/root.tar" .
cat >"$T/r/app.yaml" <<'EOY'
appliance: roots
roles: [tb.yaml]
outputs: [bundle, report]
EOY
cat >"$T/r/tb.yaml" <<'EOY'
role: tb
base: {tarball: root.tar}
disk:
  size: 64M
  partitions:
    - {name: root, type: root, size: rest, fs: ext4, mountpoint: /}
outputs: [qcow2]
EOY
"$POCBAKE" build --quiet --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" 2>"$T/err"
ok "an appliance with a tarball-based role builds its bundle and report" test $? = 0 || cat "$T/err" >&2

tar -xOf "$T/out/roots.tar.zst" --zstd sbom.spdx.json >"$T/sbom.json"
is "$(jq -r '.packages[] | select(.comment == "from the root of role tb") | "\(.name) \(.versionInfo) \(.licenseDeclared) \(.externalRefs[0].referenceLocator)"' "$T/sbom.json" | tr '\n' ';')" \
        "bar 0.9 NOASSERTION pkg:deb/debian/bar@0.9?arch=all;foo 1:2.0-3 MIT OR GPL-2.0-or-later pkg:deb/debian/foo@1%3A2.0-3?arch=amd64;" \
        "SBOM: the root's installed packages, the license its copyright file declares"
qcow=$(jq -r '.files[] | select(.fileName == "./tb/tb.qcow2") | .SPDXID' "$T/sbom.json")
is "$(jq -r --arg q "$qcow" '[.packages[] | select(.comment == "from the root of role tb") | .SPDXID] as $p |
        [.relationships[] | select(.spdxElementId == $q and .relationshipType == "CONTAINS") | .relatedSpdxElement | select(. as $x | $p | index($x))] | length' "$T/sbom.json")" \
        2 "SBOM: the role's disk contains both"
if python3 -c 'import jsonschema' 2>/dev/null; then
        out=$("$TOP/test/schema/spdx-check" "$T/sbom.json" 2>&1)
        is "$? $out" "0 " "the SBOM is valid SPDX 2.3"
else
        skip "python3-jsonschema is not installed (scripts/deps installs it)"
fi
tar -xOf "$T/out/roots.tar.zst" --zstd provenance.intoto.jsonl | jq -r .payload | base64 -d >"$T/stmt.json"
is "$(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.name == "root.tar") | .digest.sha256' "$T/stmt.json")" \
        "$(sha256sum <"$T/r/root.tar" | cut -c1-64)" "provenance: the base tarball with its digest"
is "$(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.name == "tb.yaml") | .digest.sha256' "$T/stmt.json")" \
        "$(sha256sum <"$T/r/tb.yaml" | cut -c1-64)" "provenance: the role file with its digest"
grep -q '<tr><td>foo</td><td>1:2.0-3</td><td>amd64</td><td>MIT OR GPL-2.0-or-later</td>' "$T/out/roots.html"
ok "the report lists the root's packages" test $? = 0

# A comment in the recipe changes the provenance, so the bundle is made again
echo "# a comment" >>"$T/r/tb.yaml"
"$POCBAKE" build --quiet --json --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$T/r/app.yaml" >"$T/e2" 2>"$T/err"
is "$(jq -r 'select(.event == "done" and .status == "built") | .node' "$T/e2" | sort | tr '\n' ' ')" "bundle:roots report:roots " \
        "a comment in a recipe file rebuilds the bundle (its provenance names the file's digest) and the report"
tar -xOf "$T/out/roots.tar.zst" --zstd provenance.intoto.jsonl | jq -r .payload | base64 -d >"$T/stmt.json"
is "$(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.name == "tb.yaml") | .digest.sha256' "$T/stmt.json")" \
        "$(sha256sum <"$T/r/tb.yaml" | cut -c1-64)" "and the new provenance has the new digest"
done_testing
