/* cmd_version.c: pocbake version: its version and commit, the data directory it uses, and
 * the external tools it found with their versions. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/data.h"
#include "cmd.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

/* From $(O)/commit.h, which the Makefile includes; a build without it: */
#ifndef POCBAKE_COMMIT
#define POCBAKE_COMMIT "unknown"
#endif

/* What each tool is for, and how it tells its version. */
static const struct tool {
        const char *argv[3];
        const char *use;
} tools[] = {
        {{"qemu-system-x86_64", "--version"}, "boot, up"},
        {{"qemu-img", "--version"}, "qcow2 and vhdx outputs, image bases"},
        {{"mkfs.ext4", "-V"}, "ext4 filesystems"},
        {{"mkfs.xfs", "-V"}, "the host's XFS volumes"},
        {{"mksquashfs", "-version"}, "the live root"},
        {{"xorriso", "-version"}, "the ISO"},
        {{"mmdebstrap", "--version"}, "full-profile Debian roots"},
        {{"guestfish", "--version"}, "inspect, image bases (libguestfs)"},
        {{"sbverify", "--version"}, "tests: Authenticode checks"},
        {{"dnsmasq", "--version"}, "up: the appliance's DHCP"},
};

/* The first line the tool prints (stdout or stderr), or NULL. */
static char *first_line(const char *const argv[])
{
        int p[2], status;
        char buf[256];
        size_t n = 0;
        pid_t pid;

        if (!have_program(argv[0]) || pipe2(p, O_CLOEXEC) < 0)
                return NULL;
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return NULL;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY);

                if (null >= 0)
                        dup2(null, 0);
                dup2(p[1], 1);
                dup2(p[1], 2);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        for (;;) {
                ssize_t r = read(p[0], buf + n, sizeof(buf) - 1 - n);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t)r;
                if (memchr(buf, '\n', n) || n == sizeof(buf) - 1)
                        break;
        }
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        return n ? strdup(buf) : NULL;
}

int cmd_version(int argc, char **argv)
{
        _cleanup_free_ char *fw = data_path("firmware");
        _cleanup_free_ char *dir = fw ? path_dirname(fw) : NULL;

        if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                puts("usage: pocbake version\n\n"
                     "Print pocbake's version and the commit it was built from, the data "
                     "directory\n"
                     "it reads firmware/ and recipes/ from, and the external tools it found with\n"
                     "their versions (a build needs only those its recipe uses).");
                return EXIT_DONE;
        }
        if (argc > 1) {
                fprintf(stderr,
                        "pocbake version: unexpected argument \"%s\" (see pocbake version "
                        "--help)\n",
                        argv[1]);
                return EXIT_USAGE;
        }
        printf("pocbake %s\ncommit: %s\n", POCBAKE_VERSION, POCBAKE_COMMIT);
        if (dir)
                printf("data directory: %s\n", dir);
        else
                printf("data directory: not found (set POCBAKE_DATADIR; installed: %s)\n",
                       POCBAKE_DATADIR);
        printf("tools:\n");
        for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
                _cleanup_free_ char *line = first_line(tools[i].argv);

                printf("  %-19s %s  (%s)\n", tools[i].argv[0], line ? line : "not found",
                       tools[i].use);
        }
        return EXIT_DONE;
}
