/* sign.h: the signing library other modules use (ESP, media): keys and Authenticode files. */
#pragma once

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"

/* Load a private key from a PEM file (refused when group or others can read it:
 * -EPERM) or from any "scheme:" URI through OpenSSL's OSSL_STORE (file:, pkcs11:
 * with a provider that openssl.cnf loads). */
int key_load(const char *key_or_uri, EVP_PKEY **key, struct diag *d);
/* key_load plus the certificate (PEM or DER), checking that they match.
 * cert may be NULL when only the key is wanted. */
int signing_key_load(const char *key_or_uri, const char *cert_path, EVP_PKEY **key, X509 **cert,
                     struct diag *d);

/* Sign the EFI binary in into out (written atomically; in == out is fine). */
int authenticode_sign_file(const char *in, const char *out, EVP_PKEY *key, X509 *cert, bool append,
                           struct diag *d);
/* 0 when a signature of path chains to anchor (named anchor_name in messages) and
 * its digest matches the file; -EBADMSG with the reasons otherwise. */
int authenticode_verify_file(const char *path, X509 *anchor, const char *anchor_name,
                             struct diag *d);
