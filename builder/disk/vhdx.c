/* vhdx.c: replace the random identifiers qemu-img writes into a VHDX (MS-VHDX 1.0). */
#include "vhdx.h"
#include "util/crc32c.h"
#include "util/endian.h"
#include "gpt.h"
#include "util/cleanup.h"
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIB         1024u
#define MIB         (1024u * 1024u)
#define HEADER_LEN  (4 * KIB)  /* the checksummed part of each header */
#define TABLE_LEN   (64 * KIB) /* region table and metadata table */
#define MAX_ENTRIES 2047

static const char metadata_region_guid[] = "8b7ca206-4790-4b9a-b8fe-575f050f886e";
static const char virtual_disk_id_guid[] = "beca12ab-b2e6-4523-93ef-c309e000c746";
static const char parent_locator_guid[] = "a8d35f2d-b30b-454d-abf7-d3d84834ab0c";

struct vhdx {
        int fd;
        uint64_t file_size;
        const char *name;
        struct diag *d;
};

static int io(const struct vhdx *v, void *buf, size_t len, uint64_t off, int wr)
{
        uint8_t *p = buf;

        if (off > v->file_size || len > v->file_size - off)
                return diag_err(v->d, -EINVAL,
                                "vhdx \"%s\": structure at %llu (+%zu) lies outside the file "
                                "(%llu bytes)",
                                v->name, (unsigned long long)off, len,
                                (unsigned long long)v->file_size);
        while (len) {
                ssize_t n =
                        wr ? pwrite(v->fd, p, len, (off_t)off) : pread(v->fd, p, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return diag_err(v->d, n < 0 ? -errno : -EIO,
                                        "vhdx \"%s\": cannot %s at %llu", v->name,
                                        wr ? "write" : "read", (unsigned long long)off);
                p += n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
}

/* CRC-32C over buf with the checksum field (at 4) taken as zero. */
static uint32_t checksum(uint8_t *buf, size_t len)
{
        uint8_t saved[4];
        uint32_t c;

        memcpy(saved, buf + 4, 4);
        memset(buf + 4, 0, 4);
        c = crc32c(buf, len);
        memcpy(buf + 4, saved, 4);
        return c;
}

static int check_struct(const struct vhdx *v, uint8_t *buf, size_t len, const char *sig,
                        const char *what, uint64_t off)
{
        if (memcmp(buf, sig, strlen(sig)) != 0)
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": no %s signature at %llu", v->name,
                                what, (unsigned long long)off);
        if (get_le32(buf + 4) != checksum(buf, len))
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": %s at %llu has a bad checksum",
                                v->name, what, (unsigned long long)off);
        return 0;
}

static int read_header(const struct vhdx *v, int i, uint8_t *h)
{
        uint64_t off = (uint64_t)(i + 1) * 64 * KIB, log_off;
        uint32_t log_len;
        static const uint8_t zero[16];
        int r;

        r = io(v, h, HEADER_LEN, off, 0);
        if (r >= 0)
                r = check_struct(v, h, HEADER_LEN, "head", "header", off);
        if (r < 0)
                return r;
        if (get_le16(h + 66) != 1)
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": header %d has version %u, expected 1",
                                v->name, i + 1, get_le16(h + 66));
        if (memcmp(h + 48, zero, 16) != 0)
                return diag_err(v->d, -EINVAL,
                                "vhdx \"%s\": header %d has a log to replay (log guid not zero)",
                                v->name, i + 1);
        log_len = get_le32(h + 68);
        log_off = get_le64(h + 72);
        if (log_off % MIB || log_len % MIB || log_off < MIB || log_off > v->file_size ||
            log_len > v->file_size - log_off)
                return diag_err(v->d, -EINVAL,
                                "vhdx \"%s\": header %d: log at %llu (+%u) is not 1 MiB aligned "
                                "inside the file",
                                v->name, i + 1, (unsigned long long)log_off, log_len);
        return 0;
}

/* The log holds only stale entries (its GUID is zero): zeros read the same. */
static int clear_log(const struct vhdx *v, const uint8_t *h)
{
        uint64_t off = get_le64(h + 72), len = get_le32(h + 68);
        _cleanup_free_ uint8_t *zeros = NULL;

        if (len == 0 || fallocate(v->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                                  (off_t)len) == 0)
                return 0;
        zeros = calloc(1, MIB);
        if (!zeros)
                return diag_err(v->d, -ENOMEM, "out of memory");
        for (uint64_t done = 0; done < len; done += MIB) {
                int r = io(v, zeros, MIB, off + done, 1);

                if (r < 0)
                        return r;
        }
        return 0;
}

static int fix_headers(const struct vhdx *v, const char *seed)
{
        uint8_t h[2][HEADER_LEN];
        uint64_t seq[2], low;
        struct uuid file_write, data_write;
        int r;

        for (int i = 0; i < 2; i++) {
                r = read_header(v, i, h[i]);
                if (r < 0)
                        return r;
                seq[i] = get_le64(h[i] + 8);
        }
        uuid_derive(&file_write, "vhdx-file-write", seed, "");
        uuid_derive(&data_write, "vhdx-data-write", seed, "");
        low = seq[0] < seq[1] ? seq[0] : seq[1];
        for (int i = 0; i < 2; i++) {
                /* Keep which header is current; drop the random base. */
                put_le64(h[i] + 8, seq[i] - low + 1);
                guid_to_disk(h[i] + 16, &file_write);
                guid_to_disk(h[i] + 32, &data_write);
                put_le32(h[i] + 4, checksum(h[i], HEADER_LEN));
                r = io(v, h[i], HEADER_LEN, (uint64_t)(i + 1) * 64 * KIB, 1);
                if (r < 0)
                        return r;
        }
        return clear_log(v, h[seq[0] > seq[1] ? 0 : 1]);
}

/* Find the metadata region through region table 1. */
static int find_metadata(const struct vhdx *v, uint64_t *off, uint64_t *len)
{
        _cleanup_free_ uint8_t *t = malloc(TABLE_LEN);
        uint8_t want[16];
        struct uuid u;
        uint32_t n;
        int r;

        if (!t)
                return diag_err(v->d, -ENOMEM, "out of memory");
        r = io(v, t, TABLE_LEN, 192 * KIB, 0);
        if (r >= 0)
                r = check_struct(v, t, TABLE_LEN, "regi", "region table", 192 * KIB);
        if (r < 0)
                return r;
        n = get_le32(t + 8);
        if (n > MAX_ENTRIES || 16 + (size_t)n * 32 > TABLE_LEN)
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": region table has %u entries", v->name,
                                n);
        uuid_parse(metadata_region_guid, &u);
        guid_to_disk(want, &u);
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *e = t + 16 + (size_t)i * 32;

                if (memcmp(e, want, 16) != 0)
                        continue;
                *off = get_le64(e + 16);
                *len = get_le32(e + 24);
                if (*off % MIB || *len % MIB || *off < MIB || *len < TABLE_LEN ||
                    *off > v->file_size || *len > v->file_size - *off)
                        return diag_err(v->d, -EINVAL,
                                        "vhdx \"%s\": metadata region at %llu (+%llu) is not 1 MiB "
                                        "aligned inside the file",
                                        v->name, (unsigned long long)*off,
                                        (unsigned long long)*len);
                return 0;
        }
        return diag_err(v->d, -EINVAL, "vhdx \"%s\": no metadata region", v->name);
}

static int fix_disk_id(const struct vhdx *v, const char *seed)
{
        _cleanup_free_ uint8_t *t = malloc(TABLE_LEN);
        uint64_t md_off = 0, md_len = 0;
        uint8_t want[16], id[16];
        struct uuid u;
        uint16_t n;
        int r;

        if (!t)
                return diag_err(v->d, -ENOMEM, "out of memory");
        r = find_metadata(v, &md_off, &md_len);
        if (r >= 0)
                r = io(v, t, TABLE_LEN, md_off, 0);
        if (r < 0)
                return r;
        if (memcmp(t, "metadata", 8) != 0)
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": no metadata table signature at %llu",
                                v->name, (unsigned long long)md_off);
        n = get_le16(t + 10);
        if (n > MAX_ENTRIES || 32 + (size_t)n * 32 > TABLE_LEN)
                return diag_err(v->d, -EINVAL, "vhdx \"%s\": metadata table has %u entries",
                                v->name, n);
        uuid_parse(virtual_disk_id_guid, &u);
        guid_to_disk(want, &u);
        for (uint16_t i = 0; i < n; i++) {
                const uint8_t *e = t + 32 + (size_t)i * 32;
                uint32_t off = get_le32(e + 16), len = get_le32(e + 20);

                if (memcmp(e, want, 16) != 0)
                        continue;
                if (len != 16 || off < TABLE_LEN || off > md_len - 16)
                        return diag_err(v->d, -EINVAL,
                                        "vhdx \"%s\": virtual disk id item at %u (+%u) is not 16 "
                                        "bytes inside the metadata region",
                                        v->name, off, len);
                uuid_derive(&u, "vhdx-disk-id", seed, "");
                guid_to_disk(id, &u);
                return io(v, id, sizeof(id), md_off + off, 1);
        }
        return diag_err(v->d, -EINVAL, "vhdx \"%s\": no virtual disk id in the metadata", v->name);
}

int vhdx_make_stable(int fd, const char *seed, const char *name, struct diag *d)
{
        struct vhdx v = {.fd = fd, .name = name, .d = d};
        uint8_t sig[8];
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return diag_err(d, -errno, "vhdx \"%s\": %s", name, strerror(errno));
        v.file_size = (uint64_t)st.st_size;
        if (v.file_size < MIB)
                return diag_err(d, -EINVAL,
                                "vhdx \"%s\": %llu bytes is shorter than its header "
                                "section",
                                name, (unsigned long long)v.file_size);
        r = io(&v, sig, sizeof(sig), 0, 0);
        if (r < 0)
                return r;
        if (memcmp(sig, "vhdxfile", 8) != 0)
                return diag_err(d, -EINVAL, "vhdx \"%s\": no \"vhdxfile\" signature", name);
        r = fix_headers(&v, seed);
        if (r < 0)
                return r;
        return fix_disk_id(&v, seed);
}

int vhdx_has_parent(int fd, uint64_t file_size, const char *name, bool *parent, struct diag *d)
{
        struct vhdx v = {.fd = fd, .file_size = file_size, .name = name, .d = d};
        _cleanup_free_ uint8_t *t = malloc(TABLE_LEN);
        uint64_t md_off = 0, md_len = 0;
        uint8_t want[16];
        struct uuid u;
        uint16_t n;
        int r;

        *parent = false;
        if (!t)
                return diag_err(d, -ENOMEM, "out of memory");
        r = find_metadata(&v, &md_off, &md_len);
        if (r >= 0)
                r = io(&v, t, TABLE_LEN, md_off, 0);
        if (r < 0)
                return r;
        if (memcmp(t, "metadata", 8) != 0)
                return diag_err(d, -EINVAL, "vhdx \"%s\": no metadata table signature at %llu",
                                name, (unsigned long long)md_off);
        n = get_le16(t + 10);
        if (n > MAX_ENTRIES || 32 + (size_t)n * 32 > TABLE_LEN)
                return diag_err(d, -EINVAL, "vhdx \"%s\": metadata table has %u entries", name, n);
        uuid_parse(parent_locator_guid, &u);
        guid_to_disk(want, &u);
        for (uint16_t i = 0; i < n; i++)
                if (!memcmp(t + 32 + (size_t)i * 32, want, 16))
                        *parent = true;
        return 0;
}
