/* make.c: the work of each kind of node, run inside a forked worker. */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "disk/disk.h"
#include "fs/fs.h"
#include "guest/guest.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static bool is_root_mount(const struct partition_spec *p)
{
        return p->mountpoint && !strcmp(p->mountpoint, "/");
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

static int make_rootfs(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *root = path_join(dir, "root");
        _cleanup_free_ char *work = path_join(dir, "work");
        struct stage_opts o = {.epoch = g->epoch, .work = work};
        int rc;

        if (!root || !work)
                return -ENOMEM;
        if ((rc = mkdir_p(root, 0755)) < 0 || (rc = mkdir_p(work, 0700)) < 0)
                return diag_err(d, rc, "cannot create %s: %s", root, strerror(-rc));
        rc = stage_role(n->role, root, &o, d);
        rm_rf(work);
        if (rc < 0)
                return rc;
        return split_mounts(n->role, dir, g->epoch, d);
}

/* The tree that goes into partition p: the root, a split-off mountpoint, or none. */
static int part_tree(const char *rootfs_obj, const struct partition_spec *p, char **tree)
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

static int make_fs(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
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
        if (n->n_inputs > 1) { /* an ESP that carries the boot chain */
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
        if (n->n_inputs > 1)
                rm_rf(tree);
        return rc;
}

/* The disk: the table, images of the filesystems built apart, and the
 * filesystems whose handler writes in place (ext4) made straight into it. */
static int make_disk(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
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

        if (r->base.kind == BASE_IMAGE)
                return out ? guest_customize(r->base.path, out, r, g->epoch, d) : -ENOMEM;
        root = node_object_dir(g, n->inputs[0]);
        if (!images || !fs || !specs || !owned || !root || !out)
                return -ENOMEM;
        rc = disk_layout(r, &gpt, d);
        for (size_t i = 1; rc >= 0 && i < n->n_inputs; i++) {
                const struct node *f = n->inputs[i];
                _cleanup_free_ char *fdir = node_object_dir(g, f);

                owned[f->part] = fdir ? path_join(fdir, "fs.img") : NULL;
                images[f->part] = owned[f->part];
                if (!images[f->part])
                        rc = -ENOMEM;
        }
        for (size_t i = 0; rc >= 0 && i < np; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];

                if (!p->fs || images[i])
                        continue;
                if ((rc = part_tree(root, p, &owned[np + i])) < 0)
                        break;
                disk_fs_spec(r, &gpt, i, g->epoch, owned[np + i], &specs[i]);
                fs[i] = &specs[i];
        }
        if (rc >= 0)
                rc = disk_assemble_fs(&gpt, images, fs, out, d);
        gpt_release(&gpt);
        for (size_t i = 0; i < 2 * np; i++)
                free(owned[i]);
        return rc;
}

static int make_convert(const struct graph *g, const struct node *n, const char *dir,
                        struct diag *d)
{
        _cleanup_free_ char *in = node_object_dir(g, n->inputs[0]);
        _cleanup_free_ char *raw = NULL, *out = NULL;

        if (!in || !(raw = path_join(in, node_object_file(n->inputs[0]))) ||
            !(out = path_join(dir, node_object_file(n))))
                return -ENOMEM;
        return disk_convert(raw, n->fmt, n->role->name, out, d);
}

/* The host disk: a copy of its plain disk, then the storage pool and every
 * role's qcow2 put in through libguestfs (one launch). */
static int make_host(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        const struct appliance *a = g->app;
        _cleanup_free_ char *in = node_object_dir(g, n->inputs[0]);
        _cleanup_free_ char *src = NULL, *out = path_join(dir, "host.raw");
        _cleanup_free_ const char **qcow2 = calloc(a->n_roles + 1, sizeof(*qcow2));
        _cleanup_free_ char **owned = calloc(a->n_roles + 1, sizeof(*owned));
        int rc;

        if (!in || !out || !qcow2 || !owned || !(src = path_join(in, "disk.raw")))
                return -ENOMEM;
        for (size_t i = 1; i < n->n_inputs; i++) {
                const struct node *q = n->inputs[i];
                _cleanup_free_ char *qdir = node_object_dir(g, q);

                for (size_t j = 0; j < a->n_roles; j++)
                        if (a->roles[j] == q->role && qdir)
                                qcow2[j] = owned[j] = path_join(qdir, "disk.qcow2");
        }
        rc = copy_file_sparse(src, out, 0644);
        if (rc < 0)
                return diag_err(d, rc, "cannot copy the host disk: %s", strerror(-rc));
        rc = guest_make_host(out, a, qcow2, d);
        for (size_t j = 0; j < a->n_roles; j++)
                free(owned[j]);
        return rc;
}

int node_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        switch (n->kind) {
        case NODE_ROOTFS: return make_rootfs(g, n, dir, d);
        case NODE_FS: return make_fs(g, n, dir, d);
        case NODE_DISK: return make_disk(g, n, dir, d);
        case NODE_CONVERT: return make_convert(g, n, dir, d);
        case NODE_INITRD: return make_initrd(g, n, dir, d);
        case NODE_UKI: return make_uki(g, n, dir, d);
        case NODE_HOST: return make_host(g, n, dir, d);
        case NODE_PXE: return make_pxe(g, n, dir, d);
        case NODE_ISO: return make_iso(g, n, dir, d);
        case NODE_BUNDLE: return make_bundle(g, n, dir, d);
        }
        return -EINVAL;
}
