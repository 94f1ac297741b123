/* finish.c: defaults that depend on other keys, and checks across keys and entries. */
#include "schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/size.h"

#define MIB          (UINT64_C(1) << 20)
#define MIN_MEMORY   (16 * MIB)
#define GPT_NAME_MAX 36 /* UTF-16 code units in a GPT partition name */

/* The value node of key in map n, for messages about it; the map itself if absent. */
static const struct ynode *at_key(const struct ynode *n, const char *key)
{
        const struct ynode *v = ynode_get(n, key);

        return v ? v : n;
}

static int set_default(char **dst, const char *value)
{
        if (*dst)
                return 0;
        *dst = strdup(value);
        return *dst ? 0 : -ENOMEM;
}

struct uniq {
        const char *base;
        size_t size, name_off;
};

static const char *uniq_name(const struct uniq *u, size_t i)
{
        return *(char *const *)(const void *)(u->base + i * u->size + u->name_off);
}

static int cmp_uniq(const void *a, const void *b, void *arg)
{
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        int r = strcmp(uniq_name(arg, i), uniq_name(arg, j));

        return r ? r : (i < j ? -1 : i > j);
}

/* Report, in file order, each entry of an array whose name repeats an earlier
 * one. Sorting keeps this n log n for recipes with thousands of files. */
static int check_unique(struct bctx *c, const void *arr, size_t n, size_t size, size_t name_off,
                        size_t mark_off, const char *what)
{
        struct uniq u = {arr, size, name_off};
        _cleanup_free_ size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
        _cleanup_free_ size_t *first = malloc((n ? n : 1) * sizeof(*first));
        int ret = 0;

        if (!idx || !first)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                idx[i] = first[i] = i;
        qsort_r(idx, n, sizeof(*idx), cmp_uniq, &u);
        for (size_t i = 1; i < n; i++)
                if (!strcmp(uniq_name(&u, idx[i]), uniq_name(&u, idx[i - 1])))
                        first[idx[i]] = first[idx[i - 1]];
        for (size_t i = 0; i < n; i++) {
                const struct mark *m =
                        (const struct mark *)(const void *)(u.base + i * size + mark_off);
                const struct mark *f =
                        (const struct mark *)(const void *)(u.base + first[i] * size + mark_off);

                if (first[i] != i)
                        ret = bind_error(c, m, "%s \"%s\" defined twice (first at line %d)", what,
                                         uniq_name(&u, i), f->line);
        }
        return ret;
}

#define CHECK_UNIQUE(c, arr, n, field, what)                                                       \
        check_unique(c, arr, n, sizeof(*(arr)), offsetof(__typeof__(*(arr)), field),               \
                     offsetof(__typeof__(*(arr)), mark), what)

int finish_file(struct bctx *c, const struct ynode *n, void *obj)
{
        static const uint32_t modes[] = {
                [FILE_REGULAR] = 0644, [FILE_DIRECTORY] = 0755, [FILE_SYMLINK] = 0777};
        struct file_spec *f = obj;
        int ret = 0;

        if (f->mode == UINT32_MAX)
                f->mode = modes[f->type];
        if (f->content && f->source)
                ret = bind_error(c, &at_key(n, "source")->mark,
                                 "file \"%s\" has both content and source (expected one of them)",
                                 f->path);
        if (f->type == FILE_SYMLINK && !f->target)
                ret = bind_error(c, &n->mark,
                                 "symlink \"%s\" has no target (expected target: PATH)", f->path);
        if (f->type != FILE_SYMLINK && f->target)
                ret = bind_error(
                        c, &at_key(n, "target")->mark,
                        "file \"%s\" has a target but is not a symlink (expected type: symlink)",
                        f->path);
        if (f->type != FILE_REGULAR && (f->content || f->source))
                ret = bind_error(c, &at_key(n, f->content ? "content" : "source")->mark,
                                 "%s \"%s\" cannot have %s (expected a regular file)",
                                 f->type == FILE_DIRECTORY ? "directory" : "symlink", f->path,
                                 f->content ? "content" : "a source");
        if (ret < 0)
                return ret;
        if (set_default(&f->owner, "root") < 0 || set_default(&f->group, "root") < 0)
                return -ENOMEM;
        return 0;
}

int finish_user(struct bctx *c, const struct ynode *n, void *obj)
{
        struct user_spec *u = obj;
        const struct ynode *g = ynode_get(n, "groups");
        _cleanup_free_ char *home = NULL;
        int ret = 0;

        for (size_t i = 0; g && i < g->n; i++)
                if (check_account_name(c, g->items[i]) < 0)
                        ret = -EINVAL;
        if (ret < 0)
                return ret;
        if (asprintf(&home, "/home/%s", u->name) < 0)
                return -ENOMEM;
        if (set_default(&u->group, u->name) < 0 || set_default(&u->home, home) < 0 ||
            set_default(&u->shell, "/bin/sh") < 0 || set_default(&u->password_hash, "!") < 0)
                return -ENOMEM;
        return 0;
}

int finish_partition(struct bctx *c, const struct ynode *n, void *obj)
{
        struct partition_spec *p = obj;
        int ret = 0;

        if (strlen(p->name) > GPT_NAME_MAX)
                ret = bind_error(
                        c, &at_key(n, "name")->mark,
                        "partition name \"%s\" is too long (expected at most %d characters)",
                        p->name, GPT_NAME_MAX);
        if (!p->size_rest && p->size == 0)
                ret = bind_error(c, &at_key(n, "size")->mark,
                                 "partition \"%s\" has size 0 (expected a size or \"rest\")",
                                 p->name);
        if (p->fs && (p->type == PART_SWAP || p->type == PART_LVM))
                ret = bind_error(c, &at_key(n, "fs")->mark,
                                 "%s partition \"%s\" cannot hold fs \"%s\" (expected no fs)",
                                 part_type_name(p->type), p->name, p->fs);
        if (p->mountpoint && !p->fs)
                ret = bind_error(c, &at_key(n, "mountpoint")->mark,
                                 "partition \"%s\" has a mountpoint but no fs (expected fs: ext4, "
                                 "vfat, squashfs or erofs)",
                                 p->name);
        if (ret < 0)
                return ret;
        return set_default(&p->label, p->name);
}

uint64_t disk_min_size(const struct disk_spec *disk)
{
        uint64_t sum = DISK_GPT_OVERHEAD;

        for (size_t i = 0; i < disk->n_partitions; i++) {
                uint64_t s = disk->partitions[i].size_rest ? MIB : disk->partitions[i].size;

                sum = sum + s < sum ? UINT64_MAX : sum + s;
        }
        return sum;
}

static int check_partitions(struct bctx *c, const struct disk_spec *d)
{
        const struct partition_spec *root = NULL;
        int ret = 0;

        if (CHECK_UNIQUE(c, d->partitions, d->n_partitions, name, "partition") < 0)
                ret = -EINVAL;
        for (size_t i = 0; i < d->n_partitions; i++) {
                const struct partition_spec *p = &d->partitions[i];

                if (p->size_rest && i + 1 != d->n_partitions)
                        ret = bind_error(c, &p->mark,
                                         "partition \"%s\" has size rest but is not the last "
                                         "(expected rest on the last partition only)",
                                         p->name);
                if (p->mountpoint && !strcmp(p->mountpoint, "/")) {
                        if (root)
                                ret = bind_error(c, &p->mark,
                                                 "partition \"%s\" mounts / again (first at line "
                                                 "%d; expected one root)",
                                                 p->name, root->mark.line);
                        else
                                root = p;
                }
        }
        return ret;
}

int finish_disk(struct bctx *c, const struct ynode *n, void *obj)
{
        struct disk_spec *d = obj;
        bool rest = d->n_partitions && d->partitions[d->n_partitions - 1].size_rest;
        char have[SIZE_STR], need[SIZE_STR];
        int ret;

        if (d->n_partitions == 0)
                return bind_error(c, &at_key(n, "partitions")->mark,
                                  "disk has no partitions (expected at least one)");
        ret = check_partitions(c, d);
        if (ret < 0)
                return ret;
        if (rest && !d->size)
                return bind_error(c, &d->partitions[d->n_partitions - 1].mark,
                                  "partition \"%s\" has size rest but the disk has no size "
                                  "(expected disk size: SIZE)",
                                  d->partitions[d->n_partitions - 1].name);
        if (d->size && d->size < disk_min_size(d))
                return bind_error(
                        c, &at_key(n, "size")->mark,
                        "disk size \"%s\" is smaller than its partitions (expected at least %s)",
                        format_size(d->size, have, sizeof(have)),
                        format_size(disk_min_size(d), need, sizeof(need)));
        return 0;
}

int finish_vm(struct bctx *c, const struct ynode *n, void *obj)
{
        struct vm_spec *vm = obj;
        int ret = 0;

        if (vm->memory < MIN_MEMORY)
                ret = bind_error(c, &at_key(n, "memory")->mark,
                                 "memory \"%s\" is too small (expected at least 16M)",
                                 at_key(n, "memory")->value);
        if (CHECK_UNIQUE(c, vm->disks, vm->n_disks, name, "vm disk") < 0)
                ret = -EINVAL;
        return ret;
}

#define EXTENT  (4 * MIB)   /* LVM's default extent size */
#define XFS_MIN (300 * MIB) /* mkfs.xfs refuses smaller filesystems */

int finish_volume(struct bctx *c, const struct ynode *n, void *obj)
{
        struct volume_spec *v = obj;
        char need[SIZE_STR];

        if (v->size_rest)
                return 0;
        if (v->size == 0 || v->size % MIB)
                return bind_error(c, &at_key(n, "size")->mark,
                                  "volume \"%s\" size \"%s\" is not a whole number of megabytes "
                                  "(expected a size such as 512M or rest)",
                                  v->name, at_key(n, "size")->value);
        if (v->fs && !strcmp(v->fs, "xfs") && v->size < XFS_MIN)
                return bind_error(
                        c, &at_key(n, "size")->mark,
                        "xfs volume \"%s\" size \"%s\" is too small (expected at least %s)",
                        v->name, at_key(n, "size")->value,
                        format_size(XFS_MIN, need, sizeof(need)));
        return 0;
}

/* Extra disks are named in the host's sh configuration: plain /dev paths only. */
static bool dev_path(const char *s)
{
        return !strncmp(s, "/dev/", 5) && s[5] && !strstr(s, "..") &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") ==
                       strlen(s);
}

int finish_storage(struct bctx *c, const struct ynode *n, void *obj)
{
        struct storage_spec *s = obj;
        const struct ynode *pool = ynode_get(n, "pool"),
                           *extra = pool ? ynode_get(pool, "extra_disks") : NULL;
        int ret = 0;

        if (CHECK_UNIQUE(c, s->volumes, s->n_volumes, name, "volume") < 0 ||
            CHECK_UNIQUE(c, s->volumes, s->n_volumes, mountpoint, "volume mountpoint") < 0)
                ret = -EINVAL;
        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].size_rest && i + 1 != s->n_volumes)
                        ret = bind_error(c, &s->volumes[i].mark,
                                         "volume \"%s\" has size rest but is not the last "
                                         "(expected rest on the last volume only)",
                                         s->volumes[i].name);
        for (size_t i = 0; i < s->pool.n_extra_disks; i++)
                if (!dev_path(s->pool.extra_disks[i]))
                        ret = bind_error(
                                c, extra && i < extra->n ? &extra->items[i]->mark : &s->pool.mark,
                                "extra disk \"%s\" is not valid (expected a block device path such "
                                "as /dev/vdb)",
                                s->pool.extra_disks[i]);
        return ret;
}

/* The pool partition exists, is an LVM partition, and holds the volumes in
 * 4M extents after LVM's 1M of metadata. */
static int check_storage_disk(struct bctx *c, const struct role *r)
{
        const struct storage_spec *s = &r->storage;
        const struct partition_spec *p = NULL;
        uint64_t psize, extents, need = 0;
        char have[SIZE_STR], want[SIZE_STR];

        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (!strcmp(r->disk.partitions[i].name, s->pool.partition))
                        p = &r->disk.partitions[i];
        if (!p)
                return bind_error(c, &s->pool.mark,
                                  "storage pool partition \"%s\" is not a partition of the disk "
                                  "(expected the name of a type: lvm partition)",
                                  s->pool.partition);
        if (p->type != PART_LVM)
                return bind_error(c, &s->pool.mark,
                                  "storage pool partition \"%s\" has type %s (expected type: lvm)",
                                  p->name, part_type_name(p->type));
        psize = p->size_rest ? r->disk.size - (disk_min_size(&r->disk) - MIB) : p->size;
        extents = psize > MIB ? (psize - MIB) / EXTENT : 0;
        for (size_t i = 0; i < s->n_volumes; i++) {
                const struct volume_spec *v = &s->volumes[i];

                if (v->size_rest)
                        need += !strcmp(v->fs, "xfs") ? XFS_MIN / EXTENT : 1;
                else
                        need += (v->size + EXTENT - 1) / EXTENT;
        }
        if (need > extents)
                return bind_error(
                        c, &s->mark,
                        "storage volumes need %s but pool partition \"%s\" holds %s (expected "
                        "volumes that fit in 4M extents after 1M of LVM metadata)",
                        format_size(need * EXTENT, want, sizeof(want)), p->name,
                        format_size(extents * EXTENT, have, sizeof(have)));
        return 0;
}

static int default_hostname(struct role *r)
{
        if (r->hostname)
                return 0;
        r->hostname = strdup(r->name);
        if (!r->hostname)
                return -ENOMEM;
        /* Role names may hold '.' and '_', which a hostname may not. */
        for (char *p = r->hostname; *p; p++)
                *p = *p == '.' || *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        return 0;
}

int finish_role(struct bctx *c, const struct ynode *n, void *obj)
{
        struct role *r = obj;
        int ret = 0;

        if (CHECK_UNIQUE(c, r->files, r->n_files, path, "file") < 0)
                ret = -EINVAL;
        if (CHECK_UNIQUE(c, r->groups, r->n_groups, name, "group") < 0)
                ret = -EINVAL;
        if (CHECK_UNIQUE(c, r->users, r->n_users, name, "user") < 0)
                ret = -EINVAL;
        if (CHECK_UNIQUE(c, r->services, r->n_services, name, "service") < 0)
                ret = -EINVAL;
        if (!ynode_get(n, "disk") && r->base.kind != BASE_IMAGE)
                ret = bind_error(
                        c, &n->mark,
                        "missing required key \"disk\" (expected unless base is an image)");
        if (r->storage.pool.partition && ret == 0 && check_storage_disk(c, r) < 0)
                ret = -EINVAL;
        if (ret < 0)
                return ret;
        if (!r->name && !(r->name = strdup("host")))
                return -ENOMEM;
        r->mark = ynode_get(n, "role") ? ynode_get(n, "role")->mark : n->mark;
        return default_hostname(r);
}

int finish_networks(struct bctx *c, const struct appliance *a)
{
        return CHECK_UNIQUE(c, a->networks, a->n_networks, name, "network");
}
