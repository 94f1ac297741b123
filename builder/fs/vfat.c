/* vfat.c: FAT images with mkfs.vfat, filled by mtools in a sorted walk (no mounting). */
#include "fsint.h"
#include "util/cleanup.h"
#include "util/exec.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define VFAT_MIN_SIZE (1024u * 1024)
/* FAT32 needs 65525 clusters: with 512-byte clusters that is just under 33 MiB.
 * Smaller partitions get FAT12/16, which UEFI firmware reads as well. */
#define FAT32_MIN_SIZE (33u * 1024 * 1024)
#define VFAT_LABEL_MAX 11
/* Names per mcopy/mmd call: keeps argv far below the kernel's limit. */
#define BATCH 256

struct vfat_ctx {
        const char *img;
        const struct fs_spec *s;
        struct run_opts o;
        struct diag *d;
};

static int vfat_check(const struct fs_spec *s, struct diag *d)
{
        int r = fs_check_common(s, VFAT_MIN_SIZE, VFAT_LABEL_MAX, d);

        for (const char *p = s->label; p && *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
                    strchr("\"*+,./:;<=>?[\\]|", *p))
                        return diag_at(d, &s->mark,
                                       "vfat label \"%s\": character '%c' is not allowed in a FAT "
                                       "label",
                                       s->label, *p);
        return r;
}

/* Names mtools would silently change: FAT forbids these characters, and drops
 * trailing dots and spaces. */
static int vfat_name_ok(const char *n)
{
        size_t len = strlen(n);

        if (len == 0 || len > 255 || n[len - 1] == '.' || n[len - 1] == ' ')
                return 0;
        for (const char *p = n; *p; p++)
                if ((unsigned char)*p < 0x20 || strchr("\"*/:<>?\\|", *p))
                        return 0;
        return 1;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
        return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* Run tool (mcopy or mmd) on names[0..n) in batches; fixed are the leading args. */
static int run_batches(struct vfat_ctx *c, const char *const *fixed, size_t nfixed, char **names,
                       size_t n, const char *target)
{
        const char *argv[BATCH + 16];

        for (size_t i = 0; i < n; i += BATCH) {
                size_t k = 0;
                int r;

                for (size_t j = 0; j < nfixed; j++)
                        argv[k++] = fixed[j];
                for (size_t j = i; j < n && j < i + BATCH; j++)
                        argv[k++] = names[j];
                if (target)
                        argv[k++] = target;
                argv[k] = NULL;
                r = run_argv(argv, &c->o, c->d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void free_names(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

struct listing {
        char **files, **dirs, **subs; /* host files, image dirs, host dirs */
        size_t nf, nd;
};

static void listing_free(struct listing *l)
{
        free_names(l->files, l->nf);
        free_names(l->dirs, l->nd);
        free_names(l->subs, l->nd);
}

static int case_cmp(const void *a, const void *b)
{
        return strcasecmp((*(const struct dirent *const *)a)->d_name,
                          (*(const struct dirent *const *)b)->d_name);
}

/* FAT compares names without case: "A" and "a" would be one file. */
static int check_case(struct vfat_ctx *c, struct dirent **ents, size_t n, const char *host)
{
        _cleanup_free_ struct dirent **v = NULL;

        if (n < 2)
                return 0;
        v = malloc(n * sizeof(*v));
        if (!v)
                return diag_err(c->d, -ENOMEM, "out of memory");
        memcpy(v, ents, n * sizeof(*v));
        qsort(v, n, sizeof(*v), case_cmp);
        for (size_t i = 1; i < n; i++)
                if (strcasecmp(v[i - 1]->d_name, v[i]->d_name) == 0)
                        return diag_at(c->d, &c->s->mark,
                                       "vfat: names \"%s\" and \"%s\" in \"%s\" differ only in "
                                       "case",
                                       v[i - 1]->d_name, v[i]->d_name, host);
        return 0;
}

/* Sort one directory into files and subdirectories; FAT cannot hold the rest. */
static int list_dir(struct vfat_ctx *c, const char *host, const char *img, struct listing *l)
{
        struct dirent **ents = NULL;
        int n = scandir(host, &ents, skip_dots, name_cmp), r = 0;

        if (n < 0)
                return diag_err(c->d, -errno, "cannot read \"%s\": %s", host, strerror(errno));
        r = check_case(c, ents, (size_t)n, host);
        l->files = calloc((size_t)n + 1, sizeof(char *));
        l->dirs = calloc((size_t)n + 1, sizeof(char *));
        l->subs = calloc((size_t)n + 1, sizeof(char *));
        if (!l->files || !l->dirs || !l->subs)
                r = diag_err(c->d, -ENOMEM, "out of memory");
        for (int i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *p = path_join(host, ents[i]->d_name);
                struct stat st;

                if (!vfat_name_ok(ents[i]->d_name))
                        r = diag_at(c->d, &c->s->mark,
                                    "vfat cannot hold the name \"%s\" in \"%s\" (no \"*/:<>?\\| or "
                                    "control characters, no trailing dot or space)",
                                    ents[i]->d_name, host);
                else if (!p || lstat(p, &st) < 0)
                        r = diag_err(c->d, p ? -errno : -ENOMEM, "cannot stat \"%s\"", p ? p : "");
                else if (S_ISREG(st.st_mode))
                        l->files[l->nf++] = TAKE_PTR(p);
                else if (S_ISDIR(st.st_mode)) {
                        if (asprintf(&l->dirs[l->nd], "%s/%s", img, ents[i]->d_name) < 0) {
                                l->dirs[l->nd] = NULL;
                                r = diag_err(c->d, -ENOMEM, "out of memory");
                        } else
                                l->subs[l->nd++] = TAKE_PTR(p);
                } else
                        r = diag_at(c->d, &c->s->mark,
                                    "vfat cannot hold \"%s\": only regular files and directories",
                                    p);
        }
        for (int i = 0; i < n; i++)
                free(ents[i]);
        free(ents);
        return r;
}

/* Files first, then directories, each in byte order of their names: the
 * FAT directory order (and the short ~N names) only depend on the names. */
static int copy_dir(struct vfat_ctx *c, const char *host, const char *img)
{
        const char *mcopy[] = {"mcopy", "-i", c->img, "-Q", "-m", "-D", "o"};
        const char *mmd[] = {"mmd", "-i", c->img, "-D", "o"};
        struct listing l = {0};
        _cleanup_free_ char *target = NULL;
        int r = list_dir(c, host, img, &l);

        if (r >= 0 && asprintf(&target, "%s/", img) < 0) {
                target = NULL;
                r = diag_err(c->d, -ENOMEM, "out of memory");
        }
        if (r >= 0 && l.nf)
                r = run_batches(c, mcopy, ARRAY_SIZE(mcopy), l.files, l.nf, target);
        if (r >= 0 && l.nd)
                r = run_batches(c, mmd, ARRAY_SIZE(mmd), l.dirs, l.nd, NULL);
        for (size_t i = 0; r >= 0 && i < l.nd; i++)
                r = copy_dir(c, l.subs[i], l.dirs[i]);
        listing_free(&l);
        return r;
}

static int vfat_format(const struct fs_spec *s, const char *img, struct run_opts *o, struct diag *d)
{
        char volid[9], label[VFAT_LABEL_MAX + 1] = "NO NAME";
        const char *argv[16];
        size_t n = 0;

        snprintf(volid, sizeof(volid), "%02x%02x%02x%02x", s->uuid.b[0], s->uuid.b[1], s->uuid.b[2],
                 s->uuid.b[3]);
        if (s->label && s->label[0]) {
                size_t i;

                for (i = 0; s->label[i] && i < VFAT_LABEL_MAX; i++)
                        label[i] = (char)toupper((unsigned char)s->label[i]);
                label[i] = 0;
        }
        argv[n++] = "mkfs.vfat";
        argv[n++] = "--invariant";
        argv[n++] = "-i";
        argv[n++] = volid;
        argv[n++] = "-n";
        argv[n++] = label;
        if (s->size >= FAT32_MIN_SIZE) {
                argv[n++] = "-F";
                argv[n++] = "32";
        }
        argv[n++] = img;
        argv[n] = NULL;
        return run_argv(argv, o, d);
}

static int vfat_make(const struct fs_spec *s, const char *out, struct diag *d)
{
        struct atomic_file a;
        struct fs_env env;
        struct vfat_ctx c = {.s = s, .d = d};
        _cleanup_free_ char *tree = NULL;
        int r;

        /* mtools reads "x:name" as a DOS drive: keep host paths unambiguous. */
        if (s->tree && asprintf(&tree, "%s%s", s->tree[0] == '/' ? "" : "./", s->tree) < 0)
                return diag_err(d, -ENOMEM, "out of memory");

        r = fs_out_open(&a, out, s->size, d);
        if (r < 0)
                return r;
        fs_env_init(&env, s);
        c.o.env = env.env;
        c.img = a.tmp;
        r = vfat_format(s, a.tmp, &c.o, d);
        if (r >= 0 && s->tree)
                r = copy_dir(&c, tree, "::");
        if (r >= 0)
                r = fs_out_commit(&a, d);
        atomic_release(&a);
        return r;
}

const struct fs_type fs_vfat = {
        .name = "vfat",
        .check = vfat_check,
        .make = vfat_make,
};
