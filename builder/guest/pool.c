/* pool.c: the host disk composed: its root made again with the host's files, the LVM pool and its
 * volumes written by pocbake. */
#include "guestint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/disk.h"
#include "disk/gpt.h"
#include "disk/lvm.h"
#include "fs/fs.h"
#include "stage/rootfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/hash.h"

static ssize_t find_partition(const struct role *r, const char *name, const char *mountpoint)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];

                if ((name && !strcmp(p->name, name)) ||
                    (mountpoint && p->mountpoint && !strcmp(p->mountpoint, mountpoint)))
                        return (ssize_t)i;
        }
        return -1;
}

/* The byte range of partition i, emptied: what the plain disk had there goes. */
static int clear_range(int fd, const struct gpt *gpt, size_t i, uint64_t *off, uint64_t *len,
                       const char *image, struct diag *d)
{
        *off = gpt->parts[i].first_lba * GPT_SECTOR;
        *len = (gpt->parts[i].last_lba - gpt->parts[i].first_lba + 1) * GPT_SECTOR;
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)*off, (off_t)*len) < 0)
                return diag_err(d, -errno, "%s: clearing partition %zu: %s", image, i + 1,
                                strerror(errno));
        return 0;
}

/* A filesystem of spec s at byte offset off of the disk: in place where the
 * handler can, else made beside and copied in. */
static int put_fs(const struct fs_spec *s, const char *disk, int fd, uint64_t off, const char *work,
                  const char *what, struct diag *d)
{
        const struct fs_type *t = fs_type_find(s->type);
        _cleanup_free_ char *img = NULL;
        _cleanup_close_ int in = -1;
        struct stat st;
        int rc;

        if (!t)
                return diag_at(d, &s->mark, "%s: unknown filesystem \"%s\"", what, s->type);
        if ((rc = t->check(s, d)) < 0)
                return rc;
        if (t->make_at)
                return t->make_at(s, disk, off, d);
        if (asprintf(&img, "%s/%s.img", work, what) < 0) {
                img = NULL;
                return diag_err(d, -ENOMEM, "out of memory");
        }
        rc = t->make(s, img, d);
        if (rc < 0)
                return rc;
        in = open(img, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                rc = diag_err(d, -errno, "%s: %s", img, strerror(errno));
        else if ((uint64_t)st.st_size > s->size)
                rc = diag_at(d, &s->mark, "%s: %s image of %lld bytes does not fit in %llu bytes",
                             what, s->type, (long long)st.st_size, (unsigned long long)s->size);
        else if ((rc = copy_sparse_range(in, 0, fd, (off_t)off, st.st_size)) < 0)
                diag_err(d, rc, "%s: copying %s in: %s", disk, what, strerror(-rc));
        unlink(img);
        return rc;
}

/* fstab lines for the volumes, after what the root's fstab already says. */
static int write_fstab(int rootfd, const struct role *r, struct diag *d)
{
        const struct storage_spec *s = &r->storage;
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t oldlen = 0, len = 0;
        FILE *f;
        int rc = rootfs_read(rootfd, "/etc/fstab", &old, &oldlen);

        if (rc < 0 && rc != -ENOENT)
                return diag_err(d, rc, "host root: /etc/fstab: %s", strerror(-rc));
        f = open_memstream(&text, &len);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        if (old) {
                fwrite(old, 1, oldlen, f);
                if (oldlen && old[oldlen - 1] != '\n')
                        fputc('\n', f);
        }
        fprintf(f, "# storage pool %s, written by pocbake\n", s->pool.vg);
        for (size_t i = 0; i < s->n_volumes; i++) {
                const struct volume_spec *v = &s->volumes[i];

                fprintf(f, "/dev/%s/%s %s %s defaults 0 2\n", s->pool.vg, v->name, v->mountpoint,
                        v->fs);
        }
        if (fclose(f) != 0)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = rootfs_write(rootfd, "/etc/fstab", text, len, 0644, 0, 0);
        return rc < 0 ? diag_err(d, rc, "host root: /etc/fstab: %s", strerror(-rc)) : 0;
}

/* Volume i's tree: what the root holds under its mountpoint (the recipe's
 * files, an overlay's) would be hidden once the volume is mounted over it, so
 * the volume starts with it. The root keeps its copy underneath, which a host
 * that does not mount the pool (busybox has no LVM tools) still sees. */
static int volume_tree(const char *root_tree, const struct volume_spec *v, const char *work,
                       char **tree, struct diag *d)
{
        _cleanup_free_ char *seed = NULL;
        struct stat st;
        int rc;

        if (asprintf(tree, "%s/volume-%s", work, v->name) < 0) {
                *tree = NULL;
                return diag_err(d, -ENOMEM, "out of memory");
        }
        /* the mountpoint is absolute: a path of the tree, not of the build host */
        if (asprintf(&seed, "%s%s", root_tree, v->mountpoint) < 0) {
                seed = NULL;
                return diag_err(d, -ENOMEM, "out of memory");
        }
        if (lstat(seed, &st) == 0 && S_ISDIR(st.st_mode))
                rc = rootfs_link_tree(seed, *tree);
        else if (mkdir(*tree, 0755) < 0 || chmod(*tree, 0755) < 0)
                rc = -errno;
        else
                rc = 0;
        return rc < 0 ? diag_err(d, rc, "volume %s: %s: %s", v->name, *tree, strerror(-rc)) : 0;
}

static void volume_spec(const struct role *r, const struct volume_spec *v,
                        const struct lvm_volume *lv, uint64_t epoch, const char *tree,
                        char label[17], struct fs_spec *s)
{
        memset(s, 0, sizeof(*s));
        /* labels: the volume name, cut to what the filesystem holds (xfs 12, ext4 16) */
        snprintf(label, strcmp(v->fs, "ext4") ? 13 : 17, "%s", v->name);
        s->type = v->fs;
        s->label = label;
        uuid_derive(&s->uuid, "pool-fs", r->name, v->name);
        s->size = lv->extents * LVM_EXTENT;
        s->epoch = epoch;
        s->tree = tree;
        s->mark = v->mark;
}

struct compose {
        const char *image;
        const char *root_tree;
        const char *work;
        const struct appliance *a;
        const struct role *host;
        uint64_t epoch;
        int fd;
        struct gpt gpt;
        struct lvm_pool pool;
        char **vol_trees;
        struct diag *d;
};

static int lay_out_pool(struct compose *c, ssize_t part)
{
        const struct storage_spec *s = &c->host->storage;
        char *dev = NULL;

        c->pool.lv = calloc(s->n_volumes ? s->n_volumes : 1, sizeof(*c->pool.lv));
        c->vol_trees = calloc(s->n_volumes + 1, sizeof(*c->vol_trees));
        /* the disk writer numbers partitions in recipe order from 1 */
        if (!c->pool.lv || !c->vol_trees || asprintf(&dev, "/dev/sda%zd", part + 1) < 0)
                return diag_err(c->d, -ENOMEM, "out of memory");
        c->pool.device = dev;
        c->pool.vg = s->pool.vg;
        c->pool.seed = c->host->name;
        c->pool.epoch = c->epoch;
        c->pool.dev_size =
                (c->gpt.parts[part].last_lba - c->gpt.parts[part].first_lba + 1) * GPT_SECTOR;
        c->pool.n_lv = s->n_volumes;
        for (size_t i = 0; i < s->n_volumes; i++) {
                c->pool.lv[i].name = s->volumes[i].name;
                c->pool.lv[i].extents =
                        s->volumes[i].size_rest
                                ? 0
                                : (s->volumes[i].size + LVM_EXTENT - 1) / LVM_EXTENT;
        }
        return lvm_layout(&c->pool, c->d);
}

static int make_volumes(struct compose *c, ssize_t part, uint64_t part_off)
{
        const struct storage_spec *s = &c->host->storage;
        uint64_t off, len;
        int rc = clear_range(c->fd, &c->gpt, (size_t)part, &off, &len, c->image, c->d);

        for (size_t i = 0; rc >= 0 && i < s->n_volumes; i++) {
                const struct volume_spec *v = &s->volumes[i];
                char label[17], what[80];
                struct fs_spec fs;

                snprintf(what, sizeof(what), "volume-%s", v->name);
                volume_spec(c->host, v, &c->pool.lv[i], c->epoch, c->vol_trees[i], label, &fs);
                rc = put_fs(&fs, c->image, c->fd, part_off + lvm_volume_offset(&c->pool, i),
                            c->work, what, c->d);
        }
        if (rc >= 0)
                rc = lvm_write(&c->pool, c->fd, part_off, c->d);
        return rc;
}

static int make_root(struct compose *c, ssize_t part, const char *tree)
{
        uint64_t off, len;
        struct fs_spec fs;
        int rc = clear_range(c->fd, &c->gpt, (size_t)part, &off, &len, c->image, c->d);

        if (rc < 0)
                return rc;
        disk_fs_spec(c->host, &c->gpt, (size_t)part, c->epoch, tree, &fs);
        return put_fs(&fs, c->image, c->fd, off, c->work, "root", c->d);
}

static int compose(struct compose *c, const char *const *role_qcow2)
{
        const struct storage_spec *s = &c->host->storage;
        ssize_t root_part = find_partition(c->host, NULL, "/");
        ssize_t pool_part =
                s->pool.partition ? find_partition(c->host, s->pool.partition, NULL) : -1;
        _cleanup_free_ char *root = path_join(c->work, "root");
        _cleanup_close_ int rootfd = -1, volfd = -1;
        struct host_trees t = {.rootfd = -1, .volfd = -1};
        int rc;

        if (!root)
                return diag_err(c->d, -ENOMEM, "out of memory");
        if (root_part < 0)
                return diag_err(c->d, -ENOENT,
                                "%s: the host recipe has no partition with mountpoint \"/\"",
                                c->image);
        if (s->pool.partition && pool_part < 0)
                return diag_at(c->d, &s->pool.mark, "storage pool: no partition \"%s\" in the disk",
                               s->pool.partition);
        rc = disk_layout(c->host, &c->gpt, c->d);
        if (rc >= 0 && pool_part >= 0)
                rc = lay_out_pool(c, pool_part);
        if (rc < 0)
                return rc;
        rc = rootfs_link_tree(c->root_tree, root);
        if (rc < 0)
                return diag_err(c->d, rc, "host root: %s: %s", root, strerror(-rc));
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return diag_err(c->d, -errno, "%s: %s", root, strerror(errno));
        t.rootfd = rootfd;
        for (size_t i = 0; pool_part >= 0 && i < s->n_volumes; i++) {
                const struct volume_spec *v = &s->volumes[i];
                int fd;

                if ((rc = volume_tree(c->root_tree, v, c->work, &c->vol_trees[i], c->d)) < 0)
                        return rc;
                if ((fd = rootfs_mkdirs(rootfd, v->mountpoint, 0755)) < 0)
                        return diag_err(c->d, fd, "host root: %s: %s", v->mountpoint,
                                        strerror(-fd));
                close(fd);
                /* the volume payloads_install puts the payloads on */
                if (v == payload_volume(c->host)) {
                        volfd = open(c->vol_trees[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (volfd < 0)
                                return diag_err(c->d, -errno, "%s: %s", c->vol_trees[i],
                                                strerror(errno));
                        t.volfd = volfd;
                }
        }
        if (pool_part >= 0 && (rc = write_fstab(rootfd, c->host, c->d)) < 0)
                return rc;
        if ((rc = payloads_install(&t, c->a, role_qcow2, c->d)) < 0)
                return rc;
        if ((rc = make_root(c, root_part, root)) < 0)
                return rc;
        if (pool_part >= 0)
                rc = make_volumes(c, pool_part, c->gpt.parts[pool_part].first_lba * GPT_SECTOR);
        return rc;
}

/* The composed root kept for the live media: the tree the root filesystem was made
 * from, with the lost+found that mkfs.ext4 adds, so that it lists what the root
 * partition holds. */
static int keep_root(const struct compose *c, const char *keep)
{
        _cleanup_free_ char *root = path_join(c->work, "root"), *lf = NULL;
        ssize_t part = find_partition(c->host, NULL, "/");
        const char *type = part >= 0 ? c->host->disk.partitions[part].fs : NULL;

        if (!root)
                return diag_err(c->d, -ENOMEM, "out of memory");
        if (type && !strcmp(type, "ext4") &&
            (!(lf = path_join(root, "lost+found")) || (mkdir(lf, 0700) < 0 && errno != EEXIST)))
                return diag_err(c->d, -errno, "%s: %m", lf ? lf : root);
        if (rename(root, keep) < 0)
                return diag_err(c->d, -errno, "cannot keep the host root as %s: %m", keep);
        return 0;
}

int guest_make_host(const char *disk_raw, const char *root_tree, const struct appliance *a,
                    const char *const *role_qcow2, uint64_t epoch, const char *work,
                    const char *keep, struct diag *d)
{
        struct compose c = {.image = disk_raw,
                            .root_tree = root_tree,
                            .work = work,
                            .a = a,
                            .host = a->host,
                            .epoch = epoch,
                            .d = d};
        int rc = payloads_check(a, role_qcow2, d);

        if (rc < 0)
                return rc;
        c.fd = open(disk_raw, O_RDWR | O_CLOEXEC);
        if (c.fd < 0)
                return diag_err(d, -errno, "%s: %s", disk_raw, strerror(errno));
        if (mkdir(work, 0700) < 0)
                rc = diag_err(d, -errno, "%s: %s", work, strerror(errno));
        else
                rc = compose(&c, role_qcow2);
        if (rc >= 0 && fsync(c.fd) < 0)
                rc = diag_err(d, -errno, "%s: %s", disk_raw, strerror(errno));
        close(c.fd);
        if (rc >= 0 && keep)
                rc = keep_root(&c, keep);
        rm_rf(work);
        for (size_t i = 0; c.vol_trees && i < a->host->storage.n_volumes; i++)
                free(c.vol_trees[i]);
        free(c.vol_trees);
        free(c.pool.lv);
        free((char *)c.pool.device);
        gpt_release(&c.gpt);
        return rc;
}
