/* gpt.c: a GUID partition table (protective MBR, primary and backup copies). */
#include "gpt.h"
#include "util/cleanup.h"
#include "util/endian.h"
#include "util/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SECTORS_PER_ALIGN (GPT_ALIGN / GPT_SECTOR)
#define ENTRY_SIZE        128
#define TABLE_BYTES       (GPT_ENTRIES * ENTRY_SIZE)
#define TABLE_SECTORS     (TABLE_BYTES / GPT_SECTOR)
#define HEADER_SIZE       92
#define NAME_UNITS        36

/* The first usable sector follows the MBR, the header and the entries. */
#define FIRST_USABLE (2 + TABLE_SECTORS)

static const struct {
        enum part_type type;
        const char *guid;
} type_guids[] = {
        /* UEFI 2.x, and the UAPI Discoverable Partitions Specification */
        {PART_ESP, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"},
        {PART_ROOT_X86_64, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"},
        {PART_LINUX, "0fc63daf-8483-4772-8e79-3d69d8477de4"},
        {PART_LVM, "e6d6d379-f507-44c2-a23c-238f2a3df928"},
        {PART_SWAP, "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f"},
};

int part_type_uuid(enum part_type t, struct uuid *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(type_guids); i++)
                if (type_guids[i].type == t)
                        return uuid_parse(type_guids[i].guid, out);
        return -EINVAL;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) / a * a;
}

uint64_t gpt_min_size(const uint64_t *sizes, size_t n)
{
        uint64_t total = GPT_ALIGN; /* MBR, primary table, then alignment */

        for (size_t i = 0; i < n; i++)
                total += align_up(sizes[i] ? sizes[i] : GPT_ALIGN, GPT_ALIGN);
        /* The backup table (33 sectors) needs its own aligned megabyte. */
        return total + GPT_ALIGN;
}

static uint64_t last_usable(const struct gpt *g)
{
        return g->size / GPT_SECTOR - 2 - TABLE_SECTORS;
}

int gpt_init(struct gpt *g, uint64_t disk_size, const struct uuid *disk_guid)
{
        memset(g, 0, sizeof(*g));
        if (disk_size % GPT_SECTOR || disk_size / GPT_SECTOR < 2 * FIRST_USABLE + 1)
                return -EINVAL;
        g->size = disk_size;
        g->disk_guid = *disk_guid;
        return 0;
}

void gpt_release(struct gpt *g)
{
        free(g->parts);
        g->parts = NULL;
        g->n = 0;
}

static int check_name(const char *name, struct diag *d)
{
        if (strlen(name) > NAME_UNITS)
                return diag_err(d, -EINVAL, "partition name \"%s\" is longer than %d characters",
                                name, NAME_UNITS);
        for (const char *p = name; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
                        return diag_err(d, -EINVAL,
                                        "partition name \"%s\": only printable ASCII is supported",
                                        name);
        return 0;
}

int gpt_add(struct gpt *g, enum part_type type, const char *name, uint64_t size,
            const struct uuid *guid, struct diag *d)
{
        uint64_t first = SECTORS_PER_ALIGN, last, limit = last_usable(g);
        struct gpt_part *p;
        int r;

        r = check_name(name, d);
        if (r < 0)
                return r;
        if (g->n >= GPT_ENTRIES)
                return diag_err(d, -EINVAL, "partition \"%s\": a GPT holds at most %d partitions",
                                name, GPT_ENTRIES);
        if (size % GPT_SECTOR)
                return diag_err(d, -EINVAL,
                                "partition \"%s\": size %llu is not a multiple of %d bytes", name,
                                (unsigned long long)size, GPT_SECTOR);
        if (g->n)
                first = align_up(g->parts[g->n - 1].last_lba + 1, SECTORS_PER_ALIGN);
        if (size == 0) /* the rest, ending on an aligned boundary */
                last = (limit + 1) / SECTORS_PER_ALIGN * SECTORS_PER_ALIGN - 1;
        else
                last = first + size / GPT_SECTOR - 1;
        if (first > limit || last > limit || last < first)
                return diag_err(
                        d, -ENOSPC,
                        "partition \"%s\" does not fit: it needs sectors %llu-%llu, the disk "
                        "of %llu bytes ends its usable space at sector %llu",
                        name, (unsigned long long)first, (unsigned long long)(size ? last : first),
                        (unsigned long long)g->size, (unsigned long long)limit);
        p = realloc(g->parts, (g->n + 1) * sizeof(*p));
        if (!p)
                return diag_err(d, -ENOMEM, "out of memory");
        g->parts = p;
        p = &g->parts[g->n];
        memset(p, 0, sizeof(*p));
        r = part_type_uuid(type, &p->type);
        if (r < 0)
                return diag_err(d, r, "partition \"%s\": unknown partition type %d", name,
                                (int)type);
        p->guid = *guid;
        p->first_lba = first;
        p->last_lba = last;
        snprintf(p->name, sizeof(p->name), "%s", name);
        g->n++;
        return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* GUIDs on disk keep their first three fields little-endian. */
void guid_to_disk(uint8_t out[16], const struct uuid *u)
{
        static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

        for (int i = 0; i < 16; i++)
                out[i] = u->b[order[i]];
}

static void fill_entries(const struct gpt *g, uint8_t *t)
{
        memset(t, 0, TABLE_BYTES);
        for (size_t i = 0; i < g->n; i++) {
                const struct gpt_part *p = &g->parts[i];
                uint8_t *e = t + i * ENTRY_SIZE;

                guid_to_disk(e, &p->type);
                guid_to_disk(e + 16, &p->guid);
                put64(e + 32, p->first_lba);
                put64(e + 40, p->last_lba);
                put64(e + 48, p->attrs);
                for (size_t k = 0; p->name[k] && k < NAME_UNITS; k++)
                        put16(e + 56 + 2 * k, (uint8_t)p->name[k]);
        }
}

static void fill_header(const struct gpt *g, uint8_t *h, uint64_t my_lba, uint64_t alt_lba,
                        uint64_t entries_lba, uint32_t entries_crc)
{
        memset(h, 0, GPT_SECTOR);
        memcpy(h, "EFI PART", 8);
        put32(h + 8, 0x00010000);
        put32(h + 12, HEADER_SIZE);
        put64(h + 24, my_lba);
        put64(h + 32, alt_lba);
        put64(h + 40, FIRST_USABLE);
        put64(h + 48, last_usable(g));
        guid_to_disk(h + 56, &g->disk_guid);
        put64(h + 72, entries_lba);
        put32(h + 80, GPT_ENTRIES);
        put32(h + 84, ENTRY_SIZE);
        put32(h + 88, entries_crc);
        put32(h + 16, (uint32_t)crc32(0, h, HEADER_SIZE));
}

static void fill_mbr(const struct gpt *g, uint8_t *m)
{
        uint64_t sectors = g->size / GPT_SECTOR - 1;
        uint8_t *e = m + 446;

        memset(m, 0, GPT_SECTOR);
        /* One 0xEE partition from LBA 1; its CHS fields say "beyond CHS". */
        e[1] = 0x00;
        e[2] = 0x02;
        e[3] = 0x00;
        e[4] = 0xee;
        e[5] = e[6] = e[7] = 0xff;
        put32(e + 8, 1);
        put32(e + 12, sectors > 0xffffffffu ? 0xffffffffu : (uint32_t)sectors);
        m[510] = 0x55;
        m[511] = 0xaa;
}

int gpt_write(const struct gpt *g, int fd, struct diag *d)
{
        uint64_t last = g->size / GPT_SECTOR - 1;
        _cleanup_free_ uint8_t *t = malloc(TABLE_BYTES);
        uint8_t mbr[GPT_SECTOR], hdr[GPT_SECTOR];
        uint32_t crc;
        int r;

        if (!t)
                return diag_err(d, -ENOMEM, "out of memory");
        fill_entries(g, t);
        crc = (uint32_t)crc32(0, t, TABLE_BYTES);
        fill_mbr(g, mbr);
        r = pwrite_full(fd, mbr, sizeof(mbr), 0);
        fill_header(g, hdr, 1, last, 2, crc);
        if (r >= 0)
                r = pwrite_full(fd, hdr, sizeof(hdr), GPT_SECTOR);
        if (r >= 0)
                r = pwrite_full(fd, t, TABLE_BYTES, 2 * GPT_SECTOR);
        if (r >= 0)
                r = pwrite_full(fd, t, TABLE_BYTES, (last - TABLE_SECTORS) * GPT_SECTOR);
        fill_header(g, hdr, last, 1, last - TABLE_SECTORS, crc);
        if (r >= 0)
                r = pwrite_full(fd, hdr, sizeof(hdr), last * GPT_SECTOR);
        if (r < 0)
                return diag_err(d, r, "cannot write the partition table: %s", strerror(-r));
        return 0;
}

/* The inverse of guid_to_disk (the byte swap is its own inverse). */
static void guid_from_disk(struct uuid *u, const uint8_t in[16])
{
        static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

        for (int i = 0; i < 16; i++)
                u->b[order[i]] = in[i];
}

/* What read_header found: where the entries are and what bounds them. */
struct gpt_table {
        uint64_t lba, first_usable, last_usable;
        uint32_t n, size, crc;
};

static int read_header(struct gpt *g, int fd, const char *what, struct gpt_table *t, struct diag *d)
{
        uint8_t h[GPT_SECTOR];
        uint32_t hsize, crc;

        if (g->size < 2 * GPT_SECTOR || pread(fd, h, sizeof(h), GPT_SECTOR) != (ssize_t)sizeof(h) ||
            memcmp(h, "EFI PART", 8))
                return diag_err(d, -EINVAL, "%s: no GPT header at LBA 1", what);
        hsize = get_le32(h + 12);
        if (hsize < HEADER_SIZE || hsize > GPT_SECTOR)
                return diag_err(d, -EINVAL, "%s: GPT header size %u (expected 92 to 512)", what,
                                hsize);
        crc = get_le32(h + 16);
        memset(h + 16, 0, 4);
        if ((uint32_t)crc32(0, h, hsize) != crc)
                return diag_err(d, -EINVAL, "%s: GPT header checksum does not match", what);
        if (get_le64(h + 24) != 1)
                return diag_err(d, -EINVAL, "%s: GPT header at LBA 1 says it is elsewhere", what);
        t->first_usable = get_le64(h + 40);
        t->last_usable = get_le64(h + 48);
        t->lba = get_le64(h + 72);
        t->n = get_le32(h + 80);
        t->size = get_le32(h + 84);
        t->crc = get_le32(h + 88);
        guid_from_disk(&g->disk_guid, h + 56);
        if (t->size < ENTRY_SIZE || t->size > 4096 || t->size % 8 || t->n > 4096)
                return diag_err(d, -EINVAL, "%s: GPT entry table of %u entries of %u bytes", what,
                                t->n, t->size);
        if (t->lba < 2 || t->lba > g->size / GPT_SECTOR ||
            g->size / GPT_SECTOR - t->lba <
                    ((uint64_t)t->n * t->size + GPT_SECTOR - 1) / GPT_SECTOR)
                return diag_err(d, -EINVAL, "%s: GPT entry table at LBA %llu is outside the image",
                                what, (unsigned long long)t->lba);
        if (t->first_usable > t->last_usable || t->last_usable >= g->size / GPT_SECTOR)
                return diag_err(d, -EINVAL, "%s: GPT usable range %llu-%llu is outside the image",
                                what, (unsigned long long)t->first_usable,
                                (unsigned long long)t->last_usable);
        return 0;
}

static int read_entry(struct gpt *g, const uint8_t *e, uint32_t i, const struct gpt_table *t,
                      const char *what, struct diag *d)
{
        static const uint8_t unused[16];
        struct gpt_part *p = &g->parts[g->n];

        if (!memcmp(e, unused, sizeof(unused)))
                return 0;
        *p = (struct gpt_part){.first_lba = get_le64(e + 32),
                               .last_lba = get_le64(e + 40),
                               .attrs = get_le64(e + 48)};
        if (p->first_lba > p->last_lba || p->first_lba < t->first_usable ||
            p->last_lba > t->last_usable)
                return diag_err(
                        d, -EINVAL,
                        "%s: GPT entry %u spans LBA %llu-%llu, outside the usable %llu-%llu", what,
                        i + 1, (unsigned long long)p->first_lba, (unsigned long long)p->last_lba,
                        (unsigned long long)t->first_usable, (unsigned long long)t->last_usable);
        guid_from_disk(&p->type, e);
        guid_from_disk(&p->guid, e + 16);
        for (size_t k = 0; k < NAME_UNITS; k++) {
                uint16_t u = get_le16(e + 56 + 2 * k);

                if (!u)
                        break;
                p->name[k] = u < 0x80 ? (char)u : '?';
        }
        g->n++;
        return 0;
}

int gpt_read(struct gpt *g, int fd, uint64_t size, const char *what, struct diag *d)
{
        struct gpt_table t;
        _cleanup_free_ uint8_t *table = NULL;
        size_t bytes;
        int rc;

        memset(g, 0, sizeof(*g));
        g->size = size / GPT_SECTOR * GPT_SECTOR;
        if ((rc = read_header(g, fd, what, &t, d)) < 0)
                return rc;
        bytes = (size_t)t.n * t.size;
        table = malloc(bytes ? bytes : 1);
        g->parts = calloc(t.n ? t.n : 1, sizeof(*g->parts));
        if (!table || !g->parts) {
                gpt_release(g);
                return -ENOMEM;
        }
        if (pread(fd, table, bytes, (off_t)(t.lba * GPT_SECTOR)) != (ssize_t)bytes)
                rc = diag_err(d, -EIO, "%s: cannot read the GPT entry table: %m", what);
        else if ((uint32_t)crc32(0, table, (uInt)bytes) != t.crc)
                rc = diag_err(d, -EINVAL, "%s: GPT entry table checksum does not match", what);
        for (uint32_t i = 0; rc >= 0 && i < t.n; i++)
                rc = read_entry(g, table + (size_t)i * t.size, i, &t, what, d);
        if (rc < 0)
                gpt_release(g);
        return rc;
}
