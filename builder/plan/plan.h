/* plan.h: from a loaded recipe to the graph: the check phase, then every node and its key. */
#pragma once

#include "graph.h"

/* The check phase alone: every selected role's stage inputs, layout and
 * filesystems, the boot chain's keys and kernel, and the deliverables' own
 * inputs (signing keys). Writes nothing. */
int graph_check(const struct appliance *a, const struct graph_opts *o, struct diag *d);
/* graph_check, then the nodes of every selected role, the boot chain and the
 * deliverables (only when every role is selected), and their content keys. */
int graph_plan(struct graph *g, const struct appliance *a, const struct graph_opts *o,
               struct diag *d);
/* Remove from dir the files builds exported there (all recipes', or those of
 * recipe, its real path), each only when it is still what the build wrote (a file
 * changed since is left and named); the record goes when nothing is left in it.
 * Counts through removed and kept. */
int outdir_clean(const char *dir, const char *recipe, size_t *removed, size_t *kept,
                 struct diag *d);
/* The names of the deliverables an appliance may ask for, in the plan's order:
 * what recipe_load takes as load_opts.deliverables. Returns how many. */
size_t plan_output_names(const char **names, size_t max);
