/* gpt.h: a GUID partition table: written by pocbake, and read back from an image. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/diag.h"
#include "util/hash.h"

#define GPT_SECTOR  512
#define GPT_ALIGN   (1024 * 1024)
#define GPT_ENTRIES 128

struct gpt_part {
        struct uuid type; /* RFC byte order; written mixed-endian */
        struct uuid guid;
        uint64_t first_lba, last_lba; /* inclusive */
        uint64_t attrs;
        char name[37]; /* ASCII; stored as UTF-16LE (36 units) */
};

struct gpt {
        uint64_t size; /* disk size in bytes, a multiple of 512 */
        struct uuid disk_guid;
        struct gpt_part *parts;
        size_t n;
};

int gpt_init(struct gpt *g, uint64_t disk_size, const struct uuid *disk_guid);
/* Add a partition after the last one, 1 MiB aligned; size 0 = the rest of the
 * disk up to the backup table. */
int gpt_add(struct gpt *g, enum part_type type, const char *name, uint64_t size,
            const struct uuid *guid, struct diag *d);
/* Protective MBR, primary header + entries, backup entries + header. The file
 * must already be g->size long (sparse); only table sectors are written. */
int gpt_write(const struct gpt *g, int fd, struct diag *d);
void gpt_release(struct gpt *g);
int part_type_uuid(enum part_type t, struct uuid *out);
/* Smallest disk size holding these partition sizes (rest counts as 1 MiB). */
uint64_t gpt_min_size(const uint64_t *sizes, size_t n);
/* Read the primary GPT of an image of size bytes on fd, every field checked
 * against the image before use (signature, sizes, both checksums, the entry
 * table and each entry inside the image); what names the image in messages.
 * g holds the used entries in table order, names with non-ASCII units as '?'. */
int gpt_read(struct gpt *g, int fd, uint64_t size, const char *what, struct diag *d);
/* A GUID as GPT and VHDX store it: the first three fields little-endian. */
void guid_to_disk(uint8_t out[16], const struct uuid *u);
