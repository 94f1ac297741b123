/* lvm.c: an LVM2 physical volume with one volume group and linear volumes, every byte from the
 * recipe. */
#include "lvm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/cleanup.h"
#include "util/endian.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define SECTOR         512
#define LABEL_SECTOR   1
#define MDA_OFFSET     4096
#define MDA_SIZE       (LVM_PE_START - MDA_OFFSET)
#define MDA_HEADER     512
#define LVM_CRC_INIT   0xf597a6cfu
#define PV_EXT_USED    1u
#define PV_EXT_VERSION 2u

static const char mda_magic[16] = " LVM2 x[5A%r0N*>";

uint32_t lvm_crc(const void *buf, size_t len)
{
        /* zlib inverts on entry and exit; LVM does neither */
        return (uint32_t)crc32(LVM_CRC_INIT ^ 0xffffffffu, buf, (uInt)len) ^ 0xffffffffu;
}

void lvm_id(const char *seed, const char *what, const char *name, char out[LVM_ID_LEN + 7])
{
        static const char alphabet[] =
                "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";
        static const int groups[] = {6, 4, 4, 4, 4, 4, 6};
        uint8_t md[SHA256_LEN];
        struct hasher h;
        size_t k = 0, o = 0;

        memset(md, 0, sizeof(md));
        if (hasher_init(&h) == 0) {
                hasher_str(&h, "lvm-id");
                hasher_str(&h, seed);
                hasher_str(&h, what);
                hasher_str(&h, name);
                hasher_final(&h, md);
                hasher_release(&h);
        }
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
                if (g)
                        out[o++] = '-';
                for (int i = 0; i < groups[g]; i++)
                        out[o++] = alphabet[md[k++] & 63];
        }
        out[o] = '\0';
}

int lvm_layout(struct lvm_pool *p, struct diag *d)
{
        uint64_t sectors = p->dev_size / SECTOR, used = 0;
        size_t rest = p->n_lv;

        p->pe_count = sectors > LVM_PE_START / SECTOR
                              ? (sectors - LVM_PE_START / SECTOR) / (LVM_EXTENT / SECTOR)
                              : 0;
        for (size_t i = 0; i < p->n_lv; i++) {
                if (!p->lv[i].extents) {
                        if (rest != p->n_lv)
                                return diag_err(d, -EINVAL,
                                                "volume group %s: two volumes take the rest",
                                                p->vg);
                        rest = i;
                        continue;
                }
                used += p->lv[i].extents;
        }
        if (used > p->pe_count || (rest < p->n_lv && used == p->pe_count))
                return diag_err(d, -ENOSPC,
                                "volume group %s: the volumes need %" PRIu64
                                " extents of 4 MiB, the partition holds %" PRIu64,
                                p->vg, used + (rest < p->n_lv), p->pe_count);
        if (rest < p->n_lv)
                p->lv[rest].extents = p->pe_count - used;
        used = 0;
        for (size_t i = 0; i < p->n_lv; i++) {
                p->lv[i].start = used;
                used += p->lv[i].extents;
        }
        return 0;
}

char *lvm_metadata_text(const struct lvm_pool *p)
{
        char vg_id[LVM_ID_LEN + 7], pv_id[LVM_ID_LEN + 7];
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                return NULL;
        lvm_id(p->seed, "vg", p->vg, vg_id);
        lvm_id(p->seed, "pv", p->vg, pv_id);
        fprintf(f,
                "%s {\nid = \"%s\"\nseqno = 1\nformat = \"lvm2\"\n"
                "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nflags = []\n"
                "extent_size = %llu\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n\n"
                "physical_volumes {\n\npv0 {\nid = \"%s\"\ndevice = \"%s\"\n\n"
                "status = [\"ALLOCATABLE\"]\nflags = []\ndev_size = %" PRIu64 "\n"
                "pe_start = %llu\npe_count = %" PRIu64 "\n}\n}\n",
                p->vg, vg_id, LVM_EXTENT / SECTOR, pv_id, p->device, p->dev_size / SECTOR,
                LVM_PE_START / SECTOR, p->pe_count);
        if (p->n_lv)
                fputs("\nlogical_volumes {\n", f);
        for (size_t i = 0; i < p->n_lv; i++) {
                char lv_id[LVM_ID_LEN + 7];

                lvm_id(p->seed, "lv", p->lv[i].name, lv_id);
                fprintf(f,
                        "\n%s {\nid = \"%s\"\nstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
                        "flags = []\ncreation_time = %" PRIu64 "\ncreation_host = \"pocbake\"\n"
                        "segment_count = 1\n\nsegment1 {\nstart_extent = 0\n"
                        "extent_count = %" PRIu64 "\n\ntype = \"striped\"\nstripe_count = 1\n\n"
                        "stripes = [\n\"pv0\", %" PRIu64 "\n]\n}\n}\n",
                        p->lv[i].name, lv_id, p->epoch, p->lv[i].extents, p->lv[i].start);
        }
        if (p->n_lv)
                fputs("}\n", f);
        fprintf(f,
                "\n}\n# Generated by pocbake\n\ncontents = \"Text Format Volume Group\"\n"
                "version = 1\n\ndescription = \"\"\n\ncreation_host = \"pocbake\"\n"
                "creation_time = %" PRIu64 "\n\n",
                p->epoch);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* Sector 1: "LABELONE", then the PV header: its id, size, one data area from
 * pe_start to the end, one metadata area, the extension (in use by a group). */
static void put_label(uint8_t *s, const struct lvm_pool *p)
{
        char pv_id[LVM_ID_LEN + 7];
        uint8_t *h = s + 32;
        size_t k = 0;

        lvm_id(p->seed, "pv", p->vg, pv_id);
        memcpy(s, "LABELONE", 8);
        put_le64(s + 8, LABEL_SECTOR);
        put_le32(s + 20, 32);
        memcpy(s + 24, "LVM2 001", 8);
        for (const char *c = pv_id; *c; c++)
                if (*c != '-')
                        h[k++] = (uint8_t)*c;
        put_le64(h + 32, p->dev_size);
        put_le64(h + 40, LVM_PE_START); /* data area: offset, size 0 = to the end */
        put_le64(h + 48, 0);
        /* h + 56: end of the data areas (16 zero bytes) */
        put_le64(h + 72, MDA_OFFSET);
        put_le64(h + 80, MDA_SIZE);
        /* h + 88: end of the metadata areas */
        put_le32(h + 104, PV_EXT_VERSION);
        put_le32(h + 108, PV_EXT_USED);
        /* h + 112: end of the bootloader areas */
        put_le32(s + 16, lvm_crc(s + 20, SECTOR - 20));
}

/* The metadata area's header, pointing at the one copy of the text after it. */
static void put_mda_header(uint8_t *s, uint64_t text_len, uint32_t text_crc)
{
        memcpy(s + 4, mda_magic, sizeof(mda_magic));
        put_le32(s + 20, 1);
        put_le64(s + 24, MDA_OFFSET);
        put_le64(s + 32, MDA_SIZE);
        put_le64(s + 40, MDA_HEADER); /* raw location: offset in the area, size, crc, flags */
        put_le64(s + 48, text_len);
        put_le32(s + 56, text_crc);
        put_le32(s + 0, lvm_crc(s + 4, MDA_HEADER - 4));
}

int lvm_write(const struct lvm_pool *p, int fd, uint64_t offset, struct diag *d)
{
        _cleanup_free_ char *text = lvm_metadata_text(p);
        uint8_t label[SECTOR] = {0}, mda[MDA_HEADER] = {0};
        size_t len;
        int rc;

        if (!text)
                return diag_err(d, -ENOMEM, "out of memory");
        len = strlen(text) + 1; /* LVM counts and sums the terminating NUL */
        if (len > MDA_SIZE - MDA_HEADER)
                return diag_err(d, -E2BIG, "volume group %s: metadata of %zu bytes is too large",
                                p->vg, len);
        put_label(label, p);
        put_mda_header(mda, len, lvm_crc(text, len));
        rc = pwrite_full(fd, label, sizeof(label), offset + LABEL_SECTOR * SECTOR);
        if (rc >= 0)
                rc = pwrite_full(fd, mda, sizeof(mda), offset + MDA_OFFSET);
        if (rc >= 0)
                rc = pwrite_full(fd, text, len, offset + MDA_OFFSET + MDA_HEADER);
        if (rc < 0)
                return diag_err(d, rc, "volume group %s: %s", p->vg, strerror(-rc));
        return 0;
}
