/* gzimage.h: a disk image gzip'd for an installer (the ISO's and the PXE set's). */
#pragma once

#include <stdint.h>

#include "util/diag.h"
#include "util/hash.h"

struct gz_image {
        char raw_sha[SHA256_HEX]; /* of the image's bytes, what the installer reads back */
        char gz_sha[SHA256_HEX];  /* of the .gz, what a network installer fetches */
        uint64_t raw_size;
};

/* image gzip'd to out in one pass, hashed on both sides on the way. No time or
 * name in the header (busybox in the initrd has gunzip, not zstd), so the same
 * image gives the same bytes. */
int gz_image_write(const char *image, const char *out, struct gz_image *res, struct diag *d);

/* What gz_image_write reported, kept beside a .gz made earlier so that the ISO
 * and the PXE set take the same file without compressing the image again:
 * three lines, "raw_sha256 HEX", "gz_sha256 HEX", "raw_size N". */
int gz_image_save_info(const char *path, const struct gz_image *img, struct diag *d);
/* Read it back, every field checked (64 lowercase hex digits, a decimal size). */
int gz_image_load_info(const char *path, struct gz_image *img, struct diag *d);
