/* fanout.h: one byte stream compressed by several sinks, a thread each (private to media/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/diag.h"

struct fanout;

enum fanout_codec { FANOUT_ZSTD, FANOUT_GZIP };

/* At most FANOUT_SINKS sinks; each compresses the whole stream into its fd
 * (zstd level 3 with long-distance matching, one thread; gzip level 1 with
 * no name or time in its header). */
#define FANOUT_SINKS 2

int fanout_new(struct fanout **f, struct diag *d);
/* Before the first fanout_write. path names the output in messages. */
int fanout_add(struct fanout *f, int fd, const char *path, enum fanout_codec c, struct diag *d);
/* Copy n bytes into the stream; blocks while every buffer waits for a sink. */
int fanout_write(struct fanout *f, const void *p, size_t n);
/* End the stream, wait for the sinks, and report the first sink's error. */
int fanout_finish(struct fanout *f, struct diag *d);
/* Ends and joins the sinks if fanout_finish was not called. Accepts NULL. */
void fanout_free(struct fanout *f);
