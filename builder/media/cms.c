/* cms.c: detached CMS signatures (DER) over files and buffers, made and checked in one pass. */
#include "cms.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sign/ossl.h"

DEFINE_TRIVIAL_CLEANUP(CMS_ContentInfo *, CMS_ContentInfo_free)

/* No signed attributes: no signing time, so the DER depends on the key and the
 * bytes alone (RSA PKCS#1 v1.5 is deterministic). Binary: no CRLF rewriting. */
#define SIGN_FLAGS (CMS_DETACHED | CMS_BINARY | CMS_NOATTR | CMS_PARTIAL | CMS_NOSMIMECAP)

int cms_signer_init(struct cms_signer *s, EVP_PKEY *key, X509 *cert, struct diag *d)
{
        CMS_ContentInfo *cms;
        BIO *b;

        memset(s, 0, sizeof(*s));
        cms = CMS_sign(NULL, NULL, NULL, NULL, SIGN_FLAGS);
        if (!cms)
                return ossl_err(d, -EIO, "cannot start a CMS signature");
        if (!CMS_add1_signer(cms, cert, key, EVP_sha256(), SIGN_FLAGS)) {
                CMS_ContentInfo_free(cms);
                return ossl_err(d, -EINVAL, "cannot add the signer to a CMS signature");
        }
        b = CMS_dataInit(cms, NULL);
        if (!b) {
                CMS_ContentInfo_free(cms);
                return ossl_err(d, -EIO, "cannot start the CMS digest");
        }
        s->cms = cms;
        s->bio = b;
        return 0;
}

int cms_signer_update(struct cms_signer *s, const void *data, size_t len, struct diag *d)
{
        const char *p = data;

        while (len > 0) {
                int chunk = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;
                int n = BIO_write(s->bio, p, chunk);

                if (n <= 0)
                        return ossl_err(d, -EIO, "cannot digest data for a CMS signature");
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int cms_signer_final(struct cms_signer *s, uint8_t **der, size_t *len, struct diag *d)
{
        unsigned char *buf = NULL;
        int n;

        if (!CMS_dataFinal(s->cms, s->bio))
                return ossl_err(d, -EIO, "cannot finish a CMS signature");
        n = i2d_CMS_ContentInfo(s->cms, &buf);
        if (n <= 0)
                return ossl_err(d, -EIO, "cannot encode a CMS signature");
        *der = malloc((size_t)n);
        if (!*der) {
                OPENSSL_free(buf);
                return diag_err(d, -ENOMEM, "out of memory");
        }
        memcpy(*der, buf, (size_t)n);
        OPENSSL_free(buf);
        *len = (size_t)n;
        return 0;
}

void cms_signer_release(struct cms_signer *s)
{
        BIO_free_all(s->bio);
        CMS_ContentInfo_free(s->cms);
        s->bio = NULL;
        s->cms = NULL;
}

int cms_sign_buf(const void *data, size_t len, EVP_PKEY *key, X509 *cert, uint8_t **der,
                 size_t *der_len, struct diag *d)
{
        struct cms_signer s;
        int r = cms_signer_init(&s, key, cert, d);

        if (r < 0)
                return r;
        r = cms_signer_update(&s, data, len, d);
        if (r >= 0)
                r = cms_signer_final(&s, der, der_len, d);
        cms_signer_release(&s);
        return r;
}

/* Every signer must use SHA-256 or longer: the DER is untrusted and could name
 * a weak digest that OpenSSL would still check. */
static int check_digests(CMS_ContentInfo *cms, const char *what, struct diag *d)
{
        STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
        int n = sis ? sk_CMS_SignerInfo_num(sis) : 0;

        if (n <= 0)
                return diag_err(d, -EBADMSG, "%s: signature has no signer", what);
        for (int i = 0; i < n; i++) {
                X509_ALGOR *alg = NULL;
                int nid;

                CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, i), NULL, NULL, &alg, NULL);
                nid = alg ? OBJ_obj2nid(alg->algorithm) : NID_undef;
                if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512)
                        return diag_err(d, -EBADMSG,
                                        "%s: signature uses digest \"%s\" (want sha256)", what,
                                        nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
        }
        return 0;
}

/* OpenSSL 3.0 has no code-signing purpose: chains are checked with purpose
 * "any" and the signer's extended key usage here. */
static int check_signers_eku(CMS_ContentInfo *cms, const char *what, struct diag *d)
{
        STACK_OF(X509) *signers = CMS_get0_signers(cms);
        int r = 0;

        for (int i = 0; signers && i < sk_X509_num(signers); i++) {
                X509 *x = sk_X509_value(signers, i);

                if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
                    !(X509_get_extended_key_usage(x) & XKU_CODE_SIGN)) {
                        r = diag_err(d, -EBADMSG, "%s: signer certificate is not for code signing",
                                     what);
                        break;
                }
        }
        sk_X509_free(signers);
        return r;
}

static int verify_error(const char *what, const char *anchor_subject, struct diag *d)
{
        unsigned long e = ERR_peek_last_error();
        int reason = ERR_GET_REASON(e);
        char buf[256] = "";

        if (e)
                ERR_error_string_n(e, buf, sizeof(buf));
        ERR_clear_error();
        if (reason == CMS_R_CERTIFICATE_VERIFY_ERROR)
                return diag_err(d, -EBADMSG, "%s: signer certificate does not chain to \"%s\"",
                                what, anchor_subject);
        if (reason == CMS_R_VERIFICATION_FAILURE || reason == CMS_R_CONTENT_VERIFY_ERROR)
                return diag_err(d, -EBADMSG, "%s: signature does not match the file", what);
        return diag_err(d, -EBADMSG, "%s: signature is not valid: %s", what, buf);
}

int cms_verify_detached(const uint8_t *sig, size_t sig_len, const void *content, size_t content_len,
                        const char *content_path, X509 *anchor, const char *what, struct diag *d)
{
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = NULL;
        _cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
        _cleanup_bio_ BIO *in = NULL;
        const unsigned char *p = sig;
        char subject[256] = "";
        int r;

        if (sig_len == 0 || sig_len > INT_MAX)
                return diag_err(d, -EBADMSG, "%s: signature is empty or too large", what);
        cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);
        if (!cms || p != sig + sig_len)
                return ossl_err(d, -EBADMSG, "%s: signature is not a DER CMS structure", what);
        if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
                return diag_err(d, -EBADMSG, "%s: signature is not CMS signed data", what);
        r = check_digests(cms, what, d);
        if (r < 0)
                return r;
        if (content && content_len > INT_MAX)
                return diag_err(d, -EFBIG, "%s: signed content is too large", what);
        if (content)
                in = BIO_new_mem_buf(content, (int)content_len);
        else
                in = BIO_new_file(content_path, "rb");
        store = X509_STORE_new();
        if (!in || !store)
                return ossl_err(d, -EIO, "%s: cannot open the signed content", what);
        if (!X509_STORE_add_cert(store, anchor) || !X509_STORE_set_purpose(store, X509_PURPOSE_ANY))
                return ossl_err(d, -EIO, "cannot set up the certificate store");
        X509_NAME_oneline(X509_get_subject_name(anchor), subject, sizeof(subject));
        if (CMS_verify(cms, NULL, store, in, NULL, CMS_BINARY) != 1)
                return verify_error(what, subject, d);
        return check_signers_eku(cms, what, d);
}

int cms_signer_cert(const uint8_t *sig, size_t sig_len, X509 **out)
{
        _cleanup_(CMS_ContentInfo_freep) CMS_ContentInfo *cms = NULL;
        const unsigned char *p = sig;
        STACK_OF(CMS_SignerInfo) * infos;
        STACK_OF(X509) * certs;
        int r = -ENOENT;

        *out = NULL;
        if (sig_len == 0 || sig_len > INT_MAX ||
            !(cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len)) || p != sig + sig_len)
                return -EBADMSG;
        infos = CMS_get0_SignerInfos(cms);
        certs = CMS_get1_certs(cms);
        if (infos && certs && sk_CMS_SignerInfo_num(infos) == 1)
                for (int i = 0; r < 0 && i < sk_X509_num(certs); i++)
                        if (CMS_SignerInfo_cert_cmp(sk_CMS_SignerInfo_value(infos, 0),
                                                    sk_X509_value(certs, i)) == 0 &&
                            X509_up_ref(sk_X509_value(certs, i)) == 1) {
                                *out = sk_X509_value(certs, i);
                                r = 0;
                        }
        sk_X509_pop_free(certs, X509_free);
        return r;
}
