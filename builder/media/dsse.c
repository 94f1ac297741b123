/* dsse.c: DSSE envelopes written and checked with jansson and OpenSSL's EVP signatures. */
#include "dsse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "sign/ossl.h"
#include "util/cleanup.h"
#include "util/hash.h"

#define _cleanup_json_ _cleanup_(json_decrefp)
#define ENVELOPE_MAX   (64u << 20)

int dsse_pae(const char *type, const void *body, size_t len, unsigned char **out, size_t *out_len)
{
        size_t tl = strlen(type);
        char head[96];
        int hn = snprintf(head, sizeof(head), "DSSEv1 %zu ", tl);
        char mid[32];
        int mn = snprintf(mid, sizeof(mid), " %zu ", len);
        unsigned char *p;

        if (hn < 0 || mn < 0 || len > SIZE_MAX - tl - 128)
                return -EOVERFLOW;
        p = malloc((size_t)hn + tl + (size_t)mn + len + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, head, (size_t)hn);
        memcpy(p + hn, type, tl);
        memcpy(p + hn + tl, mid, (size_t)mn);
        if (len)
                memcpy(p + hn + tl + mn, body, len);
        *out = p;
        *out_len = (size_t)hn + tl + (size_t)mn + len;
        return 0;
}

int dsse_keyid(X509 *cert, char out[65])
{
        unsigned char *der = NULL;
        uint8_t md[SHA256_LEN];
        int n = i2d_PUBKEY(X509_get0_pubkey(cert), &der), r;

        if (n <= 0)
                return -EINVAL;
        r = sha256_buf(der, (size_t)n, md);
        OPENSSL_free(der);
        if (r < 0)
                return r;
        hex_encode(md, SHA256_LEN, out);
        return 0;
}

static char *b64(const unsigned char *in, size_t len)
{
        char *s;

        if (len > INT_MAX / 2)
                return NULL;
        s = malloc(4 * ((len + 2) / 3) + 1);
        if (s)
                EVP_EncodeBlock((unsigned char *)s, in, (int)len);
        return s;
}

/* Standard base64 with padding, as DSSE writes it; also the URL-safe alphabet
 * and missing padding, which the spec asks readers to accept. */
static int unb64(const char *s, unsigned char **out, size_t *out_len)
{
        size_t n = strlen(s), o = 0;
        unsigned char *p = malloc(n / 4 * 3 + 3);
        uint32_t acc = 0;
        int bits = 0;

        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                int v;

                if (c >= 'A' && c <= 'Z')
                        v = c - 'A';
                else if (c >= 'a' && c <= 'z')
                        v = c - 'a' + 26;
                else if (c >= '0' && c <= '9')
                        v = c - '0' + 52;
                else if (c == '+' || c == '-')
                        v = 62;
                else if (c == '/' || c == '_')
                        v = 63;
                else if (c == '=' && (n - i <= 2) && strspn(s + i, "=") == n - i)
                        break;
                else {
                        free(p);
                        return -EBADMSG;
                }
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        p[o++] = (unsigned char)(acc >> bits);
                }
        }
        if (bits >= 6) { /* one lone character carries no byte */
                free(p);
                return -EBADMSG;
        }
        p[o] = 0;
        *out = p;
        *out_len = o;
        return 0;
}

int dsse_sign(const char *type, const void *payload, size_t len, EVP_PKEY *key, X509 *cert,
              char **out, size_t *out_len, struct diag *d)
{
        _cleanup_free_ unsigned char *pae = NULL, *sig = NULL;
        _cleanup_free_ char *pb = NULL, *sb = NULL;
        _cleanup_json_ json_t *env = NULL;
        EVP_MD_CTX *ctx = NULL;
        size_t pae_len, sig_len = 0;
        char keyid[65], *text;
        int r = dsse_pae(type, payload, len, &pae, &pae_len);

        if (r < 0)
                return diag_err(d, r, "cannot encode the DSSE payload: %s", strerror(-r));
        if (dsse_keyid(cert, keyid) < 0)
                return ossl_err(d, -EIO, "cannot read the signing certificate's public key");
        ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
            EVP_DigestSign(ctx, NULL, &sig_len, pae, pae_len) != 1 || !(sig = malloc(sig_len)) ||
            EVP_DigestSign(ctx, sig, &sig_len, pae, pae_len) != 1) {
                EVP_MD_CTX_free(ctx);
                return ossl_err(d, -EIO, "cannot sign the DSSE envelope");
        }
        EVP_MD_CTX_free(ctx);
        pb = b64(payload, len);
        sb = b64(sig, sig_len);
        if (!pb || !sb)
                return diag_err(d, -ENOMEM, "out of memory");
        env = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "payloadType", type, "payload", pb,
                        "signatures", "keyid", keyid, "sig", sb);
        text = env ? json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (!text)
                return diag_err(d, -ENOMEM, "out of memory");
        *out_len = strlen(text) + 1;
        *out = realloc(text, *out_len + 1);
        if (!*out) {
                free(text);
                return diag_err(d, -ENOMEM, "out of memory");
        }
        (*out)[*out_len - 1] = '\n';
        (*out)[*out_len] = 0;
        return 0;
}

static int verify_one(json_t *s, EVP_PKEY *pub, const char *keyid, const unsigned char *pae,
                      size_t pae_len)
{
        json_t *kid = json_object_get(s, "keyid"), *sig = json_object_get(s, "sig");
        _cleanup_free_ unsigned char *raw = NULL;
        EVP_MD_CTX *ctx;
        size_t n;
        int ok;

        if (!json_is_string(sig) || (kid && !json_is_string(kid)))
                return -EBADMSG;
        /* an empty keyid is a hint left out; another key's id is another signer */
        if (kid && json_string_length(kid) && strcmp(json_string_value(kid), keyid))
                return -ENOKEY;
        if (unb64(json_string_value(sig), &raw, &n) < 0)
                return -EBADMSG;
        ctx = EVP_MD_CTX_new();
        ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(ctx, raw, n, pae, pae_len) == 1;
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
        return ok ? 0 : -EKEYREJECTED;
}

int dsse_verify(const char *buf, size_t len, X509 *signer, const char *want_type, char **payload,
                size_t *payload_len, const char *what, struct diag *d)
{
        _cleanup_json_ json_t *env = NULL;
        _cleanup_free_ unsigned char *body = NULL, *pae = NULL;
        json_t *type, *pl, *sigs;
        size_t body_len, pae_len;
        char keyid[65];
        json_error_t e;
        int r = -ENOKEY;

        if (len > ENVELOPE_MAX)
                return diag_err(d, -EBADMSG, "%s: larger than %u bytes", what, ENVELOPE_MAX);
        env = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
        if (!env)
                return diag_err(d, -EBADMSG, "%s: not a DSSE envelope: %s", what, e.text);
        type = json_object_get(env, "payloadType");
        pl = json_object_get(env, "payload");
        sigs = json_object_get(env, "signatures");
        if (!json_is_string(type) || !json_is_string(pl) || !json_is_array(sigs))
                return diag_err(d, -EBADMSG,
                                "%s: not a DSSE envelope (expected payloadType, payload and "
                                "signatures)",
                                what);
        if (strcmp(json_string_value(type), want_type))
                return diag_err(d, -EBADMSG, "%s: payload type \"%s\" (expected %s)", what,
                                json_string_value(type), want_type);
        if (unb64(json_string_value(pl), &body, &body_len) < 0)
                return diag_err(d, -EBADMSG, "%s: payload is not base64", what);
        if (dsse_keyid(signer, keyid) < 0)
                return ossl_err(d, -EIO, "%s: cannot read the signer's public key", what);
        if ((r = dsse_pae(want_type, body, body_len, &pae, &pae_len)) < 0)
                return diag_err(d, r, "%s: %s", what, strerror(-r));
        r = -ENOKEY;
        for (size_t i = 0; r < 0 && i < json_array_size(sigs); i++) {
                int k = verify_one(json_array_get(sigs, i), X509_get0_pubkey(signer), keyid, pae,
                                   pae_len);

                if (k == 0 || r == -ENOKEY)
                        r = k;
        }
        if (r == -ENOKEY)
                return diag_err(d, -EBADMSG, "%s: no signature by the bundle's signer (key %.16s…)",
                                what, keyid);
        if (r < 0)
                return diag_err(d, -EBADMSG, "%s: signature does not match the payload", what);
        if (payload) {
                *payload = (char *)TAKE_PTR(body);
                *payload_len = body_len;
        }
        return 0;
}
