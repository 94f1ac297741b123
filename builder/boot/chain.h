/* chain.h: the one UEFI boot chain: kernel choice, initrd modules, initrd, signed UKI, ESP keys. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp.h"
#include "util/diag.h"

/* Where kernels are looked for when none is given. */
#define CHAIN_KERNEL_DIR "/boot"

/* Which initrd is being made: a role's or the host's disk (the graph's initrd
 * node), or the install ISO's live and installer system. */
enum chain_initrd_kind {
        CHAIN_INITRD_DISK,
        CHAIN_INITRD_ISO,
};

/* The newest dir/vmlinuz-* by version (strverscmp: -10 after -9), malloc'd;
 * NULL when there is none (errno ENOENT) or on ENOMEM. */
char *chain_newest_kernel(const char *dir);

/* The kernel release of a kernel image file ("6.1.0-56-amd64"), malloc'd. */
int chain_kernel_release(const char *kernel, char **out, struct diag *d);

/* The module table's rows for one kind of initrd, in table order: *out is a
 * malloc'd array of *n static strings. */
int chain_modules(enum chain_initrd_kind kind, const char ***out, size_t *n);

struct chain_initrd {
        enum chain_initrd_kind kind;
        const char *kernel;       /* its release picks /lib/modules/RELEASE */
        const char *const *extra; /* loaded after the table's (a role's kernel.modules) */
        size_t n_extra;
        uint64_t epoch; /* every entry's mtime */
};

/* The zstd initrd of the table's modules for c->kind, then c->extra, written
 * atomically to out. */
int chain_initrd_write(const struct chain_initrd *c, const char *out, struct diag *d);
/* The module files (absolute paths, malloc'd, in load order) that initrd takes
 * from /lib/modules/RELEASE of c->kernel. */
int chain_initrd_modules(const struct chain_initrd *c, char ***paths, size_t *n, struct diag *d);

/* A UKI of kernel, initrd and cmdline written to out; with keys (a key
 * directory) Authenticode-signed with keys/db.key and db.crt, else unsigned. */
int chain_uki(const char *kernel, const char *initrd, const char *cmdline, const char *keys,
              const char *out, struct diag *d);

/* esp_populate(s, dir) with the key set in keys: s->keydir is replaced by view,
 * a directory made for the call (links to db.key and db.crt, {PK,KEK,db}.auth
 * stamped with epoch) and removed afterwards. */
int chain_esp(const struct esp_spec *s, const char *keys, uint64_t epoch, const char *view,
              const char *dir, struct diag *d);

/* Every key and certificate of the set in keys readable and every private key
 * loadable (key_load refuses one that group or others can read): one message
 * per problem, -EINVAL when there is any. */
int chain_keys_check(const char *keys, struct diag *d);
