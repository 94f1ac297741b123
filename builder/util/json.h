/* json.h: JSON string escaping onto a stdio stream (events, manifests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON-escaped copy of s, with the quotes. */
void json_put_str(FILE *f, const char *s);
