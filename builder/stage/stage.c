/* stage.c: a role's root tree: base from the table, overlays, accounts, files, services, times. */
#include "stage.h"
#include "base.h"
#include "extract.h"
#include "rootfs.h"
#include "steps.h"
#include "util/cleanup.h"
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct base_source *const bases[] = {
        &base_busybox, &base_tarball, &base_debs, &base_mmdebstrap, &base_image,
};

static const struct base_source *base_find(enum base_kind k)
{
        for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
                if (bases[i]->kind == k)
                        return bases[i];
        return NULL;
}

bool stage_makes_root(const struct role *r)
{
        const struct base_source *b = base_find(r->base.kind);

        return b && b->make;
}

static int check_overlay(const struct overlay_spec *ov, struct diag *d)
{
        struct stat st;

        if (!ov->path)
                return diag_at(d, &ov->mark, "overlay: no path given");
        if (stat(ov->path, &st) < 0)
                return diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(errno));
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                return diag_at(d, &ov->mark,
                               "overlay \"%s\": expected a directory or an archive file", ov->path);
        if (access(ov->path, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK) < 0)
                return diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(errno));
        return S_ISREG(st.st_mode) ? probe_at(&ov->mark, "overlay", ov->path, d) : 0;
}

static int check_file(const struct role *r, size_t i, struct diag *d)
{
        const struct file_spec *f = &r->files[i];
        _cleanup_free_ char *norm = NULL;

        if (!f->path || f->path[0] != '/' || name_normalize(f->path, true, &norm) != NAME_OK ||
            !norm[0])
                return diag_at(d, &f->mark,
                               "file \"%s\": expected an absolute path below / without \"..\"",
                               f->path ? f->path : "");
        for (size_t j = 0; j < i; j++) {
                _cleanup_free_ char *other = NULL;

                if (name_normalize(r->files[j].path, true, &other) == NAME_OK &&
                    !strcmp(other, norm))
                        return diag_at(d, &f->mark, "file \"%s\": given twice (first at line %d)",
                                       f->path, r->files[j].mark.line);
        }
        if (f->type == FILE_SYMLINK && (!f->target || !f->target[0]))
                return diag_at(d, &f->mark, "file \"%s\": symlink without a target", f->path);
        if (f->type == FILE_REGULAR && f->source && f->content)
                return diag_at(d, &f->mark,
                               "file \"%s\": both content and source given (expected one)",
                               f->path);
        if (f->source)
                return base_check_file(&f->mark, "file source", f->source, d);
        return 0;
}

static int check_services(const struct role *r, struct diag *d)
{
        int bad = 0;

        for (size_t i = 0; i < r->n_services; i++) {
                const struct service_spec *s = &r->services[i];

                if (!s->name || !s->name[0] || strpbrk(s->name, "/ \t\n:"))
                        bad = diag_at(d, &s->mark,
                                      "service \"%s\": expected a name without '/', ':' or spaces",
                                      s->name ? s->name : "");
                else if (s->command && (!s->command[0] || strchr(s->command, '\n')))
                        bad = diag_at(d, &s->mark,
                                      "service \"%s\": command must be one non-empty line",
                                      s->name);
        }
        return bad;
}

int stage_check(const struct role *r, struct diag *d)
{
        const struct base_source *b = base_find(r->base.kind);
        int bad = 0;

        if (!b)
                bad = diag_at(d, &r->base.mark,
                              "base: none given (expected one of busybox, tarball, debs, "
                              "mmdebstrap, image)");
        else if (b->check(r, d) < 0)
                bad = -EINVAL;
        for (size_t i = 0; i < r->n_overlays; i++)
                if (check_overlay(&r->overlays[i], d) < 0)
                        bad = -EINVAL;
        for (size_t i = 0; i < r->n_files; i++)
                if (check_file(r, i, d) < 0)
                        bad = -EINVAL;
        if (accounts_check(r, d) < 0 || check_services(r, d) < 0)
                bad = -EINVAL;
        return bad;
}

static int hash_overlay(const struct overlay_spec *ov, struct hasher *h, struct diag *d)
{
        _cleanup_free_ char *real = realpath(ov->path, NULL);
        struct stat st;
        int r;

        /* the directory a link names, not the link: hasher_tree does not follow */
        if (!real || stat(real, &st) < 0)
                return diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(errno));
        hasher_str(h, S_ISDIR(st.st_mode) ? "overlay-tree" : "overlay-archive");
        r = S_ISDIR(st.st_mode) ? hasher_tree(h, real) : hasher_file(h, real);
        return r < 0 ? diag_at(d, &ov->mark, "overlay \"%s\": %s", ov->path, strerror(-r)) : 0;
}

int stage_hash_inputs(const struct role *r, struct hasher *h, struct diag *d)
{
        const struct base_source *b = base_find(r->base.kind);
        int rr;

        if (!b)
                return diag_at(d, &r->base.mark, "base: none given");
        hasher_str(h, "pocbake-stage-3");
        hasher_str(h, b->name);
        /* the partitions /etc/fstab names */
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                hasher_str(h, r->disk.partitions[i].name);
                hasher_str(h, r->disk.partitions[i].fs);
                hasher_str(h, r->disk.partitions[i].mountpoint);
        }
        rr = b->hash(r, h, d);
        for (size_t i = 0; rr >= 0 && i < r->n_overlays; i++)
                rr = hash_overlay(&r->overlays[i], h, d);
        for (size_t i = 0; rr >= 0 && i < r->n_files; i++)
                if (r->files[i].source)
                        rr = base_hash_file(&r->files[i].mark, "file source", r->files[i].source, h,
                                            d);
        return rr;
}

/* The role's host name in /etc/hostname and /etc/hosts (the busybox base writes its
 * own; an image keeps what it has). Overlays and files come after and may differ. */
static int identity_apply(const struct role *r, int rootfd, struct diag *d)
{
        _cleanup_free_ char *host = stage_hostname(r), *name = NULL, *hosts = NULL;
        int rc;

        if (r->base.kind == BASE_BUSYBOX || r->base.kind == BASE_IMAGE)
                return 0;
        if (!host || asprintf(&name, "%s\n", host) < 0 ||
            asprintf(&hosts,
                     "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n",
                     host) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = rootfs_write(rootfd, "/etc/hostname", name, strlen(name), 0644, 0, 0);
        if (rc >= 0)
                rc = rootfs_write(rootfd, "/etc/hosts", hosts, strlen(hosts), 0644, 0, 0);
        return rc < 0 ? diag_err(d, rc, "role %s: cannot write its host name: %s", r->name,
                                 strerror(-rc))
                      : 0;
}

int stage_accounts_files(const struct role *r, int rootfd, const struct stage_opts *o,
                         struct diag *d)
{
        int rr = accounts_apply(r, rootfd, o, d);

        return rr < 0 ? rr : files_apply(r, rootfd, d);
}

int stage_role(const struct role *r, const char *root, const struct stage_opts *o, struct diag *d)
{
        const struct base_source *b;
        _cleanup_close_ int rootfd = -1;
        int rr;

        if (geteuid() != 0)
                return diag_err(
                        d, -EPERM,
                        "staging a root needs root privileges to set file owners (run as root)");
        rr = stage_check(r, d);
        if (rr < 0)
                return rr;
        b = base_find(r->base.kind);
        if (!b->make) {
                diag_at(d, &r->base.mark,
                        "base %s: customized in place, not staged into a root tree", b->name);
                return -ENOTSUP;
        }
        rr = b->make(r, root, o, d);
        if (rr < 0)
                return rr;
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return diag_err(d, -errno, "root \"%s\": %s", root, strerror(errno));
        if (fchown(rootfd, 0, 0) < 0 || fchmod(rootfd, 0755) < 0)
                return diag_err(d, -errno, "root \"%s\": %s", root, strerror(errno));
        rr = identity_apply(r, rootfd, d);
        if (rr < 0)
                return rr;
        for (size_t i = 0; i < r->n_overlays; i++) {
                rr = overlay_apply(&r->overlays[i], root, rootfd, o->budget, d);
                if (rr < 0)
                        return rr;
        }
        rr = stage_accounts_files(r, rootfd, o, d);
        if (rr >= 0)
                rr = services_apply(r, rootfd, d);
        if (rr >= 0)
                rr = network_apply(r, rootfd, d);
        if (rr >= 0)
                rr = fstab_apply(r, rootfd, d);
        if (rr >= 0)
                rr = selfcheck_apply(r, rootfd, d);
        if (rr < 0)
                return rr;
        rr = rootfs_set_times(rootfd, o->epoch);
        return rr < 0 ? diag_err(d, rr, "root \"%s\": setting times: %s", root, strerror(-rr)) : 0;
}
