/* test_authenticode.c: Authenticode digest, signing and verification checked against osslsigncode
 * and sbsign, plus ESL and .auth parsing. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "sign/authenticode.h"
#include "util/endian.h"
#include "sign/authenticode_asn1.h"
#include "sign/esl.h"
#include "sign/keygen.h"
#include "sign/ossl.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"

static const char stub[] = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
static char scratch[] = "/tmp/pocbake-ac.XXXXXX";
static EVP_PKEY *key, *key2;
static X509 *cert, *cert2;
static char *img;
static size_t img_len;

static int setup(void **state)
{
        struct diag d = {0};

        if (!mkdtemp(scratch))
                return -1;
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        key2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        if (!key || !key2 || keygen_cert(key, "unit db", 30, NULL, NULL, false, &cert, &d) < 0 ||
            keygen_cert(key2, "unit other", 30, NULL, NULL, false, &cert2, &d) < 0)
                return -1;
        if (read_file(stub, &img, &img_len) < 0)
                img = NULL;
        return 0;
}

static int teardown(void **state)
{
        rm_rf(scratch);
        EVP_PKEY_free(key);
        EVP_PKEY_free(key2);
        X509_free(cert);
        X509_free(cert2);
        free(img);
        return 0;
}

static char *tmp_path(const char *name)
{
        char *p = path_join(scratch, name);

        assert_non_null(p);
        return p;
}

static void write_cert(const char *path, X509 *x)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        assert_int_equal(PEM_write_X509(f, x), 1);
        fclose(f);
}

static void sign(const uint8_t *in, size_t len, EVP_PKEY *k, X509 *x, bool append, uint8_t **out,
                 size_t *out_len)
{
        struct diag d = {0};

        if (authenticode_sign_buf(in, len, k, x, append, out, out_len, "in.efi", &d) < 0)
                fail_msg("signing failed: %s", d.n ? d.msgs[0] : "?");
}

/* Verification of buf against x must fail with a message containing want. */
static void expect_reject(const uint8_t *buf, size_t len, X509 *x, const char *want)
{
        struct diag d = {0};
        int r = authenticode_verify_buf(buf, len, x, "db.crt", "s.efi", &d);

        if (r >= 0 || !d.n || !strstr(d.msgs[d.n - 1], want))
                fail_msg("want rejection with \"%s\", got r=%d \"%s\"", want, r,
                         d.n ? d.msgs[d.n - 1] : "(none)");
        diag_release(&d);
}

static void image_digest(const uint8_t *buf, size_t len, uint8_t md[32])
{
        struct diag d = {0};
        struct pe_image pe;

        assert_int_equal(pe_parse(&pe, buf, len, "s.efi", &d), 0);
        assert_int_equal(authenticode_digest(&pe, md, "s.efi", &d), 0);
        pe_release(&pe);
}

/* osslsigncode computes the digest on its own: ours must be the same. */
/* Whether osslsigncode reads a signature sbsign, the reference, made: bookworm's
 * 2.5 does not ("Invalid signature", with every key), 2.6 and later do. */
static bool osslsigncode_reads_sbsign(void)
{
        _cleanup_free_ char *kp = tmp_path("rk.pem"), *cp = tmp_path("rc.pem"),
                            *op = tmp_path("ref.efi");
        const char *sb[] = {"sbsign", "--key", kp, "--cert", cp, "--output", op, stub, NULL};
        const char *ver[] = {"osslsigncode", "verify", "-CAfile", cp, "-in", op, NULL};
        struct diag d = {0};
        FILE *f = fopen(kp, "w");
        bool ok;

        assert_non_null(f);
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        write_cert(cp, cert);
        if (!have_program("sbsign") || run_argv(sb, NULL, &d) < 0) {
                diag_release(&d);
                return true; /* nothing to compare with: let the check say what it says */
        }
        ok = run_argv(ver, NULL, &d) >= 0;
        diag_release(&d);
        return ok;
}

static void test_digest_osslsigncode(void **state)
{
        _cleanup_free_ uint8_t *s = NULL;
        _cleanup_free_ char *out = NULL, *sp = tmp_path("s.efi"), *cp = tmp_path("c.pem");
        const char *argv[] = {"osslsigncode", "verify", "-CAfile", cp, "-in", sp, NULL};
        struct diag d = {0};
        char hex[65], *line;
        uint8_t md[32];
        size_t len;

        if (!img || !have_program("osslsigncode"))
                skip();
        if (!osslsigncode_reads_sbsign()) {
                print_message("osslsigncode here cannot read sbsign's signatures either "
                              "(bookworm's 2.5): skipped\n");
                skip();
        }
        sign((uint8_t *)img, img_len, key, cert, false, &s, &len);
        assert_int_equal(write_file_atomic(sp, s, len, 0644), 0);
        write_cert(cp, cert);
        if (run_capture(argv, NULL, &out, &d) < 0)
                fail_msg("osslsigncode: %s", d.n ? d.msgs[0] : "?");
        image_digest(s, len, md);
        hex_encode(md, 32, hex);
        line = strstr(out, "Calculated message digest : ");
        assert_non_null(line);
        for (char *p = line; *p && *p != '\n'; p++)
                *p = (char)tolower((unsigned char)*p);
        assert_memory_equal(line + strlen("calculated message digest : "), hex, 64);
        assert_null(strstr(out, "invalid PE checksum"));
        assert_non_null(strstr(out, "Signature verification: ok"));
}

/* A signature made by sbsign verifies with our code, and its
 * SpcIndirectDataContent is byte for byte the one we build. */
static void test_sbsign_interop(void **state)
{
        _cleanup_free_ char *kp = tmp_path("k.pem"), *cp = tmp_path("c2.pem"),
                            *op = tmp_path("sb.efi"), *data = NULL;
        const char *argv[] = {"sbsign", "--key", kp, "--cert", cp, "--output", op, stub, NULL};
        _cleanup_(der_out_release) struct der_out idc = {0};
        _cleanup_free_ struct win_cert *certs = NULL;
        _cleanup_pkcs7_ PKCS7 *p7 = NULL;
        struct diag d = {0};
        struct pe_image pe;
        uint8_t md[32], claimed[32];
        size_t len, n;
        FILE *f;

        if (!img || !have_program("sbsign"))
                skip();
        f = fopen(kp, "w");
        assert_non_null(f);
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        write_cert(cp, cert);
        assert_int_equal(run_argv(argv, NULL, &d), 0);
        assert_int_equal(read_file(op, &data, &len), 0);
        assert_int_equal(authenticode_verify_buf((uint8_t *)data, len, cert, "c", op, &d), 0);
        assert_int_equal(pe_parse(&pe, (uint8_t *)data, len, op, &d), 0);
        assert_int_equal(authenticode_certs(&pe, &certs, &n, op, &d), 0);
        assert_int_equal(n, 1);
        assert_int_equal(authenticode_digest(&pe, md, op, &d), 0);
        assert_int_equal(
                authenticode_signed_digest(certs[0].der, certs[0].der_len, claimed, op, &d), 0);
        assert_memory_equal(md, claimed, 32);
        {
                const unsigned char *q = certs[0].der;
                const ASN1_STRING *s;

                p7 = d2i_PKCS7(NULL, &q, (long)certs[0].der_len);
                assert_non_null(p7);
                s = p7->d.sign->contents->d.other->value.sequence;
                assert_int_equal(authenticode_idc_build(md, &idc), 0);
                assert_int_equal(idc.len, (size_t)s->length);
                assert_memory_equal(idc.p, s->data, idc.len);
        }
        pe_release(&pe);
}

static void test_roundtrip(void **state)
{
        _cleanup_free_ uint8_t *s = NULL, *s2 = NULL, *two = NULL;
        struct diag d = {0};
        size_t len, len2, len_two;
        uint8_t md1[32], md2[32];

        if (!img)
                skip();
        sign((uint8_t *)img, img_len, key, cert, false, &s, &len);
        assert_int_equal(len % 8, 0);
        assert_int_equal(authenticode_verify_buf(s, len, cert, "db.crt", "s.efi", &d), 0);
        assert_int_equal(d.n, 0);
        expect_reject(s, len, cert2, "s.efi: signature 1: signature does not chain to db.crt");
        expect_reject((uint8_t *)img, img_len, cert, "s.efi: not signed (no certificate table)");
        /* Re-signing replaces: same size, same digest, new signer. */
        sign(s, len, key2, cert2, false, &s2, &len2);
        image_digest(s, len, md1);
        image_digest(s2, len2, md2);
        assert_memory_equal(md1, md2, 32);
        expect_reject(s2, len2, cert, "does not chain to db.crt");
        sign(s2, len2, key, cert, true, &two, &len_two);
        assert_int_equal(authenticode_verify_buf(two, len_two, cert, "c", "two", &d), 0);
        assert_int_equal(authenticode_verify_buf(two, len_two, cert2, "c", "two", &d), 0);
        {
                _cleanup_free_ struct win_cert *certs = NULL;
                struct pe_image pe;
                size_t n;

                assert_int_equal(pe_parse(&pe, two, len_two, "two", &d), 0);
                assert_int_equal(authenticode_certs(&pe, &certs, &n, "two", &d), 0);
                assert_int_equal(n, 2);
                assert_int_equal(certs[1].off % 8, 0);
                assert_int_equal(certs[0].revision, WIN_CERT_REVISION_2_0);
                assert_int_equal(certs[1].type, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
                pe_release(&pe);
        }
}

static void test_rejections(void **state)
{
        _cleanup_free_ uint8_t *s = NULL;
        struct pe_image pe;
        struct diag d = {0};
        uint32_t cd, tbl;
        size_t len;

        if (!img)
                skip();
        sign((uint8_t *)img, img_len, key, cert, false, &s, &len);
        assert_int_equal(pe_parse(&pe, s, len, "s.efi", &d), 0);
        cd = pe.certdir_off;
        tbl = pe.cert_off;
        for (uint16_t i = 0; i < pe.n_sections; i++) {
                size_t at = pe.sections[i].raw_ptr + pe.sections[i].raw_size / 3;

                s[at] ^= 0x40;
                expect_reject(s, len, cert, "signature 1: digest mismatch: signed ");
                s[at] ^= 0x40;
        }
        /* Data after the last section is covered too; the header's CheckSum is not. */
        s[tbl - 1] ^= 1;
        expect_reject(s, len, cert, "digest mismatch");
        s[tbl - 1] ^= 1;
        s[pe.checksum_off] ^= 1;
        assert_int_equal(authenticode_verify_buf(s, len, cert, "c", "s.efi", &d), 0);
        s[pe.checksum_off] ^= 1;
        pe_release(&pe);
        expect_reject(s, len - 8, cert, "certificate table truncated: offset");
        put_le32(s + cd + 4, get_le32(s + cd + 4) - 64);
        expect_reject(s, len, cert, "certificate table truncated: entry at offset");
        put_le32(s + cd + 4, get_le32(s + cd + 4) + 64);
        put_le32(s + cd, (uint32_t)len + 64);
        expect_reject(s, len, cert, "points past end of file");
        put_le32(s + cd, tbl);
        put_le32(s + tbl, 4);
        expect_reject(s, len, cert, "has dwLength 4, less than its header");
        put_le32(s + tbl, (uint32_t)(len - tbl));
        put_le16(s + tbl + 6, 1);
        expect_reject(s, len, cert, "certificate type 0x0001 is not pkcs#7 signed data");
        put_le16(s + tbl + 6, 2);
        s[tbl + 8] = 0x31;
        expect_reject(s, len, cert, "is not valid pkcs#7");
}

static void test_idc_parse(void **state)
{
        _cleanup_(der_out_release) struct der_out o = {0};
        uint8_t md[32], back[32];

        for (int i = 0; i < 32; i++)
                md[i] = (uint8_t)i;
        assert_int_equal(authenticode_idc_build(md, &o), 0);
        assert_int_equal(authenticode_idc_digest(o.p, o.len, back), 0);
        assert_memory_equal(md, back, 32);
        for (size_t cut = 0; cut < o.len; cut++)
                assert_int_not_equal(authenticode_idc_digest(o.p, cut, back), 0);
}

static void expect_esl_error(const uint8_t *p, size_t len, const char *want)
{
        _cleanup_free_ struct esl_sig *sigs = NULL;
        struct diag d = {0};
        size_t n;

        if (esl_parse(p, len, &sigs, &n, "db.esl", &d) >= 0 || d.n != 1 || !strstr(d.msgs[0], want))
                fail_msg("want \"%s\", got \"%s\"", want, d.n ? d.msgs[0] : "(none)");
        diag_release(&d);
}

static void test_esl(void **state)
{
        _cleanup_free_ uint8_t *esl = NULL, *der = NULL;
        _cleanup_free_ struct esl_sig *sigs = NULL;
        struct efi_guid owner;
        struct diag d = {0};
        size_t len = 0, der_len, n;
        char s[37];

        assert_int_equal(efi_guid_parse("8be4df61-93ca-11d2-aa0d-00e098032b8c", &owner), 0);
        assert_memory_equal(owner.b, EFI_GLOBAL_VARIABLE_GUID.b, 16);
        efi_guid_format(&EFI_CERT_X509_GUID, s);
        assert_string_equal(s, "a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
        assert_int_not_equal(efi_guid_parse("8be4df61-93ca-11d2-aa0d-00e098032b8", &owner), 0);
        assert_int_not_equal(efi_guid_parse("8be4df61x93ca-11d2-aa0d-00e098032b8c", &owner), 0);
        assert_int_not_equal(efi_guid_parse("8be4df61-93ca-11d2-aa0d-00e098032bzz", &owner), 0);
        assert_int_equal(efi_guid_parse("11111111-2222-3333-4444-555555555555", &owner), 0);
        assert_int_equal(x509_der(cert, &der, &der_len, &d), 0);
        assert_int_equal(esl_append_x509(&esl, &len, &owner, der, der_len), 0);
        assert_int_equal(esl_append_x509(&esl, &len, &owner, der, der_len), 0);
        assert_int_equal(esl_parse(esl, len, &sigs, &n, "db.esl", &d), 0);
        assert_int_equal(n, 2);
        assert_memory_equal(sigs[1].type.b, EFI_CERT_X509_GUID.b, 16);
        assert_memory_equal(sigs[1].owner.b, owner.b, 16);
        assert_int_equal(sigs[1].len, der_len);
        assert_memory_equal(sigs[1].data, der, der_len);
        assert_int_equal(sigs[1].list_off, len / 2);
        expect_esl_error(esl, 20, "signature list at offset 0 truncated: 20 bytes left");
        expect_esl_error(esl, len - 1, "signature list at offset");
        expect_esl_error(esl, len - 1, "SignatureListSize");
        put_le32(esl + 20, 0x10000);
        expect_esl_error(esl, len, "SignatureHeaderSize 65536 does not fit");
        put_le32(esl + 20, 0);
        put_le32(esl + 24, 8);
        expect_esl_error(esl, len, "SignatureSize 8 is less than its owner GUID");
        put_le32(esl + 24, (uint32_t)der_len);
        expect_esl_error(esl, len, "are not a multiple of SignatureSize");
}

static void expect_auth_error(const uint8_t *p, size_t len, const char *want)
{
        struct efi_auth2 a;
        struct diag d = {0};

        if (auth2_parse(p, len, &a, "db.auth", &d) >= 0 || d.n != 1 || !strstr(d.msgs[0], want))
                fail_msg("want \"%s\", got \"%s\"", want, d.n ? d.msgs[0] : "(none)");
        diag_release(&d);
}

static void test_auth(void **state)
{
        static const uint8_t data[] = "not really an esl";
        _cleanup_free_ uint8_t *auth = NULL;
        struct efi_auth2 a;
        struct diag d = {0};
        size_t len;

        assert_int_equal(auth2_build("db", &EFI_IMAGE_SECURITY_DATABASE_GUID, 1700000000, data,
                                     sizeof(data), key, cert, &auth, &len, &d),
                         0);
        assert_int_equal(auth2_parse(auth, len, &a, "db.auth", &d), 0);
        assert_int_equal(a.data_len, sizeof(data));
        assert_memory_equal(a.data, data, sizeof(data));
        assert_int_equal(get_le16(a.time), 2023);
        assert_int_equal(a.time[2], 11);
        assert_int_equal(a.time[3], 14);
        assert_int_equal(auth2_verify(&a, "db", &EFI_IMAGE_SECURITY_DATABASE_GUID,
                                      EFI_VAR_TIME_AUTH_ATTRS, cert, "db.auth", &d),
                         0);
        assert_int_not_equal(auth2_verify(&a, "KEK", &EFI_IMAGE_SECURITY_DATABASE_GUID,
                                          EFI_VAR_TIME_AUTH_ATTRS, cert, "db.auth", &d),
                             0);
        assert_int_not_equal(auth2_verify(&a, "db", &EFI_GLOBAL_VARIABLE_GUID,
                                          EFI_VAR_TIME_AUTH_ATTRS, cert, "db.auth", &d),
                             0);
        assert_int_not_equal(auth2_verify(&a, "db", &EFI_IMAGE_SECURITY_DATABASE_GUID,
                                          EFI_VAR_TIME_AUTH_ATTRS, cert2, "db.auth", &d),
                             0);
        assert_non_null(strstr(d.msgs[d.n - 1], "signature over variable \"db\" does not verify"));
        diag_release(&d);
        expect_auth_error(auth, 30, "30 bytes is too short");
        put_le16(auth + 20, 0x100);
        expect_auth_error(auth, len, "wRevision 0x0100 is not 0x0200");
        put_le16(auth + 20, 0x200);
        put_le16(auth + 22, 2);
        expect_auth_error(auth, len, "wCertificateType 0x0002 is not WIN_CERT_TYPE_EFI_GUID");
        put_le16(auth + 22, WIN_CERT_TYPE_EFI_GUID);
        auth[30] ^= 1;
        expect_auth_error(auth, len, "CertType is not EFI_CERT_TYPE_PKCS7_GUID");
        auth[30] ^= 1;
        put_le32(auth + 16, (uint32_t)len);
        expect_auth_error(auth, len, "past end of file");
        put_le32(auth + 16, 10);
        expect_auth_error(auth, len, "dwLength 10 is smaller than its header");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digest_osslsigncode),
                cmocka_unit_test(test_sbsign_interop),
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_idc_parse),
                cmocka_unit_test(test_esl),
                cmocka_unit_test(test_auth),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
