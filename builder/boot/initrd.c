/* initrd.c: builds the initramfs: init, busybox and its applet links, kernel modules. */
#include "initrd.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "data.h"
#include "kmod.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_write_free)
DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_read_free)
DEFINE_TRIVIAL_CLEANUP(struct archive_entry *, archive_entry_free)

struct ientry {
        char *path;   /* no leading slash */
        mode_t mode;  /* type and permissions */
        char *target; /* symlinks */
        char *data;   /* regular files */
        size_t len;
        dev_t rdev;
};

struct itree {
        struct ientry *e;
        size_t n, cap;
};

static void itree_release(struct itree *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->e[i].path);
                free(t->e[i].target);
                free(t->e[i].data);
        }
        free(t->e);
        *t = (struct itree){0};
}

/* Add one entry; takes ownership of target and data even on failure. */
static int itree_add(struct itree *t, const char *path, mode_t mode, char *target, char *data,
                     size_t len)
{
        struct ientry *e;

        if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 512;

                e = realloc(t->e, cap * sizeof(*e));
                if (!e) {
                        free(target);
                        free(data);
                        return -ENOMEM;
                }
                t->e = e;
                t->cap = cap;
        }
        e = &t->e[t->n];
        *e = (struct ientry){.mode = mode, .target = target, .data = data, .len = len};
        e->path = strdup(path);
        if (!e->path) {
                free(target);
                free(data);
                return -ENOMEM;
        }
        t->n++;
        return 0;
}

/* A file's bytes into the tree; modules compressed as .ko.xz, .ko.zst or .ko.gz
 * are stored decompressed (busybox insmod reads plain .ko). */
static int add_file(struct itree *t, const char *path, const char *src, mode_t mode, struct diag *d)
{
        char *data = NULL;
        size_t len = 0;
        int r;

        r = read_file(src, &data, &len);
        if (r < 0)
                return diag_err(d, r, "cannot read \"%s\": %s", src, strerror(-r));
        return itree_add(t, path, S_IFREG | mode, NULL, data, len);
}

static int decompress_file(const char *src, char **out, size_t *outlen, struct diag *d)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        size_t cap = 1 << 20, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        la_ssize_t n;

        if (!a || !buf)
                return -ENOMEM;
        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        if (archive_read_open_filename(a, src, 65536) != ARCHIVE_OK ||
            archive_read_next_header(a, &e) != ARCHIVE_OK)
                return diag_err(d, -EIO, "cannot decompress \"%s\": %s", src,
                                archive_error_string(a));
        while ((n = archive_read_data(a, buf + len, cap - len)) > 0) {
                len += (size_t)n;
                if (len == cap) {
                        char *nb = realloc(buf, cap *= 2);

                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
        }
        if (n < 0)
                return diag_err(d, -EIO, "cannot decompress \"%s\": %s", src,
                                archive_error_string(a));
        *out = TAKE_PTR(buf);
        *outlen = len;
        return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t l = strlen(s), sl = strlen(suffix);

        return l >= sl && strcmp(s + l - sl, suffix) == 0;
}

/* "kernel/x.ko.xz" -> "lib/modules/V/kernel/x.ko" */
static char *module_dest(const char *kver, const char *rel)
{
        const char *ko = strstr(rel, ".ko");
        char *p = NULL;

        if (asprintf(&p, "lib/modules/%s/%.*s.ko", kver,
                     (int)(ko ? ko - rel : (ptrdiff_t)strlen(rel)), rel) < 0)
                return NULL;
        return p;
}

/* The modules and /etc/pocbake/modules: absolute paths in load order, "?" before
 * those wanted only as soft dependencies. */
static int add_modules(struct itree *t, const struct initrd_spec *s, const char *kver,
                       struct diag *d)
{
        _cleanup_free_ char *kdir = NULL, *list = NULL;
        struct kmod_list mods;
        size_t listlen = 0;
        FILE *f;
        int r;

        if (asprintf(&kdir, "%s/%s", s->moddir ? s->moddir : "/lib/modules", kver) < 0)
                return -ENOMEM;
        r = kmod_resolve(kdir, s->modules, s->n_modules, &mods, d);
        if (r < 0)
                return r;
        f = open_memstream(&list, &listlen);
        for (size_t i = 0; f && r >= 0 && i < mods.n; i++) {
                _cleanup_free_ char *src = path_join(kdir, mods.paths[i]);
                _cleanup_free_ char *dst = module_dest(kver, mods.paths[i]);
                char *data = NULL;
                size_t len = 0;

                if (!src || !dst) {
                        r = -ENOMEM;
                        break;
                }
                if (has_suffix(src, ".ko"))
                        r = add_file(t, dst, src, 0644, d);
                else if ((r = decompress_file(src, &data, &len, d)) >= 0)
                        r = itree_add(t, dst, S_IFREG | 0644, NULL, data, len);
                fprintf(f, "%s/%s\n", mods.soft[i] ? "?" : "", dst);
        }
        kmod_list_release(&mods);
        if (!f || fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        r = itree_add(t, "etc/pocbake/modules", S_IFREG | 0644, NULL, TAKE_PTR(list), listlen);
        return r;
}

/* /bin/busybox and one symlink per applet, except "busybox" itself. */
static int add_busybox(struct itree *t, const char *busybox, struct diag *d)
{
        const char *argv[] = {busybox, "--list", NULL};
        _cleanup_free_ char *out = NULL;
        char *save = NULL;
        int r;

        r = add_file(t, "bin/busybox", busybox, 0755, d);
        if (r < 0)
                return r;
        r = run_capture(argv, NULL, &out, d);
        if (r < 0)
                return r;
        for (char *name = strtok_r(out, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
                _cleanup_free_ char *p = NULL;
                char *target;

                if (!*name || strcmp(name, "busybox") == 0 || strchr(name, '/'))
                        continue;
                target = strdup("busybox");
                if (!target || asprintf(&p, "bin/%s", name) < 0) {
                        free(target);
                        return -ENOMEM;
                }
                r = itree_add(t, p, S_IFLNK | 0777, target, NULL, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The highest kernel version that has a modules.dep under moddir. */
static int pick_kver(const char *moddir, char **out, struct diag *d)
{
        _cleanup_closedir_ DIR *dir = opendir(moddir);
        struct dirent *de;

        *out = NULL;
        if (!dir)
                return diag_err(d, -errno, "cannot open \"%s\": %m", moddir);
        while ((de = readdir(dir))) {
                _cleanup_free_ char *dep = NULL;

                if (de->d_name[0] == '.' ||
                    asprintf(&dep, "%s/%s/modules.dep", moddir, de->d_name) < 0 ||
                    access(dep, R_OK) < 0)
                        continue;
                if (!*out || strverscmp(de->d_name, *out) > 0) {
                        free(*out);
                        *out = strdup(de->d_name);
                        if (!*out)
                                return -ENOMEM;
                }
        }
        if (!*out)
                return diag_err(d, -ENOENT, "no kernel modules (modules.dep) under \"%s\"", moddir);
        return 0;
}

static bool itree_has(const struct itree *t, const char *path, size_t len)
{
        for (size_t i = 0; i < t->n; i++)
                if (strncmp(t->e[i].path, path, len) == 0 && t->e[i].path[len] == 0)
                        return true;
        return false;
}

/* Every directory that holds an entry, so the kernel can create it in order. */
static int add_parents(struct itree *t)
{
        for (size_t i = 0; i < t->n; i++) {
                for (const char *p = t->e[i].path; (p = strchr(p, '/')); p++) {
                        size_t len = (size_t)(p - t->e[i].path);
                        _cleanup_free_ char *dir = NULL;
                        int r;

                        if (itree_has(t, t->e[i].path, len))
                                continue;
                        dir = strndup(t->e[i].path, len);
                        if (!dir)
                                return -ENOMEM;
                        r = itree_add(t, dir, S_IFDIR | 0755, NULL, NULL, 0);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Path order with '/' below every other byte: a directory's entries follow it
 * directly ("bin", "bin/sh", "bin-x"), as a depth-first walk gives them. */
static int ientry_cmp(const void *x, const void *y)
{
        const unsigned char *a = (const unsigned char *)((const struct ientry *)x)->path;
        const unsigned char *b = (const unsigned char *)((const struct ientry *)y)->path;

        for (;; a++, b++) {
                int ca = *a == '/' ? 1 : *a, cb = *b == '/' ? 1 : *b;

                if (ca != cb || !ca)
                        return ca - cb;
        }
}

static int archive_fail(struct archive *a, const char *out, struct diag *d)
{
        return diag_err(d, -EIO, "cannot write initrd \"%s\": %s", out, archive_error_string(a));
}

static int set_filter(struct archive *a, enum initrd_compress c, const char *out, struct diag *d)
{
        switch (c) {
        case INITRD_GZIP:
                /* No timestamp in the gzip header: same input, same bytes. */
                if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
                    archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK)
                        return archive_fail(a, out, d);
                return 0;
        case INITRD_ZSTD:
                /* ARCHIVE_WARN means an external zstd program: not wanted. */
                if (archive_write_add_filter_zstd(a) != ARCHIVE_OK)
                        return archive_fail(a, out, d);
                return 0;
        case INITRD_NONE: return 0;
        }
        return -EINVAL;
}

static int write_entry(struct archive *a, const struct ientry *e, unsigned ino, int64_t mtime)
{
        _cleanup_(archive_entry_freep) struct archive_entry *ae = archive_entry_new();

        if (!ae)
                return -ENOMEM;
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_mode(ae, e->mode);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        archive_entry_set_mtime(ae, mtime, 0);
        archive_entry_set_ino(ae, ino);
        archive_entry_set_nlink(ae, S_ISDIR(e->mode) ? 2 : 1);
        archive_entry_set_size(ae, S_ISREG(e->mode) ? (la_int64_t)e->len : 0);
        if (S_ISLNK(e->mode))
                archive_entry_set_symlink(ae, e->target);
        if (S_ISCHR(e->mode)) {
                archive_entry_set_rdevmajor(ae, major(e->rdev));
                archive_entry_set_rdevminor(ae, minor(e->rdev));
        }
        if (archive_write_header(a, ae) != ARCHIVE_OK)
                return -EIO;
        if (S_ISREG(e->mode) && e->len &&
            archive_write_data(a, e->data, e->len) != (la_ssize_t)e->len)
                return -EIO;
        return 0;
}

static int itree_write(struct itree *t, const struct initrd_spec *s, const char *out,
                       struct diag *d)
{
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        struct atomic_file af = {.fd = -1};
        int r;

        qsort(t->e, t->n, sizeof(*t->e), ientry_cmp);
        for (size_t i = 1; i < t->n; i++)
                if (strcmp(t->e[i - 1].path, t->e[i].path) == 0)
                        return diag_err(d, -EEXIST, "initrd \"%s\": two entries for \"/%s\"", out,
                                        t->e[i].path);
        if (!a)
                return -ENOMEM;
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
                return archive_fail(a, out, d);
        r = set_filter(a, s->compress, out, d);
        if (r < 0)
                return r;
        r = atomic_open(&af, out, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        if (archive_write_open_fd(a, af.fd) != ARCHIVE_OK)
                r = archive_fail(a, out, d);
        for (size_t i = 0; r >= 0 && i < t->n; i++)
                if (write_entry(a, &t->e[i], (unsigned)i + 1, (int64_t)s->mtime) < 0)
                        r = archive_fail(a, out, d);
        if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
                r = archive_fail(a, out, d);
        if (r >= 0 && (r = atomic_commit(&af)) < 0)
                diag_err(d, r, "cannot write \"%s\": %s", out, strerror(-r));
        atomic_release(&af);
        return r;
}

int initrd_compress_parse(const char *s, enum initrd_compress *c)
{
        static const char *const names[] = {"gzip", "zstd", "none"};

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(s, names[i]) == 0) {
                        *c = (enum initrd_compress)i;
                        return 0;
                }
        return -EINVAL;
}

/* The fixed part: /init, its helpers, mount points and /dev/console, which the
 * kernel opens for init's stdio before devtmpfs is mounted. */
static int add_base(struct itree *t, const struct initrd_spec *s, struct diag *d)
{
        static const char *const dirs[] = {"dev", "proc", "sys", "run", "tmp", "newroot"};
        _cleanup_free_ char *init = s->init ? strdup(s->init) : data_path("firmware/initrd/init");
        _cleanup_free_ char *dhcp = data_path("firmware/initrd/udhcpc.script");
        int r;

        if (!init || !dhcp)
                return diag_err(d, -ENOENT,
                                "cannot find %s in the data directory (set POCBAKE_DATADIR)",
                                init ? "firmware/initrd/udhcpc.script" : "firmware/initrd/init");
        r = add_file(t, "init", init, 0755, d);
        if (r >= 0)
                r = add_file(t, "etc/pocbake/udhcpc.script", dhcp, 0755, d);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(dirs); i++)
                r = itree_add(t, dirs[i], S_IFDIR | 0755, NULL, NULL, 0);
        if (r >= 0 && (r = itree_add(t, "dev/console", S_IFCHR | 0600, NULL, NULL, 0)) >= 0)
                t->e[t->n - 1].rdev = makedev(5, 1);
        return r;
}

int initrd_write(const struct initrd_spec *s, const char *out, struct diag *d)
{
        _cleanup_(itree_release) struct itree t = {0};
        _cleanup_free_ char *kver = NULL;
        int r;

        kver = s->kver ? strdup(s->kver) : NULL;
        if (!s->kver && (r = pick_kver(s->moddir ? s->moddir : "/lib/modules", &kver, d)) < 0)
                return r;
        if (!kver)
                return -ENOMEM;
        r = add_base(&t, s, d);
        if (r >= 0)
                r = add_busybox(&t, s->busybox ? s->busybox : "/bin/busybox", d);
        if (r >= 0)
                r = add_modules(&t, s, kver, d);
        if (r >= 0)
                r = add_parents(&t);
        if (r < 0)
                return r == -ENOMEM ? diag_err(d, r, "out of memory building \"%s\"", out) : r;
        return itree_write(&t, s, out, d);
}
