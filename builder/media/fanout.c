/* fanout.c: one byte stream (the bundle's tar) compressed by several sinks, a thread each. */
#include "fanout.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
        struct archive *a;
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

static void sink_fail(struct sink *s)
{
        if (!s->err)
                s->err = strdup(archive_error_string(s->a) ? archive_error_string(s->a)
                                                           : "write failed");
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
                if (!s->err && archive_write_data(s->a, sl->buf, sl->len) != (la_ssize_t)sl->len)
                        sink_fail(s);
                pthread_mutex_lock(&f->lock);
                s->tail++;
                pthread_cond_signal(&f->freed);
                pthread_mutex_unlock(&f->lock);
        }
        if (!s->err && archive_write_close(s->a) != ARCHIVE_OK)
                sink_fail(s);
        return NULL;
}

/* The raw format passes the tar through untouched: both outputs hold the same tar. */
static int sink_open(struct sink *s, int fd, enum fanout_codec c)
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
             (c == FANOUT_ZSTD
                      ? archive_write_add_filter_zstd(a) == ARCHIVE_OK &&
                                archive_write_set_filter_option(a, "zstd", "compression-level",
                                                                "3") == ARCHIVE_OK
                      : archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
                                archive_write_set_filter_option(a, "gzip", "timestamp", NULL) ==
                                        ARCHIVE_OK &&
                                /* level 1: the .tar.gz is for consumers without
                                 * zstd; speed matters more than its size */
                                archive_write_set_filter_option(a, "gzip", "compression-level",
                                                                "1") == ARCHIVE_OK) &&
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
        if (sink_open(s, fd, c) < 0)
                return diag_err(d, -EIO, "cannot start \"%s\": %s", path,
                                s->a ? archive_error_string(s->a) : "out of memory");
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
                free(f->sinks[i].err);
        }
        for (int i = 0; i < SLOTS; i++)
                free(f->slots[i].buf);
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->more);
        pthread_cond_destroy(&f->freed);
        free(f);
}
