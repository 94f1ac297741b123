/* cmd.h: the verbs of the pocbake command line; each returns the process exit code. */
#pragma once

#include <stddef.h>

enum {
        EXIT_DONE = 0,   /* done */
        EXIT_FAILED = 1, /* a build or a verification failed */
        EXIT_USAGE = 2,  /* bad usage or a bad recipe */
};

struct diag;
struct load_opts;

/* The one mapping from a verb's result to its exit code: 0 done; 2 when what
 * the user gave is wrong (-EINVAL: a bad option, recipe or value; -ENOENT,
 * -ENOTDIR, -EISDIR, -ELOOP, -ENAMETOOLONG: a named input that is not there;
 * -E2BIG, -EFBIG: an input too large; -EEXIST: an output that would be
 * overwritten; -EPERM: a private key others can read); 1 for everything else
 * (a build, a verification or a boot that failed, a full disk, ...). */
int exit_code(int rc);
/* The load options of a verb that reads a recipe: its profile, the deliverables
 * an appliance may ask for (names, room for n_names, is filled), the directories
 * its paths may lead into besides its own tree. Returns the shipped recipes'
 * directory the options point at (malloc'd; NULL when there is none). */
char *cmd_load_opts(struct load_opts *lo, const char *profile, const char *const *allow,
                    size_t n_allow, const char **names, size_t n_names);
/* Print d's messages with prefix, release d, and return exit_code(rc). */
int cmd_finish(struct diag *d, const char *prefix, int rc);
/* A usage error of verb ("build", "verify efi"), one line on stderr:
 * "pocbake VERB: WHAT (see pocbake VERB --help)". Returns EXIT_USAGE. */
int cmd_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long (opterr 0, which main sets) returned '?' for verb: one line naming
 * the unknown option, and the nearest known one when it looks like a typo, or
 * the option whose value is missing. Returns EXIT_USAGE. */
struct option;
/* What an option takes, for the message when its value is refused. */
struct value_hint {
        int opt;
        const char *name, *want; /* "--accel", "auto, kvm or tcg" */
};
/* A value refused for option opt of verb: "OPTION "VALUE": expected WANT" from
 * hints (n of them), or "bad value". Returns EXIT_USAGE. */
int cmd_bad_value(const char *verb, const struct value_hint *hints, size_t n, int opt,
                  const char *value);
int cmd_bad_option(const char *verb, const char *shortopts, const struct option *opts, char **argv);

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_initrd(int argc, char **argv);
int cmd_uki(int argc, char **argv);
int cmd_esp(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify_image(int argc, char **argv); /* a row of "pocbake verify" */
int cmd_pxe(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_verify_pxe(int argc, char **argv);
int cmd_verify_bundle(int argc, char **argv);
int cmd_iso(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_burn(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_complete(int argc, char **argv); /* not listed: for shell completion */
int cmd_status(int argc, char **argv);
