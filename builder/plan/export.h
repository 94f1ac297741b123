/* export.h: outputs copied out of the cache while the build runs, renamed into place at the end. */
#pragma once

#include <stdbool.h>

#include "graph.h"
#include "outdir.h"
#include "util/diag.h"

struct exporter;

/* Start the thread that copies exported files of queued nodes into temp files in
 * dir (each beside its target), skipping those od says are still current; with
 * digests it also computes each copied file's sha256 (export_sha256) while the
 * build goes on. */
int exporter_start(struct exporter **e, const struct graph *g, const char *dir, struct outdir *od,
                   bool digests, struct diag *d);
/* Queue a node whose object is in the cache (built or found there). */
void exporter_add(struct exporter *e, const struct node *n);

/* Called for each exported file in graph order once it is in place; written is
 * false when the file there was already current. */
typedef int (*exporter_fn)(void *ctx, const struct node *n, const struct export_file *f,
                           const char *dst, bool written, struct diag *d);
/* After a successful build: wait for the copies (a node never queued is copied
 * here), then rename every temp file into place, in graph order. */
int exporter_finish(struct exporter *e, exporter_fn fn, void *ctx, struct diag *d);
/* Finish the renames of a build into out that was killed while making them (its
 * journal, out/.pocbake-commit, says which), unless that build still runs; *done
 * counts them. 0 when there is nothing to finish. */
int exporter_recover(const char *out, size_t *done, struct diag *d);
/* Joins the thread; temp files not renamed are removed (a failed build leaves
 * out/ as it was). Accepts NULL. */
void exporter_free(struct exporter *e);
