/* ext4_times.c: rewrite every in-use inode's times in an ext4 image to the epoch. */
#include "fsint.h"
#include "util/crc32c.h"
#include "util/endian.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * mke2fs -d copies each file's st_ctime, which is when the staging tree was
 * written and cannot be set from userspace, so the image is patched after
 * mke2fs. Everything read here is checked against the image's length: the
 * bytes come from a file we did not write ourselves.
 */

#define SB_OFFSET          1024
#define SB_SIZE            1024
#define EXT4_MAGIC         0xef53
#define INCOMPAT_META_BG   0x0010
#define INCOMPAT_64BIT     0x0080
#define INCOMPAT_CSUM_SEED 0x2000
#define RO_GDT_CSUM        0x0010
#define RO_METADATA_CSUM   0x0400
#define BG_INODE_UNINIT    0x0001
#define GOOD_OLD_ISIZE     128
#define CHUNK_BYTES        (256u * 1024)
/* The largest time the 32-bit field plus two epoch bits can hold. */
#define EXT4_TIME_MAX 0x37fffffffull

/* Inode field offsets (ext4 on-disk layout). */
enum {
        I_MODE = 0x00,
        I_ATIME = 0x08,
        I_CTIME = 0x0c,
        I_MTIME = 0x10,
        I_LINKS = 0x1a,
        I_GENERATION = 0x64,
        I_CSUM_LO = 0x7c,
        I_EXTRA_ISIZE = 0x80,
        I_CSUM_HI = 0x82,
        I_CTIME_EXTRA = 0x84,
        I_MTIME_EXTRA = 0x88,
        I_ATIME_EXTRA = 0x8c,
        I_CRTIME = 0x90,
        I_CRTIME_EXTRA = 0x94,
};

/* Each time: its seconds field and its _extra field (epoch bits, nanoseconds). */
static const struct {
        unsigned sec, extra;
} time_fields[] = {
        {I_ATIME, I_ATIME_EXTRA},
        {I_CTIME, I_CTIME_EXTRA},
        {I_MTIME, I_MTIME_EXTRA},
        {I_CRTIME, I_CRTIME_EXTRA},
};

struct e4 {
        int fd;
        uint64_t off, len; /* the filesystem's bytes: [off, off + len) of fd */
        const char *name;
        struct diag *d;
        uint32_t bs, ipg, isz, groups, desc_size;
        uint64_t desc_pos; /* first group descriptor, relative to off */
        bool csum, uninit;
        uint32_t seed;
        uint32_t t_sec, t_extra; /* the epoch as ext4 stores it */
        uint64_t table_bytes;    /* initialized inode table bytes seen so far */
        uint64_t changed;
};

static int bad(struct e4 *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct e4 *e, int err, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (n < 0)
                return diag_err(e->d, -ENOMEM, "out of memory");
        return diag_err(e->d, err, "ext4 image \"%s\": %s", e->name, msg);
}

/* Read len bytes at pos (relative to the filesystem) after checking the range. */
static int read_at(struct e4 *e, uint64_t pos, void *buf, size_t len, const char *what)
{
        ssize_t n;

        if (pos > e->len || len > e->len - pos)
                return bad(e, -EINVAL, "%s at byte %llu (%zu bytes) is outside the %llu-byte image",
                           what, (unsigned long long)pos, len, (unsigned long long)e->len);
        n = pread(e->fd, buf, len, (off_t)(e->off + pos));
        if (n < 0)
                return bad(e, -errno, "cannot read %s: %s", what, strerror(errno));
        if ((size_t)n != len)
                return bad(e, -EIO, "short read of %s at byte %llu", what, (unsigned long long)pos);
        return 0;
}

static int write_at(struct e4 *e, uint64_t pos, const void *buf, size_t len)
{
        ssize_t n = pwrite(e->fd, buf, len, (off_t)(e->off + pos));

        if (n < 0)
                return bad(e, -errno, "cannot write inodes: %s", strerror(errno));
        if ((size_t)n != len)
                return bad(e, -EIO, "short write of inodes at byte %llu", (unsigned long long)pos);
        return 0;
}

static bool pow2(uint32_t v)
{
        return v && !(v & (v - 1));
}

/* Block size, inode geometry and group count, each checked for sanity. */
static int sb_geometry(struct e4 *e, const uint8_t *sb, uint32_t incompat)
{
        uint32_t log_bs = get_le32(sb + 0x18), first = get_le32(sb + 0x14),
                 bpg = get_le32(sb + 0x20);
        uint64_t blocks = get_le32(sb + 0x04), groups;

        if (log_bs > 6)
                return bad(e, -EINVAL, "block size exponent %u is out of range", log_bs);
        e->bs = 1024u << log_bs;
        if (incompat & INCOMPAT_64BIT)
                blocks |= (uint64_t)get_le32(sb + 0x150) << 32;
        e->ipg = get_le32(sb + 0x28);
        if (!bpg || first >= blocks)
                return bad(e, -EINVAL, "%llu blocks, %u per group, first data block %u",
                           (unsigned long long)blocks, bpg, first);
        groups = (blocks - first + bpg - 1) / bpg;
        if (!e->ipg || e->ipg > 8 * e->bs || groups * e->ipg != get_le32(sb + 0x00))
                return bad(e, -EINVAL, "%u inodes in %llu groups of %u", get_le32(sb + 0x00),
                           (unsigned long long)groups, e->ipg);
        e->groups = (uint32_t)groups;
        e->isz = get_le32(sb + 0x4c) == 0 ? GOOD_OLD_ISIZE : get_le16(sb + 0x58);
        if (!pow2(e->isz) || e->isz < GOOD_OLD_ISIZE || e->isz > e->bs)
                return bad(e, -EINVAL, "inode size %u is not a power of two in [128, %u]", e->isz,
                           e->bs);
        e->desc_size = (incompat & INCOMPAT_64BIT) ? get_le16(sb + 0xfe) : 32;
        if (!pow2(e->desc_size) || e->desc_size < 32 || e->desc_size > 1024 ||
            ((incompat & INCOMPAT_64BIT) && e->desc_size < 64))
                return bad(e, -EINVAL, "group descriptor size %u is out of range", e->desc_size);
        /* the descriptors start in the block after the superblock's */
        e->desc_pos = ((uint64_t)first + 1) * e->bs;
        return 0;
}

static int sb_load(struct e4 *e)
{
        uint8_t sb[SB_SIZE];
        uint32_t incompat, ro;
        int r = read_at(e, SB_OFFSET, sb, sizeof(sb), "the superblock");

        if (r < 0)
                return r;
        if (get_le16(sb + 0x38) != EXT4_MAGIC)
                return bad(e, -EINVAL, "bad superblock magic 0x%04x", get_le16(sb + 0x38));
        incompat = get_le32(sb + 0x60);
        ro = get_le32(sb + 0x64);
        if (incompat & INCOMPAT_META_BG)
                return bad(e, -EOPNOTSUPP, "meta_bg group descriptors are not supported");
        r = sb_geometry(e, sb, incompat);
        if (r < 0)
                return r;
        e->csum = ro & RO_METADATA_CSUM;
        e->uninit = ro & (RO_METADATA_CSUM | RO_GDT_CSUM);
        if (e->csum && sb[0x175] != 1)
                return bad(e, -EOPNOTSUPP, "checksum type %u is not crc32c", sb[0x175]);
        /* e2fsprogs: crc32c_le(~0, uuid) without a final inversion */
        if (incompat & INCOMPAT_CSUM_SEED)
                e->seed = get_le32(sb + 0x270);
        else
                e->seed = crc32c_update(0xffffffffu, sb + 0x68, 16);
        return 0;
}

/* Where group g's inode bitmap and table are, and how many inodes it has
 * initialized (0 when its table was never written). */
static int group_load(struct e4 *e, uint32_t g, uint64_t *bitmap, uint64_t *table, uint32_t *used)
{
        uint8_t gd[64] = {0};
        uint32_t unused;
        char what[64];
        int r;

        snprintf(what, sizeof(what), "group descriptor %u", g);
        r = read_at(e, e->desc_pos + (uint64_t)g * e->desc_size, gd,
                    e->desc_size < sizeof(gd) ? e->desc_size : sizeof(gd), what);
        if (r < 0)
                return r;
        *bitmap = get_le32(gd + 0x04);
        *table = get_le32(gd + 0x08);
        unused = get_le16(gd + 0x1c);
        if (e->desc_size >= 64) {
                *bitmap |= (uint64_t)get_le32(gd + 0x24) << 32;
                *table |= (uint64_t)get_le32(gd + 0x28) << 32;
                unused |= (uint32_t)get_le16(gd + 0x32) << 16;
        }
        *used = e->ipg;
        if (e->uninit) {
                if (get_le16(gd + 0x12) & BG_INODE_UNINIT)
                        unused = e->ipg;
                if (unused > e->ipg)
                        return bad(e, -EINVAL, "group %u: %u unused inodes of %u", g, unused,
                                   e->ipg);
                *used = e->ipg - unused;
        }
        if (*bitmap > UINT64_MAX / e->bs || *table > UINT64_MAX / e->bs)
                return bad(e, -EINVAL, "group %u: block number out of range", g);
        return 0;
}

static bool has_field(uint32_t isz, uint16_t extra_isize, unsigned off)
{
        return off + 4 <= GOOD_OLD_ISIZE || (isz > GOOD_OLD_ISIZE && off + 4 <= 128u + extra_isize);
}

/* The inode checksum as e2fsprogs and the kernel compute it: over the inode
 * number, the generation and the whole inode with both checksum halves zero. */
static uint32_t inode_csum(const struct e4 *e, uint32_t ino, uint8_t *raw, bool has_hi)
{
        uint16_t lo = get_le16(raw + I_CSUM_LO), hi = has_hi ? get_le16(raw + I_CSUM_HI) : 0;
        uint8_t num[4];
        uint32_t crc;

        put_le32(num, ino);
        put_le16(raw + I_CSUM_LO, 0);
        if (has_hi)
                put_le16(raw + I_CSUM_HI, 0);
        crc = crc32c_update(e->seed, num, 4);
        crc = crc32c_update(crc, raw + I_GENERATION, 4);
        crc = crc32c_update(crc, raw, e->isz);
        put_le16(raw + I_CSUM_LO, lo);
        if (has_hi)
                put_le16(raw + I_CSUM_HI, hi);
        return crc;
}

/* 1 when the inode was changed, 0 when its times were already the epoch. */
static int inode_fix(struct e4 *e, uint32_t ino, uint8_t *raw)
{
        uint16_t extra = e->isz > GOOD_OLD_ISIZE ? get_le16(raw + I_EXTRA_ISIZE) : 0;
        bool has_hi = e->isz > GOOD_OLD_ISIZE && extra >= 4, changed = false;
        uint32_t crc, stored;

        if (extra > e->isz - GOOD_OLD_ISIZE)
                return bad(e, -EINVAL, "inode %u: extra size %u is larger than the inode", ino,
                           extra);
        for (size_t i = 0; i < ARRAY_SIZE(time_fields); i++) {
                unsigned s = time_fields[i].sec, x = time_fields[i].extra;

                if (has_field(e->isz, extra, s) && get_le32(raw + s) != e->t_sec)
                        changed = true;
                if (has_field(e->isz, extra, x) && get_le32(raw + x) != e->t_extra)
                        changed = true;
        }
        if (!changed)
                return 0;
        if (e->csum) {
                /* never rewrite an inode whose checksum we cannot reproduce */
                crc = inode_csum(e, ino, raw, has_hi);
                stored = get_le16(raw + I_CSUM_LO) |
                         (has_hi ? (uint32_t)get_le16(raw + I_CSUM_HI) << 16 : 0);
                if (stored != (has_hi ? crc : crc & 0xffff))
                        return bad(e, -EBADMSG, "inode %u: checksum 0x%08x, expected 0x%08x", ino,
                                   stored, has_hi ? crc : crc & 0xffff);
        }
        for (size_t i = 0; i < ARRAY_SIZE(time_fields); i++) {
                if (has_field(e->isz, extra, time_fields[i].sec))
                        put_le32(raw + time_fields[i].sec, e->t_sec);
                if (has_field(e->isz, extra, time_fields[i].extra))
                        put_le32(raw + time_fields[i].extra, e->t_extra);
        }
        if (e->csum) {
                crc = inode_csum(e, ino, raw, has_hi);
                put_le16(raw + I_CSUM_LO, (uint16_t)crc);
                if (has_hi)
                        put_le16(raw + I_CSUM_HI, (uint16_t)(crc >> 16));
        }
        e->changed++;
        return 1;
}

/* Fix inodes [first, first + n) of group g held in buf (read from pos), then
 * write back each run of changed inodes: whole-chunk writes would fill holes. */
static int chunk_fix(struct e4 *e, uint32_t g, uint32_t first, uint32_t n, uint8_t *buf,
                     uint64_t pos, const uint8_t *bitmap)
{
        uint32_t run = 0;
        int r;

        for (uint32_t i = 0; i <= n; i++) {
                uint32_t k = first + i;
                uint8_t *raw = buf + (size_t)i * e->isz;
                int fixed = 0;

                if (i < n && (bitmap[k / 8] >> (k % 8) & 1) &&
                    (get_le16(raw + I_MODE) || get_le16(raw + I_LINKS))) {
                        fixed = inode_fix(e, g * e->ipg + k + 1, raw);
                        if (fixed < 0)
                                return fixed;
                }
                if (fixed) {
                        run++;
                        continue;
                }
                if (run) {
                        size_t start = (size_t)(i - run) * e->isz;

                        r = write_at(e, pos + start, buf + start, (size_t)run * e->isz);
                        if (r < 0)
                                return r;
                        run = 0;
                }
        }
        return 0;
}

static int group_fix(struct e4 *e, uint32_t g, uint8_t *bitmap, uint8_t *buf)
{
        uint64_t bitmap_blk, table_blk, table;
        uint32_t used, per_chunk = CHUNK_BYTES / e->isz;
        char what[64];
        int r = group_load(e, g, &bitmap_blk, &table_blk, &used);

        if (r < 0 || !used)
                return r;
        snprintf(what, sizeof(what), "inode bitmap of group %u", g);
        r = read_at(e, bitmap_blk * e->bs, bitmap, (used + 7) / 8, what);
        if (r < 0)
                return r;
        table = table_blk * e->bs;
        snprintf(what, sizeof(what), "inode table of group %u", g);
        /* tables do not overlap: this bounds the work to the image's size */
        e->table_bytes += (uint64_t)used * e->isz;
        if (e->table_bytes > e->len)
                return bad(e, -EINVAL, "%s: the inode tables add up to more than the image", what);
        for (uint32_t first = 0; first < used; first += per_chunk) {
                uint32_t n = used - first < per_chunk ? used - first : per_chunk;
                uint64_t pos = table + (uint64_t)first * e->isz;

                if (pos < table)
                        return bad(e, -EINVAL, "%s: block %llu out of range", what,
                                   (unsigned long long)table_blk);
                r = read_at(e, pos, buf, (size_t)n * e->isz, what);
                if (r < 0)
                        return r;
                r = chunk_fix(e, g, first, n, buf, pos, bitmap);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ext4_times_fix(int fd, uint64_t offset, uint64_t size, uint64_t epoch, const char *name,
                   uint64_t *changed, struct diag *d)
{
        struct e4 e = {.fd = fd, .off = offset, .len = size, .name = name, .d = d};
        _cleanup_free_ uint8_t *bitmap = NULL, *buf = NULL;
        struct stat st;
        int r;

        if (epoch > EXT4_TIME_MAX)
                return bad(&e, -ERANGE, "epoch %llu is beyond what ext4 can store",
                           (unsigned long long)epoch);
        if (fstat(fd, &st) < 0)
                return bad(&e, -errno, "cannot stat: %s", strerror(errno));
        if ((uint64_t)st.st_size < offset)
                return bad(&e, -EINVAL, "offset %llu is past the end of the file",
                           (unsigned long long)offset);
        if (e.len > (uint64_t)st.st_size - offset)
                e.len = (uint64_t)st.st_size - offset;
        e.t_sec = (uint32_t)epoch;
        /* the 32-bit field is signed; the extra field's low two bits extend it */
        e.t_extra = (uint32_t)(((int64_t)epoch - (int32_t)e.t_sec) >> 32) & 3;
        r = sb_load(&e);
        if (r < 0)
                return r;
        bitmap = malloc(e.bs);
        buf = malloc(CHUNK_BYTES);
        if (!bitmap || !buf)
                return diag_err(d, -ENOMEM, "out of memory");
        for (uint32_t g = 0; g < e.groups; g++) {
                r = group_fix(&e, g, bitmap, buf);
                if (r < 0)
                        return r;
        }
        if (changed)
                *changed = e.changed;
        return 0;
}
