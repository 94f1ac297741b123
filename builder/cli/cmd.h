/* cmd.h: the verbs of the pocbake command line; each returns the process exit code. */
#pragma once

enum {
        EXIT_DONE = 0,   /* done */
        EXIT_FAILED = 1, /* a build or a verification failed */
        EXIT_USAGE = 2,  /* bad usage or a bad recipe */
};

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_boot(int argc, char **argv);
/* builder/sign */
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keys(int argc, char **argv);
/* builder/boot */
int cmd_initrd(int argc, char **argv);
int cmd_uki(int argc, char **argv);
int cmd_esp(int argc, char **argv);
/* builder/guest */
int cmd_inspect(int argc, char **argv);
int cmd_verify_image(int argc, char **argv); /* a row of "pocbake verify" */
/* builder/media */
int cmd_pxe(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_verify_pxe(int argc, char **argv);
int cmd_verify_bundle(int argc, char **argv);
int cmd_iso(int argc, char **argv);
