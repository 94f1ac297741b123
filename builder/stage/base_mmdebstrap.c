/* base_mmdebstrap.c: a Debian root made by mmdebstrap into a tar, unpacked as a base tarball. */
#include "base.h"
#include "extract.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int mm_check(const struct role *r, struct diag *d)
{
        if (!r->base.suite || !r->base.suite[0])
                return diag_at(d, &r->base.mark,
                               "base mmdebstrap: no suite given (expected e.g. suite: bookworm)");
        for (size_t i = 0; i < r->base.n_packages; i++)
                if (!r->base.packages[i][0] || strchr(r->base.packages[i], ','))
                        return diag_at(d, &r->base.mark,
                                       "base mmdebstrap: package \"%s\" is not a package name",
                                       r->base.packages[i]);
        if (!have_program("mmdebstrap"))
                return diag_at(
                        d, &r->base.mark,
                        "base mmdebstrap: mmdebstrap not found (install the mmdebstrap package)");
        return 0;
}

/* Nothing local to hash: suite, packages, variant and mirror are in the recipe
 * subtree that the content key already covers. A mirror publishing new package
 * versions does not change the key; a rebuild is asked for explicitly. */
static int mm_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        return 0;
}

static char *mm_includes(const struct base_spec *b)
{
        size_t n = sizeof("--include=");
        char *s;

        for (size_t i = 0; i < b->n_packages; i++)
                n += strlen(b->packages[i]) + 1;
        s = malloc(n);
        if (!s)
                return NULL;
        strcpy(s, "--include=");
        for (size_t i = 0; i < b->n_packages; i++) {
                if (i)
                        strcat(s, ",");
                strcat(s, b->packages[i]);
        }
        return s;
}

static int mm_make(const struct role *r, const char *root, const struct stage_opts *o,
                   struct diag *d)
{
        const struct extract_opts x = {.allow_devices = true, .allow_setuid = true};
        _cleanup_free_ char *out = NULL, *variant = NULL, *include = NULL, *sde = NULL;
        const char *argv[10];
        const char *env[] = {NULL, NULL};
        struct run_opts ro = {.env = env};
        size_t n = 0;
        int rr;

        if (!o->work)
                return diag_err(d, -EINVAL, "base mmdebstrap: no work directory");
        out = path_join(o->work, "mmdebstrap.tar");
        if (!out || asprintf(&sde, "SOURCE_DATE_EPOCH=%" PRIu64, o->epoch) < 0 ||
            (r->base.variant && asprintf(&variant, "--variant=%s", r->base.variant) < 0) ||
            (r->base.n_packages && !(include = mm_includes(&r->base))))
                return diag_err(d, -ENOMEM, "base mmdebstrap: out of memory");
        env[0] = sde;
        ro.cwd = o->work;
        argv[n++] = "mmdebstrap";
        argv[n++] = "--mode=root";
        if (variant)
                argv[n++] = variant;
        if (include)
                argv[n++] = include;
        argv[n++] = "--format=tar";
        argv[n++] = r->base.suite;
        argv[n++] = out;
        if (r->base.mirror)
                argv[n++] = r->base.mirror;
        argv[n] = NULL;
        rr = run_argv(argv, &ro, d);
        if (rr < 0)
                return diag_at(d, &r->base.mark, "base mmdebstrap: building suite \"%s\" failed",
                               r->base.suite);
        rr = extract_archive(out, root, &x, d);
        (void)unlink(out);
        return rr;
}

const struct base_source base_mmdebstrap = {
        .kind = BASE_MMDEBSTRAP,
        .name = "mmdebstrap",
        .check = mm_check,
        .hash = mm_hash,
        .make = mm_make,
};
