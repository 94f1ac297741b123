/* build.h: running the artifact graph: one forked worker per node, up to -j at once. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"
#include "remote.h"

struct build_opts {
        unsigned jobs;   /* parallel workers */
        const char *out; /* output directory */
        FILE *json;      /* one JSON event per line, or NULL */
        bool tty;        /* live status line on stderr */
        bool quiet;
        const char *recipe;          /* its real path: whose files in out a build may remove */
        bool partial;                /* only some roles: files of the others stay as they are */
        bool keep_stale;             /* files no longer built are kept (and named), not removed */
        struct remote_cache *remote; /* objects shared through a registry, or NULL */
};

/* Build what graph_mark_needed selected, then export every output into o->out
 * (each file atomically; nothing is exported when any node failed). A file still
 * the copy an earlier build made of the same object is not written again; after a
 * whole build, files an earlier build exported and this one did not are removed
 * (out/.pocbake-outputs records them). -EIO when a node or the export failed,
 * with d saying why. */
int build_run(struct graph *g, const struct build_opts *o, struct diag *d);
