/* cmd_inspect.c: "pocbake inspect IMAGE" and "pocbake verify image IMAGE": read a disk image back
 * through libguestfs. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/json.h"
#include "guest/guest.h"

static const char inspect_usage[] =
        "usage: pocbake inspect [--json] IMAGE\n\n"
        "Read IMAGE (raw, qcow2 or vhdx) read-only and print its partition table,\n"
        "filesystems, LVM volume groups and volumes, the OS identity of its root and,\n"
        "for a host image, each payload with whether its sha256 matches the manifest.\n";

static bool payload_ok(const struct guest_payload *p)
{
        return p->got_sha256 && !strcmp(p->got_sha256, p->want_sha256) &&
               p->got_size == p->want_size;
}

/* "PRETTY_NAME" (or NAME) of an os-release text, unquoted, into buf. */
static const char *os_name(const char *osr, char *buf, size_t len)
{
        static const char *const keys[] = {"PRETTY_NAME=", "NAME="};

        for (size_t k = 0; osr && k < 2; k++) {
                for (const char *l = osr; l && *l;
                     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                        size_t n;

                        if (strncmp(l, keys[k], strlen(keys[k])))
                                continue;
                        l += strlen(keys[k]);
                        if (*l == '"' || *l == '\'')
                                l++;
                        n = strcspn(l, "\"'\n");
                        snprintf(buf, len, "%.*s", (int)n, l);
                        return buf;
                }
        }
        return NULL;
}

static void print_human(const struct guest_report *r)
{
        char name[256];

        printf("image: %s (%s)\npartition table: %s\n", r->image, r->format,
               r->parttype ? r->parttype : "none");
        for (size_t i = 0; i < r->n_parts; i++)
                printf("  partition %d %-12s start %" PRId64 " size %" PRId64 " type %s\n",
                       r->parts[i].num, r->parts[i].name ? r->parts[i].name : "", r->parts[i].start,
                       r->parts[i].size, r->parts[i].type_guid ? r->parts[i].type_guid : "-");
        printf("filesystems:\n");
        for (size_t i = 0; i < r->n_fss; i++)
                printf("  %-20s %-8s size %" PRId64 " label %s uuid %s\n", r->fss[i].device,
                       r->fss[i].type, r->fss[i].size,
                       r->fss[i].label && *r->fss[i].label ? r->fss[i].label : "-",
                       r->fss[i].uuid && *r->fss[i].uuid ? r->fss[i].uuid : "-");
        for (size_t i = 0; i < r->n_vgs; i++)
                printf("volume group: %s\n", r->vgs[i]);
        for (size_t i = 0; i < r->n_lvs; i++)
                printf("  logical volume %s/%s size %" PRId64 "\n", r->lvs[i].vg, r->lvs[i].name,
                       r->lvs[i].size);
        printf("root: %s\nos: %s\n", r->root ? r->root : "not found",
               os_name(r->os_release, name, sizeof name) ? name : "unknown (no os-release)");
        if (!r->has_manifest)
                printf("payloads: none (no %s)\n", GUEST_MANIFEST);
        for (size_t i = 0; i < r->n_payloads; i++) {
                const struct guest_payload *p = &r->payloads[i];

                printf("payload %s (role %s) size %" PRId64 " sha256 %s: %s\n", p->file, p->role,
                       p->want_size, p->want_sha256,
                       payload_ok(p)   ? "ok"
                       : p->got_sha256 ? "MISMATCH"
                                       : "MISSING");
        }
}

static void json_fs(FILE *f, const struct guest_fs *fs)
{
        fputs("{\"device\": ", f);
        json_put_str(f, fs->device);
        fputs(", \"type\": ", f);
        json_put_str(f, fs->type);
        fprintf(f, ", \"size\": %" PRId64 ", \"label\": ", fs->size);
        json_put_str(f, fs->label);
        fputs(", \"uuid\": ", f);
        json_put_str(f, fs->uuid);
        fputs("}", f);
}

static void json_payload(FILE *f, const struct guest_payload *p)
{
        fputs("{\"role\": ", f);
        json_put_str(f, p->role);
        fputs(", \"file\": ", f);
        json_put_str(f, p->file);
        fprintf(f, ", \"size\": %" PRId64 ", \"sha256\": ", p->want_size);
        json_put_str(f, p->want_sha256);
        fputs(", \"image_sha256\": ", f);
        if (p->got_sha256)
                json_put_str(f, p->got_sha256);
        else
                fputs("null", f);
        fprintf(f, ", \"match\": %s}", payload_ok(p) ? "true" : "false");
}

static void print_json(const struct guest_report *r)
{
        char name[256];

        fputs("{\n  \"image\": ", stdout);
        json_put_str(stdout, r->image);
        fputs(",\n  \"format\": ", stdout);
        json_put_str(stdout, r->format);
        fputs(",\n  \"partition_table\": ", stdout);
        json_put_str(stdout, r->parttype ? r->parttype : "none");
        fputs(",\n  \"partitions\": [", stdout);
        for (size_t i = 0; i < r->n_parts; i++) {
                printf("%s\n    {\"number\": %d, \"name\": ", i ? "," : "", r->parts[i].num);
                json_put_str(stdout, r->parts[i].name);
                printf(", \"start\": %" PRId64 ", \"size\": %" PRId64 ", \"type\": ",
                       r->parts[i].start, r->parts[i].size);
                json_put_str(stdout, r->parts[i].type_guid);
                fputs("}", stdout);
        }
        fputs("\n  ],\n  \"filesystems\": [", stdout);
        for (size_t i = 0; i < r->n_fss; i++) {
                fputs(i ? ",\n    " : "\n    ", stdout);
                json_fs(stdout, &r->fss[i]);
        }
        fputs("\n  ],\n  \"volume_groups\": [", stdout);
        for (size_t i = 0; i < r->n_vgs; i++) {
                fputs(i ? ", " : "", stdout);
                json_put_str(stdout, r->vgs[i]);
        }
        fputs("],\n  \"logical_volumes\": [", stdout);
        for (size_t i = 0; i < r->n_lvs; i++) {
                fputs(i ? ",\n    {\"vg\": " : "\n    {\"vg\": ", stdout);
                json_put_str(stdout, r->lvs[i].vg);
                fputs(", \"name\": ", stdout);
                json_put_str(stdout, r->lvs[i].name);
                printf(", \"size\": %" PRId64 "}", r->lvs[i].size);
        }
        fputs("\n  ],\n  \"root\": ", stdout);
        json_put_str(stdout, r->root);
        fputs(",\n  \"os\": ", stdout);
        json_put_str(stdout, os_name(r->os_release, name, sizeof name));
        printf(",\n  \"manifest\": %s,\n  \"payloads\": [", r->has_manifest ? "true" : "false");
        for (size_t i = 0; i < r->n_payloads; i++) {
                fputs(i ? ",\n    " : "\n    ", stdout);
                json_payload(stdout, &r->payloads[i]);
        }
        fputs("\n  ]\n}\n", stdout);
}

int cmd_inspect(int argc, char **argv)
{
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        struct guest_report rep;
        struct diag d = {0};
        bool json = false;
        int c, r, code;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'j': json = true; break;
                case 'h': fputs(inspect_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("inspect", "h", opts, argv);
                }
        }
        if (optind == argc)
                return cmd_usage_error("inspect", "expected IMAGE, the disk image to read");
        if (optind != argc - 1)
                return cmd_usage_error("inspect", "expected one IMAGE, got \"%s\" too",
                                       argv[optind + 1]);
        r = guest_inspect(argv[optind], &rep, &d);
        code = cmd_finish(&d, "pocbake inspect: ", r);
        if (r >= 0) {
                if (json)
                        print_json(&rep);
                else
                        print_human(&rep);
        }
        guest_report_release(&rep);
        return code;
}

static const char verify_image_usage[] =
        "usage: pocbake verify image IMAGE\n\n"
        "Exit 0 when every payload in the host image IMAGE has the sha256 and size\n"
        "its embedded manifest records; 1 naming each payload that does not.\n";

static int report_payloads(const struct guest_report *rep)
{
        int bad = 0;

        for (size_t i = 0; i < rep->n_payloads; i++) {
                const struct guest_payload *p = &rep->payloads[i];

                if (!p->got_sha256)
                        fprintf(stderr, "payload %s: missing from the image\n", p->file);
                else if (strcmp(p->got_sha256, p->want_sha256))
                        fprintf(stderr, "payload %s: sha256 mismatch (manifest %s, image %s)\n",
                                p->file, p->want_sha256, p->got_sha256);
                else if (p->got_size != p->want_size)
                        fprintf(stderr,
                                "payload %s: size mismatch (manifest %" PRId64 ", image %" PRId64
                                ")\n",
                                p->file, p->want_size, p->got_size);
                else
                        continue;
                bad++;
        }
        return bad;
}

int cmd_verify_image(int argc, char **argv)
{
        struct guest_report rep;
        struct diag d = {0};
        int r, bad;

        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                fputs(verify_image_usage, stdout);
                return EXIT_DONE;
        }
        if (argc < 2)
                return cmd_usage_error("verify image", "expected IMAGE, the disk image to check");
        if (argv[1][0] == '-')
                return cmd_usage_error("verify image", "unknown option \"%s\"", argv[1]);
        if (argc != 2)
                return cmd_usage_error("verify image", "expected one IMAGE, got \"%s\" too",
                                       argv[2]);
        r = guest_inspect(argv[1], &rep, &d);
        if (r < 0) {
                guest_report_release(&rep);
                return cmd_finish(&d, "pocbake verify image: ", r);
        }
        cmd_finish(&d, "pocbake verify image: ", r);
        if (!rep.has_manifest) {
                fprintf(stderr, "pocbake verify: %s: no payload manifest (%s)\n", argv[1],
                        GUEST_MANIFEST);
                guest_report_release(&rep);
                return EXIT_FAILED;
        }
        bad = report_payloads(&rep);
        if (!bad)
                printf("%s: %zu payloads match the manifest\n", argv[1], rep.n_payloads);
        guest_report_release(&rep);
        return bad ? EXIT_FAILED : EXIT_DONE;
}
