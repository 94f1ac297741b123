/* roles.c: a role's nodes: root, filesystems, disk, conversions, and the host's own node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"
#include "nodes.h"
#include "stage/stage.h"
#include "util/cleanup.h"

static int export_name(struct node *n, const char *ext)
{
        return asprintf(&n->export_name, "%s/%s.%s", n->role->name, n->role->name, ext) < 0
                       ? -ENOMEM
                       : 0;
}

/* A filesystem whose handler writes straight into the disk file (ext4) is made
 * by the disk node itself: no separate image to copy. */
static bool fs_in_place(const struct partition_spec *p)
{
        const struct fs_type *t = p->fs ? fs_type_find(p->fs) : NULL;

        return t && t->make_at;
}

static bool role_has_esp(const struct role *r)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].type == PART_ESP && r->disk.partitions[i].fs)
                        return true;
        return false;
}

/* The host's disk carries every role: its qcow2 (made for the host when the
 * role's own outputs do not ask for one). */
static struct node *plan_host(struct graph *g, struct role *host, struct node *root,
                              struct node *disk)
{
        struct node *h = graph_add_node(g, &node_host, host, host->name, NULL);

        if (!h)
                return NULL;
        /* the disk, and the staged tree its root is made again from */
        node_add_input(h, disk);
        node_add_input(h, root);
        for (size_t i = 0; i < g->app->n_roles; i++) {
                struct node *q = NULL;

                for (size_t j = 0; j < g->n; j++)
                        if (g->nodes[j]->type == &node_convert && g->nodes[j]->fmt == OUT_QCOW2 &&
                            g->nodes[j]->role == g->app->roles[i])
                                q = g->nodes[j];
                if (q) /* NULL: role not selected with --role */
                        node_add_input(h, q);
        }
        return h;
}

static int plan_converts(struct graph *g, struct role *r, struct node *disk)
{
        int rc;

        for (unsigned f = OUT_QCOW2; f <= OUT_VHDX; f <<= 1) {
                struct node *c;
                /* a role carried by the host needs its qcow2 even when not exported */
                bool payload = f == OUT_QCOW2 && g->app->host && r != g->app->host;

                if (!(r->outputs & f) && !payload)
                        continue;
                c = graph_add_node(g, &node_convert, r, r->name, NULL);
                if (!c)
                        return -ENOMEM;
                free(c->id);
                c->id = NULL;
                if (asprintf(&c->id, "%s:%s", output_fmt_name(f), r->name) < 0)
                        return -ENOMEM;
                c->fmt = f;
                node_add_input(c, disk);
                if ((r->outputs & f) && (rc = export_name(c, output_fmt_name(f))) < 0)
                        return rc;
        }
        return 0;
}

/* base: {image: …}: the disk node copies the image and applies the recipe to it
 * (libguestfs); there is no staged root and no filesystem of ours. */
static int plan_image_role(struct graph *g, struct role *r)
{
        struct node *disk = graph_add_node(g, &node_image, r, r->name, NULL);
        int rc;

        if (!disk)
                return -ENOMEM;
        if ((r->outputs & OUT_RAW) && (rc = export_name(disk, "raw")) < 0)
                return rc;
        return plan_converts(g, r, disk);
}

/* The role's signed UKI (and the initrd it shares with others), when its ESP
 * carries the boot chain; NULL in *uki otherwise. */
static int plan_uki(struct graph *g, struct role *r, struct node **uki)
{
        struct node *initrd;

        *uki = NULL;
        if (!g->boot || !role_has_esp(r))
                return 0;
        initrd = graph_initrd(g, r->kernel ? r->kernel : g->boot->kernel, r->kernel_modules,
                              r->n_kernel_modules, r->name);
        *uki = initrd ? graph_add_node(g, &node_uki, r, r->name, NULL) : NULL;
        if (!*uki)
                return -ENOMEM;
        (*uki)->kernel = initrd->kernel;
        return node_add_input(*uki, initrd);
}

static int plan_filesystems(struct graph *g, struct role *r, struct node *root, struct node *uki,
                            struct node *disk, struct diag *d)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                struct node *f;

                if (!p->fs || fs_in_place(p))
                        continue;
                if (!(f = graph_add_node(g, &node_fs, r, r->name, p->name)))
                        return -ENOMEM;
                f->part = i;
                node_add_input(f, root);
                if (uki && p->type == PART_ESP) {
                        f->uki = uki;
                        node_add_input(f, uki);
                }
                if (node_add_input(disk, f) < 0)
                        return diag_at(d, &r->disk.mark,
                                       "too many filesystems on one disk (expected at most %zu)",
                                       ARRAY_SIZE(disk->inputs) - 1);
        }
        return 0;
}

int plan_role(struct graph *g, struct role *r, struct diag *d)
{
        struct node *root, *disk, *uki;
        struct node fs_inputs = {0};
        int rc;

        if (!stage_makes_root(r)) /* an existing disk, customized in place */
                return plan_image_role(g, r);
        if (!(root = graph_add_node(g, &node_rootfs, r, r->name, NULL)))
                return -ENOMEM;
        if ((rc = plan_uki(g, r, &uki)) < 0)
                return rc;
        /* the filesystems come before the disk in the build order, and are its inputs */
        node_add_input(&fs_inputs, root);
        if ((rc = plan_filesystems(g, r, root, uki, &fs_inputs, d)) < 0)
                return rc;
        if (!(disk = graph_add_node(g, &node_disk, r, r->name, NULL)))
                return -ENOMEM;
        memcpy(disk->inputs, fs_inputs.inputs, sizeof(disk->inputs));
        disk->n_inputs = fs_inputs.n_inputs;
        if (r == g->app->host && !(disk = plan_host(g, r, root, disk)))
                return -ENOMEM;
        if ((r->outputs & OUT_RAW) && (rc = export_name(disk, "raw")) < 0)
                return rc;
        return plan_converts(g, r, disk);
}
