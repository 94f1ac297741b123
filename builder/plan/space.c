/* space.c: will the build fit? Per-file size limits of the filesystems, and an estimate
 * of the bytes it adds to the cache and to out/ against their free space. */
#include "space.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

/* path, or the nearest directory above it that exists (out/ is made later). */
static char *existing_dir(const char *path)
{
        char *p = strdup(path);

        while (p) {
                struct stat st;
                char *up;

                if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        return p;
                up = path_dirname(p);
                if (!up || !strcmp(up, p)) {
                        free(up);
                        break;
                }
                free(p);
                p = up;
        }
        free(p);
        return NULL;
}

/* Whether a file of size bytes can exist in dir's filesystem (ext4 stops at
 * 16 TiB): a sparse unnamed file is made that long and dropped. */
static int size_fits(const char *dir, uint64_t size)
{
        int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), rc = 0;

        if (fd < 0)
                return errno == EOPNOTSUPP || errno == EISDIR ? 0 : -errno;
        if (size > INT64_MAX || ftruncate(fd, (off_t)size) < 0)
                rc = size > INT64_MAX ? -EFBIG : -errno;
        close(fd);
        return rc;
}

/* Every disk image the build will write is checked against the filesystems of
 * the cache and of the output directory before the first node runs. */
int space_check_sizes(const struct graph *g, const char *cache_tmp, const char *out, struct diag *d)
{
        const struct appliance *a = g->app;
        _cleanup_free_ char *out_dir = existing_dir(out);

        for (size_t i = 0; i <= a->n_roles; i++) {
                const struct role *r = i < a->n_roles ? a->roles[i] : a->host;
                uint64_t size = r ? r->disk.size : 0;
                const char *dirs[2] = {cache_tmp, out_dir};

                for (int k = 0; size && k < 2; k++) {
                        int rc = dirs[k] ? size_fits(dirs[k], size) : 0;

                        if (rc == -EFBIG)
                                return diag_at(d, &r->disk.mark,
                                               "disk of %s: %llu bytes is more than the "
                                               "filesystem of %s can hold in one file (ext4: "
                                               "16 TiB); make the disk smaller, or put the %s "
                                               "on a filesystem that takes it (XFS)",
                                               r->name, (unsigned long long)size, dirs[k],
                                               k ? "output directory" : "cache");
                }
        }
        return 0;
}

/* ---- free space ---- */

static uint64_t walk_bytes;
static bool walk_apparent;

static int add_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
        if (flag == FTW_F && S_ISREG(st->st_mode))
                walk_bytes += walk_apparent ? (uint64_t)st->st_size : (uint64_t)st->st_blocks * 512;
        return 0;
}

/* The bytes of the regular files at path (one file or a tree; links not followed):
 * their sizes, or with !apparent the blocks they take. */
static uint64_t tree_bytes(const char *path, bool apparent)
{
        walk_bytes = 0;
        walk_apparent = apparent;
        (void)nftw(path, add_entry, 16, FTW_PHYS);
        return walk_bytes;
}

/* What a role's recipe puts in its root, at least: the base's archives, image or
 * packages, the overlays and the files (an archive counts as its compressed size). */
static uint64_t role_data(const struct role *r)
{
        uint64_t n = 0;

        if ((r->base.kind == BASE_TARBALL || r->base.kind == BASE_IMAGE) && r->base.path)
                n += tree_bytes(r->base.path, r->base.kind == BASE_TARBALL);
        for (size_t i = 0; i < r->base.n_debs; i++)
                n += tree_bytes(r->base.debs[i], true);
        for (size_t i = 0; i < r->n_overlays; i++)
                n += tree_bytes(r->overlays[i].path, true);
        for (size_t i = 0; i < r->n_files; i++)
                n += r->files[i].content_len +
                     (r->files[i].source ? tree_bytes(r->files[i].source, true) : 0);
        return n;
}

/* A node's least size without a history: the nodes that hold a whole root (the
 * staged tree, the disk image and its conversions, the host image). */
static uint64_t lower_bound(const struct node *n)
{
        static const char *const whole[] = {"rootfs", "disk", "convert", "host"};

        if (!n->role)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(whole); i++)
                if (!strcmp(n->type->name, whole[i]))
                        return role_data(n->role);
        return 0;
}

struct sizes {
        char **ids;
        uint64_t *bytes;
        size_t n;
};

static void sizes_release(struct sizes *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->ids[i]);
        free(s->ids);
        free(s->bytes);
        *s = (struct sizes){0};
}

static uint64_t *sizes_find(struct sizes *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->ids[i], id))
                        return &s->bytes[i];
        return NULL;
}

static int sizes_set(struct sizes *s, const char *id, uint64_t bytes)
{
        uint64_t *b = sizes_find(s, id), *nb;
        char **ni;

        if (b) {
                *b = bytes;
                return 0;
        }
        ni = realloc(s->ids, (s->n + 1) * sizeof(*ni));
        if (ni)
                s->ids = ni;
        nb = realloc(s->bytes, (s->n + 1) * sizeof(*nb));
        if (nb)
                s->bytes = nb;
        if (!ni || !nb || !(s->ids[s->n] = strdup(id)))
                return -ENOMEM;
        s->bytes[s->n++] = bytes;
        return 0;
}

/* CACHE/sizes: a line "BYTES NODE-ID" per node this cache built; lines that do not
 * read so are skipped (it only feeds an estimate). */
static void sizes_load(const struct graph *g, struct sizes *s)
{
        _cleanup_free_ char *path = path_join(g->cache, "sizes"), *text = NULL;
        size_t len;

        *s = (struct sizes){0};
        if (!path || read_file(path, &text, &len) < 0)
                return;
        for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
                char *sp, *e;
                unsigned long long b;

                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                sp = strchr(line, ' ');
                if (!sp || !sp[1] || strchr(sp + 1, ' '))
                        continue;
                errno = 0;
                b = strtoull(line, &e, 10);
                if (e != sp || errno)
                        continue;
                if (sizes_set(s, sp + 1, b) < 0)
                        return;
        }
}

static uint64_t estimate(struct sizes *s, const struct node *n)
{
        uint64_t *b = sizes_find(s, n->id), low = lower_bound(n);

        return b && *b > low ? *b : low;
}

/* "1.5 GiB", "300.0 MiB" */
static const char *human(uint64_t b, char buf[32])
{
        if (b >= (UINT64_C(10) << 30))
                snprintf(buf, 32, "%.1f GiB", (double)b / (double)(UINT64_C(1) << 30));
        else
                snprintf(buf, 32, "%.1f MiB", (double)b / (double)(UINT64_C(1) << 20));
        return buf;
}

struct fsroom {
        const char *dir;
        dev_t dev;
        uint64_t avail;
        bool known;
};

static struct fsroom room_of(const char *dir)
{
        struct fsroom r = {.dir = dir};
        struct statvfs vf;
        struct stat st;

        if (dir && stat(dir, &st) == 0 && statvfs(dir, &vf) == 0) {
                r.dev = st.st_dev;
                r.avail = (uint64_t)vf.f_bavail * vf.f_frsize;
                r.known = true;
        }
        return r;
}

int space_check_free(const struct graph *g, const char *out, struct outdir *od, struct diag *d)
{
        _cleanup_free_ char *out_dir = existing_dir(out);
        struct sizes s;
        uint64_t need_cache = 0, need_out = 0;
        struct fsroom rc = room_of(g->cache), ro = room_of(out_dir);
        char b1[32], b2[32], b3[32];

        sizes_load(g, &s);
        for (size_t i = 0; i < g->n; i++) {
                const struct node *n = g->nodes[i];
                struct export_list l = {0};
                bool pending = false;

                if (n->build && !n->cached)
                        need_cache += estimate(&s, n);
                if (!n->export_name || node_exports(g, n, &l) < 0)
                        continue;
                for (size_t k = 0; k < l.n; k++) {
                        if (outdir_current(od, l.v[k].out, l.v[k].src))
                                continue;
                        if (n->cached)
                                need_out += tree_bytes(l.v[k].src, false);
                        else
                                pending = true;
                }
                if (pending)
                        need_out += estimate(&s, n);
                export_list_release(&l);
        }
        sizes_release(&s);
        if (rc.known && ro.known && rc.dev == ro.dev) {
                if (need_cache + need_out <= rc.avail)
                        return 0;
                return diag_err(d, -ENOSPC,
                                "not enough free space: this build adds about %s to the cache "
                                "(%s) and %s to %s, and their filesystem has %s free (expected: "
                                "free some space, or give -o and --cache on a filesystem with "
                                "room)",
                                human(need_cache, b1), g->cache, human(need_out, b2), out,
                                human(rc.avail, b3));
        }
        if (rc.known && need_cache > rc.avail)
                return diag_err(d, -ENOSPC,
                                "not enough free space: this build adds about %s to the cache "
                                "(%s), whose filesystem has %s free (expected: free some space, "
                                "or give --cache on a filesystem with room)",
                                human(need_cache, b1), g->cache, human(rc.avail, b2));
        if (ro.known && need_out > ro.avail)
                return diag_err(d, -ENOSPC,
                                "not enough free space: this build writes about %s to %s, whose "
                                "filesystem has %s free (expected: free some space, or give -o "
                                "on a filesystem with room)",
                                human(need_out, b1), out, human(ro.avail, b2));
        return 0;
}

void space_record(const struct graph *g)
{
        _cleanup_free_ char *path = path_join(g->cache, "sizes"), *text = NULL;
        struct sizes s;
        size_t len = 0;
        bool any = false;
        FILE *f;

        if (!path)
                return;
        sizes_load(g, &s);
        for (size_t i = 0; i < g->n; i++) {
                const struct node *n = g->nodes[i];
                _cleanup_free_ char *dir = NULL;

                if (n->status != NODE_BUILT || !(dir = node_object_dir(g, n)))
                        continue;
                if (sizes_set(&s, n->id, tree_bytes(dir, false)) < 0)
                        break;
                any = true;
        }
        if (any && (f = open_memstream(&text, &len))) {
                for (size_t i = 0; i < s.n; i++)
                        fprintf(f, "%" PRIu64 " %s\n", s.bytes[i], s.ids[i]);
                if (fclose(f) == 0)
                        (void)write_file_atomic(path, text, len, 0644);
        }
        sizes_release(&s);
}
