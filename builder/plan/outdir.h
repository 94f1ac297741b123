/* outdir.h: the output directory's record of what the last builds exported there;
 * private to plan/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/* The record's name inside the output directory. */
#define OUTDIR_RECORD ".pocbake-outputs"

/* One exported file: where it came from, and what the file looked like right
 * after it was written (a file changed since has another stamp). */
struct outdir_entry {
        char *out;    /* relative to the output directory */
        char *src;    /* the cache object it is a copy of */
        char *recipe; /* the recipe whose build wrote it (its real path) */
        uint64_t size, ino;
        int64_t mtime_ns;
        bool seen; /* exported (or kept) by this build */
};

struct outdir {
        char *dir, *recipe;
        struct outdir_entry *v;
        size_t n;
};

/* Read DIR's record (none yet: an empty one) for a build of recipe (its real
 * path). A damaged record is not an error: its bad lines are dropped, and their
 * files are written again. */
int outdir_load(struct outdir *o, const char *dir, const char *recipe, struct diag *d);
/* The record's text (NUL-terminated, len bytes before the NUL; changed in
 * place) into o's entries; 0, or -ENOMEM. */
int outdir_parse(struct outdir *o, char *text, size_t len);
/* True when DIR/out is still the copy of src this record made: the copy can be
 * skipped. Marks the entry as seen. */
bool outdir_current(struct outdir *o, const char *out, const char *src);
/* Record that DIR/out was just written from src (its stamp is read now). */
int outdir_wrote(struct outdir *o, const char *out, const char *src, struct diag *d);
/* Files earlier builds of the same recipe exported and this one did not: removed
 * (keep: left, and named on stderr unless quiet); other recipes' files stay.
 * Their count through *stale. */
int outdir_prune(struct outdir *o, bool keep, bool quiet, size_t *stale, struct diag *d);
/* Write the record back (atomically). This recipe's entries not seen stay when
 * keep_unseen; other recipes' stay always. */
int outdir_save(struct outdir *o, bool keep_unseen, struct diag *d);
void outdir_release(struct outdir *o);
