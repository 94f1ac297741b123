/* steps.h: the stages applied over a base root, in order (private to stage/). */
#pragma once

#include <sys/types.h>

#include "stage.h"

/* overlay_apply is in stage.h: the boot chain and guest customizing use it too. */
/* Groups, then users (passwd, shadow, group, gshadow, homes, ssh keys). */
int accounts_apply(const struct role *r, int rootfd, const struct stage_opts *o, struct diag *d);
/* A user or group name looked up in the staged /etc/passwd or /etc/group, or a
 * number. *id is the uid/gid; *gid (passwd only, may be NULL) the primary group.
 * 0 found, -ENOENT not there. */
int account_id(int rootfd, const char *db, const char *name, long *id, long *gid);
/* The recipe's files: regular files, directories and symlinks. */
int files_apply(const struct role *r, int rootfd, struct diag *d);
/* Services: systemd units enabled, or busybox init lines. */
int services_apply(const struct role *r, int rootfd, struct diag *d);
/* /etc/fstab from the disk's partitions (PARTUUID, mountpoint, fs), unless the root
 * already has entries of its own. */
int fstab_apply(const struct role *r, int rootfd, struct diag *d);
/* The NICs' addresses, DHCP and gateways at boot (busybox init script or
 * systemd-networkd files), for nics with an address. */
int network_apply(const struct role *r, int rootfd, struct diag *d);
/* The role's boot-time check: a script, started by busybox init or systemd, that
 * prints "POCBAKE-CHECK ROLE ok|failed" on the console. */
int selfcheck_apply(const struct role *r, int rootfd, struct diag *d);
/* Names and fields of users and groups that would corrupt the account files. */
int accounts_check(const struct role *r, struct diag *d);
