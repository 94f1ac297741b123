/* size.c: parsing and printing byte sizes with binary suffixes. */
#include "size.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char units[] = "KMGT";

/* The shift of a suffix: "" -> 0, "K"/"KiB" -> 10, ... ; -1 when unknown. */
static int suffix_shift(const char *s)
{
        const char *u;

        if (!*s)
                return 0;
        u = strchr(units, *s);
        if (!u || !*u)
                return -1;
        if (s[1] && strcmp(s + 1, "iB"))
                return -1;
        return 10 * (int)(u - units + 1);
}

int parse_size(const char *s, uint64_t *out)
{
        uint64_t v = 0;
        const char *p = s;
        int shift;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        shift = suffix_shift(p);
        if (shift < 0)
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *out = v << shift;
        return 0;
}

char *format_size(uint64_t v, char *buf, size_t len)
{
        int i = 4;

        while (i > 0 && (v == 0 || v & ((UINT64_C(1) << (10 * i)) - 1)))
                i--;
        if (i == 0)
                snprintf(buf, len, "%llu", (unsigned long long)v);
        else
                snprintf(buf, len, "%llu%c", (unsigned long long)(v >> (10 * i)), units[i - 1]);
        return buf;
}

const char *human_size(uint64_t v, char *buf, size_t len)
{
        static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double x = (double)v;
        size_t u = 0;

        while (x >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
                x /= 1024;
                u++;
        }
        if (u == 0 || x >= 100 || x == (double)(uint64_t)x)
                snprintf(buf, len, "%.0f %s", x, unit[u]);
        else
                snprintf(buf, len, "%.1f %s", x, unit[u]);
        return buf;
}
