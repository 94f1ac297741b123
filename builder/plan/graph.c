/* graph.c: the artifact graph: nodes and inputs, content keys, the cache, what must be built. */
#include "graph.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/data.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* Bumped whenever the bytes an unchanged recipe produces change (5: the ISO of a
 * build is dated by the build's epoch, 1980 when SOURCE_DATE_EPOCH is unset). */
#define KEY_SCHEMA "pocbake-key-5"

char *node_object_dir(const struct graph *g, const struct node *n)
{
        char *s = NULL;

        if (asprintf(&s, "%s/objects/%s", g->cache, n->key) < 0)
                return NULL;
        return s;
}

char *node_manifest(const struct graph *g, const struct node *n)
{
        char *s = NULL;

        if (asprintf(&s, "%s/manifests/%s", g->cache, n->key) < 0)
                return NULL;
        return s;
}

char *node_input_file(const struct graph *g, const struct node *in, const char *name)
{
        _cleanup_free_ char *dir = node_object_dir(g, in);

        return dir ? path_join(dir, name) : NULL;
}

char *node_object_path(const struct graph *g, const struct node *n)
{
        return node_input_file(g, n, n->type->object_of ? n->type->object_of(n) : n->type->object);
}

int hash_path(struct hasher *h, const char *path, struct diag *d)
{
        int rc = hasher_file(h, path);

        return rc < 0 ? diag_err(d, rc, "cannot read %s: %s", path, strerror(-rc)) : 0;
}

int hash_data_file(struct hasher *h, const char *rel, struct diag *d)
{
        _cleanup_free_ char *p = data_path(rel);

        if (!p)
                return diag_err(d, -ENOENT, "pocbake data file %s not found (set POCBAKE_DATADIR)",
                                rel);
        return hash_path(h, p, d);
}

char *keys_file(const struct boot_config *b, const char *name)
{
        return path_join(b->keys, name);
}

int hash_key_file(struct hasher *h, const struct boot_config *b, const char *name, struct diag *d)
{
        _cleanup_free_ char *p = keys_file(b, name);

        return p ? hash_path(h, p, d) : -ENOMEM;
}

/* The sha256 of an exported file, kept beside the cache's manifests under the
 * object's key and the file's name: an object's bytes never change, so a raw
 * image is read once for its digest, not once per report. */
int export_sha256(const struct graph *g, const struct node *in, const char *src,
                  char out[SHA256_HEX])
{
        const char *base = strrchr(src, '/');
        _cleanup_free_ char *dir = path_join(g->cache, "digests");
        _cleanup_free_ char *path = NULL, *text = NULL;
        uint8_t md[SHA256_LEN];
        size_t len = 0;
        int r;

        if (!dir || asprintf(&path, "%s/%s.%s.sha256", dir, in->key, base ? base + 1 : src) < 0)
                return -ENOMEM;
        if (read_file(path, &text, &len) == 0 && len == SHA256_HEX - 1 &&
            strspn(text, "0123456789abcdef") == SHA256_HEX - 1) {
                memcpy(out, text, SHA256_HEX - 1);
                out[SHA256_HEX - 1] = 0;
                return 0;
        }
        if ((r = sha256_file(src, md)) < 0)
                return r;
        hex_encode(md, SHA256_LEN, out);
        /* a digest not kept costs a read next time, nothing else */
        if (mkdir_p(dir, 0755) == 0)
                (void)write_file_atomic(path, out, SHA256_HEX - 1, 0644);
        return 0;
}

int cache_lock(const char *cache, bool exclusive, int *fd)
{
        _cleanup_free_ char *path = path_join(cache, "lock");
        int r;

        *fd = -1;
        if (!path)
                return -ENOMEM;
        if ((r = mkdir_p(cache, 0755)) < 0)
                return r;
        *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (*fd < 0)
                return -errno;
        if (flock(*fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) < 0) {
                r = -errno;
                close(*fd);
                *fd = -1;
                return r == -EWOULDBLOCK ? -EBUSY : r;
        }
        return 0;
}

char *cache_default(void)
{
        const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        char *s = NULL;

        if (x && *x)
                return asprintf(&s, "%s/pocbake", x) < 0 ? NULL : s;
        return asprintf(&s, "%s/.cache/pocbake", home && *home ? home : "/tmp") < 0 ? NULL : s;
}

struct node *graph_add_node(struct graph *g, const struct node_type *t, struct role *r,
                            const char *owner, const char *what)
{
        struct node *n = calloc(1, sizeof(*n)), **nn;

        if (!n)
                return NULL;
        nn = realloc(g->nodes, (g->n + 1) * sizeof(*nn));
        if (nn)
                g->nodes = nn;
        if (!nn ||
            asprintf(&n->id, "%s:%s%s%s", t->name, owner, what ? "/" : "", what ? what : "") < 0) {
                free(n);
                return NULL;
        }
        g->nodes[g->n++] = n;
        n->type = t;
        n->role = r;
        n->owner = owner;
        return n;
}

int node_add_input(struct node *n, struct node *in)
{
        if (n->n_inputs == ARRAY_SIZE(n->inputs))
                return -E2BIG;
        n->inputs[n->n_inputs++] = in;
        return 0;
}

struct node *graph_find(const struct graph *g, const struct node_type *t, const struct role *r)
{
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->type == t && g->nodes[i]->role == r)
                        return g->nodes[i];
        return NULL;
}

/* key = sha256(schema, version, epoch, type, owner, what the type feeds (the
 * recipe subtree the node reads, the bytes of external inputs), input keys). */
/* hasher_watch's hook while a node's hash hook runs: each file once. */
static int node_read_add(void *ctx, const char *path, const uint8_t *digest)
{
        struct node *n = ctx;
        struct node_read *v;

        for (size_t i = 0; i < n->n_reads; i++)
                if (!strcmp(n->reads[i].path, path))
                        return 0;
        v = realloc(n->reads, (n->n_reads + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        n->reads = v;
        v = &n->reads[n->n_reads];
        *v = (struct node_read){.path = strdup(path), .has_digest = digest != NULL};
        if (!v->path)
                return -ENOMEM;
        if (digest)
                memcpy(v->digest, digest, SHA256_LEN);
        n->n_reads++;
        return 0;
}

static int node_key(struct graph *g, struct node *n, struct diag *d)
{
        uint8_t md[SHA256_LEN];
        struct hasher h;
        int rc = hasher_init(&h);

        if (rc < 0)
                return diag_err(d, rc, "cannot start SHA-256");
        hasher_str(&h, KEY_SCHEMA);
        hasher_str(&h, POCBAKE_VERSION);
        hasher_u64(&h, g->epoch);
        hasher_str(&h, n->type->name);
        hasher_str(&h, n->owner);
        hasher_watch(node_read_add, n);
        rc = n->type->hash ? n->type->hash(g, n, &h, d) : 0;
        hasher_watch(NULL, NULL);
        for (size_t i = 0; i < n->n_inputs; i++)
                hasher_str(&h, n->inputs[i]->key);
        if (rc < 0) {
                hasher_release(&h);
                return rc;
        }
        rc = hasher_final(&h, md);
        if (rc < 0)
                return diag_err(d, rc, "cannot finish SHA-256");
        hex_encode(md, SHA256_LEN, n->key);
        return 0;
}

static bool placed(struct node *const *v, size_t n, const struct node *x)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == x)
                        return true;
        return false;
}

static void place(struct node **v, size_t *n, size_t cap, struct node *x)
{
        if (placed(v, *n, x))
                return;
        for (size_t i = 0; i < x->n_inputs; i++)
                place(v, n, cap, x->inputs[i]);
        if (*n < cap)
                v[(*n)++] = x;
}

/* Nodes in an order where every input comes before its users, the planned order
 * kept otherwise: a deliverable may add an input after itself (the ISO its live
 * node), and a key must be computed after the keys it contains. */
static int graph_order(struct graph *g)
{
        struct node **v = calloc(g->n ? g->n : 1, sizeof(*v));
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < g->n; i++)
                place(v, &n, g->n, g->nodes[i]);
        if (n == g->n) /* else an input is not in the graph: a planning bug */
                memcpy(g->nodes, v, n * sizeof(*v));
        free(v);
        return n == g->n ? 0 : -EINVAL;
}

int graph_keys(struct graph *g, struct diag *d)
{
        if (graph_order(g) < 0)
                return diag_err(d, -EINVAL, "cannot order the build graph");
        for (size_t i = 0; i < g->n; i++) {
                _cleanup_free_ char *dir = NULL;
                struct stat st;
                int rc = node_key(g, g->nodes[i], d);

                if (rc < 0)
                        return rc;
                dir = node_object_dir(g, g->nodes[i]);
                if (!dir)
                        return -ENOMEM;
                g->nodes[i]->cached = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        }
        graph_mark_needed(g);
        return 0;
}

static void need(struct node *n)
{
        if (n->cached || n->build)
                return;
        n->build = true;
        for (size_t i = 0; i < n->n_inputs; i++)
                need(n->inputs[i]);
}

void graph_mark_needed(struct graph *g)
{
        for (size_t i = 0; i < g->n; i++)
                g->nodes[i]->build = false;
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->export_name)
                        need(g->nodes[i]);
}

bool graph_reads(const struct graph *g, const struct node *n)
{
        if (n->export_name)
                return true;
        for (size_t i = 0; i < g->n; i++)
                for (size_t k = 0; g->nodes[i]->build && k < g->nodes[i]->n_inputs; k++)
                        if (g->nodes[i]->inputs[k] == n)
                                return true;
        return false;
}

static int export_add(struct export_list *l, char *out, char *src)
{
        struct export_file *v = out && src ? realloc(l->v, (l->n + 1) * sizeof(*v)) : NULL;

        if (!v) {
                free(out);
                free(src);
                return -ENOMEM;
        }
        l->v = v;
        l->v[l->n++] = (struct export_file){.out = out, .src = src};
        return 0;
}

/* A directory artifact: its regular files, by name, into a directory of the export name. */
static int export_dir(const struct node *n, const char *src, struct export_list *l)
{
        struct dirent **list = NULL;
        int m = scandir(src, &list, NULL, alphasort), rc = m < 0 ? -errno : 0;

        for (int i = 0; i < m; i++) {
                char *out = NULL;

                if (rc >= 0 && list[i]->d_type == DT_REG)
                        rc = export_add(l,
                                        asprintf(&out, "%s/%s", n->export_name, list[i]->d_name) < 0
                                                ? NULL
                                                : out,
                                        path_join(src, list[i]->d_name));
                free(list[i]);
        }
        free(list);
        return rc;
}

/* The export name with its last extension replaced by ext ("x.tar.zst", ".gz": "x.tar.gz"). */
static char *also_name(const char *name, const char *ext)
{
        const char *dot = strrchr(name, '.');
        size_t keep = dot ? (size_t)(dot - name) : strlen(name);
        char *s = NULL;

        return asprintf(&s, "%.*s%s", (int)keep, name, ext) < 0 ? NULL : s;
}

int node_exports(const struct graph *g, const struct node *n, struct export_list *l)
{
        _cleanup_free_ char *src = NULL;
        struct stat st;
        int rc;

        if (!n->export_name)
                return 0;
        if (!(src = node_object_path(g, n)))
                return -ENOMEM;
        if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
                rc = export_dir(n, src, l);
        else
                rc = export_add(l, strdup(n->export_name), strdup(src));
        if (rc >= 0 && n->type->also_object)
                rc = export_add(l, also_name(n->export_name, n->type->also_ext),
                                node_input_file(g, n, n->type->also_object));
        return rc;
}

void export_list_release(struct export_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].out);
                free(l->v[i].src);
        }
        free(l->v);
        memset(l, 0, sizeof(*l));
}

void graph_release(struct graph *g)
{
        for (size_t i = 0; i < g->n; i++) {
                for (size_t k = 0; k < g->nodes[i]->n_reads; k++)
                        free(g->nodes[i]->reads[k].path);
                free(g->nodes[i]->reads);
                free(g->nodes[i]->id);
                free(g->nodes[i]->export_name);
                free(g->nodes[i]);
        }
        free(g->nodes);
        free(g->cache);
        memset(g, 0, sizeof(*g));
}
