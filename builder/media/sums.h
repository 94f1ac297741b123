/* sums.h: SHA256SUMS lists: written sorted, read back from untrusted bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/hash.h"

struct sum {
        char *name;
        char hex[SHA256_HEX];
};

struct sums {
        struct sum *v;
        size_t n, cap;
};

int sums_add(struct sums *s, const char *name, const uint8_t digest[SHA256_LEN]);
/* Sort by name (bytewise) and render "HEX  NAME\n" lines, malloc'd. */
int sums_format(struct sums *s, char **out, size_t *len);
/* Parse untrusted SHA256SUMS bytes: every line "<64 lowercase hex>  NAME" (a '*'
 * before NAME is allowed), names checked with sums_name_ok, no duplicates.
 * what names the file in messages. */
int sums_parse(const char *buf, size_t len, struct sums *s, const char *what, struct diag *d);
const struct sum *sums_find(const struct sums *s, const char *name);
void sums_release(struct sums *s);

/* A relative path without "." or ".." components, empty components, control
 * characters or a backslash, at most 4095 bytes: safe in a bundle or a PXE set. */
int sums_name_ok(const char *name);
