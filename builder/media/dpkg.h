/* dpkg.h: the installed packages of a Debian root, from /var/lib/dpkg/status (untrusted bytes). */
#pragma once

#include <stddef.h>

#include "util/diag.h"

struct dpkg_pkg {
        char *name;
        char *version;
        char *arch;    /* "" when the stanza has none */
        char *license; /* an SPDX expression, or NULL: not known (dpkg_licenses) */
};

/* Packages whose Status is "... installed", sorted by name and architecture.
 * Every value is checked (Debian's name and version syntax, printable ASCII);
 * a bad stanza is an error naming "status_path:LINE". */
int dpkg_status_packages(const char *status_path, struct dpkg_pkg **out, size_t *n, struct diag *d);
/* The same over bytes in memory; what names them in messages. */
int dpkg_status_parse(const char *buf, size_t len, const char *what, struct dpkg_pkg **out,
                      size_t *n, struct diag *d);
void dpkg_pkgs_free(struct dpkg_pkg *v, size_t n);
/* The license of a package's "Files: *" as an SPDX expression, from the bytes
 * of a machine-readable /usr/share/doc/NAME/copyright (untrusted), malloc'd;
 * NULL when the file is not machine-readable or names a license without an
 * SPDX id. */
char *dpkg_copyright_license(const char *buf, size_t len);
/* Each package's license from root's copyright files (root "/" for the build
 * host); unknown ones stay NULL. */
int dpkg_licenses(const char *root, struct dpkg_pkg *v, size_t n);
/* The package that owns each of paths (as dpkg lists it, e.g. /bin/busybox), from
 * admindir's info/NAME.list files: owners[i] malloc'd, NULL when none does. */
int dpkg_owners(const char *admindir, const char *const *paths, size_t n, char **owners);
