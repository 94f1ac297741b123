/* node_host.c: the host node: the host's disk with its storage pool and every role as a payload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* What the host step does to the disk: raised when that changes, so a cached
 * host made the old way is not reused (2: the root's files under a volume's
 * mountpoint are copied into the volume; 3: composed by pocbake, no libguestfs;
 * 4: the composed root tree kept beside the image for the live node). */
#define HOST_STEP "host-step-4"

/* Storage and payload layout, networks, the roles' definitions, and the scripts
 * that start the roles on the host. */
static int host_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        int rc;

        hasher_str(h, HOST_STEP);
        for (size_t i = 0; guest_host_files[i]; i++)
                if ((rc = hash_data_file(h, guest_host_files[i], d)) < 0)
                        return rc;
        hasher_str(h, "storage");
        ynode_hash(ynode_get(n->role->tree, "storage"), h);
        ynode_hash(g->app->tree, h);
        for (size_t i = 0; i < g->app->n_roles; i++)
                ynode_hash(g->app->roles[i]->tree, h);
        return 0;
}

/* A copy of the host's plain disk (inputs[0]) with its root made again from
 * the staged tree (inputs[1]) plus the host's files, and the storage pool with
 * every role's qcow2 (the other inputs) written into it. */
static int host_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        const struct appliance *a = g->app;
        const struct partition_spec *rootp = NULL;
        _cleanup_free_ char *src = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *rootfs = node_object_dir(g, n->inputs[1]);
        _cleanup_free_ char *out = path_join(dir, "host.raw"), *work = path_join(dir, "compose");
        _cleanup_free_ char *keep = path_join(dir, HOST_ROOT_TREE);
        _cleanup_free_ char *tree = NULL;
        _cleanup_free_ const char **qcow2 = calloc(a->n_roles + 1, sizeof(*qcow2));
        _cleanup_free_ char **owned = calloc(a->n_roles + 1, sizeof(*owned));
        int rc;

        if (!src || !rootfs || !out || !work || !keep || !qcow2 || !owned)
                return -ENOMEM;
        for (size_t i = 0; i < n->role->disk.n_partitions; i++)
                if (n->role->disk.partitions[i].mountpoint &&
                    !strcmp(n->role->disk.partitions[i].mountpoint, "/"))
                        rootp = &n->role->disk.partitions[i];
        if (!rootp)
                return diag_at(d, &n->role->disk.mark,
                               "the host's disk has no partition with mountpoint \"/\"");
        if (part_tree(rootfs, rootp, &tree) < 0)
                return -ENOMEM;
        for (size_t i = 2; i < n->n_inputs; i++)
                for (size_t j = 0; j < a->n_roles; j++)
                        if (a->roles[j] == n->inputs[i]->role && !owned[j])
                                qcow2[j] = owned[j] = node_object_path(g, n->inputs[i]);
        rc = copy_file_sparse(src, out, 0644);
        if (rc < 0)
                rc = diag_err(d, rc, "cannot copy the host disk: %s", strerror(-rc));
        else
                rc = guest_make_host(out, tree, a, qcow2, g->epoch, work, keep, d);
        for (size_t j = 0; j < a->n_roles; j++)
                free(owned[j]);
        return rc;
}

const struct node_type node_host = {
        .name = "host", .object = "host.raw", .hash = host_hash, .make = host_make};
