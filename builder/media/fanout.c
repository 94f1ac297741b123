/* fanout.c: one byte stream (the bundle's tar) compressed by several sinks, a thread each. */
#include "fanout.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "util/fsutil.h"

/* A ring of slots every sink reads in turn; a slot is refilled once all sinks
 * have passed it. gzip is several times slower than zstd and the hashing:
 * with each codec in its own thread the write takes about as long as gzip. */
#define SLOTS     8
#define SLOT_SIZE (1u << 20)

struct slot {
        uint8_t *buf;
        size_t len;
};

struct sink {
        struct fanout *f;
        pthread_t thread;
        bool started;
        struct archive *a; /* gzip: libarchive's filter */
        ZSTD_CCtx *z;      /* zstd: the library itself, for its long-distance matching */
        uint8_t *zbuf;
        size_t zbuf_len;
        int fd;
        const char *path;
        uint64_t tail; /* next slot to read */
        char *err;
};

struct fanout {
        pthread_mutex_t lock;
        pthread_cond_t more;  /* a slot was published, or the end */
        pthread_cond_t freed; /* a sink moved on */
        struct slot slots[SLOTS];
        uint64_t head; /* slots published */
        bool done;
        struct sink sinks[FANOUT_SINKS];
        int n;
};

int fanout_new(struct fanout **out, struct diag *d)
{
        struct fanout *f = calloc(1, sizeof(*f));

        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->more, NULL);
        pthread_cond_init(&f->freed, NULL);
        for (int i = 0; i < SLOTS; i++) {
                f->slots[i].buf = malloc(SLOT_SIZE);
                if (!f->slots[i].buf) {
                        fanout_free(f);
                        return diag_err(d, -ENOMEM, "out of memory");
                }
        }
        *out = f;
        return 0;
}

static void sink_fail(struct sink *s, const char *why)
{
        if (!s->err)
                s->err = strdup(why                                  ? why
                                : s->a && archive_error_string(s->a) ? archive_error_string(s->a)
                                                                     : "write failed");
}

/* Compress what in holds (all of it) and write what comes out; mode ZSTD_e_end
 * also ends the frame. */
static void zstd_put(struct sink *s, const void *p, size_t n, ZSTD_EndDirective mode)
{
        ZSTD_inBuffer in = {p, n, 0};
        size_t left;

        do {
                ZSTD_outBuffer out = {s->zbuf, s->zbuf_len, 0};
                int r;

                left = ZSTD_compressStream2(s->z, &out, &in, mode);
                if (ZSTD_isError(left)) {
                        sink_fail(s, ZSTD_getErrorName(left));
                        return;
                }
                if ((r = write_full(s->fd, s->zbuf, out.pos)) < 0) {
                        sink_fail(s, strerror(-r));
                        return;
                }
        } while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
}

static void sink_put(struct sink *s, const void *p, size_t n)
{
        if (s->err)
                return;
        if (s->z)
                zstd_put(s, p, n, ZSTD_e_continue);
        else if (archive_write_data(s->a, p, n) != (la_ssize_t)n)
                sink_fail(s, NULL);
}

static void *sink_main(void *arg)
{
        struct sink *s = arg;
        struct fanout *f = s->f;

        for (;;) {
                struct slot *sl;

                pthread_mutex_lock(&f->lock);
                while (s->tail == f->head && !f->done)
                        pthread_cond_wait(&f->more, &f->lock);
                if (s->tail == f->head) {
                        pthread_mutex_unlock(&f->lock);
                        break;
                }
                pthread_mutex_unlock(&f->lock);
                /* The producer leaves this slot alone until every sink passed it. */
                sl = &f->slots[s->tail % SLOTS];
                sink_put(s, sl->buf, sl->len);
                pthread_mutex_lock(&f->lock);
                s->tail++;
                pthread_cond_signal(&f->freed);
                pthread_mutex_unlock(&f->lock);
        }
        if (!s->err && s->z)
                zstd_put(s, NULL, 0, ZSTD_e_end);
        else if (!s->err && archive_write_close(s->a) != ARCHIVE_OK)
                sink_fail(s, NULL);
        return NULL;
}

/* zstd level 3 in one thread, with long-distance matching over a 32 MiB window:
 * a disk image carried in several forms (raw, qcow2, inside the host image, in
 * the installer's stored-block gzip) costs about once, the same kernel in every
 * role's UKI too. A window of 2^25 stays under what zstd readers accept without
 * options (2^27), and the output does not depend on threads. */
static int zstd_open(struct sink *s, int fd)
{
        s->fd = fd;
        s->zbuf_len = ZSTD_CStreamOutSize();
        s->z = ZSTD_createCCtx();
        s->zbuf = malloc(s->zbuf_len);
        if (!s->z || !s->zbuf)
                return -ENOMEM;
        if (ZSTD_isError(ZSTD_CCtx_setParameter(s->z, ZSTD_c_compressionLevel, 3)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->z, ZSTD_c_windowLog, 25)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->z, ZSTD_c_enableLongDistanceMatching, 1)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->z, ZSTD_c_checksumFlag, 1)))
                return -EIO;
        return 0;
}

/* gzip through libarchive's raw format, which passes the tar through untouched. */
static int gzip_open(struct sink *s, int fd)
{
        struct archive_entry *e = archive_entry_new();
        struct archive *a = s->a = archive_write_new();
        int ok;

        if (!a || !e) {
                archive_entry_free(e);
                return -ENOMEM;
        }
        archive_entry_set_pathname(e, "bundle.tar");
        archive_entry_set_filetype(e, AE_IFREG);
        ok = archive_write_set_format_raw(a) == ARCHIVE_OK &&
             archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
             archive_write_set_filter_option(a, "gzip", "timestamp", NULL) == ARCHIVE_OK &&
             /* level 1: the .tar.gz is for consumers without zstd; speed matters
              * more than its size */
             archive_write_set_filter_option(a, "gzip", "compression-level", "1") == ARCHIVE_OK &&
             archive_write_set_bytes_per_block(a, 0) == ARCHIVE_OK &&
             archive_write_open_fd(a, fd) == ARCHIVE_OK && archive_write_header(a, e) == ARCHIVE_OK;
        archive_entry_free(e);
        return ok ? 0 : -EIO;
}

int fanout_add(struct fanout *f, int fd, const char *path, enum fanout_codec c, struct diag *d)
{
        struct sink *s;

        if (f->n >= FANOUT_SINKS || f->head > 0)
                return diag_err(d, -EINVAL, "\"%s\": too many outputs", path);
        s = &f->sinks[f->n++];
        s->f = f;
        s->path = path;
        if ((c == FANOUT_ZSTD ? zstd_open(s, fd) : gzip_open(s, fd)) < 0)
                return diag_err(d, -EIO, "cannot start \"%s\": %s", path,
                                s->a && archive_error_string(s->a) ? archive_error_string(s->a)
                                                                   : "no compressor");
        if (pthread_create(&s->thread, NULL, sink_main, s) != 0)
                return diag_err(d, -EAGAIN, "cannot start a thread for \"%s\"", path);
        s->started = true;
        return 0;
}

/* Hand the filling slot to the sinks and wait until the next one is free. */
static void publish(struct fanout *f)
{
        pthread_mutex_lock(&f->lock);
        f->head++;
        pthread_cond_broadcast(&f->more);
        for (;;) {
                uint64_t oldest = f->head;

                for (int i = 0; i < f->n; i++)
                        if (f->sinks[i].tail < oldest)
                                oldest = f->sinks[i].tail;
                if (f->head - oldest < SLOTS)
                        break;
                pthread_cond_wait(&f->freed, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
        f->slots[f->head % SLOTS].len = 0;
}

int fanout_write(struct fanout *f, const void *p, size_t n)
{
        const uint8_t *b = p;

        while (n > 0) {
                struct slot *sl = &f->slots[f->head % SLOTS];
                size_t k = SLOT_SIZE - sl->len < n ? SLOT_SIZE - sl->len : n;

                memcpy(sl->buf + sl->len, b, k);
                sl->len += k;
                b += k;
                n -= k;
                if (sl->len == SLOT_SIZE)
                        publish(f);
        }
        return 0;
}

static void stop(struct fanout *f)
{
        pthread_mutex_lock(&f->lock);
        if (!f->done && f->slots[f->head % SLOTS].len > 0) {
                f->head++;
        }
        f->done = true;
        pthread_cond_broadcast(&f->more);
        pthread_mutex_unlock(&f->lock);
        for (int i = 0; i < f->n; i++)
                if (f->sinks[i].started) {
                        pthread_join(f->sinks[i].thread, NULL);
                        f->sinks[i].started = false;
                }
}

int fanout_finish(struct fanout *f, struct diag *d)
{
        stop(f);
        for (int i = 0; i < f->n; i++)
                if (f->sinks[i].err)
                        return diag_err(d, -EIO, "cannot write \"%s\": %s", f->sinks[i].path,
                                        f->sinks[i].err);
        return 0;
}

void fanout_free(struct fanout *f)
{
        if (!f)
                return;
        stop(f);
        for (int i = 0; i < f->n; i++) {
                if (f->sinks[i].a)
                        archive_write_free(f->sinks[i].a);
                ZSTD_freeCCtx(f->sinks[i].z);
                free(f->sinks[i].zbuf);
                free(f->sinks[i].err);
        }
        for (int i = 0; i < SLOTS; i++)
                free(f->slots[i].buf);
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->more);
        pthread_cond_destroy(&f->freed);
        free(f);
}
