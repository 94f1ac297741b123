/* common.c: what the filesystem handlers share: tool environment, output file, checks. */
#include "fsint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

void fs_env_init(struct fs_env *e, const struct fs_spec *s)
{
        snprintf(e->epoch, sizeof(e->epoch), "SOURCE_DATE_EPOCH=%llu",
                 (unsigned long long)s->epoch);
        snprintf(e->fake_time, sizeof(e->fake_time), "E2FSPROGS_FAKE_TIME=%llu",
                 (unsigned long long)s->epoch);
        e->env[0] = e->epoch;
        e->env[1] = e->fake_time;
        e->env[2] = "TZ=UTC"; /* FAT keeps local time */
        e->env[3] = "LC_ALL=C";
        e->env[4] = "MTOOLS_SKIP_CHECK=1";
        e->env[5] = NULL;
}

int fs_out_open(struct atomic_file *a, const char *out, uint64_t size, struct diag *d)
{
        int r = atomic_open(a, out, 0644);

        if (r < 0)
                return diag_err(d, r, "cannot create \"%s\": %s", out, strerror(-r));
        if (size && ftruncate(a->fd, (off_t)size) < 0) {
                r = -errno;
                atomic_release(a);
                return diag_err(d, r, "cannot size \"%s\": %s", out, strerror(-r));
        }
        return 0;
}

int fs_out_commit(struct atomic_file *a, struct diag *d)
{
        int r;

        close(a->fd);
        a->fd = open(a->tmp, O_RDONLY | O_CLOEXEC);
        if (a->fd < 0)
                return diag_err(d, -errno, "cannot reopen \"%s\": %s", a->tmp, strerror(errno));
        r = atomic_commit(a);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", a->final, strerror(-r));
        return 0;
}

int fs_check_fits(const struct fs_spec *s, const char *path, struct diag *d)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return diag_err(d, -errno, "cannot stat \"%s\": %s", path, strerror(errno));
        if ((uint64_t)st.st_size > s->size)
                return diag_at(d, &s->mark,
                               "%s image of %lld bytes does not fit in the partition (%llu bytes)",
                               s->type, (long long)st.st_size, (unsigned long long)s->size);
        return 0;
}

int fs_check_common(const struct fs_spec *s, uint64_t min, size_t max_label, struct diag *d)
{
        int r = 0;

        if (s->size < min)
                r = diag_at(d, &s->mark, "%s needs at least %llu KiB, the partition has %llu KiB",
                            s->type, (unsigned long long)(min / 1024),
                            (unsigned long long)(s->size / 1024));
        if (s->label && strlen(s->label) > max_label)
                r = diag_at(d, &s->mark, "%s label \"%s\" is longer than %zu characters", s->type,
                            s->label, max_label);
        return r;
}

int fs_empty_tree(const struct fs_spec *s, const char *out, char **dir, struct diag *d)
{
        _cleanup_free_ char *parent = path_dirname(out);
        struct timespec t[2] = {{(time_t)s->epoch, 0}, {(time_t)s->epoch, 0}};
        char *p = NULL;

        if (!parent || asprintf(&p, "%s/.empty-XXXXXX", parent) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!mkdtemp(p)) {
                int r = -errno;

                free(p);
                return diag_err(d, r, "cannot create a directory in \"%s\": %s", parent,
                                strerror(-r));
        }
        (void)chmod(p, 0755);
        (void)utimensat(AT_FDCWD, p, t, 0);
        *dir = p;
        return 0;
}

int fs_make_image(const struct fs_spec *s, const char *out, fs_tool_fn tool, struct diag *d)
{
        _cleanup_free_ char *empty = NULL;
        struct atomic_file a;
        int r;

        if (!s->tree) {
                r = fs_empty_tree(s, out, &empty, d);
                if (r < 0)
                        return r;
        }
        r = fs_out_open(&a, out, 0, d);
        if (r >= 0) {
                r = tool(s, s->tree ? s->tree : empty, a.tmp, d);
                if (r >= 0)
                        r = fs_check_fits(s, a.tmp, d);
                if (r >= 0)
                        r = fs_out_commit(&a, d);
                atomic_release(&a);
        }
        if (empty)
                rm_rf(empty);
        return r;
}
