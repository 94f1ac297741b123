/* node_live.c: the live node: the finished host image's root as a squashfs and the image gzip'd,
 * made once for the ISO and the PXE set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/gzimage.h"
#include "media/rootimg.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* Raised when what is made from the host image changes (2: megabytes coded on their
 * own, random ones stored; the root packed from the host's kept tree). */
#define LIVE_STEP "live-2"

static int live_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        hasher_str(h, LIVE_STEP);
        hasher_u64(h, g->epoch);
        return 0;
}

static int live_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *image = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *host = node_object_dir(g, n->inputs[0]), *tree = NULL;
        _cleanup_free_ char *out = path_join(dir, "live");
        _cleanup_free_ char *sq = NULL, *gz = NULL, *info = NULL;
        struct gz_image img;
        int rc;

        if (!image || !host || !(tree = path_join(host, HOST_ROOT_TREE)) || !out ||
            !(sq = path_join(out, LIVE_ROOT)) || !(gz = path_join(out, LIVE_IMAGE_GZ)) ||
            !(info = path_join(out, LIVE_IMAGE_INFO)))
                return -ENOMEM;
        if ((rc = mkdir_p(out, 0755)) < 0)
                return diag_err(d, rc, "cannot create %s: %s", out, strerror(-rc));
        rc = root_squashfs_from_tree(tree, g->epoch, sq, d);
        if (rc >= 0)
                rc = gz_image_write(image, gz, &img, d);
        if (rc >= 0)
                rc = gz_image_save_info(info, &img, d);
        return rc;
}

const struct node_type node_live = {
        .name = "live", .object = "live", .hash = live_hash, .make = live_make};

struct node *plan_live(struct graph *g, struct node *host)
{
        struct node *live = graph_find(g, &node_live, host->role);

        if (live)
                return live;
        live = graph_add_node(g, &node_live, host->role, host->role->name, NULL);
        if (live && node_add_input(live, host) < 0)
                return NULL;
        return live;
}

int live_files(const struct graph *g, const struct node *live, struct live_files *f, struct diag *d)
{
        _cleanup_free_ char *dir = node_object_path(g, live), *info = NULL;

        memset(f, 0, sizeof(*f));
        if (!dir || !(f->root = path_join(dir, LIVE_ROOT)) ||
            !(f->image_gz = path_join(dir, LIVE_IMAGE_GZ)) ||
            !(info = path_join(dir, LIVE_IMAGE_INFO)))
                return -ENOMEM;
        return gz_image_load_info(info, &f->info, d);
}

void live_files_release(struct live_files *f)
{
        free(f->root);
        free(f->image_gz);
        memset(f, 0, sizeof(*f));
}
