/* dsse.h: DSSE envelopes (the in-toto signature wrapper): signed over the pre-authentication
 * encoding. */
#pragma once

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"

#define DSSE_INTOTO_TYPE "application/vnd.in-toto+json"

/* PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, malloc'd. */
int dsse_pae(const char *type, const void *body, size_t len, unsigned char **out, size_t *out_len);

/* The envelope {"payloadType", "payload": base64, "signatures": [{"keyid", "sig"}]}
 * on one line with a newline (a .intoto.jsonl line). keyid is the SHA-256 of the
 * certificate's public key (DER SubjectPublicKeyInfo) in hex. The signature is
 * SHA-256 with the key's own scheme (PKCS#1 v1.5 for RSA, DER ECDSA for EC), so
 * the same key and payload give the same bytes with RSA. */
int dsse_sign(const char *type, const void *payload, size_t len, EVP_PKEY *key, X509 *cert,
              char **out, size_t *out_len, struct diag *d);

/* Check an envelope (untrusted bytes): its payloadType is want_type and one
 * signature whose keyid names signer's key verifies over the PAE. The payload,
 * decoded and NUL-terminated, is returned in *payload (malloc'd) when asked. */
int dsse_verify(const char *buf, size_t len, X509 *signer, const char *want_type, char **payload,
                size_t *payload_len, const char *what, struct diag *d);
/* The hex keyid of a certificate's public key. */
int dsse_keyid(X509 *cert, char out[65]);
