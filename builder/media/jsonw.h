/* jsonw.h: a pretty-printing JSON writer, keys in call order (private to media/). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_DEPTH 16

struct jsonw {
        FILE *f;
        int depth;
        bool first[JSONW_DEPTH];
};

/* key is NULL inside arrays and for the top-level value. */
void jw_obj(struct jsonw *w, const char *key);
void jw_arr(struct jsonw *w, const char *key);
void jw_end_obj(struct jsonw *w);
void jw_end_arr(struct jsonw *w);
void jw_str(struct jsonw *w, const char *key, const char *v);
void jw_int(struct jsonw *w, const char *key, int64_t v);
void jw_bool(struct jsonw *w, const char *key, bool v);
