/* node_rootfs.c: the rootfs node: a role's staged root tree, split by mountpoint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "disk/disk.h"
#include "disk/gpt.h"
#include "nodes.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* The recipe keys that shape a role's root tree. */
static const char *const rootfs_keys[] = {
        "role", "hostname", "base", "overlays", "files", "groups", "users", "services", "check",
};

static bool is_root_mount(const struct partition_spec *p)
{
        return p->mountpoint && !strcmp(p->mountpoint, "/");
}

int part_tree(const char *rootfs_obj, const struct partition_spec *p, char **tree)
{
        *tree = NULL;
        if (is_root_mount(p))
                *tree = path_join(rootfs_obj, "root");
        else if (p->mountpoint && asprintf(tree, "%s/mnt/%s", rootfs_obj, p->name) < 0)
                *tree = NULL;
        else if (!p->mountpoint)
                return 0;
        return *tree ? 0 : -ENOMEM;
}

/* The recipe subtree under key, named. */
static void hash_subtree(struct hasher *h, const struct ynode *tree, const char *key)
{
        hasher_str(h, key);
        ynode_hash(ynode_get(tree, key), h);
}

int rootfs_hash_recipe(const struct role *r, struct hasher *h, struct diag *d)
{
        for (size_t i = 0; i < ARRAY_SIZE(rootfs_keys); i++)
                hash_subtree(h, r->tree, rootfs_keys[i]);
        return stage_hash_inputs(r, h, d);
}

static int rootfs_hash(const struct graph *g, const struct node *n, struct hasher *h,
                       struct diag *d)
{
        const struct role *r = n->role;

        for (size_t i = 0; i < ARRAY_SIZE(rootfs_keys); i++)
                hash_subtree(h, r->tree, rootfs_keys[i]);
        /* mountpoints decide how the tree is split between partitions */
        for (size_t i = 0; i < r->disk.n_partitions; i++)
                hasher_str(h, r->disk.partitions[i].mountpoint);
        return stage_hash_inputs(r, h, d);
}

/* Move each non-root mountpoint's subtree out to mnt/PART, leaving an empty
 * directory in its place: every partition then gets its own tree. */
static int split_mounts(const struct role *r, const char *dir, uint64_t epoch, struct diag *d)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                _cleanup_free_ char *root = path_join(dir, "root");
                _cleanup_free_ char *src = NULL, *dst = NULL;
                struct timeval tv[2] = {{(time_t)epoch, 0}, {(time_t)epoch, 0}};
                int rc;

                if (!p->mountpoint || is_root_mount(p) || !p->fs)
                        continue;
                if (!root || asprintf(&src, "%s%s", root, p->mountpoint) < 0 ||
                    asprintf(&dst, "%s/mnt/%s", dir, p->name) < 0)
                        return -ENOMEM;
                if ((rc = mkdir_p(src, 0755)) < 0)
                        return diag_err(d, rc, "cannot create mountpoint %s: %s", p->mountpoint,
                                        strerror(-rc));
                if ((rc = mkdir_p(dst, 0755)) < 0 || rmdir(dst) < 0 || rename(src, dst) < 0 ||
                    mkdir(src, 0755) < 0)
                        return diag_err(d, rc < 0 ? rc : -errno,
                                        "cannot split %s out of the root: %s", p->mountpoint,
                                        strerror(rc < 0 ? -rc : errno));
                lutimes(src, tv);
        }
        return 0;
}

/* What the role's disk can hold at most: its size (0: no disk in the recipe, no
 * bound). The host's volumes are seeded from its root tree, so the partitions
 * with a filesystem of their own are not the bound. */
static int disk_room(const struct role *r, uint64_t *room, struct diag *d)
{
        struct gpt gp = {0};
        int rc;

        *room = 0;
        if (!r->disk.n_partitions)
                return 0;
        if ((rc = disk_layout(r, &gp, d)) < 0)
                return rc;
        *room = gp.size;
        gpt_release(&gp);
        return 0;
}

static int rootfs_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *root = path_join(dir, "root");
        _cleanup_free_ char *work = path_join(dir, "work");
        uint64_t room = 0;
        struct stage_opts o = {.epoch = g->epoch, .work = work};
        int rc;

        if (!root || !work)
                return -ENOMEM;
        if ((rc = disk_room(n->role, &room, d)) < 0)
                return rc;
        if (room)
                o.budget = &room;
        if ((rc = mkdir_p(root, 0755)) < 0 || (rc = mkdir_p(work, 0700)) < 0)
                return diag_err(d, rc, "cannot create %s: %s", root, strerror(-rc));
        rc = stage_role(n->role, root, &o, d);
        rm_rf(work);
        if (rc < 0)
                return rc;
        return split_mounts(n->role, dir, g->epoch, d);
}

const struct node_type node_rootfs = {
        .name = "rootfs", .object = "root", .hash = rootfs_hash, .make = rootfs_make};
