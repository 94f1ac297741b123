/* provenance.h: what a deliverable's files came from: the files the build read, the
 * roles, the packages in each file, which file carries which; private to plan/. */
#pragma once

#include "graph.h"
#include "media/bundle.h"

struct provenance {
        struct bundle_dep *deps; /* sorted by name; names, sources and digests owned */
        size_t n_deps;
        const char **roles; /* names owned by the recipe */
        size_t n_roles;
        struct bundle_pkgs *pkgs; /* v and in owned */
        size_t n_pkgs;
        struct bundle_contains *contains; /* paths owned by the items */
        size_t n_contains;
        struct bundle_infile *infiles; /* in owned; names and sources are the deps' */
        size_t n_infiles;
};

/* For deliverable n, whose files are items (item_node[k] made items[k]): every
 * file the keys of n's inputs read, named relative to the recipe's tree (or
 * "pocbake-data/…", "keys/…", "pocbake", or the build host's path); the roles
 * it covers; the Debian packages in each file (each role root's dpkg status,
 * and the build host's packages that own the host files read, e.g. the kernel);
 * the files pocbake put into the images (overlays, data files) and which output
 * holds each; and the files that carry other files. */
int provenance_collect(const struct graph *g, const struct node *n, const struct bundle_item *items,
                       const struct node *const *item_node, size_t n_items, struct provenance *p,
                       struct diag *d);
void provenance_release(struct provenance *p);
