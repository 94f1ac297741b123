/* gfs.c: finding libguestfs's functions at run time (dlopen), the first time they are needed. */
#define GFS_NO_REDIRECT
#include "gfs.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#define GFS_DEFINE(f) __typeof__(f) *gfs_p_##f;
GFS_FUNCS(GFS_DEFINE)
#undef GFS_DEFINE

int gfs_load(struct diag *d)
{
        static bool loaded;
        void *lib;

        if (loaded)
                return 0;
        lib = dlopen("libguestfs.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return diag_err(
                        d, -ENOENT,
                        "cannot load libguestfs: %s (install libguestfs0 with scripts/deps)",
                        dlerror());
#define GFS_LOOKUP(f)                                                                              \
        if (!(gfs_p_##f = (__typeof__(f) *)dlsym(lib, #f)))                                        \
                return diag_err(d, -ENOENT,                                                        \
                                "libguestfs has no %s (expected libguestfs 1.48 or later)", #f);
        GFS_FUNCS(GFS_LOOKUP)
#undef GFS_LOOKUP
        loaded = true;
        return 0;
}
