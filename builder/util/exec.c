/* exec.c: fork/exec of external tools with their output kept for error messages. */
#include "exec.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define TAIL_MAX 4000

struct buf {
        char *p;
        size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                char *np;

                while (cap < b->len + n + 1)
                        cap *= 2;
                np = realloc(b->p, cap);
                if (!np)
                        return -ENOMEM;
                b->p = np;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = 0;
        return 0;
}

static char **build_env(const char *const *extra)
{
        size_t n = 0, m = 0, k = 0;
        char **env;

        while (environ[n])
                n++;
        while (extra && extra[m])
                m++;
        env = calloc(n + m + 1, sizeof(*env));
        if (!env)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                size_t l = strcspn(environ[i], "=");
                int overridden = 0;

                for (size_t j = 0; j < m; j++)
                        if (strncmp(extra[j], environ[i], l) == 0 && extra[j][l] == '=')
                                overridden = 1;
                if (!overridden)
                        env[k++] = environ[i];
        }
        for (size_t j = 0; j < m; j++)
                env[k++] = (char *)extra[j];
        return env;
}

void die_with_parent(pid_t parent)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(125);
}

static void child(const char *const argv[], const struct run_opts *o, int outfd, int errfd,
                  char **env, pid_t parent)
{
        int in;

        die_with_parent(parent);
        in = open(o && o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);

        if (in < 0 || dup2(in, 0) < 0)
                _exit(126);
        if (o && o->stdout_path) {
                int fd = open(o->stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (fd < 0 || dup2(fd, 1) < 0)
                        _exit(126);
        } else if (dup2(outfd, 1) < 0)
                _exit(126);
        if (dup2(errfd, 2) < 0)
                _exit(126);
        if (o && o->cwd && chdir(o->cwd) < 0)
                _exit(126);
        signal(SIGPIPE, SIG_DFL);
        execvpe(argv[0], (char *const *)argv, env);
        _exit(errno == ENOENT ? 127 : 126);
}

/* Read the child's stdout and stderr until both close. */
static int drain(int outfd, int errfd, struct buf *out, struct buf *err)
{
        struct pollfd p[2] = {{outfd, POLLIN, 0}, {errfd, POLLIN, 0}};
        char tmp[65536];

        while (p[0].fd >= 0 || p[1].fd >= 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < 2; i++) {
                        ssize_t n;

                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        n = read(p[i].fd, tmp, sizeof(tmp));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                p[i].fd = -1;
                                continue;
                        }
                        if (buf_add(i == 0 ? out : err, tmp, (size_t)n) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static void report(struct diag *d, const char *tool, int status, const struct buf *out,
                   const struct buf *err)
{
        const struct buf *b = err->len ? err : out;
        const char *tail = b->p ? b->p : "";
        size_t len = b->len;

        if (len > TAIL_MAX) {
                tail += len - TAIL_MAX;
                len = TAIL_MAX;
        }
        while (len && (tail[len - 1] == '\n' || tail[len - 1] == ' '))
                len--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !have_program(tool))
                diag_err(d, 0, "%s: not found in PATH (install it with scripts/deps)", tool);
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                /* the tool is there: a script that could not find a program it runs */
                diag_err(d, 0, "%s failed (exit 127: a program it runs is missing)%s%.*s", tool,
                         len ? ": " : "", (int)len, tail);
        else if (WIFEXITED(status))
                diag_err(d, 0, "%s failed (exit %d)%s%.*s", tool, WEXITSTATUS(status),
                         len ? ": " : "", (int)len, tail);
        else
                diag_err(d, 0, "%s killed by signal %d%s%.*s", tool, WTERMSIG(status),
                         len ? ": " : "", (int)len, tail);
}

int run_capture(const char *const argv[], const struct run_opts *o, char **out, struct diag *d)
{
        int op[2] = {-1, -1}, ep[2] = {-1, -1}, status = 0, r;
        struct buf bo = {0}, be = {0};
        _cleanup_free_ char **env = build_env(o ? o->env : NULL);
        pid_t pid, parent;

        if (!env)
                return diag_err(d, -ENOMEM, "out of memory");
        if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        parent = getpid();
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0)
                child(argv, o, op[1], ep[1], env, parent);
        close(op[1]);
        close(ep[1]);
        op[1] = ep[1] = -1;
        r = drain(op[0], ep[0], &bo, &be);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                goto fail;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                report(d, argv[0], status, &bo, &be);
                r = (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !have_program(argv[0]))
                            ? -ENOENT
                            : -EIO;
                goto done;
        }
        if (out) {
                *out = bo.p ? bo.p : strdup("");
                bo.p = NULL;
        }
        r = 0;
        goto done;
fail:
        diag_err(d, r, "cannot run %s: %s", argv[0], strerror(-r));
done:
        for (int i = 0; i < 2; i++) {
                if (op[i] >= 0)
                        close(op[i]);
                if (ep[i] >= 0)
                        close(ep[i]);
        }
        free(bo.p);
        free(be.p);
        return r;
}

int run_argv(const char *const argv[], const struct run_opts *o, struct diag *d)
{
        return run_capture(argv, o, NULL, d);
}

int have_program(const char *prog)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path ? path : "/usr/bin:/bin");
        char *save = NULL;

        if (!copy)
                return 0;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", dir, prog) >= 0 && access(p, X_OK) == 0)
                        return 1;
        }
        return 0;
}

char *sh_quote(const char *s)
{
        size_t n = 3;
        char *o, *p;

        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        o = malloc(n);
        if (!o)
                return NULL;
        p = o;
        *p++ = '\'';
        for (const char *c = s; *c; c++) {
                if (*c == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else {
                        *p++ = *c;
                }
        }
        *p++ = '\'';
        *p = 0;
        return o;
}
