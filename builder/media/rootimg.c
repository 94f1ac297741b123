/* rootimg.c: the root partition of a disk image pocbake built, as a squashfs (live and network
 * roots). */
#include "rootimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/gpt.h"
#include "fs/fs.h"
#include "recipe/recipe.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

/* The root among the image's partitions: the one named "root", else the last
 * one that is not the ESP. */
static const struct gpt_part *root_part(const struct gpt *g)
{
        const struct gpt_part *root = NULL;
        struct uuid esp;

        if (part_type_uuid(PART_ESP, &esp) < 0)
                return NULL;
        for (size_t i = 0; i < g->n; i++) {
                if (!memcmp(&g->parts[i].type, &esp, sizeof(esp)))
                        continue;
                root = &g->parts[i];
                if (!strcmp(root->name, "root"))
                        break;
        }
        return root;
}

/* Byte range of the host image's root partition, from its GPT. */
static int find_root_part(const char *image, uint64_t *off, uint64_t *len, const char *hint,
                          struct diag *d)
{
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        const struct gpt_part *p;
        struct gpt g;
        struct stat st;
        int rc;

        if (fd < 0 || fstat(fd, &st) < 0)
                return diag_err(d, -errno, "cannot open %s: %m", image);
        if ((rc = gpt_read(&g, fd, (uint64_t)st.st_size, image, d)) < 0)
                return diag_err(d, rc, "%s: expected a disk from 'pocbake build'%s", image, hint);
        if ((p = root_part(&g))) {
                *off = p->first_lba * GPT_SECTOR;
                *len = (p->last_lba - p->first_lba + 1) * GPT_SECTOR;
        } else
                rc = diag_err(d, -EINVAL,
                              "%s: no root partition in its GPT (expected one named \"root\")%s",
                              image, hint);
        gpt_release(&g);
        return rc;
}

int root_squashfs_from_image(const char *image, uint64_t epoch, const char *scratch,
                             const char *hint, const char *out, struct diag *d)
{
        _cleanup_free_ char *part = path_join(scratch, "root.part");
        _cleanup_free_ char *dir = path_join(scratch, "tree");
        _cleanup_free_ char *probe = NULL, *cmd = NULL;
        _cleanup_close_ int in = -1, o = -1;
        struct fs_spec fs = {.type = "squashfs", .size = UINT64_MAX / 2, .epoch = epoch};
        uint64_t off = 0, len = 0;
        int rc;

        if (!part || !dir || asprintf(&cmd, "rdump / \"%s\"", dir) < 0)
                return -ENOMEM;
        if (strchr(dir, '"'))
                return diag_err(d, -EINVAL,
                                "work directory %s: debugfs cannot take a '\"' in a path", dir);
        if ((rc = find_root_part(image, &off, &len, hint, d)) < 0)
                return rc;
        if (mkdir(scratch, 0700) < 0 || mkdir(dir, 0755) < 0)
                return diag_err(d, -errno, "cannot create %s: %m", dir);
        in = open(image, O_RDONLY | O_CLOEXEC);
        o = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || o < 0 || ftruncate(o, (off_t)len) < 0 ||
            copy_sparse_range(in, (off_t)off, o, 0, (off_t)len) < 0)
                rc = diag_err(d, -EIO, "cannot copy the root partition of %s", image);
        if (rc >= 0)
                rc = run_argv((const char *[]){"debugfs", "-R", cmd, part, NULL}, NULL, d);
        if (rc >= 0 && (!(probe = path_join(dir, "sbin")) || access(probe, F_OK) < 0))
                rc = diag_err(d, -EINVAL, "%s: the root partition holds no /sbin (is it ext4?)",
                              image);
        if (rc >= 0) {
                fs.tree = dir;
                rc = fs_type_find("squashfs")->make(&fs, out, d);
        }
        rm_rf(scratch);
        return rc;
}

int root_squashfs_from_tree(const char *tree, uint64_t epoch, const char *out, struct diag *d)
{
        struct fs_spec fs = {
                .type = "squashfs", .size = UINT64_MAX / 2, .epoch = epoch, .tree = tree};

        return fs_type_find("squashfs")->make(&fs, out, d);
}
