/* esl.c: EFI signature lists and GUIDs: building and checked parsing. */
#include "esl.h"
#include "util/endian.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe.h" /* little-endian accessors */

#define EFI_GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                                          \
        {                                                                                          \
                {                                                                                  \
                        (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, ((a) >> 24) & 0xff,     \
                                (b)&0xff, ((b) >> 8) & 0xff, (c)&0xff, ((c) >> 8) & 0xff, d0, d1,  \
                                d2, d3, d4, d5, d6, d7                                             \
                }                                                                                  \
        }

const struct efi_guid EFI_CERT_X509_GUID =
        EFI_GUID(0xa5c059a1, 0x94e4, 0x4aa7, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72);
const struct efi_guid EFI_CERT_SHA256_GUID =
        EFI_GUID(0xc1c41626, 0x504c, 0x4092, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28);
const struct efi_guid EFI_CERT_TYPE_PKCS7_GUID =
        EFI_GUID(0x4aafd29d, 0x68df, 0x49ee, 0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7);
const struct efi_guid EFI_GLOBAL_VARIABLE_GUID =
        EFI_GUID(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c);
const struct efi_guid EFI_IMAGE_SECURITY_DATABASE_GUID =
        EFI_GUID(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f);

/* Byte i of the string form's hex pairs lands at this index of the EFI layout. */
static const uint8_t guid_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

int efi_guid_parse(const char *s, struct efi_guid *g)
{
        size_t k = 0;

        if (strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 36;) {
                unsigned v;

                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i++] != '-')
                                return -EINVAL;
                        continue;
                }
                if (sscanf(s + i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[i]) ||
                    !strchr("0123456789abcdefABCDEF", s[i + 1]))
                        return -EINVAL;
                g->b[guid_order[k++]] = (uint8_t)v;
                i += 2;
        }
        return 0;
}

void efi_guid_format(const struct efi_guid *g, char out[37])
{
        char *p = out;

        for (size_t k = 0; k < 16; k++) {
                if (k == 4 || k == 6 || k == 8 || k == 10)
                        *p++ = '-';
                p += sprintf(p, "%02x", g->b[guid_order[k]]);
        }
}

static int check_list(const uint8_t *p, size_t left, size_t off, const char *name, struct diag *d)
{
        uint32_t list, hdr, sig;

        if (left < ESL_HDR_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: signature list at offset %zu truncated: %zu "
                                "bytes left for a %u-byte header",
                                name, off, left, ESL_HDR_LEN);
        list = get_le32(p + 16);
        hdr = get_le32(p + 20);
        sig = get_le32(p + 24);
        if (list > left)
                return diag_err(d, -EBADMSG,
                                "%s: signature list at offset %zu: SignatureListSize "
                                "%u past end of data (%zu bytes left)",
                                name, off, list, left);
        if ((uint64_t)ESL_HDR_LEN + hdr > list)
                return diag_err(d, -EBADMSG,
                                "%s: signature list at offset %zu: SignatureHeaderSize "
                                "%u does not fit in SignatureListSize %u",
                                name, off, hdr, list);
        if (sig < ESL_OWNER_LEN)
                return diag_err(d, -EBADMSG,
                                "%s: signature list at offset %zu: SignatureSize %u "
                                "is less than its owner GUID",
                                name, off, sig);
        if ((list - ESL_HDR_LEN - hdr) % sig)
                return diag_err(d, -EBADMSG,
                                "%s: signature list at offset %zu: %u bytes of "
                                "signatures are not a multiple of SignatureSize %u",
                                name, off, list - ESL_HDR_LEN - hdr, sig);
        return 0;
}

static int push_sigs(const uint8_t *p, size_t off, struct esl_sig **sigs, size_t *n)
{
        uint32_t list = get_le32(p + 16), hdr = get_le32(p + 20), sig = get_le32(p + 24);
        size_t count = (list - ESL_HDR_LEN - hdr) / sig;
        struct esl_sig *v;

        if (!count)
                return 0;
        v = reallocarray(*sigs, *n + count, sizeof(*v));
        if (!v)
                return -ENOMEM;
        *sigs = v;
        for (size_t i = 0; i < count; i++) {
                const uint8_t *s = p + ESL_HDR_LEN + hdr + i * sig;
                struct esl_sig *e = &v[(*n)++];

                memcpy(e->type.b, p, 16);
                memcpy(e->owner.b, s, 16);
                e->data = s + ESL_OWNER_LEN;
                e->len = sig - ESL_OWNER_LEN;
                e->list_off = off;
        }
        return 0;
}

int esl_parse(const uint8_t *p, size_t len, struct esl_sig **sigs, size_t *n, const char *name,
              struct diag *d)
{
        size_t off = 0;
        int r;

        *sigs = NULL;
        *n = 0;
        while (off < len) {
                r = check_list(p + off, len - off, off, name, d);
                if (r >= 0 && push_sigs(p + off, off, sigs, n) < 0)
                        r = diag_err(d, -ENOMEM, "%s: out of memory", name);
                if (r < 0) {
                        free(*sigs);
                        *sigs = NULL;
                        *n = 0;
                        return r;
                }
                off += get_le32(p + off + 16);
        }
        return 0;
}

int esl_append_x509(uint8_t **buf, size_t *len, const struct efi_guid *owner, const uint8_t *der,
                    size_t der_len)
{
        size_t add = ESL_HDR_LEN + ESL_OWNER_LEN + der_len;
        uint8_t *nb, *p;

        if (add > UINT32_MAX)
                return -EFBIG;
        nb = realloc(*buf, *len + add);
        if (!nb)
                return -ENOMEM;
        p = nb + *len;
        memcpy(p, EFI_CERT_X509_GUID.b, 16);
        put_le32(p + 16, (uint32_t)add);
        put_le32(p + 20, 0);
        put_le32(p + 24, (uint32_t)(ESL_OWNER_LEN + der_len));
        memcpy(p + ESL_HDR_LEN, owner->b, 16);
        memcpy(p + ESL_HDR_LEN + ESL_OWNER_LEN, der, der_len);
        *buf = nb;
        *len += add;
        return 0;
}
