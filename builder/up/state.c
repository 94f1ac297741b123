/* state.c: OUT/up/state (namespace, VMs and their pids, checks) and reading console logs. */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

static char *state_path(const char *out)
{
        char *p = NULL;

        return asprintf(&p, "%s/up/state", out) < 0 ? NULL : p;
}

int state_write(const char *out, const struct up_state *s)
{
        _cleanup_free_ char *path = state_path(out), *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!path || !f) {
                if (f)
                        fclose(f);
                return -ENOMEM;
        }
        fprintf(f, "# pocbake up: what runs from this directory (pocbake status, pocbake down)\n");
        fprintf(f, "netns %s\n", s->netns);
        for (size_t i = 0; i < s->n_vms; i++)
                fprintf(f, "vm %s %ld\n", s->vms[i].name, (long)s->vms[i].pid);
        for (size_t i = 0; i < s->n_checks; i++)
                fprintf(f, "check %s %s\n", s->checks[i].name, s->checks[i].from);
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_atomic(path, text, len, 0644);
}

static int grow(void **arr, size_t n, size_t size)
{
        void *p = realloc(*arr, (n + 1) * size);

        if (!p)
                return -ENOMEM;
        *arr = p;
        memset((char *)p + n * size, 0, size);
        return 0;
}

static int state_line(char *l, struct up_state *s)
{
        char a[STATE_NAME_MAX], b[STATE_NAME_MAX];
        long pid;

        if (!*l || *l == '#')
                return 0;
        if (sscanf(l, "netns %23s", s->netns) == 1)
                return 0;
        if (sscanf(l, "vm %63s %ld", a, &pid) == 2 && pid > 1) {
                if (grow((void **)&s->vms, s->n_vms, sizeof(*s->vms)) < 0)
                        return -ENOMEM;
                snprintf(s->vms[s->n_vms].name, STATE_NAME_MAX, "%s", a);
                s->vms[s->n_vms++].pid = (pid_t)pid;
                return 0;
        }
        if (sscanf(l, "check %63s %63s", a, b) == 2) {
                if (grow((void **)&s->checks, s->n_checks, sizeof(*s->checks)) < 0)
                        return -ENOMEM;
                snprintf(s->checks[s->n_checks].name, STATE_NAME_MAX, "%s", a);
                snprintf(s->checks[s->n_checks++].from, STATE_NAME_MAX, "%s", b);
                return 0;
        }
        return -EBADMSG;
}

int state_read(const char *out, struct up_state *s, struct diag *d)
{
        _cleanup_free_ char *path = state_path(out), *text = NULL;
        char *save = NULL;
        int rc;

        memset(s, 0, sizeof(*s));
        if (!path)
                return -ENOMEM;
        rc = read_file(path, &text, NULL);
        if (rc < 0)
                return rc;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                rc = state_line(l, s);
                if (rc == -EBADMSG)
                        return diag_err(d, rc, "%s: cannot read \"%s\"", path, l);
                if (rc < 0)
                        return rc;
        }
        if (!s->netns[0])
                return diag_err(d, -EBADMSG, "%s: no netns line", path);
        return 0;
}

void state_release(struct up_state *s)
{
        free(s->vms);
        free(s->checks);
        memset(s, 0, sizeof(*s));
}

int state_remove(const char *out)
{
        _cleanup_free_ char *path = state_path(out);

        if (!path)
                return -ENOMEM;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

bool state_vm_alive(pid_t pid)
{
        _cleanup_free_ char *p = NULL;
        char exe[256];
        ssize_t n;

        if (pid <= 1 || asprintf(&p, "/proc/%ld/exe", (long)pid) < 0)
                return false;
        n = readlink(p, exe, sizeof(exe) - 1);
        if (n < 0)
                return false;
        exe[n] = 0;
        return strstr(exe, "qemu-system") != NULL;
}

char *log_read(const char *path, size_t *len)
{
        char *text = NULL;
        size_t n = 0;

        if (read_file(path, &text, &n) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!text[i])
                        text[i] = '\n';
        if (len)
                *len = n;
        return text;
}

int log_result(const char *text, const char *name)
{
        _cleanup_free_ char *ok = NULL, *bad = NULL;

        if (!text || asprintf(&ok, "POCBAKE-CHECK %s ok", name) < 0 ||
            asprintf(&bad, "POCBAKE-CHECK %s failed", name) < 0)
                return 0;
        if (strstr(text, ok))
                return 1;
        return strstr(text, bad) ? -1 : 0;
}
