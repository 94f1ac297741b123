/* cmd_build.c: the validate, plan and build verbs. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/chain.h"
#include "boot/data.h"
#include "boot/esp.h"
#include "cmd.h"
#include "oci/registry.h"
#include "plan/build.h"
#include "plan/plan.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/parse.h"

struct common {
        const char *recipe;
        const char *profile;
        const char *cache;
        const char *roles[256];
        size_t n_roles;
        const char *allow[64];
        size_t n_allow;
        char *shipped;      /* the shipped recipes: a recipe may always use them */
        const char *prefix; /* "pocbake VERB: " for its messages */
        const char *keys;
        const char *enroll;
        struct appliance *app;
        struct graph g;
        struct diag d;
        char *cache_owned;
        struct boot_config boot;
        char *kernel_owned;
        struct graph_opts go; /* what the graph was planned with */
};

static void common_release(struct common *c)
{
        graph_release(&c->g);
        appliance_free(c->app);
        diag_release(&c->d);
        free(c->cache_owned);
        free(c->kernel_owned);
        free(c->shipped);
}

char *cmd_load_opts(struct load_opts *lo, const char *profile, const char *const *allow,
                    size_t n_allow, const char **names, size_t n_names)
{
        char *shipped = data_path("recipes");

        *lo = (struct load_opts){.profile = profile,
                                 .deliverables = names,
                                 .n_deliverables = plan_output_names(names, n_names),
                                 .allow = allow,
                                 .n_allow = n_allow,
                                 .shipped = shipped};
        return shipped;
}

/* The boot chain: on when signing keys are given. */
static int boot_setup(struct common *c, struct graph_opts *go)
{
        enum esp_enroll e = ESP_ENROLL_FORCE;

        /* without keys the chain goes in unsigned: the disks boot with Secure Boot off */
        c->boot.kernel = c->kernel_owned = chain_newest_kernel(CHAIN_KERNEL_DIR);
        go->boot = &c->boot;
        if (!c->keys)
                return 0;
        if (c->enroll && esp_enroll_parse(c->enroll, &e) < 0)
                return diag_err(&c->d, -EINVAL, "--enroll \"%s\": expected force, manual or off",
                                c->enroll);
        c->boot.keys = c->keys;
        c->boot.enroll = (int)e;
        return 0;
}

/* Load and check the recipe, then plan; prints the messages. Returns an exit code. */
static int common_plan(struct common *c)
{
        const char *names[OUT_DELIVERABLES_MAX];
        struct load_opts lo;
        struct graph_opts go = {.roles = c->roles, .n_roles = c->n_roles, .profile = c->profile};
        int rc;

        c->shipped = cmd_load_opts(&lo, c->profile, c->allow, c->n_allow, names, ARRAY_SIZE(names));
        if ((rc = epoch_from_env(&go.epoch, &c->d)) >= 0 && (rc = boot_setup(c, &go)) >= 0) {
                go.cache = c->cache;
                if (!go.cache && !(go.cache = c->cache_owned = cache_default()))
                        rc = -ENOMEM;
        }
        if (rc >= 0)
                rc = recipe_load(c->recipe, &lo, &c->app, &c->d);
        if (rc >= 0)
                rc = graph_plan(&c->g, c->app, &go, &c->d);
        if (rc < 0) {
                diag_print_unplaced(&c->d, c->prefix);
                return exit_code(rc);
        }
        c->go = go;
        return EXIT_DONE;
}

static const char validate_help[] =
        "usage: pocbake validate [--profile NAME] [--allow-path DIR]... RECIPE\n"
        "\n"
        "Load RECIPE (an appliance or a role file) with everything it includes and check\n"
        "it without writing anything. Each error is printed as file:line:col: message.\n"
        "Every path a recipe names must resolve (symlinks followed) inside RECIPE's\n"
        "directory, the shipped recipes, or a directory given with --allow-path.\n"
        "exit codes: 0 valid, 2 errors in the recipe or bad usage\n";

static const char plan_help[] =
        "usage: pocbake plan [--profile NAME] [--cache DIR] [--role NAME]... [--keys DIR] "
        "[--json]\n"
        "                    [--allow-path DIR]... RECIPE\n"
        "       pocbake plan --matrix [--profile NAME] [--keys DIR] RECIPE\n"
        "\n"
        "Print the artifact graph in build order: each node with its content key, and\n"
        "whether it is cached, will be built, or is not needed.\n"
        "With --matrix, print the jobs a CI system runs to build RECIPE across machines\n"
        "sharing a remote cache, as one JSON object: \"roles\" (a matrix with one job per\n"
        "role: pocbake build --role NAME), \"assemble\" (the job that builds the host and\n"
        "the deliverables from what the role jobs pushed, after them), \"shared\" (nodes\n"
        "more than one role job builds; the first to push wins) and \"gitlab\" (the same\n"
        "roles as a GitLab parallel:matrix). Each job lists the nodes it builds.\n"
        "exit codes: 0 done, 1 failed, 2 bad usage or bad recipe\n";

static const char build_help[] =
        "usage: pocbake build [-o DIR] [-j N] [--role NAME]... [--profile NAME]\n"
        "                     [--cache DIR] [--keys DIR [--enroll MODE]] [--keep-stale]\n"
        "                     [--allow-path DIR]... [--remote-cache oci://HOST[:PORT]/REPO\n"
        "                     [--remote-cache-insecure] [--remote-cache-read-only]]\n"
        "                     [--json] [--quiet] RECIPE\n"
        "\n"
        "Build the artifacts of RECIPE into DIR (default out/). Nodes whose content key\n"
        "is in the cache (default $XDG_CACHE_HOME/pocbake) are reused, not rebuilt. A file\n"
        "of DIR that is still the copy an earlier build made is not written again; files\n"
        "an earlier build made there and this one does not are removed (DIR/.pocbake-outputs\n"
        "records them; with --role, the other roles' files stay).\n"
        "  -o, --output DIR   output directory\n"
        "  -j, --jobs N       parallel workers (default: number of CPUs)\n"
        "  --role NAME        build only this role (repeatable)\n"
        "  --profile NAME     apply the recipes' profiles.NAME sections\n"
        "  --cache DIR        cache directory\n"
        "  --keys DIR         Secure Boot keys (pocbake keys init): every ESP partition gets\n"
        "                     signed systemd-boot, the role's signed UKI and enrollment files\n"
        "  --enroll MODE      systemd-boot secure-boot-enroll: force (default), manual, off\n"
        "  --keep-stale       keep (and name) the files no longer built, instead of removing them\n"
        "  --allow-path DIR   let the recipe's paths lead into DIR too (repeatable); by\n"
        "                     default only RECIPE's directory tree and the shipped recipes\n"
        "  --remote-cache oci://HOST[:PORT]/REPO\n"
        "                     share the cache through an OCI registry: what the cache lacks\n"
        "                     is pulled from it (each file checked), what is built is pushed\n"
        "                     (default: $POCBAKE_REMOTE_CACHE); a registry that fails costs a\n"
        "                     warning, not the build. Credentials: $REGISTRY_AUTH_FILE or\n"
        "                     ~/.docker/config.json; CA certificates: $SSL_CERT_FILE\n"
        "  --remote-cache-insecure\n"
        "                     plain http to the registry (a local one); also\n"
        "                     POCBAKE_REMOTE_CACHE_INSECURE=1\n"
        "  --remote-cache-read-only\n"
        "                     pull from the registry, never push (a job without push\n"
        "                     rights); also POCBAKE_REMOTE_CACHE_READ_ONLY=1\n"
        "  --json             one JSON event per line on stdout\n"
        "  --quiet            no progress lines\n"
        "SOURCE_DATE_EPOCH sets every timestamp (default 315532800, 1980-01-01).\n"
        "exit codes: 0 done, 1 build failed, 2 bad usage or bad recipe\n";

enum {
        OPT_PROFILE = 256,
        OPT_CACHE,
        OPT_ROLE,
        OPT_JSON,
        OPT_QUIET,
        OPT_HELP,
        OPT_KEYS,
        OPT_ENROLL,
        OPT_KEEP_STALE,
        OPT_ALLOW_PATH,
        OPT_REMOTE,
        OPT_REMOTE_INSECURE,
        OPT_REMOTE_READ_ONLY,
        OPT_MATRIX
};

static const struct option long_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"role", required_argument, NULL, OPT_ROLE},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"enroll", required_argument, NULL, OPT_ENROLL},
        {"keep-stale", no_argument, NULL, OPT_KEEP_STALE},
        {"allow-path", required_argument, NULL, OPT_ALLOW_PATH},
        {"remote-cache", required_argument, NULL, OPT_REMOTE},
        {"remote-cache-insecure", no_argument, NULL, OPT_REMOTE_INSECURE},
        {"remote-cache-read-only", no_argument, NULL, OPT_REMOTE_READ_ONLY},
        {"matrix", no_argument, NULL, OPT_MATRIX},
        {NULL, 0, NULL, 0},
};

struct args {
        struct common c;
        const char *out;
        unsigned jobs;
        bool json, quiet, help, keep_stale, matrix;
        const char *remote;
        bool remote_insecure, remote_read_only;
};

/* Which options a verb takes. */
enum {
        A_OUT = 1 << 0,
        A_JOBS = 1 << 1,
        A_PROFILE = 1 << 2,
        A_CACHE = 1 << 3,
        A_ROLE = 1 << 4,
        A_JSON = 1 << 5,
        A_QUIET = 1 << 6,
        A_KEYS = 1 << 7,
        A_KEEP_STALE = 1 << 8,
        A_REMOTE = 1 << 9,
        A_MATRIX = 1 << 10
};

static unsigned opt_bit(int opt)
{
        switch (opt) {
        case 'o': return A_OUT;
        case 'j': return A_JOBS;
        case OPT_PROFILE: return A_PROFILE;
        case OPT_CACHE: return A_CACHE;
        case OPT_ROLE: return A_ROLE;
        case OPT_JSON: return A_JSON;
        case OPT_QUIET: return A_QUIET;
        case OPT_KEYS:
        case OPT_ENROLL: return A_KEYS;
        case OPT_KEEP_STALE: return A_KEEP_STALE;
        case OPT_ALLOW_PATH: return A_PROFILE; /* every verb that loads a recipe */
        case OPT_REMOTE:
        case OPT_REMOTE_INSECURE:
        case OPT_REMOTE_READ_ONLY: return A_REMOTE;
        case OPT_MATRIX: return A_MATRIX;
        case OPT_HELP: return ~0u;
        default: return 0;
        }
}

/* Parse the options the verbs here share; allowed has the bits of this verb's. */
static int parse(int argc, char **argv, struct args *a, unsigned allowed, const char *help)
{
        const char *verb = argv[0], *name;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:j:", long_opts, NULL)) != -1) {
                uint64_t v;

                if (opt == '?')
                        return cmd_bad_option(verb, "o:j:", long_opts, argv);
                name = argv[optind - (optarg && optarg == argv[optind - 1] ? 2 : 1)];
                if (!(opt_bit(opt) & allowed))
                        return cmd_usage_error(verb, "option %.*s does not apply to this verb",
                                               (int)strcspn(name, "="), name);
                switch (opt) {
                case 'o': a->out = optarg; break;
                case 'j':
                        if (parse_uint(optarg, 1, 256, &v) < 0)
                                return cmd_usage_error(
                                        verb, "-j \"%s\": expected a number from 1 to 256", optarg);
                        a->jobs = (unsigned)v;
                        break;
                case OPT_PROFILE: a->c.profile = optarg; break;
                case OPT_CACHE: a->c.cache = optarg; break;
                case OPT_ROLE:
                        if (a->c.n_roles == ARRAY_SIZE(a->c.roles))
                                return cmd_usage_error(verb, "more than %zu --role options",
                                                       ARRAY_SIZE(a->c.roles));
                        a->c.roles[a->c.n_roles++] = optarg;
                        break;
                case OPT_JSON: a->json = true; break;
                case OPT_QUIET: a->quiet = true; break;
                case OPT_KEEP_STALE: a->keep_stale = true; break;
                case OPT_ALLOW_PATH:
                        if (a->c.n_allow == ARRAY_SIZE(a->c.allow))
                                return cmd_usage_error(verb, "more than %zu --allow-path options",
                                                       ARRAY_SIZE(a->c.allow));
                        a->c.allow[a->c.n_allow++] = optarg;
                        break;
                case OPT_HELP: a->help = true; break;
                case OPT_KEYS: a->c.keys = optarg; break;
                case OPT_ENROLL: a->c.enroll = optarg; break;
                case OPT_REMOTE: a->remote = optarg; break;
                case OPT_REMOTE_INSECURE: a->remote_insecure = true; break;
                case OPT_REMOTE_READ_ONLY: a->remote_read_only = true; break;
                case OPT_MATRIX: a->matrix = true; break;
                }
        }
        if (a->help) {
                fputs(help, stdout);
                return EXIT_DONE;
        }
        if (optind == argc)
                return cmd_usage_error(verb, "expected RECIPE, the recipe file");
        if (optind != argc - 1)
                return cmd_usage_error(verb, "expected one RECIPE, got \"%s\" too",
                                       argv[optind + 1]);
        a->c.recipe = argv[optind];
        return -1;
}

/* What validate checked, on one line: the roles, the files it read, the outputs. */
static void validate_summary(const struct appliance *app, const char *recipe,
                             const char *const *names)
{
        size_t sources = 0, overlays = 0, outs = 0;

        for (size_t i = 0; i <= app->n_roles; i++) {
                const struct role *r = i < app->n_roles ? app->roles[i] : app->host;

                for (size_t k = 0; r && k < r->n_files; k++)
                        sources += r->files[k].source != NULL;
                overlays += r ? r->n_overlays : 0;
        }
        printf("%s: valid: appliance %s, %zu role%s%s, %zu recipe file%s, %zu overlay%s, %zu "
               "file source%s; outputs:",
               recipe, app->name, app->n_roles, app->n_roles == 1 ? "" : "s",
               app->host ? " and the host" : "", app->n_files, app->n_files == 1 ? "" : "s",
               overlays, overlays == 1 ? "" : "s", sources, sources == 1 ? "" : "s");
        for (size_t i = 0; i < OUT_DELIVERABLES_MAX; i++)
                if (app->outputs & OUT_DELIVERABLE(i))
                        printf("%s %s", outs++ ? "," : "", names[i]);
        printf("%s (pocbake plan lists the nodes)\n", outs ? "" : " disks only");
}

int cmd_validate(int argc, char **argv)
{
        struct args a = {0};
        int rc = parse(argc, argv, &a, A_PROFILE, validate_help);
        const char *names[OUT_DELIVERABLES_MAX];
        struct load_opts lo;

        if (rc >= 0)
                return rc;
        a.c.shipped =
                cmd_load_opts(&lo, a.c.profile, a.c.allow, a.c.n_allow, names, ARRAY_SIZE(names));
        rc = recipe_load(a.c.recipe, &lo, &a.c.app, &a.c.d);
        if (rc >= 0) {
                struct graph_opts go = {0};

                rc = graph_check(a.c.app, &go, &a.c.d);
        }
        diag_print(&a.c.d, NULL);
        if (rc >= 0)
                validate_summary(a.c.app, a.c.recipe, names);
        common_release(&a.c);
        return exit_code(rc);
}

static void plan_print(const struct graph *g, bool json)
{
        for (size_t i = 0; i < g->n; i++) {
                const struct node *n = g->nodes[i];
                const char *state = n->cached ? "cached" : n->build ? "build" : "not-needed";

                if (json) {
                        printf("{\"node\":\"%s\",\"kind\":\"%s\",\"role\":\"%s\",\"key\":\"%s\","
                               "\"state\":\"%s\",\"inputs\":%zu,\"needs\":[",
                               n->id, n->type->name, n->owner, n->key, state, n->n_inputs);
                        for (size_t k = 0; k < n->n_inputs; k++)
                                printf("%s\"%s\"", k ? "," : "", n->inputs[k]->id);
                        printf("]}\n");
                } else
                        printf("%-10s %-40s %.16s  %s\n", state, n->id, n->key,
                               n->export_name ? n->export_name : "");
        }
}

static json_t *node_ids(const struct graph *g)
{
        json_t *a = json_array();

        for (size_t i = 0; i < g->n; i++)
                json_array_append_new(a, json_string(g->nodes[i]->id));
        return a;
}

/* The CI jobs: one per role (what --role NAME builds), then the one that
 * assembles the rest; nodes are named so that a test can hold them to the plan. */
static int plan_matrix(struct common *c)
{
        json_t *out = json_object(), *roles = json_array(), *names = json_array();
        json_t *needs = json_array(), *rest = json_array(), *shared = json_array();
        size_t *count = calloc(c->g.n ? c->g.n : 1, sizeof(size_t));
        int rc = 0;

        if (!out || !roles || !count)
                rc = -ENOMEM;
        for (size_t r = 0; rc >= 0 && r < c->app->n_roles; r++) {
                const char *name = c->app->roles[r]->name;
                struct graph_opts go = c->go;
                struct graph g = {0};
                _cleanup_free_ char *job = NULL, *args = NULL;

                go.roles = &name;
                go.n_roles = 1;
                if ((rc = graph_plan(&g, c->app, &go, &c->d)) < 0)
                        break;
                for (size_t i = 0; i < g.n; i++)
                        for (size_t k = 0; k < c->g.n; k++)
                                if (!strcmp(g.nodes[i]->id, c->g.nodes[k]->id))
                                        count[k]++;
                if (asprintf(&job, "role-%s", name) < 0 || asprintf(&args, "--role %s", name) < 0) {
                        graph_release(&g);
                        rc = -ENOMEM;
                        break;
                }
                json_array_append_new(roles, json_pack("{s:s, s:s, s:s, s:o}", "job", job, "role",
                                                       name, "args", args, "nodes", node_ids(&g)));
                json_array_append_new(names, json_string(name));
                json_array_append_new(needs, json_string(job));
                graph_release(&g);
        }
        for (size_t k = 0; rc >= 0 && k < c->g.n; k++) {
                if (!count[k])
                        json_array_append_new(rest, json_string(c->g.nodes[k]->id));
                if (count[k] > 1)
                        json_array_append_new(shared, json_string(c->g.nodes[k]->id));
        }
        free(count);
        if (rc >= 0) {
                char *text;

                json_object_set_new(out, "recipe", json_string(c->recipe));
                json_object_set_new(out, "roles", json_pack("{s:o}", "include", roles));
                json_object_set_new(out, "assemble",
                                    json_pack("{s:[{s:s, s:s, s:o, s:o}]}", "include", "job",
                                              "assemble", "args", "", "needs", needs, "nodes",
                                              rest));
                json_object_set_new(out, "shared", shared);
                json_object_set_new(out, "gitlab", json_pack("[{s:o}]", "ROLE", names));
                text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (text)
                        puts(text);
                free(text);
                roles = names = needs = rest = shared = NULL;
        }
        json_decref(out);
        json_decref(roles);
        json_decref(names);
        json_decref(needs);
        json_decref(rest);
        json_decref(shared);
        if (rc < 0) {
                diag_print(&c->d, c->prefix);
                return exit_code(rc);
        }
        return EXIT_DONE;
}

int cmd_plan(int argc, char **argv)
{
        struct args a = {0};
        int rc = parse(argc, argv, &a, A_PROFILE | A_CACHE | A_ROLE | A_JSON | A_KEYS | A_MATRIX,
                       plan_help);

        if (rc >= 0)
                return rc;
        if (a.matrix && (a.c.n_roles || a.json))
                return cmd_usage_error("plan", "--matrix plans every role, as JSON (expected no "
                                               "--role and no --json with it)");
        a.c.prefix = !strcmp(argv[0], "plan") ? "pocbake plan: " : "pocbake build: ";
        rc = common_plan(&a.c);
        if (rc == EXIT_DONE && a.matrix)
                rc = plan_matrix(&a.c);
        else if (rc == EXIT_DONE)
                plan_print(&a.c.g, a.json);
        common_release(&a.c);
        return rc;
}

/* Without keys the disks boot with Secure Boot off: said once, not found out at
 * the firmware. */
static void unsigned_warning(const struct graph *g)
{
        size_t n = 0;

        for (size_t i = 0; i < g->n; i++)
                n += !strcmp(g->nodes[i]->type->name, "uki");
        if (n)
                fprintf(stderr,
                        "pocbake build: warning: no --keys: the boot chain on %zu disk%s is "
                        "unsigned; %s boot%s with Secure Boot off (pocbake boot --firmware ovmf), "
                        "not under ovmf-secboot\n",
                        n, n == 1 ? "" : "s", n == 1 ? "it" : "they", n == 1 ? "s" : "");
}

/* --remote-cache (else $POCBAKE_REMOTE_CACHE) checked before anything is planned;
 * -1 when it is fine or not given. */
static int remote_args(struct args *a, struct remote_cache *rc)
{
        const char *env = getenv("POCBAKE_REMOTE_CACHE");
        const char *ins = getenv("POCBAKE_REMOTE_CACHE_INSECURE");
        const char *ro = getenv("POCBAKE_REMOTE_CACHE_READ_ONLY");
        struct oci_remote r;
        struct diag d = {0};

        rc->url = a->remote ? a->remote : env && *env ? env : NULL;
        rc->insecure = a->remote_insecure || (ins && !strcmp(ins, "1"));
        rc->read_only = a->remote_read_only || (ro && !strcmp(ro, "1"));
        if (!rc->url)
                return a->remote_insecure || a->remote_read_only
                               ? cmd_usage_error("build", "--remote-cache-insecure or -read-only "
                                                          "without --remote-cache (or "
                                                          "$POCBAKE_REMOTE_CACHE)")
                               : -1;
        if (oci_remote_open(&r, rc->url, rc->insecure, &d) < 0) {
                int e = cmd_usage_error("build", "--remote-cache: %s", d.n ? d.msgs[0] : rc->url);

                diag_release(&d);
                return e;
        }
        oci_remote_close(&r);
        return -1;
}

int cmd_build(int argc, char **argv)
{
        struct args a = {0};
        struct build_opts bo = {0};
        struct remote_cache remote = {0};
        _cleanup_free_ char *recipe = NULL;
        int rc = parse(argc, argv, &a, ~0u & ~(unsigned)A_MATRIX, build_help);

        if (rc >= 0)
                return rc;
        if ((rc = remote_args(&a, &remote)) >= 0)
                return rc;
        a.c.prefix = !strcmp(argv[0], "plan") ? "pocbake plan: " : "pocbake build: ";
        rc = common_plan(&a.c);
        if (rc != EXIT_DONE) {
                common_release(&a.c);
                return rc;
        }
        if (!a.c.keys)
                unsigned_warning(&a.c.g);
        bo.jobs = a.jobs ? a.jobs : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
        bo.out = a.out ? a.out : "out";
        bo.json = a.json ? stdout : NULL;
        bo.tty = isatty(STDERR_FILENO);
        bo.quiet = a.quiet;
        bo.keep_stale = a.keep_stale;
        bo.partial = a.c.n_roles > 0;
        bo.remote = remote.url ? &remote : NULL;
        recipe = realpath(a.c.recipe, NULL);
        bo.recipe = recipe ? recipe : a.c.recipe;
        rc = build_run(&a.c.g, &bo, &a.c.d);
        diag_print(&a.c.d, a.c.prefix);
        common_release(&a.c);
        return exit_code(rc);
}

/* "pocbake complete roles|profiles RECIPE": the names shell completion offers
 * (one per line; nothing when the recipe does not load). Not listed in --help. */
int cmd_complete(int argc, char **argv)
{
        const char *names[OUT_DELIVERABLES_MAX];
        _cleanup_free_ char *shipped = NULL;
        struct appliance *app = NULL;
        struct load_opts lo;
        struct diag d = {0};
        bool roles;

        if (argc != 3 || (strcmp(argv[1], "roles") && strcmp(argv[1], "profiles")))
                return cmd_usage_error("complete", "expected roles or profiles, then RECIPE");
        roles = !strcmp(argv[1], "roles");
        shipped = cmd_load_opts(&lo, NULL, NULL, 0, names, ARRAY_SIZE(names));
        if (recipe_load(argv[2], &lo, &app, &d) >= 0) {
                for (size_t i = 0; roles && i < app->n_roles; i++)
                        puts(app->roles[i]->name);
                if (roles && app->host)
                        puts(app->host->name);
                for (size_t i = 0; !roles && i < app->n_profiles; i++)
                        puts(app->profiles[i]);
        }
        appliance_free(app);
        diag_release(&d);
        return EXIT_DONE;
}
