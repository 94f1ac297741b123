/* size.h: byte sizes as recipes write them ("512M", "2GiB", "4096"). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SIZE_STR 32

/* A decimal integer with an optional binary suffix K, M, G, T (or KiB, MiB, GiB,
 * TiB); no suffix means bytes. Returns 0, -EINVAL for anything else (empty,
 * negative, a fraction, an unknown suffix), or -ERANGE past 2^64-1. */
int parse_size(const char *s, uint64_t *out);
/* Human form into buf: the largest unit that divides v exactly ("512M", "3G",
 * "1536K"), else bytes; returns buf. */
char *format_size(uint64_t v, char *buf, size_t len);
/* For people: "1.4 GiB", "40 MiB", "512 B" (one decimal below 100 when not whole). */
const char *human_size(uint64_t v, char *buf, size_t len);
