/* treesum.h: a record of a directory tree's files (digests and stamps) and checks against it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hash.h"

/* Write to manifest (atomically) a line per regular file and symlink under dir, in
 * name order: the file's digest (treesum_file_digest), size, mtime and inode; the
 * link's target digest. */
int treesum_write(const char *dir, const char *manifest);

/* 0 when dir still holds what manifest recorded; 1 with *why (malloc'd: the first
 * path that differs, or what is missing) when not; <0 on an error reading the
 * manifest. Without full only the stamps are compared (stat, no reading: a file
 * rewritten, grown, removed or added shows; bytes changed in place with the mtime
 * put back do not); with full every file's digest is computed again. */
int treesum_check(const char *dir, const char *manifest, bool full, char **why);

/* SHA-256 over the file's size, then each 64 KiB block holding a byte other than zero
 * as its offset and bytes: the content decides, not where the filesystem keeps
 * holes (which are not read); buf holds 1 MiB. */
int treesum_file_digest(int fd, uint8_t *buf, char hex[SHA256_HEX]);

/* The digest manifest recorded for the regular file rel (a path inside the tree);
 * -ENOENT when it lists none. */
int treesum_lookup(const char *manifest, const char *rel, char hex[SHA256_HEX]);
