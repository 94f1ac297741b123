/* remote.c: the remote cache in a build: lookups, pulls in forked processes, pushes from workers,
 * warnings. */
#include "remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/objstore.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/json.h"

static void event(FILE *json, const char *op, const struct node *n, bool ok, const char *msg)
{
        if (!json)
                return;
        fprintf(json, "{\"event\":\"remote\",\"op\":\"%s\",\"node\":", op);
        json_put_str(json, n ? n->id : "");
        if (n)
                fprintf(json, ",\"key\":\"%s\"", n->key);
        fprintf(json, ",\"status\":\"%s\"", ok ? "ok" : "failed");
        if (msg) {
                fputs(",\"message\":", json);
                json_put_str(json, msg);
        }
        fputs("}\n", json);
        fflush(json);
}

/* Pull n into the cache in a child process (a tar layer is unpacked in its
 * working directory); *why says what failed. */
static int pull_one(const struct graph *g, const struct node *n, const struct remote_cache *rc,
                    char **why)
{
        _cleanup_free_ char *tmp = NULL, *log = NULL, *text = NULL;
        size_t len = 0;
        pid_t pid, parent = getpid();
        int status;

        if (asprintf(&tmp, "%s/tmp/%s.%d.XXXXXX", g->cache, n->key, (int)parent) < 0)
                return -ENOMEM;
        if (!mkdtemp(tmp) || asprintf(&log, "%s.log", tmp) < 0)
                return -errno;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct diag d = {0};
                struct oci_remote r;
                _cleanup_free_ char *obj = node_object_dir(g, n), *man = node_manifest(g, n);
                int e;

                die_with_parent(parent);
                e = oci_remote_open(&r, rc->url, rc->insecure, &d);
                if (e >= 0) {
                        e = oci_object_pull(&r, n->key, tmp, man, &d);
                        oci_remote_close(&r);
                }
                if (e >= 0 && chdir("/") == 0 && rename(tmp, obj) < 0) {
                        if (errno == EEXIST || errno == ENOTEMPTY)
                                rm_rf(tmp); /* another build stored it meanwhile */
                        else
                                e = diag_err(&d, -errno, "cannot store it in the cache: %m");
                }
                if (e < 0) {
                        _cleanup_free_ char *m = NULL;

                        if (chdir("/") == 0)
                                rm_rf(tmp);
                        if (!d.n)
                                diag_err(&d, e, "%s", strerror(-e));
                        m = diag_join(&d, "; ");
                        if (m)
                                write_file_atomic(log, m, strlen(m), 0600);
                }
                diag_release(&d);
                _exit(e < 0 ? 1 : 0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (read_file(log, &text, &len) < 0 || !len) {
                free(text);
                text = NULL;
                if (asprintf(&text, "the pulling process died (status %d)", status) < 0)
                        text = NULL;
        }
        unlink(log);
        rm_rf(tmp);
        *why = TAKE_PTR(text);
        return -EIO;
}

/* Said even with --quiet: it is not progress. */
static void warn(struct remote_cache *rc, const char *what, bool quiet)
{
        (void)quiet;
        fprintf(stderr, "pocbake build: warning: remote cache %s: %s\n", rc->url, what);
}

int remote_fetch(struct graph *g, struct remote_cache *rc, FILE *json, bool quiet, struct diag *d)
{
        _cleanup_free_ bool *remote = calloc(g->n ? g->n : 1, sizeof(bool));
        struct oci_remote r;
        struct diag ld = {0};
        bool again = true;
        int e;

        if (!remote)
                return -ENOMEM;
        if ((e = oci_remote_open(&r, rc->url, rc->insecure, d)) < 0)
                return e;
        /* which of the objects this cache lacks the registry has */
        for (size_t i = 0; i < g->n && !rc->down; i++) {
                struct node *n = g->nodes[i];

                if (n->cached)
                        continue;
                e = oci_object_exists(&r, n->key, &ld);
                if (e == 0)
                        remote[i] = true;
                else if (e != -ENOENT) {
                        _cleanup_free_ char *m = diag_join(&ld, "; ");
                        _cleanup_free_ char *w = NULL;

                        rc->down = true;
                        if (asprintf(&w, "%s; everything is built here", m ? m : "no answer") >= 0)
                                warn(rc, w, quiet);
                        event(json, "lookup", NULL, false, m);
                }
                diag_release(&ld);
        }
        while (again && !rc->down) {
                again = false;
                for (size_t i = 0; i < g->n; i++)
                        if (remote[i])
                                g->nodes[i]->cached = true;
                graph_mark_needed(g);
                for (size_t i = 0; i < g->n; i++) {
                        struct node *n = g->nodes[i];
                        _cleanup_free_ char *why = NULL;

                        if (!remote[i] || !graph_reads(g, n))
                                continue;
                        e = pull_one(g, n, rc, &why);
                        if (e == 0) {
                                remote[i] = false; /* in the local cache now */
                                n->status = NODE_PULLED;
                                rc->pulled++;
                                event(json, "pull", n, true, NULL);
                                if (!quiet)
                                        fprintf(stderr, "pulled %s (%.16s)\n", n->id, n->key);
                                continue;
                        }
                        if (e != -EIO) {
                                oci_remote_close(&r);
                                return diag_err(d, e, "cannot pull %s: %s", n->id, strerror(-e));
                        }
                        {
                                _cleanup_free_ char *w = NULL;

                                if (asprintf(&w, "%s (%.16s) not used: %s; built here", n->id,
                                             n->key, why ? why : "?") >= 0)
                                        warn(rc, w, quiet);
                        }
                        event(json, "pull", n, false, why);
                        remote[i] = false;
                        n->cached = false;
                        again = true; /* what it needs is planned again */
                        /* a registry gone away is not asked for the rest */
                        e = oci_object_exists(&r, n->key, &ld);
                        diag_release(&ld);
                        if (e < 0 && e != -ENOENT) {
                                rc->down = true;
                                warn(rc, "no longer answers; everything else is built here", quiet);
                                break;
                        }
                }
                /* what stays in the registry was not needed: not cached here */
                for (size_t i = 0; i < g->n; i++)
                        if (remote[i])
                                g->nodes[i]->cached = false;
        }
        if (rc->down) { /* what was counted on from the registry is built here */
                for (size_t i = 0; i < g->n; i++)
                        if (remote[i])
                                g->nodes[i]->cached = false;
                graph_mark_needed(g);
        }
        oci_remote_close(&r);
        return 0;
}

int remote_push(const struct graph *g, const struct node *n, const struct remote_cache *rc,
                struct diag *d)
{
        _cleanup_free_ char *obj = node_object_dir(g, n), *man = node_manifest(g, n);
        _cleanup_free_ char *scratch = path_join(g->cache, "tmp");
        struct oci_remote r;
        int e;

        if (!obj || !man || !scratch)
                return -ENOMEM;
        if ((e = oci_remote_open(&r, rc->url, rc->insecure, d)) < 0)
                return e;
        e = oci_object_push(&r, n->key, n->id, obj, man, scratch, d);
        oci_remote_close(&r);
        return e;
}

void remote_push_failed(struct remote_cache *rc, const struct node *n, const char *why, FILE *json,
                        bool quiet)
{
        event(json, "push", n, false, why);
        if (!rc->push_failed++) {
                _cleanup_free_ char *w = NULL;

                if (asprintf(&w, "cannot push %s: %s; the build goes on without pushing", n->id,
                             why) >= 0)
                        warn(rc, w, quiet);
        }
        rc->down = true;
}
