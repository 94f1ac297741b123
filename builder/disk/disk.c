/* disk.c: a role's GPT disk: layout from the recipe, assembly, conversions. */
#include "disk.h"
#include "lvm.h"
#include "vhdx.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A `rest` partition on a disk whose size the recipe leaves open gets this
 * much: big enough for a small root, small enough to stay cheap when sparse.
 * A recipe that wants another size says disk.size (or the partition's size). */
#define DEFAULT_REST_SIZE (1024ull * 1024 * 1024)

static int check_partitions(const struct disk_spec *ds, struct diag *d)
{
        int r = 0;

        if (ds->n_partitions == 0)
                return diag_at(d, &ds->mark, "the disk has no partitions (expected at least one)");
        for (size_t i = 0; i < ds->n_partitions; i++) {
                const struct partition_spec *p = &ds->partitions[i];

                if (!p->name || !p->name[0]) {
                        r = diag_at(d, &p->mark, "partition %zu has no name", i + 1);
                        continue;
                }
                if (p->size_rest && i + 1 != ds->n_partitions)
                        r = diag_at(d, &p->mark,
                                    "partition \"%s\": size \"rest\" is only allowed on the last "
                                    "partition",
                                    p->name);
                if (!p->size_rest && p->size == 0)
                        r = diag_at(d, &p->mark, "partition \"%s\" has no size", p->name);
                if (!p->size_rest && p->size % GPT_SECTOR)
                        r = diag_at(d, &p->mark,
                                    "partition \"%s\": size %llu is not a multiple of %d bytes",
                                    p->name, (unsigned long long)p->size, GPT_SECTOR);
                for (size_t j = 0; j < i; j++)
                        if (ds->partitions[j].name && strcmp(ds->partitions[j].name, p->name) == 0)
                                r = diag_at(d, &p->mark,
                                            "partition name \"%s\" is used twice (names derive "
                                            "the partition GUIDs)",
                                            p->name);
        }
        if (ds->size % GPT_SECTOR)
                r = diag_at(d, &ds->mark, "disk size %llu is not a multiple of %d bytes",
                            (unsigned long long)ds->size, GPT_SECTOR);
        return r;
}

static uint64_t layout_size(const struct disk_spec *ds)
{
        _cleanup_free_ uint64_t *sizes = calloc(ds->n_partitions, sizeof(*sizes));

        if (!sizes)
                return 0;
        for (size_t i = 0; i < ds->n_partitions; i++)
                sizes[i] = ds->partitions[i].size_rest ? DEFAULT_REST_SIZE : ds->partitions[i].size;
        return gpt_min_size(sizes, ds->n_partitions);
}

/* gpt_add's message, placed at the partition's recipe line. */
static int add_part(struct gpt *g, const struct role *r, const struct partition_spec *p,
                    struct diag *d)
{
        struct diag sub = {0};
        struct uuid guid;
        int k;

        uuid_derive(&guid, "part", r->name, p->name);
        k = gpt_add(g, p->type, p->name, p->size_rest ? 0 : p->size, &guid, &sub);
        if (k < 0)
                diag_at(d, &p->mark, "%s", sub.n ? sub.msgs[0] : "cannot add the partition");
        diag_release(&sub);
        return k;
}

int disk_layout(const struct role *r, struct gpt *g, struct diag *d)
{
        const struct disk_spec *ds = &r->disk;
        struct uuid disk_guid;
        uint64_t size;
        int k;

        memset(g, 0, sizeof(*g));
        k = check_partitions(ds, d);
        if (k < 0)
                return k;
        size = ds->size ? ds->size : layout_size(ds);
        if (size == 0)
                return diag_err(d, -ENOMEM, "out of memory");
        uuid_derive(&disk_guid, "disk", r->name, "");
        if (gpt_init(g, size, &disk_guid) < 0)
                return diag_at(d, &ds->mark, "disk size %llu is too small for a GPT",
                               (unsigned long long)size);
        for (size_t i = 0; i < ds->n_partitions; i++) {
                k = add_part(g, r, &ds->partitions[i], d);
                if (k < 0) {
                        gpt_release(g);
                        return k;
                }
        }
        return 0;
}

void disk_fs_spec(const struct role *r, const struct gpt *g, size_t i, uint64_t epoch,
                  const char *tree, struct fs_spec *s)
{
        const struct partition_spec *p = &r->disk.partitions[i];
        const struct gpt_part *gp = &g->parts[i];

        memset(s, 0, sizeof(*s));
        s->type = p->fs;
        s->label = p->label ? p->label : p->name;
        uuid_derive(&s->uuid, "fs", r->name, p->name);
        s->size = (gp->last_lba - gp->first_lba + 1) * GPT_SECTOR;
        s->epoch = epoch;
        s->tree = tree;
        s->mark = p->mark;
}

int disk_check(const struct role *r, struct diag *d)
{
        struct gpt g;
        int ret = disk_layout(r, &g, d);

        if (ret < 0)
                return ret;
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                const struct fs_type *t;
                struct fs_spec s;

                if (!p->fs)
                        continue;
                t = fs_type_find(p->fs);
                if (!t) {
                        ret = diag_at(d, &p->mark,
                                      "partition \"%s\": unknown filesystem \"%s\" (expected one "
                                      "of %s)",
                                      p->name, p->fs, fs_type_names());
                        continue;
                }
                disk_fs_spec(r, &g, i, 0, NULL, &s);
                if (t->check(&s, d) < 0)
                        ret = -EINVAL;
        }
        gpt_release(&g);
        return ret;
}

static const struct fs_type *in_place(const struct fs_spec *const *fs, size_t i)
{
        const struct fs_type *t = fs && fs[i] ? fs_type_find(fs[i]->type) : NULL;

        return t && t->make_at ? t : NULL;
}

static int check_images(const struct gpt *g, const char *const *images,
                        const struct fs_spec *const *fs, struct diag *d)
{
        for (size_t i = 0; i < g->n; i++) {
                const struct gpt_part *p = &g->parts[i];
                uint64_t room = (p->last_lba - p->first_lba + 1) * GPT_SECTOR;
                struct stat st;

                if (in_place(fs, i)) {
                        if (fs[i]->size > room)
                                return diag_at(d, &fs[i]->mark,
                                               "%s of %llu bytes is larger than partition \"%s\" "
                                               "(%llu bytes)",
                                               fs[i]->type, (unsigned long long)fs[i]->size,
                                               p->name, (unsigned long long)room);
                        continue;
                }
                if (!images || !images[i])
                        continue;
                if (stat(images[i], &st) < 0)
                        return diag_err(d, -errno, "cannot read image \"%s\": %s", images[i],
                                        strerror(errno));
                if ((uint64_t)st.st_size > room)
                        return diag_err(d, -EFBIG,
                                        "image \"%s\" (%lld bytes) is larger than partition "
                                        "\"%s\" (%llu bytes)",
                                        images[i], (long long)st.st_size, p->name,
                                        (unsigned long long)room);
        }
        return 0;
}

static int fill_partition(int out, const struct gpt_part *p, const char *image, struct diag *d)
{
        _cleanup_close_ int in = open(image, O_RDONLY | O_CLOEXEC);
        struct stat st;
        int r;

        if (in < 0 || fstat(in, &st) < 0)
                return diag_err(d, -errno, "cannot read image \"%s\": %s", image, strerror(errno));
        r = copy_sparse_range(in, 0, out, (off_t)(p->first_lba * GPT_SECTOR), st.st_size);
        if (r < 0)
                return diag_err(d, r, "cannot copy image \"%s\" into partition \"%s\": %s", image,
                                p->name, strerror(-r));
        return 0;
}

int disk_assemble(const struct gpt *g, const char *const *images, const char *out, struct diag *d)
{
        return disk_assemble_fs(g, images, NULL, out, d);
}

static int fill(const struct gpt *g, size_t i, const char *const *images,
                const struct fs_spec *const *fs, const struct atomic_file *a, struct diag *d)
{
        const struct fs_type *t = in_place(fs, i);

        if (t)
                return t->make_at(fs[i], a->tmp, g->parts[i].first_lba * GPT_SECTOR, d);
        if (images && images[i])
                return fill_partition(a->fd, &g->parts[i], images[i], d);
        return 0;
}

int disk_assemble_fs(const struct gpt *g, const char *const *images,
                     const struct fs_spec *const *fs, const char *out, struct diag *d)
{
        struct atomic_file a;
        int r;

        r = check_images(g, images, fs, d);
        if (r < 0)
                return r;
        r = atomic_open(&a, out, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        if (ftruncate(a.fd, (off_t)g->size) < 0) {
                r = diag_err(d, -errno, "cannot size \"%s\": %s", out, strerror(errno));
                goto done;
        }
        r = gpt_write(g, a.fd, d);
        for (size_t i = 0; r >= 0 && i < g->n; i++)
                r = fill(g, i, images, fs, &a, d);
        if (r >= 0) {
                r = atomic_commit(&a);
                if (r < 0)
                        diag_err(d, r, "cannot write \"%s\": %s", out, strerror(-r));
        }
done:
        atomic_release(&a);
        return r;
}

static int run_qemu_img(const char *raw, enum output_fmt fmt, const char *tmp, struct diag *d)
{
        const char *qcow2[] = {"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, tmp, NULL};
        const char *vhdx[] = {"qemu-img", "convert",           "-f", "raw", "-O", "vhdx",
                              "-o",       "subformat=dynamic", raw,  tmp,   NULL};

        return run_argv(fmt == OUT_VHDX ? vhdx : qcow2, NULL, d);
}

int disk_convert(const char *raw, enum output_fmt fmt, const char *seed, const char *out,
                 struct diag *d)
{
        struct atomic_file a;
        int r;

        if (fmt == OUT_RAW) {
                r = copy_file_sparse(raw, out, 0644);
                return r < 0 ? diag_err(d, r, "cannot copy \"%s\" to \"%s\": %s", raw, out,
                                        strerror(-r))
                             : 0;
        }
        if (fmt != OUT_QCOW2 && fmt != OUT_VHDX)
                return diag_err(d, -EINVAL, "cannot convert a disk to output format %d", (int)fmt);
        r = atomic_open(&a, out, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        /* qemu-img writes the temp file by name; reopen it afterwards. */
        close(a.fd);
        a.fd = -1;
        r = run_qemu_img(raw, fmt, a.tmp, d);
        if (r >= 0) {
                a.fd = open(a.tmp, O_RDWR | O_CLOEXEC);
                if (a.fd < 0)
                        r = diag_err(d, -errno, "cannot reopen \"%s\": %s", a.tmp, strerror(errno));
        }
        if (r >= 0 && fmt == OUT_VHDX)
                r = vhdx_make_stable(a.fd, seed, a.final, d);
        if (r >= 0 && fchmod(a.fd, 0644) < 0)
                r = diag_err(d, -errno, "cannot chmod \"%s\": %s", a.tmp, strerror(errno));
        if (r >= 0) {
                r = atomic_commit(&a);
                if (r < 0)
                        diag_err(d, r, "cannot write \"%s\": %s", out, strerror(-r));
        }
        atomic_release(&a);
        return r;
}

int disk_pool_layout(const struct role *r, const struct gpt *g, struct lvm_pool *pool, ssize_t *pp,
                     struct diag *d)
{
        const struct storage_spec *s = &r->storage;
        ssize_t part = -1;
        int rc;

        for (size_t i = 0; s->pool.partition && i < g->n && i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].type == PART_LVM &&
                    !strcmp(s->pool.partition, r->disk.partitions[i].name))
                        part = (ssize_t)i;
        *pp = part;
        if (part < 0)
                return 0;
        memset(pool, 0, sizeof(*pool));
        pool->lv = calloc(s->n_volumes + 1, sizeof(*pool->lv));
        if (!pool->lv)
                return diag_err(d, -ENOMEM, "out of memory");
        pool->vg = s->pool.vg;
        pool->seed = r->name;
        pool->dev_size = (g->parts[part].last_lba - g->parts[part].first_lba + 1) * GPT_SECTOR;
        pool->n_lv = s->n_volumes;
        for (size_t i = 0; i < s->n_volumes; i++) {
                pool->lv[i].name = s->volumes[i].name;
                pool->lv[i].extents = s->volumes[i].size_rest
                                              ? 0
                                              : (s->volumes[i].size + LVM_EXTENT - 1) / LVM_EXTENT;
        }
        rc = lvm_layout(pool, d);
        if (rc < 0) {
                free(pool->lv);
                pool->lv = NULL;
                *pp = -1;
        }
        return rc;
}
