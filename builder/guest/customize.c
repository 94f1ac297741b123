/* customize.c: a role's overlays, files, accounts and services applied to an existing image. */
#include "guestint.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

/* The recipe's changes are staged in a scratch tree with the stage module's own
 * steps (the same hostile-archive checks, owner lookups and account editing as
 * a fresh root), then streamed into the image as one tar. */
struct custom {
        guestfs_h *g;
        const char *image;
        const struct role *r;
        uint64_t epoch;
        struct archive *tar;
        struct diag *d;
};

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

static void entry_freep(struct archive_entry **e)
{
        if (*e)
                archive_entry_free(*e);
}

/* A directory the image has (or a link to one) keeps its own mode and owner,
 * unless the recipe's files name it: GNU tar would otherwise replace a
 * /lib -> usr/lib link with a directory. */
static bool keep_image_dir(struct custom *c, const char *abs)
{
        for (size_t i = 0; i < c->r->n_files; i++)
                if (c->r->files[i].type == FILE_DIRECTORY && !strcmp(c->r->files[i].path, abs))
                        return false;
        return guestfs_is_dir_opts(c->g, abs, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 1, -1) > 0;
}

static int tar_entry(struct custom *c, int dfd, const char *name, const char *rel,
                     const struct stat *st)
{
        _cleanup_(entry_freep) struct archive_entry *e = archive_entry_new();
        char target[4096];
        ssize_t n;

        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, rel);
        archive_entry_copy_stat(e, st);
        /* numeric owners only: names would be looked up in the appliance's passwd */
        archive_entry_set_uname(e, NULL);
        archive_entry_set_gname(e, NULL);
        archive_entry_set_mtime(e, (time_t)c->epoch, 0);
        archive_entry_unset_atime(e);
        archive_entry_unset_ctime(e);
        archive_entry_set_nlink(e, 1);
        if (S_ISLNK(st->st_mode)) {
                n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                archive_entry_set_symlink(e, target);
        }
        if (!S_ISREG(st->st_mode))
                archive_entry_set_size(e, 0);
        if (archive_write_header(c->tar, e) != ARCHIVE_OK)
                return diag_err(c->d, -EIO, "staging tar: %s: %s", rel,
                                archive_error_string(c->tar));
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                char buf[65536];

                if (fd < 0)
                        return -errno;
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        if (archive_write_data(c->tar, buf, (size_t)n) != n)
                                return diag_err(c->d, -EIO, "staging tar: %s: %s", rel,
                                                archive_error_string(c->tar));
                if (n < 0)
                        return -errno;
        }
        return 0;
}

static int tar_dir(struct custom *c, int dfd, const char *rel)
{
        _cleanup_closedir_ DIR *dir = NULL;
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        int rc = 0;

        if (fd < 0 || !(dir = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        while (rc >= 0 && (de = readdir(dir))) {
                _cleanup_free_ char *sub = NULL;
                _cleanup_close_ int subfd = -1;
                struct stat st;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (asprintf(&sub, "%s/%s", rel, de->d_name) < 0)
                        return -ENOMEM;
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                if (!S_ISDIR(st.st_mode) || !keep_image_dir(c, sub))
                        rc = tar_entry(c, dfd, de->d_name, sub + 1, &st);
                if (rc < 0 || !S_ISDIR(st.st_mode))
                        continue;
                subfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                rc = subfd < 0 ? -errno : tar_dir(c, subfd, sub);
        }
        return rc;
}

/* The staged tree as a tar file, entries in readdir order (the image's
 * filesystem orders them anyway). */
static int write_tar(struct custom *c, const char *stage, const char *tarpath)
{
        _cleanup_(archive_freep) struct archive *a = archive_write_new();
        _cleanup_close_ int rootfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rc;

        if (!a || rootfd < 0)
                return diag_err(c->d, rootfd < 0 ? -errno : -ENOMEM, "staging tar: %s",
                                strerror(errno));
        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_filename(a, tarpath) != ARCHIVE_OK)
                return diag_err(c->d, -EIO, "staging tar %s: %s", tarpath, archive_error_string(a));
        c->tar = a;
        rc = tar_dir(c, rootfd, "");
        c->tar = NULL;
        if (rc < 0)
                return c->d->n ? rc
                               : diag_err(c->d, rc, "staging tar %s: %s", tarpath, strerror(-rc));
        if (archive_write_close(a) != ARCHIVE_OK)
                return diag_err(c->d, -EIO, "staging tar %s: %s", tarpath, archive_error_string(a));
        return 0;
}

static int cmp_len(const void *a, const void *b)
{
        size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

        return la < lb ? -1 : la > lb;
}

/* The OS libguestfs finds, its filesystems mounted as its fstab says. */
static int mount_os(guestfs_h *g, const char *image, struct diag *d)
{
        _cleanup_strv_ char **roots = guestfs_inspect_os(g);
        _cleanup_strv_ char **mps = NULL;
        _cleanup_free_ char **order = NULL;
        size_t n = 0;

        if (!roots)
                return gfail(d, g, image, "inspect");
        if (!roots[0])
                return diag_err(d, -ENOENT, "%s: no operating system found in the image", image);
        mps = guestfs_inspect_get_mountpoints(g, roots[0]);
        if (!mps)
                return gfail(d, g, image, "mountpoints of %s", roots[0]);
        while (mps[n])
                n++;
        order = calloc(n / 2 + 1, sizeof(*order));
        if (!order)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i + 1 < n; i += 2)
                order[i / 2] = mps[i];
        /* parents before children: "/" before "/boot" before "/boot/efi" */
        qsort(order, n / 2, sizeof(*order), cmp_len);
        for (size_t i = 0; i < n / 2; i++) {
                const char *dev = NULL;

                for (size_t k = 0; k + 1 < n; k += 2)
                        if (mps[k] == order[i])
                                dev = mps[k + 1];
                if (guestfs_mount(g, dev, order[i]) < 0)
                        return gfail(d, g, image, "mount %s on %s", dev, order[i]);
        }
        return 0;
}

/* The image's account files, so the stage's account editing appends to them. */
static int fetch_accounts(struct custom *c, const char *stage)
{
        static const char *const dbs[] = {"/etc/passwd", "/etc/group", "/etc/shadow",
                                          "/etc/gshadow"};
        _cleanup_free_ char *etc = path_join(stage, "etc");

        if (!etc || mkdir_p(etc, 0755) < 0)
                return diag_err(c->d, -errno, "staging %s: %s", stage, strerror(errno));
        for (size_t i = 0; i < ARRAY_SIZE(dbs); i++) {
                _cleanup_free_ char *local = path_join(stage, dbs[i] + 1);
                struct guestfs_statns *st = NULL;
                int rc = 0;

                if (!local)
                        return diag_err(c->d, -ENOMEM, "out of memory");
                /* an overlay's own account file is the base, as in a fresh root */
                if (access(local, F_OK) == 0 || guestfs_is_file(c->g, dbs[i]) <= 0)
                        continue;
                st = guestfs_lstatns(c->g, dbs[i]);
                if (!st || guestfs_download(c->g, dbs[i], local) < 0) {
                        guestfs_free_statns(st);
                        return gfail(c->d, c->g, c->image, "download %s", dbs[i]);
                }
                /* shadow is root:shadow 0640 on Debian: the rewrite keeps what was there */
                if (chown(local, (uid_t)st->st_uid, (gid_t)st->st_gid) < 0 ||
                    chmod(local, (mode_t)(st->st_mode & 07777)) < 0)
                        rc = diag_err(c->d, -errno, "%s: %s", local, strerror(errno));
                guestfs_free_statns(st);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* Overlays need nothing from the image: a hostile archive is refused before
 * any launch or copy. */
static int stage_overlays(const struct role *r, const char *stage, struct diag *d)
{
        _cleanup_close_ int rootfd = -1;
        int rc;

        if (mkdir(stage, 0755) < 0)
                return diag_err(d, -errno, "staging %s: %s", stage, strerror(errno));
        rootfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return diag_err(d, -errno, "staging %s: %s", stage, strerror(errno));
        for (size_t i = 0; i < r->n_overlays; i++) {
                rc = overlay_apply(&r->overlays[i], stage, rootfd, NULL, d);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* Accounts and files over the staged overlays: owners resolve against the image's passwd. */
static int stage_changes(struct custom *c, const char *stage)
{
        struct stage_opts o = {.epoch = c->epoch, .work = stage};
        _cleanup_close_ int rootfd = -1;
        int rc;

        if (c->r->n_users || c->r->n_groups || c->r->n_files) {
                rc = fetch_accounts(c, stage);
                if (rc < 0)
                        return rc;
        }
        rootfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return diag_err(c->d, -errno, "staging %s: %s", stage, strerror(errno));
        return stage_accounts_files(c->r, rootfd, &o, c->d);
}

static const char *const unit_dirs[] = {"/etc/systemd/system", "/lib/systemd/system",
                                        "/usr/lib/systemd/system"};

/* Services of an existing image are systemd units: write one for a command,
 * then the link `systemctl enable` would make. */
static int enable_service(struct custom *c, const struct service_spec *s)
{
        _cleanup_free_ char *unit = NULL, *found = NULL, *link = NULL;

        if (asprintf(&unit, "%s%s", s->name, strchr(s->name, '.') ? "" : ".service") < 0)
                return diag_err(c->d, -ENOMEM, "out of memory");
        if (s->command) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (asprintf(&path, "/etc/systemd/system/%s", unit) < 0 ||
                    !(text = stage_service_unit(s)))
                        return diag_err(c->d, -ENOMEM, "out of memory");
                if (guestfs_mkdir_p(c->g, "/etc/systemd/system") < 0 ||
                    guestfs_write(c->g, path, text, strlen(text)) < 0 ||
                    guestfs_chmod(c->g, 0644, path) < 0)
                        return gfail(c->d, c->g, c->image, "service %s: write %s", s->name, path);
        }
        for (size_t i = 0; i < ARRAY_SIZE(unit_dirs) && !found; i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", unit_dirs[i], unit) < 0)
                        return diag_err(c->d, -ENOMEM, "out of memory");
                if (guestfs_is_file_opts(c->g, p, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) > 0)
                        found = TAKE_PTR(p);
        }
        if (!found)
                return diag_at(c->d, &s->mark,
                               "service \"%s\": the image has no unit \"%s\" in %s, %s or %s",
                               s->name, unit, unit_dirs[0], unit_dirs[1], unit_dirs[2]);
        if (asprintf(&link, "/etc/systemd/system/multi-user.target.wants/%s", unit) < 0)
                return diag_err(c->d, -ENOMEM, "out of memory");
        if (guestfs_mkdir_p(c->g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
            guestfs_ln_sf(c->g, found, link) < 0)
                return gfail(c->d, c->g, c->image, "service %s: enable", s->name);
        return 0;
}

static int apply_changes(struct custom *c, const char *work)
{
        _cleanup_free_ char *stage = path_join(work, "root"), *tar = path_join(work, "changes.tar");
        int rc;

        if (!stage || !tar)
                return diag_err(c->d, -ENOMEM, "out of memory");
        rc = mount_os(c->g, c->image, c->d);
        if (rc >= 0)
                rc = stage_changes(c, stage);
        if (rc >= 0)
                rc = write_tar(c, stage, tar);
        if (rc < 0)
                return rc;
        if (guestfs_tar_in_opts(c->g, tar, "/", GUESTFS_TAR_IN_OPTS_XATTRS, 0, -1) < 0)
                return gfail(c->d, c->g, c->image, "tar-in of the recipe's changes");
        for (size_t i = 0; i < c->r->n_services; i++) {
                rc = enable_service(c, &c->r->services[i]);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int convert_raw(const char *src, const char *dst, struct diag *d)
{
        const char *fmt = guest_detect_format(src, d);
        const char *argv[] = {"qemu-img", "convert", "-q", "-f", fmt, "-O", "raw", src, dst, NULL};

        /* the format is named: probing a raw file that looks like qcow2 is unsafe */
        return fmt ? run_argv(argv, NULL, d) : -errno;
}

int guest_customize(const char *src_image, const char *out_raw, const struct role *r,
                    uint64_t epoch, struct diag *d)
{
        _cleanup_(atomic_release) struct atomic_file out = {.fd = -1};
        _cleanup_free_ char *dir = path_dirname(out_raw), *work = NULL, *stage = NULL;
        struct custom c = {.image = out_raw, .r = r, .epoch = epoch, .d = d};
        int rc;

        if (geteuid() != 0)
                return diag_err(d, -EPERM,
                                "customizing an image needs root privileges to set file owners "
                                "(run as root)");
        if (!dir || asprintf(&work, "%s/.customize.XXXXXX", dir) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!mkdtemp(work))
                return diag_err(d, -errno, "%s: scratch directory: %s", dir, strerror(errno));
        stage = path_join(work, "root");
        rc = stage ? stage_overlays(r, stage, d) : diag_err(d, -ENOMEM, "out of memory");
        if (rc >= 0 && (rc = atomic_open(&out, out_raw, 0644)) < 0)
                diag_err(d, rc, "%s: %s", out_raw, strerror(-rc));
        if (rc >= 0)
                rc = convert_raw(src_image, out.tmp, d);
        if (rc >= 0)
                rc = guest_open(out.tmp, "raw", false, &c.g, d);
        if (rc >= 0) {
                rc = apply_changes(&c, work);
                if (rc < 0)
                        guestfs_close(c.g);
                else
                        rc = guest_finish(c.g, out_raw, d);
        }
        if (rc >= 0) {
                rc = atomic_commit(&out);
                if (rc < 0)
                        diag_err(d, rc, "%s: %s", out_raw, strerror(-rc));
        }
        rm_rf(work);
        return rc;
}
