/* fsutil.h: paths, directories, atomic outputs and sparse copies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

/* malloc'd "a/b"; b absolute → b alone. NULL on ENOMEM. */
char *path_join(const char *a, const char *b);
/* malloc'd directory part of path ("." when none). */
char *path_dirname(const char *path);
/* Create dir and its parents with mode; existing directories are fine. */
int mkdir_p(const char *dir, mode_t mode);
/* Remove a tree (no error when it does not exist). Does not cross mounts. */
int rm_rf(const char *path);
/* Read a whole file; *out is NUL-terminated, *len excludes the NUL. */
int read_file(const char *path, char **out, size_t *len);
/* The same from an open file descriptor, read to its end. */
int read_fd(int fd, char **out, size_t *len);

/* An output that appears whole or not at all: a temp file beside the target,
 * renamed over it by atomic_commit (after fsync of file and directory). */
struct atomic_file {
        char *final;
        char *tmp;
        int fd;
        int dfd;     /* names are relative to it: AT_FDCWD, or atomic_openat's */
        bool staged; /* atomic_openat: no fsync */
};
int atomic_open(struct atomic_file *a, const char *final, mode_t mode);
/* The same for name inside the directory dfd of a tree being staged: the temp
 * file (".NAME.pocbake-tmp", mode 0600 until the caller sets owner and mode) is
 * made without following links, the rename replaces a symlink at name instead of
 * writing through it, and nothing is fsynced (the tree is packed, then synced). */
int atomic_openat(struct atomic_file *a, int dfd, const char *name);
int atomic_commit(struct atomic_file *a);
/* Unlinks the temp file if not committed; safe to call twice and on a zeroed struct. */
void atomic_release(struct atomic_file *a);
/* write(2) until all of data is written (EINTR retried). */
int write_full(int fd, const void *data, size_t len);
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* pwrite(2) until all of data is at off (EINTR retried, a 0-byte write is -EIO). */
int pwrite_full(int fd, const void *data, size_t len, uint64_t off);
/* pread(2) until len bytes are read from off (EINTR retried); the file ending first is -EIO. */
int pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Copy len bytes of in (from in_off) to out (at out_off), keeping holes as holes:
 * SEEK_DATA/SEEK_HOLE to find data, copy_file_range to move it. */
int copy_sparse_range(int in, off_t in_off, int out, off_t out_off, off_t len);
/* The size bytes of in into the empty file out: a reflink where the filesystem
 * shares extents (XFS, btrfs), else a sparse copy. */
int copy_fd_sparse(int in, int out, off_t size);
/* Copy a whole file sparsely to a new path (atomically). */
int copy_file_sparse(const char *from, const char *to, mode_t mode);
/* Bytes actually allocated to a file (st_blocks * 512). */
int64_t file_allocated(const char *path);

/* Temp files and directories that builds which are gone left in dir, removed:
 * in an output directory (and three levels below) the ".NAME.tmp-PID-XXXXXX"
 * files atomic_open makes; in a cache's tmp/ (cache_tmp) the "KEY.PID.XXXXXX"
 * work directories and their .log and .rss. Only those whose PID no longer
 * runs: a concurrent build's are kept. Returns how many were removed. */
size_t leftovers_remove(const char *dir, bool cache_tmp);
