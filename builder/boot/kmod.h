/* kmod.h: resolving kernel module names to files in load order (modules.dep). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"

/* Module files relative to the kernel's module directory, dependencies first. */
struct kmod_list {
        char **paths;
        bool *soft; /* wanted only as a soft dependency: may fail to load */
        size_t n;
};

/* Resolve names (module names such as "virtio_blk", or aliases such as
 * "iso9660" / "fs-iso9660") against kdir (/lib/modules/VERSION): each module's
 * modules.dep dependencies and modules.softdep "pre:" modules come before it.
 * Built-in modules are skipped. A name that is neither a module, built in, nor
 * an alias is an error naming it. */
int kmod_resolve(const char *kdir, const char *const *names, size_t n, struct kmod_list *out,
                 struct diag *d);
void kmod_list_release(struct kmod_list *l);
