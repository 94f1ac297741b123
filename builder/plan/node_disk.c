/* node_disk.c: the disk node: the GPT table and every partition's filesystem in one raw image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/disk.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static int disk_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        hasher_str(h, "disk");
        ynode_hash(ynode_get(n->role->tree, "disk"), h);
        return 0;
}

/* The partitions no fs node made: their filesystems are written in place. */
static int in_place_specs(const struct role *r, const struct gpt *gpt, uint64_t epoch,
                          const char *root, const char **images, const struct fs_spec **fs,
                          struct fs_spec *specs, char **trees)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                int rc;

                if (!p->fs || images[i])
                        continue;
                if ((rc = part_tree(root, p, &trees[i])) < 0)
                        return rc;
                disk_fs_spec(r, gpt, i, epoch, trees[i], &specs[i]);
                fs[i] = &specs[i];
        }
        return 0;
}

/* The disk: the table, images of the filesystems built apart, and the
 * filesystems whose handler writes in place (ext4) made straight into it. */
static int disk_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        const struct role *r = n->role;
        size_t np = r->disk.n_partitions;
        _cleanup_free_ const char **images = calloc(np + 1, sizeof(*images));
        _cleanup_free_ const struct fs_spec **fs = calloc(np + 1, sizeof(*fs));
        _cleanup_free_ struct fs_spec *specs = calloc(np + 1, sizeof(*specs));
        _cleanup_free_ char **owned = calloc(2 * np + 1, sizeof(*owned));
        _cleanup_free_ char *root = NULL;
        _cleanup_free_ char *out = path_join(dir, "disk.raw");
        struct gpt gpt = {0};
        int rc;

        root = node_object_dir(g, n->inputs[0]);
        if (!images || !fs || !specs || !owned || !root || !out)
                return -ENOMEM;
        rc = disk_layout(r, &gpt, d);
        for (size_t i = 1; rc >= 0 && i < n->n_inputs; i++) {
                const struct node *f = n->inputs[i];

                images[f->part] = owned[f->part] = node_input_file(g, f, "fs.img");
                if (!images[f->part])
                        rc = -ENOMEM;
        }
        if (rc >= 0)
                rc = in_place_specs(r, &gpt, g->epoch, root, images, fs, specs, owned + np);
        if (rc >= 0)
                rc = disk_assemble_fs(&gpt, images, fs, out, d);
        gpt_release(&gpt);
        for (size_t i = 0; i < 2 * np; i++)
                free(owned[i]);
        return rc;
}

const struct node_type node_disk = {
        .name = "disk", .object = "disk.raw", .hash = disk_hash, .make = disk_make};
