/* fsutil.c: paths, directories, atomic outputs and sparse copies. */
#include "fsutil.h"
#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

char *path_join(const char *a, const char *b)
{
        char *s = NULL;

        if (!a || b[0] == '/')
                return strdup(b);
        if (asprintf(&s, "%s%s%s", a, (a[0] && a[strlen(a) - 1] != '/') ? "/" : "", b) < 0)
                return NULL;
        return s;
}

char *path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

int mkdir_p(const char *dir, mode_t mode)
{
        _cleanup_free_ char *p = strdup(dir);
        struct stat st;

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        if (stat(p, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (flag == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 ? -errno : 0;
        if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        return 0;
}

int read_fd(int fd, char **out, size_t *len)
{
        _cleanup_free_ char *buf = NULL;
        size_t cap = 0, n = 0;

        for (;;) {
                ssize_t r;

                if (n + 1 >= cap) {
                        char *nb;

                        cap = cap ? cap * 2 : 65536;
                        nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                r = read(fd, buf + n, cap - n - 1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = 0;
        if (len)
                *len = n;
        *out = TAKE_PTR(buf);
        return 0;
}

int read_file(const char *path, char **out, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return read_fd(fd, out, len);
}

/* Undo a half-made atomic_file whose temp file was not created: nothing to unlink. */
static int open_failed(struct atomic_file *a, int r)
{
        free(a->tmp);
        a->tmp = NULL;
        atomic_release(a);
        return r;
}

int atomic_open(struct atomic_file *a, const char *final, mode_t mode)
{
        _cleanup_free_ char *dir = path_dirname(final);
        const char *base = strrchr(final, '/');
        int r;

        memset(a, 0, sizeof(*a));
        a->fd = -1;
        a->dfd = AT_FDCWD;
        if (!dir)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        a->final = strdup(final);
        if (!a->final || asprintf(&a->tmp, "%s/.%s.tmp-%d-XXXXXX", dir, base ? base + 1 : final,
                                  (int)getpid()) < 0) {
                a->tmp = NULL;
                return open_failed(a, -ENOMEM);
        }
        a->fd = mkostemp(a->tmp, O_CLOEXEC);
        if (a->fd < 0)
                return open_failed(a, -errno);
        if (fchmod(a->fd, mode) < 0) {
                r = -errno;
                atomic_release(a);
                return r;
        }
        return 0;
}

int atomic_openat(struct atomic_file *a, int dfd, const char *name)
{
        memset(a, 0, sizeof(*a));
        a->fd = -1;
        a->dfd = dfd;
        a->staged = true;
        a->final = strdup(name);
        if (!a->final || asprintf(&a->tmp, ".%s.pocbake-tmp", name) < 0) {
                a->tmp = NULL;
                return open_failed(a, -ENOMEM);
        }
        (void)unlinkat(dfd, a->tmp, 0); /* left by an earlier run that was killed */
        a->fd = openat(dfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        return a->fd < 0 ? open_failed(a, -errno) : 0;
}

int atomic_commit(struct atomic_file *a)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;

        if ((!a->staged && fsync(a->fd) < 0) || close(a->fd) < 0) {
                a->fd = -1;
                return -errno;
        }
        a->fd = -1;
        if (renameat(a->dfd, a->tmp, a->dfd, a->final) < 0)
                return -errno;
        free(a->tmp);
        a->tmp = NULL;
        if (a->staged)
                return 0;
        dir = path_dirname(a->final);
        dfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void)fsync(dfd);
        return 0;
}

void atomic_release(struct atomic_file *a)
{
        if (a->fd >= 0)
                close(a->fd);
        a->fd = -1;
        if (a->tmp)
                (void)unlinkat(a->dfd, a->tmp, 0);
        free(a->tmp);
        free(a->final);
        a->tmp = a->final = NULL;
}

int write_full(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* pread or pwrite until len bytes are done at off (EINTR retried, 0 bytes: -EIO). */
static int pio_full(int fd, char *p, size_t len, uint64_t off, bool out)
{
        while (len) {
                ssize_t n = out ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
}

int pwrite_full(int fd, const void *data, size_t len, uint64_t off)
{
        return pio_full(fd, (char *)data, len, off, true);
}

int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
        return pio_full(fd, buf, len, off, false);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
        struct atomic_file a;
        int r = atomic_open(&a, path, mode);

        if (r < 0)
                return r;
        r = write_full(a.fd, data, len);
        if (r >= 0)
                r = atomic_commit(&a);
        atomic_release(&a);
        return r;
}

/* Bytes copied between writeback kicks when the copy will be fsynced: the copy and the
 * disk writes overlap, so the fsync waits for little more than the last piece. */
#define COPY_CHUNK ((off_t)8 << 20)

/* One piece through a buffer, where copy_file_range cannot (another filesystem, a
 * file that is not regular): bytes copied, or -1 with errno (ENOSPC stays ENOSPC). */
static ssize_t copy_piece(int in, off_t in_off, int out, off_t out_off, off_t len)
{
        char buf[1 << 16];
        ssize_t n = pread(in, buf, (size_t)(len < (off_t)sizeof(buf) ? len : (off_t)sizeof(buf)),
                          in_off);

        for (ssize_t done = 0; n > 0 && done < n;) {
                ssize_t w = pwrite(out, buf + done, (size_t)(n - done), out_off + done);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -1;
                if (w == 0) {
                        errno = EIO;
                        return -1;
                }
                done += w;
        }
        return n;
}

static int copy_data(int in, off_t in_off, int out, off_t out_off, off_t len, bool kick)
{
        off_t kicked = out_off;

        while (len > 0) {
                loff_t io = in_off, oo = out_off;
                ssize_t n = copy_file_range(in, &io, out, &oo,
                                            (size_t)(len < COPY_CHUNK ? len : COPY_CHUNK), 0);

                if (n < 0 &&
                    (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL))
                        n = copy_piece(in, in_off, out, out_off, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO; /* source shorter than promised */
                in_off += n;
                out_off += n;
                len -= n;
                if (kick && (out_off - kicked >= COPY_CHUNK || len == 0)) {
                        /* a hint only: failure leaves the work to fsync */
                        (void)sync_file_range(out, kicked, out_off - kicked, SYNC_FILE_RANGE_WRITE);
                        kicked = out_off;
                }
        }
        return 0;
}

static int copy_sparse(int in, off_t in_off, int out, off_t out_off, off_t len, bool kick)
{
        off_t end = in_off + len, pos = in_off;

        while (pos < end) {
                off_t data = lseek(in, pos, SEEK_DATA), hole;
                int r;

                if (data < 0 && errno == ENXIO)
                        break; /* only a hole is left */
                if (data < 0)
                        return -errno;
                if (data >= end)
                        break;
                hole = lseek(in, data, SEEK_HOLE);
                if (hole < 0)
                        return -errno;
                if (hole > end)
                        hole = end;
                r = copy_data(in, data, out, out_off + (data - in_off), hole - data, kick);
                if (r < 0)
                        return r;
                pos = hole;
        }
        return 0;
}

int copy_sparse_range(int in, off_t in_off, int out, off_t out_off, off_t len)
{
        return copy_sparse(in, in_off, out, out_off, len, false);
}

struct split_half {
        int in, out;
        off_t off, len;
        int r;
};

static void *split_worker(void *arg)
{
        struct split_half *h = arg;

        h->r = copy_sparse(h->in, h->off, h->out, h->off, h->len, true);
        return NULL;
}

/* Large copies run as two halves on two threads (the kernel's page copying is the
 * cost); the halves kick writeback as they go. */
static int copy_sparse_split(int in, int out, off_t size)
{
        off_t mid = (size / 2) & ~(off_t)((1 << 20) - 1);
        struct split_half hi = {.in = in, .out = out, .off = mid, .len = size - mid};
        pthread_t th;
        int r;

        if (size < ((off_t)64 << 20) || sysconf(_SC_NPROCESSORS_ONLN) < 2 ||
            pthread_create(&th, NULL, split_worker, &hi) != 0)
                return copy_sparse(in, 0, out, 0, size, true);
        r = copy_sparse(in, 0, out, 0, mid, true);
        pthread_join(th, NULL);
        return r < 0 ? r : hi.r;
}

int copy_fd_sparse(int in, int out, off_t size)
{
        /* A reflink where the filesystem shares extents (XFS, btrfs), else a copy. */
        if (ioctl(out, FICLONE, in) == 0)
                return 0;
        if (ftruncate(out, size) < 0)
                return -errno;
        return copy_sparse_split(in, out, size);
}

int copy_file_sparse(const char *from, const char *to, mode_t mode)
{
        _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
        struct atomic_file a;
        struct stat st;
        int r;

        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        r = atomic_open(&a, to, mode);
        if (r < 0)
                return r;
        r = copy_fd_sparse(in, a.fd, st.st_size);
        if (r >= 0)
                r = atomic_commit(&a);
        atomic_release(&a);
        return r;
}

int64_t file_allocated(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        return (int64_t)st.st_blocks * 512;
}

static bool pid_gone(long pid)
{
        return pid > 0 && pid <= INT_MAX && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* The pid in a name made by temp_name rules: ".NAME.tmp-PID-XXXXXX" (atomic_open,
 * out/), or "KEY.PID.XXXXXX" and its ".log"/".rss" (a cache's tmp/). 0: not one. */
static long leftover_pid(const char *name, bool cache)
{
        const char *p = NULL, *q;
        char *end;
        long pid;

        if (cache) {
                p = strchr(name, '.');
                p = p ? p + 1 : NULL;
        } else if (name[0] == '.') {
                for (q = strstr(name, ".tmp-"); q; q = strstr(q + 1, ".tmp-"))
                        p = q + 5;
        }
        if (!p || *p < '1' || *p > '9')
                return 0;
        errno = 0;
        pid = strtol(p, &end, 10);
        if (errno || (cache ? *end != '.' : *end != '-') || strlen(end + 1) < 6)
                return 0;
        return pid;
}

static void sweep(int dfd, const char *path, bool cache, int depth, size_t *n)
{
        DIR *d = fdopendir(dfd);
        struct dirent *e;

        if (!d) {
                close(dfd);
                return;
        }
        while ((e = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (pid_gone(leftover_pid(e->d_name, cache))) {
                        if ((sub = path_join(path, e->d_name)) && rm_rf(sub) >= 0)
                                (*n)++;
                        continue;
                }
                if (!cache && depth > 0 && e->d_type == DT_DIR) {
                        int sfd = openat(dirfd(d), e->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                        if (sfd >= 0 && (sub = path_join(path, e->d_name)))
                                sweep(sfd, sub, cache, depth - 1, n);
                        else if (sfd >= 0)
                                close(sfd);
                }
        }
        closedir(d);
}

size_t leftovers_remove(const char *dir, bool cache_tmp)
{
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        size_t n = 0;

        if (dfd >= 0)
                sweep(dfd, dir, cache_tmp, 3, &n);
        return n;
}
