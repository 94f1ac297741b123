/* objstore.h: cache objects as OCI artifacts: one manifest per content key, the object's files as
 * blobs. */
#pragma once

#include "registry.h"

#define OCI_OBJECT_ARTIFACT "application/vnd.pocbake.object.v1"

/* Push the cache object dir (what it holds recorded in the treesum manifest) as
 * the artifact tagged key, unless the registry has that tag already. Each entry of
 * dir is a layer titled by its name: a regular file as its bytes (gzip'd when it
 * is mostly holes), a directory as a gzip'd tar (owners, modes, times, links,
 * extended attributes). scratch: a directory for the temporary files. */
int oci_object_push(struct oci_remote *r, const char *key, const char *node, const char *dir,
                    const char *manifest, const char *scratch, struct diag *d);

/* Whether the registry has an object for key (0) or not (-ENOENT). */
int oci_object_exists(struct oci_remote *r, const char *key, struct diag *d);

/* Fetch the artifact tagged key into dir (an empty directory; the process's
 * working directory changes to it while a tar layer is unpacked, so call it in a
 * process of its own) and write its treesum manifest. Every blob is checked
 * against its digest, and the files unpacked against the digests the pushing
 * build recorded: -EBADMSG, with a message naming what differs, when one does not
 * match; -ENOENT when the registry has no such object. */
int oci_object_pull(struct oci_remote *r, const char *key, const char *dir, const char *manifest,
                    struct diag *d);
