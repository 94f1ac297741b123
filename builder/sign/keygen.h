/* keygen.h: creating the Secure Boot key set (PK, KEK, db, codesign) and reading it back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"

struct keygen_opts {
        const char *cn_prefix; /* subject CN is "<prefix> PK", ... */
        int days;              /* validity from now */
        int rsa_bits;
        bool force; /* overwrite existing keys */
};

/* The key set, in this order; codesign is issued by db (PXE files, code signing). */
enum { KEY_PK, KEY_KEK, KEY_DB, KEY_CODESIGN, KEY_COUNT };
extern const char *const keygen_names[KEY_COUNT];

/* Write DIR/{PK,KEK,db,codesign}.{key,crt}: keys PEM mode 0600, certs PEM 0644,
 * each atomically; existing files are refused unless o->force. */
int keygen_init(const char *dir, const struct keygen_opts *o, struct diag *d);
/* A fresh self-signed (issuer NULL) or issued certificate; codesign selects
 * the code-signing profile instead of the CA one. */
int keygen_cert(EVP_PKEY *key, const char *cn, int days, EVP_PKEY *issuer_key, X509 *issuer,
                bool codesign, X509 **out, struct diag *d);

struct enroll_opts {
        const char *out_dir;         /* NULL: the key directory */
        const char *const *db_extra; /* more certificates for db (PEM or DER) */
        size_t n_db_extra;
        time_t timestamp;  /* EFI_TIME of the .auth files */
        const char *owner; /* SignatureOwner GUID; NULL: derived from PK.crt */
};

/* From DIR's key set write {PK,KEK,db}.esl and {PK,KEK,db}.auth (PK and KEK
 * signed by PK, db by KEK) into o->out_dir, each atomically. */
int keys_enroll(const char *dir, const struct enroll_opts *o, struct diag *d);
