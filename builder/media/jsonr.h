/* jsonr.h: a strict, bounded JSON reader (RFC 8259) for documents from untrusted bundles. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
        enum jtype type;
        char *str;          /* J_STR (NUL-terminated; a NUL inside is refused), J_NUM text */
        int boolean;        /* J_BOOL */
        struct jval *items; /* J_ARR elements, J_OBJ values */
        char **keys;        /* J_OBJ keys */
        size_t n;
};

/* Parse the whole of buf; what names it in messages ("manifest.json: offset 12: ..."). */
int jsonr_parse(const char *buf, size_t len, struct jval *out, const char *what, struct diag *d);
void jsonr_free(struct jval *v);
/* The member named key of an object, NULL when v is not an object or has none. */
const struct jval *jsonr_get(const struct jval *v, const char *key);
/* A non-negative integer number within int64; -1 otherwise. */
int64_t jsonr_uint(const struct jval *v);
