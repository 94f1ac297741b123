/* outputs.h: the appliance's deliverables: one file each, one table; private to plan/. */
#pragma once

#include "graph.h"

/* One deliverable an appliance recipe can ask for in `outputs:`. Adding one is
 * a new out_NAME.c defining its struct output_type and its node type, and a
 * row in outputs.c's table (named in the declaration above it). */
struct output_type {
        const char *name; /* as the recipe writes it in outputs: */
        bool needs_keys;  /* signed: refused without --keys */
        /* What can be checked before anything is built (keys, tools), or NULL. */
        int (*check)(const struct appliance *a, const struct boot_config *b, struct diag *d);
        /* Add the deliverable's nodes; runs after the roles' and the deliverables
         * above it in the table (the bundle carries what they export). */
        int (*plan)(struct graph *g, struct diag *d);
};

/* The deliverables the appliance asks for: signed ones need keys b, and the
 * codesign key in it must load; then each one's own check. */
int outputs_check(const struct appliance *a, const struct boot_config *b, struct diag *d);
/* The deliverables the appliance asks for: their nodes, in table order. */
int outputs_plan(struct graph *g, struct diag *d);

/* What the out_*.c files share (out_common.c). */
/* Make every node exported so far an input of n (a deliverable of them all). */
int collect_exports(struct graph *g, struct node *n, struct diag *d);
/* The codesign key and certificate that sign the deliverables: present, private
 * key not readable by others, and the two a pair. */
int codesign_check(const struct boot_config *b, struct diag *d);
/* What manifests and the report call a node's files: a disk's format (raw,
 * qcow2, vhdx), else the node's kind (iso, pxe, bundle, …). */
const char *export_kind(const struct node *n);
