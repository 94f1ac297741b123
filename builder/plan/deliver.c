/* deliver.c: the appliance's deliverables in the graph: the host's PXE set and the CI bundle. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/uki.h"
#include "fs/fs.h"
#include "boot/data.h"
#include "media/bundle.h"
#include "media/iso.h"
#include "media/pxe.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "graph.h"

#define PXE_ROOT_URL "pocbake.root=tftp://next-server/root.squashfs"
#define PXE_ROOT_MAX (4ULL << 30)

static char *key_path(const struct graph *g, const char *name)
{
        return path_join(g->boot->keys, name);
}

static char *pxe_cmdline(const struct role *host)
{
        char *s = NULL;

        if (asprintf(&s, "%s %s", PXE_ROOT_URL, host->cmdline ? host->cmdline : "console=ttyS0") <
            0)
                return NULL;
        return s;
}

static int hash_path(struct hasher *h, const char *path, struct diag *d)
{
        int rc = hasher_file(h, path);

        return rc < 0 ? diag_err(d, rc, "cannot read %s: %s", path, strerror(-rc)) : 0;
}

static struct node *find(const struct graph *g, enum node_kind k, const struct role *r)
{
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->kind == k && g->nodes[i]->role == r)
                        return g->nodes[i];
        return NULL;
}

/* The install ISO carries the finished host image. */
static int plan_iso(struct graph *g, struct diag *d)
{
        const struct appliance *a = g->app;
        struct node *host = a->host ? find(g, NODE_HOST, a->host) : NULL;
        struct node *iso;

        if (!host)
                return diag_at(d, &a->mark,
                               "output iso installs the host (expected a host: section)");
        iso = graph_add_node(g, NODE_ISO, a->host, a->name);
        if (!iso || asprintf(&iso->export_name, "%s.iso", a->name) < 0)
                return -ENOMEM;
        iso->kernel = a->host->kernel ? a->host->kernel : g->boot->kernel;
        iso->inputs[iso->n_inputs++] = host;
        return 0;
}

int plan_deliverables(struct graph *g, struct diag *d)
{
        const struct appliance *a = g->app;
        struct node *pxe = NULL, *b;
        int rc;

        if (!(a->outputs & (OUT_PXE | OUT_ISO | OUT_BUNDLE)))
                return 0;
        if (!g->boot)
                return diag_at(d, &a->mark,
                               "outputs iso, pxe and bundle are signed: they need keys "
                               "(expected --keys DIR from 'pocbake keys init')");
        if ((a->outputs & OUT_ISO) && (rc = plan_iso(g, d)) < 0)
                return rc;
        if (a->outputs & OUT_PXE) {
                struct node *root = a->host ? find(g, NODE_ROOTFS, a->host) : NULL;
                struct node *initrd;

                if (!root)
                        return diag_at(d, &a->mark,
                                       "output pxe boots the host (expected a host: section)");
                initrd = graph_initrd(g, a->host->kernel ? a->host->kernel : g->boot->kernel,
                                      a->host->kernel_modules, a->host->n_kernel_modules, a->name);
                pxe = initrd ? graph_add_node(g, NODE_PXE, a->host, a->name) : NULL;
                if (!pxe)
                        return -ENOMEM;
                pxe->kernel = initrd->kernel;
                pxe->inputs[pxe->n_inputs++] = root;
                pxe->inputs[pxe->n_inputs++] = initrd;
                if (!(pxe->export_name = strdup("pxe")))
                        return -ENOMEM;
        }
        if (!(a->outputs & OUT_BUNDLE))
                return 0;
        b = graph_add_node(g, NODE_BUNDLE, NULL, a->name);
        if (!b || asprintf(&b->export_name, "%s.tar.zst", a->name) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i] != b && g->nodes[i]->export_name) {
                        if (b->n_inputs == ARRAY_SIZE(b->inputs))
                                return diag_at(
                                        d, &a->mark,
                                        "too many outputs for one bundle (expected at most %zu)",
                                        ARRAY_SIZE(b->inputs));
                        b->inputs[b->n_inputs++] = g->nodes[i];
                }
        return 0;
}

/* Everything iso_write reads besides the host image: the boot chain's inputs,
 * the installer, the isolinux menu, the keys. */
static int iso_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        static const char *const data[] = {
                "firmware/initrd/init",          "firmware/initrd/udhcpc.script",
                "firmware/installer/install.sh", "firmware/isolinux/isolinux.cfg.in",
                "firmware/loader.conf",
        };
        static const char *const files[] = {UKI_DEFAULT_STUB, "/bin/busybox"};
        _cleanup_free_ char *db = key_path(g, "db.crt"), *pk = key_path(g, "PK.crt");
        int rc;

        hasher_str(h, n->role->cmdline);
        hasher_u64(h, (uint64_t)g->boot->enroll);
        if (!db || !pk)
                return -ENOMEM;
        if ((rc = hash_path(h, db, d)) < 0 || (rc = hash_path(h, pk, d)) < 0 ||
            (rc = hash_path(h, n->kernel, d)) < 0)
                return rc;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if ((rc = hash_path(h, files[i], d)) < 0)
                        return rc;
        for (size_t i = 0; i < ARRAY_SIZE(data); i++) {
                _cleanup_free_ char *p = data_path(data[i]);

                if (!p)
                        return diag_err(d, -ENOENT, "pocbake data file %s not found", data[i]);
                if ((rc = hash_path(h, p, d)) < 0)
                        return rc;
        }
        return 0;
}

int deliver_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        _cleanup_free_ char *cs = key_path(g, "codesign.crt"), *db = key_path(g, "db.crt");
        _cleanup_free_ char *cmdline = NULL;
        int rc;

        if (!cs || !db)
                return -ENOMEM;
        if ((rc = hash_path(h, cs, d)) < 0)
                return rc;
        if (n->kind == NODE_BUNDLE) {
                hasher_str(h, g->app->file);
                for (size_t i = 0; i < n->n_inputs; i++)
                        hasher_str(h, n->inputs[i]->export_name);
                return 0;
        }
        if (n->kind == NODE_ISO)
                return iso_hash(g, n, h, d);
        if (!(cmdline = pxe_cmdline(n->role)))
                return -ENOMEM;
        hasher_str(h, cmdline);
        if ((rc = hash_path(h, db, d)) < 0 || (rc = hash_path(h, n->kernel, d)) < 0)
                return rc;
        return hash_path(h, UKI_DEFAULT_STUB, d);
}

int make_pxe(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        const struct fs_type *sq = fs_type_find("squashfs");
        _cleanup_free_ char *rootdir = node_object_dir(g, n->inputs[0]);
        _cleanup_free_ char *initrd_dir = node_object_dir(g, n->inputs[1]);
        _cleanup_free_ char *tree = NULL, *initrd = NULL, *root = path_join(dir, "root.squashfs");
        _cleanup_free_ char *uki = path_join(dir, "boot.efi"), *out = path_join(dir, "pxe");
        _cleanup_free_ char *cmdline = pxe_cmdline(n->role);
        _cleanup_free_ char *key = key_path(g, "codesign.key"), *cert = key_path(g, "codesign.crt");
        struct fs_spec fs = {.type = "squashfs",
                             .label = "root",
                             .size = PXE_ROOT_MAX,
                             .epoch = g->epoch,
                             .mark = n->role->mark};
        struct pxe_spec p = {.name = g->app->name, .kernel = n->kernel, .key = key, .cert = cert};
        int rc;

        if (!sq || !rootdir || !initrd_dir || !root || !uki || !out || !cmdline || !key || !cert ||
            !(tree = path_join(rootdir, "root")) || !(initrd = path_join(initrd_dir, "initrd.img")))
                return -ENOMEM;
        fs.tree = tree;
        uuid_derive(&fs.uuid, "pxe-root", g->app->name, n->role->name);
        rc = sq->make(&fs, root, d);
        if (rc >= 0)
                rc = uki_signed(g, n->kernel, initrd, cmdline, uki, d);
        if (rc >= 0) {
                p.initrd = initrd;
                p.uki = uki;
                p.root = root;
                p.cmdline = cmdline;
                rc = pxe_write(&p, out, d);
        }
        unlink(root);
        unlink(uki);
        return rc;
}

int make_iso(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *host = node_object_dir(g, n->inputs[0]);
        _cleanup_free_ char *image = NULL, *out = path_join(dir, "install.iso");
        struct iso_spec s = {
                .keys = g->boot->keys,
                .kernel = n->kernel,
                .cmdline = n->role->cmdline,
                .default_entry = ISO_ENTRY_LIVE,
                .timeout = 5,
                .enroll = (enum esp_enroll)g->boot->enroll,
                .epoch = g->epoch,
        };

        if (!host || !out || !(image = path_join(host, "host.raw")))
                return -ENOMEM;
        s.image = image;
        return iso_write(&s, out, d);
}

/* The files a node put in the output directory, as bundle items. */
static int items_of(const struct graph *g, const struct node *n, struct bundle_item **items,
                    size_t *count, char ***owned, size_t *n_owned)
{
        _cleanup_free_ char *obj = node_object_dir(g, n);
        _cleanup_free_ char *src = obj ? path_join(obj, node_object_file(n)) : NULL;
        struct dirent **list = NULL;
        int m = 0;

        if (!src)
                return -ENOMEM;
        if (n->kind == NODE_PXE && (m = scandir(src, &list, NULL, alphasort)) < 0)
                return -errno;
        for (int i = n->kind == NODE_PXE ? 0 : -1; i < m; i++) {
                struct bundle_item *it;
                char *path = NULL, *file = NULL, **o;

                if (i >= 0 && list[i]->d_type != DT_REG)
                        continue;
                if (i < 0 ? !(path = strdup(n->export_name)) || !(file = strdup(src))
                          : asprintf(&path, "%s/%s", n->export_name, list[i]->d_name) < 0 ||
                                    !(file = path_join(src, list[i]->d_name)))
                        return -ENOMEM;
                it = realloc(*items, (*count + 1) * sizeof(**items));
                o = realloc(*owned, (*n_owned + 2) * sizeof(**owned));
                if (it)
                        *items = it;
                if (o)
                        *owned = o;
                if (!it || !o)
                        return -ENOMEM;
                o[(*n_owned)++] = path;
                o[(*n_owned)++] = file;
                it[*count] = (struct bundle_item){.path = path,
                                                  .src = file,
                                                  .role = n->role ? n->role->name : NULL,
                                                  .kind = node_kind_name(n->kind)};
                (*count)++;
        }
        for (int i = 0; i < m; i++)
                free(list[i]);
        free(list);
        return 0;
}

int make_bundle(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ struct bundle_item *items = NULL;
        _cleanup_free_ char **owned = NULL;
        _cleanup_free_ char *zst = path_join(dir, "bundle.tar.zst"),
                            *gz = path_join(dir, "bundle.tar.gz");
        _cleanup_free_ char *key = key_path(g, "codesign.key"), *cert = key_path(g, "codesign.crt");
        size_t count = 0, n_owned = 0;
        struct bundle_spec s = {
                .recipe = g->app->file, .key = key, .cert = cert, .epoch = (int64_t)g->epoch};
        int rc = (zst && gz && key && cert) ? 0 : -ENOMEM;

        for (size_t i = 0; rc >= 0 && i < n->n_inputs; i++)
                rc = items_of(g, n->inputs[i], &items, &count, &owned, &n_owned);
        if (rc >= 0) {
                s.items = items;
                s.n_items = count;
                rc = bundle_write(&s, zst, gz, d);
        } else
                diag_err(d, rc, "cannot list the bundle's files: %s", strerror(-rc));
        for (size_t i = 0; i < n_owned; i++)
                free(owned[i]);
        return rc;
}
