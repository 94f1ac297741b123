/* parse.c: whole numbers from command-line options and environment variables. */
#include "parse.h"

#include <errno.h>

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        if (v < min || v > max)
                return -ERANGE;
        *out = v;
        return 0;
}
