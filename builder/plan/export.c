/* export.c: outputs copied out of the cache while the build still runs, into temp files
 * beside their targets, renamed into place only once the whole build succeeded. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/treesum.h"

struct staged {
        struct atomic_file a;
        bool unchanged; /* the file there is still the copy of this object */
        bool copied;
};

struct node_stage {
        struct export_list l;
        struct staged *f;
        bool queued, done;
        bool bad; /* the object no longer held what was made: dropped at the end */
        int err;
        char *msg;
};

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

struct exporter {
        const struct graph *g;
        const char *out;
        struct outdir *od;
        struct node_stage *s; /* by index in g->nodes */
        pthread_t th;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t more;
        size_t *queue, head, tail; /* node indexes waiting for the thread */
        bool stop;
        bool digests; /* each copied file's sha256 into the cache's digests */
};

static size_t node_index(const struct graph *g, const struct node *n)
{
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i] == n)
                        return i;
        return g->n;
}

/* src (open as fd) against the digest the object's manifest recorded for it: a
 * mismatch leaves the node's message and -EBADMSG (the object is dropped at the end,
 * when nothing reads it any more). */
static int check_digest(struct exporter *e, size_t i, const char *src, int fd)
{
        struct node_stage *s = &e->s[i];
        const struct node *n = e->g->nodes[i];
        _cleanup_free_ char *dir = node_object_dir(e->g, n), *man = node_manifest(e->g, n);
        _cleanup_free_ uint8_t *buf = malloc(1u << 20);
        char want[SHA256_HEX], have[SHA256_HEX];
        size_t dl = dir ? strlen(dir) : 0;
        int r;

        if (!dir || !man || !buf)
                return -ENOMEM;
        if (strncmp(src, dir, dl) || src[dl] != '/')
                return 0; /* not a file of this object */
        r = treesum_lookup(man, src + dl + 1, want);
        if (r >= 0)
                r = treesum_file_digest(fd, buf, have);
        if (r >= 0 && !strcmp(want, have))
                return 0;
        if (asprintf(&s->msg,
                     "the cache object of %s (%.16s) no longer holds what was made (%s%s%s): not "
                     "exported, and dropped; build again",
                     n->id, n->key, src + dl + 1, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "") < 0)
                s->msg = NULL;
        s->bad = true;
        return -EBADMSG;
}

/* One file (k) of node i into its temp file beside its target; 0 or -errno, the
 * message in the node's stage. */
static int stage_file(struct exporter *e, size_t i, size_t k)
{
        struct node_stage *s = &e->s[i];
        struct staged *f = &s->f[k];
        _cleanup_free_ char *dst = path_join(e->out, s->l.v[k].out);
        _cleanup_close_ int in = -1;
        struct stat st;
        int rc = 0;

        if (!dst)
                return -ENOMEM;
        if (outdir_current(e->od, s->l.v[k].out, s->l.v[k].src)) {
                f->unchanged = true;
                return 0;
        }
        in = open(s->l.v[k].src, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                rc = -errno;
        /* the bytes read once here are the ones that ship: checked against
         * what the object held when it was made */
        if (rc >= 0 && (rc = check_digest(e, i, s->l.v[k].src, in)) < 0)
                return rc;
        if (rc >= 0)
                rc = atomic_open(&f->a, dst, 0644);
        if (rc >= 0)
                rc = copy_fd_sparse(in, f->a.fd, st.st_size);
        if (rc >= 0 && fsync(f->a.fd) < 0)
                rc = -errno;
        f->copied = rc >= 0;
        /* while later nodes build: the digest the end of the build shows */
        if (rc >= 0 && e->digests) {
                char hex[SHA256_HEX];

                (void)export_sha256(e->g, e->g->nodes[i], s->l.v[k].src, hex);
        }
        if (rc < 0 && !s->msg && asprintf(&s->msg, "cannot write %s: %s", dst, strerror(-rc)) < 0)
                s->msg = NULL;
        return rc;
}

/* Copy one node's files into temp files beside their targets (and to disk: the
 * rename at the end is then all that is left). */
static void stage_node(struct exporter *e, size_t i)
{
        struct node_stage *s = &e->s[i];
        int rc;

        rc = node_exports(e->g, e->g->nodes[i], &s->l);
        if (rc >= 0 && !(s->f = calloc(s->l.n + 1, sizeof(*s->f))))
                rc = -ENOMEM;
        for (size_t k = 0; rc >= 0 && k < s->l.n; k++)
                s->f[k].a.fd = -1;
        for (size_t k = 0; rc >= 0 && k < s->l.n; k++)
                rc = stage_file(e, i, k);
        s->err = rc;
}

static void *exporter_main(void *arg)
{
        struct exporter *e = arg;

        pthread_mutex_lock(&e->lock);
        for (;;) {
                size_t i;

                while (e->head == e->tail && !e->stop)
                        pthread_cond_wait(&e->more, &e->lock);
                if (e->head == e->tail)
                        break;
                i = e->queue[e->head++];
                pthread_mutex_unlock(&e->lock);
                stage_node(e, i);
                pthread_mutex_lock(&e->lock);
                e->s[i].done = true;
        }
        pthread_mutex_unlock(&e->lock);
        return NULL;
}

int exporter_start(struct exporter **out, const struct graph *g, const char *dir, struct outdir *od,
                   bool digests, struct diag *d)
{
        struct exporter *e = calloc(1, sizeof(*e));

        if (!e || !(e->s = calloc(g->n + 1, sizeof(*e->s))) ||
            !(e->queue = calloc(g->n + 1, sizeof(*e->queue)))) {
                exporter_free(e);
                return diag_err(d, -ENOMEM, "out of memory");
        }
        e->g = g;
        e->out = dir;
        e->od = od;
        e->digests = digests;
        pthread_mutex_init(&e->lock, NULL);
        pthread_cond_init(&e->more, NULL);
        /* ASan's allocator (GCC 12's) is not fork-safe while another thread
         * allocates: a worker could start with its lock taken and hang. Under
         * ASan the copies wait for the end of the build. */
        e->started = !ASAN && pthread_create(&e->th, NULL, exporter_main, e) == 0;
        *out = e; /* without the thread, exporter_finish copies everything itself */
        return 0;
}

void exporter_add(struct exporter *e, const struct node *n)
{
        size_t i = node_index(e->g, n);

        if (i >= e->g->n || e->s[i].queued)
                return;
        pthread_mutex_lock(&e->lock);
        e->s[i].queued = true;
        e->queue[e->tail++] = i;
        pthread_cond_signal(&e->more);
        pthread_mutex_unlock(&e->lock);
}

static void join(struct exporter *e)
{
        if (!e->started)
                return;
        pthread_mutex_lock(&e->lock);
        e->stop = true;
        pthread_cond_signal(&e->more);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->th, NULL);
        e->started = false;
}

/* The renames a build is about to make, written (and synced) before the first:
 * killed between two of them, the next build finishes them (exporter_recover),
 * so out/ ends up with the whole new set, never a mix. Line 1 names the pid. */
#define JOURNAL ".pocbake-commit"

/* A name of path relative to out ("out/a/b" -> "a/b"), or NULL. */
static const char *rel_to(const char *out, const char *path)
{
        size_t n = strlen(out);

        while (n > 1 && out[n - 1] == '/')
                n--;
        if (strncmp(path, out, n) || path[n] != '/')
                return NULL;
        return path + n + 1;
}

static int journal_write(struct exporter *e, struct diag *d)
{
        _cleanup_free_ char *path = path_join(e->out, JOURNAL), *text = NULL;
        size_t len = 0, renames = 0;
        FILE *f;
        int r;

        if (!path || !(f = open_memstream(&text, &len)))
                return -ENOMEM;
        fprintf(f, "pocbake-commit %d\n", (int)getpid());
        for (size_t i = 0; i < e->g->n; i++)
                for (size_t k = 0; k < e->s[i].l.n; k++) {
                        struct staged *st = &e->s[i].f[k];
                        const char *tmp = st->a.tmp ? rel_to(e->out, st->a.tmp) : NULL,
                                   *fin = st->a.final ? rel_to(e->out, st->a.final) : NULL;

                        if (st->unchanged || !tmp || !fin)
                                continue;
                        /* the data is on disk before the journal says to use it */
                        if (st->a.fd >= 0 && fsync(st->a.fd) < 0) {
                                r = -errno;
                                fclose(f);
                                return diag_err(d, r, "cannot write %s: %s", st->a.final,
                                                strerror(-r));
                        }
                        fprintf(f, "%s\t%s\n", tmp, fin);
                        renames++;
                }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (renames < 2)
                return 0; /* one rename is atomic by itself */
        r = write_file_atomic(path, text, len, 0644);
        return r < 0 ? diag_err(d, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

static void journal_done(struct exporter *e)
{
        _cleanup_free_ char *path = path_join(e->out, JOURNAL);

        if (path)
                (void)unlink(path);
}

/* Test hook: POCBAKE_FAULT_COMMIT=N kills the build right after its Nth rename,
 * the moment a crash would leave out/ half old, half new without the journal. */
static bool fault_after_rename(void)
{
        static long left = -1;

        if (left < 0) {
                const char *v = getenv("POCBAKE_FAULT_COMMIT");

                left = v && *v ? strtol(v, NULL, 10) : 0;
                if (left < 0)
                        left = 0;
        }
        return left > 0 && --left == 0;
}

int exporter_finish(struct exporter *e, exporter_fn fn, void *ctx, struct diag *d)
{
        int rc = 0;

        join(e);
        /* every copy made and checked before the first rename: a node that failed
         * leaves out/ as it was */
        for (size_t i = 0; i < e->g->n; i++) {
                struct node_stage *s = &e->s[i];

                if (!s->done) { /* never queued (or no thread): copied now */
                        stage_node(e, i);
                        s->done = true;
                }
                if (s->err < 0 && rc >= 0)
                        rc = diag_err(d, s->err, "%s",
                                      s->msg ? s->msg : "cannot copy the outputs of a node");
        }
        if (rc >= 0)
                rc = journal_write(e, d);
        for (size_t i = 0; rc >= 0 && i < e->g->n; i++) {
                struct node_stage *s = &e->s[i];
                const struct node *n = e->g->nodes[i];

                for (size_t k = 0; rc >= 0 && k < s->l.n; k++) {
                        struct staged *f = &s->f[k];
                        _cleanup_free_ char *dst = path_join(e->out, s->l.v[k].out);

                        if (!dst)
                                rc = -ENOMEM;
                        else if (!f->unchanged && (rc = atomic_commit(&f->a)) < 0)
                                diag_err(d, rc, "cannot write %s: %s", dst, strerror(-rc));
                        else
                                rc = fn(ctx, n, &s->l.v[k], dst, !f->unchanged, d);
                        if (rc >= 0 && !f->unchanged && fault_after_rename())
                                raise(SIGKILL);
                }
        }
        if (rc >= 0)
                journal_done(e);
        return rc;
}

/* A line of the journal, checked: a relative name inside out/ without "..". */
static bool journal_name_ok(const char *p)
{
        if (!*p || p[0] == '/')
                return false;
        for (const char *c = p; c; c = strchr(c, '/')) {
                c += *c == '/';
                if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
                        return false;
        }
        return true;
}

int exporter_recover(const char *out, size_t *done, struct diag *d)
{
        _cleanup_free_ char *path = path_join(out, JOURNAL), *text = NULL;
        _cleanup_close_ int dfd = -1;
        size_t len;
        long pid;
        char *line, *end;
        int r;

        *done = 0;
        if (!path)
                return -ENOMEM;
        r = read_file(path, &text, &len);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return diag_err(d, r, "cannot read %s: %s", path, strerror(-r));
        if (sscanf(text, "pocbake-commit %ld\n", &pid) == 1 && pid > 0 && pid != getpid() &&
            (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                return 0; /* a build still at work renames its own files */
        dfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return diag_err(d, -errno, "cannot open %s: %s", out, strerror(errno));
        line = strchr(text, '\n');
        for (line = line ? line + 1 : NULL; line && *line; line = end ? end + 1 : NULL) {
                char *tab;

                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = 0;
                if (!journal_name_ok(line) || !journal_name_ok(tab + 1))
                        continue;
                if (renameat(dfd, line, dfd, tab + 1) == 0)
                        (*done)++;
                else if (errno != ENOENT)
                        return diag_err(d, -errno,
                                        "cannot finish the interrupted build's %s in %s: %s",
                                        tab + 1, out, strerror(errno));
        }
        (void)fsync(dfd);
        if (unlink(path) < 0 && errno != ENOENT)
                return diag_err(d, -errno, "cannot remove %s: %s", path, strerror(errno));
        return 0;
}

void exporter_free(struct exporter *e)
{
        if (!e)
                return;
        join(e);
        for (size_t i = 0; e->s && i < e->g->n; i++) {
                if (e->s[i].bad) {
                        _cleanup_free_ char *dir = node_object_dir(e->g, e->g->nodes[i]);
                        _cleanup_free_ char *man = node_manifest(e->g, e->g->nodes[i]);

                        if (dir && man) {
                                rm_rf(dir);
                                unlink(man);
                        }
                }
                for (size_t k = 0; e->s[i].f && k < e->s[i].l.n; k++)
                        atomic_release(&e->s[i].f[k].a); /* uncommitted temps go */
                free(e->s[i].f);
                free(e->s[i].msg);
                export_list_release(&e->s[i].l);
        }
        free(e->s);
        free(e->queue);
        if (e->g) {
                pthread_mutex_destroy(&e->lock);
                pthread_cond_destroy(&e->more);
        }
        free(e);
}
