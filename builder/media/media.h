/* media.h: what the PXE set and the bundle share: streamed copies, templates, output dirs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/diag.h"
#include "util/hash.h"
#include "cms.h"

/* Bounds for the small files a verifier reads whole. */
#define MEDIA_SIG_MAX  (1u << 20)
#define MEDIA_SUMS_MAX (1u << 20)
/* The chunk that large files stream in. */
#define MEDIA_CHUNK (1u << 20)

/* Whether n bytes at p are all zero (disk images' holes, read as data). */
bool media_all_zero(const void *p, size_t n);

/* A file's bytes pass once: hashed and (with a key) signed on the way. */
struct media_stream {
        struct hasher h;
        struct cms_signer signer;
        bool signing;
        uint8_t *buf; /* MEDIA_CHUNK bytes */
};

/* key NULL: hash only. */
int media_stream_init(struct media_stream *m, EVP_PKEY *key, X509 *cert, struct diag *d);
int media_stream_update(struct media_stream *m, const void *data, size_t len, struct diag *d);
/* Copy in to dst (written atomically, mode 0644), feeding every byte through m;
 * the digest is final, the signature still to be taken with cms_signer_final. */
int media_stream_copy(struct media_stream *m, int in, const char *src, const char *dst,
                      uint8_t digest[SHA256_LEN], struct diag *d);
void media_stream_release(struct media_stream *m);

/* Read data_path(rel) and replace every @KEY@ by its value (vars: KEY, value,
 * ..., NULL). An unknown @KEY@ is an error: a template and its caller disagree. */
int media_template(const char *rel, const char *const *vars, char **out, struct diag *d);

/* Whole small files, refused past max bytes. Negative errno (-EFBIG past max). */
int media_read_small(const char *path, size_t max, char **out, size_t *len);

/* outdir may be replaced: it does not exist, is empty, or holds marker. */
int media_dir_replaceable(const char *outdir, const char *marker, struct diag *d);
/* A fresh directory beside outdir, malloc'd path. */
int media_dir_tmp(const char *outdir, char **tmp, struct diag *d);
/* Put tmp in outdir's place in one rename (exchanging with an old outdir, which
 * is then removed), and fsync the parent directory. */
int media_dir_swap(const char *tmp, const char *outdir, struct diag *d);
