/* fs.c: the table of filesystem handlers. */
#include "fsint.h"

#include <string.h>

#include "util/cleanup.h"

static const struct fs_type *const types[] = {&fs_ext4, &fs_vfat, &fs_squashfs, &fs_erofs, &fs_xfs};

const struct fs_type *fs_type_find(const char *name)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(types); i++)
                if (strcmp(types[i]->name, name) == 0)
                        return types[i];
        return NULL;
}

const char *fs_type_names(void)
{
        return "ext4, vfat, squashfs, erofs, xfs";
}
