/* cmd_iso.c: the iso verb: a hybrid install ISO from a host image and a key directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "media/iso.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/parse.h"

#define PAYLOADS_MAX 256

static const char iso_help[] =
        "usage: pocbake iso -o OUT.iso --keys KEYDIR --image HOST.raw [--root-squashfs FILE]\n"
        "                   [--kernel K] [--initrd I] [--label L] [--cmdline ARGS]\n"
        "                   [--default live|install] [--timeout S] [--enroll force|manual|off]\n"
        "                   [--payload PATH=FILE]...\n"
        "\n"
        "Write a hybrid ISO that boots on UEFI (Secure Boot: signed systemd-boot and UKIs in\n"
        "an ESP appended as GPT partition 2, keys enrolled from loader/keys/auto) and on BIOS\n"
        "(isolinux), from a CD or written raw to a USB stick. Two entries: \"live\" runs the\n"
        "system from /live/root.squashfs (made from the image's root partition unless\n"
        "--root-squashfs), \"install\" writes /install/host.raw.gz to a disk and checks it\n"
        "against the image's SHA-256 (in the signed boot entry and in /install/manifest.json,\n"
        "signed with codesign.key, else db.key, as manifest.json.sig). The kernel defaults to\n"
        "the newest /boot/vmlinuz-*, the initrd to one built with the CD/USB/disk drivers;\n"
        "--cmdline (default \"console=ttyS0\") follows the root arguments; --timeout (default 5)\n"
        "is the menu's wait; --label (default POCBAKE, A-Z 0-9 _) names the volume.\n"
        "--payload PATH=FILE puts FILE on the ISO at PATH. Every date is $SOURCE_DATE_EPOCH\n"
        "(default 1980-01-01); same inputs and epoch give the same bytes.\n"
        "installer command line: pocbake.target=/dev/X (default: the only blank disk),\n"
        "pocbake.wipe (overwrite a disk that holds data).\n"
        "exit codes: 0 written, 1 failed, 2 bad usage\n";

enum {
        O_KEYS = 256,
        O_IMAGE,
        O_ROOT,
        O_KERNEL,
        O_INITRD,
        O_LABEL,
        O_CMDLINE,
        O_DEFAULT,
        O_TIMEOUT,
        O_ENROLL,
        O_PAYLOAD,
        O_HELP
};

static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"keys", required_argument, NULL, O_KEYS},
        {"image", required_argument, NULL, O_IMAGE},
        {"root-squashfs", required_argument, NULL, O_ROOT},
        {"kernel", required_argument, NULL, O_KERNEL},
        {"initrd", required_argument, NULL, O_INITRD},
        {"label", required_argument, NULL, O_LABEL},
        {"cmdline", required_argument, NULL, O_CMDLINE},
        {"default", required_argument, NULL, O_DEFAULT},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"enroll", required_argument, NULL, O_ENROLL},
        {"payload", required_argument, NULL, O_PAYLOAD},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
};

/* A value parse_opt refused: the option and what it takes. */
static int bad_value(int c, const char *v)
{
        static const struct value_hint hints[] = {
                {O_DEFAULT, "--default", "live or install"},
                {O_TIMEOUT, "--timeout", "seconds from 0 to 3600"},
                {O_ENROLL, "--enroll", "force, manual or off"},
                {O_PAYLOAD, "--payload", "PATH=FILE (at most 256 payloads)"},
        };

        return cmd_bad_value("iso", hints, ARRAY_SIZE(hints), c, v);
}

static int parse_payload(char *arg, struct iso_payload *p)
{
        char *eq = strchr(arg, '=');

        if (!eq || eq == arg || !eq[1])
                return -EINVAL;
        *eq = 0;
        p->path = arg;
        p->file = eq + 1;
        return 0;
}

static int parse_timeout(const char *s, unsigned *out)
{
        uint64_t v;

        if (parse_uint(s, 0, 3600, &v) < 0)
                return -EINVAL;
        *out = (unsigned)v;
        return 0;
}

static int parse_opt(int c, struct iso_spec *s, struct iso_payload *pl, const char **out)
{
        switch (c) {
        case 'o': *out = optarg; return 0;
        case O_KEYS: s->keys = optarg; return 0;
        case O_IMAGE: s->image = optarg; return 0;
        case O_ROOT: s->root_squashfs = optarg; return 0;
        case O_KERNEL: s->kernel = optarg; return 0;
        case O_INITRD: s->initrd = optarg; return 0;
        case O_LABEL: s->label = optarg; return 0;
        case O_CMDLINE: s->cmdline = optarg; return 0;
        case O_DEFAULT: return iso_entry_parse(optarg, &s->default_entry);
        case O_TIMEOUT: return parse_timeout(optarg, &s->timeout);
        case O_ENROLL: return esp_enroll_parse(optarg, &s->enroll);
        case O_PAYLOAD:
                if (s->n_payloads >= PAYLOADS_MAX)
                        return -E2BIG;
                return parse_payload(optarg, &pl[s->n_payloads++]);
        }
        return -EINVAL;
}

int cmd_iso(int argc, char **argv)
{
        _cleanup_free_ struct iso_payload *pl = calloc(PAYLOADS_MAX, sizeof(*pl));
        struct iso_spec s = {.timeout = 5, .enroll = ESP_ENROLL_FORCE};
        const char *out = NULL;
        struct diag d = {0};
        int c, rc;

        if (!pl)
                return exit_code(-ENOMEM);
        s.payloads = pl;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                if (c == O_HELP) {
                        fputs(iso_help, stdout);
                        return EXIT_DONE;
                }
                if (c == '?')
                        return cmd_bad_option("iso", "o:", opts, argv);
                if (parse_opt(c, &s, pl, &out) < 0)
                        return bad_value(c, optarg);
        }
        if (optind != argc)
                return cmd_usage_error("iso", "unexpected argument \"%s\"", argv[optind]);
        if (!out || !s.keys || !s.image)
                return cmd_usage_error("iso", "missing%s%s%s", !out ? " -o OUT.iso" : "",
                                       !s.keys ? " --keys KEYDIR" : "",
                                       !s.image ? " --image HOST.raw" : "");
        if ((rc = epoch_from_env(&s.epoch, &d)) >= 0)
                rc = iso_write(&s, out, &d);
        if (rc < 0)
                return cmd_finish(&d, "pocbake iso: ", rc);
        diag_release(&d);
        printf("%s: hybrid iso written (label %s, default entry %s)\n", out,
               s.label ? s.label : ISO_DEFAULT_LABEL,
               s.default_entry == ISO_ENTRY_INSTALL ? "install" : "live");
        return EXIT_DONE;
}
