/* authenticode.c: the Authenticode image digest, the certificate table, signing of PE images. */
#include "authenticode.h"
#include "util/endian.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include "util/hash.h"
#include "der.h"
#include "ossl.h"

/* Hash [from, to) of data unless the range is empty. */
static int md_range(EVP_MD_CTX *c, const uint8_t *data, uint64_t from, uint64_t to)
{
        if (to <= from)
                return 0;
        return EVP_DigestUpdate(c, data + from, (size_t)(to - from)) == 1 ? 0 : -EIO;
}

static int cmp_raw_ptr(const void *a, const void *b)
{
        const struct pe_section *x = *(const struct pe_section *const *)a;
        const struct pe_section *y = *(const struct pe_section *const *)b;

        return x->raw_ptr < y->raw_ptr ? -1 : x->raw_ptr > y->raw_ptr;
}

/* Bytes after the last section up to the end of file, leaving the certificate
 * table out wherever it sits. */
static int md_trailer(EVP_MD_CTX *c, const struct pe_image *pe)
{
        uint64_t cs = pe->cert_off, ce = (uint64_t)pe->cert_off + pe->cert_size;
        int r;

        if (!pe->cert_size || ce <= pe->raw_end)
                return md_range(c, pe->data, pe->raw_end, pe->len);
        r = md_range(c, pe->data, pe->raw_end, cs);
        if (r >= 0)
                r = md_range(c, pe->data, ce, pe->len);
        return r;
}

static int md_image(EVP_MD_CTX *c, const struct pe_image *pe, const struct pe_section **order)
{
        uint32_t hdr_end = pe->size_of_headers;
        int r;

        r = md_range(c, pe->data, 0, pe->checksum_off);
        if (pe->certdir_off) {
                if (r >= 0)
                        r = md_range(c, pe->data, pe->checksum_off + 4, pe->certdir_off);
                if (r >= 0)
                        r = md_range(c, pe->data, pe->certdir_off + 8, hdr_end);
        } else if (r >= 0)
                r = md_range(c, pe->data, pe->checksum_off + 4, hdr_end);
        for (uint16_t i = 0; r >= 0 && i < pe->n_sections; i++)
                r = md_range(c, pe->data, order[i]->raw_ptr,
                             (uint64_t)order[i]->raw_ptr + order[i]->raw_size);
        if (r >= 0)
                r = md_trailer(c, pe);
        return r;
}

int authenticode_digest(const struct pe_image *pe, uint8_t md[AUTHENTICODE_MD_LEN],
                        const char *name, struct diag *d)
{
        return authenticode_digest_padded(pe, 0, md, name, d);
}

int authenticode_digest_padded(const struct pe_image *pe, size_t pad,
                               uint8_t md[AUTHENTICODE_MD_LEN], const char *name, struct diag *d)
{
        static const uint8_t zeros[8];
        _cleanup_free_ const struct pe_section **order = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *c = EVP_MD_CTX_new();
        unsigned int n = 0;

        order = calloc(pe->n_sections ? pe->n_sections : 1, sizeof(*order));
        if (!order || !c)
                return diag_err(d, -ENOMEM, "%s: out of memory", name);
        for (uint16_t i = 0; i < pe->n_sections; i++)
                order[i] = &pe->sections[i];
        qsort(order, pe->n_sections, sizeof(*order), cmp_raw_ptr);
        if (pad > sizeof(zeros))
                return diag_err(d, -EINVAL, "%s: padding of %zu bytes", name, pad);
        if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || md_image(c, pe, order) < 0 ||
            EVP_DigestUpdate(c, zeros, pad) != 1 || EVP_DigestFinal_ex(c, md, &n) != 1 ||
            n != AUTHENTICODE_MD_LEN)
                return ossl_err(d, -EIO, "%s: cannot compute the authenticode digest", name);
        return 0;
}

static int check_entry(const struct pe_image *pe, uint32_t off, uint32_t end, const char *name,
                       struct diag *d)
{
        uint32_t len;

        if (end - off < WIN_CERT_HDR_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: certificate table truncated: %u bytes at "
                                "offset %u cannot hold a WIN_CERTIFICATE header",
                                name, end - off, off);
        len = get_le32(pe->data + off);
        if (len < WIN_CERT_HDR_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: certificate entry at offset %u has dwLength %u, "
                                "less than its header",
                                name, off, len);
        if (len > end - off)
                return diag_err(d, -EBADMSG,
                                "%s: certificate table truncated: entry at offset %u "
                                "has dwLength %u but only %u bytes remain in the table",
                                name, off, len, end - off);
        return 0;
}

int authenticode_certs(const struct pe_image *pe, struct win_cert **certs, size_t *n,
                       const char *name, struct diag *d)
{
        uint32_t off = pe->cert_off, end = pe->cert_off + pe->cert_size;
        struct win_cert *v = NULL;
        size_t count = 0;

        *certs = NULL;
        *n = 0;
        while (pe->cert_size && off < end) {
                struct win_cert *nv;
                int r = check_entry(pe, off, end, name, d);

                if (r < 0) {
                        free(v);
                        return r;
                }
                nv = realloc(v, (count + 1) * sizeof(*v));
                if (!nv) {
                        free(v);
                        return diag_err(d, -ENOMEM, "%s: out of memory", name);
                }
                v = nv;
                v[count].off = off;
                v[count].length = get_le32(pe->data + off);
                v[count].revision = get_le16(pe->data + off + 4);
                v[count].type = get_le16(pe->data + off + 6);
                v[count].der = pe->data + off + WIN_CERT_HDR_LEN;
                v[count].der_len = v[count].length - WIN_CERT_HDR_LEN;
                count++;
                /* Entries start on 8-byte boundaries; the last one's padding may be cut. */
                off += (v[count - 1].length + 7) & ~7u;
                if (off < v[count - 1].off)
                        break;
        }
        *certs = v;
        *n = count;
        return 0;
}
