/* ossl.c: OpenSSL error messages and certificate loading shared by the signing code. */
#include "ossl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "util/hash.h"

int ossl_err(struct diag *d, int err, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        char buf[256] = "";
        unsigned long e = ERR_peek_last_error();
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                msg = NULL;
        if (e)
                ERR_error_string_n(e, buf, sizeof(buf));
        ERR_clear_error();
        if (e)
                return diag_err(d, err, "%s: %s", msg ? msg : "openssl", buf);
        return diag_err(d, err, "%s", msg ? msg : "openssl");
}

int x509_load(const char *path, X509 **out, struct diag *d)
{
        _cleanup_bio_ BIO *b = BIO_new_file(path, "rb");
        X509 *x;

        if (!b)
                return diag_err(d, -ENOENT, "cannot read certificate \"%s\": %s", path,
                                strerror(errno ? errno : ENOENT));
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (!x) {
                ERR_clear_error();
                (void)BIO_reset(b);
                x = d2i_X509_bio(b, NULL);
        }
        if (!x)
                return ossl_err(d, -EINVAL, "\"%s\" is not a PEM or DER certificate", path);
        *out = x;
        return 0;
}

int x509_fingerprint(X509 *x, char hex[65], struct diag *d)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != SHA256_LEN)
                return ossl_err(d, -EINVAL, "cannot digest certificate");
        hex_encode(md, SHA256_LEN, hex);
        return 0;
}

int x509_der(X509 *x, uint8_t **der, size_t *len, struct diag *d)
{
        int n = i2d_X509(x, NULL);
        unsigned char *buf, *p;

        if (n <= 0)
                return ossl_err(d, -EINVAL, "cannot encode certificate");
        buf = p = malloc((size_t)n);
        if (!buf)
                return diag_err(d, -ENOMEM, "out of memory");
        if (i2d_X509(x, &p) != n) {
                free(buf);
                return ossl_err(d, -EINVAL, "cannot encode certificate");
        }
        *der = buf;
        *len = (size_t)n;
        return 0;
}
