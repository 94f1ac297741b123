/* main.c: pocbake's command table. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/cleanup.h"
#include "util/suggest.h"

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        {"validate", cmd_validate, "check a recipe and report every error with its line"},
        {"plan", cmd_plan, "print the artifact graph in build order with content keys"},
        {"summary", cmd_summary, "show each role's resolved recipe and a picture of its disk"},
        {"build", cmd_build, "build a recipe's artifacts into an output directory"},
        {"boot", cmd_boot, "boot an image or a built role under QEMU and wait for its check"},
        {"up", cmd_up, "bring a built appliance up: its VMs, networks and appliance checks"},
        {"status", cmd_status, "show what pocbake up left running and how its checks stand"},
        {"down", cmd_down, "stop what pocbake up --detach left running"},
        {"cache", cmd_cache, "check, measure and prune the build cache"},
        {"clean", cmd_clean, "remove the files builds wrote into an output directory"},
        {"keys", cmd_keys, "create Secure Boot keys and their enrollment files"},
        {"sign", cmd_sign, "Authenticode-sign an EFI binary"},
        {"verify", cmd_verify, "check the signature of an EFI binary or a deliverable"},
        {"initrd", cmd_initrd, "write a deterministic initramfs with busybox and kernel modules"},
        {"uki", cmd_uki, "assemble a unified kernel image on systemd's EFI stub"},
        {"inspect", cmd_inspect,
         "read a disk image back: partitions, filesystems, LVM, OS, payloads"},
        {"esp", cmd_esp, "write an EFI system partition tree with signed loader and images"},
        {"pxe", cmd_pxe, "write a signed PXE boot set (iPXE script, dnsmasq config)"},
        {"iso", cmd_iso,
         "write a hybrid install ISO (UEFI + BIOS, CD + USB) with live and install entries"},
        {"bundle", cmd_bundle, "write a signed CI bundle with manifest, SBOM and provenance"},
        {"burn", cmd_burn, "write an image or ISO to a removable drive, then compare it"},
        {"version", cmd_version, "print the version, commit, data directory and tools found"},
};

static void usage(FILE *f)
{
        fprintf(f, "usage: pocbake [--version | -V] <command> [<args>]\n\ncommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\n'pocbake <command> --help' describes one command.\n"
                   "exit codes: 0 done, 1 the work failed, 2 bad usage, recipe or input (nothing "
                   "written)\n");
}

int main(int argc, char **argv)
{
        opterr = 0; /* each verb names a bad option itself (cmd_bad_option) */
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                usage(stdout);
                return EXIT_DONE;
        }
        if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
                char *v[] = {"version", NULL};

                return cmd_version(1, v);
        }
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (!strcmp(argv[1], commands[i].name))
                        return commands[i].fn(argc - 1, argv + 1);
        if (!strcmp(argv[1], "complete"))
                return cmd_complete(argc - 1, argv + 1);
        {
                const char *names[ARRAY_SIZE(commands)];
                const char *near;

                for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                        names[i] = commands[i].name;
                near = suggest(argv[1], names, ARRAY_SIZE(commands));
                fprintf(stderr, "pocbake: unknown command \"%s\"%s%s%s (see pocbake --help)\n",
                        argv[1], near ? "; did you mean \"" : "", near ? near : "",
                        near ? "\"?" : "");
        }
        return EXIT_USAGE;
}
