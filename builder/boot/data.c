/* data.c: finding pocbake's data files in the source tree or the install prefix. */
#include "data.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

#ifndef POCBAKE_DATADIR
#define POCBAKE_DATADIR "/usr/local/share/pocbake"
#endif

static char *try_dir(const char *dir, const char *rel)
{
        char *p;

        if (!dir || !*dir)
                return NULL;
        p = path_join(dir, rel);
        if (p && access(p, R_OK) == 0)
                return p;
        free(p);
        return NULL;
}

char *data_path(const char *rel)
{
        char exe[PATH_MAX];
        ssize_t n;
        char *p;

        p = try_dir(getenv("POCBAKE_DATADIR"), rel);
        if (p)
                return p;
        /* build/pocbake (or build-X/pocbake) sits one level below the tree; an
         * installed PREFIX/bin/pocbake finds PREFIX/share/pocbake, whatever PREFIX
         * it was built for */
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                _cleanup_free_ char *bindir = NULL, *top = NULL, *share = NULL;

                exe[n] = 0;
                bindir = path_dirname(exe);
                top = bindir ? path_dirname(bindir) : NULL;
                p = try_dir(top, rel);
                if (p)
                        return p;
                share = top ? path_join(top, "share/pocbake") : NULL;
                p = try_dir(share, rel);
                if (p)
                        return p;
        }
        p = try_dir(POCBAKE_DATADIR, rel);
        if (!p)
                errno = ENOENT;
        return p;
}
