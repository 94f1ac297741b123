/* authenticode_sign.c: SpcIndirectDataContent, its PKCS#7 SignedData, and the signed image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include "authenticode.h"
#include "util/endian.h"
#include "authenticode_asn1.h"
#include "der.h"
#include "ossl.h"

/* "<<<Obsolete>>>" as a BMPString: what signers put in SpcPeImageData.file. */
static void put_obsolete(struct der_out *o)
{
        static const char s[] = "<<<Obsolete>>>";

        for (size_t i = 0; i < sizeof(s) - 1; i++) {
                uint8_t c[2] = {0, (uint8_t)s[i]};

                der_put(o, c, 2);
        }
}

int authenticode_idc_build(const uint8_t md[AUTHENTICODE_MD_LEN], struct der_out *o)
{
        static const uint8_t flags[] = {DER_BIT_STRING, 1, 0}; /* no flags */
        static const uint8_t null[] = {DER_NULL, 0};
        size_t idc, data, img, file, link, str, di, alg, mdp;

        idc = o->len;
        data = o->len;
        der_put(o, OID_SPC_PE_IMAGE_DATA, sizeof(OID_SPC_PE_IMAGE_DATA));
        der_wrap(o, o->len - sizeof(OID_SPC_PE_IMAGE_DATA), DER_OID);
        img = o->len;
        der_put(o, flags, sizeof(flags));
        file = o->len;
        link = o->len;
        str = o->len;
        put_obsolete(o);
        der_wrap(o, str, DER_CTX(0));       /* SpcString.unicode */
        der_wrap(o, link, DER_CTX_CONS(2)); /* SpcLink.file */
        der_wrap(o, file, DER_CTX_CONS(0)); /* SpcPeImageData.file */
        der_wrap(o, img, DER_SEQUENCE);
        der_wrap(o, data, DER_SEQUENCE);
        di = o->len;
        alg = o->len;
        der_put(o, OID_SHA256, sizeof(OID_SHA256));
        der_wrap(o, alg, DER_OID);
        der_put(o, null, sizeof(null));
        der_wrap(o, alg, DER_SEQUENCE);
        mdp = o->len;
        der_put(o, md, AUTHENTICODE_MD_LEN);
        der_wrap(o, mdp, DER_OCTET_STRING);
        der_wrap(o, di, DER_SEQUENCE);
        der_wrap(o, idc, DER_SEQUENCE);
        return o->failed ? -ENOMEM : 0;
}

/* The signed attributes Authenticode verifiers look for: the content type and
 * the digest of the SpcIndirectDataContent's contents (not its header). */
static int add_attrs(PKCS7_SIGNER_INFO *si, const uint8_t *body, size_t body_len)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        ASN1_OBJECT *type = OBJ_txt2obj(SPC_INDIRECT_DATA_OBJID, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

        if (!type || !os || EVP_Digest(body, body_len, md, &n, EVP_sha256(), NULL) != 1 ||
            !ASN1_OCTET_STRING_set(os, md, (int)n))
                goto err;
        if (!PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT, type))
                goto err;
        type = NULL;
        if (!PKCS7_add_signed_attribute(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, os))
                goto err;
        return 0;
err:
        ASN1_OBJECT_free(type);
        ASN1_OCTET_STRING_free(os);
        return -EIO;
}

/* SignedData whose content is the SpcIndirectDataContent itself (not data). */
static int set_content(PKCS7 *p7, const uint8_t *idc, size_t idc_len)
{
        PKCS7 *inner = PKCS7_new();
        ASN1_TYPE *t = ASN1_TYPE_new();
        ASN1_STRING *s = ASN1_STRING_type_new(V_ASN1_SEQUENCE);

        if (!inner || !t || !s || !ASN1_STRING_set(s, idc, (int)idc_len))
                goto err;
        inner->type = OBJ_txt2obj(SPC_INDIRECT_DATA_OBJID, 1);
        if (!inner->type)
                goto err;
        ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
        s = NULL;
        inner->d.other = t;
        t = NULL;
        if (!PKCS7_set_content(p7, inner))
                goto err;
        return 0;
err:
        ASN1_STRING_free(s);
        ASN1_TYPE_free(t);
        PKCS7_free(inner);
        return -EIO;
}

int authenticode_p7_build(const uint8_t md[AUTHENTICODE_MD_LEN], EVP_PKEY *key, X509 *cert,
                          uint8_t **der, size_t *der_len, struct diag *d)
{
        _cleanup_(der_out_release) struct der_out idc = {0};
        _cleanup_pkcs7_ PKCS7 *p7 = PKCS7_new();
        PKCS7_SIGNER_INFO *si;
        struct der c, body;
        unsigned char *q;
        int n;

        if (authenticode_idc_build(md, &idc) < 0 || !p7)
                return diag_err(d, -ENOMEM, "out of memory");
        c = (struct der){idc.p, idc.len};
        if (der_take(&c, DER_SEQUENCE, &body, NULL) < 0)
                return diag_err(d, -EINVAL, "internal error: bad SpcIndirectDataContent");
        if (X509_check_private_key(cert, key) != 1)
                return ossl_err(d, -EINVAL, "the signing key does not match the certificate");
        if (!PKCS7_set_type(p7, NID_pkcs7_signed))
                return ossl_err(d, -EIO, "cannot create pkcs#7 signed data");
        si = PKCS7_add_signature(p7, cert, key, EVP_sha256());
        if (!si || !PKCS7_add_certificate(p7, cert))
                return ossl_err(d, -EINVAL,
                                "cannot add the signer (does the key match the "
                                "certificate?)");
        if (add_attrs(si, body.p, body.len) < 0 || set_content(p7, idc.p, idc.len) < 0)
                return ossl_err(d, -EIO, "cannot build the authenticode content");
        if (!PKCS7_SIGNER_INFO_sign(si))
                return ossl_err(d, -EIO, "signing failed");
        n = i2d_PKCS7(p7, NULL);
        if (n <= 0)
                return ossl_err(d, -EIO, "cannot encode the signature");
        *der = q = malloc((size_t)n);
        if (!q)
                return diag_err(d, -ENOMEM, "out of memory");
        if (i2d_PKCS7(p7, &q) != n) {
                free(*der);
                *der = NULL;
                return ossl_err(d, -EIO, "cannot encode the signature");
        }
        *der_len = (size_t)n;
        return 0;
}

/* Where the unsigned image ends and which old table bytes stay (with append). */
static int plan_table(const struct pe_image *pe, bool append, uint32_t *keep, uint32_t *old,
                      const char *name, struct diag *d)
{
        _cleanup_free_ struct win_cert *certs = NULL;
        size_t n;
        int r;

        if (!pe->certdir_off)
                return diag_err(d, -EINVAL,
                                "%s: no certificate table entry in the data "
                                "directory (NumberOfRvaAndSizes %u)",
                                name, pe->n_dirs);
        *keep = (uint32_t)pe->len;
        *old = 0;
        if (!pe->cert_size)
                return 0;
        if ((uint64_t)pe->cert_off + pe->cert_size != pe->len)
                return diag_err(d, -EINVAL,
                                "%s: data follows the certificate table (offset %u, "
                                "size %u, file %zu bytes)",
                                name, pe->cert_off, pe->cert_size, pe->len);
        r = authenticode_certs(pe, &certs, &n, name, d);
        if (r < 0)
                return r;
        *keep = pe->cert_off;
        if (append)
                *old = pe->cert_size;
        return 0;
}

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static void put_entry(uint8_t *p, const uint8_t *der, size_t der_len)
{
        put_le32(p, (uint32_t)(WIN_CERT_HDR_LEN + der_len));
        put_le16(p + 4, WIN_CERT_REVISION_2_0);
        put_le16(p + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        memcpy(p + WIN_CERT_HDR_LEN, der, der_len);
}

/* The signature for the image as it will be: without its old table (replaced
 * or kept aside), padded to 8 bytes. */
static int make_signature(const struct pe_image *pe, uint32_t keep, EVP_PKEY *key, X509 *cert,
                          uint8_t **der, size_t *der_len, const char *name, struct diag *d)
{
        uint8_t md[AUTHENTICODE_MD_LEN];
        int r;

        r = authenticode_digest_padded(pe, ALIGN8((size_t)keep) - keep, md, name, d);
        if (r >= 0)
                r = authenticode_p7_build(md, key, cert, der, der_len, d);
        return r;
}

void signed_parts_release(struct signed_parts *p)
{
        free(p->head);
        free(p->tail);
        memset(p, 0, sizeof(*p));
}

int authenticode_sign_parts(const uint8_t *in, size_t len, EVP_PKEY *key, X509 *cert, bool append,
                            struct signed_parts *out, const char *name, struct diag *d)
{
        _cleanup_free_ uint8_t *der = NULL;
        uint32_t keep = 0, old = 0, certdir_off, checksum_off;
        size_t base, der_len = 0, total, head;
        struct pe_image pe;
        uint64_t sum;
        int r;

        memset(out, 0, sizeof(*out));
        r = pe_parse(&pe, in, len, name, d);
        if (r < 0)
                return r;
        r = plan_table(&pe, append, &keep, &old, name, d);
        if (r >= 0)
                r = make_signature(&pe, keep, key, cert, &der, &der_len, name, d);
        certdir_off = pe.certdir_off;
        checksum_off = pe.checksum_off;
        pe_release(&pe);
        if (r < 0)
                return r;
        base = ALIGN8((size_t)keep);
        total = base + ALIGN8((size_t)old) + ALIGN8(WIN_CERT_HDR_LEN + der_len);
        if (total > UINT32_MAX)
                return diag_err(d, -EFBIG, "%s: signed image would exceed 4 GiB", name);
        /* The fields that change sit in the headers: a copy of those, the input's
         * mapped bytes after them as they are, and a new tail. */
        head = certdir_off + 8 > checksum_off + 4 ? certdir_off + 8 : checksum_off + 4;
        if (head > keep) /* pe_parse keeps the table after the headers: not reached */
                return diag_err(d, -EINVAL, "%s: the headers overlap the certificate table", name);
        out->head = malloc(head ? head : 1);
        out->tail = calloc(1, total - keep);
        if (!out->head || !out->tail) {
                signed_parts_release(out);
                return diag_err(d, -ENOMEM, "%s: out of memory", name);
        }
        memcpy(out->head, in, head);
        out->head_len = head;
        out->mid = in + head;
        out->mid_len = keep - head;
        out->tail_len = total - keep;
        memcpy(out->tail + (base - keep), in + keep, old);
        put_entry(out->tail + (base - keep) + ALIGN8((size_t)old), der, der_len);
        put_le32(out->head + certdir_off, (uint32_t)base);
        put_le32(out->head + certdir_off + 4, (uint32_t)(total - base));
        put_le32(out->head + checksum_off, 0);
        sum = pe_sum(out->head, out->head_len, 0) + pe_sum(out->mid, out->mid_len, head) +
              pe_sum(out->tail, out->tail_len, keep);
        put_le32(out->head + checksum_off, pe_sum_fold(sum, total));
        return 0;
}

int authenticode_sign_buf(const uint8_t *in, size_t len, EVP_PKEY *key, X509 *cert, bool append,
                          uint8_t **out, size_t *out_len, const char *name, struct diag *d)
{
        struct signed_parts p;
        size_t total;
        uint8_t *buf;
        int r = authenticode_sign_parts(in, len, key, cert, append, &p, name, d);

        if (r < 0)
                return r;
        total = p.head_len + p.mid_len + p.tail_len;
        buf = malloc(total);
        if (!buf) {
                signed_parts_release(&p);
                return diag_err(d, -ENOMEM, "%s: out of memory", name);
        }
        memcpy(buf, p.head, p.head_len);
        memcpy(buf + p.head_len, p.mid, p.mid_len);
        memcpy(buf + p.head_len + p.mid_len, p.tail, p.tail_len);
        signed_parts_release(&p);
        *out = buf;
        *out_len = total;
        return 0;
}
