/* copypool.c: a bounded queue of copy jobs drained by worker threads. */
#include "copypool.h"
#include "fsutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE   64
#define WORKERS 7

struct copy_job {
        int in, out;
        off_t size;
        mode_t mode;
        uint64_t seq;
        char *rel;
};

struct copy_pool {
        pthread_mutex_t lock;
        pthread_cond_t more, room;
        struct copy_job q[QUEUE];
        size_t head, len;
        bool closing;
        pthread_t th[WORKERS];
        size_t n_threads;
        uint64_t seq;
        /* the failure with the lowest sequence number */
        int err;
        uint64_t err_seq;
        char *err_rel;
        const char *err_what;
};

static int run_job(const struct copy_job *j, const char **what)
{
        int r = copy_sparse_range(j->in, 0, j->out, 0, j->size);

        *what = "copy";
        /* owner 0:0 first: chown clears setuid bits, the mode sets them again */
        if (r >= 0 && (fchown(j->out, 0, 0) < 0 || fchmod(j->out, j->mode & 07777) < 0)) {
                r = -errno;
                *what = "set owner and mode";
        }
        close(j->in);
        close(j->out);
        return r;
}

static void note_result(struct copy_pool *p, struct copy_job *j, int r, const char *what)
{
        if (r < 0 && (!p->err || j->seq < p->err_seq)) {
                free(p->err_rel);
                p->err = r;
                p->err_seq = j->seq;
                p->err_rel = j->rel;
                p->err_what = what;
                j->rel = NULL;
        }
        free(j->rel);
}

static void *worker(void *arg)
{
        struct copy_pool *p = arg;

        pthread_mutex_lock(&p->lock);
        for (;;) {
                struct copy_job j;
                const char *what;
                int r;

                while (!p->len && !p->closing)
                        pthread_cond_wait(&p->more, &p->lock);
                if (!p->len)
                        break;
                j = p->q[p->head];
                p->head = (p->head + 1) % QUEUE;
                p->len--;
                pthread_cond_signal(&p->room);
                pthread_mutex_unlock(&p->lock);
                r = run_job(&j, &what);
                pthread_mutex_lock(&p->lock);
                note_result(p, &j, r, what);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

struct copy_pool *copy_pool_start(void)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t want = cpus <= 1 ? 1 : cpus > WORKERS ? WORKERS : (size_t)cpus;
        struct copy_pool *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->more, NULL);
        pthread_cond_init(&p->room, NULL);
        for (size_t i = 0; i < want; i++)
                if (pthread_create(&p->th[p->n_threads], NULL, worker, p) == 0)
                        p->n_threads++;
        if (!p->n_threads) {
                pthread_mutex_destroy(&p->lock);
                pthread_cond_destroy(&p->more);
                pthread_cond_destroy(&p->room);
                free(p);
                return NULL;
        }
        return p;
}

int copy_pool_add(struct copy_pool *p, int in, int out, off_t size, mode_t mode, const char *rel,
                  const char **what)
{
        struct copy_job j = {.in = in, .out = out, .size = size, .mode = mode};

        if (!p)
                return run_job(&j, what);
        pthread_mutex_lock(&p->lock);
        if (p->err) { /* a copy failed: the walk stops, copy_pool_finish says where */
                pthread_mutex_unlock(&p->lock);
                close(in);
                close(out);
                return -ECANCELED;
        }
        j.rel = strdup(rel);
        j.seq = p->seq++;
        while (p->len == QUEUE)
                pthread_cond_wait(&p->room, &p->lock);
        p->q[(p->head + p->len) % QUEUE] = j;
        p->len++;
        pthread_cond_signal(&p->more);
        pthread_mutex_unlock(&p->lock);
        return 0;
}

int copy_pool_finish(struct copy_pool *p, char **rel, const char **what)
{
        int r;

        *rel = NULL;
        *what = "copy";
        if (!p)
                return 0;
        pthread_mutex_lock(&p->lock);
        p->closing = true;
        pthread_cond_broadcast(&p->more);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < p->n_threads; i++)
                pthread_join(p->th[i], NULL);
        r = p->err;
        *rel = p->err_rel;
        if (p->err_what)
                *what = p->err_what;
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->more);
        pthread_cond_destroy(&p->room);
        free(p);
        return r;
}
