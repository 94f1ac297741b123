/* up.h: a built appliance brought up on this machine: its VMs, its switches and its checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "recipe/recipe.h"
#include "util/diag.h"

struct up_opts {
        const char *out;          /* the directory the appliance was built into */
        const char *const *roles; /* only these VMs (role names, "host"); all when n_roles is 0 */
        size_t n_roles;
        unsigned timeout;  /* seconds for every check to report */
        unsigned jobs;     /* VMs booting at once; 0: all with KVM, one per CPU with TCG */
        const char *accel; /* auto, kvm, tcg */
        bool json;         /* one JSON event per line on stdout, not lines and a table */
        bool detach;       /* leave the appliance running at the end */
};

/* Start the host and every role VM that is not disabled on the appliance's
 * networks (one bridge each, in a network namespace of its own), hand each VM
 * the appliance checks it runs, and report each VM's own check and each
 * appliance check as it comes. Consoles go to OUT/up/NAME.log. Returns 0 when
 * every check passed, -EBADMSG when one failed, -ETIMEDOUT, -EINTR on SIGINT or
 * SIGTERM, -EEXIST when the appliance is up already. Unless detached, nothing
 * is left running. */
int up_run(const struct appliance *a, const struct up_opts *o, struct diag *d);
/* Stop what `up --detach` left running in OUT: the VMs, then the namespace. */
int up_down(const char *out, struct diag *d);
/* What is running in OUT and how its checks stand: 0 when the appliance is up,
 * -ENOENT when it is not. */
int up_status(const char *out, bool json, struct diag *d);
