/* fsint.h: what the filesystem handlers share (private to fs/). */
#pragma once

#include <stdint.h>

#include "fs.h"
#include "util/fsutil.h"

/* The handlers, listed in fs.c's table. */
extern const struct fs_type fs_ext4, fs_vfat, fs_squashfs, fs_erofs, fs_xfs;

/* Shared by the handlers (common.c). */

/* Environment every mkfs tool runs with: fixed clock and zone. */
struct fs_env {
        char epoch[48];
        char fake_time[48];
        const char *env[6];
};
void fs_env_init(struct fs_env *e, const struct fs_spec *s);

/* The output as a temp file beside out; size > 0 makes it that long (sparse). */
int fs_out_open(struct atomic_file *a, const char *out, uint64_t size, struct diag *d);
/* Reopen the temp file by name (the tool wrote it by name), fsync, rename. */
int fs_out_commit(struct atomic_file *a, struct diag *d);
/* Error at the partition's mark when the file at path is larger than s->size. */
int fs_check_fits(const struct fs_spec *s, const char *path, struct diag *d);
/* Common checks: size at least min bytes, label at most max_label bytes. */
int fs_check_common(const struct fs_spec *s, uint64_t min, size_t max_label, struct diag *d);
/* A new empty directory beside out (mode 0755, mtime = epoch) for tools that
 * need a source tree; the caller removes it. */
int fs_empty_tree(const struct fs_spec *s, const char *out, char **dir, struct diag *d);

/* A tool that writes a read-only image of tree (a directory) to the file out. */
typedef int (*fs_tool_fn)(const struct fs_spec *s, const char *tree, const char *out,
                          struct diag *d);
/* A read-only image at its natural size: tool over s->tree (an empty directory
 * when there is none) into a temp file beside out, checked to fit, renamed. */
int fs_make_image(const struct fs_spec *s, const char *out, fs_tool_fn tool, struct diag *d);

/* Set the times of every in-use inode of the ext4 filesystem at byte offset
 * of fd (at most size bytes) to epoch, nanoseconds 0, recomputing inode
 * checksums; mke2fs -d copies the staging tree's ctimes, which no one can set.
 * Each inode's stored checksum is verified before the inode is rewritten.
 * name is for messages; *changed (may be NULL) gets the number of inodes rewritten. */
int ext4_times_fix(int fd, uint64_t offset, uint64_t size, uint64_t epoch, const char *name,
                   uint64_t *changed, struct diag *d);
