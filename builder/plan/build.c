/* build.c: the job runner: forked workers, the cache, progress and JSON events, export. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/parse.h"
#include "util/size.h"
#include "util/treesum.h"
#include "export.h"
#include "outdir.h"
#include "outputs.h"
#include "space.h"

struct worker {
        pid_t pid;
        struct node *node;
        char *tmp; /* the node's scratch object dir */
        char *log; /* the worker's messages */
        double start;
};

struct run {
        struct graph *g;
        const struct build_opts *o;
        struct worker *w;
        size_t running, done, total;
        size_t written, unchanged, removed;
        double t0;
        long peak_kib; /* the largest worker's own peak */
        bool failed;
        struct exporter *ex; /* copies outputs out while the build runs */
        struct outdir *od;   /* what earlier builds wrote there */
        size_t swept;        /* temp files of dead builds removed at the start */
        size_t recovered;    /* renames a killed build left undone, made at the start */
        size_t dropped;      /* cached objects that no longer held what was made */
};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *status_name(enum node_status s)
{
        static const char *const names[] = {"skipped", "cached", "built", "failed", "pulled"};

        return names[s];
}

static void event_node(const struct run *r, const char *ev, const struct node *n, const char *msg)
{
        FILE *f = r->o->json;

        if (!f)
                return;
        fprintf(f, "{\"event\":\"%s\",\"node\":", ev);
        json_put_str(f, n->id);
        fprintf(f, ",\"kind\":\"%s\",\"role\":", n->type->name);
        json_put_str(f, n->owner);
        fprintf(f, ",\"key\":\"%s\"", n->key);
        if (!strcmp(ev, "done"))
                fprintf(f, ",\"status\":\"%s\",\"seconds\":%.3f", status_name(n->status),
                        n->seconds);
        if (!strcmp(ev, "done") && n->rss_kib)
                fprintf(f, ",\"peak_rss_kib\":%ld", n->rss_kib);
        if (msg) {
                fputs(",\"message\":", f);
                json_put_str(f, msg);
        }
        fputs("}\n", f);
        fflush(f);
}

static void status_line(const struct run *r)
{
        if (!r->o->tty || r->o->quiet)
                return;
        fprintf(stderr, "\r\033[K[%zu/%zu] building:", r->done, r->total);
        for (unsigned i = 0; i < r->o->jobs; i++)
                if (r->w[i].pid > 0)
                        fprintf(stderr, " %s", r->w[i].node->id);
        fflush(stderr);
}

static void step_line(const struct run *r, const struct node *n)
{
        if (r->o->quiet)
                return;
        if (r->o->tty)
                fputs("\r\033[K", stderr);
        fprintf(stderr, "[%zu/%zu] %-6s %s (%.2f s)\n", r->done, r->total, status_name(n->status),
                n->id, n->seconds);
}

/* The worker's own peak memory (not the tools it ran: they are other processes)
 * in KiB, left in TMP.rss for the parent. */
static void report_rss(const char *tmp)
{
        struct rusage ru;
        _cleanup_free_ char *path = NULL;
        char text[32];
        int n;

        if (getrusage(RUSAGE_SELF, &ru) < 0 || asprintf(&path, "%s.rss", tmp) < 0)
                return;
        n = snprintf(text, sizeof(text), "%ld\n", ru.ru_maxrss);
        (void)write_file_atomic(path, text, (size_t)n, 0644);
}

static long take_rss(const char *tmp)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        uint64_t v = 0;
        size_t len;

        if (asprintf(&path, "%s.rss", tmp) < 0 || read_file(path, &text, &len) < 0)
                return 0;
        unlink(path);
        if (len && text[len - 1] == '\n')
                text[len - 1] = 0;
        return parse_uint(text, 0, LONG_MAX, &v) < 0 ? 0 : (long)v;
}

/* In the child: build into tmp, then move tmp to the node's object dir. */
static void __attribute__((noreturn))
child(struct graph *g, const struct build_opts *o, struct node *n, const char *tmp, const char *log)
{
        struct diag d = {0};
        _cleanup_free_ char *obj = node_object_dir(g, n), *manifest = node_manifest(g, n);
        int rc;

        signal(SIGINT, SIG_DFL);
        rc = obj && manifest ? n->type->make(g, n, tmp, &d) : -ENOMEM;
        /* the record of what the object holds, before the object is there to use */
        if (rc >= 0 && (rc = treesum_write(tmp, manifest)) < 0)
                diag_err(&d, rc, "%s: cannot record what it made: %s", n->id, strerror(-rc));
        if (rc >= 0 && rename(tmp, obj) < 0) {
                if (errno == EEXIST || errno == ENOTEMPTY)
                        rm_rf(tmp); /* another build put the same bytes there first */
                else
                        rc = diag_err(&d, -errno, "cannot store %s in the cache: %m", n->id);
        }
        /* shared: a failure is the parent's to report, not the node's */
        if (rc >= 0 && o->remote && !o->remote->down && !o->remote->read_only) {
                struct diag pd = {0};

                if (remote_push(g, n, o->remote, &pd) < 0) {
                        _cleanup_free_ char *pf = NULL, *why = diag_join(&pd, "; ");
                        const char *w = why && *why ? why : "the push failed";

                        if (asprintf(&pf, "%s.push", tmp) >= 0)
                                write_file_atomic(pf, w, strlen(w), 0600);
                        else
                                pf = NULL;
                }
                diag_release(&pd);
        }
        if (rc < 0) {
                FILE *f;

                /* the half-made object goes first: on a full filesystem the message
                 * needs the room it took */
                rm_rf(tmp);
                f = fopen(log, "w");
                if (!d.n)
                        diag_err(&d, rc, "%s failed: %s", n->id, strerror(-rc));
                for (size_t i = 0; i < d.n; i++)
                        fprintf(f ? f : stderr, "%s\n", d.msgs[i]);
                if (f && fclose(f) != 0)
                        for (size_t i = 0; i < d.n; i++)
                                fprintf(stderr, "%s\n", d.msgs[i]);
        }
        diag_release(&d);
        report_rss(tmp);
        _exit(rc < 0 ? 1 : 0);
}

static bool ready(const struct node *n)
{
        if (!n->build || n->started)
                return false;
        for (size_t i = 0; i < n->n_inputs; i++)
                if (n->inputs[i]->build && n->inputs[i]->status != NODE_BUILT)
                        return false;
        return true;
}

static int start(struct run *r, struct worker *w, struct node *n, struct diag *d)
{
        pid_t pid, parent;

        if (asprintf(&w->tmp, "%s/tmp/%s.%d.XXXXXX", r->g->cache, n->key, (int)getpid()) < 0)
                return -ENOMEM;
        if (!mkdtemp(w->tmp))
                return diag_err(d, -errno, "cannot create a directory in %s/tmp: %m", r->g->cache);
        if (asprintf(&w->log, "%s.log", w->tmp) < 0)
                return -ENOMEM;
        fflush(NULL);
        parent = getpid();
        pid = fork();
        if (pid < 0)
                return diag_err(d, -errno, "fork: %m");
        if (pid == 0) {
                die_with_parent(parent);
                child(r->g, r->o, n, w->tmp, w->log);
        }
        w->pid = pid;
        w->node = n;
        w->start = now();
        n->began = w->start - r->t0;
        n->started = true;
        r->running++;
        event_node(r, "start", n, NULL);
        return 0;
}

/* What the worker's push left: a failure's message in TMP.push. */
static void pushed(struct run *r, const struct worker *w)
{
        _cleanup_free_ char *pf = NULL, *why = NULL;
        size_t len = 0;

        if (asprintf(&pf, "%s.push", w->tmp) < 0)
                return;
        if (read_file(pf, &why, &len) == 0) {
                remote_push_failed(r->o->remote, w->node, why, r->o->json, r->o->quiet);
                unlink(pf);
        } else if (r->o->json) {
                fputs("{\"event\":\"remote\",\"op\":\"push\",\"node\":", r->o->json);
                json_put_str(r->o->json, w->node->id);
                fprintf(r->o->json, ",\"key\":\"%s\",\"status\":\"ok\"}\n", w->node->key);
        }
}

static void finish(struct run *r, struct worker *w, int status, struct diag *d)
{
        struct node *n = w->node;
        _cleanup_free_ char *msg = NULL;
        size_t len = 0;

        n->seconds = now() - w->start;
        n->rss_kib = take_rss(w->tmp);
        if (n->rss_kib > r->peak_kib)
                r->peak_kib = n->rss_kib;
        r->running--;
        r->done++;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                n->status = NODE_BUILT;
                if (r->o->remote && !r->o->remote->down && !r->o->remote->read_only)
                        pushed(r, w);
                if (r->ex)
                        exporter_add(r->ex, n);
        } else {
                n->status = NODE_FAILED;
                r->failed = true;
                if (read_file(w->log, &msg, &len) < 0 || !len) {
                        free(msg);
                        msg = NULL;
                        if (asprintf(&msg, "%s: worker died (status %d)", n->id, status) < 0)
                                msg = NULL;
                } else if (msg[len - 1] == '\n')
                        msg[len - 1] = 0;
                diag_err(d, -EIO, "%s", msg ? msg : n->id);
        }
        unlink(w->log);
        event_node(r, "done", n, msg);
        step_line(r, n);
        free(w->tmp);
        free(w->log);
        memset(w, 0, sizeof(*w));
}

static struct worker *find_worker(struct run *r, pid_t pid)
{
        for (unsigned i = 0; i < r->o->jobs; i++)
                if (r->w[i].pid == pid)
                        return &r->w[i];
        return NULL;
}

/* Start every ready node while a worker is free; stop starting after a failure. */
static int schedule(struct run *r, struct diag *d)
{
        for (size_t i = 0; i < r->g->n && !r->failed; i++) {
                struct node *n = r->g->nodes[i];
                struct worker *w;
                int rc;

                if (!ready(n))
                        continue;
                w = find_worker(r, 0);
                if (!w)
                        break;
                if ((rc = start(r, w, n, d)) < 0) {
                        r->failed = true;
                        return rc;
                }
        }
        return 0;
}

static int run_nodes(struct run *r, struct diag *d)
{
        int rc = schedule(r, d);

        status_line(r);
        while (r->running) {
                int status;
                pid_t pid = waitpid(-1, &status, 0);
                struct worker *w;

                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid < 0)
                        return diag_err(d, -errno, "waitpid: %m");
                w = find_worker(r, pid);
                if (!w)
                        continue;
                finish(r, w, status, d);
                if (rc >= 0)
                        rc = schedule(r, d);
                status_line(r);
        }
        if (r->o->tty && !r->o->quiet)
                fputs("\r\033[K", stderr);
        return r->failed ? -EIO : rc;
}

/* One file in the output directory: its node, path, size, sha256 (computed once
 * per cache object) and format. */
static void event_output(const struct run *r, const struct node *n, const struct export_file *f,
                         const char *path)
{
        char hex[SHA256_HEX] = "";
        struct stat st;

        if (!r->o->json)
                return;
        fputs("{\"event\":\"output\",\"node\":", r->o->json);
        json_put_str(r->o->json, n->id);
        fputs(",\"path\":", r->o->json);
        json_put_str(r->o->json, path);
        if (stat(f->src, &st) == 0 && export_sha256(r->g, n, f->src, hex) == 0)
                fprintf(r->o->json, ",\"size\":%lld,\"sha256\":\"%s\"", (long long)st.st_size, hex);
        fprintf(r->o->json, ",\"format\":\"%s\"}\n", export_kind(n));
}

static int exported(void *ctx, const struct node *n, const struct export_file *f, const char *dst,
                    bool written, struct diag *d)
{
        struct run *r = ctx;
        struct outdir *od = r->od;
        int rc = written ? outdir_wrote(od, f->out, f->src, d) : 0;

        if (rc < 0)
                return rc;
        if (written)
                r->written++;
        else
                r->unchanged++;
        event_output(r, n, f, dst);
        return 0;
}

/* Every exported file in place (the copies were made while the build ran; a file
 * there that is still the copy an earlier build made of the same object is left
 * alone), then what earlier builds made and this one does not removed. */
static int export_outputs(struct run *r, struct diag *d)
{
        int rc = exporter_finish(r->ex, exported, r, d);

        if (rc >= 0 && !r->o->partial)
                rc = outdir_prune(r->od, r->o->keep_stale, r->o->quiet, &r->removed, d);
        if (rc >= 0 && r->o->keep_stale)
                r->removed = 0;
        if (rc >= 0 && (rc = mkdir_p(r->o->out, 0755)) < 0)
                diag_err(d, rc, "cannot create %s: %s", r->o->out, strerror(-rc));
        if (rc >= 0)
                rc = outdir_save(r->od, r->o->partial, d);
        return rc;
}

/* Every cached object the build will read (an input or an output) still holds what
 * it held when it was made, by its stamps (sizes, mtimes, inodes: no reading). One
 * that does not is dropped and built again, and what needs it is planned again. */
static int check_cached(struct run *r, struct diag *d)
{
        bool again = true;

        while (again) {
                again = false;
                for (size_t i = 0; i < r->g->n; i++) {
                        struct node *n = r->g->nodes[i];
                        _cleanup_free_ char *dir = NULL, *man = NULL, *why = NULL;
                        int rc;

                        if (!n->cached || !graph_reads(r->g, n))
                                continue;
                        if (!(dir = node_object_dir(r->g, n)) || !(man = node_manifest(r->g, n)))
                                return diag_err(d, -ENOMEM, "out of memory");
                        rc = treesum_check(dir, man, false, &why);
                        if (rc < 0)
                                return diag_err(d, rc, "cannot check the cache object of %s: %s",
                                                n->id, strerror(-rc));
                        if (rc == 0)
                                continue;
                        fprintf(stderr,
                                "pocbake build: the cache object of %s (%.16s) no longer holds "
                                "what "
                                "was made (%s): dropped, built again\n",
                                n->id, n->key, why ? why : "?");
                        if (r->o->json) {
                                fputs("{\"event\":\"dropped\",\"node\":", r->o->json);
                                json_put_str(r->o->json, n->id);
                                fputs(",\"reason\":", r->o->json);
                                json_put_str(r->o->json, why ? why : "?");
                                fputs("}\n", r->o->json);
                        }
                        rm_rf(dir);
                        unlink(man);
                        n->cached = false;
                        r->dropped++;
                        again = true;
                }
                if (again)
                        graph_mark_needed(r->g);
        }
        return 0;
}

/* The outputs' sha256 is shown (--json, a terminal) or reported (a report node). */
static bool wants_digests(const struct graph *g, const struct build_opts *o)
{
        if (o->json || (o->tty && !o->quiet))
                return true;
        for (size_t i = 0; i < g->n; i++)
                if (!strcmp(g->nodes[i]->type->name, "report"))
                        return true;
        return false;
}

/* What the build made, on a terminal: each output with its size, format and
 * sha256 (the output events of --json carry the same). */
static void outputs_table(const struct graph *g)
{
        fprintf(stderr, "\n%-44s %10s  %-6s %s\n", "OUTPUT", "SIZE", "FORMAT", "SHA256");
        for (size_t i = 0; i < g->n; i++) {
                const struct node *n = g->nodes[i];
                struct export_list l = {0};

                if (!n->export_name || node_exports(g, n, &l) < 0) {
                        export_list_release(&l);
                        continue;
                }
                for (size_t k = 0; k < l.n; k++) {
                        char hex[SHA256_HEX], size[32];
                        struct stat st;

                        if (stat(l.v[k].src, &st) < 0 || export_sha256(g, n, l.v[k].src, hex) < 0)
                                continue;
                        fprintf(stderr, "%-44s %10s  %-6s %s\n", l.v[k].out,
                                human_size((uint64_t)st.st_size, size, sizeof(size)),
                                export_kind(n), hex);
                }
                export_list_release(&l);
        }
}

int build_run(struct graph *g, const struct build_opts *o, struct diag *d)
{
        struct run r = {.g = g, .o = o, .t0 = now()};
        struct outdir od;
        struct rusage ru;
        _cleanup_free_ char *tmp = path_join(g->cache, "tmp");
        _cleanup_free_ char *objects = path_join(g->cache, "objects");
        _cleanup_free_ char *manifests = path_join(g->cache, "manifests");
        _cleanup_close_ int lock = -1;
        size_t built = 0, cached = 0, pulled = 0;
        int rc;

        if (!tmp || !objects || !manifests)
                return -ENOMEM;
        if ((rc = mkdir_p(tmp, 0700)) < 0 || (rc = mkdir_p(objects, 0755)) < 0)
                return diag_err(d, rc, "cannot create the cache in %s: %s", g->cache,
                                strerror(-rc));
        /* held while the build runs: cache prune leaves the cache alone meanwhile */
        if ((rc = cache_lock(g->cache, false, &lock)) < 0)
                return diag_err(d, rc, "cannot lock the cache %s: %s", g->cache, strerror(-rc));
        if ((rc = space_check_sizes(g, tmp, o->out, d)) < 0)
                return rc;
        if ((rc = mkdir_p(manifests, 0755)) < 0)
                return diag_err(d, rc, "cannot create %s: %s", manifests, strerror(-rc));
        if ((rc = check_cached(&r, d)) < 0)
                return rc;
        /* what this cache lacks, from the registry (before any thread starts: forks) */
        if (o->remote && (rc = remote_fetch(g, o->remote, o->json, o->quiet, d)) < 0)
                return rc;
        /* a build killed among its renames: finished first (its temp files are the
         * new outputs), then what builds killed earlier left behind */
        if ((rc = exporter_recover(o->out, &r.recovered, d)) < 0)
                return rc;
        r.swept = leftovers_remove(tmp, true) + leftovers_remove(o->out, false);
        if ((rc = outdir_load(&od, o->out, o->recipe ? o->recipe : "", d)) < 0)
                return rc;
        r.od = &od;
        if ((rc = space_check_free(g, o->out, &od, d)) < 0) {
                outdir_release(&od);
                return rc;
        }
        r.w = calloc(o->jobs ? o->jobs : 1, sizeof(*r.w));
        if (!r.w || exporter_start(&r.ex, g, o->out, &od, wants_digests(g, o), d) < 0) {
                free(r.w);
                outdir_release(&od);
                return -ENOMEM;
        }
        for (size_t i = 0; i < g->n; i++) {
                if (g->nodes[i]->status != NODE_PULLED)
                        g->nodes[i]->status = g->nodes[i]->cached ? NODE_CACHED : NODE_SKIPPED;
                r.total += g->nodes[i]->build;
                if (g->nodes[i]->cached)
                        exporter_add(r.ex, g->nodes[i]);
        }
        rc = run_nodes(&r, d);
        free(r.w);
        space_record(g);
        for (size_t i = 0; i < g->n; i++) {
                struct node *n = g->nodes[i];

                built += n->status == NODE_BUILT;
                cached += n->status == NODE_CACHED;
                pulled += n->status == NODE_PULLED;
                if (n->status == NODE_CACHED ||
                    n->status == NODE_PULLED) { /* used: cache prune goes by this time */
                        _cleanup_free_ char *man = node_manifest(g, n);

                        if (man)
                                utimensat(AT_FDCWD, man, NULL, 0);
                }
                if (n->status == NODE_CACHED || n->status == NODE_PULLED ||
                    (n->status == NODE_SKIPPED && !n->build))
                        event_node(&r, "done", n, NULL);
        }
        if (rc >= 0 && export_outputs(&r, d) < 0)
                rc = -EIO; /* the message says why; the build failed, whatever the errno */
        exporter_free(r.ex);
        outdir_release(&od);
        if (rc >= 0 && o->tty && !o->quiet)
                outputs_table(g);
        if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > r.peak_kib)
                r.peak_kib = ru.ru_maxrss;
        if (o->json)
                fprintf(o->json,
                        "{\"event\":\"finish\",\"status\":\"%s\",\"built\":%zu,\"cached\":%zu,"
                        "\"pulled\":%zu,"
                        "\"written\":%zu,\"unchanged\":%zu,\"removed\":%zu,\"leftovers\":%zu,"
                        "\"dropped\":%zu,\"recovered\":%zu,\"seconds\":%.3f,\"peak_rss_kib\":%ld}"
                        "\n",
                        rc < 0 ? "failed" : "ok", built, cached, pulled, r.written, r.unchanged,
                        r.removed, r.swept, r.dropped, r.recovered, now() - r.t0, r.peak_kib);
        if (!o->quiet)
                fprintf(stderr, "%s: %zu built, %zu cached, %.2f s\n", rc < 0 ? "failed" : "done",
                        built, cached + pulled, now() - r.t0);
        if (!o->quiet && o->remote && (pulled || o->remote->push_failed))
                fprintf(stderr, "remote cache: %zu pulled, %zu pushes failed\n", pulled,
                        o->remote->push_failed);
        if (!o->quiet && rc >= 0)
                fprintf(stderr,
                        "%s: %zu files written, %zu unchanged, %zu no longer built removed\n",
                        o->out, r.written, r.unchanged, r.removed);
        return rc;
}
