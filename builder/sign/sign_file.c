/* sign_file.c: Authenticode signing and verification of EFI binaries on disk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fsutil.h"
#include "authenticode.h"
#include "sign.h"

/* The input read-only through a private mapping: no copy of a large image. It
 * stays valid when out replaces in, since the rename leaves this inode alone. */
struct mapped {
        uint8_t *p;
        size_t len;
};

static int map_file(const char *path, struct mapped *m, struct diag *d)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
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
        m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m->p == MAP_FAILED)
                return diag_err(d, -errno, "cannot map \"%s\": %s", path, strerror(errno));
        return 0;
}

static void unmap_file(struct mapped *m)
{
        if (m->p && m->len)
                munmap(m->p, m->len);
        m->p = NULL;
}

int authenticode_sign_file(const char *in, const char *out, EVP_PKEY *key, X509 *cert, bool append,
                           struct diag *d)
{
        _cleanup_(unmap_file) struct mapped m = {0};
        _cleanup_free_ uint8_t *signed_img = NULL;
        struct atomic_file a = {.fd = -1};
        size_t out_len;
        int r;

        r = map_file(in, &m, d);
        if (r < 0)
                return r;
        r = authenticode_sign_buf(m.p, m.len, key, cert, append, &signed_img, &out_len, in, d);
        if (r < 0)
                return r;
        r = atomic_open(&a, out, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        r = write_full(a.fd, signed_img, out_len);
        if (r >= 0)
                r = atomic_commit(&a);
        atomic_release(&a);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", out, strerror(-r));
        return 0;
}

int authenticode_verify_file(const char *path, X509 *anchor, const char *anchor_name,
                             struct diag *d)
{
        _cleanup_(unmap_file) struct mapped m = {0};
        int r = map_file(path, &m, d);

        if (r < 0)
                return r;
        return authenticode_verify_buf(m.p, m.len, anchor, anchor_name, path, d);
}
