/* extract.c: untrusted archives unpacked into a root tree with libarchive, every entry checked. */
#include "extract.h"
#include "rootfs.h"
#include "util/cleanup.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_read_free)
DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_write_free)

/* libarchive's own SECURE_* checks stay on as a second line; ours come first
 * because they give messages that name the archive and the entry. Absolute
 * paths cannot be refused by libarchive: we hand it root-prefixed ones. */
#define WRITE_FLAGS                                                                                \
        (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_UNLINK |                   \
         ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT)

#define NOT_ARCHIVE                                                                                \
        "not a tar or cpio archive (expected tar or cpio, plain or compressed with gzip, xz, "     \
        "zstd or bzip2)"

struct xctx {
        const char *name; /* the archive, for messages */
        const char *root; /* canonical path of the root */
        int rootfd;
        const struct extract_opts *o;
        char *prefix; /* normalized strip_prefix, or NULL */
        struct diag *d;
};

/* A message about one entry of the archive; returns err. */
static int entry_fail(struct xctx *x, int err, const char *entry, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int entry_fail(struct xctx *x, int err, const char *entry, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_ventry(x->d, err, x->name, entry, fmt, ap);
        va_end(ap);
        return r;
}

/* An entry the archive may not have: -EPERM. */
#define refuse(x, entry, ...) entry_fail((x), -EPERM, (entry), __VA_ARGS__)

/* A write into the root failed: out of space (or quota) says so with the room the
 * entry wanted and where; anything else carries libarchive's message. */
static int write_failed(struct xctx *x, struct archive *w, const char *entry, int64_t size)
{
        int e = archive_errno(w);

        if (e == ENOSPC || e == EDQUOT)
                return entry_fail(x, -e, entry,
                                  "%s while writing into %s (this entry alone is %lld "
                                  "bytes; free at least that much, or put the cache on "
                                  "a larger filesystem)",
                                  strerror(e), x->root, (long long)size);
        return refuse(x, entry, "%s", archive_error_string(w));
}

/* Normalize a name from the archive (the entry's path, or its hard link target
 * when entry is set) and take strip_prefix off. 0 with *rel set; 1 when the
 * name lies outside strip_prefix (skipped); <0 refused. */
static int entry_name(struct xctx *x, const char *entry, const char *raw, char **rel)
{
        static const char why[] = "(expected a relative path inside the archive)";
        _cleanup_free_ char *n = NULL;
        size_t pl, cut;
        int v = name_normalize(raw, false, &n);

        *rel = NULL;
        if (v < 0)
                return diag_err(x->d, v, "%s: out of memory", x->name);
        if (!entry) {
                if (v == NAME_EMPTY)
                        return refuse(x, raw, "empty name %s", why);
                if (v == NAME_ABSOLUTE)
                        return refuse(x, raw, "path is absolute %s", why);
                if (v == NAME_DOTDOT)
                        return refuse(x, raw, "path leaves the root %s", why);
        } else {
                if (v == NAME_EMPTY)
                        return refuse(x, entry, "hard link with an empty target %s", why);
                if (v == NAME_ABSOLUTE)
                        return refuse(x, entry, "hard link target \"%s\" is absolute %s", raw, why);
                if (v == NAME_DOTDOT)
                        return refuse(x, entry, "hard link target \"%s\" leaves the root %s", raw,
                                      why);
        }
        if (x->prefix && x->prefix[0]) {
                pl = strlen(x->prefix);
                if (strncmp(n, x->prefix, pl) || (n[pl] && n[pl] != '/'))
                        return 1;
                cut = pl + (n[pl] ? 1 : 0);
                memmove(n, n + cut, strlen(n + cut) + 1);
        }
        *rel = TAKE_PTR(n);
        return 0;
}

static int check_type(struct xctx *x, const char *raw, struct archive_entry *e)
{
        mode_t type = archive_entry_filetype(e), perm = archive_entry_perm(e);

        /* a hard link carries whatever type its header claims (often none):
         * libarchive links it, so only its mode bits matter here */
        if (archive_entry_hardlink(e))
                type = AE_IFREG;
        switch (type) {
        case AE_IFREG:
        case AE_IFDIR:
        case AE_IFLNK: break;
        case AE_IFCHR:
        case AE_IFBLK:
                if (!x->o->allow_devices)
                        return refuse(x, raw, "device node not allowed (allow_devices is off)");
                break;
        case AE_IFIFO:
                if (!x->o->allow_devices)
                        return refuse(x, raw, "FIFO not allowed (allow_devices is off)");
                break;
        default:
                return refuse(
                        x, raw,
                        "unsupported entry type 0%o (expected a file, directory, link or device)",
                        (unsigned)type);
        }
        if ((perm & S_ISUID) && !x->o->allow_setuid)
                return refuse(x, raw, "setuid bit not allowed (mode %04o; allow_setuid is off)",
                              (unsigned)perm);
        if ((perm & S_ISGID) && !x->o->allow_setuid)
                return refuse(x, raw, "setgid bit not allowed (mode %04o; allow_setuid is off)",
                              (unsigned)perm);
        return 0;
}

/* The entry's parents must be real directories: never write through a link. */
static int check_parents(struct xctx *x, const char *raw, const char *rel, const char *what)
{
        _cleanup_free_ char *bad = NULL;
        int r = parents_check(x->rootfd, rel, &bad);

        if (r == 1)
                return refuse(x, raw, "%s would go through the symlink \"%s\" inside the root",
                              what, bad);
        if (r == 2)
                return refuse(x, raw, "%s goes through \"%s\", which is not a directory", what,
                              bad);
        if (r < 0)
                return refuse(x, raw, "cannot inspect the root: %s", strerror(-r));
        return 0;
}

static int check_hardlink(struct xctx *x, const char *raw, const char *target, char **hl_rel)
{
        struct stat st;
        int r = entry_name(x, raw, target, hl_rel);

        if (r < 0)
                return r;
        if (r == 1 || !(*hl_rel)[0])
                return refuse(x, raw,
                              "hard link target \"%s\" is not an earlier entry of the archive",
                              target);
        r = check_parents(x, raw, *hl_rel, "hard link target");
        if (r < 0)
                return r;
        if (fstatat(x->rootfd, *hl_rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return refuse(x, raw,
                              "hard link target \"%s\" is not an earlier entry of the archive",
                              target);
        /* a link to a symlink would move its relative target to another directory */
        if (!S_ISREG(st.st_mode))
                return refuse(x, raw, "hard link target \"%s\" is not a regular file", target);
        return 0;
}

/* Everything we check before libarchive sees the entry. 0: extract it (with *rel
 * and maybe *hl_rel set); 1: skip it; <0: refused. */
static int check_entry(struct xctx *x, struct archive_entry *e, char **rel, char **hl_rel)
{
        const char *raw = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
        const char *target = archive_entry_symlink(e);
        struct stat st;
        int r;

        if (!raw)
                return diag_err(x->d, -EPERM, "%s: an entry has a name that cannot be read",
                                x->name);
        r = entry_name(x, NULL, raw, rel);
        if (r)
                return r;
        if (!(*rel)[0])
                return 1; /* the root itself: its mode is the stager's business */
        r = check_type(x, raw, e);
        if (r < 0)
                return r;
        r = check_parents(x, raw, *rel, "path");
        if (r < 0)
                return r;
        if (hl) {
                r = check_hardlink(x, raw, hl, hl_rel);
                if (r < 0)
                        return r;
        } else if (archive_entry_filetype(e) == AE_IFLNK) {
                if (!target || !target[0])
                        return refuse(x, raw, "symlink with an empty target");
                if (!link_target_stays(*rel, target))
                        return refuse(x, raw, "symlink target \"%s\" leaves the root", target);
        }
        if (fstatat(x->rootfd, *rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                if (!hl && archive_entry_filetype(e) == AE_IFDIR)
                        return refuse(x, raw, "would replace the symlink \"%s\" with a directory",
                                      *rel);
                /* replace the link itself; writing to its target is never wanted */
                if (unlinkat(x->rootfd, *rel, 0) < 0)
                        return refuse(x, raw, "cannot remove the symlink \"%s\": %s", *rel,
                                      strerror(errno));
        }
        return 0;
}

/* Missing parents are made here, 0755 and root's, rather than by libarchive,
 * whose modes for them would follow the umask of the build host. */
static int make_parents(struct xctx *x, const char *raw, const char *rel)
{
        _cleanup_free_ char *dir = strdup(rel);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        int fd;

        if (!dir)
                return diag_err(x->d, -ENOMEM, "%s: out of memory", x->name);
        if (!slash)
                return 0;
        *slash = 0;
        fd = rootfs_mkdirs(x->rootfd, dir, 0755);
        if (fd < 0)
                return refuse(x, raw, "cannot create its directory: %s", strerror(-fd));
        close(fd);
        return 0;
}

static int copy_data(struct xctx *x, struct archive *in, struct archive *w, const char *raw,
                     int64_t entry_size)
{
        const void *buf;
        size_t size;
        la_int64_t off;
        int r;

        while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK) {
                uint64_t *left = x->o ? x->o->budget : NULL;

                if (left && size > *left)
                        return refuse(x, raw,
                                      "the archive expands past what the role's disk can hold "
                                      "(stopped here, with %llu bytes left)",
                                      (unsigned long long)*left);
                if (left)
                        *left -= size;
                if (archive_write_data_block(w, buf, size, off) < ARCHIVE_OK)
                        return write_failed(x, w, raw, entry_size);
        }
        if (r != ARCHIVE_EOF)
                return refuse(x, raw, "%s",
                              archive_error_string(in) ? archive_error_string(in) : "read error");
        return 0;
}

static int write_entry(struct xctx *x, struct archive *in, struct archive *w,
                       struct archive_entry *e)
{
        _cleanup_free_ char *rel = NULL, *hl_rel = NULL, *full = NULL, *full_hl = NULL;
        _cleanup_free_ char *raw =
                strdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        int r = check_entry(x, e, &rel, &hl_rel);

        if (r)
                return r < 0 ? r : 0;
        if (!raw || asprintf(&full, "%s/%s", x->root, rel) < 0)
                return diag_err(x->d, -ENOMEM, "%s: out of memory", x->name);
        r = make_parents(x, raw, rel);
        if (r < 0)
                return r;
        archive_entry_set_pathname(e, full);
        if (hl_rel) {
                if (asprintf(&full_hl, "%s/%s", x->root, hl_rel) < 0)
                        return diag_err(x->d, -ENOMEM, "%s: out of memory", x->name);
                archive_entry_set_hardlink(e, full_hl);
        }
        if (archive_write_header(w, e) < ARCHIVE_WARN)
                return write_failed(x, w, raw, archive_entry_size(e));
        if (archive_entry_filetype(e) == AE_IFREG) {
                r = copy_data(x, in, w, raw, archive_entry_size(e));
                if (r < 0)
                        return r;
        }
        if (archive_write_finish_entry(w) < ARCHIVE_WARN)
                return write_failed(x, w, raw, archive_entry_size(e));
        return 0;
}

static int extract_loop(struct xctx *x, struct archive *in)
{
        _cleanup_(archive_write_freep) struct archive *w = archive_write_disk_new();
        struct archive_entry *e;
        int r;

        if (!w)
                return diag_err(x->d, -ENOMEM, "%s: out of memory", x->name);
        /* no lookup functions: owners stay the numbers in the archive */
        archive_write_disk_set_options(w, WRITE_FLAGS);
        for (bool first = true;; first = false) {
                r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r == ARCHIVE_RETRY)
                        continue;
                if (r < ARCHIVE_WARN) {
                        const char *m = archive_error_string(in);

                        return diag_err(x->d, -EIO, "%s: %s%s", x->name,
                                        first ? NOT_ARCHIVE ": " : "",
                                        m ? m : "cannot read the archive");
                }
                r = write_entry(x, in, w, e);
                if (r < 0)
                        return r;
        }
        /* directory modes are applied here, after their contents */
        if (archive_write_close(w) < ARCHIVE_WARN)
                return diag_err(x->d, -EIO, "%s: %s", x->name, archive_error_string(w));
        return 0;
}

int extract_archive_stream(struct archive *in, const char *name, const char *root,
                           const struct extract_opts *o, struct diag *d)
{
        static const struct extract_opts none;
        _cleanup_free_ char *real = realpath(root, NULL);
        _cleanup_free_ char *prefix = NULL;
        _cleanup_close_ int rootfd = -1;
        struct xctx x = {.name = name, .o = o ? o : &none, .d = d};

        if (!real)
                return diag_err(d, -errno, "%s: root \"%s\": %s", name, root, strerror(errno));
        rootfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return diag_err(d, -errno, "%s: root \"%s\": %s", name, root, strerror(errno));
        if (x.o->strip_prefix && name_normalize(x.o->strip_prefix, false, &prefix) != NAME_OK)
                return diag_err(d, -EINVAL, "%s: strip prefix \"%s\" is not a relative path", name,
                                x.o->strip_prefix);
        x.root = real;
        x.rootfd = rootfd;
        x.prefix = prefix;
        return extract_loop(&x, in);
}

/* tar (ustar, pax, GNU) and cpio, plain or through gzip, xz, zstd or bzip2: what a
 * root or an overlay is shipped as. Not every format libarchive knows: a text file
 * read as mtree would make empty files named after its lines. */
static struct archive *reader_new(void)
{
        struct archive *a = archive_read_new();

        if (!a)
                return NULL;
        if (archive_read_support_filter_none(a) != ARCHIVE_OK ||
            archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
            archive_read_support_filter_xz(a) < ARCHIVE_WARN ||
            archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
            archive_read_support_filter_bzip2(a) < ARCHIVE_WARN ||
            archive_read_support_format_tar(a) != ARCHIVE_OK ||
            archive_read_support_format_cpio(a) != ARCHIVE_OK) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

int extract_probe(const char *path, struct diag *d)
{
        _cleanup_(archive_read_freep) struct archive *a = reader_new();
        struct archive_entry *e;
        int r;

        if (!a)
                return diag_err(d, -ENOMEM, "%s: out of memory", path);
        r = archive_read_open_filename(a, path, 1 << 16);
        if (r == ARCHIVE_OK)
                r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_OK || r == ARCHIVE_EOF)
                return 0;
        return diag_err(d, -EINVAL, "%s: " NOT_ARCHIVE ": %s", path,
                        archive_error_string(a) ? archive_error_string(a) : "unreadable");
}

static int open_failed(struct archive *a, const char *name, struct diag *d)
{
        /* libarchive reports an unknown format as EILSEQ (its ARCHIVE_ERRNO_FILE_FORMAT) */
        bool format = archive_errno(a) == EILSEQ;

        return diag_err(d, -EIO, "%s: %s%s", name, format ? NOT_ARCHIVE ": " : "",
                        archive_error_string(a) ? archive_error_string(a) : "cannot open");
}

int extract_archive(const char *archive, const char *root, const struct extract_opts *o,
                    struct diag *d)
{
        _cleanup_(archive_read_freep) struct archive *a = reader_new();

        if (!a)
                return diag_err(d, -ENOMEM, "%s: out of memory", archive);
        if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK)
                return open_failed(a, archive, d);
        return extract_archive_stream(a, archive, root, o, d);
}

int extract_archive_mem(const void *buf, size_t len, const char *name, const char *root,
                        const struct extract_opts *o, struct diag *d)
{
        _cleanup_(archive_read_freep) struct archive *a = reader_new();

        if (!a)
                return diag_err(d, -ENOMEM, "%s: out of memory", name);
        if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
                return open_failed(a, name, d);
        return extract_archive_stream(a, name, root, o, d);
}
