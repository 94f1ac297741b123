/* selfcheck.c: the role's boot-time check from its recipe, run in the booted VM. */
/* It reports on the console as "POCBAKE-CHECK ROLE ok|failed" (what `pocbake boot` waits for). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs.h"
#include "steps.h"
#include "util/cleanup.h"

#define CHECK_SCRIPT "/usr/lib/pocbake/check"

/* Appliance checks come at run time, not in the image: `pocbake up` hands each
 * VM a small read-only disk whose serial is "pocbake-checks" and whose first
 * line "# pocbake-checks LENGTH" says how many bytes of it are the script. They
 * run once the role's own check passed. */
static const char appliance_checks[] =
        "for s in /sys/block/*/serial; do\n"
        "        [ \"$(cat \"$s\" 2>/dev/null)\" = pocbake-checks ] || continue\n"
        "        dev=${s%/serial}\n"
        "        dev=/dev/${dev##*/}\n"
        "        n=$(head -n 1 \"$dev\" | sed -n 's/^# pocbake-checks \\([0-9]*\\)$/\\1/p')\n"
        "        [ -n \"$n\" ] && head -c \"$n\" \"$dev\" >/run/pocbake-checks && sh "
        "/run/pocbake-checks\n"
        "done\n"
        "exit 0\n";

/* Services start after the init scripts (busybox respawns them once rcS is done),
 * so the check retries until it passes or its time is up. */
static char *check_script(const struct role *r)
{
        const struct check_spec *c = &r->check;
        _cleanup_free_ char *cmd = sh_quote(c->command ? c->command : "true");
        _cleanup_free_ char *expect = sh_quote(c->expect ? c->expect : "");
        _cleanup_free_ char *ok = NULL, *bad = NULL, *qok = NULL, *qbad = NULL;
        char *s = NULL;

        if (!cmd || !expect || asprintf(&ok, "POCBAKE-CHECK %s ok", r->name) < 0 ||
            asprintf(&bad, "POCBAKE-CHECK %s failed", r->name) < 0 || !(qok = sh_quote(ok)) ||
            !(qbad = sh_quote(bad)))
                return NULL;
        if (asprintf(
                    &s,
                    "#!/bin/sh\n"
                    "# check: the boot-time check of role %s, from its recipe; written by pocbake\n"
                    "end=$(( $(cut -d. -f1 /proc/uptime) + %u ))\n"
                    "while :; do\n"
                    "        out=$(sh -c %s 2>&1) && case \"$out\" in *%s*) break ;; esac\n"
                    "        if [ \"$(cut -d. -f1 /proc/uptime)\" -ge \"$end\" ]; then\n"
                    "                printf 'pocbake-check: %%s\\n' \"$out\"\n"
                    "                # under systemd: which units failed, and their last words\n"
                    "                if command -v systemctl >/dev/null; then\n"
                    "                        for u in $(systemctl --failed --plain --no-legend | "
                    "cut -d' ' -f1); do\n"
                    "                                echo \"pocbake-check: unit $u failed:\"\n"
                    "                                journalctl --no-pager -b -n 15 -o cat -u "
                    "\"$u\" | sed 's/^/    /'\n"
                    "                        done\n"
                    "                fi\n"
                    "                echo %s\n"
                    "                exit 1\n"
                    "        fi\n"
                    "        sleep 2\n"
                    "done\n"
                    "echo %s\n"
                    "%s",
                    r->name, c->timeout ? c->timeout : 120, cmd, expect, qbad, qok,
                    appliance_checks) < 0)
                return NULL;
        return s;
}

static const char busybox_hook[] =
        "#!/bin/sh\n"
        "# S99pocbake-check: runs the role's check in the background; written by pocbake\n"
        "[ \"$1\" = start ] || exit 0\n" CHECK_SCRIPT " >/dev/console 2>&1 &\n";

static const char systemd_unit[] =
        "# pocbake-check.service: the role's boot-time check; written by pocbake\n"
        "[Unit]\n"
        "Description=pocbake role check\n"
        "After=multi-user.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "TimeoutStartSec=infinity\n"
        "ExecStart=" CHECK_SCRIPT "\n"
        "StandardOutput=journal+console\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

int selfcheck_apply(const struct role *r, int rootfd, struct diag *d)
{
        _cleanup_free_ char *script = check_script(r);
        bool systemd = rootfs_is_systemd(rootfd);
        int rc;

        if (!script)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = rootfs_write(rootfd, CHECK_SCRIPT, script, strlen(script), 0755, 0, 0);
        if (rc >= 0 && systemd) {
                rc = rootfs_write(rootfd, "/etc/systemd/system/pocbake-check.service", systemd_unit,
                                  strlen(systemd_unit), 0644, 0, 0);
                if (rc >= 0)
                        rc = rootfs_symlink(
                                rootfd,
                                "/etc/systemd/system/multi-user.target.wants/pocbake-check.service",
                                "/etc/systemd/system/pocbake-check.service");
        } else if (rc >= 0) {
                rc = rootfs_write(rootfd, "/etc/init.d/S99pocbake-check", busybox_hook,
                                  strlen(busybox_hook), 0755, 0, 0);
        }
        return rc < 0 ? diag_err(d, rc, "role %s: cannot write its check: %s", r->name,
                                 strerror(-rc))
                      : 0;
}
