/* stage.h: assembling a role's root tree from its base, overlays, files, users and services. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/diag.h"

struct hasher;

struct stage_opts {
        uint64_t epoch;   /* SOURCE_DATE_EPOCH: every mtime in the tree */
        const char *work; /* scratch directory for this node (empty, removed after) */
        uint64_t *budget; /* bytes archives (base tarball, overlays) may still write into
                           * the root: at most the disk's size. NULL: no bound */
};

/* Feed every external input of the role's root (base files, overlay contents,
 * file sources, the busybox binary) into h, so the content key changes when any
 * of their bytes change. Errors (a missing overlay) name the recipe line. */
int stage_hash_inputs(const struct role *r, struct hasher *h, struct diag *d);

/* Check what can be checked before anything is written: sources exist, base
 * inputs readable, file paths absolute and unique. */
int stage_check(const struct role *r, struct diag *d);

/* Whether r's base is staged into a root tree; false for a base that is an
 * existing disk image, customized in place (its row in stage.c has no make). */
bool stage_makes_root(const struct role *r);

/* Build the root tree of r into root (an empty directory). Owners and modes in
 * the tree come from the recipe and archives; every mtime is o->epoch. */
int stage_role(const struct role *r, const char *root, const struct stage_opts *o, struct diag *d);

/* Apply one overlay (a directory or an archive) over the root at rootfd (path root):
 * also used on trees that are not a role's root (an initrd, a customized image).
 * budget as in struct extract_opts, for an archive (NULL: no bound). */
int overlay_apply(const struct overlay_spec *ov, const char *root, int rootfd, uint64_t *budget,
                  struct diag *d);
/* Set the access and modification time of every entry under rootfd to epoch (not
 * following links). */
int rootfs_set_times(int rootfd, uint64_t epoch);
/* The recipe's groups, users and files over the tree at rootfd: a role's root, or
 * the changes to an existing image staged apart. Owners resolve against the
 * tree's /etc/passwd and /etc/group. */
int stage_accounts_files(const struct role *r, int rootfd, const struct stage_opts *o,
                         struct diag *d);
/* The systemd unit written for a service with a command (malloc'd, NULL when out
 * of memory): the same text in a staged root and in a customized image. */
char *stage_service_unit(const struct service_spec *s);
