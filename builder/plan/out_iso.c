/* out_iso.c: the iso deliverable: the hybrid install ISO of the finished host image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "boot/chain.h"
#include "boot/data.h"
#include "boot/uki.h"
#include "media/iso.h"
#include "nodes.h"
#include "outputs.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

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
        int rc;

        if ((rc = hash_key_file(h, g->boot, "codesign.crt", d)) < 0)
                return rc;
        hasher_str(h, n->role->cmdline);
        hasher_u64(h, (uint64_t)g->boot->enroll);
        if ((rc = hash_key_file(h, g->boot, "db.crt", d)) < 0 ||
            (rc = hash_key_file(h, g->boot, "PK.crt", d)) < 0)
                return rc;
        if ((rc = hash_path(h, n->kernel, d)) < 0)
                return rc;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if ((rc = hash_path(h, files[i], d)) < 0)
                        return rc;
        for (size_t i = 0; i < ARRAY_SIZE(data); i++)
                if ((rc = hash_data_file(h, data[i], d)) < 0)
                        return rc;
        return hash_initrd_modules(CHAIN_INITRD_ISO, n->kernel, NULL, 0, h, d);
}

static int iso_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *image = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *out = path_join(dir, "install.iso");
        struct live_files live;
        int rc;
        struct iso_spec s = {
                .keys = g->boot->keys,
                .kernel = n->kernel,
                .cmdline = n->role->cmdline,
                .default_entry = ISO_ENTRY_LIVE,
                .timeout = 5,
                .enroll = (enum esp_enroll)g->boot->enroll,
                .epoch = g->epoch,
        };

        if (!image || !out)
                return -ENOMEM;
        /* the live root and the gzip'd image the PXE set carries too, made once */
        rc = live_files(g, n->inputs[1], &live, d);
        if (rc >= 0) {
                s.image = image;
                s.root_squashfs = live.root;
                s.image_gz = live.image_gz;
                s.image_gz_info = &live.info;
                rc = iso_write(&s, out, d);
        }
        live_files_release(&live);
        return rc;
}

static const struct node_type node_iso = {
        .name = "iso", .object = "install.iso", .hash = iso_hash, .make = iso_make};

/* The install ISO carries the finished host image. */
static int iso_plan(struct graph *g, struct diag *d)
{
        const struct appliance *a = g->app;
        struct node *host = a->host ? graph_find(g, &node_host, a->host) : NULL;
        struct node *iso;

        if (!host)
                return diag_at(d, &a->mark,
                               "output iso installs the host (expected a host: section)");
        iso = graph_add_node(g, &node_iso, a->host, a->name, NULL);
        if (!iso || asprintf(&iso->export_name, "%s.iso", a->name) < 0)
                return -ENOMEM;
        iso->kernel = a->host->kernel ? a->host->kernel : g->boot->kernel;
        if (node_add_input(iso, host) < 0)
                return -ENOMEM;
        return node_add_input(iso, plan_live(g, host));
}

const struct output_type out_iso = {.name = "iso", .needs_keys = true, .plan = iso_plan};
