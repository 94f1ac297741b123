/* exec.h: run external tools from argv arrays, never through a shell. */
#pragma once

#include <sys/types.h>

#include "diag.h"

struct run_opts {
        const char *const *env; /* extra "NAME=value" entries, NULL-terminated */
        const char *cwd;
        const char *stdin_path;  /* NULL: /dev/null */
        const char *stdout_path; /* NULL: stdout is kept with stderr for messages */
};

/* Run argv[0] (looked up in PATH) with argv. On a non-zero exit or a signal, adds
 * "TOOL failed (exit N): <last lines of its output>" to d and returns -EIO.
 * A tool that cannot be started gives -ENOENT with a message naming it. */
int run_argv(const char *const argv[], const struct run_opts *o, struct diag *d);

/* As run_argv, and hands back what the tool printed on stdout (NUL-terminated). */
int run_capture(const char *const argv[], const struct run_opts *o, char **out, struct diag *d);

/* In a child just forked from parent: killed (SIGKILL) when its parent dies, and
 * gone at once if the parent already did. pocbake's workers and every tool they
 * run die with the build that started them. */
void die_with_parent(pid_t parent);

/* 1 when PROG is found in PATH. */
int have_program(const char *prog);

/* s in single quotes for a POSIX shell script pocbake writes (a quote inside
 * becomes '\\''); malloc'd, NULL when out of memory. */
char *sh_quote(const char *s);
