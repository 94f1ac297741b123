/* main.c: pocbake's command table. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
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
        {"push", cmd_push, "publish a built appliance to an OCI registry, signature attached"},
        {"pull", cmd_pull, "fetch an appliance from an OCI registry by digest, verified"},
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

/* The verbs that stage roots (file owners other than the user's) or remove what
 * they staged: run as another user, they go into a user namespace of the user's
 * subordinate ids (Debian's uidmap: unshare --map-root-user --map-auto), where
 * they are root over those ids. */
static bool needs_ids(const char *verb)
{
        return !strcmp(verb, "build") || !strcmp(verb, "cache") || !strcmp(verb, "clean");
}

static bool has_range(const char *file, const char *name, uid_t uid)
{
        _cleanup_free_ char *text = NULL;
        char id[32];
        size_t len = 0, nl = strlen(name);

        snprintf(id, sizeof(id), "%u", (unsigned)uid);
        if (read_file(file, &text, &len) < 0)
                return false;
        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if ((!strncmp(l, name, nl) && l[nl] == ':') ||
                    (!strncmp(l, id, strlen(id)) && l[strlen(id)] == ':'))
                        return true;
        return false;
}

/* Re-run this command inside the user namespace; returns only when it cannot. */
static int enter_userns(int argc, char **argv)
{
        struct passwd *pw = getpwuid(getuid());
        const char *name = pw ? pw->pw_name : "";
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        _cleanup_free_ const char **av = NULL;

        if (!has_range("/etc/subuid", name, getuid()) ||
            !has_range("/etc/subgid", name, getuid())) {
                fprintf(stderr,
                        "pocbake %s: user %s has no subordinate id range, which a build that is "
                        "not run as root needs for the file owners of its roots (expected, as "
                        "root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "
                        "%s)\n",
                        argv[1], name, name);
                return EXIT_FAILED;
        }
        if (n <= 0 || !(av = calloc((size_t)argc + 5, sizeof(*av))))
                return EXIT_FAILED;
        self[n] = 0;
        av[0] = "unshare";
        av[1] = "--map-root-user";
        av[2] = "--map-auto";
        av[3] = "--";
        av[4] = self;
        for (int i = 1; i < argc; i++)
                av[4 + i] = argv[i];
        setenv("POCBAKE_USERNS", "1", 1);
        execvp("unshare", (char *const *)av);
        fprintf(stderr,
                "pocbake %s: cannot enter a user namespace (unshare: %s; expected util-linux and "
                "uidmap installed)\n",
                argv[1], strerror(errno));
        return EXIT_FAILED;
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
        if (geteuid() != 0 && !getenv("POCBAKE_USERNS") && needs_ids(argv[1]) &&
            !(argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))))
                return enter_userns(argc, argv);
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
