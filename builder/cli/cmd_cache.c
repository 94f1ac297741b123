/* cmd_cache.c: "pocbake cache verify": every object of a cache read again and compared with the
 * record made when it was built. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "plan/graph.h"
#include "subcmd.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/treesum.h"

static const char cache_verify_usage[] =
        "usage: pocbake cache verify [--cache DIR] [--drop]\n\n"
        "Read every object in the cache (default $XDG_CACHE_HOME/pocbake) and compare\n"
        "each file's digest with the record made when the object was built. Prints one\n"
        "line per object that differs or has no record; with --drop removes them, so\n"
        "the next build makes them again. A build checks only sizes, times and inodes\n"
        "of the objects it uses; this reads them all.\n"
        "exit codes: 0 every object as made, 1 some were not, 2 bad usage\n";

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The object names in dir/objects, sorted (NULL-terminated). */
static char **object_names(const char *objects, size_t *n)
{
        _cleanup_closedir_ DIR *d = opendir(objects);
        struct dirent *e;
        char **v = NULL;

        *n = 0;
        if (!d)
                return calloc(1, sizeof(*v));
        while ((e = readdir(d))) {
                char **w;

                if (e->d_name[0] == '.')
                        continue;
                if (!(w = realloc(v, (*n + 2) * sizeof(*v))) || !(w[*n] = strdup(e->d_name))) {
                        free(w ? w : v);
                        return NULL;
                }
                v = w;
                v[++*n] = NULL;
        }
        if (!v)
                return calloc(1, sizeof(*v));
        qsort(v, *n, sizeof(*v), cmp_names);
        return v;
}

static int cache_verify(int argc, char **argv)
{
        static const struct option opts[] = {
                {"cache", required_argument, NULL, 'C'},
                {"drop", no_argument, NULL, 'D'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *dflt = NULL, *objects = NULL, *manifests = NULL;
        const char *cache = NULL;
        size_t n = 0, bad = 0;
        bool drop = false;
        char **names;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'C': cache = optarg; break;
                case 'D': drop = true; break;
                case 'h': fputs(cache_verify_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("cache verify", "h", opts, argv);
                }
        }
        if (optind != argc)
                return cmd_usage_error("cache verify", "unexpected argument \"%s\"", argv[optind]);
        if (!cache && !(cache = dflt = cache_default()))
                return EXIT_FAILED;
        if (access(cache, F_OK) < 0) {
                fprintf(stderr, "pocbake cache: %s: %s\n", cache, strerror(errno));
                return EXIT_USAGE;
        }
        objects = path_join(cache, "objects");
        manifests = path_join(cache, "manifests");
        if (!objects || !manifests || !(names = object_names(objects, &n)))
                return EXIT_FAILED;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *dir = path_join(objects, names[i]);
                _cleanup_free_ char *man = path_join(manifests, names[i]), *why = NULL;
                int r = dir && man ? treesum_check(dir, man, true, &why) : -ENOMEM;

                if (r != 0) {
                        bad++;
                        printf("%s: %s%s\n", names[i],
                               r < 0 ? strerror(-r)
                               : why ? why
                                     : "?",
                               r > 0 ? " differs from what was made" : "");
                        if (drop && dir && man) {
                                rm_rf(dir);
                                unlink(man);
                        }
                }
                free(names[i]);
        }
        free(names);
        printf("%zu objects, %zu as made, %zu not%s\n", n, n - bad, bad,
               bad && drop ? " (dropped)" : "");
        return bad ? EXIT_FAILED : EXIT_DONE;
}

static const struct subcmd cache_table[] = {
        {"verify", cache_verify, "read every cache object again and compare it with its record"},
};

int cmd_cache(int argc, char **argv)
{
        return subcmd_run("cache", cache_table, sizeof(cache_table) / sizeof(cache_table[0]), argc,
                          argv);
}
