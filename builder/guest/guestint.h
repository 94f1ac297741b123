/* guestint.h: helpers shared by the libguestfs modules (private to guest/). */
#pragma once

#include "gfs.h"
#include <stdbool.h>

#include "guest.h"

/* Open image and launch the appliance once; acceleration from POCBAKE_ACCEL. */
int guest_open(const char *image, const char *format, bool readonly, guestfs_h **g, struct diag *d);
/* Unmount, shut down (checked: it reports write-back errors) and close. */
int guest_finish(guestfs_h *g, const char *image, struct diag *d);
/* "IMAGE: STEP: <guestfs_last_error>" into d; returns a negative errno. */
int gfail(struct diag *d, guestfs_h *g, const char *image, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

void guest_closep(guestfs_h **g);
#define _cleanup_guestfs_ __attribute__((cleanup(guest_closep)))
/* NULL-terminated string lists that libguestfs hands out. */
void guest_free_strings(char **v);
void guest_free_stringsp(char ***v);
#define _cleanup_strv_ __attribute__((cleanup(guest_free_stringsp)))

/* The host's trees being composed (pool.c): the root, and the cluster-shared
 * volume's (-1 when the host has none: the payloads stay on the root). */
struct host_trees {
        int rootfd;
        int volfd;
};
/* The volume whose purpose is to hold VM disks, as in a cluster of hosts (the
 * first cluster-shared-volume of the pool); NULL when the host has none. */
const struct volume_spec *payload_volume(const struct role *host);
/* Before anything is written: the host section, the unit files, role and network names, the qcow2s.
 */
int payloads_check(const struct appliance *a, const char *const *role_qcow2, struct diag *d);
/* The payloads, their manifest, libvirt's definitions and the host units into the trees. */
int payloads_install(const struct host_trees *t, const struct appliance *a,
                     const char *const *role_qcow2, struct diag *d);
