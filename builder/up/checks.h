/* checks.h: the script of appliance checks handed to a VM on a small disk (private to up/). */
#pragma once

#include <stddef.h>

#include "recipe/recipe.h"

/* How many of the appliance's checks run from the VM named from. */
size_t checks_count(const struct appliance *a, const char *from);
/* Write the raw disk at path: "# pocbake-checks LENGTH", then the script running
 * every check from that VM at once, zero-padded to whole sectors. The VM's own
 * check script (stage/selfcheck.c) reads and runs it once the VM's check passed. */
int checks_disk(const struct appliance *a, const char *from, const char *path);
