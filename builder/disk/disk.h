/* disk.h: a role's disk image: layout, filesystems into partitions, conversions. */
#pragma once

#include "fs/fs.h"
#include "recipe/recipe.h"
#include "util/diag.h"
#include "gpt.h"

/* Compute the GPT for a role's disk spec (sizes, alignment, rest, GUIDs derived
 * from the role name and partition names). Recipe errors name the line. */
int disk_layout(const struct role *r, struct gpt *g, struct diag *d);

/* The filesystem spec for partition i of the role's disk, laid out in g:
 * type = partition fs, label = partition label or else its name, uuid =
 * uuid_derive("fs", role name, partition name), size = the partition's size,
 * mark = the partition's. tree may be NULL (an empty filesystem). */
void disk_fs_spec(const struct role *r, const struct gpt *g, size_t i, uint64_t epoch,
                  const char *tree, struct fs_spec *s);

/* The role's LVM pool laid out in the partition of g its storage names: *part
 * is that partition's index (-1 when the role has no pool: pool untouched), and
 * pool its volumes by the recipe's sizes, the last "rest" (pool->lv malloc'd). */
struct lvm_pool;
int disk_pool_layout(const struct role *r, const struct gpt *g, struct lvm_pool *pool,
                     ssize_t *part, struct diag *d);

/* The check phase for a role's disk, before anything is written: the layout,
 * each partition's filesystem name and that filesystem's own limits (label,
 * minimum size). Every problem is reported; returns 0 or -EINVAL. */
int disk_check(const struct role *r, struct diag *d);

/* Write a sparse raw disk at out (atomically): the table from g and each
 * partition's filesystem image (images[i] may be NULL: left empty). Holes in
 * the images stay holes. */
int disk_assemble(const struct gpt *g, const char *const *images, const char *out, struct diag *d);
/* As disk_assemble; a partition i whose fs[i] is set and whose handler has
 * make_at (ext4) gets its filesystem written in place instead of copied from
 * images[i] (about 3x faster for a 370 MB tree). fs[i]->size
 * must not exceed the partition. fs may be NULL. */
int disk_assemble_fs(const struct gpt *g, const char *const *images,
                     const struct fs_spec *const *fs, const char *out, struct diag *d);

/* Convert a raw disk to qcow2 or vhdx with qemu-img (atomically); the random
 * identifiers qemu-img puts in a vhdx are replaced with ones derived from seed
 * so that the same input gives the same bytes. */
int disk_convert(const char *raw, enum output_fmt fmt, const char *seed, const char *out,
                 struct diag *d);
