/* cms.h: detached CMS signatures (DER) over files and buffers, made and checked in one pass. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"

/* A signature being made while the content streams through cms_signer_update:
 * SHA-256, no signed attributes (so the same key and bytes give the same DER),
 * the signer's certificate included. iPXE's imgverify reads the same shape. */
struct cms_signer {
        void *cms; /* CMS_ContentInfo */
        void *bio; /* the digest chain CMS_dataInit returned */
};

int cms_signer_init(struct cms_signer *s, EVP_PKEY *key, X509 *cert, struct diag *d);
int cms_signer_update(struct cms_signer *s, const void *data, size_t len, struct diag *d);
/* The DER signature, malloc'd. */
int cms_signer_final(struct cms_signer *s, uint8_t **der, size_t *len, struct diag *d);
void cms_signer_release(struct cms_signer *s);

int cms_sign_buf(const void *data, size_t len, EVP_PKEY *key, X509 *cert, uint8_t **der,
                 size_t *der_len, struct diag *d);

/* 0 when sig (DER) is a signature of the content (a buffer, or the file at
 * content_path when content is NULL) by a certificate that chains to anchor and,
 * when it has an extended key usage, allows code signing. -EBADMSG naming what
 * (e.g. "vmlinuz: signature does not match the file") otherwise. */
int cms_verify_detached(const uint8_t *sig, size_t sig_len, const void *content, size_t content_len,
                        const char *content_path, X509 *anchor, const char *what, struct diag *d);
/* The certificate of sig's one signer, as sig carries it (an owned reference):
 * its key checks what else that signer signed once cms_verify_detached has
 * accepted sig. -ENOENT when sig carries none. */
int cms_signer_cert(const uint8_t *sig, size_t sig_len, X509 **out);
