/* keys.c: loading signing keys from files or OpenSSL store URIs, and their certificates. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "ossl.h"
#include "sign.h"

DEFINE_TRIVIAL_CLEANUP(OSSL_STORE_CTX *, OSSL_STORE_close)
DEFINE_TRIVIAL_CLEANUP(OSSL_STORE_INFO *, OSSL_STORE_INFO_free)

/* "scheme:rest" with an RFC 3986 scheme of two or more letters (so "C:\x" and
 * "./a:b" stay paths). */
static bool is_uri(const char *s)
{
        size_t i = 0;

        if (!isalpha((unsigned char)s[0]))
                return false;
        while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
                i++;
        return i >= 2 && s[i] == ':';
}

static int check_mode(const char *path, const char *shown, struct diag *d)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return diag_err(d, -errno, "cannot read key \"%s\": %s", shown, strerror(errno));
        if (st.st_mode & (S_IRGRP | S_IROTH))
                return diag_err(d, -EPERM,
                                "key \"%s\" is readable by group or others (chmod 600 "
                                "it)",
                                shown);
        return 0;
}

static int load_file(const char *path, EVP_PKEY **key, struct diag *d)
{
        _cleanup_bio_ BIO *b = NULL;
        EVP_PKEY *k;
        int r = check_mode(path, path, d);

        if (r < 0)
                return r;
        b = BIO_new_file(path, "rb");
        if (!b)
                return ossl_err(d, -EIO, "cannot read key \"%s\"", path);
        k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        if (!k)
                return ossl_err(d, -EINVAL, "\"%s\" is not a PEM private key", path);
        *key = k;
        return 0;
}

static int load_store(const char *uri, EVP_PKEY **key, struct diag *d)
{
        _cleanup_(OSSL_STORE_closep) OSSL_STORE_CTX *s = NULL;
        int r;

        /* A file: URI is still a key file on disk: the same mode rule applies
         * ("file:/p" and "file:///p"; other hosts are left to the store). */
        if (!strncmp(uri, "file:///", 8) || (!strncmp(uri, "file:/", 6) && uri[6] != '/')) {
                r = check_mode(uri[6] == '/' ? uri + 7 : uri + 5, uri, d);
                if (r < 0)
                        return r;
        }
        s = OSSL_STORE_open_ex(uri, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        if (!s) {
                ERR_clear_error();
                return diag_err(d, -ENOPROTOOPT,
                                "no OpenSSL provider can open \"%s\" (load one "
                                "in openssl.cnf, e.g. pkcs11-provider)",
                                uri);
        }
        OSSL_STORE_expect(s, OSSL_STORE_INFO_PKEY);
        while (!OSSL_STORE_eof(s)) {
                _cleanup_(OSSL_STORE_INFO_freep) OSSL_STORE_INFO *info = OSSL_STORE_load(s);

                if (info && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
                        *key = OSSL_STORE_INFO_get1_PKEY(info);
                        if (*key) {
                                ERR_clear_error();
                                return 0;
                        }
                }
                if (!info && OSSL_STORE_error(s))
                        break;
        }
        return ossl_err(d, -ENOKEY, "no private key found at \"%s\"", uri);
}

int key_load(const char *key_or_uri, EVP_PKEY **key, struct diag *d)
{
        if (is_uri(key_or_uri))
                return load_store(key_or_uri, key, d);
        return load_file(key_or_uri, key, d);
}

int signing_key_load(const char *key_or_uri, const char *cert_path, EVP_PKEY **key, X509 **cert,
                     struct diag *d)
{
        _cleanup_pkey_ EVP_PKEY *k = NULL;
        _cleanup_x509_ X509 *x = NULL;
        int r;

        r = key_load(key_or_uri, &k, d);
        if (r < 0)
                return r;
        if (cert_path) {
                r = x509_load(cert_path, &x, d);
                if (r < 0)
                        return r;
                if (X509_check_private_key(x, k) != 1)
                        return ossl_err(d, -EINVAL, "key \"%s\" does not match certificate \"%s\"",
                                        key_or_uri, cert_path);
        }
        *key = TAKE_PTR(k);
        if (cert)
                *cert = TAKE_PTR(x);
        return 0;
}
