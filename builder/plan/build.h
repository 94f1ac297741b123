/* build.h: running the artifact graph: one forked worker per node, up to -j at once. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"

struct build_opts {
        unsigned jobs;   /* parallel workers */
        const char *out; /* output directory */
        FILE *json;      /* one JSON event per line, or NULL */
        bool tty;        /* live status line on stderr */
        bool quiet;
};

/* Build what graph_mark_needed selected, then export every output into o->out
 * (each file atomically; nothing is exported when any node failed). -EIO when
 * a node or the export failed, with d saying why. */
int build_run(struct graph *g, const struct build_opts *o, struct diag *d);
