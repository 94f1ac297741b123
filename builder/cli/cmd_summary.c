/* cmd_summary.c: pocbake summary: each role's recipe as the loader resolved it, and a text
 * picture of its disk, before anything is built. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/data.h"
#include "cmd.h"
#include "disk/disk.h"
#include "disk/gpt.h"
#include "disk/lvm.h"
#include "plan/plan.h"
#include "sign/ossl.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/size.h"

#define BAR 64 /* characters: a disk's width in its picture */

static const char summary_usage[] =
        "usage: pocbake summary [--profile NAME] [--keys DIR] [--allow-path DIR]... RECIPE\n\n"
        "What RECIPE would build, before anything is: each role (and the host) with its\n"
        "recipe as the loader resolved it (extends, includes and the profile merged), and\n"
        "a picture of its disk to scale: partitions, filesystems, mountpoints, the LVM\n"
        "volumes of a storage pool, and, with --keys, what is signed with which key\n"
        "(SHA-256 fingerprint of the certificate). Writes nothing.\n";

static bool plain(const char *s)
{
        if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ", *s) || s[strlen(s) - 1] == ' ')
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || (*p == ':' && p[1] == ' ') ||
                    (*p == ' ' && p[1] == '#'))
                        return false;
        return true;
}

static void scalar(const struct ynode *n)
{
        if (plain(n->value) && !n->quoted) {
                fputs(n->value, stdout);
                return;
        }
        putchar('"');
        for (const char *p = n->value; *p; p++)
                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", stdout);
                else if ((unsigned char)*p < 0x20)
                        printf("\\x%02x", (unsigned char)*p);
                else
                        putchar(*p);
        putchar('"');
}

/* A resolved tree as YAML in flow style below the first two levels. */
static void flow(const struct ynode *n)
{
        if (n->kind == YNODE_SCALAR) {
                scalar(n);
                return;
        }
        putchar(n->kind == YNODE_MAP ? '{' : '[');
        for (size_t i = 0; i < n->n; i++) {
                fputs(i ? ", " : "", stdout);
                if (n->kind == YNODE_MAP) {
                        scalar(n->keys[i]);
                        fputs(": ", stdout);
                }
                flow(n->items[i]);
        }
        putchar(n->kind == YNODE_MAP ? '}' : ']');
}

static void block(const struct ynode *n, int indent)
{
        for (size_t i = 0; n->kind == YNODE_MAP && i < n->n; i++) {
                const struct ynode *v = n->items[i];

                printf("%*s", indent, "");
                scalar(n->keys[i]);
                if (v->kind == YNODE_SEQ && v->n) {
                        fputs(":\n", stdout);
                        for (size_t k = 0; k < v->n; k++) {
                                printf("%*s- ", indent + 2, "");
                                flow(v->items[k]);
                                putchar('\n');
                        }
                } else if (v->kind == YNODE_MAP && v->n && indent == 0) {
                        fputs(":\n", stdout);
                        block(v, indent + 2);
                } else {
                        fputs(": ", stdout);
                        flow(v);
                        putchar('\n');
                }
        }
}

/* The SHA-256 fingerprint of a certificate of the key set, or NULL. */
static char *fingerprint(const char *keys, const char *name)
{
        _cleanup_free_ char *p = keys ? path_join(keys, name) : NULL;
        _cleanup_x509_ X509 *x = NULL;
        struct diag q = {0};
        char *hex = malloc(SHA256_HEX);

        if (hex && !(p && x509_load(p, &x, &q) >= 0 && x509_fingerprint(x, hex, &q) >= 0)) {
                free(hex);
                hex = NULL;
        }
        diag_release(&q);
        return hex;
}

/* "|esp|root······|" to scale, each at least its first letter wide. */
static void bar(const struct gpt *g, const struct role *r)
{
        char line[BAR + 1];

        memset(line, '.', BAR);
        line[BAR] = 0;
        for (size_t i = 0; i < g->n && i < r->disk.n_partitions; i++) {
                size_t a = (size_t)((double)(g->parts[i].first_lba * GPT_SECTOR) / (double)g->size *
                                    BAR);
                size_t b = (size_t)((double)((g->parts[i].last_lba + 1) * GPT_SECTOR) /
                                    (double)g->size * BAR);
                const char *name = r->disk.partitions[i].name;

                if (b <= a)
                        b = a + 1;
                if (b > BAR)
                        b = BAR;
                line[a] = '|';
                for (size_t k = a + 1, j = 0; k < b && name[j]; k++, j++)
                        line[k] = name[j];
        }
        printf("  [%s]\n", line);
}

static int disk_summary(const struct role *r, const char *keys, struct diag *d)
{
        static const char *const types[] = {"linux", "esp", "root", "lvm", "swap"};
        _cleanup_free_ char *db = fingerprint(keys, "db.crt");
        struct lvm_pool pool = {0};
        struct gpt g;
        ssize_t lvm = -1;
        char a[32], b[32];
        int rc = disk_layout(r, &g, d);

        if (rc < 0)
                return rc;
        if ((rc = disk_pool_layout(r, &g, &pool, &lvm, d)) < 0) {
                gpt_release(&g);
                return rc;
        }
        printf("-- its disk: %s, GPT, %zu partitions\n", human_size(g.size, a, sizeof(a)), g.n);
        bar(&g, r);
        for (size_t i = 0; i < g.n && i < r->disk.n_partitions; i++) {
                const struct partition_spec *p = &r->disk.partitions[i];
                uint64_t len = (g.parts[i].last_lba - g.parts[i].first_lba + 1) * GPT_SECTOR;

                printf("  %-10s %-6s %-9s %-12s at %9s  %9s", p->name,
                       (size_t)p->type < 5 ? types[p->type] : "?",
                       p->fs                                      ? p->fs
                       : p->type == PART_LVM && (ssize_t)i == lvm ? "lvm"
                                                                  : "-",
                       p->mountpoint ? p->mountpoint : "",
                       human_size(g.parts[i].first_lba * 512, a, sizeof(a)),
                       human_size(len, b, sizeof(b)));
                if (p->type == PART_ESP)
                        printf("  systemd-boot and UKI %s%.16s%s",
                               db ? "signed with db " : "unsigned (no --keys)", db ? db : "",
                               db ? "…" : "");
                putchar('\n');
                for (size_t k = 0; (ssize_t)i == lvm && k < pool.n_lv; k++) {
                        const struct volume_spec *v = &r->storage.volumes[k];

                        printf("    %s/%-14s %-6s %-12s at %9s  %9s  %s\n", pool.vg, v->name, v->fs,
                               v->mountpoint, human_size(lvm_volume_offset(&pool, k), a, sizeof(a)),
                               human_size(pool.lv[k].extents * LVM_EXTENT, b, sizeof(b)),
                               v->purpose ? v->purpose : "");
                }
        }
        free(pool.lv);
        gpt_release(&g);
        return 0;
}

int cmd_summary(int argc, char **argv)
{
        static const struct option opts[] = {
                {"profile", required_argument, NULL, 'p'},
                {"keys", required_argument, NULL, 'k'},
                {"allow-path", required_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        const char *names[OUT_DELIVERABLES_MAX], *allow[64], *profile = NULL, *keys = NULL;
        _cleanup_free_ char *shipped = NULL, *codesign = NULL;
        struct appliance *app = NULL;
        struct load_opts lo;
        struct diag d = {0};
        size_t n_allow = 0;
        int c, rc;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'p': profile = optarg; break;
                case 'k': keys = optarg; break;
                case 'a':
                        if (n_allow == ARRAY_SIZE(allow))
                                return cmd_usage_error("summary",
                                                       "more than %zu --allow-path options",
                                                       ARRAY_SIZE(allow));
                        allow[n_allow++] = optarg;
                        break;
                case 'h': fputs(summary_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("summary", "h", opts, argv);
                }
        }
        if (optind == argc)
                return cmd_usage_error("summary", "expected RECIPE, the recipe file");
        if (optind != argc - 1)
                return cmd_usage_error("summary", "expected one RECIPE, got \"%s\" too",
                                       argv[optind + 1]);
        shipped = cmd_load_opts(&lo, profile, allow, n_allow, names, ARRAY_SIZE(names));
        rc = recipe_load(argv[optind], &lo, &app, &d);
        if (rc >= 0) {
                struct graph_opts go = {0};

                rc = graph_check(app, &go, &d);
        }
        if (rc < 0) {
                diag_print(&d, NULL);
                diag_release(&d);
                appliance_free(app);
                return exit_code(rc);
        }
        printf("appliance %s%s%s: %zu roles%s\n", app->name, profile ? ", profile " : "",
               profile ? profile : "", app->n_roles, app->host ? " and the host" : "");
        codesign = fingerprint(keys, "codesign.crt");
        if (codesign)
                printf("deliverables signed with codesign %.16s…\n", codesign);
        for (size_t i = 0; rc >= 0 && i <= app->n_roles; i++) {
                const struct role *r = i < app->n_roles ? app->roles[i] : app->host;

                if (!r)
                        continue;
                printf("\n== %s (%s)\n", r->name, r->file);
                block(r->tree, 0);
                if (r->disk.n_partitions)
                        rc = disk_summary(r, keys, &d);
        }
        diag_print(&d, "pocbake summary: ");
        diag_release(&d);
        appliance_free(app);
        return exit_code(rc);
}
