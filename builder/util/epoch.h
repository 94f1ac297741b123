/* epoch.h: the build's clock: the one reader of SOURCE_DATE_EPOCH. */
#pragma once

#include <stdint.h>

#include "diag.h"

/* 1980-01-01T00:00:00Z: the earliest time every format we write can store (FAT
 * and zip stamps start there), used when SOURCE_DATE_EPOCH is unset or empty. */
#define EPOCH_DEFAULT 315532800ULL
/* 9999-12-31T23:59:59Z: ISO 9660 and RFC 3339 dates end there. */
#define EPOCH_MAX 253402300799ULL

/* SOURCE_DATE_EPOCH as seconds since 1970, EPOCH_DEFAULT when unset; -EINVAL
 * with a message naming the value when it is not a whole number in range. */
int epoch_from_env(uint64_t *out, struct diag *d);
/* "YYYY-MM-DDThh:mm:ssZ". */
void epoch_iso8601(uint64_t epoch, char out[32]);
