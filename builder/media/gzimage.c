/* gzimage.c: a disk image gzip'd for an installer (ISO and PXE set), zero megabytes spliced in
 * precompressed. */
#include "gzimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/cleanup.h"
#include "util/endian.h"
#include "util/fsutil.h"
#include "util/parse.h"
#include "media.h"

/* One pass over the image: the raw bytes hashed and deflated, the compressed
 * bytes hashed and written. */
struct gz {
        int in, out;
        z_stream z;
        bool z_live;  /* deflateInit2 succeeded */
        bool flushed; /* the stream is at a byte boundary with no history */
        struct hasher hr, hz;
        uint8_t *ibuf, *obuf;
        uint8_t *zblock; /* a zero megabyte, deflated (zero_block) */
        size_t zblock_len;
        uLong crc, zcrc; /* of the raw bytes; of a zero megabyte */
        uint64_t raw_size;
};

/* A megabyte of zeros deflated once, byte-aligned at both ends (a full flush, no
 * final bit): a stream flushed the same way can carry these bytes for every zero
 * megabyte of the image instead of deflating it again. Disk images are mostly
 * zeros, and deflate spends as long on zeros as on data. */
static int zero_block(uint8_t **out, size_t *len)
{
        _cleanup_free_ uint8_t *zeros = calloc(1, MEDIA_CHUNK);
        size_t cap = MEDIA_CHUNK / 256;
        uint8_t *buf = malloc(cap);
        z_stream z = {0};
        int zr;

        if (!zeros || !buf || deflateInit2(&z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
                free(buf);
                return -ENOMEM;
        }
        z.next_in = zeros;
        z.avail_in = MEDIA_CHUNK;
        z.next_out = buf;
        z.avail_out = (uInt)cap;
        zr = deflate(&z, Z_FULL_FLUSH);
        if ((zr != Z_OK && zr != Z_BUF_ERROR) || z.avail_in || !z.avail_out) {
                deflateEnd(&z);
                free(buf);
                return -EIO; /* cap is far above what a megabyte of zeros takes */
        }
        *len = cap - z.avail_out;
        *out = buf;
        deflateEnd(&z);
        return 0;
}

static int gz_emit(struct gz *g, const void *p, size_t n)
{
        hasher_update(&g->hz, p, n);
        return write_full(g->out, p, n);
}

/* Deflate what is in z.next_in into the output. */
static int gz_pump(struct gz *g, int flush)
{
        int zr, rc;

        do {
                g->z.next_out = g->obuf;
                g->z.avail_out = MEDIA_CHUNK;
                zr = deflate(&g->z, flush);
                if (zr == Z_STREAM_ERROR)
                        return -EIO;
                if ((rc = gz_emit(g, g->obuf, MEDIA_CHUNK - g->z.avail_out)) < 0)
                        return rc;
        } while (g->z.avail_out == 0);
        return flush == Z_FINISH && zr != Z_STREAM_END ? -EIO : 0;
}

static int gz_init(struct gz *g)
{
        g->ibuf = malloc(MEDIA_CHUNK);
        g->obuf = malloc(MEDIA_CHUNK);
        g->crc = crc32(0, NULL, 0);
        g->flushed = true;
        if (!g->ibuf || !g->obuf || hasher_init(&g->hr) < 0 || hasher_init(&g->hz) < 0 ||
            zero_block(&g->zblock, &g->zblock_len) < 0)
                return -ENOMEM;
        memset(g->ibuf, 0, MEDIA_CHUNK);
        g->zcrc = crc32(0, g->ibuf, MEDIA_CHUNK);
        if (deflateInit2(&g->z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        g->z_live = true;
        return 0;
}

static void gz_release(struct gz *g)
{
        if (g->z_live)
                deflateEnd(&g->z);
        hasher_release(&g->hr);
        hasher_release(&g->hz);
        free(g->ibuf);
        free(g->obuf);
        free(g->zblock);
}

/* Up to a whole megabyte, so that zero runs line up with the block. */
static ssize_t gz_read(struct gz *g)
{
        size_t got = 0;
        ssize_t n;

        while (got < MEDIA_CHUNK && (n = read(g->in, g->ibuf + got, MEDIA_CHUNK - got)) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

/* One chunk of got bytes in ibuf: a zero megabyte as the precomputed block
 * (after a full flush, so the stream is byte-aligned with no history), other
 * bytes deflated. */
static int gz_chunk(struct gz *g, size_t got)
{
        int rc = 0;

        hasher_update(&g->hr, g->ibuf, got);
        g->raw_size += got;
        if (got == MEDIA_CHUNK && media_all_zero(g->ibuf, got)) {
                if (!g->flushed) {
                        g->z.next_in = g->ibuf;
                        g->z.avail_in = 0;
                        rc = gz_pump(g, Z_FULL_FLUSH);
                        g->flushed = true;
                }
                if (rc >= 0)
                        rc = gz_emit(g, g->zblock, g->zblock_len);
                g->crc = crc32_combine(g->crc, g->zcrc, MEDIA_CHUNK);
                return rc;
        }
        g->crc = crc32(g->crc, g->ibuf, (uInt)got);
        g->z.next_in = g->ibuf;
        g->z.avail_in = (uInt)got;
        g->flushed = false;
        return gz_pump(g, Z_NO_FLUSH);
}

/* The deflate stream is written raw between a header and trailer of our own,
 * so that zero megabytes can be spliced in as the precomputed block. */
static int gz_stream(struct gz *g, const char *image, const char *out, struct diag *d)
{
        static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        uint8_t trailer[8];
        ssize_t got = 0;
        int rc = gz_emit(g, header, sizeof(header));

        while (rc >= 0 && (got = gz_read(g)) > 0)
                rc = gz_chunk(g, (size_t)got);
        if (rc >= 0 && got < 0)
                return diag_err(d, (int)got, "cannot read %s: %s", image, strerror((int)-got));
        if (rc >= 0)
                rc = gz_pump(g, Z_FINISH);
        put_le32(trailer, (uint32_t)g->crc);
        put_le32(trailer + 4, (uint32_t)g->raw_size);
        if (rc >= 0)
                rc = gz_emit(g, trailer, sizeof(trailer));
        if (rc < 0)
                return diag_err(d, rc, "cannot write %s: %s", out, strerror(-rc));
        return 0;
}

int gz_image_write(const char *image, const char *out, struct gz_image *res, struct diag *d)
{
        _cleanup_close_ int in = open(image, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        struct gz g = {.in = in, .out = o};
        uint8_t dr[SHA256_LEN], dz[SHA256_LEN];
        int rc;

        if (in < 0 || o < 0)
                return diag_err(d, -errno, "cannot open %s or %s: %m", image, out);
        rc = gz_init(&g);
        if (rc < 0)
                rc = diag_err(d, rc, "out of memory");
        if (rc >= 0)
                rc = gz_stream(&g, image, out, d);
        if (rc >= 0 && (hasher_final(&g.hr, dr) < 0 || hasher_final(&g.hz, dz) < 0))
                rc = diag_err(d, -ENOMEM, "out of memory");
        if (rc >= 0) {
                hex_encode(dr, SHA256_LEN, res->raw_sha);
                hex_encode(dz, SHA256_LEN, res->gz_sha);
                res->raw_size = g.raw_size;
        }
        gz_release(&g);
        return rc;
}

int gz_image_save_info(const char *path, const struct gz_image *img, struct diag *d)
{
        char text[256];
        int n = snprintf(text, sizeof(text), "raw_sha256 %s\ngz_sha256 %s\nraw_size %llu\n",
                         img->raw_sha, img->gz_sha, (unsigned long long)img->raw_size);
        int r = write_file_atomic(path, text, (size_t)n, 0644);

        return r < 0 ? diag_err(d, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

static bool hex64(const char *s)
{
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

int gz_image_load_info(const char *path, struct gz_image *img, struct diag *d)
{
        _cleanup_free_ char *text = NULL;
        char raw[SHA256_HEX + 1] = "", gz[SHA256_HEX + 1] = "", num[21] = "";
        uint64_t size = 0;
        size_t len;
        int end = 0, r = read_file(path, &text, &len);

        if (r < 0)
                return diag_err(d, r, "cannot read %s: %s", path, strerror(-r));
        if (len > 200 ||
            sscanf(text, "raw_sha256 %65s gz_sha256 %65s raw_size %20[0-9]%n", raw, gz, num,
                   &end) != 3 ||
            !hex64(raw) || !hex64(gz) || (size_t)end + 1 != len || text[end] != '\n' ||
            parse_uint(num, 0, UINT64_MAX, &size) < 0)
                return diag_err(d, -EINVAL, "%s: not what gz_image_save_info writes", path);
        memcpy(img->raw_sha, raw, SHA256_HEX);
        memcpy(img->gz_sha, gz, SHA256_HEX);
        img->raw_size = size;
        return 0;
}
