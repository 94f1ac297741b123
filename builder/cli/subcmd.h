/* subcmd.h: second-level command tables ("pocbake verify efi", "pocbake keys init"). */
#pragma once

#include <stddef.h>

struct subcmd {
        const char *name;
        int (*fn)(int argc, char **argv); /* argv[0] is the sub-command's name */
        const char *summary;
};

/* Run the row named by argv[1]; --help or no sub-command lists the rows.
 * Returns the exit code. */
int subcmd_run(const char *verb, const struct subcmd *t, size_t n, int argc, char **argv);
