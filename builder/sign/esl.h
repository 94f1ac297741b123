/* esl.h: EFI_SIGNATURE_LIST and time-based .auth formats (private to sign/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"

/* A GUID in its EFI memory layout (first three fields little-endian). */
struct efi_guid {
        uint8_t b[16];
};
extern const struct efi_guid EFI_CERT_X509_GUID;
extern const struct efi_guid EFI_CERT_SHA256_GUID;
extern const struct efi_guid EFI_CERT_TYPE_PKCS7_GUID;
extern const struct efi_guid EFI_GLOBAL_VARIABLE_GUID;
extern const struct efi_guid EFI_IMAGE_SECURITY_DATABASE_GUID;

#define ESL_HDR_LEN             28 /* SignatureType, ListSize, HeaderSize, SignatureSize */
#define ESL_OWNER_LEN           16 /* EFI_SIGNATURE_DATA.SignatureOwner */
#define EFI_TIME_LEN            16
#define AUTH2_HDR_LEN           (EFI_TIME_LEN + 8 + 16) /* time, WIN_CERTIFICATE, CertType */
#define WIN_CERT_TYPE_EFI_GUID  0x0ef1
#define EFI_VAR_TIME_AUTH_ATTRS 0x27 /* NV | BS | RT | TIME_BASED_AUTHENTICATED_WRITE */

/* "8be4df61-93ca-11d2-aa0d-00e098032b8c" <-> EFI layout. */
int efi_guid_parse(const char *s, struct efi_guid *g);
void efi_guid_format(const struct efi_guid *g, char out[37]);

/* One signature of a list, pointing into the parsed buffer. */
struct esl_sig {
        struct efi_guid type; /* the list's SignatureType */
        struct efi_guid owner;
        const uint8_t *data;
        size_t len;
        size_t list_off; /* offset of its EFI_SIGNATURE_LIST */
};

/* Parse a run of EFI_SIGNATURE_LISTs checking every size. *sigs is malloc'd. */
int esl_parse(const uint8_t *p, size_t len, struct esl_sig **sigs, size_t *n, const char *name,
              struct diag *d);
/* Append one EFI_SIGNATURE_LIST holding one X.509 certificate (DER). */
int esl_append_x509(uint8_t **buf, size_t *len, const struct efi_guid *owner, const uint8_t *der,
                    size_t der_len);

/* A parsed EFI_VARIABLE_AUTHENTICATION_2 followed by its variable data. */
struct efi_auth2 {
        uint8_t time[EFI_TIME_LEN];
        const uint8_t *p7; /* the PKCS#7 SignedData, DER */
        size_t p7_len;
        const uint8_t *data; /* the new variable contents (an ESL run) */
        size_t data_len;
};
int auth2_parse(const uint8_t *p, size_t len, struct efi_auth2 *a, const char *name,
                struct diag *d);

/* EFI_TIME for t (UTC), with the fields the spec wants zero left zero. */
void efi_time_from_epoch(time_t t, uint8_t out[EFI_TIME_LEN]);
/* The bytes a time-based authenticated write signs: name (UTF-16LE, no NUL),
 * vendor GUID, attributes, timestamp, data. malloc'd. */
int auth2_signed_bytes(const char *var, const struct efi_guid *vendor, uint32_t attrs,
                       const uint8_t time[EFI_TIME_LEN], const uint8_t *data, size_t data_len,
                       uint8_t **out, size_t *out_len);
/* Build VAR.auth contents: signed by key/cert (detached PKCS#7, SHA-256, no
 * signed attributes, signer certificate included) followed by data. */
int auth2_build(const char *var, const struct efi_guid *vendor, time_t t, const uint8_t *data,
                size_t data_len, EVP_PKEY *key, X509 *cert, uint8_t **out, size_t *out_len,
                struct diag *d);
/* Check a parsed .auth against a trust anchor (detached signature over the
 * reconstructed bytes). */
int auth2_verify(const struct efi_auth2 *a, const char *var, const struct efi_guid *vendor,
                 uint32_t attrs, X509 *anchor, const char *name, struct diag *d);
