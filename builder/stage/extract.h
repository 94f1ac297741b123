/* extract.h: untrusted archives unpacked into a root tree (private to stage/). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/diag.h"

struct extract_opts {
        bool allow_devices;       /* device nodes and FIFOs */
        bool allow_setuid;        /* setuid/setgid bits */
        uint64_t *budget;         /* bytes of file data the root may still take, lowered
                                   * as data is written (holes of sparse entries cost
                                   * nothing); past it the extraction stops. NULL: none */
        const char *strip_prefix; /* e.g. "./" handled always; NULL = none. With a
                                   * prefix ("rootfs"), entries outside it are skipped
                                   * and hard link targets are stripped the same way */
};

/* Whether path is an archive extract_archive takes: a tar or a cpio, plain or
 * compressed with gzip, xz, zstd or bzip2, judged by its bytes (its first header
 * is read), not by its name. -EINVAL with a message saying what was expected. */
int extract_probe(const char *path, struct diag *d);

/* Extract every entry of archive (tar or cpio, see extract_probe) under
 * root. Refused, naming the entry and the archive: an absolute path, a ".."
 * component, a symlink or hard link leading out of root, writing through a
 * symlink, a device node or setuid file not allowed by o. Owners and modes come
 * from the archive. Nothing outside root is ever touched. */
int extract_archive(const char *archive, const char *root, const struct extract_opts *o,
                    struct diag *d);
/* The same over an archive already in memory (fuzzing, .deb members). */
int extract_archive_mem(const void *buf, size_t len, const char *name, const char *root,
                        const struct extract_opts *o, struct diag *d);

/* The same over a reader the caller has opened (formats and filters chosen by
 * it), e.g. the data member of a .deb streamed out of its ar container. The
 * reader is consumed but not freed. */
struct archive;
int extract_archive_stream(struct archive *in, const char *name, const char *root,
                           const struct extract_opts *o, struct diag *d);
