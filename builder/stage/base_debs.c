/* base_debs.c: a root unpacked from local .deb files (their data members only). */
#include "base.h"
#include "extract.h"
#include "util/cleanup.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the files of each package are unpacked: maintainer scripts (preinst,
 * postinst, ...) in control.tar are NOT run, and the dpkg database is not
 * written. A root that needs them configured should use mmdebstrap. */

DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_read_free)

struct member_stream {
        struct archive *outer; /* the .deb, positioned at the data member */
        char buf[1 << 16];
};

static la_ssize_t member_read(struct archive *a, void *client, const void **buf)
{
        struct member_stream *s = client;
        la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof(s->buf));

        *buf = s->buf;
        if (n < 0)
                archive_set_error(a, EIO, "%s", archive_error_string(s->outer));
        return n;
}

static bool is_data_member(const char *name)
{
        static const char *const names[] = {"data.tar", "data.tar.gz", "data.tar.xz",
                                            "data.tar.zst", "data.tar.bz2"};

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (!strcmp(name, names[i]))
                        return true;
        return false;
}

static int extract_member(struct archive *deb, const char *path, const char *member,
                          const char *root, struct diag *d)
{
        /* a package's files are the author's choice of base, like a tarball's */
        const struct extract_opts x = {.allow_devices = true, .allow_setuid = true};
        _cleanup_(archive_read_freep) struct archive *in = archive_read_new();
        _cleanup_free_ struct member_stream *s = calloc(1, sizeof(*s));
        _cleanup_free_ char *name = NULL;

        if (!in || !s || asprintf(&name, "%s:%s", path, member) < 0)
                return diag_err(d, -ENOMEM, "%s: out of memory", path);
        s->outer = deb;
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open(in, s, NULL, member_read, NULL) != ARCHIVE_OK)
                return diag_err(d, -EIO, "%s: %s", name, archive_error_string(in));
        return extract_archive_stream(in, name, root, &x, d);
}

static int deb_unpack(const char *path, const char *root, struct diag *d)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;

        if (!a)
                return diag_err(d, -ENOMEM, "%s: out of memory", path);
        archive_read_support_format_ar(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
                return diag_err(d, -EIO, "%s: %s", path, archive_error_string(a));
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                const char *m = archive_entry_pathname(e);

                if (m && is_data_member(m))
                        return extract_member(a, path, m, root, d);
        }
        if (r != ARCHIVE_EOF)
                return diag_err(d, -EIO, "%s: %s", path, archive_error_string(a));
        return diag_err(d, -EINVAL, "%s: no data.tar member (expected a Debian package)", path);
}

static int debs_check(const struct role *r, struct diag *d)
{
        int bad = 0;

        if (!r->base.n_debs)
                return diag_at(d, &r->base.mark,
                               "base debs: no packages given (expected debs: [FILE, ...])");
        for (size_t i = 0; i < r->base.n_debs; i++)
                if (base_check_file(&r->base.mark, "base debs", r->base.debs[i], d) < 0)
                        bad = -EINVAL;
        return bad;
}

static int debs_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        for (size_t i = 0; i < r->base.n_debs; i++) {
                int rr = base_hash_file(&r->base.mark, "base debs", r->base.debs[i], h, d);

                if (rr < 0)
                        return rr;
        }
        return 0;
}

static int debs_make(const struct role *r, const char *root, const struct stage_opts *o,
                     struct diag *d)
{
        /* in the order given: a later package's file replaces an earlier one's */
        for (size_t i = 0; i < r->base.n_debs; i++) {
                int rr = deb_unpack(r->base.debs[i], root, d);

                if (rr < 0)
                        return rr;
        }
        return 0;
}

const struct base_source base_debs = {
        .kind = BASE_DEBS,
        .name = "debs",
        .check = debs_check,
        .hash = debs_hash,
        .make = debs_make,
};
