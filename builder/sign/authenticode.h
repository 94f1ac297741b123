/* authenticode.h: Authenticode digests, certificate tables, PE signing (private to sign/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"
#include "pe.h"

#define WIN_CERT_REVISION_2_0          0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define WIN_CERT_HDR_LEN               8
#define AUTHENTICODE_MD_LEN            32 /* SHA-256 */

/* One entry of the certificate table, pointing into the image. */
struct win_cert {
        uint32_t off;       /* file offset of the WIN_CERTIFICATE header */
        uint32_t length;    /* dwLength */
        uint16_t revision;  /* wRevision */
        uint16_t type;      /* wCertificateType */
        const uint8_t *der; /* bCertificate */
        size_t der_len;
};

/* The Authenticode SHA-256 of a parsed image: headers without the CheckSum and
 * the certificate table entry, sections in file order, then any data after them
 * up to the end of file, leaving out the certificate table. */
int authenticode_digest(const struct pe_image *pe, uint8_t md[AUTHENTICODE_MD_LEN],
                        const char *name, struct diag *d);

/* The same with pad (at most 8) zero bytes after the end of file: the digest the
 * image will have once padded to 8 bytes for its certificate table. */
int authenticode_digest_padded(const struct pe_image *pe, size_t pad,
                               uint8_t md[AUTHENTICODE_MD_LEN], const char *name, struct diag *d);

/* Split the certificate table into its entries, checking each length.
 * *certs is malloc'd (NULL and 0 when unsigned). */
int authenticode_certs(const struct pe_image *pe, struct win_cert **certs, size_t *n,
                       const char *name, struct diag *d);

/* Read the image digest a PKCS#7 SignedData claims (from its
 * SpcIndirectDataContent), checking the structure. p7 may be NULL. */
int authenticode_signed_digest(const uint8_t *der, size_t len, uint8_t md[AUTHENTICODE_MD_LEN],
                               const char *name, struct diag *d);

/* A signed image as three pieces written one after the other: a patched copy of the
 * headers, the input's own bytes after them (not copied), and the new tail (padding
 * and certificate table). */
struct signed_parts {
        uint8_t *head;
        size_t head_len;
        const uint8_t *mid; /* points into the input */
        size_t mid_len;
        uint8_t *tail;
        size_t tail_len;
};
int authenticode_sign_parts(const uint8_t *in, size_t len, EVP_PKEY *key, X509 *cert, bool append,
                            struct signed_parts *out, const char *name, struct diag *d);
void signed_parts_release(struct signed_parts *p);

/* Sign an image held in memory: a new malloc'd image in *out with one signature
 * (replacing any before) or, with append, one more. */
int authenticode_sign_buf(const uint8_t *in, size_t len, EVP_PKEY *key, X509 *cert, bool append,
                          uint8_t **out, size_t *out_len, const char *name, struct diag *d);

/* 0 when a signature of the image chains to anchor and signs its digest;
 * -EBADMSG with one message per signature (or "not signed") otherwise. */
int authenticode_verify_buf(const uint8_t *data, size_t len, X509 *anchor, const char *anchor_name,
                            const char *name, struct diag *d);
