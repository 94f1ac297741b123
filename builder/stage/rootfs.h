/* rootfs.h: operations on a staged root tree that never reach outside it (stage/, and guest/
 * composing the host's root). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stage.h"
#include "util/exec.h"

/* Normalize an archive entry or in-root path: leading "/" and "./", repeated and
 * trailing slashes and "." components removed. "" is the root itself. */
enum name_verdict { NAME_OK = 0, NAME_EMPTY, NAME_ABSOLUTE, NAME_DOTDOT };
int name_normalize(const char *in, bool allow_absolute, char **out); /* a verdict or -errno */

/* True when a relative symlink target, read from the directory of the link at
 * rel (a normalized name), stays inside the root. Absolute targets stay inside
 * (they resolve inside the image at boot). */
bool link_target_stays(const char *rel, const char *target);

/* Walk the parents of rel (a normalized name) under rootfd without following
 * anything: 0 when every existing parent is a real directory; otherwise 1 and
 * *bad (malloc'd) names the first parent that is a symlink, 2 when it is not a
 * directory, or a negative errno. */
int parents_check(int rootfd, const char *rel, char **bad);

/* Open path inside the tree at rootfd, symlinks resolved as they would be in the
 * booted image (never above rootfd). Returns an fd or a negative errno. */
int rootfs_open(int rootfd, const char *path, int flags, mode_t mode);
/* 1 when path exists in the tree (symlinks resolved inside it), 0 when not. */
int rootfs_exists(int rootfd, const char *path);
/* The tree boots with systemd as its init (else: busybox init). */
bool rootfs_is_systemd(int rootfd);
/* Create path and missing parents (mode, owner 0:0); returns an fd of the directory. */
int rootfs_mkdirs(int rootfd, const char *path, mode_t mode);
/* The directory holding path (created 0755 root when missing) and the last name. */
int rootfs_parent(int rootfd, const char *path, char **name);
/* Give the temp file of atomic_openat its owner and mode, and rename it in place. */
struct atomic_file;
int rootfs_commit(struct atomic_file *a, mode_t mode, uid_t uid, gid_t gid);
/* Replace whatever is at path (never following its last component) with a
 * regular file holding data, written to a temp file and renamed in place. */
int rootfs_write(int rootfd, const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                 gid_t gid);
/* As rootfs_write, keeping the mode and owner of the file already there. */
int rootfs_rewrite(int rootfd, const char *path, const void *data, size_t len);
/* Replace whatever is at path with a symlink to target (owner 0:0). */
int rootfs_symlink(int rootfd, const char *path, const char *target);
/* A hard link at path to the existing file at existing (both relative to the root). */
int rootfs_hardlink(int rootfd, const char *path, const char *existing);
/* As rootfs_write, with the bytes of the build host's file src (a reflink where
 * the filesystem shares extents, else a sparse copy). */
int rootfs_copy_in(int rootfd, const char *path, const char *src, mode_t mode, uid_t uid,
                   gid_t gid);
/* A new tree at dst holding src's: directories made anew with src's mode and
 * owner, everything else a hard link to src's (a copy across filesystems). What
 * is then written into dst with the functions above replaces links, never the
 * files src holds. */
int rootfs_link_tree(const char *src, const char *dst);
/* Read a file of the tree; a missing file gives -ENOENT. */
int rootfs_read(int rootfd, const char *path, char **out, size_t *len);
/* rootfs_set_times is in stage.h: the ISO's trees use it too. */
