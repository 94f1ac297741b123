#!/bin/bash
# t0400-sign.sh: keys init, Authenticode signing of EFI binaries, and verification by pocbake, sbverify and osslsigncode.
. "$(dirname "$0")/lib.sh"

SD=/usr/lib/systemd/boot/efi
for tool in sbverify osslsigncode objdump python3; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
[ -f $SD/systemd-bootx64.efi ] || skip_all "systemd-boot is not installed ($SD)"

K=$T/keys
ok "keys init" $POCBAKE keys init "$K" --cn-prefix "t0400" --days 30
is "$(stat -c %a "$K/db.key") $(stat -c %a "$K/PK.key") $(stat -c %a "$K/codesign.key")" \
        "600 600 600" "private keys are mode 0600"
like "$(openssl x509 -in "$K/db.crt" -noout -subject)" "CN ?= ?t0400 db" "db subject carries the prefix"
like "$(openssl x509 -in "$K/codesign.crt" -noout -ext extendedKeyUsage)" "Code Signing" \
        "codesign certificate is for code signing"
out=$($POCBAKE keys init "$K" 2>&1); rc=$?
is "$rc" 2 "keys init refuses to overwrite keys"
is "$out" "pocbake keys init: $K holds a key set already (PK.key and more) (expected a new directory, or --force to replace the set)" \
        "refusal: one line, what is there and what to do"

# A key others can read is refused, with the reason and exit 2.
cp "$K/db.key" "$T/open.key"; chmod 644 "$T/open.key"
out=$($POCBAKE sign efi $SD/systemd-bootx64.efi -o "$T/x.efi" --key "$T/open.key" --cert "$K/db.crt" 2>&1)
is "$? $out" "2 pocbake sign efi: key \"$T/open.key\" is readable by group or others (chmod 600 it)" \
        "0644 key is refused"
[ ! -e "$T/x.efi" ] && pass "no output after a refused key" || fail "no output after a refused key"

# Bookworm's osslsigncode (2.5) cannot read a signature that sbsign, the reference,
# makes ("Invalid signature"); 2.6 and later can. Its checks run only where it reads
# sbsign's signatures, and say why they are skipped where it does not.
ossl_reads_sbsign=yes
if sbsign --key "$K/db.key" --cert "$K/db.crt" --output "$T/ref.efi" $SD/systemd-bootx64.efi >/dev/null 2>&1 &&
        ! osslsigncode verify -CAfile "$K/db.crt" -in "$T/ref.efi" >/dev/null 2>&1; then
        ossl_reads_sbsign="no: $(osslsigncode --version 2>&1 | head -n 1 | sed "s/,.*//") cannot read sbsign's signature either"
fi
for f in systemd-bootx64.efi linuxx64.efi.stub; do
        ok "sign $f" $POCBAKE sign efi $SD/$f -o "$T/$f" --key "$K/db.key" --cert "$K/db.crt"
        like "$(sbverify --cert "$K/db.crt" "$T/$f" 2>&1)" "^Signature verification OK" "sbverify accepts $f"
        if [ "$ossl_reads_sbsign" = yes ]; then
                out=$(osslsigncode verify -CAfile "$K/db.crt" -in "$T/$f" 2>&1)
                like "$out" "Signature verification: ok" "osslsigncode accepts $f"
                if printf '%s' "$out" | grep -q "invalid PE checksum"; then
                        fail "osslsigncode finds the PE checksum of $f right"; else
                        pass "osslsigncode finds the PE checksum of $f right"; fi
        else
                skip "osslsigncode accepts $f ($ossl_reads_sbsign)"
                skip "osslsigncode finds the PE checksum of $f right ($ossl_reads_sbsign)"
        fi
        ok "pocbake verify accepts $f" $POCBAKE verify efi "$T/$f" --cert "$K/db.crt"
done

# The key through OSSL_STORE: a file: URI works, an unhandled scheme says why.
ok "file: URI key" $POCBAKE sign efi $SD/linuxx64.efi.stub -o "$T/uri.efi" \
        --key "file:$K/db.key" --cert "$K/db.crt"
cmp -s "$T/uri.efi" "$T/linuxx64.efi.stub" && pass "file: URI signs identically" || fail "file: URI signs identically"
out=$($POCBAKE sign efi $SD/linuxx64.efi.stub -o "$T/p11.efi" --key "pkcs11:token=none" --cert "$K/db.crt" 2>&1)
like "$out" 'no OpenSSL provider can open "pkcs11:token=none" \(load one in openssl.cnf, e.g. pkcs11-provider\)' \
        "pkcs11: URI without a provider"

# put32 FILE OFFSET VALUE: overwrite a little-endian 32-bit field.
put32() { python3 -c 'import sys,struct
f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); f.write(struct.pack("<I",int(sys.argv[3])))' "$@"; }
# certdir FILE: the file offset of the certificate table's data directory entry.
certdir() { python3 -c 'import sys,struct
d=open(sys.argv[1],"rb").read(); pe=struct.unpack_from("<I",d,0x3c)[0]
magic=struct.unpack_from("<H",d,pe+24)[0]; print(pe+24+(112 if magic==0x20b else 96)+4*8)' "$1"; }

S=$T/systemd-bootx64.efi
# One flipped byte in each section's raw data, sections found by objdump.
objdump -h "$S" | awk '$1 ~ /^[0-9]+$/ { print $2, $3, $6 }' > "$T/sections"
[ -s "$T/sections" ] && pass "objdump lists the sections" || fail "objdump lists the sections"
while read -r name size off; do
        cp "$S" "$T/flip.efi"
        pos=$(( 0x$off + 0x$size / 2 ))
        byte=$(od -An -tu1 -j $pos -N1 "$T/flip.efi" | tr -d ' ')
        printf "$(printf '\\%03o' $(( (byte ^ 0xff) )))" | dd of="$T/flip.efi" bs=1 seek=$pos conv=notrunc 2>/dev/null
        out=$($POCBAKE verify efi "$T/flip.efi" --cert "$K/db.crt" 2>&1); rc=$?
        like "$rc $out" "^1 .*signature 1: digest mismatch: signed [0-9a-f]{64}, image has [0-9a-f]{64}" \
                "flipped byte in $name is a digest mismatch"
done < "$T/sections"

sz=$(stat -c %s "$S")
cp "$S" "$T/trunc.efi"; truncate -s $((sz - 16)) "$T/trunc.efi"
out=$($POCBAKE verify efi "$T/trunc.efi" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*certificate table truncated: offset [0-9]+ size [0-9]+ runs past end of file" \
        "truncated file: certificate table runs past end"

cd_off=$(certdir "$S")
cp "$S" "$T/short.efi"
tsize=$(python3 -c 'import sys,struct; print(struct.unpack_from("<I",open(sys.argv[1],"rb").read(),int(sys.argv[2])+4)[0])' "$S" $cd_off)
put32 "$T/short.efi" $((cd_off + 4)) $((tsize - 64))
out=$($POCBAKE verify efi "$T/short.efi" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*certificate table truncated: entry at offset [0-9]+ has dwLength [0-9]+ but only [0-9]+ bytes remain" \
        "short certificate table: entry longer than the table"

cp "$S" "$T/past.efi"; put32 "$T/past.efi" $cd_off $(( (sz + 4096) & ~7 ))
out=$($POCBAKE verify efi "$T/past.efi" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*certificate table offset [0-9]+ points past end of file" \
        "certificate table pointing past end of file"

$POCBAKE keys init "$T/other" --cn-prefix other >/dev/null
$POCBAKE sign efi $SD/systemd-bootx64.efi -o "$T/other.efi" --key "$T/other/db.key" --cert "$T/other/db.crt"
out=$($POCBAKE verify efi "$T/other.efi" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*signature 1: signature does not chain to $K/db.crt" "signature by another key"
like "$(sbverify --cert "$K/db.crt" "$T/other.efi" 2>&1)" "Signature verification failed" \
        "sbverify agrees about the other key"

out=$($POCBAKE verify efi $SD/systemd-bootx64.efi --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*not signed \(no certificate table\)" "unsigned file"

# Re-signing replaces; --append adds a second signature (sbverify lists both).
$POCBAKE sign efi "$S" -o "$T/re.efi" --key "$T/other/db.key" --cert "$T/other/db.crt"
is "$(sbverify --list "$T/re.efi" | grep -c '^signature')" 1 "re-signing replaces the signature"
out=$($POCBAKE verify efi "$T/re.efi" --cert "$K/db.crt" 2>&1)
like "$? $out" "^1 .*does not chain" "the replaced signature is gone"
ok "append a signature" $POCBAKE sign efi "$T/re.efi" -o "$T/two.efi" --append \
        --key "$K/codesign.key" --cert "$K/codesign.crt"
is "$(sbverify --list "$T/two.efi" | grep -c '^signature')" 2 "--append gives two signatures"
ok "verify finds the appended signature (codesign chains to db)" \
        $POCBAKE verify efi "$T/two.efi" --cert "$K/db.crt"
ok "sbverify accepts the appended signature" sbverify --cert "$K/db.crt" "$T/two.efi"
ok "verify with the other key's cert finds the first" \
        $POCBAKE verify efi "$T/two.efi" --cert "$T/other/db.crt"

# Signing in place is atomic and allowed.
cp $SD/linuxx64.efi.stub "$T/inplace.efi"
ok "sign in place" $POCBAKE sign efi "$T/inplace.efi" -o "$T/inplace.efi" --key "$K/db.key" --cert "$K/db.crt"
ok "in-place result verifies" sbverify --cert "$K/db.crt" "$T/inplace.efi"
ls -a "$T" | grep -q '\.tmp-' && fail "no temp files left" || pass "no temp files left"

out=$($POCBAKE sign efi /etc/hostname -o "$T/n.efi" --key "$K/db.key" --cert "$K/db.crt" 2>&1)
like "$? $out" "^2 .*/etc/hostname: (no \"MZ\" DOS signature|file too small for a DOS header)" "not a PE file: exit 2, the input is wrong"
out=$($POCBAKE sign efi "$S" -o "$T/n.efi" --key "$K/db.key" --cert "$K/KEK.crt" 2>&1)
like "$? $out" "^2 .*does not match certificate" "key and certificate mismatch"
out=$($POCBAKE verify efi "$S" 2>&1)
is "$? $out" "2 pocbake verify efi: missing --cert CERT (the certificate to check against) (see pocbake verify efi --help)" \
        "verify without --cert is a usage error, in one line"
like "$($POCBAKE sign efi --help)" "^usage: pocbake sign efi" "sign efi --help"
like "$($POCBAKE verify --help)" "efi +check the Authenticode" "verify lists its kinds"
done_testing
