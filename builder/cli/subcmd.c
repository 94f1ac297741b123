/* subcmd.c: dispatch of second-level command tables. */
#include "subcmd.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

static void list(FILE *f, const char *verb, const struct subcmd *t, size_t n)
{
        fprintf(f, "usage: pocbake %s <what> [<args>]\n\n", verb);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "  %-8s %s\n", t[i].name, t[i].summary);
        fprintf(f, "\n'pocbake %s <what> --help' describes one.\n", verb);
}

int subcmd_run(const char *verb, const struct subcmd *t, size_t n, int argc, char **argv)
{
        if (argc < 2) {
                list(stderr, verb, t, n);
                return EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                list(stdout, verb, t, n);
                return EXIT_DONE;
        }
        for (size_t i = 0; i < n; i++)
                if (!strcmp(argv[1], t[i].name))
                        return t[i].fn(argc - 1, argv + 1);
        fprintf(stderr, "pocbake %s: unknown kind \"%s\"\n", verb, argv[1]);
        list(stderr, verb, t, n);
        return EXIT_USAGE;
}
