/* out_bundle.c: the bundle deliverable: every output, signed, with manifest, SBOM and provenance.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/bundle.h"
#include "nodes.h"
#include "outputs.h"
#include "provenance.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* The recipe as the provenance names it: its file name, the same however the
 * path was typed (app.yaml, ./app.yaml, /abs/app.yaml) and wherever the tree is. */
static const char *recipe_name(const struct graph *g)
{
        const char *slash = strrchr(g->app->file, '/');

        return slash ? slash + 1 : g->app->file;
}

/* Raised when what goes into the bundle changes (2: each disk once, zstd with
 * long-distance matching; 3: signed provenance with its inputs, SBOM packages,
 * kinds named by format). */
#define BUNDLE_STEP "bundle-3"

static int bundle_hash(const struct graph *g, const struct node *n, struct hasher *h,
                       struct diag *d)
{
        int rc = hash_key_file(h, g->boot, "codesign.crt", d);

        if (rc < 0)
                return rc;
        /* the provenance names the binary that made the bundle, and the recipe
         * files with their digests (a comment changes those, not the roles' keys) */
        if ((rc = hash_path(h, "/proc/self/exe", d)) < 0)
                return rc;
        for (size_t i = 0; i < g->app->n_files; i++)
                if ((rc = hash_path(h, g->app->files[i], d)) < 0)
                        return rc;
        hasher_str(h, BUNDLE_STEP);
        hasher_str(h, recipe_name(g));
        hasher_str(h, n->type->also_object ? "zst+gz" : "zst");
        for (size_t i = 0; i < n->n_inputs; i++)
                if (n->inputs[i]->export_name)
                        hasher_str(h, n->inputs[i]->export_name);
        return 0;
}

/* The bundle carries each disk once: a role's (and the host's) qcow2 when the
 * recipe makes one. The raw image and the vhdx of that role are the same disk,
 * which `qemu-img convert` gives back from the qcow2: they are listed in the
 * manifest as derived, not stored again (and hashed again: a raw image is mostly
 * zeros, and each of its bytes costs two digests). */
static const struct node *qcow2_sibling(const struct node *n, const struct node *in)
{
        bool form = in->type == &node_disk || in->type == &node_image || in->type == &node_host ||
                    (in->type == &node_convert && in->fmt != OUT_QCOW2);

        for (size_t i = 0; form && in->role && i < n->n_inputs; i++)
                if (n->inputs[i]->type == &node_convert && n->inputs[i]->fmt == OUT_QCOW2 &&
                    n->inputs[i]->role == in->role && n->inputs[i]->export_name)
                        return n->inputs[i];
        return NULL;
}

struct bundle_list {
        struct export_list l;
        struct bundle_item *items;
        const struct node **item_node; /* the node that made each item */
        size_t n_items;
        struct bundle_derived *derived;
        size_t n_derived;
};

static void bundle_list_release(struct bundle_list *b)
{
        export_list_release(&b->l);
        free(b->items);
        free(b->item_node);
        free(b->derived);
}

/* The files every input puts in the output directory, as bundle items, or as
 * derived entries when a qcow2 sibling carries the same disk. */
static int bundle_items(const struct graph *g, const struct node *n, struct bundle_list *b)
{
        size_t ends[ARRAY_SIZE(n->inputs)], k = 0;
        int rc = 0;

        for (size_t i = 0; rc >= 0 && i < n->n_inputs; i++) {
                rc = node_exports(g, n->inputs[i], &b->l);
                ends[i] = b->l.n;
        }
        if (rc < 0)
                return rc;
        b->items = calloc(b->l.n + 1, sizeof(*b->items));
        b->item_node = calloc(b->l.n + 1, sizeof(*b->item_node));
        b->derived = calloc(b->l.n + 1, sizeof(*b->derived));
        if (!b->items || !b->item_node || !b->derived)
                return -ENOMEM;
        for (size_t i = 0; i < n->n_inputs; i++) {
                const struct node *in = n->inputs[i], *q = qcow2_sibling(n, in);

                for (; k < ends[i]; k++) {
                        if (q && in->export_name && !strcmp(b->l.v[k].out, in->export_name)) {
                                b->derived[b->n_derived++] = (struct bundle_derived){
                                        .path = b->l.v[k].out,
                                        .from = q->export_name,
                                        .format = in->type == &node_convert
                                                          ? output_fmt_name(in->fmt)
                                                          : "raw",
                                };
                                continue;
                        }
                        b->item_node[b->n_items] = in;
                        b->items[b->n_items++] = (struct bundle_item){
                                .path = b->l.v[k].out,
                                .src = b->l.v[k].src,
                                .role = in->role ? in->role->name : NULL,
                                .kind = export_kind(in),
                        };
                }
        }
        return 0;
}

static int bundle_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *zst = path_join(dir, "bundle.tar.zst");
        _cleanup_free_ char *gz = path_join(dir, "bundle.tar.gz");
        _cleanup_free_ char *key = keys_file(g->boot, "codesign.key");
        _cleanup_free_ char *cert = keys_file(g->boot, "codesign.crt");
        struct bundle_list b = {0};
        struct provenance p = {0};
        struct bundle_spec s = {.recipe = recipe_name(g),
                                .profile = g->profile,
                                .key = key,
                                .cert = cert,
                                .epoch = (int64_t)g->epoch};
        int rc = (zst && gz && key && cert) ? 0 : -ENOMEM;

        if (rc >= 0 && (rc = bundle_items(g, n, &b)) < 0)
                diag_err(d, rc, "cannot list the bundle's files: %s", strerror(-rc));
        if (rc >= 0)
                rc = provenance_collect(g, n, b.items, b.item_node, b.n_items, &p, d);
        if (rc >= 0) {
                s.items = b.items;
                s.n_items = b.n_items;
                s.derived = b.derived;
                s.n_derived = b.n_derived;
                s.deps = p.deps;
                s.n_deps = p.n_deps;
                s.roles = p.roles;
                s.n_roles = p.n_roles;
                s.pkgs = p.pkgs;
                s.n_pkgs = p.n_pkgs;
                s.contains = p.contains;
                s.n_contains = p.n_contains;
                s.infiles = p.infiles;
                s.n_infiles = p.n_infiles;
                rc = bundle_write(&s, zst, n->type->also_object ? gz : NULL, d);
        }
        provenance_release(&p);
        bundle_list_release(&b);
        return rc;
}

static const struct node_type node_bundle = {
        .name = "bundle", .object = "bundle.tar.zst", .hash = bundle_hash, .make = bundle_make};
/* The same with the .tar.gz beside it, for readers without zstd (outputs: [bundle-gz]). */
static const struct node_type node_bundle_gz = {.name = "bundle",
                                                .object = "bundle.tar.zst",
                                                .also_object = "bundle.tar.gz",
                                                .also_ext = ".gz",
                                                .hash = bundle_hash,
                                                .make = bundle_make};

/* The bundle carries every file exported so far. */
static int bundle_plan(struct graph *g, struct diag *d)
{
        struct node *b = graph_add_node(g, &node_bundle, NULL, g->app->name, NULL);

        int rc;

        if (!b || asprintf(&b->export_name, "%s.tar.zst", g->app->name) < 0)
                return -ENOMEM;
        if ((rc = collect_exports(g, b, d)) < 0)
                return rc;
        /* its SBOM reads each role root's package list: the roots are inputs, so a
         * build whose disks came from a cache has them too */
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->type == &node_rootfs && node_add_input(b, g->nodes[i]) < 0)
                        return diag_at(d, &g->app->mark,
                                       "too many inputs for %s (expected at most %zu)", b->id,
                                       ARRAY_SIZE(b->inputs));
        return 0;
}

const struct output_type out_bundle = {.name = "bundle", .needs_keys = true, .plan = bundle_plan};

/* bundle-gz: the bundle node also writes the .tar.gz. */
static int bundle_gz_plan(struct graph *g, struct diag *d)
{
        struct node *b = NULL;

        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->type == &node_bundle)
                        b = g->nodes[i];
        if (!b)
                return diag_at(d, &g->app->mark,
                               "output bundle-gz is the bundle as .tar.gz too (expected bundle in "
                               "outputs as well)");
        b->type = &node_bundle_gz;
        return 0;
}

const struct output_type out_bundle_gz = {
        .name = "bundle-gz", .needs_keys = true, .plan = bundle_gz_plan};
