/* pool.c: the host storage pool (LVM group, volumes, filesystems, fstab) through libguestfs. */
#include "guestint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/hash.h"

static char *part_device(const struct role *r, size_t i)
{
        char *dev;

        /* the disk writer numbers partitions in recipe order from 1 */
        return asprintf(&dev, "/dev/sda%zu", i + 1) < 0 ? NULL : dev;
}

char *guest_root_device(const struct role *r)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].mountpoint &&
                    !strcmp(r->disk.partitions[i].mountpoint, "/"))
                        return part_device(r, i);
        errno = ENOENT;
        return NULL;
}

static char *pool_device(const struct role *r)
{
        const char *name = r->storage.pool.partition;

        for (size_t i = 0; name && i < r->disk.n_partitions; i++)
                if (!strcmp(r->disk.partitions[i].name, name))
                        return part_device(r, i);
        errno = ENOENT;
        return NULL;
}

static char *lv_device(const struct role *r, const struct volume_spec *v)
{
        char *dev;

        return asprintf(&dev, "/dev/%s/%s", r->storage.pool.vg, v->name) < 0 ? NULL : dev;
}

/* A filesystem UUID that the same recipe reproduces: mkfs picks a random one.
 * ext4 takes it at mkfs time (its metadata checksums are seeded from it); xfs
 * only afterwards, so its metadata blocks keep mkfs' random meta UUID. */
static int make_volume_fs(guestfs_h *g, const char *image, const struct role *r,
                          const struct volume_spec *v, const char *dev, struct diag *d)
{
        char uuid[UUID_STR], label[17];
        struct uuid u;
        int rc;

        uuid_derive(&u, "pool-fs", r->name, v->name);
        uuid_format(&u, uuid);
        /* labels: the volume name, cut to what the filesystem holds (xfs 12, ext4 16) */
        snprintf(label, strcmp(v->fs, "ext4") ? 13 : 17, "%s", v->name);
        if (!strcmp(v->fs, "ext4"))
                rc = guestfs_mke2fs(g, dev, GUESTFS_MKE2FS_FSTYPE, "ext4", GUESTFS_MKE2FS_LABEL,
                                    label, GUESTFS_MKE2FS_UUID, uuid, -1);
        else
                rc = guestfs_mkfs_opts(g, v->fs, dev, GUESTFS_MKFS_OPTS_LABEL, label, -1);
        if (rc < 0)
                return gfail(d, g, image, "mkfs.%s %s", v->fs, v->name);
        if (strcmp(v->fs, "ext4") && guestfs_set_uuid(g, dev, uuid) < 0)
                return gfail(d, g, image, "set uuid of %s", v->name);
        return 0;
}

static int create_volumes(guestfs_h *g, const char *image, const struct role *r, struct diag *d)
{
        const struct storage_spec *s = &r->storage;

        for (size_t i = 0; i < s->n_volumes; i++) {
                const struct volume_spec *v = &s->volumes[i];
                _cleanup_free_ char *dev = lv_device(r, v);
                int rc;

                if (!dev)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (v->size_rest)
                        rc = guestfs_lvcreate_free(g, v->name, s->pool.vg, 100);
                else
                        rc = guestfs_lvcreate(g, v->name, s->pool.vg, (int)(v->size >> 20));
                if (rc < 0)
                        return gfail(d, g, image, "lvcreate %s", v->name);
                rc = make_volume_fs(g, image, r, v, dev, d);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* fstab lines for the volumes, after what the root's fstab already says. */
static int write_fstab(guestfs_h *g, const char *image, const struct role *r, struct diag *d)
{
        const struct storage_spec *s = &r->storage;
        _cleanup_free_ char *old = NULL, *text = NULL;
        size_t oldlen = 0, len = 0;
        FILE *f;

        if (guestfs_exists(g, "/etc/fstab") > 0) {
                old = guestfs_read_file(g, "/etc/fstab", &oldlen);
                if (!old)
                        return gfail(d, g, image, "read /etc/fstab");
        }
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
        if (guestfs_mkdir_p(g, "/etc") < 0 || guestfs_write(g, "/etc/fstab", text, len) < 0)
                return gfail(d, g, image, "write /etc/fstab");
        return 0;
}

int guest_mount_host(guestfs_h *g, const char *image, const struct role *host, struct diag *d)
{
        _cleanup_free_ char *root = guest_root_device(host);
        const struct storage_spec *s = &host->storage;

        if (!root)
                return diag_err(d, -ENOENT,
                                "%s: the host recipe has no partition with mountpoint \"/\"",
                                image);
        if (guestfs_mount(g, root, "/") < 0)
                return gfail(d, g, image, "mount %s", root);
        for (size_t i = 0; s->pool.partition && i < s->n_volumes; i++) {
                _cleanup_free_ char *dev = lv_device(host, &s->volumes[i]);

                if (!dev)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (guestfs_mkdir_p(g, s->volumes[i].mountpoint) < 0)
                        return gfail(d, g, image, "mkdir %s", s->volumes[i].mountpoint);
                if (guestfs_mount(g, dev, s->volumes[i].mountpoint) < 0)
                        return gfail(d, g, image, "mount %s", dev);
        }
        return 0;
}

/* What the root holds under a volume's mountpoint (the recipe's files, an
 * overlay's) would be hidden once the volume is mounted over it: copy it into
 * the volume. The root keeps its copy underneath, which a host that does not
 * mount the pool (busybox has no LVM tools) still sees. */
static int seed_volume(guestfs_h *g, const char *image, const struct role *r,
                       const struct volume_spec *v, struct diag *d)
{
        static const char tmp[] = "/.pocbake-volume";
        _cleanup_free_ char *dev = lv_device(r, v);
        char **names = NULL;
        int rc = 0;

        if (!dev)
                return diag_err(d, -ENOMEM, "out of memory");
        names = guestfs_ls(g, v->mountpoint);
        if (!names)
                return gfail(d, g, image, "ls %s", v->mountpoint);
        if (!names[0])
                goto out;
        if (guestfs_mkdir(g, tmp) < 0 || guestfs_mount(g, dev, tmp) < 0) {
                rc = gfail(d, g, image, "mount %s", dev);
                goto out;
        }
        for (size_t i = 0; rc >= 0 && names[i]; i++) {
                _cleanup_free_ char *src = NULL;

                if (asprintf(&src, "%s/%s", v->mountpoint, names[i]) < 0) {
                        src = NULL;
                        rc = diag_err(d, -ENOMEM, "out of memory");
                } else if (guestfs_cp_a(g, src, tmp) < 0) {
                        rc = gfail(d, g, image, "copy %s into volume %s", src, v->name);
                }
        }
        if (guestfs_umount(g, tmp) < 0 && rc >= 0)
                rc = gfail(d, g, image, "umount %s", dev);
        if (rc >= 0 && guestfs_rmdir(g, tmp) < 0)
                rc = gfail(d, g, image, "rmdir %s", tmp);
out:
        guest_free_strings(names);
        return rc;
}

int pool_create(guestfs_h *g, const char *image, const struct role *host, struct diag *d)
{
        const struct storage_spec *s = &host->storage;
        _cleanup_free_ char *pv = pool_device(host), *root = guest_root_device(host);
        char *pvs[2] = {pv, NULL};
        int rc;

        if (!s->pool.partition)
                return 0;
        if (!pv)
                return diag_at(d, &s->pool.mark, "storage pool: no partition \"%s\" in the disk",
                               s->pool.partition);
        if (!root)
                return diag_err(d, -ENOENT,
                                "%s: the host recipe has no partition with mountpoint \"/\"",
                                image);
        if (guestfs_pvcreate(g, pv) < 0)
                return gfail(d, g, image, "pvcreate %s", pv);
        if (guestfs_vgcreate(g, s->pool.vg, pvs) < 0)
                return gfail(d, g, image, "vgcreate %s", s->pool.vg);
        rc = create_volumes(g, image, host, d);
        if (rc < 0)
                return rc;
        if (guestfs_mount(g, root, "/") < 0)
                return gfail(d, g, image, "mount %s", root);
        rc = write_fstab(g, image, host, d);
        for (size_t i = 0; rc >= 0 && i < s->n_volumes; i++)
                if (guestfs_mkdir_p(g, s->volumes[i].mountpoint) < 0)
                        rc = gfail(d, g, image, "mkdir %s", s->volumes[i].mountpoint);
        for (size_t i = 0; rc >= 0 && i < s->n_volumes; i++)
                rc = seed_volume(g, image, host, &s->volumes[i], d);
        if (rc >= 0 && guestfs_umount_all(g) < 0)
                rc = gfail(d, g, image, "umount");
        return rc;
}
