/* checks.c: the appliance checks a VM runs, as the script on its pocbake-checks disk. */
#include "checks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

/* Each check retries until its output holds what it expects or its time is up,
 * all of them at once (peers may still be booting); a failure shows the last
 * lines of output, each prefixed "pocbake-check NAME: ". */
static const char runner[] =
        "run() {\n"
        "        name=$1 limit=$2 expect=$3 cmd=$4\n"
        "        end=$(($(cut -d. -f1 /proc/uptime) + limit))\n"
        "        while :; do\n"
        "                out=$(sh -c \"$cmd\" 2>&1) && case \"$out\" in *\"$expect\"*)\n"
        "                        echo \"POCBAKE-CHECK $name ok\"\n"
        "                        return 0 ;;\n"
        "                esac\n"
        "                if [ \"$(cut -d. -f1 /proc/uptime)\" -ge \"$end\" ]; then\n"
        "                        printf '%s\\n' \"$out\" | tail -n 20 | sed \"s/^/pocbake-check "
        "$name: /\"\n"
        "                        echo \"POCBAKE-CHECK $name failed\"\n"
        "                        return 1\n"
        "                fi\n"
        "                sleep 3\n"
        "        done\n"
        "}\n";

static int body(FILE *f, const struct appliance *a, const char *from)
{
        fprintf(f, "# appliance checks run in %s; written by pocbake up\n%s", from, runner);
        for (size_t i = 0; i < a->n_checks; i++) {
                const struct app_check *k = &a->checks[i];
                _cleanup_free_ char *name = sh_quote(k->name), *expect = NULL, *cmd = NULL;

                if (strcmp(k->from, from))
                        continue;
                expect = sh_quote(k->expect ? k->expect : "");
                cmd = sh_quote(k->command);
                if (!name || !expect || !cmd)
                        return -ENOMEM;
                fprintf(f, "run %s %u %s %s &\n", name, k->timeout, expect, cmd);
        }
        fprintf(f, "wait\nexit 0\n");
        return 0;
}

size_t checks_count(const struct appliance *a, const char *from)
{
        size_t n = 0;

        for (size_t i = 0; i < a->n_checks; i++)
                n += !strcmp(a->checks[i].from, from);
        return n;
}

int checks_disk(const struct appliance *a, const char *from, const char *path)
{
        _cleanup_free_ char *text = NULL, *disk = NULL;
        size_t len = 0, total, head_len;
        char head[48];
        FILE *f = open_memstream(&text, &len);
        int rc;

        if (!f)
                return -ENOMEM;
        rc = body(f, a, from);
        if (fclose(f) != 0 || rc < 0)
                return -ENOMEM;
        /* the first line counts the whole script, itself included */
        total = len;
        do {
                head_len = (size_t)snprintf(head, sizeof(head), "# pocbake-checks %zu\n", total);
                total = head_len + len;
        } while ((size_t)snprintf(head, sizeof(head), "# pocbake-checks %zu\n", total) != head_len);
        /* QEMU sees a raw disk in whole sectors: pad with zeros */
        disk = calloc(1, (total + 511) / 512 * 512);
        if (!disk)
                return -ENOMEM;
        memcpy(disk, head, head_len);
        memcpy(disk + head_len, text, len);
        return write_file_atomic(path, disk, (total + 511) / 512 * 512, 0644);
}
