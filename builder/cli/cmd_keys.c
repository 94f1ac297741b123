/* cmd_keys.c: "pocbake keys init|enroll": a Secure Boot key set and its enrollment files. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/parse.h"
#include "sign/keygen.h"
#include "subcmd.h"

static const char init_usage[] =
        "usage: pocbake keys init DIR [--cn-prefix NAME] [--days N] [--rsa-bits N] [--force]\n\n"
        "Create DIR/{PK,KEK,db,codesign}.{key,crt}: RSA keys (PEM, mode 0600) and\n"
        "self-signed certificates with subject CN \"NAME PK\", \"NAME KEK\", \"NAME db\";\n"
        "codesign.crt is issued by db for code signing (PXE files). Existing keys are\n"
        "kept unless --force. Defaults: --cn-prefix pocbake --days 3650 --rsa-bits 2048.\n";

static const char enroll_usage[] =
        "usage: pocbake keys enroll DIR [--db-extra CERT]... [-o OUTDIR] [--timestamp EPOCH]\n"
        "                          [--owner GUID]\n\n"
        "Write {PK,KEK,db}.esl (EFI signature lists of X.509 certificates) and\n"
        "{PK,KEK,db}.auth (time-based authenticated updates: PK and KEK signed by PK,\n"
        "db by KEK) into OUTDIR (default DIR). --db-extra adds certificates to db.\n"
        "The timestamp is --timestamp, else SOURCE_DATE_EPOCH, else 1980-01-01 (the same\n"
        "files every time; an update that must be newer than what is enrolled wants\n"
        "--timestamp $(date +%s)). The SignatureOwner GUID is --owner, else derived\n"
        "from PK.crt.\n";

static int bad_number(const char *verb, const char *opt, const char *v, const char *range)
{
        return cmd_usage_error(verb, "%s \"%s\": expected a whole number %s", opt, v, range);
}

static int keys_init(int argc, char **argv)
{
        static const struct option opts[] = {
                {"cn-prefix", required_argument, NULL, 'p'},
                {"days", required_argument, NULL, 'd'},
                {"rsa-bits", required_argument, NULL, 'b'},
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct keygen_opts o = {.cn_prefix = "pocbake", .days = 3650, .rsa_bits = 2048};
        struct diag d = {0};
        uint64_t v;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'p': o.cn_prefix = optarg; break;
                case 'd':
                        if (parse_uint(optarg, 1, 36500, &v) < 0)
                                return bad_number("keys init", "--days", optarg, "from 1 to 36500");
                        o.days = (int)v;
                        break;
                case 'b':
                        if (parse_uint(optarg, 2048, 16384, &v) < 0)
                                return bad_number("keys init", "--rsa-bits", optarg,
                                                  "from 2048 to 16384");
                        o.rsa_bits = (int)v;
                        break;
                case 'f': o.force = true; break;
                case 'h': fputs(init_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("keys init", "h", opts, argv);
                }
        }
        if (optind == argc)
                return cmd_usage_error("keys init", "expected DIR, where the keys go");
        if (optind != argc - 1)
                return cmd_usage_error("keys init", "expected one DIR, got \"%s\" too",
                                       argv[optind + 1]);
        r = keygen_init(argv[optind], &o, &d);
        if (r >= 0)
                printf("%s: PK, KEK, db and codesign keys with their certificates (RSA %d, %d "
                       "days); 'pocbake keys enroll %s' writes the enrollment files\n",
                       argv[optind], o.rsa_bits, o.days, argv[optind]);
        return cmd_finish(&d, "pocbake keys init: ", r);
}

static int keys_enroll_cmd(int argc, char **argv)
{
        static const struct option opts[] = {
                {"db-extra", required_argument, NULL, 'x'},
                {"output", required_argument, NULL, 'o'},
                {"timestamp", required_argument, NULL, 't'},
                {"owner", required_argument, NULL, 'g'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ const char **extra = NULL;
        struct enroll_opts o = {0};
        struct diag d = {0};
        bool have_time = false;
        uint64_t v;
        int c, r;

        extra = calloc((size_t)argc + 1, sizeof(*extra));
        if (!extra)
                return EXIT_FAILED;
        optind = 0;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'x': extra[o.n_db_extra++] = optarg; break;
                case 'o': o.out_dir = optarg; break;
                case 't':
                        if (parse_uint(optarg, 0, EPOCH_MAX, &v) < 0)
                                return bad_number("keys enroll", "--timestamp", optarg,
                                                  "of seconds since 1970");
                        o.timestamp = (time_t)v;
                        have_time = true;
                        break;
                case 'g': o.owner = optarg; break;
                case 'h': fputs(enroll_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("keys enroll", "o:h", opts, argv);
                }
        }
        if (optind == argc)
                return cmd_usage_error("keys enroll", "expected DIR, the key set");
        if (optind != argc - 1)
                return cmd_usage_error("keys enroll", "expected one DIR, got \"%s\" too",
                                       argv[optind + 1]);
        if (!have_time) {
                uint64_t e;

                if ((r = epoch_from_env(&e, &d)) < 0)
                        return cmd_finish(&d, "pocbake keys enroll: ", r);
                o.timestamp = (time_t)e;
        }
        o.db_extra = extra;
        r = keys_enroll(argv[optind], &o, &d);
        return cmd_finish(&d, "pocbake keys enroll: ", r);
}

static const struct subcmd keys_table[] = {
        {"init", keys_init, "create PK, KEK, db and code-signing keys and certificates"},
        {"enroll", keys_enroll_cmd, "write EFI signature lists and signed .auth files"},
};

int cmd_keys(int argc, char **argv)
{
        return subcmd_run("keys", keys_table, sizeof(keys_table) / sizeof(keys_table[0]), argc,
                          argv);
}
