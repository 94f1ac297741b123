/* subcmd.c: dispatch of second-level command tables. */
#include "subcmd.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/suggest.h"

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
                fprintf(stderr, "pocbake %s: expected one of:", verb);
                for (size_t i = 0; i < n; i++)
                        fprintf(stderr, "%s %s", i ? "," : "", t[i].name);
                fprintf(stderr, " (see pocbake %s --help)\n", verb);
                return EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                list(stdout, verb, t, n);
                return EXIT_DONE;
        }
        for (size_t i = 0; i < n; i++)
                if (!strcmp(argv[1], t[i].name))
                        return t[i].fn(argc - 1, argv + 1);
        {
                const char *names[32], *near;
                size_t k = 0;

                for (; k < n && k < 32; k++)
                        names[k] = t[k].name;
                near = suggest(argv[1], names, k);
                if (near)
                        return cmd_usage_error(verb, "unknown kind \"%s\"; did you mean \"%s\"?",
                                               argv[1], near);
                return cmd_usage_error(verb, "unknown kind \"%s\"", argv[1]);
        }
}
