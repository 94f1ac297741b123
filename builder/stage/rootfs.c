/* rootfs.c: operations on a staged root tree that never reach outside it. */
#include "rootfs.h"
#include "util/fsutil.h"
#include "util/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int name_normalize(const char *in, bool allow_absolute, char **out)
{
        const char *s = in;
        char *o, *p;

        *out = NULL;
        if (!in[0])
                return NAME_EMPTY;
        if (in[0] == '/' && !allow_absolute)
                return NAME_ABSOLUTE;
        o = malloc(strlen(in) + 1);
        if (!o)
                return -ENOMEM;
        p = o;
        while (*s) {
                const char *e = strchrnul(s, '/');
                size_t l = (size_t)(e - s);

                if (l == 2 && s[0] == '.' && s[1] == '.') {
                        free(o);
                        return NAME_DOTDOT;
                }
                if (l > 0 && !(l == 1 && s[0] == '.')) {
                        if (p != o)
                                *p++ = '/';
                        memcpy(p, s, l);
                        p += l;
                }
                s = *e ? e + 1 : e;
        }
        *p = 0;
        *out = o;
        return NAME_OK;
}

bool link_target_stays(const char *rel, const char *target)
{
        size_t depth = 0;
        const char *s = target;

        if (target[0] == '/')
                return true;
        for (const char *c = rel; *c; c++)
                if (*c == '/')
                        depth++;
        while (*s) {
                const char *e = strchrnul(s, '/');
                size_t l = (size_t)(e - s);

                if (l == 2 && s[0] == '.' && s[1] == '.') {
                        if (depth == 0)
                                return false;
                        depth--;
                } else if (l > 0 && !(l == 1 && s[0] == '.')) {
                        depth++;
                }
                s = *e ? e + 1 : e;
        }
        return true;
}

int parents_check(int rootfd, const char *rel, char **bad)
{
        _cleanup_free_ char *p = strdup(rel);

        *bad = NULL;
        if (!p)
                return -ENOMEM;
        /* Prefixes are checked shortest first, so by the time "a/b" is looked
         * at, "a" is known to be a real directory and nothing is followed. */
        for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
                struct stat st;

                *s = 0;
                if (fstatat(rootfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return errno == ENOENT ? 0 : -errno;
                if (!S_ISDIR(st.st_mode)) {
                        *bad = strdup(p);
                        return *bad ? (S_ISLNK(st.st_mode) ? 1 : 2) : -ENOMEM;
                }
                *s = '/';
        }
        return 0;
}

int rootfs_open(int rootfd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, rootfd, path[0] ? path : ".", &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

int rootfs_exists(int rootfd, const char *path)
{
        int fd = rootfs_open(rootfd, path, O_PATH, 0);

        if (fd >= 0) {
                close(fd);
                return 1;
        }
        return (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) ? 0 : fd;
}

bool rootfs_is_systemd(int rootfd)
{
        return rootfs_exists(rootfd, "/lib/systemd/systemd") > 0 ||
               rootfs_exists(rootfd, "/usr/lib/systemd/systemd") > 0;
}

/* Open the directory at rel (normalized) under rootfd, creating what is missing. */
static int mkdirs_rel(int rootfd, char *rel, mode_t mode)
{
        int fd = rootfs_open(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
        char *slash;
        const char *name;
        _cleanup_close_ int parent = -1;

        if (fd != -ENOENT)
                return fd;
        slash = strrchr(rel, '/');
        if (slash) {
                *slash = 0;
                parent = mkdirs_rel(rootfd, rel, mode);
                *slash = '/';
                name = slash + 1;
        } else {
                parent = dup(rootfd);
                name = rel;
        }
        if (parent < 0)
                return parent < -1 ? parent : -errno;
        /* EEXIST here means a name the image cannot resolve (a dangling
         * link): refuse rather than follow it on the build host */
        if (mkdirat(parent, name, mode) < 0)
                return -errno;
        fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* umask must not decide modes in the image, and we own everything made here */
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0) {
                int e = -errno;

                close(fd);
                return e;
        }
        return fd;
}

int rootfs_mkdirs(int rootfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *rel = NULL;
        int r = name_normalize(path, true, &rel);

        if (r < 0)
                return r;
        if (r != NAME_OK)
                return -EINVAL;
        return mkdirs_rel(rootfd, rel, mode);
}

int rootfs_parent(int rootfd, const char *path, char **name)
{
        _cleanup_free_ char *rel = NULL;
        char *slash;
        int r = name_normalize(path, true, &rel);

        *name = NULL;
        if (r < 0)
                return r;
        if (r != NAME_OK || !rel[0])
                return -EINVAL;
        slash = strrchr(rel, '/');
        *name = strdup(slash ? slash + 1 : rel);
        if (!*name)
                return -ENOMEM;
        if (!slash) {
                r = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                return r < 0 ? -errno : r;
        }
        *slash = 0;
        return mkdirs_rel(rootfd, rel, 0755);
}

int rootfs_commit(struct atomic_file *a, mode_t mode, uid_t uid, gid_t gid)
{
        /* owner first: chown clears the setuid and setgid bits */
        if (fchown(a->fd, uid, gid) < 0 || fchmod(a->fd, mode) < 0)
                return -errno;
        return atomic_commit(a);
}

int rootfs_write(int rootfd, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                 gid_t gid)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_parent(rootfd, path, &name);
        struct atomic_file a;
        struct stat st;
        int r;

        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                return -EISDIR;
        r = atomic_openat(&a, dfd, name);
        if (r < 0)
                return r;
        r = write_full(a.fd, data, len);
        if (r >= 0)
                r = rootfs_commit(&a, mode, uid, gid);
        atomic_release(&a);
        return r;
}

int rootfs_copy_in(int rootfd, const char *path, const char *src, mode_t mode, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int dfd = -1;
        struct atomic_file a;
        struct stat st;
        int r;

        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        dfd = rootfs_parent(rootfd, path, &name);
        if (dfd < 0)
                return dfd;
        r = atomic_openat(&a, dfd, name);
        if (r < 0)
                return r;
        r = copy_fd_sparse(in, a.fd, st.st_size);
        if (r >= 0)
                r = rootfs_commit(&a, mode, uid, gid);
        atomic_release(&a);
        return r;
}

/* fn(dfd, name, ctx) for every entry of the directory dfd but "." and "..",
 * until one fails. */
static int each_entry(int dfd, int (*fn)(int dfd, const char *name, void *ctx), void *ctx)
{
        int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *e;
        int r = 0;

        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d) {
                close(dup_fd);
                return -errno;
        }
        while (r >= 0 && (e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        r = fn(dfd, e->d_name, ctx);
        return r;
}

/* One entry of src's directory sfd into dst's directory (*(int *)dfd). */
static int link_entry(int sfd, const char *name, void *dfd);

static int link_dir(int sfd, int dfd)
{
        return each_entry(sfd, link_entry, &dfd);
}

static int copy_entry(int sfd, int dfd, const char *name, const struct stat *st)
{
        char target[PATH_MAX];
        ssize_t n;

        if (S_ISLNK(st->st_mode)) {
                n = readlinkat(sfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                if (symlinkat(target, dfd, name) < 0)
                        return -errno;
        } else if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                _cleanup_close_ int out = -1;

                if (in < 0)
                        return -errno;
                out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0 || ftruncate(out, st->st_size) < 0)
                        return -errno;
                if (copy_sparse_range(in, 0, out, 0, st->st_size) < 0)
                        return -EIO;
                if (fchmod(out, st->st_mode & 07777) < 0)
                        return -errno;
        } else if (mknodat(dfd, name, st->st_mode, st->st_rdev) < 0) {
                return -errno;
        }
        if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        /* chown clears set-id bits */
        if (S_ISREG(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
                return -errno;
        return 0;
}

static int link_entry(int sfd, const char *name, void *ctx)
{
        int dfd = *(int *)ctx;
        _cleanup_close_ int s = -1, t = -1;
        struct stat st;

        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode)) {
                if (linkat(sfd, name, dfd, name, 0) == 0)
                        return 0;
                return errno == EXDEV || errno == EMLINK ? copy_entry(sfd, dfd, name, &st) : -errno;
        }
        if (mkdirat(dfd, name, 0700) < 0)
                return -errno;
        s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        t = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || t < 0)
                return -errno;
        if (fchown(t, st.st_uid, st.st_gid) < 0 || fchmod(t, st.st_mode & 07777) < 0)
                return -errno;
        return link_dir(s, t);
}

int rootfs_link_tree(const char *src, const char *dst)
{
        _cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int t = -1;
        struct stat st;

        if (s < 0 || fstat(s, &st) < 0)
                return -errno;
        if (mkdir(dst, 0700) < 0)
                return -errno;
        t = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t < 0)
                return -errno;
        if (fchown(t, st.st_uid, st.st_gid) < 0 || fchmod(t, st.st_mode & 07777) < 0)
                return -errno;
        return link_dir(s, t);
}

int rootfs_rewrite(int rootfd, const char *path, const void *data, size_t len)
{
        _cleanup_close_ int fd = rootfs_open(rootfd, path, O_RDONLY, 0);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        return rootfs_write(rootfd, path, data, len, st.st_mode & 07777, st.st_uid, st.st_gid);
}

/* The directory that will hold path, with whatever is at path removed (not followed):
 * the slot a new link goes into. */
static int empty_slot(int rootfd, const char *path, char **name)
{
        int dfd = rootfs_parent(rootfd, path, name);

        if (dfd >= 0 && unlinkat(dfd, *name, 0) < 0 && errno != ENOENT) {
                int e = -errno;

                close(dfd);
                return e;
        }
        return dfd;
}

int rootfs_symlink(int rootfd, const char *path, const char *target)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = empty_slot(rootfd, path, &name);

        if (dfd < 0)
                return dfd;
        if (symlinkat(target, dfd, name) < 0)
                return -errno;
        return fchownat(dfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int rootfs_hardlink(int rootfd, const char *path, const char *existing)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = empty_slot(rootfd, path, &name);

        if (dfd < 0)
                return dfd;
        return linkat(rootfd, existing, dfd, name, 0) < 0 ? -errno : 0;
}

int rootfs_read(int rootfd, const char *path, char **out, size_t *len)
{
        _cleanup_close_ int fd = rootfs_open(rootfd, path, O_RDONLY, 0);

        if (fd < 0)
                return fd;
        return read_fd(fd, out, len);
}

static int times_entry(int dfd, const char *name, void *ts);

static int times_walk(int dfd, const struct timespec ts[2])
{
        return each_entry(dfd, times_entry, (void *)ts);
}

static int times_entry(int dfd, const char *name, void *ts)
{
        struct stat st;
        int r = 0;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int sub =
                        openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (sub < 0)
                        return -errno;
                r = times_walk(sub, ts);
        }
        if (r >= 0 && utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                r = -errno;
        return r;
}

int rootfs_set_times(int rootfd, uint64_t epoch)
{
        struct timespec ts[2] = {{.tv_sec = (time_t)epoch}, {.tv_sec = (time_t)epoch}};
        int r = times_walk(rootfd, ts);

        if (r >= 0 && futimens(rootfd, ts) < 0)
                r = -errno;
        return r;
}
