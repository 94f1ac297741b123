/* rootimg.h: the root partition of a disk image pocbake built, as a squashfs. */
#pragma once

#include <stdint.h>

#include "util/diag.h"

/* The image's root partition (ext4: the one named "root", else the last that is
 * not the ESP) as a squashfs at out: debugfs copies the tree out into scratch (a
 * directory made here and removed after; owners and modes kept when run as
 * root), mksquashfs packs it with every time set to epoch. The ISO's live root
 * and the PXE set's network root are both made this way, so they hold what the
 * installed disk holds. hint ends the messages about an image that is not one
 * of ours. */
int root_squashfs_from_image(const char *image, uint64_t epoch, const char *scratch,
                             const char *hint, const char *out, struct diag *d);
/* The same from the tree the root filesystem was made from (keeping its hard
 * links, which debugfs would copy out once per name). */
int root_squashfs_from_tree(const char *tree, uint64_t epoch, const char *out, struct diag *d);
