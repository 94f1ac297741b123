/* treesum.c: what a cache object held when it was made (each file's digest, size, mtime and
 * inode), and the checks against it: a cheap one by stamps, a full one by digests. */
#include "treesum.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "hash.h"

#define CHUNK  (1u << 20)
#define BLOCK  (64u << 10)
#define HEXLEN (SHA256_HEX - 1) /* the digest's hex digits, without the NUL */

/* One line per regular file and symlink, in name order:
 *   F DIGEST SIZE MTIME_NS INODE PATH
 *   L DIGEST PATH            (the digest of the link's target)
 * PATH with bytes up to space, '%' and DEL written as %XX. The stamp listing is the
 * same without a regular file's DIGEST (no file is read). */
struct walk {
        FILE *f;
        uint8_t *buf; /* 1 MiB for the digests; NULL: the stamp listing */
        int err;
        char *bad; /* the first path that failed */
};

static void put_path(FILE *f, const char *p)
{
        for (; *p; p++) {
                unsigned char c = (unsigned char)*p;

                if (c <= ' ' || c == '%' || c == 0x7f)
                        fprintf(f, "%%%02X", c);
                else
                        fputc(c, f);
        }
}

static bool all_zero(const uint8_t *p, size_t n)
{
        return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/* SHA-256 over the file's size, then each 64 KiB block that holds a byte other than
 * zero, as its offset (8 bytes, little-endian) and its bytes. It depends on the
 * content only, not on where the filesystem keeps holes; holes are not read. */
int treesum_file_digest(int fd, uint8_t *buf, char hex[SHA256_HEX])
{
        const off_t blk = (off_t)BLOCK;
        struct hasher h;
        uint8_t md[SHA256_LEN];
        off_t next = 0; /* the first block not yet looked at */
        struct stat st;
        int r = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (hasher_init(&h) < 0)
                return -ENOMEM;
        hasher_u64(&h, (uint64_t)st.st_size);
        while (r >= 0 && next < st.st_size) {
                off_t data = lseek(fd, next, SEEK_DATA), end;

                if (data < 0) {
                        r = errno == ENXIO ? 0 : -errno;
                        break;
                }
                end = lseek(fd, data, SEEK_HOLE);
                if (end < 0 || end > st.st_size)
                        end = st.st_size;
                data -= data % blk;
                if (data < next)
                        data = next;
                end += (blk - end % blk) % blk;
                if (end > st.st_size)
                        end = st.st_size;
                for (off_t at = data; r >= 0 && at < end;) {
                        size_t want = end - at < (off_t)CHUNK ? (size_t)(end - at) : CHUNK;

                        r = pread_full(fd, buf, want, (uint64_t)at);
                        for (size_t i = 0; r >= 0 && i < want; i += BLOCK) {
                                size_t k = want - i < BLOCK ? want - i : BLOCK;

                                if (all_zero(buf + i, k))
                                        continue;
                                hasher_u64(&h, (uint64_t)at + i);
                                hasher_update(&h, buf + i, k);
                        }
                        at += (off_t)want;
                }
                next = end > next ? end : next + blk;
        }
        if (r >= 0 && hasher_final(&h, md) < 0)
                r = -EIO;
        hasher_release(&h);
        if (r >= 0)
                hex_encode(md, SHA256_LEN, hex);
        return r;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, int dfd, const char *rel);

static void walk_entry(struct walk *w, int dfd, const char *name, const char *rel)
{
        struct stat st;
        char hex[SHA256_HEX];

        if (w->err < 0)
                return;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                w->err = -errno;
        } else if (S_ISDIR(st.st_mode)) {
                int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (sub < 0)
                        w->err = -errno;
                else
                        walk_dir(w, sub, rel);
                return;
        } else if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int fd =
                        w->buf ? openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;

                if (w->buf && fd < 0) {
                        w->err = -errno;
                } else if (!w->buf || (w->err = treesum_file_digest(fd, w->buf, hex)) >= 0) {
                        fprintf(w->f, "F %s%s%lld %lld%09ld %llu ", w->buf ? hex : "",
                                w->buf ? " " : "", (long long)st.st_size,
                                (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                                (unsigned long long)st.st_ino);
                        put_path(w->f, rel);
                        fputc('\n', w->f);
                }
        } else if (S_ISLNK(st.st_mode)) {
                char target[4096];
                ssize_t n = readlinkat(dfd, name, target, sizeof(target));
                uint8_t md[SHA256_LEN];

                if (n < 0 || (size_t)n >= sizeof(target) || sha256_buf(target, (size_t)n, md) < 0) {
                        w->err = n < 0 ? -errno : -ENAMETOOLONG;
                } else {
                        hex_encode(md, SHA256_LEN, hex);
                        fprintf(w->f, "L %s ", hex);
                        put_path(w->f, rel);
                        fputc('\n', w->f);
                }
        }
        if (w->err < 0 && !w->bad)
                w->bad = strdup(rel);
}

/* Takes dfd over. */
static void walk_dir(struct walk *w, int dfd, const char *rel)
{
        DIR *d = fdopendir(dfd);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0;

        if (!d) {
                close(dfd);
                w->err = -errno;
                return;
        }
        while ((e = readdir(d))) {
                char **v;

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                v = realloc(names, (n + 1) * sizeof(*names));
                if (!v || !(v[n] = strdup(e->d_name))) {
                        names = v ? v : names;
                        w->err = -ENOMEM;
                        break;
                }
                names = v;
                n++;
        }
        if (n) /* names is NULL for an empty directory */
                qsort(names, n, sizeof(*names), cmp_names);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *sub = NULL;

                if (w->err >= 0 && asprintf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", names[i]) < 0)
                        w->err = -ENOMEM;
                else if (w->err >= 0)
                        walk_entry(w, dirfd(d), names[i], sub);
                free(names[i]);
        }
        free(names);
        closedir(d);
}

/* The listing of dir (see struct walk) in *text, with the digests or only the stamps. */
static int listing(const char *dir, bool digests, char **text, size_t *len, char **bad)
{
        struct walk w = {.buf = digests ? malloc(CHUNK) : NULL};
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        *text = NULL;
        w.f = open_memstream(text, len);
        if ((digests && !w.buf) || !w.f || dfd < 0) {
                w.err = dfd < 0 ? -errno : -ENOMEM;
                if (dfd >= 0)
                        close(dfd);
        } else {
                walk_dir(&w, dfd, "");
        }
        if (w.f)
                fclose(w.f);
        free(w.buf);
        if (bad)
                *bad = w.bad;
        else
                free(w.bad);
        if (w.err < 0) {
                free(*text);
                *text = NULL;
        }
        return w.err;
}

int treesum_write(const char *dir, const char *manifest)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = listing(dir, true, &text, &len, NULL);

        return r < 0 ? r : write_file_atomic(manifest, text, len, 0644);
}

/* The first line of a that b does not have in the same place, as a path. */
static char *first_difference(const char *a, const char *b)
{
        while (*a && *b) {
                const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
                size_t la = ea ? (size_t)(ea - a) : strlen(a),
                       lb = eb ? (size_t)(eb - b) : strlen(b);

                if (la != lb || memcmp(a, b, la)) {
                        const char *sp = memrchr(a, ' ', la);

                        return sp ? strndup(sp + 1, la - (size_t)(sp + 1 - a)) : strndup(a, la);
                }
                a += la + (ea ? 1 : 0);
                b += lb + (eb ? 1 : 0);
        }
        if (*a || *b) {
                const char *s = *a ? a : b, *e = strchr(s, '\n'), *sp;
                size_t l = e ? (size_t)(e - s) : strlen(s);

                sp = memrchr(s, ' ', l);
                return sp ? strndup(sp + 1, l - (size_t)(sp + 1 - s)) : strndup(s, l);
        }
        return NULL;
}

/* Stamps only: the same files, each with its recorded size, mtime and inode. */
static int stamp_listing(const char *manifest, char **text)
{
        _cleanup_free_ char *full = NULL;
        size_t len;
        FILE *f;
        size_t n = 0;
        int r = read_file(manifest, &full, &len);

        if (r < 0)
                return r;
        if (!(f = open_memstream(text, &n)))
                return -ENOMEM;
        for (char *line = full, *end; line && *line; line = end ? end + 1 : NULL) {
                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                if (line[0] == 'F' && strlen(line) > 2 + HEXLEN + 1)
                        fprintf(f, "F %s\n", line + 2 + HEXLEN + 1);
                else
                        fprintf(f, "%s\n", line);
        }
        fclose(f);
        return 0;
}

int treesum_check(const char *dir, const char *manifest, bool full, char **why)
{
        _cleanup_free_ char *want = NULL, *have = NULL, *bad = NULL;
        size_t len;
        int r;

        *why = NULL;
        r = full ? read_file(manifest, &want, &len) : stamp_listing(manifest, &want);
        if (r == -ENOENT)
                return (*why = strdup("no record of what it held")) ? 1 : -ENOMEM;
        if (r < 0)
                return r;
        r = listing(dir, full, &have, &len, &bad);
        if (r < 0) {
                if (asprintf(why, "%s: %s", bad ? bad : dir, strerror(-r)) < 0)
                        *why = NULL;
                return 1;
        }
        if (!strcmp(want, have))
                return 0;
        *why = first_difference(want, have);
        return 1;
}

int treesum_lookup(const char *manifest, const char *rel, char hex[SHA256_HEX])
{
        _cleanup_free_ char *text = NULL, *enc = NULL;
        size_t len, n = 0;
        FILE *f = open_memstream(&enc, &n);
        int r;

        if (!f)
                return -ENOMEM;
        put_path(f, rel);
        fclose(f);
        if (!enc)
                return -ENOMEM;
        if ((r = read_file(manifest, &text, &len)) < 0)
                return r;
        for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
                const char *sp;

                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                sp = strrchr(line, ' ');
                if (line[0] == 'F' && sp && !strcmp(sp + 1, enc) && strlen(line) > 2 + HEXLEN) {
                        memcpy(hex, line + 2, HEXLEN);
                        hex[HEXLEN] = 0;
                        return 0;
                }
        }
        return -ENOENT;
}
