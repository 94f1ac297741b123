/* provenance.c: a deliverable's inputs, roles, packages and nesting, from the graph and the cache.
 */
#include "provenance.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/data.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define HOST_DPKG "/var/lib/dpkg"

/* The directories whose files get names that do not depend on where they are. */
struct roots {
        char *recipe, *data, *keys;
};

static void roots_release(struct roots *rt)
{
        free(rt->recipe);
        free(rt->data);
        free(rt->keys);
}

static int roots_init(const struct graph *g, struct roots *rt)
{
        _cleanup_free_ char *dir = path_dirname(g->app->file);
        _cleanup_free_ char *fw = data_path("firmware");
        _cleanup_free_ char *top = fw ? path_dirname(fw) : NULL;

        memset(rt, 0, sizeof(*rt));
        rt->recipe = dir ? realpath(dir, NULL) : NULL;
        rt->data = top ? realpath(top, NULL) : NULL;
        rt->keys = g->boot && g->boot->keys ? realpath(g->boot->keys, NULL) : NULL;
        return rt->recipe ? 0 : -errno;
}

static const char *under(const char *path, const char *dir)
{
        size_t n = dir ? strlen(dir) : 0;

        return n && !strncmp(path, dir, n) && path[n] == '/' ? path + n + 1 : NULL;
}

static char *dep_name(const struct roots *rt, const char *path)
{
        _cleanup_free_ char *real = NULL;
        const char *rel;
        char *s = NULL;

        if (!strcmp(path, "/proc/self/exe"))
                return strdup("pocbake");
        real = realpath(path, NULL);
        if (!real)
                return strdup(path);
        if ((rel = under(real, rt->recipe)))
                return strdup(rel);
        if ((rel = under(real, rt->keys)))
                return asprintf(&s, "keys/%s", rel) < 0 ? NULL : s;
        if ((rel = under(real, rt->data)))
                return asprintf(&s, "pocbake-data/%s", rel) < 0 ? NULL : s;
        return strdup(path); /* a build host file, as dpkg lists it */
}

static size_t index_of(const struct graph *g, const struct node *n)
{
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i] == n)
                        return i;
        return 0;
}

static void reach(const struct graph *g, const struct node *n, bool *seen)
{
        size_t i = index_of(g, n);

        if (seen[i])
                return;
        seen[i] = true;
        for (size_t k = 0; k < n->n_inputs; k++)
                reach(g, n->inputs[k], seen);
}

/* What went into a file itself: its node and the inputs of its own role (or,
 * for an appliance-wide file, the nodes of no role), not through the files of
 * other roles it carries. */
static void reach_own(const struct graph *g, const struct node *n, const struct role *r, bool *seen,
                      bool start)
{
        size_t i = index_of(g, n);

        if (seen[i] || (!start && n->role && n->role != r))
                return;
        seen[i] = true;
        for (size_t k = 0; k < n->n_inputs; k++)
                reach_own(g, n->inputs[k], r, seen, false);
}

static int cmp_dep(const void *a, const void *b)
{
        return strcmp(((const struct bundle_dep *)a)->name, ((const struct bundle_dep *)b)->name);
}

static int add_dep(struct provenance *p, const struct roots *rt, const struct node_read *rd)
{
        struct bundle_dep *v = realloc(p->deps, (p->n_deps + 1) * sizeof(*v));
        char *name, *src, *hex = NULL;

        if (!v)
                return -ENOMEM;
        p->deps = v;
        name = dep_name(rt, rd->path);
        src = strdup(rd->path);
        if (rd->has_digest && (hex = malloc(SHA256_HEX)))
                hex_encode(rd->digest, SHA256_LEN, hex);
        if (!name || !src || (rd->has_digest && !hex)) {
                free(name);
                free(src);
                free(hex);
                return -ENOMEM;
        }
        v[p->n_deps++] = (struct bundle_dep){.name = name, .src = src, .sha256 = hex};
        return 0;
}

/* Every file the nodes in seen read, once by name, sorted. */
static int collect_deps(const struct graph *g, const bool *seen, struct provenance *p)
{
        struct roots rt;
        int r = roots_init(g, &rt);

        /* the recipe files: keys hash their parsed tree, not their bytes */
        for (size_t i = 0; r >= 0 && i < g->app->n_files; i++)
                r = add_dep(p, &rt, &(struct node_read){.path = g->app->files[i]});
        for (size_t i = 0; r >= 0 && i < g->n; i++)
                for (size_t k = 0; r >= 0 && seen[i] && k < g->nodes[i]->n_reads; k++)
                        r = add_dep(p, &rt, &g->nodes[i]->reads[k]);
        roots_release(&rt);
        if (r < 0)
                return r;
        qsort(p->deps, p->n_deps, sizeof(*p->deps), cmp_dep);
        /* the same file read by several nodes, or under two paths */
        size_t o = 0;
        for (size_t i = 0; i < p->n_deps; i++) {
                if (o && !strcmp(p->deps[o - 1].name, p->deps[i].name)) {
                        free((char *)p->deps[i].name);
                        free((char *)p->deps[i].src);
                        free((char *)p->deps[i].sha256);
                        continue;
                }
                p->deps[o++] = p->deps[i];
        }
        p->n_deps = o;
        return 0;
}

static int collect_roles(const struct graph *g, const bool *seen, struct provenance *p)
{
        const struct appliance *a = g->app;

        p->roles = calloc(a->n_roles + 2, sizeof(*p->roles));
        if (!p->roles)
                return -ENOMEM;
        for (size_t k = 0; k <= a->n_roles; k++) {
                const struct role *r = k < a->n_roles ? a->roles[k] : a->host;

                for (size_t i = 0; r && i < g->n; i++)
                        if (seen[i] && g->nodes[i]->role == r) {
                                p->roles[p->n_roles++] = r->name;
                                break;
                        }
        }
        return 0;
}

/* A group of packages and the files that contain them. */
static struct bundle_pkgs *pkgs_add(struct provenance *p)
{
        struct bundle_pkgs *v = realloc(p->pkgs, (p->n_pkgs + 1) * sizeof(*v));

        if (!v)
                return NULL;
        p->pkgs = v;
        memset(&v[p->n_pkgs], 0, sizeof(*v));
        return &v[p->n_pkgs++];
}

static int in_add(struct bundle_pkgs *bp, const char *path)
{
        const char **v;

        for (size_t i = 0; i < bp->n_in; i++)
                if (!strcmp(bp->in[i], path))
                        return 0; /* two files of one package in the same file */
        v = realloc((void *)bp->in, (bp->n_in + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        v[bp->n_in++] = path;
        bp->in = v;
        return 0;
}

struct files {
        const struct graph *g;
        const struct bundle_item *items;
        const struct node *const *node;
        size_t n;
        bool **own; /* per item: the nodes that went into it itself */
        bool **all; /* per item: every node it was made from */
};

static bool read_by(const struct files *f, size_t k, const char *path)
{
        for (size_t i = 0; i < f->g->n; i++)
                for (size_t j = 0; f->own[k][i] && j < f->g->nodes[i]->n_reads; j++)
                        if (!strcmp(f->g->nodes[i]->reads[j].path, path))
                                return true;
        return false;
}

static struct dpkg_pkg *pkg_copy(const struct dpkg_pkg *s)
{
        struct dpkg_pkg *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->name = strdup(s->name);
        c->version = strdup(s->version);
        c->arch = strdup(s->arch);
        if (!c->name || !c->version || !c->arch) {
                dpkg_pkgs_free(c, 1);
                return NULL;
        }
        return c;
}

/* The build host's packages that own the host files read (kernel, busybox,
 * systemd-boot): a host without dpkg adds none. */
static int host_packages(const struct files *f, struct provenance *p, struct diag *d)
{
        _cleanup_free_ const char **paths = calloc(p->n_deps + 1, sizeof(*paths));
        _cleanup_free_ char **owners = calloc(p->n_deps + 1, sizeof(*owners));
        struct dpkg_pkg *hv = NULL;
        size_t n = 0, hn = 0;
        int r = 0;

        if (!paths || !owners)
                return -ENOMEM;
        if (access(HOST_DPKG "/status", R_OK) < 0)
                return 0;
        for (size_t i = 0; i < p->n_deps; i++)
                if (p->deps[i].name[0] == '/')
                        paths[n++] = p->deps[i].name;
        if (!n)
                return 0;
        if ((r = dpkg_owners(HOST_DPKG, paths, n, owners)) < 0 ||
            (r = dpkg_status_packages(HOST_DPKG "/status", &hv, &hn, d)) < 0)
                goto out;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct dpkg_pkg *hp = NULL;
                struct bundle_pkgs *bp = NULL;

                if (!owners[i])
                        continue;
                for (size_t g = 0; !bp && g < p->n_pkgs; g++)
                        if (!p->pkgs[g].role && !strcmp(p->pkgs[g].v->name, owners[i]))
                                bp = &p->pkgs[g];
                for (size_t k = 0; !bp && !hp && k < hn; k++)
                        if (!strcmp(hv[k].name, owners[i]))
                                hp = &hv[k];
                if (!bp && !hp)
                        continue;
                if (!bp) {
                        struct dpkg_pkg *c = pkg_copy(hp);

                        if (!c || !(bp = pkgs_add(p))) {
                                dpkg_pkgs_free(c, 1);
                                r = -ENOMEM;
                                break;
                        }
                        *bp = (struct bundle_pkgs){.v = c, .n = 1, .origin = "build host"};
                        if ((r = dpkg_licenses("/", c, 1)) < 0)
                                break;
                }
                for (size_t k = 0; r >= 0 && k < f->n; k++)
                        if (read_by(f, k, paths[i]))
                                r = in_add(bp, f->items[k].path);
        }
out:
        for (size_t i = 0; i < n; i++)
                free(owners[i]);
        dpkg_pkgs_free(hv, hn);
        return r;
}

static bool is_recipe_file(const struct graph *g, const char *path)
{
        for (size_t i = 0; i < g->app->n_files; i++)
                if (!strcmp(g->app->files[i], path))
                        return true;
        return false;
}

/* The inputs that end up inside the images: not the recipe files, the
 * certificates, the binary or the build host's files (packages cover those). */
static int collect_infiles(const struct files *f, struct provenance *p)
{
        p->infiles = calloc(p->n_deps + 1, sizeof(*p->infiles));
        if (!p->infiles)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_deps; i++) {
                const struct bundle_dep *dp = &p->deps[i];
                struct bundle_infile *in = &p->infiles[p->n_infiles];

                if (dp->name[0] == '/' || !strcmp(dp->name, "pocbake") ||
                    !strncmp(dp->name, "keys/", 5) || is_recipe_file(f->g, dp->src))
                        continue;
                *in = (struct bundle_infile){.name = dp->name, .src = dp->src};
                for (size_t k = 0; k < f->n; k++) {
                        const char **v;

                        if (!read_by(f, k, dp->src))
                                continue;
                        v = realloc((void *)in->in, (in->n_in + 1) * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        v[in->n_in++] = f->items[k].path;
                        in->in = v;
                }
                p->n_infiles++;
        }
        return 0;
}

/* Each role root's installed packages (from its dpkg status in the cache). */
static int root_packages(const struct files *f, const bool *seen, struct provenance *p,
                         struct diag *d)
{
        const struct graph *g = f->g;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < g->n; i++) {
                const struct node *rn = g->nodes[i];
                _cleanup_free_ char *root = NULL, *status = NULL;
                struct bundle_pkgs *bp;
                struct dpkg_pkg *v = NULL;
                size_t nv = 0;

                if (!seen[i] || rn->type != &node_rootfs)
                        continue;
                root = node_object_path(g, rn);
                status = root ? path_join(root, "var/lib/dpkg/status") : NULL;
                if (!status)
                        return -ENOMEM;
                if (access(status, R_OK) < 0) {
                        struct stat st;

                        if (rn->role->base.kind == BASE_BUSYBOX || stat(root, &st) == 0)
                                continue; /* a root without dpkg */
                        return diag_err(d, -ENOENT,
                                        "role %s: its root is no longer in the cache (%s), so its "
                                        "packages cannot be listed (expected: build again with "
                                        "'pocbake cache verify --drop' run first)",
                                        rn->role->name, root);
                }
                if ((r = dpkg_status_packages(status, &v, &nv, d)) < 0)
                        return r;
                if (!(bp = pkgs_add(p))) {
                        dpkg_pkgs_free(v, nv);
                        return -ENOMEM;
                }
                *bp = (struct bundle_pkgs){.role = rn->role->name, .v = v, .n = nv};
                if (asprintf((char **)&bp->origin, "root of role %s", rn->role->name) < 0)
                        return -ENOMEM;
                if ((r = dpkg_licenses(root, v, nv)) < 0)
                        return r;
                for (size_t k = 0; r >= 0 && k < f->n; k++)
                        if (f->own[k][i] && f->items[k].role &&
                            !strcmp(f->items[k].role, rn->role->name))
                                r = in_add(bp, f->items[k].path);
        }
        return r;
}

static bool same_role(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool is_disk(const struct bundle_item *it)
{
        return !strcmp(it->kind, "raw") || !strcmp(it->kind, "qcow2") || !strcmp(it->kind, "vhdx");
}

/* raw[a][b]: disk b (its node, or the disk a conversion was made from) went
 * into file a, which is not the same disk in another format. */
static bool went_into(const struct files *f, size_t a, size_t b)
{
        const struct node *nb = f->node[b];

        if (a == b || f->node[a] == nb || !is_disk(&f->items[b]) ||
            (is_disk(&f->items[a]) && same_role(f->items[a].role, f->items[b].role)))
                return false;
        if (f->all[a][index_of(f->g, nb)])
                return true;
        for (size_t k = 0; nb->type == &node_convert && k < nb->n_inputs; k++)
                if (f->all[a][index_of(f->g, nb->inputs[k])] && nb->inputs[k] != f->node[a])
                        return true;
        return false;
}

/* Which file carries which, directly: the host image its roles' disks, the ISO
 * the host image (not the roles' disks again). */
static int collect_contains(const struct files *f, struct provenance *p)
{
        size_t n = f->n;
        _cleanup_free_ bool *raw = calloc(n * n + 1, sizeof(bool));

        if (!raw)
                return -ENOMEM;
        for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++)
                        raw[a * n + b] = went_into(f, a, b);
        for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++) {
                        bool through = false;
                        struct bundle_contains *v;

                        for (size_t c = 0; raw[a * n + b] && !through && c < n; c++)
                                through = raw[a * n + c] && raw[c * n + b];
                        if (!raw[a * n + b] || through)
                                continue;
                        v = realloc(p->contains, (p->n_contains + 1) * sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        p->contains = v;
                        v[p->n_contains++] = (struct bundle_contains){.outer = f->items[a].path,
                                                                      .inner = f->items[b].path};
                }
        return 0;
}

static void files_release(struct files *f)
{
        for (size_t k = 0; k < f->n; k++) {
                free(f->own ? f->own[k] : NULL);
                free(f->all ? f->all[k] : NULL);
        }
        free(f->own);
        free(f->all);
}

static int files_init(struct files *f, const struct graph *g, const struct bundle_item *items,
                      const struct node *const *node, size_t n)
{
        *f = (struct files){.g = g, .items = items, .node = node, .n = n};
        f->own = calloc(n + 1, sizeof(*f->own));
        f->all = calloc(n + 1, sizeof(*f->all));
        if (!f->own || !f->all)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                f->own[k] = calloc(g->n + 1, sizeof(bool));
                f->all[k] = calloc(g->n + 1, sizeof(bool));
                if (!f->own[k] || !f->all[k])
                        return -ENOMEM;
                reach_own(g, node[k], node[k]->role, f->own[k], true);
                reach(g, node[k], f->all[k]);
        }
        return 0;
}

int provenance_collect(const struct graph *g, const struct node *n, const struct bundle_item *items,
                       const struct node *const *item_node, size_t n_items, struct provenance *p,
                       struct diag *d)
{
        _cleanup_free_ bool *seen = calloc(g->n + 1, sizeof(bool));
        struct files f;
        int r;

        memset(p, 0, sizeof(*p));
        if (!seen)
                return diag_err(d, -ENOMEM, "out of memory");
        reach(g, n, seen);
        r = files_init(&f, g, items, item_node, n_items);
        if (r >= 0 && (r = collect_deps(g, seen, p)) < 0)
                diag_err(d, r, "cannot name the build's inputs: %s", strerror(-r));
        if (r >= 0)
                r = collect_roles(g, seen, p);
        if (r >= 0)
                r = host_packages(&f, p, d);
        if (r >= 0)
                r = root_packages(&f, seen, p, d);
        if (r >= 0)
                r = collect_infiles(&f, p);
        if (r >= 0)
                r = collect_contains(&f, p);
        files_release(&f);
        if (r == -ENOMEM)
                diag_err(d, r, "out of memory");
        return r;
}

void provenance_release(struct provenance *p)
{
        for (size_t i = 0; i < p->n_deps; i++) {
                free((char *)p->deps[i].name);
                free((char *)p->deps[i].src);
                free((char *)p->deps[i].sha256);
        }
        free(p->deps);
        free(p->roles);
        for (size_t i = 0; i < p->n_pkgs; i++) {
                dpkg_pkgs_free((struct dpkg_pkg *)p->pkgs[i].v, p->pkgs[i].n);
                free((void *)p->pkgs[i].in);
                if (p->pkgs[i].role)
                        free((char *)p->pkgs[i].origin);
        }
        free(p->pkgs);
        free(p->contains);
        for (size_t i = 0; i < p->n_infiles; i++)
                free((void *)p->infiles[i].in);
        free(p->infiles);
        memset(p, 0, sizeof(*p));
}
