/* host.c: the host image's entries, each one libguestfs launch: its pool, its payloads, or both. */
#include "guestint.h"

enum { DO_POOL = 1, DO_PAYLOADS = 2 };

/* The payloads are checked before the launch: a launch costs 15-30 s. */
static int one_launch(const char *disk_raw, const struct appliance *a, const struct role *host,
                      const char *const *role_qcow2, unsigned what, struct diag *d)
{
        guestfs_h *g = NULL;
        int rc = 0;

        if (what & DO_PAYLOADS)
                rc = payloads_check(a, role_qcow2, d);
        if (rc >= 0)
                rc = guest_open(disk_raw, "raw", false, &g, d);
        if (rc < 0)
                return rc;
        if (what & DO_POOL)
                rc = pool_create(g, disk_raw, host, d);
        if (rc >= 0 && (what & DO_PAYLOADS))
                rc = payloads_install(g, disk_raw, a, role_qcow2, d);
        if (rc < 0) {
                guestfs_close(g);
                return rc;
        }
        return guest_finish(g, disk_raw, d);
}

int guest_make_pool(const char *disk_raw, const struct role *host, struct diag *d)
{
        return one_launch(disk_raw, NULL, host, NULL, DO_POOL, d);
}

int guest_add_payloads(const char *disk_raw, const struct appliance *a,
                       const char *const *role_qcow2, struct diag *d)
{
        return one_launch(disk_raw, a, a->host, role_qcow2, DO_PAYLOADS, d);
}

int guest_make_host(const char *disk_raw, const struct appliance *a, const char *const *role_qcow2,
                    struct diag *d)
{
        return one_launch(disk_raw, a, a->host, role_qcow2, DO_POOL | DO_PAYLOADS, d);
}
