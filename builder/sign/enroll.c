/* enroll.c: EFI signature lists and signed .auth updates for enrolling a key set in firmware. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"
#include "util/hash.h"
#include "esl.h"
#include "keygen.h"
#include "ossl.h"
#include "sign.h"

struct keyset {
        X509 *cert[KEY_CODESIGN];
        EVP_PKEY *pk_key, *kek_key;
};

static void keyset_release(struct keyset *k)
{
        for (int i = 0; i < KEY_CODESIGN; i++)
                X509_free(k->cert[i]);
        EVP_PKEY_free(k->pk_key);
        EVP_PKEY_free(k->kek_key);
}

static int load_one(const char *dir, const char *base, const char *ext, X509 **x, EVP_PKEY **k,
                    struct diag *d)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s.%s", dir, base, ext) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return x ? x509_load(path, x, d) : key_load(path, k, d);
}

static int keyset_load(const char *dir, struct keyset *k, struct diag *d)
{
        int r = 0;

        for (int i = 0; r >= 0 && i < KEY_CODESIGN; i++)
                r = load_one(dir, keygen_names[i], "crt", &k->cert[i], NULL, d);
        if (r >= 0)
                r = load_one(dir, "PK", "key", NULL, &k->pk_key, d);
        if (r >= 0)
                r = load_one(dir, "KEK", "key", NULL, &k->kek_key, d);
        return r;
}

/* The owner GUID follows the platform key, so one key set always gives the
 * same lists. */
static int owner_guid(const struct enroll_opts *o, X509 *pk, struct efi_guid *g, struct diag *d)
{
        _cleanup_free_ uint8_t *der = NULL;
        uint8_t md[SHA256_LEN];
        char hex[SHA256_HEX], s[UUID_STR];
        struct uuid u;
        size_t len;
        int r;

        if (o->owner) {
                if (efi_guid_parse(o->owner, g) < 0)
                        return diag_err(d, -EINVAL, "owner \"%s\" is not a GUID", o->owner);
                return 0;
        }
        r = x509_der(pk, &der, &len, d);
        if (r < 0)
                return r;
        sha256_buf(der, len, md);
        hex_encode(md, SHA256_LEN, hex);
        uuid_derive(&u, "efi-signature-owner", hex, "");
        uuid_format(&u, s);
        return efi_guid_parse(s, g);
}

static int add_cert(uint8_t **esl, size_t *len, const struct efi_guid *owner, X509 *x,
                    struct diag *d)
{
        _cleanup_free_ uint8_t *der = NULL;
        size_t dlen;
        int r = x509_der(x, &der, &dlen, d);

        if (r >= 0 && esl_append_x509(esl, len, owner, der, dlen) < 0)
                r = diag_err(d, -ENOMEM, "out of memory");
        return r;
}

struct var_out {
        const char *name;
        const struct efi_guid *vendor;
        uint8_t *esl, *auth;
        size_t esl_len, auth_len;
};

static int build_esls(const struct keyset *k, const struct enroll_opts *o, struct var_out *v,
                      struct diag *d)
{
        struct efi_guid owner;
        int r = owner_guid(o, k->cert[KEY_PK], &owner, d);

        for (int i = 0; r >= 0 && i < KEY_CODESIGN; i++)
                r = add_cert(&v[i].esl, &v[i].esl_len, &owner, k->cert[i], d);
        for (size_t i = 0; r >= 0 && i < o->n_db_extra; i++) {
                _cleanup_x509_ X509 *x = NULL;

                r = x509_load(o->db_extra[i], &x, d);
                if (r >= 0)
                        r = add_cert(&v[KEY_DB].esl, &v[KEY_DB].esl_len, &owner, x, d);
        }
        return r;
}

static int write_vars(const char *out, const struct var_out *v, struct diag *d)
{
        for (int i = 0; i < KEY_CODESIGN; i++)
                for (int a = 0; a < 2; a++) {
                        _cleanup_free_ char *path = NULL;
                        int r;

                        if (asprintf(&path, "%s/%s.%s", out, v[i].name, a ? "auth" : "esl") < 0)
                                return diag_err(d, -ENOMEM, "out of memory");
                        r = write_file_atomic(path, a ? v[i].auth : v[i].esl,
                                              a ? v[i].auth_len : v[i].esl_len, 0644);
                        if (r < 0)
                                return diag_err(d, r, "cannot write \"%s\": %s", path,
                                                strerror(-r));
                }
        return 0;
}

int keys_enroll(const char *dir, const struct enroll_opts *o, struct diag *d)
{
        struct keyset k = {0};
        struct var_out v[KEY_CODESIGN] = {
                {.name = "PK", .vendor = &EFI_GLOBAL_VARIABLE_GUID},
                {.name = "KEK", .vendor = &EFI_GLOBAL_VARIABLE_GUID},
                {.name = "db", .vendor = &EFI_IMAGE_SECURITY_DATABASE_GUID},
        };
        /* PK signs itself and KEK; KEK signs db. */
        EVP_PKEY *signer_key[KEY_CODESIGN];
        X509 *signer_cert[KEY_CODESIGN];
        int r = keyset_load(dir, &k, d);

        if (r >= 0)
                r = build_esls(&k, o, v, d);
        signer_key[KEY_PK] = signer_key[KEY_KEK] = k.pk_key;
        signer_key[KEY_DB] = k.kek_key;
        signer_cert[KEY_PK] = signer_cert[KEY_KEK] = k.cert[KEY_PK];
        signer_cert[KEY_DB] = k.cert[KEY_KEK];
        for (int i = 0; r >= 0 && i < KEY_CODESIGN; i++)
                r = auth2_build(v[i].name, v[i].vendor, o->timestamp, v[i].esl, v[i].esl_len,
                                signer_key[i], signer_cert[i], &v[i].auth, &v[i].auth_len, d);
        if (r >= 0)
                r = write_vars(o->out_dir ? o->out_dir : dir, v, d);
        for (int i = 0; i < KEY_CODESIGN; i++) {
                free(v[i].esl);
                free(v[i].auth);
        }
        keyset_release(&k);
        return r;
}
