/* parse.h: whole numbers from command-line options and environment variables. */
#pragma once

#include <stdint.h>

/* A decimal number in [min, max], digits only (no sign, no blanks, no suffix).
 * Returns 0, -EINVAL when s is not such a number, -ERANGE outside the bounds. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
