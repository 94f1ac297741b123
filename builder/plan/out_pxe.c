/* out_pxe.c: the pxe deliverable: the host's network boot set (signed UKIs, iPXE script, root
 * image, install image). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/uki.h"
#include "media/pxe.h"
#include "media/rootimg.h"
#include "nodes.h"
#include "outputs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define PXE_ROOT_URL "pocbake.root=tftp://next-server/root.squashfs"

/* The host's own arguments, after the root or install ones. */
static const char *host_args(const struct role *host)
{
        return host->cmdline ? host->cmdline : "console=ttyS0";
}

static int pxe_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        static const char *const data[] = {"firmware/installer/install.sh",
                                           "firmware/pxe/README.in",
                                           "firmware/pxe/dnsmasq.conf.in"};
        int rc;

        if ((rc = hash_key_file(h, g->boot, "codesign.crt", d)) < 0)
                return rc;
        hasher_str(h, PXE_ROOT_URL);
        hasher_str(h, host_args(n->role));
        for (size_t i = 0; i < ARRAY_SIZE(data); i++)
                if ((rc = hash_data_file(h, data[i], d)) < 0)
                        return rc;
        if ((rc = hash_key_file(h, g->boot, "db.crt", d)) < 0 ||
            (rc = hash_path(h, n->kernel, d)) < 0)
                return rc;
        return hash_path(h, UKI_DEFAULT_STUB, d);
}

/* The live UKI's command line: the root and its hash ride in the signed image. */
static int live_cmdline(const struct role *host, const char *root, char **out, struct diag *d)
{
        uint8_t digest[SHA256_LEN];
        char hex[SHA256_HEX];
        int rc = sha256_file(root, digest);

        if (rc < 0)
                return diag_err(d, rc, "cannot hash %s: %s", root, strerror(-rc));
        hex_encode(digest, SHA256_LEN, hex);
        if (asprintf(out, "%s pocbake.roothash=sha256:%s %s", PXE_ROOT_URL, hex, host_args(host)) <
            0)
                return -ENOMEM;
        return 0;
}

static int pxe_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *image = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *initrd = node_object_path(g, n->inputs[1]);
        _cleanup_free_ char *root = path_join(dir, "root.squashfs");
        _cleanup_free_ char *uki = path_join(dir, "boot.efi"), *out = path_join(dir, "pxe");
        _cleanup_free_ char *key = keys_file(g->boot, "codesign.key");
        _cleanup_free_ char *cert = keys_file(g->boot, "codesign.crt");
        _cleanup_free_ char *cmdline = NULL;
        struct pxe_spec p = {.name = g->app->name,
                             .kernel = n->kernel,
                             .key = key,
                             .cert = cert,
                             .cmdline = host_args(n->role),
                             .uki_keys = g->boot->keys,
                             .epoch = g->epoch};
        struct live_files live;
        int rc;

        if (!image || !initrd || !root || !uki || !out || !key || !cert)
                return -ENOMEM;
        /* the root is the host image's root partition, the ISO's live root: the
         * network-booted host is the installed one */
        rc = live_files(g, n->inputs[2], &live, d);
        if (rc >= 0 && copy_file_sparse(live.root, root, 0644) < 0)
                rc = diag_err(d, -EIO, "cannot copy %s", live.root);
        if (rc >= 0)
                rc = live_cmdline(n->role, root, &cmdline, d);
        if (rc >= 0)
                rc = uki_signed(g, n->kernel, initrd, cmdline, uki, d);
        if (rc >= 0) {
                p.initrd = initrd;
                p.uki = uki;
                p.root = root;
                p.image = image;
                p.image_gz = live.image_gz;
                p.image_gz_info = &live.info;
                rc = pxe_write(&p, out, d);
        }
        live_files_release(&live);
        unlink(root);
        unlink(uki);
        return rc;
}

static const struct node_type node_pxe = {
        .name = "pxe", .object = "pxe", .hash = pxe_hash, .make = pxe_make};

/* The set boots the finished host's root with the host's kernel and initrd. */
static int pxe_plan(struct graph *g, struct diag *d)
{
        const struct appliance *a = g->app;
        struct node *root = a->host ? graph_find(g, &node_host, a->host) : NULL;
        struct node *initrd, *pxe;

        if (!root)
                return diag_at(d, &a->mark, "output pxe boots the host (expected a host: section)");
        initrd = graph_initrd(g, a->host->kernel ? a->host->kernel : g->boot->kernel,
                              a->host->kernel_modules, a->host->n_kernel_modules, a->name);
        pxe = initrd ? graph_add_node(g, &node_pxe, a->host, a->name, NULL) : NULL;
        if (!pxe || !(pxe->export_name = strdup("pxe")))
                return -ENOMEM;
        pxe->kernel = initrd->kernel;
        node_add_input(pxe, root);
        node_add_input(pxe, initrd);
        return node_add_input(pxe, plan_live(g, root));
}

const struct output_type out_pxe = {.name = "pxe", .needs_keys = true, .plan = pxe_plan};
