/* files.c: the recipe's files, directories and symlinks written into the staged root. */
#include "steps.h"
#include "rootfs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Owner and group by name (staged passwd/group) or number; none given: root,
 * as the loader's defaults say. "root" is 0 even in a root without a passwd. */
static int file_owner(int rootfd, const struct file_spec *f, uid_t *uid, gid_t *gid, struct diag *d)
{
        long u = 0, g = 0;

        if (f->owner && strcmp(f->owner, "root") &&
            account_id(rootfd, "/etc/passwd", f->owner, &u, NULL) < 0)
                return diag_at(d, &f->mark,
                               "file \"%s\": owner \"%s\" is not a user of the root (nor a number)",
                               f->path, f->owner);
        if (f->group && strcmp(f->group, "root") &&
            account_id(rootfd, "/etc/group", f->group, &g, NULL) < 0)
                return diag_at(
                        d, &f->mark,
                        "file \"%s\": group \"%s\" is not a group of the root (nor a number)",
                        f->path, f->group);
        *uid = (uid_t)u;
        *gid = (gid_t)g;
        return 0;
}

/* A host file copied in through a temp file beside the target, holes kept. */
static int copy_source(int rootfd, const struct file_spec *f, mode_t mode, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_parent(rootfd, f->path, &name);
        _cleanup_close_ int in = open(f->source, O_RDONLY | O_CLOEXEC);
        struct atomic_file a;
        struct stat st;
        int r;

        if (dfd < 0)
                return dfd;
        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        r = atomic_openat(&a, dfd, name);
        if (r < 0)
                return r;
        r = ftruncate(a.fd, st.st_size) < 0 ? -errno
                                            : copy_sparse_range(in, 0, a.fd, 0, st.st_size);
        if (r >= 0)
                r = rootfs_commit(&a, mode, uid, gid);
        atomic_release(&a);
        return r;
}

static int make_dir(int rootfd, const struct file_spec *f, mode_t mode, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_parent(rootfd, f->path, &name);
        _cleanup_close_ int fd = -1;

        if (dfd < 0)
                return dfd;
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -EEXIST : -errno;
        return (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) ? -errno : 0;
}

static int make_symlink(int rootfd, const struct file_spec *f, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = -1;
        int r = rootfs_symlink(rootfd, f->path, f->target);

        if (r < 0 || (!uid && !gid))
                return r;
        dfd = rootfs_parent(rootfd, f->path, &name);
        if (dfd < 0)
                return dfd;
        return fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int apply_file(int rootfd, const struct file_spec *f, struct diag *d)
{
        mode_t mode = f->mode & 07777;
        uid_t uid = 0;
        gid_t gid = 0;
        int r = file_owner(rootfd, f, &uid, &gid, d);

        if (r < 0)
                return r;
        /* mode 0 means "not given": the loader's defaults, again, for hand-built roles */
        if (!mode)
                mode = f->type == FILE_DIRECTORY ? 0755 : 0644;
        switch (f->type) {
        case FILE_DIRECTORY: r = make_dir(rootfd, f, mode, uid, gid); break;
        case FILE_SYMLINK: r = make_symlink(rootfd, f, uid, gid); break;
        case FILE_REGULAR:
        default:
                r = f->source ? copy_source(rootfd, f, mode, uid, gid)
                              : rootfs_write(rootfd, f->path, f->content ? f->content : "",
                                             f->content ? f->content_len : 0, mode, uid, gid);
                break;
        }
        if (r == -EISDIR || r == -EEXIST)
                return diag_at(d, &f->mark, "file \"%s\": the root already has a %s there", f->path,
                               r == -EISDIR ? "directory" : "symlink or file");
        if (r < 0)
                return diag_at(d, &f->mark, "file \"%s\": %s", f->path, strerror(-r));
        return 0;
}

int files_apply(const struct role *r, int rootfd, struct diag *d)
{
        for (size_t i = 0; i < r->n_files; i++) {
                int rr = apply_file(rootfd, &r->files[i], d);

                if (rr < 0)
                        return rr;
        }
        return 0;
}
