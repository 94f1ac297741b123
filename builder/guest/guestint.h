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

/* In an appliance already launched with the host disk as /dev/sda. */
int pool_create(guestfs_h *g, const char *image, const struct role *host, struct diag *d);
/* The device of the partition holding "/" in r's disk ("/dev/sda2"); malloc'd. */
char *guest_root_device(const struct role *r);
/* Mount r's root read-write at "/", and its pool volumes at their mountpoints. */
int guest_mount_host(guestfs_h *g, const char *image, const struct role *host, struct diag *d);
/* Before any launch: the host section, the unit files, role and network names, the qcow2s. */
int payloads_check(const struct appliance *a, const char *const *role_qcow2, struct diag *d);
int payloads_install(guestfs_h *g, const char *image, const struct appliance *a,
                     const char *const *role_qcow2, struct diag *d);
