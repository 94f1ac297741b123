#!/bin/bash
# t0410-keys-enroll.sh: EFI signature lists and .auth files, checked against efitools and openssl cms.
. "$(dirname "$0")/lib.sh"

for tool in sig-list-to-certs cert-to-efi-sig-list sign-efi-sig-list python3 openssl; do
        command -v $tool >/dev/null || skip_all "$tool is not installed (efitools, python3, openssl)"
done

K=$T/keys O=$T/out G=11111111-2222-3333-4444-555555555555
$POCBAKE keys init "$K" --cn-prefix t0410 >/dev/null || fail "keys init"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/x.key" -out "$T/extra.pem" -subj /CN=extra \
        -days 5 2>/dev/null
openssl x509 -in "$T/extra.pem" -outform DER -out "$T/extra.der"

ok "keys enroll" $POCBAKE keys enroll "$K" -o "$O" --db-extra "$T/extra.der" --owner $G
for f in PK KEK db; do
        [ -s "$O/$f.esl" ] && [ -s "$O/$f.auth" ] && pass "$f.esl and $f.auth written" || fail "$f.esl and $f.auth written"
done

# efitools reads the certificates back: db.crt first, then the extra one.
mkdir "$T/back"
sig-list-to-certs "$O/db.esl" "$T/back/c" >/dev/null
openssl x509 -in "$K/db.crt" -outform DER -out "$T/db.der"
ok "db.esl holds db.crt" cmp "$T/back/c-0.der" "$T/db.der"
ok "db.esl holds the extra certificate" cmp "$T/back/c-1.der" "$T/extra.der"
[ ! -e "$T/back/c-2.der" ] && pass "db.esl holds two certificates" || fail "db.esl holds two certificates"

# The same lists and signed updates as efitools makes from the same keys, byte for byte.
# SOURCE_DATE_EPOCH (1700000000) is 2023-11-14 22:13:20 UTC.
efitool_auth() { # VAR SIGNER CERTS...
        local var=$1 signer=$2; shift 2
        for c in "$@"; do cert-to-efi-sig-list -g $G "$c" "$T/e.part"; cat "$T/e.part"; done > "$T/e_$var.esl"
        sign-efi-sig-list -t "2023-11-14 22:13:20" -k "$K/$signer.key" -c "$K/$signer.crt" \
                $var "$T/e_$var.esl" "$T/e_$var.auth" >/dev/null
}
efitool_auth PK PK "$K/PK.crt"
efitool_auth KEK PK "$K/KEK.crt"
efitool_auth db KEK "$K/db.crt" "$T/extra.pem"
for v in PK KEK db; do
        ok "$v.esl equals cert-to-efi-sig-list's" cmp "$O/$v.esl" "$T/e_$v.esl"
        ok "$v.auth equals sign-efi-sig-list's" cmp "$O/$v.auth" "$T/e_$v.auth"
done

# openssl cms checks each signature over the bytes the firmware rebuilds:
# name (UTF-16LE) || vendor GUID || attributes 0x27 || EFI_TIME || ESL.
split_auth() { python3 - "$@" <<'PY'
import struct, sys, uuid
auth, var, vendor, sig, data = sys.argv[1:6]
b = open(auth, "rb").read()
dw = struct.unpack_from("<I", b, 16)[0]
sd = b[40:16 + dw]
def der_len(n):
    return bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
inner = b"\xa0" + der_len(len(sd)) + sd
body = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + inner
open(sig, "wb").write(b"\x30" + der_len(len(body)) + body)
msg = var.encode("utf-16-le") + uuid.UUID(vendor).bytes_le + struct.pack("<I", 0x27) + b[:16] + b[16 + dw:]
open(data, "wb").write(msg)
PY
}
GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c SECDB=d719b2cb-3d3a-4596-a3bc-dad00e67656f
check_cms() { # VAR VENDOR ANCHOR
        split_auth "$O/$1.auth" $1 $2 "$T/$1.p7" "$T/$1.data"
        openssl cms -verify -binary -inform DER -in "$T/$1.p7" -content "$T/$1.data" \
                -CAfile "$K/$3.crt" -purpose any -out /dev/null 2>&1
}
like "$(check_cms PK $GLOBAL PK)" "Verification successful" "PK.auth is signed by PK"
like "$(check_cms KEK $GLOBAL PK)" "Verification successful" "KEK.auth is signed by PK"
like "$(check_cms db $SECDB KEK)" "Verification successful" "db.auth is signed by KEK"
like "$(check_cms db $SECDB PK)" "Verification failure" "db.auth does not verify against PK"
like "$(check_cms db $GLOBAL KEK)" "Verification failure" "db.auth signs the image security database GUID"
is "$(od -An -tx1 -N16 "$O/db.auth" | tr -d ' \n')" "e7070b0e160d14000000000000000000" \
        "EFI_TIME from SOURCE_DATE_EPOCH, pad, nanosecond and zone zero"
like "$(od -An -tx1 -j16 -N24 "$O/db.auth" | tr -d ' \n')" "^.{8}0002f10e9dd2af4adf68ee498aa9347d375665a7$" \
        "WIN_CERTIFICATE_UEFI_GUID with EFI_CERT_TYPE_PKCS7_GUID"

# --timestamp wins over SOURCE_DATE_EPOCH; the owner GUID is stable for one key set.
ok "enroll with --timestamp" $POCBAKE keys enroll "$K" -o "$T/o2" --timestamp 0
is "$(od -An -tx1 -N8 "$T/o2/PK.auth" | tr -d ' \n')" "b207010100000000" "--timestamp 0 is 1970-01-01 00:00:00"
$POCBAKE keys enroll "$K" -o "$T/o3" && $POCBAKE keys enroll "$K" -o "$T/o4"
ok "enroll is deterministic" cmp "$T/o3/db.auth" "$T/o4/db.auth"
owner=$(od -An -tx1 -j28 -N16 "$T/o3/PK.esl" | tr -d ' \n')
[ "$owner" != "$(od -An -tx1 -j28 -N16 "$O/PK.esl" | tr -d ' \n')" ] && [ "${#owner}" = 32 ] &&
        pass "default owner GUID derived from PK ($owner)" || fail "default owner GUID derived from PK"

chmod 644 "$K/KEK.key"
out=$($POCBAKE keys enroll "$K" -o "$T/o5" 2>&1)
like "$? $out" "^2 pocbake keys enroll: key \"$K/KEK.key\" is readable by group or others \(chmod 600 it\)" \
        "enroll refuses a readable KEK key"
[ ! -e "$T/o5" ] && pass "nothing written after the refusal" || fail "nothing written after the refusal"
chmod 600 "$K/KEK.key"
out=$($POCBAKE keys enroll "$K" --timestamp soon 2>&1)
like "$? $out" "^2 pocbake keys enroll: --timestamp \"soon\": expected a whole number" "bad --timestamp"
out=$($POCBAKE keys enroll "$K" --owner nope -o "$T/o6" 2>&1)
like "$? $out" "^2 pocbake keys enroll: owner \"nope\" is not a GUID" "bad --owner"
out=$($POCBAKE keys enroll "$T/nokeys" 2>&1)
like "$? $out" "^2 pocbake keys enroll: cannot read certificate \"$T/nokeys/PK.crt\"" "missing key set"
out=$($POCBAKE keys enroll "$K" --db-extra /etc/hostname -o "$T/o7" 2>&1)
like "$? $out" "\"/etc/hostname\" is not a PEM or DER certificate" "bad --db-extra"
like "$($POCBAKE keys enroll --help)" "^usage: pocbake keys enroll DIR" "keys enroll --help"
done_testing
