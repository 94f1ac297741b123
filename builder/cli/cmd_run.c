/* cmd_run.c: the boot verb: boot an image or a built role under QEMU and wait for its check. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/qemu.h"
#include "disk/gpt.h"
#include "disk/probe.h"
#include "sign/pe.h"
#include "cmd.h"
#include "util/cleanup.h"
#include "util/exec.h"
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
        static const struct value_hint hints[] = {
                {O_ACCEL, "--accel", "auto, kvm or tcg"},
                {O_AS, "--as", "disk, cdrom or usb"},
                {O_MEMORY, "--memory", "MiB from 1 to 1048576"},
                {O_TIMEOUT, "--timeout", "seconds from 1 to 86400"},
        };

        return cmd_bad_value("boot", hints, ARRAY_SIZE(hints), opt, v);
}

/* The ESP's EFI/BOOT/BOOTX64.EFI out of a raw, qcow2 or vhdx disk, by mtools on a
 * raw copy of the partition; a temp file in dir. NULL when the image has no ESP
 * with that file (the firmware then says what it finds). */
static char *fallback_loader(const char *image, const char *dir)
{
        _cleanup_free_ char *head = path_join(dir, "head"), *esp = path_join(dir, "esp");
        char *efi = path_join(dir, "BOOTX64.EFI");
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        const char *fmt = NULL;
        struct diag q = {0};
        struct gpt g = {0};
        char skip[32], count[32], src[512];
        struct stat st;
        uint64_t size;
        int ok = 0;

        if (!head || !esp || !efi || fd < 0 || image_probe(fd, image, &fmt, &q) < 0 ||
            fstat(fd, &st) < 0)
                goto out;
        size = (uint64_t)st.st_size;
        if (!strcmp(fmt, "qcow2")) { /* the virtual size: big-endian at offset 24 */
                uint8_t b[8];

                if (pread(fd, b, 8, 24) != 8)
                        goto out;
                size = 0;
                for (int i = 0; i < 8; i++)
                        size = size << 8 | b[i];
        } else if (strcmp(fmt, "raw")) {
                goto out; /* vhdx: not looked into */
        }
        if (strcmp(fmt, "raw")) {
                const char *dd[] = {"qemu-img", "dd",       "-f", fmt,  "-O", "raw",
                                    "bs=512",   "count=34", NULL, NULL, NULL};

                snprintf(src, sizeof(src), "if=%s", image);
                dd[8] = src;
                if (asprintf((char **)&dd[9], "of=%s", head) < 0)
                        goto out;
                ok = run_argv(dd, NULL, &q) >= 0;
                free((char *)dd[9]);
                close(fd);
                fd = ok ? open(head, O_RDONLY | O_CLOEXEC) : -1;
                if (fd < 0)
                        goto out;
        }
        /* the table is read from the head; the entries are checked against the disk */
        if (gpt_read(&g, fd, size, image, &q) < 0)
                goto out;
        ok = 0;
        for (size_t i = 0; i < g.n && !ok; i++) {
                struct uuid esp_type;
                uint64_t first = g.parts[i].first_lba, n = g.parts[i].last_lba - first + 1;
                const char *dd[] = {"qemu-img", "dd", "-f",  fmt, "-O", "raw",
                                    "bs=512",   skip, count, src, NULL, NULL};
                const char *mc[] = {"mcopy", "-n", "-i", esp, "::/EFI/BOOT/BOOTX64.EFI", efi, NULL};

                if (part_type_uuid(PART_ESP, &esp_type) < 0 ||
                    memcmp(&g.parts[i].type, &esp_type, sizeof(esp_type)))
                        continue;
                snprintf(skip, sizeof(skip), "skip=%llu", (unsigned long long)first);
                snprintf(count, sizeof(count), "count=%llu", (unsigned long long)n);
                snprintf(src, sizeof(src), "if=%s", image);
                if (asprintf((char **)&dd[10], "of=%s", esp) < 0)
                        break;
                ok = run_argv(dd, NULL, &q) >= 0 && run_argv(mc, NULL, &q) >= 0;
                free((char *)dd[10]);
        }
out:
        gpt_release(&g);
        diag_release(&q);
        if (!ok) {
                free(efi);
                return NULL;
        }
        return efi;
}

/* The disk's fallback loader has no Authenticode signature: Secure Boot firmware
 * refuses it. False when that cannot be told (no ESP, no such file, no tools). */
static bool loader_unsigned(const char *image)
{
        char dir[] = "/tmp/pocbake-boot.XXXXXX";
        _cleanup_free_ char *efi = NULL, *data = NULL;
        struct pe_image pe;
        struct diag q = {0};
        size_t len = 0;
        bool unsigned_ = false;

        if (!have_program("mcopy") || !have_program("qemu-img") || !mkdtemp(dir))
                return false;
        efi = fallback_loader(image, dir);
        if (efi && read_file(efi, &data, &len) == 0 &&
            pe_parse(&pe, (const uint8_t *)data, len, efi, &q) == 0) {
                unsigned_ = pe.cert_size == 0;
                pe_release(&pe);
        }
        diag_release(&q);
        rm_rf(dir);
        return unsigned_;
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
        if ((!b.firmware || !strcmp(b.firmware, "ovmf-secboot")) && b.media == BOOT_DISK &&
            !b.pxe_dir && loader_unsigned(image))
                return cmd_finish(&d, "pocbake boot: ",
                                  diag_err(&d, -EACCES,
                                           "%s: its boot loader (EFI/BOOT/BOOTX64.EFI on the ESP) "
                                           "is unsigned, which Secure Boot refuses (built without "
                                           "--keys?); boot it with --firmware ovmf, or build with "
                                           "--keys",
                                           image));
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
