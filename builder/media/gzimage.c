/* gzimage.c: a disk image gzip'd for an installer (ISO and PXE set), zero megabytes spliced in
 * precompressed. */
#include "gzimage.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/cleanup.h"
#include "util/endian.h"
#include "util/fsutil.h"
#include "util/parse.h"
#include "media.h"

/* The image is read in batches of megabytes. Every megabyte is coded on its own,
 * byte-aligned at both ends and with no history: a zero megabyte as a block
 * deflated once, a megabyte that looks random (compressed data: kernels, initrds,
 * packed payloads) as stored blocks, anything else deflated. So the threads that
 * code a batch cannot change the bytes, the .gz is the same with one thread or
 * eight, and stored data stays byte for byte what the image holds, which a
 * compressor with long-distance matching (the bundle's zstd) finds again. */
#define BATCH      8
#define GZ_THREADS 4
#define STORED_MAX 65535u

enum chunk_code { CODE_ZERO, CODE_STORED, CODE_DEFLATE };

struct chunk {
        const uint8_t *in; /* a read buffer, or the zero megabyte */
        size_t len;
        enum chunk_code code;
        uint8_t *out; /* coded bytes (CODE_STORED, CODE_DEFLATE) */
        size_t out_len, out_cap;
        uLong crc;
        int err;
};

struct gz {
        int in, out;
        off_t size, pos; /* of the image; the next byte to read */
        struct hasher hr, hz;
        uint8_t *bufs[BATCH];
        uint8_t *zeros;  /* MEDIA_CHUNK zero bytes */
        uint8_t *zblock; /* a zero megabyte, deflated (zero_block) */
        size_t zblock_len;
        uLong crc, zcrc; /* of the raw bytes; of a zero megabyte */
        uint64_t raw_size;
        struct chunk c[BATCH];
        size_t n;         /* chunks in this batch */
        size_t next;      /* the next chunk a coder takes (atomic) */
        size_t n_threads; /* coders besides the caller */
        z_stream z[GZ_THREADS];
        int z_live; /* deflate streams set up */
};

/* A megabyte of zeros deflated once, byte-aligned at both ends (a full flush, no
 * final bit): the stream carries these bytes for every zero megabyte of the image
 * instead of deflating it again. Disk images are mostly zeros. */
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

/* Whether the bytes look random: the sum of the squared byte counts within 2 % of
 * what evenly spread bytes give (n * n / 256). Deflate saves about 0.1 % on such
 * data at several times the cost of storing it. Integers only, so every machine
 * decides the same. */
static bool looks_random(const uint8_t *p, size_t n)
{
        uint32_t count[256] = {0};
        uint64_t sq = 0;

        if (n < 4096)
                return false;
        for (size_t i = 0; i < n; i++)
                count[p[i]]++;
        for (int i = 0; i < 256; i++)
                sq += (uint64_t)count[i] * count[i];
        return sq * 256 * 50 < (uint64_t)n * n * 51;
}

static int chunk_room(struct chunk *c, size_t need)
{
        if (c->out_cap < need) {
                uint8_t *p = realloc(c->out, need);

                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_cap = need;
        }
        return 0;
}

/* Stored blocks of at most 65535 bytes, not final: at a byte boundary each is one
 * header byte (BFINAL 0, BTYPE 00, padding), LEN and its complement, the bytes. */
static int code_stored(struct chunk *c)
{
        size_t n = 0;

        if (chunk_room(c, c->len + 5 * ((c->len + STORED_MAX - 1) / STORED_MAX)) < 0)
                return -ENOMEM;
        for (size_t off = 0; off < c->len; off += STORED_MAX) {
                size_t k = c->len - off < STORED_MAX ? c->len - off : STORED_MAX;

                c->out[n] = 0;
                put_le16(c->out + n + 1, (uint16_t)k);
                put_le16(c->out + n + 3, (uint16_t)~k);
                memcpy(c->out + n + 5, c->in + off, k);
                n += 5 + k;
        }
        c->out_len = n;
        return 0;
}

static int code_deflate(struct chunk *c, z_stream *z)
{
        size_t cap = deflateBound(z, (uLong)c->len) + 64;
        int zr;

        if (deflateReset(z) != Z_OK || chunk_room(c, cap) < 0)
                return -ENOMEM;
        z->next_in = (Bytef *)c->in;
        z->avail_in = (uInt)c->len;
        z->next_out = c->out;
        z->avail_out = (uInt)cap;
        zr = deflate(z, Z_FULL_FLUSH);
        if (zr != Z_OK || z->avail_in || !z->avail_out)
                return -EIO; /* deflateBound says this cannot happen */
        c->out_len = cap - z->avail_out;
        return 0;
}

/* Take chunks of the batch until none is left. */
static void code_chunks(struct gz *g, z_stream *z)
{
        size_t i;

        while ((i = __atomic_fetch_add(&g->next, 1, __ATOMIC_RELAXED)) < g->n) {
                struct chunk *c = &g->c[i];

                if (c->code == CODE_ZERO)
                        continue;
                c->crc = crc32(crc32(0, NULL, 0), c->in, (uInt)c->len);
                c->code = looks_random(c->in, c->len) ? CODE_STORED : CODE_DEFLATE;
                c->err = c->code == CODE_STORED ? code_stored(c) : code_deflate(c, z);
        }
}

struct coder {
        struct gz *g;
        z_stream *z;
};

static void *coder_main(void *arg)
{
        struct coder *k = arg;

        code_chunks(k->g, k->z);
        return NULL;
}

static int gz_emit(struct gz *g, const void *p, size_t n)
{
        hasher_update(&g->hz, p, n);
        return write_full(g->out, p, n);
}

static int gz_init(struct gz *g)
{
        g->crc = crc32(0, NULL, 0);
        g->zeros = calloc(1, MEDIA_CHUNK);
        if (!g->zeros || hasher_init(&g->hr) < 0 || hasher_init(&g->hz) < 0 ||
            zero_block(&g->zblock, &g->zblock_len) < 0)
                return -ENOMEM;
        for (int i = 0; i < BATCH; i++)
                if (!(g->bufs[i] = malloc(MEDIA_CHUNK)))
                        return -ENOMEM;
        g->zcrc = crc32(g->crc, g->zeros, MEDIA_CHUNK);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        g->n_threads = cpus > GZ_THREADS ? GZ_THREADS - 1 : cpus > 1 ? (size_t)cpus - 1 : 0;
        for (size_t i = 0; i <= g->n_threads; i++) {
                if (deflateInit2(&g->z[i], 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
                        return -ENOMEM;
                g->z_live++;
        }
        return 0;
}

static void gz_release(struct gz *g)
{
        for (int i = 0; i < g->z_live; i++)
                deflateEnd(&g->z[i]);
        hasher_release(&g->hr);
        hasher_release(&g->hz);
        for (int i = 0; i < BATCH; i++) {
                free(g->bufs[i]);
                free(g->c[i].out);
        }
        free(g->zeros);
        free(g->zblock);
}

/* The next batch: a megabyte the filesystem keeps as a hole is not read. */
static int gz_read_batch(struct gz *g)
{
        g->n = 0;
        while (g->n < BATCH && g->pos < g->size) {
                struct chunk *c = &g->c[g->n];
                size_t len = g->size - g->pos < (off_t)MEDIA_CHUNK ? (size_t)(g->size - g->pos)
                                                                   : MEDIA_CHUNK;
                off_t data = lseek(g->in, g->pos, SEEK_DATA);

                if (data < 0 && errno != ENXIO)
                        return -errno;
                c->len = len;
                c->code = CODE_DEFLATE;
                if (data < 0 || data >= g->pos + (off_t)len) {
                        c->in = g->zeros;
                } else {
                        int r = pread_full(g->in, g->bufs[g->n], len, g->pos);

                        if (r < 0)
                                return r;
                        c->in = g->bufs[g->n];
                }
                if (len == MEDIA_CHUNK && (c->in == g->zeros || media_all_zero(c->in, len)))
                        c->code = CODE_ZERO;
                g->pos += (off_t)len;
                g->n++;
        }
        return 0;
}

/* Code the batch with every thread while this one hashes the raw bytes, then write
 * it in order. */
static int gz_batch(struct gz *g)
{
        struct coder k[GZ_THREADS];
        pthread_t t[GZ_THREADS];
        size_t started = 0, work = 0;
        int rc = 0;

        for (size_t i = 0; i < g->n; i++)
                work += g->c[i].code != CODE_ZERO;
        g->next = 0;
        for (size_t i = 0; work > 1 && i < g->n_threads; i++) {
                k[i] = (struct coder){g, &g->z[i + 1]};
                if (pthread_create(&t[i], NULL, coder_main, &k[i]) != 0)
                        break; /* the others code it */
                started++;
        }
        for (size_t i = 0; i < g->n; i++) {
                hasher_update(&g->hr, g->c[i].in, g->c[i].len);
                g->raw_size += g->c[i].len;
        }
        code_chunks(g, &g->z[0]);
        for (size_t i = 0; i < started; i++)
                pthread_join(t[i], NULL);
        for (size_t i = 0; rc >= 0 && i < g->n; i++) {
                struct chunk *c = &g->c[i];

                if (c->code == CODE_ZERO) {
                        g->crc = crc32_combine(g->crc, g->zcrc, MEDIA_CHUNK);
                        rc = gz_emit(g, g->zblock, g->zblock_len);
                        continue;
                }
                g->crc = crc32_combine(g->crc, c->crc, (z_off_t)c->len);
                rc = c->err < 0 ? c->err : gz_emit(g, c->out, c->out_len);
        }
        return rc;
}

/* The deflate stream between a header and trailer of our own; it ends with an
 * empty final block (fixed codes, end of block). */
static int gz_stream(struct gz *g, const char *image, const char *out, struct diag *d)
{
        static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        static const uint8_t last[2] = {0x03, 0x00};
        uint8_t trailer[8];
        int rc = gz_emit(g, header, sizeof(header));

        while (rc >= 0 && g->pos < g->size) {
                rc = gz_read_batch(g);
                if (rc < 0)
                        return diag_err(d, rc, "cannot read %s: %s", image, strerror(-rc));
                rc = gz_batch(g);
        }
        put_le32(trailer, (uint32_t)g->crc);
        put_le32(trailer + 4, (uint32_t)g->raw_size);
        if (rc >= 0)
                rc = gz_emit(g, last, sizeof(last));
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
        struct stat st;
        int rc;

        if (in < 0 || o < 0 || fstat(in, &st) < 0)
                return diag_err(d, -errno, "cannot open %s or %s: %m", image, out);
        g.size = st.st_size;
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
