/* auth.c: EFI_VARIABLE_AUTHENTICATION_2 (.auth files) for time-based authenticated variables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "esl.h"
#include "util/endian.h"
#include "ossl.h"
#include "pe.h"

void efi_time_from_epoch(time_t t, uint8_t out[EFI_TIME_LEN])
{
        struct tm tm;

        memset(out, 0, EFI_TIME_LEN);
        if (!gmtime_r(&t, &tm))
                return;
        put_le16(out, (uint16_t)(tm.tm_year + 1900));
        out[2] = (uint8_t)(tm.tm_mon + 1);
        out[3] = (uint8_t)tm.tm_mday;
        out[4] = (uint8_t)tm.tm_hour;
        out[5] = (uint8_t)tm.tm_min;
        out[6] = (uint8_t)tm.tm_sec;
        /* Pad1, Nanosecond, TimeZone, Daylight and Pad2 stay zero, as the spec asks. */
}

int auth2_signed_bytes(const char *var, const struct efi_guid *vendor, uint32_t attrs,
                       const uint8_t time[EFI_TIME_LEN], const uint8_t *data, size_t data_len,
                       uint8_t **out, size_t *out_len)
{
        size_t nl = strlen(var), len = 2 * nl + 16 + 4 + EFI_TIME_LEN + data_len;
        uint8_t *p = malloc(len ? len : 1), *q;

        if (!p)
                return -ENOMEM;
        q = p;
        /* Variable names here are ASCII: UTF-16LE is the byte and a zero. */
        for (size_t i = 0; i < nl; i++) {
                *q++ = (uint8_t)var[i];
                *q++ = 0;
        }
        memcpy(q, vendor->b, 16);
        q += 16;
        put_le32(q, attrs);
        q += 4;
        memcpy(q, time, EFI_TIME_LEN);
        q += EFI_TIME_LEN;
        if (data_len)
                memcpy(q, data, data_len);
        *out = p;
        *out_len = len;
        return 0;
}

/* Detached SignedData (not wrapped in a ContentInfo), as firmware and efitools expect. */
static int sign_detached(const uint8_t *msg, size_t len, EVP_PKEY *key, X509 *cert, uint8_t **der,
                         size_t *der_len, struct diag *d)
{
        const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_PARTIAL;
        _cleanup_pkcs7_ PKCS7 *p7 = NULL;
        _cleanup_bio_ BIO *in = BIO_new_mem_buf(msg, (int)len);
        unsigned char *q;
        int n;

        if (!in || X509_check_private_key(cert, key) != 1)
                return ossl_err(d, -EINVAL, "the signing key does not match the certificate");
        p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
        if (!p7 || !PKCS7_sign_add_signer(p7, cert, key, EVP_sha256(), flags) ||
            !PKCS7_final(p7, in, flags))
                return ossl_err(d, -EIO, "cannot sign the variable");
        n = i2d_PKCS7_SIGNED(p7->d.sign, NULL);
        if (n <= 0)
                return ossl_err(d, -EIO, "cannot encode the variable signature");
        *der = q = malloc((size_t)n);
        if (!q)
                return diag_err(d, -ENOMEM, "out of memory");
        if (i2d_PKCS7_SIGNED(p7->d.sign, &q) != n) {
                free(*der);
                return ossl_err(d, -EIO, "cannot encode the variable signature");
        }
        *der_len = (size_t)n;
        return 0;
}

int auth2_build(const char *var, const struct efi_guid *vendor, time_t t, const uint8_t *data,
                size_t data_len, EVP_PKEY *key, X509 *cert, uint8_t **out, size_t *out_len,
                struct diag *d)
{
        _cleanup_free_ uint8_t *msg = NULL, *sig = NULL;
        uint8_t time[EFI_TIME_LEN], *p;
        size_t msg_len, sig_len = 0, len;
        int r;

        efi_time_from_epoch(t, time);
        if (auth2_signed_bytes(var, vendor, EFI_VAR_TIME_AUTH_ATTRS, time, data, data_len, &msg,
                               &msg_len) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = sign_detached(msg, msg_len, key, cert, &sig, &sig_len, d);
        if (r < 0)
                return r;
        len = AUTH2_HDR_LEN + sig_len + data_len;
        p = malloc(len);
        if (!p)
                return diag_err(d, -ENOMEM, "out of memory");
        memcpy(p, time, EFI_TIME_LEN);
        put_le32(p + 16, (uint32_t)(8 + 16 + sig_len)); /* dwLength covers CertType and data */
        put_le16(p + 20, 0x0200);
        put_le16(p + 22, WIN_CERT_TYPE_EFI_GUID);
        memcpy(p + 24, EFI_CERT_TYPE_PKCS7_GUID.b, 16);
        memcpy(p + AUTH2_HDR_LEN, sig, sig_len);
        memcpy(p + AUTH2_HDR_LEN + sig_len, data, data_len);
        *out = p;
        *out_len = len;
        return 0;
}

int auth2_parse(const uint8_t *p, size_t len, struct efi_auth2 *a, const char *name, struct diag *d)
{
        uint32_t dw;

        if (len < AUTH2_HDR_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: %zu bytes is too short for an "
                                "EFI_VARIABLE_AUTHENTICATION_2 header",
                                name, len);
        dw = get_le32(p + 16);
        if (dw < 8 + 16)
                return diag_err(d, -EBADMSG,
                                "%s: AuthInfo dwLength %u is smaller than its "
                                "header",
                                name, dw);
        if (dw > len - EFI_TIME_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: AuthInfo dwLength %u past end of file (%zu "
                                "bytes)",
                                name, dw, len);
        if (get_le16(p + 20) != 0x0200)
                return diag_err(d, -EBADMSG, "%s: AuthInfo wRevision 0x%04x is not 0x0200", name,
                                get_le16(p + 20));
        if (get_le16(p + 22) != WIN_CERT_TYPE_EFI_GUID)
                return diag_err(d, -EBADMSG,
                                "%s: AuthInfo wCertificateType 0x%04x is not "
                                "WIN_CERT_TYPE_EFI_GUID",
                                name, get_le16(p + 22));
        if (memcmp(p + 24, EFI_CERT_TYPE_PKCS7_GUID.b, 16))
                return diag_err(d, -EBADMSG,
                                "%s: AuthInfo CertType is not EFI_CERT_TYPE_PKCS7_GUID", name);
        memcpy(a->time, p, EFI_TIME_LEN);
        a->p7 = p + AUTH2_HDR_LEN;
        a->p7_len = dw - 8 - 16;
        a->data = p + EFI_TIME_LEN + dw;
        a->data_len = len - EFI_TIME_LEN - dw;
        return 0;
}

static PKCS7 *wrap_signed(const uint8_t *der, size_t len)
{
        const unsigned char *q = der;
        PKCS7_SIGNED *sd = len < INT32_MAX ? d2i_PKCS7_SIGNED(NULL, &q, (long)len) : NULL;
        PKCS7 *p7;

        if (!sd)
                return NULL;
        p7 = PKCS7_new();
        if (!p7) {
                PKCS7_SIGNED_free(sd);
                return NULL;
        }
        p7->type = OBJ_nid2obj(NID_pkcs7_signed);
        p7->d.sign = sd;
        return p7;
}

int auth2_verify(const struct efi_auth2 *a, const char *var, const struct efi_guid *vendor,
                 uint32_t attrs, X509 *anchor, const char *name, struct diag *d)
{
        _cleanup_free_ uint8_t *msg = NULL;
        _cleanup_pkcs7_ PKCS7 *p7 = NULL;
        _cleanup_bio_ BIO *in = NULL;
        _cleanup_(X509_STORE_freep) X509_STORE *st = X509_STORE_new();
        size_t msg_len;

        if (auth2_signed_bytes(var, vendor, attrs, a->time, a->data, a->data_len, &msg, &msg_len) <
                    0 ||
            !st)
                return diag_err(d, -ENOMEM, "out of memory");
        p7 = wrap_signed(a->p7, a->p7_len);
        if (!p7)
                return ossl_err(d, -EBADMSG, "%s: AuthInfo CertData is not pkcs#7 signed data",
                                name);
        in = BIO_new_mem_buf(msg, (int)msg_len);
        if (!in || !X509_STORE_add_cert(st, anchor) ||
            !X509_VERIFY_PARAM_set_purpose(X509_STORE_get0_param(st), X509_PURPOSE_ANY))
                return ossl_err(d, -ENOMEM, "cannot set up verification");
        if (PKCS7_verify(p7, NULL, st, in, NULL, PKCS7_BINARY) != 1)
                return ossl_err(d, -EBADMSG, "%s: signature over variable \"%s\" does not verify",
                                name, var);
        return 0;
}
