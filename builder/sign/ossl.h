/* ossl.h: cleanup helpers for OpenSSL types and turning its error queue into a message. */
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "util/cleanup.h"
#include "util/diag.h"

DEFINE_TRIVIAL_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP(X509 *, X509_free)
DEFINE_TRIVIAL_CLEANUP(PKCS7 *, PKCS7_free)
DEFINE_TRIVIAL_CLEANUP(BIO *, BIO_free_all)
DEFINE_TRIVIAL_CLEANUP(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP(X509_STORE_CTX *, X509_STORE_CTX_free)
DEFINE_TRIVIAL_CLEANUP(ASN1_OBJECT *, ASN1_OBJECT_free)
DEFINE_TRIVIAL_CLEANUP(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP(EVP_PKEY_CTX *, EVP_PKEY_CTX_free)
DEFINE_TRIVIAL_CLEANUP(X509_NAME *, X509_NAME_free)
DEFINE_TRIVIAL_CLEANUP(ASN1_STRING *, ASN1_STRING_free)
DEFINE_TRIVIAL_CLEANUP(ASN1_TYPE *, ASN1_TYPE_free)

#define _cleanup_pkey_  _cleanup_(EVP_PKEY_freep)
#define _cleanup_x509_  _cleanup_(X509_freep)
#define _cleanup_pkcs7_ _cleanup_(PKCS7_freep)
#define _cleanup_bio_   _cleanup_(BIO_free_allp)

/* Adds "<message>: <last OpenSSL error>" to d, empties the error queue, returns err. */
int ossl_err(struct diag *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read one certificate, PEM or DER. */
int x509_load(const char *path, X509 **out, struct diag *d);
/* DER of a certificate, malloc'd. */
int x509_der(X509 *x, uint8_t **der, size_t *len, struct diag *d);
/* The certificate's SHA-256 fingerprint (over its DER) in hex. */
int x509_fingerprint(X509 *x, char hex[65], struct diag *d);
