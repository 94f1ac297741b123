/* base.h: the base sources, one file each, listed in stage.c (private to stage/). */
#pragma once

#include "stage.h"

struct hasher;

struct base_source {
        enum base_kind kind;
        const char *name; /* the recipe key: "busybox", "tarball", ... */
        /* before anything is written: inputs exist, settings make sense */
        int (*check)(const struct role *r, struct diag *d);
        /* the bytes of every external input, into the content key */
        int (*hash)(const struct role *r, struct hasher *h, struct diag *d);
        /* fill root (an empty directory); NULL for a base that is not staged */
        int (*make)(const struct role *r, const char *root, const struct stage_opts *o,
                    struct diag *d);
};

extern const struct base_source base_busybox;
/* The busybox root's own user names (group false) or group names (at most max,
 * into names); how many. Kept in step with its /etc/passwd and /etc/group. */
size_t busybox_accounts(bool group, const char **names, size_t max);
extern const struct base_source base_tarball;
extern const struct base_source base_debs;
extern const struct base_source base_mmdebstrap;
extern const struct base_source base_image;

/* Shared by the sources (shared.c): a host input that must be a readable file. */
int base_check_file(const struct mark *m, const char *what, const char *path, struct diag *d);
/* Hash a host file, the error naming the recipe line. */
int base_hash_file(const struct mark *m, const char *what, const char *path, struct hasher *h,
                   struct diag *d);
/* The one host file a tarball or image base names (name: "tarball"), checked and
 * hashed as "base NAME". */
int base_check_path(const struct role *r, const char *name, struct diag *d);
/* extract_probe of path, its message put at m as "WHAT PATH: ..." (shared.c). */
int probe_at(const struct mark *m, const char *what, const char *path, struct diag *d);
int base_hash_path(const struct role *r, const char *name, struct hasher *h, struct diag *d);
/* The role's host name: its hostname setting, else its name in lower case (malloc'd). */
char *stage_hostname(const struct role *r);
