/* fs.h: filesystem handlers, one file each, listed in fs.c's table. */
#pragma once

#include <stdint.h>

#include "util/diag.h"
#include "util/hash.h"

struct fs_spec {
        const char *type; /* "ext4", "vfat", "squashfs", "erofs" */
        const char *label;
        struct uuid uuid; /* derived from the recipe */
        uint64_t size;    /* bytes the partition offers */
        uint64_t epoch;   /* SOURCE_DATE_EPOCH */
        const char *tree; /* directory to copy in; NULL = empty filesystem */
        struct mark mark; /* the partition's recipe line, for messages */
};

struct fs_type {
        const char *name;
        /* Before anything is written: label length, size limits, ... */
        int (*check)(const struct fs_spec *s, struct diag *d);
        /* Write the filesystem to out (a new file): exactly s->size bytes for
         * ext4/vfat (sparse), the natural size (<= s->size) for read-only ones. */
        int (*make)(const struct fs_spec *s, const char *out, struct diag *d);
        /* Optional (NULL when the tool cannot): write the filesystem straight
         * into the existing file disk at byte offset, s->size bytes, giving the
         * same bytes make() would. Saves a copy and an fsync of the image. */
        int (*make_at)(const struct fs_spec *s, const char *disk, uint64_t offset, struct diag *d);
};

const struct fs_type *fs_type_find(const char *name);
/* Names of all handlers, for messages: "ext4, vfat, squashfs, erofs, xfs". */
const char *fs_type_names(void);
