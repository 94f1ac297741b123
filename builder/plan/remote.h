/* remote.h: the build's remote cache: objects looked up and pulled before the run, pushed as they
 * are made. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"

struct remote_cache {
        const char *url; /* oci://HOST[:PORT]/REPO */
        bool insecure;   /* plain http */
        bool read_only;  /* pull, never push */
        bool down;       /* it failed once: not asked again in this build */
        size_t pulled, push_failed;
};

/* Before the run: which objects the build needs that the local cache lacks are in
 * the registry; those are pulled (each checked, in a process of its own) and become
 * cached nodes with the status NODE_PULLED; what a pull that fails needed is planned
 * again, so the node is built here. A registry that does not answer costs one
 * warning; the build goes on locally. */
int remote_fetch(struct graph *g, struct remote_cache *rc, FILE *json, bool quiet, struct diag *d);

/* In a worker, once n's object is stored: push it unless the registry has it. */
int remote_push(const struct graph *g, const struct node *n, const struct remote_cache *rc,
                struct diag *d);

/* A worker's push failed (why): one warning per build, then no more pushes. */
void remote_push_failed(struct remote_cache *rc, const struct node *n, const char *why, FILE *json,
                        bool quiet);
