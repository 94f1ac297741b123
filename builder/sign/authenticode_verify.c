/* authenticode_verify.c: a PE image's Authenticode signatures checked against an anchor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "util/hash.h"
#include "authenticode.h"
#include "authenticode_asn1.h"
#include "ossl.h"

DEFINE_TRIVIAL_CLEANUP(STACK_OF(X509) *, sk_X509_free)

int authenticode_idc_digest(const uint8_t *idc, size_t len, uint8_t md[AUTHENTICODE_MD_LEN])
{
        struct der c = {idc, len}, body, data, type, di, alg, oid, digest;

        if (der_take(&c, DER_SEQUENCE, &body, NULL) < 0 ||
            der_take(&body, DER_SEQUENCE, &data, NULL) < 0 ||
            der_take(&data, DER_OID, &type, NULL) < 0 ||
            !der_oid_is(&type, OID_SPC_PE_IMAGE_DATA, sizeof(OID_SPC_PE_IMAGE_DATA)))
                return -EBADMSG;
        if (der_take(&body, DER_SEQUENCE, &di, NULL) < 0 ||
            der_take(&di, DER_SEQUENCE, &alg, NULL) < 0 || der_take(&alg, DER_OID, &oid, NULL) < 0)
                return -EBADMSG;
        if (!der_oid_is(&oid, OID_SHA256, sizeof(OID_SHA256)))
                return -EPROTONOSUPPORT;
        if (der_take(&di, DER_OCTET_STRING, &digest, NULL) < 0 || digest.len != AUTHENTICODE_MD_LEN)
                return -EBADMSG;
        memcpy(md, digest.p, AUTHENTICODE_MD_LEN);
        return 0;
}

/* The SpcIndirectDataContent a SignedData carries, or NULL with a message. */
static const ASN1_STRING *p7_idc(PKCS7 *p7, const char *what, struct diag *d)
{
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *spc = OBJ_txt2obj(SPC_INDIRECT_DATA_OBJID, 1);
        PKCS7 *inner;

        if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents) {
                diag_err(d, -EBADMSG, "%s is not pkcs#7 signed data", what);
                return NULL;
        }
        inner = p7->d.sign->contents;
        if (!spc || !inner->type || OBJ_cmp(inner->type, spc)) {
                diag_err(d, -EBADMSG, "%s does not carry SpcIndirectDataContent", what);
                return NULL;
        }
        if (!inner->d.other || inner->d.other->type != V_ASN1_SEQUENCE) {
                diag_err(d, -EBADMSG, "%s: SpcIndirectDataContent is not a sequence", what);
                return NULL;
        }
        return inner->d.other->value.sequence;
}

static int p7_parse(const uint8_t *der, size_t len, PKCS7 **out, uint8_t md[AUTHENTICODE_MD_LEN],
                    const char *what, struct diag *d)
{
        _cleanup_pkcs7_ PKCS7 *p7 = NULL;
        const unsigned char *p = der;
        const ASN1_STRING *idc;
        int r;

        if (len > INT32_MAX)
                return diag_err(d, -EBADMSG, "%s is too large", what);
        p7 = d2i_PKCS7(NULL, &p, (long)len);
        if (!p7)
                return ossl_err(d, -EBADMSG, "%s is not valid pkcs#7", what);
        idc = p7_idc(p7, what, d);
        if (!idc)
                return -EBADMSG;
        r = authenticode_idc_digest(idc->data, (size_t)idc->length, md);
        if (r == -EPROTONOSUPPORT)
                return diag_err(d, r, "%s: image digest is not sha-256", what);
        if (r < 0)
                return diag_err(d, r, "%s: malformed SpcIndirectDataContent", what);
        if (out)
                *out = TAKE_PTR(p7);
        return 0;
}

int authenticode_signed_digest(const uint8_t *der, size_t len, uint8_t md[AUTHENTICODE_MD_LEN],
                               const char *name, struct diag *d)
{
        return p7_parse(der, len, NULL, md, name, d);
}

/* A store that trusts anchor alone, for any purpose: code-signing certificates
 * need not carry the S/MIME usages PKCS7_verify would ask for. */
static X509_STORE *anchor_store(X509 *anchor)
{
        X509_STORE *st = X509_STORE_new();

        if (!st || !X509_STORE_add_cert(st, anchor) ||
            !X509_VERIFY_PARAM_set_purpose(X509_STORE_get0_param(st), X509_PURPOSE_ANY)) {
                X509_STORE_free(st);
                return NULL;
        }
        return st;
}

static int check_chain(PKCS7 *p7, X509_STORE *st, const char *anchor_name, const char *what,
                       struct diag *d)
{
        _cleanup_(sk_X509_freep) STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        int e;

        if (!signers || sk_X509_num(signers) != 1)
                return ossl_err(d, -EBADMSG, "%s: signer certificate not found in the signature",
                                what);
        if (!ctx || !X509_STORE_CTX_init(ctx, st, sk_X509_value(signers, 0), p7->d.sign->cert))
                return ossl_err(d, -ENOMEM, "%s: cannot set up certificate verification", what);
        if (X509_verify_cert(ctx) == 1)
                return 0;
        e = X509_STORE_CTX_get_error(ctx);
        ERR_clear_error();
        return diag_err(d, -EBADMSG, "%s: signature does not chain to %s (%s)", what, anchor_name,
                        X509_verify_cert_error_string(e));
}

static void hex(const uint8_t *md, char out[2 * AUTHENTICODE_MD_LEN + 1])
{
        hex_encode(md, AUTHENTICODE_MD_LEN, out);
}

static int verify_one(const struct win_cert *wc, const uint8_t md[AUTHENTICODE_MD_LEN],
                      X509_STORE *st, const char *anchor_name, const char *what, struct diag *d)
{
        _cleanup_pkcs7_ PKCS7 *p7 = NULL;
        _cleanup_bio_ BIO *in = NULL;
        const ASN1_STRING *idc;
        uint8_t claimed[AUTHENTICODE_MD_LEN];
        char a[2 * AUTHENTICODE_MD_LEN + 1], b[2 * AUTHENTICODE_MD_LEN + 1];
        struct der c, body;
        int r;

        if (wc->type != WIN_CERT_TYPE_PKCS_SIGNED_DATA)
                return diag_err(d, -EBADMSG,
                                "%s: certificate type 0x%04x is not pkcs#7 signed "
                                "data",
                                what, wc->type);
        r = p7_parse(wc->der, wc->der_len, &p7, claimed, what, d);
        if (r < 0)
                return r;
        r = check_chain(p7, st, anchor_name, what, d);
        if (r < 0)
                return r;
        idc = p7_idc(p7, what, d);
        c = (struct der){idc->data, (size_t)idc->length};
        if (der_take(&c, DER_SEQUENCE, &body, NULL) < 0)
                return diag_err(d, -EBADMSG, "%s: malformed SpcIndirectDataContent", what);
        in = BIO_new_mem_buf(body.p, (int)body.len);
        if (!in)
                return diag_err(d, -ENOMEM, "out of memory");
        if (PKCS7_verify(p7, NULL, st, in, NULL, PKCS7_BINARY | PKCS7_NOVERIFY) != 1)
                return ossl_err(d, -EBADMSG, "%s: signature does not verify", what);
        if (memcmp(claimed, md, AUTHENTICODE_MD_LEN)) {
                hex(claimed, a);
                hex(md, b);
                return diag_err(d, -EBADMSG, "%s: digest mismatch: signed %s, image has %s", what,
                                a, b);
        }
        return 0;
}

static int verify_all(const struct pe_image *pe, X509 *anchor, const char *anchor_name,
                      const char *name, struct diag *d)
{
        _cleanup_(X509_STORE_freep) X509_STORE *st = anchor_store(anchor);
        _cleanup_free_ struct win_cert *certs = NULL;
        uint8_t md[AUTHENTICODE_MD_LEN];
        struct diag tmp = {0};
        size_t n;
        int r;

        if (!st)
                return ossl_err(d, -ENOMEM, "cannot set up a certificate store");
        r = authenticode_certs(pe, &certs, &n, name, d);
        if (r < 0)
                return r;
        if (!n)
                return diag_err(d, -EBADMSG, "%s: not signed (empty certificate table)", name);
        r = authenticode_digest(pe, md, name, d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char what[512];

                snprintf(what, sizeof(what), "%s: signature %zu", name, i + 1);
                if (verify_one(&certs[i], md, st, anchor_name, what, &tmp) == 0) {
                        diag_release(&tmp);
                        return 0;
                }
        }
        diag_move(d, &tmp);
        return -EBADMSG;
}

int authenticode_verify_buf(const uint8_t *data, size_t len, X509 *anchor, const char *anchor_name,
                            const char *name, struct diag *d)
{
        struct pe_image pe;
        int r;

        r = pe_parse(&pe, data, len, name, d);
        if (r < 0)
                return -EBADMSG;
        if (!pe.cert_size)
                r = diag_err(d, -EBADMSG, "%s: not signed (no certificate table)", name);
        else
                r = verify_all(&pe, anchor, anchor_name, name, d);
        pe_release(&pe);
        return r;
}
