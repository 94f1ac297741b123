/* gpt.c: a GUID partition table (protective MBR, primary and backup copies). */
#include "gpt.h"
#include "util/cleanup.h"

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

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
        const uint8_t *p = buf;

        while (len) {
                ssize_t n = pwrite(fd, p, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
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
        r = pwrite_all(fd, mbr, sizeof(mbr), 0);
        fill_header(g, hdr, 1, last, 2, crc);
        if (r >= 0)
                r = pwrite_all(fd, hdr, sizeof(hdr), GPT_SECTOR);
        if (r >= 0)
                r = pwrite_all(fd, t, TABLE_BYTES, 2 * GPT_SECTOR);
        if (r >= 0)
                r = pwrite_all(fd, t, TABLE_BYTES, (last - TABLE_SECTORS) * GPT_SECTOR);
        fill_header(g, hdr, last, 1, last - TABLE_SECTORS, crc);
        if (r >= 0)
                r = pwrite_all(fd, hdr, sizeof(hdr), last * GPT_SECTOR);
        if (r < 0)
                return diag_err(d, r, "cannot write the partition table: %s", strerror(-r));
        return 0;
}
