/* initrd.h: a deterministic initramfs (newc cpio, gzip or zstd) with busybox and modules. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

enum initrd_compress {
        INITRD_GZIP,
        INITRD_ZSTD,
        INITRD_NONE,
};

struct initrd_spec {
        const char *kver;           /* NULL: the highest version under moddir */
        const char *moddir;         /* NULL: /lib/modules */
        const char *const *modules; /* names or aliases, see kmod_resolve */
        size_t n_modules;
        const char *init;    /* NULL: firmware/initrd/init from the data directory */
        const char *busybox; /* NULL: /bin/busybox (Debian's busybox-static) */
        enum initrd_compress compress;
        uint64_t mtime; /* every entry's mtime: the caller's epoch (util/epoch.h) */
};

/* "gzip", "zstd" or "none"; -EINVAL otherwise. */
int initrd_compress_parse(const char *s, enum initrd_compress *c);
/* Write the initrd to out (atomically). The same spec and the same input files
 * give the same bytes: entries sorted by path, inode numbers in that order,
 * owner 0:0, one mtime, no compression timestamp. */
int initrd_write(const struct initrd_spec *s, const char *out, struct diag *d);
