/* media.c: what the PXE set and the bundle share: streamed copies, templates, output dirs. */
#include "media.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot/data.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

int media_stream_init(struct media_stream *m, EVP_PKEY *key, X509 *cert, struct diag *d)
{
        int r;

        memset(m, 0, sizeof(*m));
        m->buf = malloc(MEDIA_CHUNK);
        if (!m->buf)
                return diag_err(d, -ENOMEM, "out of memory");
        r = hasher_init(&m->h);
        if (r < 0)
                return diag_err(d, r, "cannot start sha256");
        if (key) {
                r = cms_signer_init(&m->signer, key, cert, d);
                if (r < 0)
                        return r;
                m->signing = true;
        }
        return 0;
}

int media_stream_update(struct media_stream *m, const void *data, size_t len, struct diag *d)
{
        hasher_update(&m->h, data, len);
        return m->signing ? cms_signer_update(&m->signer, data, len, d) : 0;
}

int media_stream_copy(struct media_stream *m, int in, const char *src, const char *dst,
                      uint8_t digest[SHA256_LEN], struct diag *d)
{
        struct atomic_file a;
        int r = atomic_open(&a, dst, 0644);

        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", dst, strerror(-r));
        for (;;) {
                ssize_t n = read(in, m->buf, MEDIA_CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = diag_err(d, -errno, "cannot read \"%s\": %m", src);
                        break;
                }
                if (n == 0)
                        break;
                r = media_stream_update(m, m->buf, (size_t)n, d);
                if (r >= 0 && (r = write_full(a.fd, m->buf, (size_t)n)) < 0)
                        r = diag_err(d, r, "cannot write \"%s\": %s", dst, strerror(-r));
                if (r < 0)
                        break;
        }
        if (r >= 0 && (r = atomic_commit(&a)) < 0)
                r = diag_err(d, r, "cannot write \"%s\": %s", dst, strerror(-r));
        atomic_release(&a);
        if (r >= 0 && hasher_final(&m->h, digest) < 0)
                r = diag_err(d, -EIO, "cannot finish sha256 of \"%s\"", src);
        return r;
}

void media_stream_release(struct media_stream *m)
{
        hasher_release(&m->h);
        if (m->signing)
                cms_signer_release(&m->signer);
        free(m->buf);
        memset(m, 0, sizeof(*m));
}

/* The value of the @KEY@ starting at p (p after the first '@'), or NULL. */
static const char *lookup(const char *const *vars, const char *p, size_t n)
{
        for (size_t i = 0; vars[i]; i += 2)
                if (strlen(vars[i]) == n && !strncmp(vars[i], p, n))
                        return vars[i + 1];
        return NULL;
}

int media_template(const char *rel, const char *const *vars, char **out, struct diag *d)
{
        _cleanup_free_ char *path = data_path(rel), *tmpl = NULL;
        char *buf = NULL;
        size_t n = 0;
        FILE *f;
        int r;

        if (!path)
                return diag_err(d, -ENOENT, "template \"%s\" not found (set POCBAKE_DATADIR)", rel);
        r = read_file(path, &tmpl, NULL);
        if (r < 0)
                return diag_err(d, r, "cannot read template \"%s\": %s", path, strerror(-r));
        f = open_memstream(&buf, &n);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        for (const char *p = tmpl; *p;) {
                const char *end = p[0] == '@' ? strchr(p + 1, '@') : NULL;
                size_t klen = end ? (size_t)(end - p - 1) : 0;
                const char *v = end && klen ? lookup(vars, p + 1, klen) : NULL;

                if (end && klen && strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == klen && !v) {
                        fclose(f);
                        free(buf);
                        return diag_err(d, -EINVAL, "template \"%s\": unknown variable \"%.*s\"",
                                        path, (int)klen, p + 1);
                }
                if (v) {
                        fputs(v, f);
                        p = end + 1;
                } else {
                        fputc(*p++, f);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return diag_err(d, -ENOMEM, "out of memory");
        }
        *out = buf;
        return 0;
}

int media_read_small(const char *path, size_t max, char **out, size_t *len)
{
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uint64_t)st.st_size > max)
                return -EFBIG;
        r = read_file(path, out, len);
        if (r >= 0 && *len > max) {
                free(*out);
                *out = NULL;
                return -EFBIG;
        }
        return r;
}

int media_dir_replaceable(const char *outdir, const char *marker, struct diag *d)
{
        _cleanup_closedir_ DIR *dir = opendir(outdir);
        _cleanup_free_ char *m = path_join(outdir, marker);
        struct dirent *e;

        if (!dir && errno == ENOENT)
                return 0;
        if (!dir)
                return diag_err(d, -errno, "output directory \"%s\": %m", outdir);
        if (m && access(m, F_OK) == 0)
                return 0;
        while ((e = readdir(dir)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        return diag_err(d, -EEXIST,
                                        "output directory \"%s\" is not empty and has no %s: "
                                        "not replacing it",
                                        outdir, marker);
        return 0;
}

int media_dir_tmp(const char *outdir, char **tmp, struct diag *d)
{
        _cleanup_free_ char *parent = path_dirname(outdir);
        const char *base = strrchr(outdir, '/');
        int r;

        if (!parent)
                return diag_err(d, -ENOMEM, "out of memory");
        r = mkdir_p(parent, 0755);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", parent, strerror(-r));
        if (asprintf(tmp, "%s/.%s.tmp-%d-XXXXXX", parent, base ? base + 1 : outdir, (int)getpid()) <
            0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!mkdtemp(*tmp)) {
                r = diag_err(d, -errno, "cannot create a directory beside \"%s\": %m", outdir);
                free(*tmp);
                *tmp = NULL;
                return r;
        }
        if (chmod(*tmp, 0755) < 0)
                return diag_err(d, -errno, "cannot chmod \"%s\": %m", *tmp);
        return 0;
}

int media_dir_swap(const char *tmp, const char *outdir, struct diag *d)
{
        _cleanup_free_ char *parent = path_dirname(outdir);
        _cleanup_close_ int pfd = -1;

        if (!parent)
                return diag_err(d, -ENOMEM, "out of memory");
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, outdir, RENAME_EXCHANGE) == 0) {
                (void)rm_rf(tmp); /* now the old set */
        } else if (errno != ENOENT || rename(tmp, outdir) < 0) {
                return diag_err(d, -errno, "cannot move the new set into \"%s\": %m", outdir);
        }
        pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd >= 0)
                (void)fsync(pfd);
        return 0;
}

bool media_all_zero(const void *p, size_t n)
{
        const uint8_t *b = p;
        uint64_t acc = 0, w;

        for (; n >= 8; b += 8, n -= 8) {
                memcpy(&w, b, 8);
                acc |= w;
        }
        while (n--)
                acc |= *b++;
        return acc == 0;
}
