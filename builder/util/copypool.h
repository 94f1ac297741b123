/* copypool.h: file copies handed to the other cores while the caller walks on. */
/* A job owns two open descriptors; it copies the data sparsely, then sets owner 0:0 and the
 * mode, and closes both. Used where a tree is staged file by file. */
#pragma once

#include <sys/types.h>

struct copy_pool;

/* NULL when no thread could be started: copy_pool_add then copies in the caller. */
struct copy_pool *copy_pool_start(void);
/* Takes in and out (closed in every case). rel names the file in the error kept for
 * copy_pool_finish. Without a pool the copy runs here: its error is returned and *what
 * says which step failed ("copy", "set owner and mode"). -ECANCELED: an earlier job
 * failed; stop adding and ask copy_pool_finish. */
int copy_pool_add(struct copy_pool *p, int in, int out, off_t size, mode_t mode, const char *rel,
                  const char **what);
/* Waits for every job; on failure *rel (malloc'd) names the first failed file in the
 * order the jobs were added, *what the step, and the return is its -errno. Frees p. */
int copy_pool_finish(struct copy_pool *p, char **rel, const char **what);
