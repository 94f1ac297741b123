/* shared.c: what stage.c and the base sources share: input files checked and hashed, host name. */
#include "base.h"
#include "extract.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hash.h"

char *stage_hostname(const struct role *r)
{
        char *h = strdup(r->hostname ? r->hostname : r->name);

        for (char *c = h; c && !r->hostname && *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return h;
}

int base_check_file(const struct mark *m, const char *what, const char *path, struct diag *d)
{
        struct stat st;

        if (!path)
                return diag_at(d, m, "%s: no path given", what);
        if (stat(path, &st) < 0)
                return diag_at(d, m, "%s: \"%s\": %s", what, path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_at(d, m, "%s: \"%s\" is not a regular file", what, path);
        if (access(path, R_OK) < 0)
                return diag_at(d, m, "%s: \"%s\": %s", what, path, strerror(errno));
        return 0;
}

int base_hash_file(const struct mark *m, const char *what, const char *path, struct hasher *h,
                   struct diag *d)
{
        int r;

        hasher_str(h, what);
        r = hasher_file(h, path);
        return r < 0 ? diag_at(d, m, "%s: \"%s\": %s", what, path, strerror(-r)) : 0;
}

int base_check_path(const struct role *r, const char *name, struct diag *d)
{
        char what[32];

        snprintf(what, sizeof(what), "base %s", name);
        if (!r->base.path)
                return diag_at(d, &r->base.mark, "%s: no path given (expected %s: FILE)", what,
                               name);
        return base_check_file(&r->base.mark, what, r->base.path, d);
}

int base_hash_path(const struct role *r, const char *name, struct hasher *h, struct diag *d)
{
        char what[32];

        snprintf(what, sizeof(what), "base %s", name);
        return base_hash_file(&r->base.mark, what, r->base.path, h, d);
}

/* An archive's bytes checked at validate time, the message at the recipe line. */
int probe_at(const struct mark *m, const char *what, const char *path, struct diag *d)
{
        struct diag tmp = {0};
        int r = extract_probe(path, &tmp);

        if (r < 0)
                diag_at(d, m, "%s %s", what, tmp.n ? tmp.msgs[0] : path);
        diag_release(&tmp);
        return r;
}
