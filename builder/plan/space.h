/* space.h: whether a build fits where it writes: file size limits and free space, checked before
 * the first node runs. */
#pragma once

#include "graph.h"
#include "outdir.h"
#include "util/diag.h"

/* Every disk image the build will write against the largest file the
 * filesystems of the cache and of out can hold: -EFBIG at the recipe's disk line. */
int space_check_sizes(const struct graph *g, const char *cache_tmp, const char *out,
                      struct diag *d);

/* The bytes the build will add to the cache (each node to build: what it took the
 * last time this cache built a node of that id, at least what its recipe puts in
 * the root) and to out (each exported file not already current there) against the
 * free space of their filesystems: -ENOSPC with both figures when it cannot fit. */
int space_check_free(const struct graph *g, const char *out, struct outdir *od, struct diag *d);

/* Remember what each node built in this run takes in the cache (CACHE/sizes), for
 * the next build's estimate. Best effort: nothing fails when it cannot. */
void space_record(const struct graph *g);
