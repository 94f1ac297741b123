#!/bin/sh
# t0050: an appliance with a host: pocbake build makes the host disk with its LVM
# storage pool and both roles as payloads, the ISO, the PXE set and the signed bundle;
# a second build elsewhere gives the same bytes; independent readers agree, and
# nothing is rebuilt the second time.
. "$(dirname "$0")/lib.sh"

for tool in virt-filesystems jq; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"
A=$TOP/test/data/sample/host-app.yaml

"$POCBAKE" keys init "$T/keys" >/dev/null
start=$(date +%s)
"$POCBAKE" build --quiet --json --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$A" >"$T/e1" 2>"$T/err"
ok "build of roles, host, pxe and bundle ($(($(date +%s) - start)) s)" test $? = 0 || cat "$T/err" >&2
for f in host/host.raw host/host.qcow2 pxe/boot.ipxe pxe/root.squashfs pxe/sample-host.efi \
        sample-host.iso sample-host.tar.zst sample-host.tar.gz sample-host.html; do
        ok "output $f" test -s "$T/out/$f"
done

# The same recipe named by a relative path, another cache, another out/, one job:
# every file the same, host image, ISO, PXE set and bundle included
start=$(date +%s)
(cd "$(dirname "$A")" && "$POCBAKE" build --quiet -j1 --keys "$T/keys" --cache "$T/cache2" -o "$T/out2" \
        "$(basename "$A")") >/dev/null 2>"$T/err"
ok "a second build from scratch ($(($(date +%s) - start)) s)" test $? = 0 || cat "$T/err" >&2
differ=$(cd "$T/out" && find . -type f ! -name .pocbake-outputs ! -name '*.html' | LC_ALL=C sort | while read -r f; do
        cmp -s "$f" "$T/out2/$f" || echo "$f"
done)
is "$differ" "" "every output of the second build is byte-identical (host, ISO, PXE, bundle)"
# the report holds the timeline of the build that made it, and nothing else of it
no_timeline() { sed '/<section id="timeline">/,/<\/section>/d' "$1"; }
is "$(no_timeline "$T/out2/sample-host.html" | sha256sum)" "$(no_timeline "$T/out/sample-host.html" | sha256sum)" \
        "the report is byte-identical but for its timeline section"
cmp -s "$T/out/sample-host.html" "$T/out2/sample-host.html"
ok "(and that section does differ: it is the builds' own times)" test $? != 0
is "$(cd "$T/out2" && find . -type f ! -name .pocbake-outputs | wc -l)" "$(cd "$T/out" && find . -type f ! -name .pocbake-outputs | wc -l)" \
        "and it made the same files"
rm -rf "$T/out2" "$T/cache2"

start=$(date +%s)
"$POCBAKE" inspect --json "$T/out/host/host.qcow2" >"$T/i.json" 2>"$T/err"
ok "inspect the host image ($(($(date +%s) - start)) s)" test $? = 0 || cat "$T/err" >&2
is "$(jq -r '.volume_groups | join(" ")' "$T/i.json")" pocpool "volume group pocpool"
is "$(jq -r '[.filesystems[] | select(.device | startswith("/dev/pocpool/")) | "\(.device)=\(.type)=\(.size)"] | sort | join(" ")' "$T/i.json")" \
        "/dev/pocpool/blob=ext4=67108864 /dev/pocpool/csv=xfs=335544320 /dev/pocpool/sofs=xfs=914358272" \
        "three volumes with their filesystems and sizes"
is "$(jq -r '[.payloads[] | "\(.file):\(.match)"] | join(" ")' "$T/i.json")" "alpha.qcow2:true beta.qcow2:true" \
        "both payloads match the embedded manifest"
virt-filesystems -a "$T/out/host/host.qcow2" --all --long --csv >"$T/vf.csv" 2>"$T/err"
ok "virt-filesystems reads the host image" test $? = 0
is "$(awk -F, '$1 ~ /^\/dev\/pocpool\// && $2 == "filesystem" {print $1 "=" $3}' "$T/vf.csv" | sort | tr '\n' ' ')" \
        "/dev/pocpool/blob=ext4 /dev/pocpool/csv=xfs /dev/pocpool/sofs=xfs " "virt-filesystems agrees on the filesystems"
is "$(awk -F, '$2 == "lv" {print $1 "=" $6}' "$T/vf.csv" | sort | tr '\n' ' ')" \
        "/dev/pocpool/blob=67108864 /dev/pocpool/csv=335544320 /dev/pocpool/sofs=914358272 " \
        "virt-filesystems agrees on the volume sizes"

"$POCBAKE" verify pxe "$T/out/pxe" --cert "$T/keys/db.crt" >/dev/null 2>"$T/err"
ok "verify pxe accepts the set" test $? = 0 || cat "$T/err" >&2
"$POCBAKE" verify bundle "$T/out/sample-host.tar.zst" --cert "$T/keys/db.crt" >/dev/null 2>"$T/err"
ok "verify bundle accepts the bundle" test $? = 0 || cat "$T/err" >&2
# One host from every medium: the PXE set's root is the ISO's live root, and both
# hold what the installed host disk's root partition holds (the payload manifest and
# libvirt definitions the host step adds included).
xorriso -osirrox on -indev "$T/out/sample-host.iso" -extract /live/root.squashfs "$T/live.squashfs" >/dev/null 2>&1
ok "the PXE root is the ISO's live root, byte for byte" cmp "$T/out/pxe/root.squashfs" "$T/live.squashfs"
unsquashfs -l -d R "$T/out/pxe/root.squashfs" | sed -n 's|^R/||p' | LC_ALL=C sort >"$T/pxe.list"
grep -qx "var/lib/pocbake/libvirt" "$T/pxe.list"
ok "the PXE root has the host step's /var/lib/pocbake/libvirt" test $? = 0
part=$(sfdisk --json "$T/out/host/host.raw" | jq -r '.partitiontable.partitions[] | select(.name == "root") | "\(.start) \(.size)"')
dd if="$T/out/host/host.raw" of="$T/root.part" bs=512 skip=${part% *} count=${part#* } conv=sparse status=none
mkdir "$T/installed"
debugfs -R "rdump / $T/installed" "$T/root.part" >/dev/null 2>&1
(cd "$T/installed" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) >"$T/installed.list"
rm -rf "$T/installed" "$T/root.part"
ok "the installed root and the PXE root hold the same files" cmp -s "$T/installed.list" "$T/pxe.list"
cmp -s "$T/installed.list" "$T/pxe.list" || diff "$T/installed.list" "$T/pxe.list" | head -n 10 | sed -e 's/^/# /' -e '$a\'
# The set installs the same host image: host.raw.gz is it, and the signed install UKI
# names its sha256 and size.
gunzip -c "$T/out/pxe/host.raw.gz" | cmp -s - "$T/out/host/host.raw"
ok "the PXE set's host.raw.gz is the host image" test $? = 0
ok "sample-host-install.efi is signed with db" sh -c "sbverify --cert '$T/keys/db.crt' '$T/out/pxe/sample-host-install.efi' >/dev/null 2>&1"
grep -qa "pocbake.imagehash=sha256:$(sha256sum <"$T/out/pxe/host.raw.gz" | cut -d' ' -f1) pocbake.imagesize=$(stat -c %s "$T/out/host/host.raw")" \
        "$T/out/pxe/sample-host-install.efi"
ok "and its command line carries host.raw.gz's sha256 and the image's size" test $? = 0
tar -xOf "$T/out/sample-host.tar.zst" --zstd manifest.json >"$T/manifest.json"
is "$(jq -r '[.artifacts[].path] | map(select(startswith("host/"))) | join(" ")' "$T/manifest.json")" \
        "host/host.qcow2" "the bundle carries the host image once, as qcow2"
is "$(jq -r '[.derived[] | select(.path | startswith("host/")) | "\(.path)<\(.from):\(.format)"] | join(" ")' "$T/manifest.json")" \
        "host/host.raw<host/host.qcow2:raw" "and lists host.raw as derived from it"
is "$(tar -tf "$T/out/sample-host.tar.zst" --zstd | grep -c '\.raw$')" 0 "no raw image is stored in the bundle"
# what the manifest says gives back the raw image, byte for byte
tar -xOf "$T/out/sample-host.tar.zst" --zstd host/host.qcow2 >"$T/b.qcow2"
qemu-img convert -f qcow2 -O raw "$T/b.qcow2" "$T/b.raw"
ok "qemu-img convert of the bundle's host.qcow2 gives host.raw" cmp -s "$T/b.raw" "$T/out/host/host.raw"
rm -f "$T/b.qcow2" "$T/b.raw"
is "$(jq -r '[.artifacts[] | select(.path | test("qcow2$|iso$|boot.ipxe$")) | "\(.path):\(.kind)"] | join(" ")' "$T/manifest.json")" \
        "alpha/alpha.qcow2:qcow2 beta/beta.qcow2:qcow2 host/host.qcow2:qcow2 pxe/boot.ipxe:pxe sample-host.iso:iso" \
        "manifest kinds name the format"

# What the bundle says it was made from, and of
tar -xOf "$T/out/sample-host.tar.zst" --zstd provenance.intoto.jsonl | jq -r .payload | base64 -d >"$T/stmt.json"
is "$(jq -r '.predicate.buildDefinition.externalParameters | "\(.recipe) \(.roles | join(","))"' "$T/stmt.json")" \
        "host-app.yaml alpha,beta,host" "provenance: the recipe relative to its tree, and the roles"
deps=$(jq -r '.predicate.buildDefinition.resolvedDependencies[] | "\(.name) \(.digest.sha256)"' "$T/stmt.json")
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
for f in host-app.yaml roles/alpha.yaml overlays/alpha/etc/alpha/alpha.conf; do
        is "$(echo "$deps" | awk -v f="$f" '$1 == f { print $2 }')" "$(sha256sum <"$TOP/test/data/sample/$f" | cut -c1-64)" \
                "provenance lists $f with its digest"
done
for f in "$kernel" /bin/busybox /usr/lib/systemd/boot/efi/linuxx64.efi.stub; do
        is "$(echo "$deps" | awk -v f="$f" '$1 == f { print $2 }')" "$(sha256sum <"$f" | cut -c1-64)" \
                "provenance lists the build host's $f with its digest"
done
is "$(echo "$deps" | awk '$1 == "pocbake" { print $2 }')" "$(sha256sum <"$POCBAKE" | cut -c1-64)" \
        "provenance lists the pocbake binary with its digest"
is "$(echo "$deps" | awk '$1 == "pocbake-data/firmware/initrd/init" { print $2 }')" \
        "$(sha256sum <"$TOP/firmware/initrd/init" | cut -c1-64)" "and its data files, named apart from where they are"
tar -xOf "$T/out/sample-host.tar.zst" --zstd sbom.spdx.json >"$T/sbom.json"
if python3 -c 'import jsonschema' 2>/dev/null; then
        out=$("$TOP/test/schema/spdx-check" "$T/sbom.json" 2>&1)
        is "$? $out" "0 " "the SBOM is valid SPDX 2.3 (test/schema/spdx-2.3.schema.json, every id it names present)"
else
        skip "python3-jsonschema is not installed (scripts/deps installs it)"
fi
kpkg=$(dpkg -S "$kernel" | cut -d: -f1)
for p in busybox-static "$kpkg" systemd-boot-efi; do
        v=$(dpkg-query -W -f '${Version}' "$p")
        a=$(dpkg-query -W -f '${Architecture}' "$p")
        is "$(jq -r --arg p "$p" '.packages[] | select(.name == $p) | "\(.versionInfo) \(.supplier) \(.externalRefs[0].referenceLocator)"' "$T/sbom.json")" \
                "$v Organization: Debian pkg:deb/debian/$p@$(echo "$v" | sed 's/:/%3A/g; s/+/%2B/g')?arch=$a" \
                "SBOM: the build host's $p with version, supplier and purl"
done
is "$(jq -r '.packages[] | select(.name == "systemd-boot-efi") | .licenseDeclared' "$T/sbom.json")" \
        "LGPL-2.1-or-later" "SBOM: the license a package's copyright file declares, as SPDX"
id_of() { jq -r --arg f "./$1" '.files[] | select(.fileName == $f) | .SPDXID' "$T/sbom.json"; }
contains() { # the packages and outputs FILE contains (the files pocbake put in are checked below)
        jq -r --arg a "$(id_of "$1")" '[.relationships[] | select(.spdxElementId == $a and .relationshipType == "CONTAINS") | .relatedSpdxElement | select(startswith("SPDXRef-Input") | not)] | join(" ")' "$T/sbom.json"; }
pkg_ids=$(jq -r '[.packages[].SPDXID] | join(" ")' "$T/sbom.json")
is "$(contains host/host.qcow2)" "$pkg_ids $(id_of alpha/alpha.qcow2) $(id_of beta/beta.qcow2)" \
        "SBOM: the host image contains its packages and the two role payloads"
is "$(contains sample-host.iso)" "$pkg_ids $(id_of host/host.qcow2)" \
        "SBOM: the ISO contains its packages and the host image (not the payloads again)"
conf=overlays/alpha/etc/alpha/alpha.conf
is "$(jq -r --arg f "./$conf" '.files[] | select(.fileName == $f) | [.checksums[] | "\(.algorithm)=\(.checksumValue)"] | join(" ")' "$T/sbom.json")" \
        "SHA1=$(sha1sum <"$TOP/test/data/sample/$conf" | cut -c1-40) SHA256=$(sha256sum <"$TOP/test/data/sample/$conf" | cut -c1-64)" \
        "SBOM: a file pocbake put in (an overlay's) with its checksums"
is "$(jq -r --arg f "./$conf" '(.files[] | select(.fileName == $f) | .SPDXID) as $c | [.relationships[] | select(.relatedSpdxElement == $c) | .spdxElementId] | join(" ")' "$T/sbom.json")" \
        "$(id_of alpha/alpha.qcow2)" "SBOM: alpha's disk contains it, and nothing else does"

# The report: one self-contained page, rendered by a browser without a fetch or an error
R=$T/out/sample-host.html
is "$(grep -o -E '(src|href)="[^#][^"]*"|url\(|@import' "$R" | sort -u | tr '\n' ' ')" "" \
        "the report links nothing but its own sections (no file, no network)"
for f in host/host.qcow2 alpha/alpha.raw sample-host.tar.zst pxe/vmlinuz; do
        grep -q "<code>$f</code>.*<code>$(sha256sum <"$T/out/$f" | cut -c1-64)</code>" "$R"
        ok "the report lists $f with its sha256" test $? = 0
done
db_fp=$(openssl x509 -in "$T/keys/db.crt" -outform DER | sha256sum | cut -c1-64)
grep -q "<td>db</td><td>/CN=[^<]*</td><td><code>$db_fp</code>" "$R"
ok "the report names the db key by its certificate's SHA-256 fingerprint" test $? = 0
is "$(grep -o -E '<title>pocpool/[a-z]+: [a-z0-9]+, [0-9.]+ [KMG]iB' "$R" | tr '\n' ';')" \
        "<title>pocpool/csv: xfs, 320 MiB;<title>pocpool/blob: ext4, 64 MiB;<title>pocpool/sofs: xfs, 872 MiB;" \
        "the host's disk picture shows its LVM volumes with their sizes"
is "$(grep -c '<tr><td>systemd-boot-efi</td>' "$R")" 1 "the report lists the SBOM's components"
if command -v chromium-headless-shell >/dev/null; then
        timeout 120 chromium-headless-shell --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=1 \
                --window-size=1100,2400 --screenshot="$T/report.png" "file://$R" >/dev/null 2>"$T/chromium.log"
        ok "headless Chromium renders the report to a PNG" test -s "$T/report.png"
        is "$(od -An -tx1 -N8 "$T/report.png" | tr -d ' ')" "89504e470d0a1a0a" "and it is a PNG"
        is "$(grep -c ':CONSOLE' "$T/chromium.log")" 0 "no console message while it loads"
        is "$(grep -c 'URLLoader::Start' "$T/chromium.log") $(grep -c -E 'https?://' "$T/chromium.log")" "1 0" \
                "it loads the page itself and nothing else"
        if [ -n "${POCBAKE_REPORT_PNG:-}" ]; then cp "$T/report.png" "$POCBAKE_REPORT_PNG"; fi
else
        for i in 1 2 3 4; do skip "chromium-headless-shell is not installed (scripts/deps installs it)"; done
fi

is "$(xorriso -indev "$T/out/sample-host.iso" -report_el_torito plain 2>/dev/null |
        awk '/El Torito boot img :/ {print $7}' | tr '\n' ' ')" "BIOS UEFI " "the ISO has BIOS and UEFI boot entries"
start=$(date +%s)
"$POCBAKE" boot --accel tcg --as cdrom --timeout 240 --expect "POCBAKE-CHECK host ok" \
        "$T/out/sample-host.iso" >/dev/null 2>"$T/err"
ok "the ISO's live entry boots the host under OVMF Secure Boot ($(($(date +%s) - start)) s)" test $? = 0 ||
        cat "$T/err" >&2

"$POCBAKE" build --quiet --json --keys "$T/keys" --cache "$T/cache" -o "$T/out" "$A" >"$T/e2" 2>"$T/err"
is "$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e2" | wc -l)" 0 "second build: nothing rebuilt"

# A key holds its inputs' keys, so the graph lists every input before its users: the
# ISO and the PXE set read the live node planned after them (an ISO once kept its
# key when the gzip'd image changed)
"$POCBAKE" plan --json --keys "$T/keys" --cache "$T/cache" "$A" >"$T/plan" 2>"$T/err"
is "$(jq -rs '[to_entries[] as $e | $e.value.needs[] as $n | select(([.[:$e.key][] | .node] | index($n)) == null)
        | "\($e.value.node) needs \($n)"] | join(", ")' "$T/plan")" "" "plan: every input listed before its users"
is "$(jq -r 'select(.node | startswith("iso:")) | .needs | join(" ")' "$T/plan")" "host:host live:host" \
        "the ISO's key holds the host's and the live node's"
done_testing
