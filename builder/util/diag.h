/* diag.h: error messages collected by library code and printed by the command layer. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A position in a recipe file; file points at a string the recipe owns. */
struct mark {
        const char *file;
        int line; /* 1-based, 0 = unknown */
        int col;  /* 1-based */
};

struct diag {
        char **msgs;
        bool *placed; /* msgs[i] came from diag_at with a file and line: "file:line:col: ..." */
        size_t n;
};

/* "file:line:col: message" when the mark is known, the message alone otherwise.
 * Returns -EINVAL so callers can write `return diag_at(d, m, ...);`. */
int diag_at(struct diag *d, const struct mark *m, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A message with no position; returns err (a negative errno) unchanged. */
int diag_err(struct diag *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int diag_verr(struct diag *d, int err, const char *fmt, va_list ap);
/* "CONTAINER: entry "ENTRY": message" (an archive member, an overlay file);
 * returns err. */
int diag_ventry(struct diag *d, int err, const char *container, const char *entry, const char *fmt,
                va_list ap);
/* Move every message of src to the end of dst. */
void diag_move(struct diag *dst, struct diag *src);
void diag_print(const struct diag *d, const char *prefix);
/* The messages at a place in a recipe as they are ("file:line:col: ..."), the
 * others after prefix ("pocbake: "). */
void diag_print_unplaced(const struct diag *d, const char *prefix);
void diag_release(struct diag *d);
/* Every message of d on one line, joined by sep, malloc'd ("" when there are
 * none); NULL when out of memory. */
char *diag_join(const struct diag *d, const char *sep);
