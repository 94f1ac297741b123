/* cmd_run.c: the boot verb: boot an image or a built role under QEMU and wait for its check. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/qemu.h"
#include "cmd.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/parse.h"

static const char boot_help[] =
        "usage: pocbake boot [--firmware ovmf-secboot|ovmf|seabios] [--accel auto|kvm|tcg]\n"
        "                    [--vars FILE] [--as disk|cdrom|usb] [--memory MB] [--timeout S]\n"
        "                    [--expect TEXT] [--log FILE] [--console] [-o DIR]\n"
        "                    [--disk FILE] [--nic] IMAGE|ROLE\n"
        "       pocbake boot [options] --pxe DIR --bootfile FILE [IMAGE]\n"
        "\n"
        "Boot IMAGE (raw, qcow2 or vhdx; an ISO with --as cdrom or usb), or the disk of a\n"
        "ROLE built into DIR (default out/), under QEMU with the firmware profile from\n"
        "firmware/qemu/ (default ovmf-secboot: UEFI with Secure Boot; a fresh, empty\n"
        "variable store unless --vars, so systemd-boot enrolls the image's keys). Waits\n"
        "for the role's boot-time check on the serial console (\"POCBAKE-CHECK ROLE ok\",\n"
        "or --expect TEXT). The image is never written. --accel defaults to\n"
        "$POCBAKE_ACCEL, else auto (KVM when /dev/kvm opens, else TCG). --disk FILE adds\n"
        "a raw virtio disk that is written in place (an installer's target). --nic gives\n"
        "the VM a virtio NIC on QEMU's user network (host services not reachable), for\n"
        "services that need an interface (VRRP, DHCP). --pxe DIR\n"
        "boots from the network: QEMU's TFTP server serves DIR and DHCP names --bootfile\n"
        "(UEFI: OVMF's own stack loads it, Secure Boot applies; BIOS: the NIC's iPXE\n"
        "runs it, e.g. boot.ipxe).\n"
        "exit codes: 0 the check passed, 1 it failed, the firmware refused the image,\n"
        "QEMU stopped or the time ran out, 2 bad usage\n";

enum {
        O_FIRMWARE = 256,
        O_ACCEL,
        O_VARS,
        O_AS,
        O_MEMORY,
        O_TIMEOUT,
        O_EXPECT,
        O_LOG,
        O_CONSOLE,
        O_HELP,
        O_DISK,
        O_PXE,
        O_BOOTFILE,
        O_NIC
};

static const struct option opts[] = {
        {"firmware", required_argument, NULL, O_FIRMWARE},
        {"accel", required_argument, NULL, O_ACCEL},
        {"vars", required_argument, NULL, O_VARS},
        {"as", required_argument, NULL, O_AS},
        {"memory", required_argument, NULL, O_MEMORY},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"expect", required_argument, NULL, O_EXPECT},
        {"log", required_argument, NULL, O_LOG},
        {"console", no_argument, NULL, O_CONSOLE},
        {"output", required_argument, NULL, 'o'},
        {"disk", required_argument, NULL, O_DISK},
        {"pxe", required_argument, NULL, O_PXE},
        {"bootfile", required_argument, NULL, O_BOOTFILE},
        {"nic", no_argument, NULL, O_NIC},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
};

static int number(const char *s, unsigned max, unsigned *out)
{
        uint64_t v;

        if (parse_uint(s, 1, max, &v) < 0)
                return -EINVAL;
        *out = (unsigned)v;
        return 0;
}

/* ROLE → DIR/ROLE/ROLE.raw (or .qcow2); a path that exists is taken as it is. */
static char *resolve(const char *target, const char *out, char **name)
{
        const char *base = strrchr(target, '/');
        char *p = NULL;

        if (access(target, F_OK) == 0) {
                base = base ? base + 1 : target;
                *name = strndup(base, strcspn(base, "."));
                return strdup(target);
        }
        *name = strdup(target);
        if (asprintf(&p, "%s/%s/%s.raw", out, target, target) >= 0 && access(p, R_OK) == 0)
                return p;
        free(p);
        if (asprintf(&p, "%s/%s/%s.qcow2", out, target, target) >= 0 && access(p, R_OK) == 0)
                return p;
        free(p);
        return NULL;
}

/* A value parse_opt refused: the option and what it takes. */
static int bad_value(int opt, const char *v)
{
        static const struct {
                int opt;
                const char *name, *want;
        } hints[] = {
                {O_ACCEL, "--accel", "auto, kvm or tcg"},
                {O_AS, "--as", "disk, cdrom or usb"},
                {O_MEMORY, "--memory", "MiB from 1 to 1048576"},
                {O_TIMEOUT, "--timeout", "seconds from 1 to 86400"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
                if (hints[i].opt == opt)
                        return cmd_usage_error("boot", "%s \"%s\": expected %s", hints[i].name, v,
                                               hints[i].want);
        return cmd_usage_error("boot", "bad value \"%s\"", v);
}

static int parse_opt(int opt, struct boot_run *b, const char **out)
{
        switch (opt) {
        case O_FIRMWARE: b->firmware = optarg; return 0;
        case O_ACCEL:
                if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
                        break;
                b->accel = optarg;
                return 0;
        case O_VARS: b->vars = optarg; return 0;
        case O_AS:
                if (!strcmp(optarg, "disk"))
                        b->media = BOOT_DISK;
                else if (!strcmp(optarg, "cdrom"))
                        b->media = BOOT_CDROM;
                else if (!strcmp(optarg, "usb"))
                        b->media = BOOT_USB;
                else
                        break;
                return 0;
        case O_MEMORY: return number(optarg, 1 << 20, &b->memory_mb) < 0 ? -EINVAL : 0;
        case O_TIMEOUT: return number(optarg, 86400, &b->timeout) < 0 ? -EINVAL : 0;
        case O_EXPECT: b->expect = optarg; return 0;
        case O_LOG: b->log = optarg; return 0;
        case O_CONSOLE: b->console = true; return 0;
        case O_DISK: b->disk = optarg; return 0;
        case O_PXE: b->pxe_dir = optarg; return 0;
        case O_BOOTFILE: b->bootfile = optarg; return 0;
        case O_NIC: b->nic = true; return 0;
        case 'o': *out = optarg; return 0;
        }
        return -EINVAL;
}

int cmd_boot(int argc, char **argv)
{
        struct boot_run b = {.timeout = 300, .accel = getenv("POCBAKE_ACCEL")};
        const char *out = "out";
        _cleanup_free_ char *image = NULL, *name = NULL;
        struct diag d = {0};
        double secs = 0;
        int opt, rc;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                if (opt == O_HELP) {
                        fputs(boot_help, stdout);
                        return EXIT_DONE;
                }
                if (opt == '?')
                        return cmd_bad_option("boot", "o:", opts, argv);
                if (parse_opt(opt, &b, &out) < 0)
                        return bad_value(opt, optarg);
        }
        if (!b.pxe_dir != !b.bootfile)
                return cmd_usage_error("boot", "--pxe and --bootfile go together");
        if (b.pxe_dir && optind == argc) {
                name = strdup(b.bootfile);
                goto run;
        }
        if (optind == argc)
                return cmd_usage_error("boot",
                                       "expected IMAGE or ROLE (or --pxe DIR --bootfile FILE)");
        if (optind != argc - 1)
                return cmd_usage_error("boot", "expected one IMAGE or ROLE, got \"%s\" too",
                                       argv[optind + 1]);
        image = resolve(argv[optind], out, &name);
        if (!image) {
                fprintf(stderr,
                        "pocbake boot: \"%s\" is neither an image nor a role built in %s/ "
                        "(expected a file, or 'pocbake build' first)\n",
                        argv[optind], out);
                return EXIT_USAGE;
        }
run:
        b.image = image;
        b.name = name;
        rc = boot_image(&b, &secs, &d);
        if (rc < 0)
                return cmd_finish(&d, "pocbake boot: ", rc);
        printf("%s: check passed in %.0f s (%s, accel %s)\n", name, secs,
               b.firmware ? b.firmware : "ovmf-secboot", boot_accel(b.accel));
        diag_release(&d);
        return EXIT_DONE;
}
