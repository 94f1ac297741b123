/* keygen.c: RSA key pairs and X.509 certificates for PK, KEK, db and code signing. */
#include "keygen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "util/fsutil.h"
#include "ossl.h"

const char *const keygen_names[KEY_COUNT] = {"PK", "KEK", "db", "codesign"};

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
        X509V3_CTX ctx;
        X509_EXTENSION *e;
        int ok;

        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
        e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        if (!e)
                return -EINVAL;
        ok = X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        return ok ? 0 : -EINVAL;
}

/* PK, KEK and db act as CAs (db issues the code-signing certificate); the
 * code-signing certificate is a leaf for digital signatures only. */
static int add_exts(X509 *x, X509 *issuer, bool codesign)
{
        int r = add_ext(x, issuer, NID_subject_key_identifier, "hash");

        if (r >= 0)
                r = add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
        if (r < 0)
                return r;
        if (codesign) {
                r = add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
                if (r >= 0)
                        r = add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
                if (r >= 0)
                        r = add_ext(x, issuer, NID_ext_key_usage, "codeSigning");
                return r;
        }
        r = add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        if (r >= 0)
                r = add_ext(x, issuer, NID_key_usage,
                            "critical,digitalSignature,keyCertSign,cRLSign");
        return r;
}

static int set_serial(X509 *x)
{
        unsigned char b[16];
        BIGNUM *bn;
        int ok;

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        b[0] &= 0x7f; /* a positive INTEGER */
        bn = BN_bin2bn(b, sizeof(b), NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
        BN_free(bn);
        return ok ? 0 : -EIO;
}

int keygen_cert(EVP_PKEY *key, const char *cn, int days, EVP_PKEY *issuer_key, X509 *issuer,
                bool codesign, X509 **out, struct diag *d)
{
        _cleanup_x509_ X509 *x = X509_new();
        X509_NAME *name;

        if (!x || !X509_set_version(x, 2) || set_serial(x) < 0)
                return ossl_err(d, -EIO, "cannot create certificate \"%s\"", cn);
        name = X509_get_subject_name(x);
        if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0))
                return ossl_err(d, -EINVAL, "bad common name \"%s\"", cn);
        if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
            !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
            !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) || !X509_set_pubkey(x, key))
                return ossl_err(d, -EIO, "cannot fill certificate \"%s\"", cn);
        if (add_exts(x, issuer, codesign) < 0)
                return ossl_err(d, -EIO, "cannot add extensions to \"%s\"", cn);
        if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
                return ossl_err(d, -EIO, "cannot sign certificate \"%s\"", cn);
        *out = TAKE_PTR(x);
        return 0;
}

/* PEM of a key or a certificate into a malloc'd buffer. */
static int pem(EVP_PKEY *k, X509 *x, char **out, size_t *len)
{
        _cleanup_bio_ BIO *b = BIO_new(BIO_s_mem());
        char *p;
        long n;

        if (!b || !(k ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
                      : PEM_write_bio_X509(b, x)))
                return -EIO;
        n = BIO_get_mem_data(b, &p);
        *out = malloc((size_t)n);
        if (!*out)
                return -ENOMEM;
        memcpy(*out, p, (size_t)n);
        *len = (size_t)n;
        return 0;
}

static int write_pem(const char *dir, const char *base, const char *ext, EVP_PKEY *k, X509 *x,
                     struct diag *d)
{
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len;
        int r;

        if (asprintf(&path, "%s/%s.%s", dir, base, ext) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (pem(k, x, &data, &len) < 0)
                return ossl_err(d, -EIO, "cannot encode \"%s\"", path);
        r = write_file_atomic(path, data, len, k ? 0600 : 0644);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", path, strerror(-r));
        return 0;
}

static int check_free(const char *dir, struct diag *d)
{
        static const char *const exts[] = {"key", "crt"};
        size_t found = 0;
        char first[64] = "";

        for (int i = 0; i < KEY_COUNT; i++)
                for (int e = 0; e < 2; e++) {
                        _cleanup_free_ char *path = NULL;
                        struct stat st;

                        if (asprintf(&path, "%s/%s.%s", dir, keygen_names[i], exts[e]) < 0)
                                return diag_err(d, -ENOMEM, "out of memory");
                        if (lstat(path, &st) == 0 && !found++)
                                snprintf(first, sizeof(first), "%s.%s", keygen_names[i], exts[e]);
                }
        if (found)
                return diag_err(d, -EEXIST,
                                "%s holds a key set already (%s%s) (expected a new directory, or "
                                "--force to replace the set)",
                                dir, first, found > 1 ? " and more" : "");
        return 0;
}

static void free_set(EVP_PKEY **k, X509 **x)
{
        for (int i = 0; i < KEY_COUNT; i++) {
                EVP_PKEY_free(k[i]);
                X509_free(x[i]);
        }
}

static int make_set(const struct keygen_opts *o, EVP_PKEY **k, X509 **x, struct diag *d)
{
        for (int i = 0; i < KEY_COUNT; i++) {
                char cn[256];
                bool cs = i == KEY_CODESIGN;
                int r;

                k[i] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->rsa_bits);
                if (!k[i])
                        return ossl_err(d, -EIO, "cannot generate a %d-bit RSA key", o->rsa_bits);
                snprintf(cn, sizeof(cn), "%s %s", o->cn_prefix, keygen_names[i]);
                r = keygen_cert(k[i], cn, o->days, cs ? k[KEY_DB] : NULL, cs ? x[KEY_DB] : NULL, cs,
                                &x[i], d);
                if (r < 0)
                        return r;
        }
        return 0;
}

int keygen_init(const char *dir, const struct keygen_opts *o, struct diag *d)
{
        EVP_PKEY *k[KEY_COUNT] = {0};
        X509 *x[KEY_COUNT] = {0};
        int r;

        if (!o->force) {
                r = check_free(dir, d);
                if (r < 0)
                        return r;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", dir, strerror(-r));
        r = make_set(o, k, x, d);
        for (int i = 0; r >= 0 && i < KEY_COUNT; i++) {
                r = write_pem(dir, keygen_names[i], "key", k[i], NULL, d);
                if (r >= 0)
                        r = write_pem(dir, keygen_names[i], "crt", NULL, x[i], d);
        }
        free_set(k, x);
        return r;
}
