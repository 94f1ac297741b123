/* exit.c: the one mapping from errno-style results to pocbake's exit codes. */
#include <errno.h>

#include "cmd.h"
#include "util/diag.h"

int exit_code(int rc)
{
        if (rc >= 0)
                return EXIT_DONE;
        switch (-rc) {
        case EINVAL:
        case ENOENT:
        case ENOTDIR:
        case EISDIR:
        case ELOOP:
        case ENAMETOOLONG:
        case E2BIG:
        case EFBIG:
        case EEXIST:
        case EPERM: return EXIT_USAGE;
        default: return EXIT_FAILED;
        }
}

int cmd_finish(struct diag *d, const char *prefix, int rc)
{
        diag_print(d, prefix);
        diag_release(d);
        return exit_code(rc);
}
