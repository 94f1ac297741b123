/* exit.c: the one mapping from errno-style results to pocbake's exit codes, and the one
 * voice of usage errors. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/suggest.h"

int exit_code(int rc)
{
        if (rc >= 0)
                return EXIT_DONE;
        switch (-rc) {
        case EINVAL:
        case ENOENT:
        case ENOTDIR:
        case EISDIR:
        case ELOOP:
        case ENAMETOOLONG:
        case E2BIG:
        case EFBIG:
        case EEXIST:
        case EPERM: return EXIT_USAGE;
        default: return EXIT_FAILED;
        }
}

int cmd_finish(struct diag *d, const char *prefix, int rc)
{
        diag_print(d, prefix);
        diag_release(d);
        return exit_code(rc);
}

int cmd_usage_error(const char *verb, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "pocbake %s: ", verb);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, " (see pocbake %s --help)\n", verb);
        return EXIT_USAGE;
}

int cmd_bad_value(const char *verb, const struct value_hint *hints, size_t n, int opt,
                  const char *value)
{
        for (size_t i = 0; i < n; i++)
                if (hints[i].opt == opt)
                        return cmd_usage_error(verb, "%s \"%s\": expected %s", hints[i].name, value,
                                               hints[i].want);
        return cmd_usage_error(verb, "bad value \"%s\"", value);
}

int cmd_bad_option(const char *verb, const char *shortopts, const struct option *opts, char **argv)
{
        const char *arg = optind > 0 ? argv[optind - 1] : "";
        const char *names[128];
        size_t n = 0, len;
        char word[64];
        const char *near;

        for (const struct option *o = opts; !strncmp(arg, "--", 2) && o && o->name; o++)
                if (optopt && o->val == optopt && o->has_arg == required_argument)
                        return cmd_usage_error(verb, "option --%s needs a value", o->name);
        if (optopt && optopt < 256 && shortopts && strchr(shortopts, optopt))
                return cmd_usage_error(verb, "option -%c needs a value", optopt);
        if (optopt && optopt < 256)
                return cmd_usage_error(verb, "unknown option -%c", optopt);
        if (strncmp(arg, "--", 2))
                return cmd_usage_error(verb, "unknown option \"%s\"", arg);
        len = strcspn(arg + 2, "=");
        snprintf(word, sizeof(word), "%.*s", (int)len, arg + 2);
        for (const struct option *o = opts; o && o->name && n < ARRAY_SIZE(names); o++)
                names[n++] = o->name;
        near = suggest(word, names, n);
        if (near)
                return cmd_usage_error(verb, "unknown option \"--%s\"; did you mean \"--%s\"?",
                                       word, near);
        return cmd_usage_error(verb, "unknown option \"--%s\"", word);
}
