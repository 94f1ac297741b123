/* state.h: what an appliance that is up left in OUT/up/state, for status and down (private to up/).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "netns.h"
#include "util/diag.h"

#define STATE_NAME_MAX 64

struct state_vm {
        char name[STATE_NAME_MAX];
        pid_t pid;
};

struct state_check {
        char name[STATE_NAME_MAX];
        char from[STATE_NAME_MAX];
};

struct up_state {
        char netns[NETNS_NAME_MAX];
        struct state_vm *vms;
        size_t n_vms;
        struct state_check *checks;
        size_t n_checks;
};

/* OUT/up/state, written whole or not at all. */
int state_write(const char *out, const struct up_state *s);
/* -ENOENT when there is none; -EBADMSG for a line it cannot read. */
int state_read(const char *out, struct up_state *s, struct diag *d);
void state_release(struct up_state *s);
int state_remove(const char *out);
/* The pid still runs QEMU (not a pid reused by something else). */
bool state_vm_alive(pid_t pid);

/* What a console log says of the check NAME: 1 ok, -1 failed, 0 not yet. */
int log_result(const char *text, const char *name);
/* The console so far, with NUL bytes made newlines; NULL when unreadable. */
char *log_read(const char *path, size_t *len);
