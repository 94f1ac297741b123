/* out_pxe.c: the pxe deliverable: the host's network boot set (signed UKI, iPXE script, root
 * image). */
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

#define PXE_ROOT_URL "pocbake.root=tftp://next-server/root.squashfs"

static char *pxe_cmdline(const struct role *host)
{
        char *s = NULL;

        if (asprintf(&s, "%s %s", PXE_ROOT_URL, host->cmdline ? host->cmdline : "console=ttyS0") <
            0)
                return NULL;
        return s;
}

static int pxe_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        _cleanup_free_ char *cmdline = pxe_cmdline(n->role);
        int rc;

        if (!cmdline)
                return -ENOMEM;
        if ((rc = hash_key_file(h, g->boot, "codesign.crt", d)) < 0)
                return rc;
        hasher_str(h, cmdline);
        if ((rc = hash_key_file(h, g->boot, "db.crt", d)) < 0 ||
            (rc = hash_path(h, n->kernel, d)) < 0)
                return rc;
        return hash_path(h, UKI_DEFAULT_STUB, d);
}

/* The root image: the host image's root partition, as the ISO's live root is
 * made, so the network-booted host is the installed one (its payload manifest,
 * libvirt definitions and pool fstab lines are added by the host step). */
static int pxe_root(const struct graph *g, const struct node *n, const char *dir, const char *out,
                    struct diag *d)
{
        _cleanup_free_ char *image = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *scratch = path_join(dir, "root-tree");

        if (!image || !scratch)
                return -ENOMEM;
        return root_squashfs_from_image(image, g->epoch, scratch, "", out, d);
}

static int pxe_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *initrd = node_object_path(g, n->inputs[1]);
        _cleanup_free_ char *root = path_join(dir, "root.squashfs");
        _cleanup_free_ char *uki = path_join(dir, "boot.efi"), *out = path_join(dir, "pxe");
        _cleanup_free_ char *cmdline = pxe_cmdline(n->role);
        _cleanup_free_ char *key = keys_file(g->boot, "codesign.key");
        _cleanup_free_ char *cert = keys_file(g->boot, "codesign.crt");
        struct pxe_spec p = {.name = g->app->name, .kernel = n->kernel, .key = key, .cert = cert};
        int rc;

        if (!initrd || !root || !uki || !out || !cmdline || !key || !cert)
                return -ENOMEM;
        rc = pxe_root(g, n, dir, root, d);
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
        return node_add_input(pxe, initrd);
}

const struct output_type out_pxe = {.name = "pxe", .needs_keys = true, .plan = pxe_plan};
