/* confine.h: private to recipe/: the directories a recipe's paths must resolve inside. */
#pragma once

#include <stddef.h>

#include "util/diag.h"

/* The real paths (symlinks resolved) of the allowed trees: the top-level recipe's
 * directory, each --allow-path, and the shipped recipes when they exist. */
struct confine {
        char **roots;
        size_t n;
};

/* Fill cf for the recipe at top. A user's allow entry that cannot be resolved is
 * an error (-EINVAL, said in d); shipped may be NULL or missing. */
int confine_init(struct confine *cf, const char *top, const char *const *allow, size_t n_allow,
                 const char *shipped, struct diag *d);
void confine_release(struct confine *cf);

/* 0 when path (as the recipe named it, already joined to its file's directory)
 * resolves inside one of the roots, or cf has none; otherwise an error at m naming
 * key, what it resolved to and the fix (-EINVAL), or -ENOMEM. */
int confine_check(const struct confine *cf, const char *path, const char *key, const struct mark *m,
                  struct diag *d);
