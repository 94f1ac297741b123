/* bundle_int.h: what the bundle's writer, documents and reader share (private to media/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"
#include "bundle.h"
#include "sums.h"

#define SHA1_LEN 20

/* One artifact as it went into the archive. */
struct bundle_art {
        const struct bundle_item *it;
        uint64_t size;
        uint8_t digest[SHA256_LEN];
        char sha256[SHA256_HEX];
        char sha1[2 * SHA1_LEN + 1];
};

/* The metadata's inputs, ready before any of it is rendered. */
struct bundle_meta {
        const struct bundle_spec *s;
        const struct bundle_art *arts; /* sorted by path */
        size_t n;
        char recipe_digest[SHA256_HEX];
        char (*dep_hex)[SHA256_HEX];   /* one per s->deps */
        char (*in_sha256)[SHA256_HEX]; /* one per s->infiles */
        char (*in_sha1)[2 * SHA1_LEN + 1];
        char epoch_iso[32];
};

/* Valid UTF-8 (no overlong forms, no surrogates): the text goes into JSON. */
bool utf8_ok(const char *s);

/* Each renders one member, malloc'd. */
int bundle_manifest_json(const struct bundle_meta *m, char **out, size_t *len);
int bundle_spdx_json(const struct bundle_meta *m, char **out, size_t *len);
int bundle_intoto_json(const struct bundle_meta *m, const char *sums_hex, char **out, size_t *len);

/* One artifact as manifest.json lists it. */
struct manifest_art {
        char *path;
        char *sha256; /* as written: the reader compares it with the member's digest */
        uint64_t size;
};

struct manifest {
        struct manifest_art *v;
        size_t n;
};

/* Parse manifest.json (untrusted bytes; what names it in messages): a JSON
 * object without repeated keys whose "artifacts" array holds objects with
 * path, size and sha256. -EBADMSG with one message per malformed artifact;
 * out then holds the well-formed ones. Release out whatever is returned. */
int bundle_manifest_read(const char *buf, size_t len, struct manifest *out, const char *what,
                         struct diag *d);
void bundle_manifest_release(struct manifest *m);
