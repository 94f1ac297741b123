/* node_image.c: the disk node of a role built on an existing image: a copy, customized in place. */
#include <errno.h>
#include <stdlib.h>

#include "guest/guest.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* There is no rootfs node: the recipe keys and the image's bytes count here. */
static int image_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        hasher_str(h, "disk");
        ynode_hash(ynode_get(n->role->tree, "disk"), h);
        return rootfs_hash_recipe(n->role, h, d);
}

static int image_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *out = path_join(dir, "disk.raw");

        return out ? guest_customize(n->role->base.path, out, n->role, g->epoch, d) : -ENOMEM;
}

/* Named "disk" as the staged disk is: the same artifact to its users (and the
 * same content keys as when one node type did both). */
const struct node_type node_image = {
        .name = "disk", .object = "disk.raw", .hash = image_hash, .make = image_make};
