#!/bin/bash
# t0710-bundle.sh: the signed CI bundle: deterministic tar.zst/tar.gz, metadata (manifest, SPDX, in-toto), streaming memory use, verification and tampering.
. "$(dirname "$0")/lib.sh"

for tool in openssl zstd gzip jq python3 sha256sum; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
[ -x /usr/bin/time ] || skip_all "/usr/bin/time is not installed (needed for the memory check)"

K=$T/keys
ok "keys init" $POCBAKE keys init "$K" --cn-prefix t0710
head -c 2000000 /dev/urandom > "$T/disk.qcow2"
truncate -s 100M "$T/sparse.raw"                   # a 100 MB disk that is mostly holes
printf 'data' | dd of="$T/sparse.raw" bs=1 seek=52428800 conv=notrunc 2>/dev/null
printf '#!/bin/sh\necho hi\n' > "$T/run.sh"; chmod 755 "$T/run.sh"
echo "roles: [MAS-DC01]" > "$T/poc.yaml"
cat > "$T/status" <<'EOS'
Package: bash
Status: install ok installed
Architecture: amd64
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell
 continuation: line

Package: old
Status: deinstall ok config-files
Version: 1.0
EOS
DIGEST=$(printf 'recipe' | sha256sum | cut -c1-64)

bundle() { $POCBAKE bundle --keys "$K" --recipe-digest "$DIGEST" --recipe recipes/poc.yaml \
        --profile lab --role MAS-DC01 --dep recipes/poc.yaml="$T/poc.yaml" --dpkg-status "$T/status:MAS-DC01" \
        MAS-DC01/MAS-DC01.raw="$T/sparse.raw:MAS-DC01:disk" MAS-DC01/MAS-DC01.qcow2="$T/disk.qcow2:MAS-DC01:disk" \
        tools/run.sh="$T/run.sh" "$@"; }

/usr/bin/time -v -o "$T/time" $POCBAKE bundle --keys "$K" --recipe-digest "$DIGEST" --recipe recipes/poc.yaml \
        --profile lab --role MAS-DC01 --dep recipes/poc.yaml="$T/poc.yaml" --dpkg-status "$T/status:MAS-DC01" \
        MAS-DC01/MAS-DC01.raw="$T/sparse.raw:MAS-DC01:disk" MAS-DC01/MAS-DC01.qcow2="$T/disk.qcow2:MAS-DC01:disk" \
        tools/run.sh="$T/run.sh" -o "$T/b.tar.zst" --gz "$T/b.tar.gz"
is "$?" 0 "bundle writes .tar.zst and .tar.gz"
rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$T/time")
diag "peak RSS ${rss} KB for a 100 MB input"
[ -n "$rss" ] && [ "$rss" -lt 65536 ] && pass "peak RSS ${rss} KB < 64 MB: the 100 MB file streams" \
        || fail "peak RSS ${rss} KB < 64 MB: the 100 MB file streams"

ok "zstd -t accepts the bundle" zstd -q -t "$T/b.tar.zst"
ok "gzip -t accepts the bundle" gzip -t "$T/b.tar.gz"
is "$(zstd -dc "$T/b.tar.zst" | sha256sum)" "$(gzip -dc "$T/b.tar.gz" | sha256sum)" "both hold the same tar"
is "$(od -An -tx1 -j3 -N5 "$T/b.tar.gz" | tr -d ' ')" "0000000000" "gzip header: no name, no timestamp"

is "$(tar -tf "$T/b.tar.zst" | tr '\n' ' ')" \
        "MAS-DC01/MAS-DC01.qcow2 MAS-DC01/MAS-DC01.raw tools/run.sh SHA256SUMS SHA256SUMS.sig manifest.json provenance.intoto.jsonl sbom.spdx.json " \
        "entries: artifacts sorted, then the metadata sorted"
when=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M')
is "$(tar -tvf "$T/b.tar.zst" | awk '{ print $2, $4, $5 }' | sort -u | tr '\n' ' ')" \
        "root/root $when " "every entry: root/root, mtime SOURCE_DATE_EPOCH"
like "$(tar -tvf "$T/b.tar.zst" | grep tools/run.sh)" "^-rwxr-xr-x" "executables are 0755"
like "$(tar -tvf "$T/b.tar.zst" | grep manifest.json)" "^-rw-r--r--" "other files are 0644"
zstd -dc "$T/b.tar.zst" > "$T/b.tar"
is "$(python3 - "$T/b.tar" <<'EOP'
import sys, tarfile
t = tarfile.open(sys.argv[1])
# pax records only to say where a disk image's zeros were left out (GNU sparse 1.0)
sparse = [m.name for m in t.getmembers() if m.sparse]
bad = [m.name for m in t.getmembers()
       if any(not k.startswith("GNU.sparse.") for k in m.pax_headers) or m.uid or m.gid or not m.isfile()]
print(t.getmembers()[0].mtime, "extra headers:" , bad, "sparse:", sparse)
EOP
)" "$SOURCE_DATE_EPOCH extra headers: [] sparse: ['MAS-DC01/MAS-DC01.raw']" \
        "no pax records but the sparse maps (no atime/ctime), only regular files owned by 0"

out=$($POCBAKE verify bundle "$T/b.tar.zst" --cert "$K/db.crt" 2>&1)
is "$? $out" "0 $T/b.tar.zst: 8 members ok (signatures chain to $K/db.crt)" "verify bundle accepts the .tar.zst"
ok "verify bundle accepts the .tar.gz" $POCBAKE verify bundle "$T/b.tar.gz" --cert "$K/db.crt"
ok "verify bundle accepts the plain tar" $POCBAKE verify bundle "$T/b.tar" --cert "$K/db.crt"

mkdir "$T/x" && tar -xf "$T/b.tar" -C "$T/x"
(cd "$T/x" && sha256sum --quiet -c SHA256SUMS) && pass "sha256sum -c accepts SHA256SUMS" \
        || fail "sha256sum -c accepts SHA256SUMS"
like "$(openssl cms -verify -binary -inform DER -in "$T/x/SHA256SUMS.sig" -content "$T/x/SHA256SUMS" \
        -CAfile "$K/db.crt" -purpose any -out /dev/null 2>&1)" "^CMS Verification successful" \
        "openssl cms -verify accepts SHA256SUMS.sig"
is "$(cut -c67- "$T/x/SHA256SUMS" | tr '\n' ' ')" \
        "MAS-DC01/MAS-DC01.qcow2 MAS-DC01/MAS-DC01.raw manifest.json provenance.intoto.jsonl sbom.spdx.json tools/run.sh " \
        "SHA256SUMS lists artifacts and documents, sorted"

M=$T/x/manifest.json
is "$(jq -r 'keys_unsorted | join(",")' "$M")" "pocbake_version,source_date_epoch,recipe_digest,artifacts" \
        "manifest.json keys in order"
is "$(jq -r '[.source_date_epoch, .recipe_digest] | join(" ")' "$M")" "$SOURCE_DATE_EPOCH $DIGEST" \
        "manifest.json: epoch and recipe digest"
is "$(jq -r '.artifacts[] | "\(.path) \(.size) \(.role) \(.kind)"' "$M" | tr '\n' ';')" \
        "MAS-DC01/MAS-DC01.qcow2 2000000 MAS-DC01 disk;MAS-DC01/MAS-DC01.raw 104857600 MAS-DC01 disk;tools/run.sh 18  file;" \
        "manifest.json artifacts: sorted, with size, role and kind"
is "$(jq -r '.artifacts[] | "\(.sha256)  \(.path)"' "$M")" "$(grep -v -E '  (manifest|provenance|sbom)' "$T/x/SHA256SUMS")" \
        "manifest.json digests agree with SHA256SUMS"

S=$T/x/sbom.spdx.json
if python3 -c 'import jsonschema' 2>/dev/null; then
        out=$("$TOP/test/schema/spdx-check" "$S" 2>&1)
        is "$? $out" "0 " "the SBOM is valid SPDX 2.3"
        jq '.files[0].checksums |= map(select(.algorithm != "SHA1")) | .packages[0].licenseDeclared = "GPL 2"' "$S" > "$T/bad-sbom.json"
        out=$("$TOP/test/schema/spdx-check" "$T/bad-sbom.json" 2>&1)
        like "$? $out" "^1 files/0/checksums: .*
packages/0/licenseDeclared: 'GPL 2' does not match" "and the check refuses a file without SHA1 and a license that is no SPDX expression"
else
        skip "python3-jsonschema is not installed (scripts/deps installs it)"
        skip "python3-jsonschema is not installed (scripts/deps installs it)"
fi
is "$(jq -r '[.spdxVersion, .dataLicense, .SPDXID, .creationInfo.created, .creationInfo.creators[0]] | join(" ")' "$S")" \
        "SPDX-2.3 CC0-1.0 SPDXRef-DOCUMENT $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ) Tool: pocbake-$($POCBAKE --version | head -n 1 | cut -d' ' -f2)" \
        "SPDX: version, licence, id, created, creator"
like "$(jq -r .documentNamespace "$S")" "^https://spdx.org/spdxdocs/pocbake-${DIGEST:0:12}-[0-9a-f-]{36}$" \
        "SPDX: namespace derived from the recipe digest"
is "$(jq -r '.files[] | "\(.fileName) \(.checksums[] | select(.algorithm == "SHA256") | .checksumValue)"' "$S" | tr '\n' ';')" \
        "$(jq -r '.artifacts[] | "./\(.path) \(.sha256)"' "$M" | tr '\n' ';')" "SPDX: files with their SHA256"
is "$(jq -r '.files[0].checksums[] | select(.algorithm == "SHA1") | .checksumValue' "$S")" \
        "$(sha1sum "$T/disk.qcow2" | cut -c1-40)" "SPDX: files carry SHA1 too (required by SPDX 2.3)"
is "$(jq -r '.packages[] | "\(.name) \(.versionInfo) \(.externalRefs[0].referenceLocator)"' "$S")" \
        "bash 5.2.15-2+b2 pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64" "SPDX: installed dpkg packages only"
is "$(jq -r '[.relationships[] | select(.relationshipType == "CONTAINS") | .spdxElementId] | join(" ")' "$S")" \
        "SPDXRef-File-1 SPDXRef-File-2" "SPDX: the role's disks contain its packages"

E=$T/x/provenance.intoto.jsonl
is "$(wc -l < "$E") $(jq -r '[.payloadType, (.signatures | length)] | join(" ")' "$E")" \
        "1 application/vnd.in-toto+json 1" "provenance: one line, a DSSE envelope with one signature"
# DSSE checked without pocbake: PAE over the decoded payload, openssl verifying
# the signature with the codesign certificate's key, keyid its key's SHA-256
jq -r .payload "$E" | base64 -d > "$T/stmt.json"
jq -r '.signatures[0].sig' "$E" | base64 -d > "$T/stmt.sig"
{ printf 'DSSEv1 %d %s %d ' 28 application/vnd.in-toto+json "$(stat -c %s "$T/stmt.json")"; cat "$T/stmt.json"; } > "$T/pae"
openssl x509 -in "$K/codesign.crt" -pubkey -noout > "$T/codesign.pub"
is "$(openssl dgst -sha256 -verify "$T/codesign.pub" -signature "$T/stmt.sig" "$T/pae" 2>&1)" "Verified OK" \
        "openssl verifies the envelope's signature over DSSE's PAE"
is "$(jq -r '.signatures[0].keyid' "$E")" "$(openssl pkey -pubin -in "$T/codesign.pub" -outform DER | sha256sum | cut -c1-64)" \
        "keyid: SHA-256 of the codesign key's SubjectPublicKeyInfo"
P=$T/stmt.json
is "$(jq -r '[._type, .predicateType] | join(" ")' "$P")" \
        "https://in-toto.io/Statement/v1 https://slsa.dev/provenance/v1" "in-toto: statement and predicate types"
is "$(jq -r '.subject[] | "\(.digest.sha256)  \(.name)"' "$P")" "$(jq -r '.artifacts[] | "\(.sha256)  \(.path)"' "$M")" \
        "in-toto: subjects are the artifacts with their digests"
is "$(jq -r '.predicate.buildDefinition | [.externalParameters.recipe, .externalParameters.profile, (.externalParameters.roles | join(",")), .resolvedDependencies[0].name, .resolvedDependencies[0].digest.sha256] | join(" ")' "$P")" \
        "recipes/poc.yaml lab MAS-DC01 recipes/poc.yaml $(sha256sum "$T/poc.yaml" | cut -c1-64)" "in-toto: recipe, profile, roles, resolved dependencies"
when_iso=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
like "$(jq -r '.predicate.runDetails | "\(.builder.id) \(.metadata.invocationId) \(.metadata.startedOn) \(.metadata.finishedOn)"' "$P")" \
        "^urn:pocbake:builder:[0-9.]+ urn:uuid:[0-9a-f-]{36} $when_iso $when_iso$" \
        "in-toto: builder id, invocation id, startedOn and finishedOn from SOURCE_DATE_EPOCH"

ok "a second run" bundle -o "$T/c.tar.zst" --gz "$T/c.tar.gz"
ok "two runs give identical .tar.zst" cmp "$T/b.tar.zst" "$T/c.tar.zst"
ok "two runs give identical .tar.gz" cmp "$T/b.tar.gz" "$T/c.tar.gz"

# One flipped byte inside a member's data (in the plain tar, recompressed): named.
offsets=$(python3 -c 'import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    stored = sum(n for _, n in m.sparse) if m.sparse else m.size
    print(m.name, m.offset_data + stored // 2)' "$T/b.tar")
while read -r name off; do
        case $name in SHA256SUMS*) continue;; esac
        cp "$T/b.tar" "$T/f.tar"
        byte=$(od -An -tu1 -j "$off" -N1 "$T/f.tar" | tr -d ' ')
        printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$T/f.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
        zstd -q -f "$T/f.tar" -o "$T/f.tar.zst"
        out=$($POCBAKE verify bundle "$T/f.tar.zst" --cert "$K/db.crt" 2>&1)
        like "$? $out" "^1 pocbake verify bundle: bundle member $name: sha256 mismatch" "flipped byte in $name is named"
done <<< "$offsets"
off=$(echo "$offsets" | awk '$1 == "SHA256SUMS" { print $2 }')
cp "$T/b.tar" "$T/f.tar"; printf 'f' | dd of="$T/f.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
out=$($POCBAKE verify bundle "$T/f.tar" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: SHA256SUMS: signature does not match the file" "an edited SHA256SUMS is refused"

cp "$T/b.tar" "$T/e.tar"; echo extra > "$T/extra"
tar -rf "$T/e.tar" -C "$T" extra
out=$($POCBAKE verify bundle "$T/e.tar" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: bundle member extra: not listed in SHA256SUMS" "an extra member is refused"
# the member's blocks cut out (GNU tar's --delete mishandles sparse members)
python3 - "$T/b.tar" "$T/d.tar" tools/run.sh <<'EOP'
import sys, tarfile
src, dst, name = sys.argv[1:]
ms = tarfile.open(src).getmembers()
i = [m.name for m in ms].index(name)
data = open(src, "rb").read()
open(dst, "wb").write(data[:ms[i].offset] + data[ms[i + 1].offset:])
EOP
out=$($POCBAKE verify bundle "$T/d.tar" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: bundle member tools/run.sh: missing" "a missing member is named"

$POCBAKE keys init "$T/other" --cn-prefix other >/dev/null

# A bundle remade around another provenance envelope, its SHA256SUMS signed by
# the right key with openssl: the envelope's own signature and subjects count.
envelope() { # STATEMENT KEYDIR > envelope line
        { printf 'DSSEv1 28 application/vnd.in-toto+json %d ' "$(stat -c %s "$1")"; cat "$1"; } > "$T/pae2"
        openssl dgst -sha256 -sign "$2/codesign.key" -out "$T/sig2" "$T/pae2"
        jq -cn --arg p "$(base64 -w0 "$1")" --arg s "$(base64 -w0 "$T/sig2")" \
                --arg k "$(openssl x509 -in "$2/codesign.crt" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)" \
                '{payloadType: "application/vnd.in-toto+json", payload: $p, signatures: [{keyid: $k, sig: $s}]}'
}
remake() { # ENVELOPE > $T/r.tar
        rm -rf "$T/r"; cp -a "$T/x" "$T/r"; cp "$1" "$T/r/provenance.intoto.jsonl"
        (cd "$T/r" && names=$(cut -c67- SHA256SUMS) && sha256sum $names > SHA256SUMS.new && mv SHA256SUMS.new SHA256SUMS &&
         openssl cms -sign -binary -noattr -nosmimecap -md sha256 -outform DER -in SHA256SUMS \
                -signer "$K/codesign.crt" -inkey "$K/codesign.key" -out SHA256SUMS.sig &&
         tar -cf "$T/r.tar" $names SHA256SUMS SHA256SUMS.sig)
}
envelope "$T/stmt.json" "$K" > "$T/env-same"
remake "$T/env-same"
out=$($POCBAKE verify bundle "$T/r.tar" --cert "$K/db.crt" 2>&1)
is "$? $out" "0 $T/r.tar: 8 members ok (signatures chain to $K/db.crt)" "a bundle remade with openssl and the same key verifies"
envelope "$T/stmt.json" "$T/other" > "$T/env-other"
remake "$T/env-other"
out=$($POCBAKE verify bundle "$T/r.tar" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: provenance.intoto.jsonl: no signature by the bundle's signer" \
        "a provenance signed by another key is refused"
jq -c '.subject[2].digest.sha256 = "'"$(printf x | sha256sum | cut -c1-64)"'"' "$T/stmt.json" > "$T/stmt-bad.json"
envelope "$T/stmt-bad.json" "$K" > "$T/env-bad"
remake "$T/env-bad"
out=$($POCBAKE verify bundle "$T/r.tar" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: provenance.intoto.jsonl: subject tools/run.sh: sha256 does not match the member" \
        "a signed statement whose subject digest is wrong is refused"
out=$($POCBAKE verify bundle "$T/b.tar.zst" --cert "$T/other/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: SHA256SUMS: signer certificate does not chain to \"/CN=other db\"" \
        "another db certificate is refused"
out=$($POCBAKE verify bundle "$T/status" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify bundle: bundle" "a file that is no archive is refused"

out=$($POCBAKE bundle -o "$T/bad.tar.zst" --keys "$K" nofile 2>&1)
is "$? $out" "2 pocbake bundle: \"nofile\": expected PATH=FILE[:ROLE[:KIND]]" "a bad PATH=FILE argument"
out=$($POCBAKE bundle -o "$T/bad.tar.zst" --keys "$K" a="$T/run.sh" a="$T/status" 2>&1)
is "$? $out" "2 pocbake bundle: bundle path \"a\" given twice" "a path given twice"
out=$($POCBAKE bundle -o "$T/bad.tar.zst" --keys "$K" ../a="$T/run.sh" 2>&1)
like "$? $out" "^2 pocbake bundle: bundle path \"../a\": expected a relative path" "a path with .."
printf 'Package: X Y\nStatus: install ok installed\nVersion: 1\n' > "$T/badstatus"
out=$($POCBAKE bundle -o "$T/bad.tar.zst" --keys "$K" --dpkg-status "$T/badstatus" a="$T/run.sh" 2>&1)
is "$? $out" "2 pocbake bundle: $T/badstatus:1: bad or missing Package name" "a bad dpkg status file names its line"
[ ! -e "$T/bad.tar.zst" ] && pass "no output after a refused bundle" || fail "no output after a refused bundle"
like "$($POCBAKE bundle --help)" "PATH=FILE\[:ROLE\[:KIND\]\]" "bundle --help documents the arguments"

done_testing
