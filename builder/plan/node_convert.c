/* node_convert.c: the convert node: a role's raw disk as qcow2 or vhdx. */
#include <errno.h>
#include <stdlib.h>

#include "disk/disk.h"
#include "nodes.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static int convert_hash(const struct graph *g, const struct node *n, struct hasher *h,
                        struct diag *d)
{
        hasher_u64(h, n->fmt);
        return 0;
}

static const char *convert_object(const struct node *n)
{
        return n->fmt == OUT_VHDX ? "disk.vhdx" : "disk.qcow2";
}

static int convert_make(const struct graph *g, const struct node *n, const char *dir,
                        struct diag *d)
{
        _cleanup_free_ char *raw = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *out = path_join(dir, convert_object(n));

        if (!raw || !out)
                return -ENOMEM;
        return disk_convert(raw, n->fmt, n->role->name, out, d);
}

const struct node_type node_convert = {
        .name = "convert", .object_of = convert_object, .hash = convert_hash, .make = convert_make};
