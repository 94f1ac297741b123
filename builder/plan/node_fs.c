/* node_fs.c: the fs node: one partition's filesystem image, an ESP with its boot chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/disk.h"
#include "fs/fs.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static int fs_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        hasher_u64(h, n->part);
        hasher_str(h, "disk");
        ynode_hash(ynode_get(n->role->tree, "disk"), h);
        return n->uki ? esp_hash(g, n, h, d) : 0;
}

static int fs_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        const struct role *r = n->role;
        const struct partition_spec *p = &r->disk.partitions[n->part];
        _cleanup_free_ char *in = node_object_dir(g, n->inputs[0]);
        _cleanup_free_ char *tree = NULL, *out = path_join(dir, "fs.img");
        const struct fs_type *t = fs_type_find(p->fs);
        struct gpt gpt = {0};
        struct fs_spec s;
        int rc;

        if (!t)
                return diag_at(d, &p->mark, "unknown filesystem \"%s\"", p->fs);
        if (!in || !out || part_tree(in, p, &tree) < 0)
                return -ENOMEM;
        if (n->uki) {
                _cleanup_free_ char *esp = path_join(dir, "esp-tree");

                if (!esp)
                        return -ENOMEM;
                if ((rc = make_esp_tree(g, n, tree, esp, d)) < 0)
                        return rc;
                free(tree);
                tree = TAKE_PTR(esp);
        }
        rc = disk_layout(r, &gpt, d);
        if (rc >= 0) {
                disk_fs_spec(r, &gpt, n->part, g->epoch, tree, &s);
                rc = t->make(&s, out, d);
        }
        gpt_release(&gpt);
        if (n->uki)
                rm_rf(tree);
        return rc;
}

const struct node_type node_fs = {
        .name = "fs", .object = "fs.img", .hash = fs_hash, .make = fs_make};
