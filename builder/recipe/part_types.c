/* part_types.c: the partition type names, shared by the disk table and the checks. */
#include "schema.h"

#include <stddef.h>

#include "util/cleanup.h"

static const struct enum_name names[] = {
        {"esp", PART_ESP},     {"root", PART_ROOT_X86_64}, {"root-x86-64", PART_ROOT_X86_64},
        {"linux", PART_LINUX}, {"lvm", PART_LVM},          {"swap", PART_SWAP},
};

const struct enum_table part_types = {"partition type", names, ARRAY_SIZE(names)};

const char *part_type_name(enum part_type t)
{
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (names[i].value == (int)t)
                        return names[i].name;
        return NULL;
}
