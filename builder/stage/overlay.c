/* overlay.c: applying overlays over a root: host directory trees copied in, archives extracted. */
#include "steps.h"
#include "extract.h"
#include "rootfs.h"
#include "util/cleanup.h"
#include "util/copypool.h"
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct octx {
        const struct overlay_spec *ov;
        struct diag *d;
        struct copy_pool *pool; /* file data is copied on the other cores */
};

static int refuse(struct octx *c, const char *rel, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Same shape as the archive messages: "<overlay>: entry "<rel>": what". */
static int refuse(struct octx *c, const char *rel, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_ventry(c->d, -EPERM, c->ov->path, rel, fmt, ap);
        va_end(ap);
        return r;
}

/* Make room for a non-directory at name: whatever is there goes (a symlink is
 * removed, not followed; an empty directory is removed). */
static int clear_slot(struct octx *c, int dfd, const char *name, const char *rel)
{
        if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if ((errno == EISDIR || errno == EPERM) && unlinkat(dfd, name, AT_REMOVEDIR) == 0)
                return 0;
        return refuse(c, rel, "cannot replace what the root has there: %s", strerror(errno));
}

static int copy_regular(struct octx *c, int sfd, int dfd, const char *name, const struct stat *st,
                        const char *rel)
{
        int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out;
        const char *what = "copy";
        int r;

        if (in < 0)
                return refuse(c, rel, "cannot read: %s", strerror(errno));
        r = clear_slot(c, dfd, name, rel);
        if (r < 0) {
                close(in);
                return r;
        }
        out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 || ftruncate(out, st->st_size) < 0) {
                r = errno;
                close(in);
                if (out >= 0)
                        close(out);
                return refuse(c, rel, "cannot write: %s", strerror(r));
        }
        /* the pool copies, then sets owner 0:0 and the mode */
        r = copy_pool_add(c->pool, in, out, st->st_size, st->st_mode, rel, &what);
        if (r == -ECANCELED)
                return r; /* overlay_apply reports the copy that failed first */
        return r < 0 ? refuse(c, rel, "cannot %s: %s", what, strerror(-r)) : 0;
}

static int copy_symlink(struct octx *c, int sfd, int dfd, const char *name, const char *rel)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
        int r;

        if (n < 0)
                return refuse(c, rel, "cannot read the symlink: %s", strerror(errno));
        target[n] = 0;
        if (!link_target_stays(rel, target))
                return refuse(c, rel, "symlink target \"%s\" leaves the root", target);
        r = clear_slot(c, dfd, name, rel);
        if (r < 0)
                return r;
        if (symlinkat(target, dfd, name) < 0 || fchownat(dfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
                return refuse(c, rel, "cannot create the symlink: %s", strerror(errno));
        return 0;
}

static int copy_special(struct octx *c, int dfd, const char *name, const struct stat *st,
                        const char *rel)
{
        int r;

        if (S_ISSOCK(st->st_mode))
                return refuse(c, rel, "sockets cannot be staged");
        if (!c->ov->allow_devices)
                return refuse(c, rel, "%s not allowed (allow_devices is off)",
                              S_ISFIFO(st->st_mode) ? "FIFO" : "device node");
        r = clear_slot(c, dfd, name, rel);
        if (r < 0)
                return r;
        if (mknodat(dfd, name, st->st_mode & (S_IFMT | 0777), st->st_rdev) < 0 ||
            fchownat(dfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
                return refuse(c, rel, "cannot create: %s", strerror(errno));
        return 0;
}

static int copy_tree(struct octx *c, int sfd, int dfd, const char *rel);

/* A directory of the overlay merges into the root's directory of that name; a
 * new one takes the overlay's mode. */
static int copy_dir(struct octx *c, int sfd, int dfd, const char *name, const struct stat *st,
                    const char *rel)
{
        _cleanup_close_ int sub = -1, dsub = -1;
        struct stat dt;

        if (fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(dt.st_mode))
                return refuse(c, rel, "path would go through the symlink \"%s\" inside the root",
                              rel);
        if (fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dt.st_mode) &&
            unlinkat(dfd, name, 0) < 0)
                return refuse(c, rel, "cannot replace the file there: %s", strerror(errno));
        if (mkdirat(dfd, name, 0700) == 0) {
                dsub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dsub < 0 || fchown(dsub, 0, 0) < 0 || fchmod(dsub, st->st_mode & 07777) < 0)
                        return refuse(c, rel, "cannot create the directory: %s", strerror(errno));
        } else if (errno == EEXIST) {
                dsub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (dsub < 0)
                return refuse(c, rel, "cannot create the directory: %s", strerror(errno));
        sub = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
                return refuse(c, rel, "cannot read the directory: %s", strerror(errno));
        return copy_tree(c, sub, dsub, rel);
}

static int copy_entry(struct octx *c, int sfd, int dfd, const char *name, const char *rel)
{
        struct stat st;

        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return refuse(c, rel, "cannot inspect: %s", strerror(errno));
        if (!S_ISLNK(st.st_mode) && (st.st_mode & S_ISUID) && !c->ov->allow_setuid)
                return refuse(c, rel, "setuid bit not allowed (mode %04o; allow_setuid is off)",
                              (unsigned)(st.st_mode & 07777));
        if (!S_ISLNK(st.st_mode) && (st.st_mode & S_ISGID) && !c->ov->allow_setuid)
                return refuse(c, rel, "setgid bit not allowed (mode %04o; allow_setuid is off)",
                              (unsigned)(st.st_mode & 07777));
        if (S_ISDIR(st.st_mode))
                return copy_dir(c, sfd, dfd, name, &st, rel);
        if (S_ISREG(st.st_mode))
                return copy_regular(c, sfd, dfd, name, &st, rel);
        if (S_ISLNK(st.st_mode))
                return copy_symlink(c, sfd, dfd, name, rel);
        return copy_special(c, dfd, name, &st, rel);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries in name order, so that the first refusal is the same on every host. */
static int copy_tree(struct octx *c, int sfd, int dfd, const char *rel)
{
        int dup_fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
        _cleanup_closedir_ DIR *dir = dup_fd < 0 ? NULL : fdopendir(dup_fd);
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        int r = 0;

        if (!dir) {
                if (dup_fd >= 0)
                        close(dup_fd);
                return refuse(c, rel, "cannot read the directory: %s", strerror(errno));
        }
        while ((e = readdir(dir))) {
                char **nn;

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                nn = realloc(names, (n + 1) * sizeof(*names));
                if (!nn || !(nn[n] = strdup(e->d_name))) {
                        names = nn ? nn : names;
                        r = -ENOMEM;
                        break;
                }
                names = nn;
                n++;
        }
        if (r == 0 && n)
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *child = rel[0] ? NULL : strdup(names[i]);

                if (r >= 0 && rel[0] && asprintf(&child, "%s/%s", rel, names[i]) < 0)
                        child = NULL;
                if (r >= 0)
                        r = child ? copy_entry(c, sfd, dfd, names[i], child) : -ENOMEM;
                free(names[i]);
        }
        free(names);
        return r == -ENOMEM ? diag_err(c->d, r, "%s: out of memory", c->ov->path) : r;
}

int overlay_apply(const struct overlay_spec *ov, const char *root, int rootfd, uint64_t *budget,
                  struct diag *d)
{
        struct octx c = {.ov = ov, .d = d};
        _cleanup_close_ int src = -1;
        struct extract_opts x = {.allow_devices = ov->allow_devices,
                                 .allow_setuid = ov->allow_setuid,
                                 .budget = budget};
        _cleanup_free_ char *failed = NULL;
        const char *what = "copy";
        struct stat st;
        int r, pr;

        if (stat(ov->path, &st) < 0)
                return diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return extract_archive(ov->path, root, &x, d);
        src = open(ov->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
                return diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(errno));
        c.pool = getenv("NOPOOL") ? NULL : copy_pool_start();
        r = copy_tree(&c, src, rootfd, "");
        pr = copy_pool_finish(c.pool, &failed, &what);
        /* a failed copy came before whatever stopped the walk */
        if (pr < 0 && (r >= 0 || r == -ECANCELED))
                r = refuse(&c, failed ? failed : "?", "cannot %s: %s", what, strerror(-pr));
        return r;
}
