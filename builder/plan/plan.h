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
/* The names of the deliverables an appliance may ask for, in the plan's order:
 * what recipe_load takes as load_opts.deliverables. Returns how many. */
size_t plan_output_names(const char **names, size_t max);
