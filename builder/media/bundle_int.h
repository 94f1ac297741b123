/* bundle_int.h: what the bundle's writer, metadata builders and reader share inside builder/media.
 */
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
        char (*dep_hex)[SHA256_HEX]; /* one per s->deps */
        char epoch_iso[32];
};

/* Valid UTF-8 (no overlong forms, no surrogates): the text goes into JSON. */
bool utf8_ok(const char *s);

/* Each renders one member, malloc'd. */
int bundle_manifest_json(const struct bundle_meta *m, char **out, size_t *len);
int bundle_spdx_json(const struct bundle_meta *m, char **out, size_t *len);
int bundle_intoto_json(const struct bundle_meta *m, const char *sums_hex, char **out, size_t *len);
