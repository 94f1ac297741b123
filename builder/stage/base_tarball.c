/* base_tarball.c: a root unpacked from a tar or cpio (plain, gzip, xz, zstd or bzip2). */
#include "base.h"
#include "extract.h"

static int tarball_check(const struct role *r, struct diag *d)
{
        int rc = base_check_path(r, "tarball", d);

        return rc < 0 ? rc : probe_at(&r->base.mark, "base tarball", r->base.path, d);
}

static int tarball_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        return base_hash_path(r, "tarball", h, d);
}

static int tarball_make(const struct role *r, const char *root, const struct stage_opts *o,
                        struct diag *d)
{
        /* The base is the root the recipe author chose: its devices and setuid
         * programs are meant. Paths leaving the root are refused all the same. */
        const struct extract_opts x = {
                .allow_devices = true, .allow_setuid = true, .budget = o->budget};

        return extract_archive(r->base.path, root, &x, d);
}

const struct base_source base_tarball = {
        .kind = BASE_TARBALL,
        .name = "tarball",
        .check = tarball_check,
        .hash = tarball_hash,
        .make = tarball_make,
};
