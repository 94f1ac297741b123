/* cleanup.h: scope-bound cleanup helpers for pocbake's C sources. */
#pragma once

#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **)p);
}
static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

#define _cleanup_free_     _cleanup_(freep)
#define _cleanup_close_    _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -1;                                                                         \
                _tf;                                                                               \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Define a cleanup function for a library type whose destructor takes T *. */
#define DEFINE_TRIVIAL_CLEANUP(type, func)                                                         \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }
