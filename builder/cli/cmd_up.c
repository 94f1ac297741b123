/* cmd_up.c: the up, down and status verbs: a built appliance running on this machine. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan/plan.h"
#include "up/up.h"
#include "util/cleanup.h"
#include "util/parse.h"

#define MAX_ROLES 256

static const char up_help[] =
        "usage: pocbake up [-o DIR] [--profile NAME] [--role NAME]... [--timeout S] [--json]\n"
        "                  [--detach] [--accel auto|kvm|tcg] [-j N] [--keys DIR [--cache DIR]]\n"
        "                  [--allow-path DIR]... RECIPE\n"
        "       pocbake down [-o DIR]\n"
        "       pocbake status [-o DIR] [--json]\n"
        "\n"
        "Bring the appliance built into DIR (default out/) up on this machine: the host and\n"
        "every role that is not disabled as sibling QEMU VMs, each on a snapshot of its\n"
        "disk (the built images are never written), wired to the appliance's networks:\n"
        "one bridge per network inside a network namespace of its own (no route leaves\n"
        "it; needs root). Each VM's console goes to DIR/up/NAME.log. Once a VM's own\n"
        "check passed it runs the recipe's appliance checks that name it in from:,\n"
        "retrying each until its timeout. One line per VM and per check as they finish,\n"
        "then a table (--json: one JSON event per line).\n"
        "  -j N           at most N VMs booting at once (a VM boots until its own check\n"
        "                 reported; default: one per CPU under TCG, all with KVM); VMs\n"
        "                 that run appliance checks start last. Also the build's jobs\n"
        "  --keys DIR     build RECIPE first (pocbake build --keys DIR; cached nodes are\n"
        "                 reused); without it DIR must hold the built appliance\n"
        "  --role NAME    start only these VMs (repeatable; \"host\" for the host); the\n"
        "                 checks run from them\n"
        "  --allow-path DIR  let the recipe's paths lead into DIR too (as pocbake build)\n"
        "  --timeout S    give up when not every check reported in S seconds (default 900)\n"
        "  --detach       leave the appliance running at the end; pocbake status and\n"
        "                 pocbake down -o DIR work from another shell\n"
        "  --accel MODE   auto (default: KVM when /dev/kvm opens, else TCG), kvm or tcg;\n"
        "                 default $POCBAKE_ACCEL\n"
        "Without --detach everything stops at the end, on Ctrl-C and on SIGTERM.\n"
        "exit codes: 0 every check passed, 1 one failed or timed out, 2 bad usage or recipe\n";

enum {
        O_PROFILE = 256,
        O_ROLE,
        O_TIMEOUT,
        O_JSON,
        O_DETACH,
        O_ACCEL,
        O_KEYS,
        O_CACHE,
        O_HELP,
        O_ALLOW
};

static const struct option up_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"profile", required_argument, NULL, O_PROFILE},
        {"role", required_argument, NULL, O_ROLE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, O_JSON},
        {"detach", no_argument, NULL, O_DETACH},
        {"accel", required_argument, NULL, O_ACCEL},
        {"keys", required_argument, NULL, O_KEYS},
        {"cache", required_argument, NULL, O_CACHE},
        {"help", no_argument, NULL, O_HELP},
        {"allow-path", required_argument, NULL, O_ALLOW},
        {NULL, 0, NULL, 0},
};

struct up_args {
        struct up_opts o;
        const char *roles[MAX_ROLES];
        const char *allow[64];
        size_t n_allow;
        const char *profile, *keys, *cache, *jobs, *recipe;
};

static int __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fprintf(stderr, "pocbake up: ");
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (see pocbake up --help)\n", stderr);
        return EXIT_USAGE;
}

/* -1 to go on, else an exit code. */
static int up_parse(int argc, char **argv, struct up_args *a)
{
        uint64_t v;
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:j:", up_opts, NULL)) != -1) {
                switch (opt) {
                case 'o': a->o.out = optarg; break;
                case 'j':
                        if (parse_uint(optarg, 1, 256, &v) < 0)
                                return bad("-j \"%s\": expected a number from 1 to 256", optarg);
                        a->jobs = optarg;
                        a->o.jobs = (unsigned)v;
                        break;
                case O_PROFILE: a->profile = optarg; break;
                case O_ROLE:
                        if (a->o.n_roles == MAX_ROLES)
                                return bad("more than %d --role options", MAX_ROLES);
                        a->roles[a->o.n_roles++] = optarg;
                        break;
                case O_TIMEOUT:
                        if (parse_uint(optarg, 1, 86400, &v) < 0)
                                return bad("--timeout \"%s\": expected seconds from 1 to 86400",
                                           optarg);
                        a->o.timeout = (unsigned)v;
                        break;
                case O_JSON: a->o.json = true; break;
                case O_DETACH: a->o.detach = true; break;
                case O_ACCEL:
                        if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") &&
                            strcmp(optarg, "tcg"))
                                return bad("--accel \"%s\": expected auto, kvm or tcg", optarg);
                        a->o.accel = optarg;
                        break;
                case O_KEYS: a->keys = optarg; break;
                case O_CACHE: a->cache = optarg; break;
                case O_ALLOW:
                        if (a->n_allow == ARRAY_SIZE(a->allow))
                                return bad("more than %zu --allow-path options",
                                           ARRAY_SIZE(a->allow));
                        a->allow[a->n_allow++] = optarg;
                        break;
                case O_HELP: fputs(up_help, stdout); return EXIT_DONE;
                default: return cmd_bad_option("up", "o:j:", up_opts, argv);
                }
        }
        if (optind == argc)
                return bad("expected RECIPE, the recipe file");
        if (optind != argc - 1)
                return bad("expected one RECIPE, got \"%s\" too", argv[optind + 1]);
        a->recipe = argv[optind];
        return -1;
}

/* pocbake build, as the user would run it, into the same directory. */
static int build_first(const struct up_args *a)
{
        const char *argv[16 + 2 * MAX_ROLES + 2 * ARRAY_SIZE(a->allow)];
        int n = 0;

        argv[n++] = "build";
        argv[n++] = "--quiet";
        argv[n++] = "-o";
        argv[n++] = a->o.out;
        argv[n++] = "--keys";
        argv[n++] = a->keys;
        if (a->profile) {
                argv[n++] = "--profile";
                argv[n++] = a->profile;
        }
        if (a->cache) {
                argv[n++] = "--cache";
                argv[n++] = a->cache;
        }
        for (size_t i = 0; i < a->n_allow; i++) {
                argv[n++] = "--allow-path";
                argv[n++] = a->allow[i];
        }
        if (a->jobs) {
                argv[n++] = "-j";
                argv[n++] = a->jobs;
        }
        argv[n++] = a->recipe;
        argv[n] = NULL;
        return cmd_build(n, (char **)argv);
}

int cmd_up(int argc, char **argv)
{
        const char *names[OUT_DELIVERABLES_MAX];
        struct up_args a = {.o = {.out = "out", .timeout = 900, .accel = getenv("POCBAKE_ACCEL")}};
        struct load_opts lo;
        struct appliance *app = NULL;
        struct diag d = {0};
        _cleanup_free_ char *shipped = NULL;
        int rc = up_parse(argc, argv, &a);

        if (rc >= 0)
                return rc;
        a.o.roles = a.roles;
        if (a.keys && (rc = build_first(&a)) != EXIT_DONE)
                return rc;
        shipped = cmd_load_opts(&lo, a.profile, a.allow, a.n_allow, names, ARRAY_SIZE(names));
        rc = recipe_load(a.recipe, &lo, &app, &d);
        if (rc < 0) {
                diag_print(&d, NULL); /* file:line:col: ... */
                diag_release(&d);
                return exit_code(rc);
        }
        rc = up_run(app, &a.o, &d);
        appliance_free(app);
        return cmd_finish(&d, "pocbake up: ", rc);
}

static const char down_help[] = "usage: pocbake down [-o DIR]\n"
                                "\n"
                                "Stop the appliance that pocbake up --detach left running from "
                                "DIR (default out/):\n"
                                "its VMs, then its network namespace.\n"
                                "exit codes: 0 done, 1 failed, 2 bad usage or nothing up\n";

static const char status_help[] =
        "usage: pocbake status [-o DIR] [--json]\n"
        "\n"
        "Show the VMs that pocbake up started from DIR (default out/), whether each still\n"
        "runs, and each VM's and appliance check's result from the consoles so far.\n"
        "exit codes: 0 the appliance is up, 1 failed, 2 bad usage or nothing up\n";

static int out_only(int argc, char **argv, const char *help, bool json_ok, const char **out,
                    bool *json)
{
        const char *verb = argv[0];
        static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"help", no_argument, NULL, O_HELP},
                                             {NULL, 0, NULL, 0}};
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                if (opt == 'o')
                        *out = optarg;
                else if (opt == O_JSON && json_ok)
                        *json = true;
                else if (opt == O_HELP) {
                        fputs(help, stdout);
                        return EXIT_DONE;
                } else if (opt == O_JSON) {
                        return cmd_usage_error(verb, "option --json does not apply to this verb");
                } else {
                        return cmd_bad_option(verb, "o:", opts, argv);
                }
        }
        if (optind != argc)
                return cmd_usage_error(verb, "unexpected argument \"%s\"", argv[optind]);
        return -1;
}

int cmd_down(int argc, char **argv)
{
        const char *out = "out";
        bool json = false;
        struct diag d = {0};
        int rc = out_only(argc, argv, down_help, false, &out, &json);

        if (rc >= 0)
                return rc;
        return cmd_finish(&d, "pocbake down: ", up_down(out, &d));
}

int cmd_status(int argc, char **argv)
{
        const char *out = "out";
        bool json = false;
        struct diag d = {0};
        int rc = out_only(argc, argv, status_help, true, &out, &json);

        if (rc >= 0)
                return rc;
        return cmd_finish(&d, "pocbake status: ", up_status(out, json, &d));
}
