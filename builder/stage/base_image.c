/* base_image.c: the image base's checks and content key; guest/customize.c changes the image. */
#include "base.h"

static int image_check(const struct role *r, struct diag *d)
{
        return base_check_path(r, "image", d);
}

static int image_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        return base_hash_path(r, "image", h, d);
}

/* No make: the plan customizes a copy of the image in place (guest_customize)
 * instead of staging a root tree. */
const struct base_source base_image = {
        .kind = BASE_IMAGE,
        .name = "image",
        .check = image_check,
        .hash = image_hash,
};
