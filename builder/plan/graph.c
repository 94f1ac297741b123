/* graph.c: planning the artifact graph of an appliance and computing content keys. */
#include "graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/disk.h"
#include "fs/fs.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* Bumped whenever the bytes an unchanged recipe produces change. */
#define KEY_SCHEMA "pocbake-key-4"

/* The recipe keys that shape a role's root tree. */
static const char *const rootfs_keys[] = {
        "role", "hostname", "base", "overlays", "files", "groups", "users", "services", "check",
};

const char *node_kind_name(enum node_kind k)
{
        static const char *const names[] = {"rootfs", "fs",   "disk", "convert", "initrd",
                                            "uki",    "host", "pxe",  "iso",     "bundle"};

        return k < ARRAY_SIZE(names) ? names[k] : "?";
}

const char *node_object_file(const struct node *n)
{
        switch (n->kind) {
        case NODE_FS: return "fs.img";
        case NODE_DISK: return "disk.raw";
        case NODE_CONVERT: return n->fmt == OUT_VHDX ? "disk.vhdx" : "disk.qcow2";
        case NODE_INITRD: return "initrd.img";
        case NODE_UKI: return "uki.efi";
        case NODE_HOST: return "host.raw";
        case NODE_PXE: return "pxe";
        case NODE_ISO: return "install.iso";
        case NODE_BUNDLE: return "bundle.tar.zst";
        default: return NULL;
        }
}

char *node_object_dir(const struct graph *g, const struct node *n)
{
        char *s = NULL;

        if (asprintf(&s, "%s/objects/%s", g->cache, n->key) < 0)
                return NULL;
        return s;
}

char *cache_default(void)
{
        const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        char *s = NULL;

        if (x && *x)
                return asprintf(&s, "%s/pocbake", x) < 0 ? NULL : s;
        return asprintf(&s, "%s/.cache/pocbake", home && *home ? home : "/tmp") < 0 ? NULL : s;
}

static struct node *node_new_owned(struct graph *g, enum node_kind kind, struct role *r,
                                   const char *owner, const char *what)
{
        struct node *n = calloc(1, sizeof(*n)), **nn;

        if (!n)
                return NULL;
        nn = realloc(g->nodes, (g->n + 1) * sizeof(*nn));
        if (!nn || asprintf(&n->id, "%s:%s%s%s", node_kind_name(kind), owner, what ? "/" : "",
                            what ? what : "") < 0) {
                free(n);
                if (nn)
                        g->nodes = nn;
                return NULL;
        }
        g->nodes = nn;
        g->nodes[g->n++] = n;
        n->kind = kind;
        n->role = r;
        n->owner = owner;
        return n;
}

static struct node *node_new(struct graph *g, enum node_kind kind, struct role *r, const char *what)
{
        return node_new_owned(g, kind, r, r->name, what);
}

struct node *graph_add_node(struct graph *g, enum node_kind kind, struct role *r, const char *owner)
{
        return node_new_owned(g, kind, r, owner, NULL);
}

static bool same_modules(const struct node *n, char *const *modules, size_t n_modules)
{
        if (n->n_modules != n_modules)
                return false;
        for (size_t i = 0; i < n_modules; i++)
                if (strcmp(n->modules[i], modules[i]))
                        return false;
        return true;
}

struct node *graph_initrd(struct graph *g, const char *kernel, char *const *modules,
                          size_t n_modules, const char *owner)
{
        struct node *n;

        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->kind == NODE_INITRD && !strcmp(g->nodes[i]->kernel, kernel) &&
                    same_modules(g->nodes[i], modules, n_modules))
                        return g->nodes[i];
        n = node_new_owned(g, NODE_INITRD, NULL, owner, NULL);
        if (n) {
                n->kernel = kernel;
                n->modules = modules;
                n->n_modules = n_modules;
        }
        return n;
}

static void hash_subtree(struct hasher *h, const struct ynode *tree, const char *key)
{
        hasher_str(h, key);
        ynode_hash(ynode_get(tree, key), h);
}

/* key = sha256(schema, version, epoch, kind, the recipe subtree the node reads,
 * the keys of its inputs, and the bytes of external inputs). */
static int node_key(struct graph *g, struct node *n, struct diag *d)
{
        const struct role *r = n->role;
        uint8_t md[SHA256_LEN];
        struct hasher h;
        int rc = hasher_init(&h);

        if (rc < 0)
                return diag_err(d, rc, "cannot start SHA-256");
        hasher_str(&h, KEY_SCHEMA);
        hasher_str(&h, POCBAKE_VERSION);
        hasher_u64(&h, g->epoch);
        hasher_str(&h, node_kind_name(n->kind));
        hasher_str(&h, n->owner);
        switch (n->kind) {
        case NODE_ROOTFS:
                for (size_t i = 0; i < ARRAY_SIZE(rootfs_keys); i++)
                        hash_subtree(&h, r->tree, rootfs_keys[i]);
                /* mountpoints decide how the tree is split between partitions */
                for (size_t i = 0; i < r->disk.n_partitions; i++)
                        hasher_str(&h, r->disk.partitions[i].mountpoint);
                rc = stage_hash_inputs(r, &h, d);
                break;
        case NODE_FS:
                hasher_u64(&h, n->part);
                hash_subtree(&h, r->tree, "disk");
                if (n->n_inputs > 1) /* an ESP with the boot chain */
                        rc = boot_hash(g, n, &h, d);
                break;
        case NODE_INITRD:
        case NODE_UKI: rc = boot_hash(g, n, &h, d); break;
        case NODE_PXE:
        case NODE_ISO:
        case NODE_BUNDLE: rc = deliver_hash(g, n, &h, d); break;
        case NODE_DISK:
                hash_subtree(&h, r->tree, "disk");
                if (r->base.kind == BASE_IMAGE) { /* no rootfs node: the recipe and image here */
                        for (size_t i = 0; i < ARRAY_SIZE(rootfs_keys); i++)
                                hash_subtree(&h, r->tree, rootfs_keys[i]);
                        rc = stage_hash_inputs(r, &h, d);
                }
                break;
        case NODE_CONVERT: hasher_u64(&h, n->fmt); break;
        case NODE_HOST: /* storage and payload layout, networks, and the roles' XML */
                hash_subtree(&h, r->tree, "storage");
                ynode_hash(g->app->tree, &h);
                for (size_t i = 0; i < g->app->n_roles; i++)
                        ynode_hash(g->app->roles[i]->tree, &h);
                break;
        }
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

static int export_name(struct node *n, const char *ext)
{
        return asprintf(&n->export_name, "%s/%s.%s", n->role->name, n->role->name, ext) < 0
                       ? -ENOMEM
                       : 0;
}

/* A filesystem whose handler writes straight into the disk file (ext4) is made
 * by the disk node itself: no separate image to copy. */
static bool fs_in_place(const struct partition_spec *p)
{
        const struct fs_type *t = p->fs ? fs_type_find(p->fs) : NULL;

        return t && t->make_at;
}

static bool role_has_esp(const struct role *r)
{
        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].type == PART_ESP && r->disk.partitions[i].fs)
                        return true;
        return false;
}

/* The host's disk carries every role: its qcow2 (made for the host when the
 * role's own outputs do not ask for one). */
static struct node *plan_host(struct graph *g, struct role *host, struct node *disk)
{
        struct node *h = node_new(g, NODE_HOST, host, NULL);

        if (!h)
                return NULL;
        h->inputs[h->n_inputs++] = disk;
        for (size_t i = 0; i < g->app->n_roles; i++) {
                struct node *q = NULL;

                for (size_t j = 0; j < g->n; j++)
                        if (g->nodes[j]->kind == NODE_CONVERT && g->nodes[j]->fmt == OUT_QCOW2 &&
                            g->nodes[j]->role == g->app->roles[i])
                                q = g->nodes[j];
                if (!q || h->n_inputs == ARRAY_SIZE(h->inputs))
                        continue; /* role not selected with --role */
                h->inputs[h->n_inputs++] = q;
        }
        return h;
}

static int plan_converts(struct graph *g, struct role *r, struct node *disk);

/* base: {image: …}: the disk node copies the image and applies the recipe to it
 * (libguestfs); there is no staged root and no filesystem of ours. */
static int plan_image_role(struct graph *g, struct role *r)
{
        struct node *disk = node_new(g, NODE_DISK, r, NULL);
        int rc;

        if (!disk)
                return -ENOMEM;
        if ((r->outputs & OUT_RAW) && (rc = export_name(disk, "raw")) < 0)
                return rc;
        return plan_converts(g, r, disk);
}

static int plan_role(struct graph *g, struct role *r, struct diag *d)
{
        struct node *root, *disk, *uki = NULL;
        size_t first_fs;
        int rc;

        if (r->base.kind == BASE_IMAGE) /* an existing disk, customized in place */
                return plan_image_role(g, r);
        root = node_new(g, NODE_ROOTFS, r, NULL);
        if (!root)
                return -ENOMEM;
        if (g->boot && role_has_esp(r)) {
                struct node *initrd = graph_initrd(g, r->kernel ? r->kernel : g->boot->kernel,
                                                   r->kernel_modules, r->n_kernel_modules, r->name);

                uki = initrd ? node_new(g, NODE_UKI, r, NULL) : NULL;
                if (!uki)
                        return -ENOMEM;
                uki->kernel = initrd->kernel;
                uki->inputs[uki->n_inputs++] = initrd;
        }
        first_fs = g->n;
        for (size_t i = 0; i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                struct node *f;

                if (!p->fs || fs_in_place(p))
                        continue;
                f = node_new(g, NODE_FS, r, p->name);
                if (!f)
                        return -ENOMEM;
                f->part = i;
                f->inputs[f->n_inputs++] = root;
                if (uki && p->type == PART_ESP)
                        f->inputs[f->n_inputs++] = uki;
        }
        disk = node_new(g, NODE_DISK, r, NULL);
        if (!disk)
                return -ENOMEM;
        if (g->n - first_fs > ARRAY_SIZE(disk->inputs))
                return diag_at(d, &r->disk.mark,
                               "too many filesystems on one disk (expected at most %zu)",
                               ARRAY_SIZE(disk->inputs) - 1);
        disk->inputs[disk->n_inputs++] = root;
        for (size_t i = first_fs; i < g->n - 1; i++)
                disk->inputs[disk->n_inputs++] = g->nodes[i];
        if (r == g->app->host && !(disk = plan_host(g, r, disk)))
                return -ENOMEM;
        if ((r->outputs & OUT_RAW) && (rc = export_name(disk, "raw")) < 0)
                return rc;
        return plan_converts(g, r, disk);
}

static int plan_converts(struct graph *g, struct role *r, struct node *disk)
{
        int rc;

        for (unsigned f = OUT_QCOW2; f <= OUT_VHDX; f <<= 1) {
                struct node *c;
                /* a role carried by the host needs its qcow2 even when not exported */
                bool payload = f == OUT_QCOW2 && g->app->host && r != g->app->host;

                if (!(r->outputs & f) && !payload)
                        continue;
                c = node_new(g, NODE_CONVERT, r, NULL);
                if (!c)
                        return -ENOMEM;
                free(c->id);
                c->id = NULL;
                if (asprintf(&c->id, "%s:%s", output_fmt_name(f), r->name) < 0)
                        return -ENOMEM;
                c->fmt = f;
                c->inputs[c->n_inputs++] = disk;
                if ((r->outputs & f) && (rc = export_name(c, output_fmt_name(f))) < 0)
                        return rc;
        }
        return 0;
}

static bool role_selected(const struct role *r, const struct graph_opts *o)
{
        if (!o->n_roles)
                return true;
        for (size_t i = 0; i < o->n_roles; i++)
                if (!strcmp(o->roles[i], r->name))
                        return true;
        return false;
}

/* Every check that needs no output: stage inputs, disk layout, filesystems. */
static int check_role(const struct role *r, struct diag *d)
{
        int rc = stage_check(r, d), rc2 = r->base.kind == BASE_IMAGE ? 0 : disk_check(r, d);

        return rc < 0 ? rc : rc2;
}

int graph_check(const struct appliance *a, const struct graph_opts *o, struct diag *d)
{
        int rc = 0, rc2;

        for (size_t i = 0; i < o->n_roles; i++)
                if (!appliance_find_role(a, o->roles[i]))
                        rc = diag_err(d, -EINVAL, "no role named \"%s\" in %s", o->roles[i],
                                      a->file);
        for (size_t i = 0; i < a->n_roles; i++)
                if (role_selected(a->roles[i], o) && (rc2 = check_role(a->roles[i], d)) < 0)
                        rc = rc2;
        if (a->host && (!o->n_roles || role_selected(a->host, o)) &&
            (rc2 = check_role(a->host, d)) < 0)
                rc = rc2;
        if (o->boot && (rc2 = boot_check(o->boot, d)) < 0)
                rc = rc2;
        return rc;
}

int graph_plan(struct graph *g, const struct appliance *a, const struct graph_opts *o,
               struct diag *d)
{
        int rc;

        memset(g, 0, sizeof(*g));
        g->epoch = o->epoch;
        g->boot = o->boot;
        g->app = a;
        /* absolute: tools run by workers may change directory (mmdebstrap does) */
        if (o->cache[0] == '/')
                g->cache = strdup(o->cache);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                g->cache = cwd ? path_join(cwd, o->cache) : NULL;
        }
        if (!g->cache)
                return -ENOMEM;
        if ((rc = graph_check(a, o, d)) < 0)
                return rc;
        for (size_t i = 0; i < a->n_roles; i++)
                if (role_selected(a->roles[i], o) && (rc = plan_role(g, a->roles[i], d)) < 0)
                        return rc;
        if (a->host && (!o->n_roles || role_selected(a->host, o)) &&
            (rc = plan_role(g, a->host, d)) < 0)
                return rc;
        if (!o->n_roles && (rc = plan_deliverables(g, d)) < 0)
                return rc;
        for (size_t i = 0; i < g->n; i++) {
                _cleanup_free_ char *dir = NULL;
                struct stat st;

                if ((rc = node_key(g, g->nodes[i], d)) < 0)
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

void graph_release(struct graph *g)
{
        for (size_t i = 0; i < g->n; i++) {
                free(g->nodes[i]->id);
                free(g->nodes[i]->export_name);
                free(g->nodes[i]);
        }
        free(g->nodes);
        free(g->cache);
        memset(g, 0, sizeof(*g));
}
