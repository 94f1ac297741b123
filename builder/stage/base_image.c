/* base_image.c: a root taken from an existing disk image (not implemented yet). */
#include "base.h"

#include <errno.h>

static int image_check(const struct role *r, struct diag *d)
{
        if (!r->base.path)
                return diag_at(d, &r->base.mark,
                               "base image: no path given (expected image: FILE)");
        return base_check_file(&r->base.mark, "base image", r->base.path, d);
}

static int image_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        return base_hash_file(&r->base.mark, "base image", r->base.path, h, d);
}

static int image_make(const struct role *r, const char *root, const struct stage_opts *o,
                      struct diag *d)
{
        /* needs libguestfs (builder/guest), tracked as its own issue */
        diag_at(d, &r->base.mark,
                "base image: customizing an existing image is not implemented yet");
        return -ENOTSUP;
}

const struct base_source base_image = {
        .kind = BASE_IMAGE,
        .name = "image",
        .check = image_check,
        .hash = image_hash,
        .make = image_make,
};
