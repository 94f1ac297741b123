/* fstab.c: /etc/fstab from the recipe's partitions. */
/* The booted system mounts its disk as the recipe lays it out (the root read-write, the ESP at
 * /boot/efi). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs.h"
#include "steps.h"
#include "util/cleanup.h"
#include "util/hash.h"

/* Whether the root already has an fstab of its own (a line that is not a comment):
 * an overlay's or a file's fstab is the user's choice and stays. */
static bool has_entries(int rootfd)
{
        _cleanup_free_ char *old = NULL;
        size_t len = 0;

        if (rootfs_read(rootfd, "/etc/fstab", &old, &len) < 0)
                return false;
        for (char *l = old; l && *l;) {
                char *nl = strchr(l, '\n');

                l += strspn(l, " \t");
                if (*l && *l != '#' && *l != '\n')
                        return true;
                l = nl ? nl + 1 : NULL;
        }
        return false;
}

static void entry(FILE *f, const struct role *r, const struct partition_spec *p)
{
        bool root = !strcmp(p->mountpoint, "/");
        bool readonly = !strcmp(p->fs, "squashfs") || !strcmp(p->fs, "erofs");
        /* a system booted some other way (live, PXE) does without the disk's extras */
        const char *opts = readonly                 ? "ro"
                           : !strcmp(p->fs, "vfat") ? "umask=0077,nofail"
                           : root                   ? "defaults"
                                                    : "defaults,nofail";
        char uuid[UUID_STR];
        struct uuid u;

        /* the partition GUID the disk writer derives for this partition */
        uuid_derive(&u, "part", r->name, p->name);
        uuid_format(&u, uuid);
        fprintf(f, "PARTUUID=%s ", uuid);
        /* fstab(5) fields are separated by blanks: those in a path go as octal */
        for (const char *c = p->mountpoint; *c; c++)
                if (strchr(" \t\n\\", *c))
                        fprintf(f, "\\%03o", (unsigned char)*c);
                else
                        fputc(*c, f);
        fprintf(f, " %s %s 0 %d\n", p->fs, opts, readonly ? 0 : root ? 1 : 2);
}

int fstab_apply(const struct role *r, int rootfd, struct diag *d)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, n = 0;
        FILE *f;
        int rc;

        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].fs && r->disk.partitions[i].mountpoint)
                        n++;
        if (!n || has_entries(rootfd))
                return 0;
        f = open_memstream(&text, &len);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        fprintf(f, "# /etc/fstab: the disk's filesystems, written by pocbake from the recipe\n");
        for (size_t i = 0; i < r->disk.n_partitions; i++)
                if (r->disk.partitions[i].fs && r->disk.partitions[i].mountpoint)
                        entry(f, r, &r->disk.partitions[i]);
        if (fclose(f) != 0)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = rootfs_write(rootfd, "/etc/fstab", text, len, 0644, 0, 0);
        return rc < 0 ? diag_err(d, rc, "role %s: cannot write /etc/fstab: %s", r->name,
                                 strerror(-rc))
                      : 0;
}
