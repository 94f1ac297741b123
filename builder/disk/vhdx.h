/* vhdx.h: qemu-img's VHDX output made reproducible (private to disk/). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/diag.h"

/* fd: a VHDX file qemu-img just wrote (read-write). Replaces FileWriteGuid,
 * DataWriteGuid and the Virtual Disk ID with GUIDs derived from seed, makes
 * the header sequence numbers start at 1, empties the (inactive) log, and
 * recomputes the header checksums. name is for messages. Every structure is
 * checked (signature, checksum, offsets inside the file) before it is used. */
int vhdx_make_stable(int fd, const char *seed, const char *name, struct diag *d);

/* Whether the VHDX in fd (file_size bytes) is a differencing disk: its metadata
 * has a parent locator, naming another file. Every offset is checked. */
int vhdx_has_parent(int fd, uint64_t file_size, const char *name, bool *parent, struct diag *d);
