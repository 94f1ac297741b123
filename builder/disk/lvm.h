/* lvm.h: an LVM2 physical volume written by pocbake: label, one metadata area, linear volumes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define LVM_EXTENT   (4ull * 1024 * 1024) /* LVM's default extent size */
#define LVM_PE_START (1024ull * 1024)     /* data after 1 MiB: label and metadata before */
#define LVM_ID_LEN   32                   /* an LVM id without its dashes */

struct lvm_volume {
        const char *name;
        uint64_t extents; /* in: wanted (0 = the rest of the group); out: given */
        uint64_t start;   /* out: first extent on the PV */
};

struct lvm_pool {
        const char *vg;
        const char *seed;   /* ids derive from it and the names: same recipe, same ids */
        uint64_t dev_size;  /* bytes of the partition that is the PV */
        uint64_t epoch;     /* creation time of the volumes */
        const char *device; /* the PV's device as the host sees it, e.g. /dev/sda3 */
        struct lvm_volume *lv;
        size_t n_lv;
        uint64_t pe_count; /* out */
};

/* Give each volume its extents, one after another from extent 0; the one with
 * extents 0 takes what is left. Fails naming the group when they do not fit. */
int lvm_layout(struct lvm_pool *p, struct diag *d);
/* Byte offset of volume i inside the PV. */
static inline uint64_t lvm_volume_offset(const struct lvm_pool *p, size_t i)
{
        return LVM_PE_START + p->lv[i].start * LVM_EXTENT;
}
/* The metadata text as LVM writes it (malloc'd; NULL when out of memory). */
char *lvm_metadata_text(const struct lvm_pool *p);
/* The label (sector 1) and the metadata area (4 KiB on) of the laid-out pool,
 * written into fd at the PV's byte offset. The rest of the first MiB must read
 * as zeros (a new sparse disk does). */
int lvm_write(const struct lvm_pool *p, int fd, uint64_t offset, struct diag *d);
/* The id LVM shows for a name: 32 characters of its alphabet, dashed 6-4-4-4-4-4-6. */
void lvm_id(const char *seed, const char *what, const char *name, char out[LVM_ID_LEN + 7]);
/* LVM's checksum: CRC-32 from the initial value 0xf597a6cf, not inverted at the end. */
uint32_t lvm_crc(const void *buf, size_t len);
