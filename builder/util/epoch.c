/* epoch.c: SOURCE_DATE_EPOCH, read in one place with one default. */
#include "epoch.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "parse.h"

int epoch_from_env(uint64_t *out, struct diag *d)
{
        const char *s = getenv("SOURCE_DATE_EPOCH");

        *out = EPOCH_DEFAULT;
        if (!s || !*s)
                return 0;
        if (parse_uint(s, 0, EPOCH_MAX, out) < 0) {
                *out = EPOCH_DEFAULT;
                return diag_err(d, -EINVAL,
                                "SOURCE_DATE_EPOCH \"%s\": expected whole seconds since 1970 "
                                "(0 to %llu)",
                                s, (unsigned long long)EPOCH_MAX);
        }
        return 0;
}

void epoch_iso8601(uint64_t epoch, char out[32])
{
        time_t t = (time_t)epoch;
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
