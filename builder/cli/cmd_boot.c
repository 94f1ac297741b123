/* cmd_boot.c: the initrd, uki and esp verbs. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/esp.h"
#include "boot/initrd.h"
#include "boot/uki.h"
#include "cmd.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/fsutil.h"
#include "util/parse.h"

DEFINE_TRIVIAL_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP(X509 *, X509_free)

#define MAX_LIST 256

static const char initrd_usage[] =
        "usage: pocbake initrd -o OUT [--kernel-version V] [--module M]...\n"
        "                      [--compress gzip|zstd|none] [--modules-dir DIR] [--init FILE]\n"
        "                      [--busybox FILE]\n\n"
        "Write a deterministic initramfs (newc cpio): the pocbake init, busybox and its\n"
        "applet links, and the kernel modules named with --module (or an alias such as\n"
        "iso9660) with their dependencies from DIR/V/modules.dep (DIR: /lib/modules,\n"
        "V: the highest version there). Entry times are $SOURCE_DATE_EPOCH (default\n"
        "1980-01-01).\n";

static const char uki_usage[] =
        "usage: pocbake uki -o OUT --kernel VMLINUZ [--initrd INITRD] --cmdline STR\n"
        "                   [--os-release FILE] [--uname V] [--sbat FILE] [--stub FILE]\n"
        "                   [--key KEY --cert CERT]\n\n"
        "Assemble a unified kernel image on systemd's EFI stub (" UKI_DEFAULT_STUB ")\n"
        "with .osrel, .cmdline, .uname, .initrd and .linux sections. --sbat merges SBAT\n"
        "lines into the stub's .sbat. With --key and --cert the image is signed.\n";

static const char esp_usage[] =
        "usage: pocbake esp DIR --keys KEYDIR --uki X.efi [--uki Y.efi]...\n"
        "                   [--enroll force|manual|off] [--timeout N] [--default NAME.efi]\n"
        "                   [--loader FILE] [--loader-conf FILE]\n\n"
        "Write an EFI system partition tree into DIR: systemd-boot (signed with\n"
        "KEYDIR/db.key) as EFI/BOOT/BOOTX64.EFI and EFI/systemd/systemd-bootx64.efi, each\n"
        "UKI signed as EFI/Linux/X.efi, loader/loader.conf and, unless --enroll off,\n"
        "KEYDIR/{PK,KEK,db}.auth in loader/keys/auto/ for systemd-boot to enroll\n"
        "(default: force, on the first boot in setup mode).\n";

int cmd_initrd(int argc, char **argv)
{
        enum { O_KVER = 256, O_MOD, O_COMP, O_MODDIR, O_INIT, O_BB, O_HELP };
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"kernel-version", required_argument, NULL, O_KVER},
                {"module", required_argument, NULL, O_MOD},
                {"compress", required_argument, NULL, O_COMP},
                {"modules-dir", required_argument, NULL, O_MODDIR},
                {"init", required_argument, NULL, O_INIT},
                {"busybox", required_argument, NULL, O_BB},
                {"help", no_argument, NULL, O_HELP},
                {0},
        };
        const char *mods[MAX_LIST], *out = NULL;
        struct initrd_spec s = {.modules = mods};
        struct diag d = {0};
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case O_KVER: s.kver = optarg; break;
                case O_MOD:
                        if (s.n_modules == MAX_LIST)
                                return cmd_usage_error("initrd", "more than 256 modules");
                        mods[s.n_modules++] = optarg;
                        break;
                case O_COMP:
                        if (initrd_compress_parse(optarg, &s.compress) < 0)
                                return cmd_usage_error("initrd",
                                                       "--compress \"%s\": "
                                                       "expected gzip, zstd or none",
                                                       optarg);
                        break;
                case O_MODDIR: s.moddir = optarg; break;
                case O_INIT: s.init = optarg; break;
                case O_BB: s.busybox = optarg; break;
                case O_HELP: fputs(initrd_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("initrd", "o:", opts, argv);
                }
        }
        if (!out || optind != argc)
                return cmd_usage_error("initrd", "%s",
                                       out ? "unexpected arguments" : "-o OUT is required");
        if ((r = epoch_from_env(&s.mtime, &d)) < 0)
                return cmd_finish(&d, "pocbake initrd: ", r);
        return cmd_finish(&d, "pocbake initrd: ", initrd_write(&s, out, &d));
}

/* Build, then sign from a temp file beside out, so out appears signed or not at all. */
static int uki_build_signed(const struct uki_spec *s, const char *out, const char *keyp,
                            const char *certp, struct diag *d)
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_free_ char *tmp = NULL;
        int r;

        if (!keyp)
                return uki_write(s, out, d);
        r = signing_key_load(keyp, certp, &key, &cert, d);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.unsigned", out) < 0)
                return -ENOMEM;
        r = uki_write(s, tmp, d);
        if (r >= 0)
                r = authenticode_sign_file(tmp, out, key, cert, false, d);
        unlink(tmp);
        return r;
}

int cmd_uki(int argc, char **argv)
{
        enum {
                O_KERNEL = 256,
                O_INITRD,
                O_CMDLINE,
                O_OSREL,
                O_UNAME,
                O_SBAT,
                O_STUB,
                O_KEY,
                O_CERT,
                O_HELP
        };
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},
                {"kernel", required_argument, NULL, O_KERNEL},
                {"initrd", required_argument, NULL, O_INITRD},
                {"cmdline", required_argument, NULL, O_CMDLINE},
                {"os-release", required_argument, NULL, O_OSREL},
                {"uname", required_argument, NULL, O_UNAME},
                {"sbat", required_argument, NULL, O_SBAT},
                {"stub", required_argument, NULL, O_STUB},
                {"key", required_argument, NULL, O_KEY},
                {"cert", required_argument, NULL, O_CERT},
                {"help", no_argument, NULL, O_HELP},
                {0},
        };
        const char *out = NULL, *keyp = NULL, *certp = NULL;
        struct uki_spec s = {0};
        struct diag d = {0};
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case O_KERNEL: s.kernel = optarg; break;
                case O_INITRD: s.initrd = optarg; break;
                case O_CMDLINE: s.cmdline = optarg; break;
                case O_OSREL: s.os_release = optarg; break;
                case O_UNAME: s.uname = optarg; break;
                case O_SBAT: s.sbat = optarg; break;
                case O_STUB: s.stub = optarg; break;
                case O_KEY: keyp = optarg; break;
                case O_CERT: certp = optarg; break;
                case O_HELP: fputs(uki_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("uki", "o:", opts, argv);
                }
        }
        if (!out || !s.kernel || !s.cmdline || optind != argc)
                return cmd_usage_error("uki", "%s",
                                       optind != argc ? "unexpected arguments"
                                                      : "-o, --kernel and --cmdline are required");
        if (!keyp != !certp)
                return cmd_usage_error("uki", "%s", "--key and --cert go together");
        return cmd_finish(&d, "pocbake uki: ", uki_build_signed(&s, out, keyp, certp, &d));
}

int cmd_esp(int argc, char **argv)
{
        enum { O_KEYS = 256, O_UKI, O_ENROLL, O_TIMEOUT, O_DEFAULT, O_LOADER, O_CONF, O_HELP };
        static const struct option opts[] = {
                {"keys", required_argument, NULL, O_KEYS},
                {"uki", required_argument, NULL, O_UKI},
                {"enroll", required_argument, NULL, O_ENROLL},
                {"timeout", required_argument, NULL, O_TIMEOUT},
                {"default", required_argument, NULL, O_DEFAULT},
                {"loader", required_argument, NULL, O_LOADER},
                {"loader-conf", required_argument, NULL, O_CONF},
                {"help", no_argument, NULL, O_HELP},
                {0},
        };
        const char *ukis[MAX_LIST];
        struct esp_spec s = {.ukis = ukis};
        struct diag d = {0};
        uint64_t v;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case O_KEYS: s.keydir = optarg; break;
                case O_UKI:
                        if (s.n_ukis == MAX_LIST)
                                return cmd_usage_error("esp", "more than 256 images");
                        ukis[s.n_ukis++] = optarg;
                        break;
                case O_ENROLL:
                        if (esp_enroll_parse(optarg, &s.enroll) < 0)
                                return cmd_usage_error("esp",
                                                       "--enroll \"%s\": expected "
                                                       "force, manual or off",
                                                       optarg);
                        break;
                case O_TIMEOUT:
                        if (parse_uint(optarg, 0, 3600, &v) < 0)
                                return cmd_usage_error("esp",
                                                       "--timeout \"%s\": expected "
                                                       "seconds from 0 to 3600",
                                                       optarg);
                        s.timeout = (unsigned)v;
                        break;
                case O_DEFAULT: s.default_uki = optarg; break;
                case O_LOADER: s.loader = optarg; break;
                case O_CONF: s.loader_conf = optarg; break;
                case O_HELP: fputs(esp_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("esp", "", opts, argv);
                }
        }
        if (optind != argc - 1 || !s.keydir || !s.n_ukis)
                return cmd_usage_error("esp", "%s",
                                       optind != argc - 1 ? "expected one output directory"
                                                          : "--keys and --uki are required");
        return cmd_finish(&d, "pocbake esp: ", esp_populate(&s, argv[optind], &d));
}
