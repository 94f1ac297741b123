#!/bin/bash
# t0700-pxe.sh: the PXE boot set: files, per-file CMS signatures (openssl and pocbake verify), iPXE script, dnsmasq config, reproducibility, tampering.
. "$(dirname "$0")/lib.sh"

for tool in openssl mksquashfs sha256sum; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done

K=$T/keys
ok "keys init" $POCBAKE keys init "$K" --cn-prefix t0700
head -c 3000000 /dev/urandom > "$T/vmlinuz"
head -c 2000000 /dev/urandom > "$T/initrd"
head -c 500000 /dev/urandom > "$T/uki.efi"
mkdir -p "$T/tree/etc" && echo lab > "$T/tree/etc/hostname"
# mksquashfs takes its times from $SOURCE_DATE_EPOCH.
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -no-progress >/dev/null 2>&1
ok "mksquashfs makes a root image" test -s "$T/root.sqfs"

pxe() { $POCBAKE pxe --kernel "$T/vmlinuz" --initrd "$T/initrd" --uki "$T/uki.efi" \
        --root "$T/root.sqfs" --cmdline "console=ttyS0 quiet" --keys "$K" --name lab "$@"; }

ok "pxe writes a set" pxe -o "$T/set"
files="vmlinuz initrd.img lab.efi root.squashfs boot.ipxe dnsmasq.conf README"
is "$(cd "$T/set" && ls | tr '\n' ' ')" \
        "README README.sig SHA256SUMS SHA256SUMS.sig boot.ipxe boot.ipxe.sig dnsmasq.conf dnsmasq.conf.sig initrd.img initrd.img.sig lab.efi lab.efi.sig root.squashfs root.squashfs.sig vmlinuz vmlinuz.sig " \
        "the set has every file and a signature for each"
cmp -s "$T/vmlinuz" "$T/set/vmlinuz" && pass "vmlinuz is the kernel" || fail "vmlinuz is the kernel"
(cd "$T/set" && sha256sum --quiet -c SHA256SUMS) && pass "sha256sum -c accepts SHA256SUMS" \
        || fail "sha256sum -c accepts SHA256SUMS"
is "$(cut -c67- "$T/set/SHA256SUMS" | tr '\n' ' ')" \
        "README boot.ipxe dnsmasq.conf initrd.img lab.efi root.squashfs vmlinuz " "SHA256SUMS is sorted"

for f in $files SHA256SUMS; do
        out=$(openssl cms -verify -binary -inform DER -in "$T/set/$f.sig" -content "$T/set/$f" \
                -CAfile "$K/db.crt" -purpose any -out /dev/null 2>&1)
        like "$out" "^CMS Verification successful" "openssl cms -verify accepts $f.sig"
done
# OpenSSL's default purpose (S/MIME) refuses a code-signing certificate: hence -purpose any.
out=$(openssl cms -verify -binary -inform DER -in "$T/set/vmlinuz.sig" -content "$T/set/vmlinuz" \
        -CAfile "$K/db.crt" -out /dev/null 2>&1)
like "$out" "unsuitable certificate purpose" "without -purpose any openssl wants an S/MIME certificate"
attrs=$(openssl cms -cmsout -print -inform DER -in "$T/set/vmlinuz.sig" | grep -A1 ' signedAttrs:' | tail -1)
is "$(echo $attrs)" "<ABSENT>" "signatures carry no signed attributes (no signing time)"

out=$($POCBAKE verify pxe "$T/set" --cert "$K/db.crt" 2>&1)
is "$? $out" "0 $T/set: 7 files ok (signatures chain to $K/db.crt)" "pocbake verify pxe accepts the set"

s=$T/set/boot.ipxe
is "$(head -1 "$s")" "#!ipxe" "boot.ipxe starts with #!ipxe"
like "$(cat "$s")" "kernel vmlinuz console=ttyS0 quiet initrd=initrd.img pocbake.root=tftp://\\$\\{next-server\\}/root.squashfs" \
        "boot.ipxe loads the kernel with the root image URL"
is "$(grep -c -E '^(isset \$\{ip\} \|\| dhcp|initrd initrd.img|boot)$' "$s")" 3 \
        "boot.ipxe has dhcp (unless the ROM that ran it has an address), initrd and boot"
is "$(grep -c -E 'imgverify|imgtrust' "$s")" 0 "default boot.ipxe has no imgverify (Debian's iPXE lacks it)"
like "$(cat "$T/set/dnsmasq.conf")" "pxe-service=X86-64_EFI,\"pocbake lab \(UEFI\)\",lab.efi" \
        "dnsmasq sends UEFI x86-64 clients the signed UKI"
like "$(cat "$T/set/dnsmasq.conf")" "pxe-service=tag:ipxe,x86PC,\"pocbake lab\",boot.ipxe" \
        "dnsmasq sends iPXE the script"
like "$(cat "$T/set/README")" "dnsmasq --no-daemon --conf-file=dnsmasq.conf" "README says how to serve the set"
if command -v dnsmasq >/dev/null; then
        like "$(dnsmasq --test --conf-file="$T/set/dnsmasq.conf" 2>&1)" "syntax check OK" \
                "dnsmasq accepts dnsmasq.conf"
else
        pass "# SKIP dnsmasq is not installed (apt-get install dnsmasq-base)"
fi

ok "pxe --verify" pxe -o "$T/setv" --verify
like "$(cat "$T/setv/boot.ipxe")" "imgtrust --permanent" "--verify: boot.ipxe runs imgtrust"
like "$(cat "$T/setv/boot.ipxe")" "imgverify vmlinuz vmlinuz.sig" "--verify: boot.ipxe checks vmlinuz"
like "$(cat "$T/setv/boot.ipxe")" "imgverify initrd.img initrd.img.sig" "--verify: boot.ipxe checks initrd.img"

ok "a second run" pxe -o "$T/set2"
same=yes
[ -s "$T/set2/vmlinuz" ] || same=no
for f in $(cd "$T/set" && ls); do cmp -s "$T/set/$f" "$T/set2/$f" || { same=no; diag "differs: $f"; }; done
is "$same" yes "two runs give byte-identical sets"
ok "rewriting an existing set" pxe -o "$T/set2"

# One flipped byte in any file: verify fails and names it.
for f in $files; do
        cp -a "$T/set" "$T/flip"
        off=$(( $(stat -c %s "$T/flip/$f") / 2 ))
        byte=$(od -An -tu1 -j $off -N1 "$T/flip/$f" | tr -d ' ')
        printf "$(printf '\\%03o' $(( byte ^ 1 )))" | dd of="$T/flip/$f" bs=1 seek=$off conv=notrunc 2>/dev/null
        out=$($POCBAKE verify pxe "$T/flip" --cert "$K/db.crt" 2>&1); rc=$?
        like "$rc $out" "^1 .*pocbake verify pxe: $f: sha256 mismatch" "flipped byte in $f: sha256 mismatch"
        like "$out" "pocbake verify pxe: $f: signature does not match the file" "flipped byte in $f: signature mismatch"
        rm -rf "$T/flip"
done
# a file the set does not list would be served unchecked
cp -a "$T/set" "$T/flip"; cp "$T/uki.efi" "$T/flip/evil.efi"
out=$($POCBAKE verify pxe "$T/flip" --cert "$K/db.crt" 2>&1)
is "$? $out" "1 pocbake verify pxe: evil.efi: present but not listed in SHA256SUMS (a server would hand it out unchecked)" \
        "an unlisted file in the set is refused by name"
rm -rf "$T/flip"
cp -a "$T/set" "$T/flip"; echo >> "$T/flip/SHA256SUMS"
out=$($POCBAKE verify pxe "$T/flip" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify pxe: SHA256SUMS: signature does not match the file" "edited SHA256SUMS is refused"
rm -rf "$T/flip"

$POCBAKE keys init "$T/other" --cn-prefix other >/dev/null
out=$($POCBAKE verify pxe "$T/set" --cert "$T/other/db.crt" 2>&1)
like "$? $out" "^1 pocbake verify pxe: SHA256SUMS: signer certificate does not chain to \"/CN=other db\"" \
        "another db certificate is refused"

out=$($POCBAKE pxe -o "$T/bad" --kernel "$T/vmlinuz" --initrd "$T/initrd" --uki "$T/uki.efi" \
        --root "$T/vmlinuz" --keys "$K" 2>&1)
is "$? $out" "2 pocbake pxe: root image \"$T/vmlinuz\" is neither squashfs nor erofs" "a root that is no image"
out=$($POCBAKE pxe -o "$T/keys" --kernel "$T/vmlinuz" --initrd "$T/initrd" --uki "$T/uki.efi" \
        --root "$T/root.sqfs" --keys "$K" 2>&1)
like "$? $out" "^2 pocbake pxe: output directory \"$T/keys\" is not empty and has no SHA256SUMS" \
        "a directory that is not a set is not replaced"
[ -f "$K/db.key" ] && pass "the keys are still there" || fail "the keys are still there"
out=$($POCBAKE pxe -o "$T/bad" 2>&1)
is "$? $out" "2 pocbake pxe: missing --kernel --initrd --uki --root --keys (or --key and --cert) (see pocbake pxe --help)" \
        "missing inputs: one line naming them"
like "$($POCBAKE pxe --help)" "--verify" "pxe --help documents --verify"
like "$($POCBAKE verify --help)" "pxe .*SHA256SUMS" "verify lists pxe"

done_testing
