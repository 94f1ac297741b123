/* cmd_cache.c: "pocbake cache verify", "du" and "prune": the cache's objects checked against
 * what was made, measured, and removed least recently used first. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "plan/graph.h"
#include "plan/plan.h"
#include "subcmd.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/size.h"
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

/* One object: its key, the bytes it takes on disk, and when a build last used it. */
struct obj {
        char *key;
        uint64_t bytes;
        time_t used;
};

static uint64_t disk_bytes(const char *path)
{
        struct stat st;
        uint64_t n = 0;
        DIR *dir;
        struct dirent *e;

        if (lstat(path, &st) < 0)
                return 0;
        n = (uint64_t)st.st_blocks * 512;
        if (!S_ISDIR(st.st_mode) || !(dir = opendir(path)))
                return n;
        while ((e = readdir(dir))) {
                _cleanup_free_ char *p = NULL;

                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if ((p = path_join(path, e->d_name)))
                        n += disk_bytes(p);
        }
        closedir(dir);
        return n;
}

static int by_use(const void *a, const void *b)
{
        const struct obj *x = a, *y = b;

        return x->used < y->used ? -1 : x->used > y->used ? 1 : strcmp(x->key, y->key);
}

/* Every object with its size and last use (its record's mtime, which each build
 * that uses the object renews), least recently used first. */
static struct obj *objects_by_use(const char *cache, size_t *n, uint64_t *total)
{
        _cleanup_free_ char *objects = path_join(cache, "objects");
        _cleanup_free_ char *manifests = path_join(cache, "manifests");
        char **names = objects ? object_names(objects, n) : NULL;
        struct obj *v = names ? calloc(*n + 1, sizeof(*v)) : NULL;

        *total = 0;
        for (size_t i = 0; v && i < *n; i++) {
                _cleanup_free_ char *dir = path_join(objects, names[i]);
                _cleanup_free_ char *man = path_join(manifests, names[i]);
                struct stat st;

                v[i].key = names[i];
                v[i].bytes = dir ? disk_bytes(dir) : 0;
                v[i].used = man && stat(man, &st) == 0   ? st.st_mtime
                            : dir && stat(dir, &st) == 0 ? st.st_mtime
                                                         : 0;
                *total += v[i].bytes;
        }
        if (!v && names)
                for (size_t i = 0; i < *n; i++)
                        free(names[i]);
        free(names);
        if (v)
                qsort(v, *n, sizeof(*v), by_use);
        return v;
}

static void objs_free(struct obj *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i].key);
        free(v);
}

static const char cache_du_usage[] =
        "usage: pocbake cache du [--cache DIR]\n\n"
        "How much the cache takes: its objects (count, bytes on disk, the oldest and\n"
        "newest use) and the largest of them, then the rest of it (records, digests,\n"
        "scratch). 'pocbake cache prune' makes it smaller.\n";

static const char *cache_arg(const char *verb, int argc, char **argv, const char *usage,
                             char **dflt, int *code)
{
        static const struct option opts[] = {
                {"cache", required_argument, NULL, 'C'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        const char *cache = NULL;
        int c;

        *code = -1;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if (c == 'C') {
                        cache = optarg;
                } else if (c == 'h') {
                        fputs(usage, stdout);
                        *code = EXIT_DONE;
                        return NULL;
                } else {
                        *code = cmd_bad_option(verb, "h", opts, argv);
                        return NULL;
                }
        }
        if (optind != argc) {
                *code = cmd_usage_error(verb, "unexpected argument \"%s\"", argv[optind]);
                return NULL;
        }
        if (!cache && !(cache = *dflt = cache_default()))
                *code = EXIT_FAILED;
        return cache;
}

static void when(time_t t, char *buf, size_t len)
{
        struct tm tm;

        if (!t || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
                snprintf(buf, len, "never");
}

static int cache_du(int argc, char **argv)
{
        _cleanup_free_ char *dflt = NULL;
        int code;
        const char *cache = cache_arg("cache du", argc, argv, cache_du_usage, &dflt, &code);
        struct obj *v;
        size_t n = 0;
        uint64_t total = 0, rest = 0;
        char a[32], b[32], c[32], e[32];
        static const char *const parts[] = {"manifests", "digests", "tmp", "sizes"};

        if (!cache)
                return code;
        if (access(cache, F_OK) < 0) {
                printf("%s: no cache yet\n", cache);
                return EXIT_DONE;
        }
        if (!(v = objects_by_use(cache, &n, &total)))
                return EXIT_FAILED;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
                _cleanup_free_ char *p = path_join(cache, parts[i]);

                rest += p ? disk_bytes(p) : 0;
        }
        when(n ? v[0].used : 0, a, sizeof(a));
        when(n ? v[n - 1].used : 0, b, sizeof(b));
        printf("%s: %zu objects, %s (least recently used %s, most recently %s); records, "
               "digests and scratch %s\n",
               cache, n, human_size(total, c, sizeof(c)), a, b, human_size(rest, e, sizeof(e)));
        /* the largest five */
        for (size_t k = 0; k < 5 && k < n; k++) {
                size_t big = k;

                for (size_t i = k + 1; i < n; i++)
                        if (v[i].bytes > v[big].bytes)
                                big = i;
                if (big != k) {
                        struct obj t = v[k];

                        v[k] = v[big];
                        v[big] = t;
                }
                when(v[k].used, a, sizeof(a));
                printf("  %-12.12s  %10s  used %s\n", v[k].key,
                       human_size(v[k].bytes, b, sizeof(b)), a);
        }
        objs_free(v, n);
        return EXIT_DONE;
}

static const char cache_prune_usage[] =
        "usage: pocbake cache prune [--cache DIR] [--max-size SIZE] [--older-than AGE]\n"
        "                           [--dry-run]\n\n"
        "Remove cache objects, least recently used first: every object no build has used\n"
        "for AGE (a number with d, h or m: 30d, 12h), then more until the cache's objects\n"
        "take at most SIZE (512M, 20G). Each build renews the use of the objects it\n"
        "reads. Never while a build runs with this cache (exit 1, nothing removed). With\n"
        "neither option nothing is removed. --dry-run says what would go.\n"
        "exit codes: 0 done, 1 a build holds the cache, 2 bad usage\n";

static int parse_age(const char *s, time_t *out)
{
        uint64_t v;
        char *end;
        int unit;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || end[0] == 0 || end[1] != 0)
                return -EINVAL;
        unit = end[0] == 'd' ? 86400 : end[0] == 'h' ? 3600 : end[0] == 'm' ? 60 : 0;
        if (!unit || v > 36500ull * 86400 / (uint64_t)unit)
                return -EINVAL;
        *out = (time_t)(v * (uint64_t)unit);
        return 0;
}

static void drop_object(const char *cache, const char *key)
{
        _cleanup_free_ char *dir = NULL, *man = NULL, *digests = path_join(cache, "digests");
        DIR *dd;
        struct dirent *e;

        if (asprintf(&dir, "%s/objects/%s", cache, key) >= 0)
                rm_rf(dir);
        if (asprintf(&man, "%s/manifests/%s", cache, key) >= 0)
                unlink(man);
        if (!digests || !(dd = opendir(digests)))
                return;
        while ((e = readdir(dd))) /* KEY.NAME.sha256 */
                if (!strncmp(e->d_name, key, strlen(key)) && e->d_name[strlen(key)] == '.') {
                        _cleanup_free_ char *p = path_join(digests, e->d_name);

                        if (p)
                                unlink(p);
                }
        closedir(dd);
}

static int cache_prune(int argc, char **argv)
{
        static const struct option opts[] = {
                {"cache", required_argument, NULL, 'C'},
                {"max-size", required_argument, NULL, 'S'},
                {"older-than", required_argument, NULL, 'A'},
                {"dry-run", no_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *dflt = NULL;
        _cleanup_close_ int lock = -1;
        const char *cache = NULL;
        uint64_t max = UINT64_MAX, total = 0, freed = 0;
        time_t age = 0, now = time(NULL);
        bool dry = false, have_max = false;
        size_t n = 0, gone = 0;
        struct obj *v;
        char a[32], b[32];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'C': cache = optarg; break;
                case 'S':
                        if (parse_size(optarg, &max) < 0)
                                return cmd_usage_error("cache prune",
                                                       "--max-size \"%s\": expected a size such "
                                                       "as 512M or 20G",
                                                       optarg);
                        have_max = true;
                        break;
                case 'A':
                        if (parse_age(optarg, &age) < 0)
                                return cmd_usage_error("cache prune",
                                                       "--older-than \"%s\": expected a number "
                                                       "with d, h or m (30d, 12h)",
                                                       optarg);
                        break;
                case 'n': dry = true; break;
                case 'h': fputs(cache_prune_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("cache prune", "h", opts, argv);
                }
        }
        if (optind != argc)
                return cmd_usage_error("cache prune", "unexpected argument \"%s\"", argv[optind]);
        if (!have_max && !age)
                return cmd_usage_error("cache prune",
                                       "expected --max-size SIZE or --older-than AGE");
        if (!cache && !(cache = dflt = cache_default()))
                return EXIT_FAILED;
        if (access(cache, F_OK) < 0) {
                printf("%s: no cache yet\n", cache);
                return EXIT_DONE;
        }
        if (!dry && (r = cache_lock(cache, true, &lock)) < 0) {
                fprintf(stderr,
                        "pocbake cache prune: %s: %s (expected: prune once the build using it "
                        "has finished)\n",
                        cache, r == -EBUSY ? "a build is using it" : strerror(-r));
                return EXIT_FAILED;
        }
        if (!(v = objects_by_use(cache, &n, &total)))
                return EXIT_FAILED;
        for (size_t i = 0; i < n; i++) {
                bool old = age && now - v[i].used > age, big = total - freed > max;

                if (!old && !big)
                        continue;
                when(v[i].used, a, sizeof(a));
                printf("%s %-12.12s  %10s  last used %s\n", dry ? "would remove" : "removed",
                       v[i].key, human_size(v[i].bytes, b, sizeof(b)), a);
                if (!dry)
                        drop_object(cache, v[i].key);
                freed += v[i].bytes;
                gone++;
        }
        printf("%s: %zu of %zu objects %s, %s freed; %s left\n", cache, gone, n,
               dry ? "would go" : "removed", human_size(freed, a, sizeof(a)),
               human_size(total - freed, b, sizeof(b)));
        objs_free(v, n);
        return EXIT_DONE;
}

static const struct subcmd cache_table[] = {
        {"verify", cache_verify, "read every cache object again and compare it with its record"},
        {"du", cache_du, "how much the cache takes, and its largest objects"},
        {"prune", cache_prune, "remove least recently used objects by age or to a size"},
};

int cmd_cache(int argc, char **argv)
{
        return subcmd_run("cache", cache_table, sizeof(cache_table) / sizeof(cache_table[0]), argc,
                          argv);
}

static const char clean_usage[] =
        "usage: pocbake clean [-o DIR] [RECIPE]\n\n"
        "Remove from DIR (default out/) the files pocbake builds wrote there (those of\n"
        "RECIPE only, when given), as DIR/.pocbake-outputs records them. A file changed\n"
        "since a build wrote it is left, and named; other files in DIR are not touched.\n"
        "The cache keeps every object: the next build writes the files again at once.\n";

int cmd_clean(int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *recipe = NULL;
        const char *out = "out";
        struct diag d = {0};
        size_t removed = 0, kept = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'h': fputs(clean_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("clean", "ho:", opts, argv);
                }
        }
        if (argc - optind > 1)
                return cmd_usage_error("clean", "expected at most one RECIPE, got \"%s\" too",
                                       argv[optind + 1]);
        if (optind < argc && !(recipe = realpath(argv[optind], NULL)))
                return cmd_usage_error("clean", "RECIPE \"%s\": %s", argv[optind], strerror(errno));
        if (access(out, F_OK) < 0) {
                printf("%s: nothing there\n", out);
                return EXIT_DONE;
        }
        r = outdir_clean(out, recipe, &removed, &kept, &d);
        if (r >= 0)
                printf("%s: %zu file%s removed, %zu changed since a build wrote %s left\n", out,
                       removed, removed == 1 ? "" : "s", kept, kept == 1 ? "it" : "them");
        return cmd_finish(&d, "pocbake clean: ", r);
}
