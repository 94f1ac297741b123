/* sign_file.c: Authenticode signing and verification of EFI binaries on disk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "authenticode.h"
#include "sign.h"

/* The input read-only through a private mapping: no copy of a large image. It
 * stays valid when out replaces in, since the rename leaves this inode alone. The
 * descriptor stays open for copying the unchanged bytes kernel-side. */
struct mapped {
        uint8_t *p;
        size_t len;
        int fd;
};

static int map_file(const char *path, struct mapped *m, struct diag *d)
{
        int fd = m->fd = open(path, O_RDONLY | O_CLOEXEC);
        static uint8_t empty[1];
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return diag_err(d, -errno, "cannot read \"%s\": %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_err(d, -EINVAL, "\"%s\" is not a regular file", path);
        m->len = (size_t)st.st_size;
        if (!m->len) {
                m->p = empty;
                return 0;
        }
        /* populated at once: the digest reads every page */
        m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m->p == MAP_FAILED)
                return diag_err(d, -errno, "cannot map \"%s\": %s", path, strerror(errno));
        return 0;
}

static void unmap_file(struct mapped *m)
{
        if (m->p && m->len)
                munmap(m->p, m->len);
        m->p = NULL;
        if (m->fd >= 0)
                close(m->fd);
        m->fd = -1;
}

int authenticode_sign_file(const char *in, const char *out, EVP_PKEY *key, X509 *cert, bool append,
                           struct diag *d)
{
        _cleanup_(unmap_file) struct mapped m = {.fd = -1};
        struct signed_parts p;
        struct atomic_file a = {.fd = -1};
        int r;

        r = map_file(in, &m, d);
        if (r < 0)
                return r;
        r = authenticode_sign_parts(m.p, m.len, key, cert, append, &p, in, d);
        if (r < 0)
                return r;
        r = atomic_open(&a, out, 0644);
        if (r < 0) {
                signed_parts_release(&p);
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        }
        /* headers, the input's unchanged bytes copied by the kernel, the new tail */
        r = write_full(a.fd, p.head, p.head_len);
        if (r >= 0)
                r = copy_sparse_range(m.fd, (off_t)p.head_len, a.fd, (off_t)p.head_len,
                                      (off_t)p.mid_len);
        if (r >= 0 && lseek(a.fd, (off_t)(p.head_len + p.mid_len), SEEK_SET) < 0)
                r = -errno;
        if (r >= 0)
                r = write_full(a.fd, p.tail, p.tail_len);
        if (r >= 0)
                r = atomic_commit(&a);
        atomic_release(&a);
        signed_parts_release(&p);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", out, strerror(-r));
        return 0;
}

int authenticode_verify_file(const char *path, X509 *anchor, const char *anchor_name,
                             struct diag *d)
{
        _cleanup_(unmap_file) struct mapped m = {.fd = -1};
        int r = map_file(path, &m, d);

        if (r < 0)
                return r;
        return authenticode_verify_buf(m.p, m.len, anchor, anchor_name, path, d);
}
