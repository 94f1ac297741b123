/* dpkg.h: the installed packages of a Debian root, from /var/lib/dpkg/status (untrusted bytes). */
#pragma once

#include <stddef.h>

#include "util/diag.h"

struct dpkg_pkg {
        char *name;
        char *version;
        char *arch; /* "" when the stanza has none */
};

/* Packages whose Status is "... installed", sorted by name and architecture.
 * Every value is checked (Debian's name and version syntax, printable ASCII);
 * a bad stanza is an error naming "status_path:LINE". */
int dpkg_status_packages(const char *status_path, struct dpkg_pkg **out, size_t *n, struct diag *d);
/* The same over bytes in memory; what names them in messages. */
int dpkg_status_parse(const char *buf, size_t len, const char *what, struct dpkg_pkg **out,
                      size_t *n, struct diag *d);
void dpkg_pkgs_free(struct dpkg_pkg *v, size_t n);
