/* dpkg.c: the installed packages of a Debian root, from /var/lib/dpkg/status (untrusted bytes). */
#include "dpkg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "media.h"

/* A status file of a big root is a few MB; the bounds keep a hostile one cheap. */
#define STATUS_MAX (64u << 20)
#define PKGS_MAX   100000
#define VALUE_MAX  256

/* The fields of the stanza being read; values point into the buffer. */
struct stanza {
        const char *name, *version, *arch, *status;
        size_t name_len, version_len, arch_len, status_len;
        size_t line; /* where it starts */
};

struct pkgs {
        struct dpkg_pkg *v;
        size_t n, cap;
};

static bool all_in(const char *s, size_t n, const char *set)
{
        for (size_t i = 0; i < n; i++)
                if (!s[i] || !strchr(set, s[i]))
                        return false;
        return true;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define UPPER        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static bool installed(const struct stanza *st)
{
        /* "want flag status": the last word */
        static const char word[] = " installed";
        size_t n = sizeof(word) - 1;

        return st->status_len >= n && !memcmp(st->status + st->status_len - n, word, n);
}

static int check_stanza(const struct stanza *st, const char *what, struct diag *d)
{
        if (!st->name || st->name_len < 2 || st->name_len > VALUE_MAX ||
            !all_in(st->name, 1, LOWER_DIGITS) ||
            !all_in(st->name, st->name_len, LOWER_DIGITS "+-."))
                return diag_err(d, -EBADMSG, "%s:%zu: bad or missing Package name", what, st->line);
        if (!st->version || !st->version_len || st->version_len > VALUE_MAX ||
            !all_in(st->version, st->version_len, LOWER_DIGITS UPPER ".+-~:"))
                return diag_err(d, -EBADMSG, "%s:%zu: package \"%.*s\": bad or missing Version",
                                what, st->line, (int)st->name_len, st->name);
        if (st->arch && (st->arch_len > 64 || !all_in(st->arch, st->arch_len, LOWER_DIGITS "-")))
                return diag_err(d, -EBADMSG, "%s:%zu: package \"%.*s\": bad Architecture", what,
                                st->line, (int)st->name_len, st->name);
        return 0;
}

static int add(struct pkgs *p, const struct stanza *st, const char *what, struct diag *d)
{
        struct dpkg_pkg *e;

        if (p->n >= PKGS_MAX)
                return diag_err(d, -EBADMSG, "%s: more than %d packages", what, PKGS_MAX);
        if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 64;
                struct dpkg_pkg *v = realloc(p->v, cap * sizeof(*v));

                if (!v)
                        return diag_err(d, -ENOMEM, "out of memory");
                p->v = v;
                p->cap = cap;
        }
        e = &p->v[p->n];
        memset(e, 0, sizeof(*e));
        e->name = strndup(st->name, st->name_len);
        e->version = strndup(st->version, st->version_len);
        e->arch = strndup(st->arch ? st->arch : "", st->arch ? st->arch_len : 0);
        p->n++;
        if (!e->name || !e->version || !e->arch)
                return diag_err(d, -ENOMEM, "out of memory");
        return 0;
}

static int end_stanza(struct pkgs *p, struct stanza *st, const char *what, struct diag *d)
{
        int r = 0;

        if (st->status && installed(st)) {
                r = check_stanza(st, what, d);
                if (r >= 0)
                        r = add(p, st, what, d);
        }
        memset(st, 0, sizeof(*st));
        return r;
}

/* "Field: value" on one line; continuation lines (leading blank) are skipped. */
static void field(struct stanza *st, const char *line, size_t n)
{
        static const struct {
                const char *key;
                size_t off_val, off_len;
        } keys[] = {
                {"Package", offsetof(struct stanza, name), offsetof(struct stanza, name_len)},
                {"Version", offsetof(struct stanza, version), offsetof(struct stanza, version_len)},
                {"Architecture", offsetof(struct stanza, arch), offsetof(struct stanza, arch_len)},
                {"Status", offsetof(struct stanza, status), offsetof(struct stanza, status_len)},
        };
        const char *colon = memchr(line, ':', n);

        if (!colon || line[0] == ' ' || line[0] == '\t')
                return;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                size_t klen = strlen(keys[i].key);
                const char *v = colon + 1;
                size_t vlen;

                if ((size_t)(colon - line) != klen || strncasecmp(line, keys[i].key, klen))
                        continue;
                while (v < line + n && (*v == ' ' || *v == '\t'))
                        v++;
                vlen = (size_t)(line + n - v);
                while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\r'))
                        vlen--;
                memcpy((char *)st + keys[i].off_val, &v, sizeof(v));
                memcpy((char *)st + keys[i].off_len, &vlen, sizeof(vlen));
        }
}

static int cmp_pkg(const void *a, const void *b)
{
        const struct dpkg_pkg *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c ? c : strcmp(x->arch, y->arch);
}

int dpkg_status_parse(const char *buf, size_t len, const char *what, struct dpkg_pkg **out,
                      size_t *n, struct diag *d)
{
        struct stanza st = {0};
        struct pkgs p = {0};
        size_t pos = 0, line = 0;
        int r = 0;

        while (r >= 0 && pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t ln = nl ? (size_t)(nl - (buf + pos)) : len - pos;

                line++;
                if (ln == 0 || (ln == 1 && buf[pos] == '\r')) {
                        r = end_stanza(&p, &st, what, d);
                } else {
                        if (!st.line)
                                st.line = line;
                        field(&st, buf + pos, ln);
                }
                pos += ln + 1;
        }
        if (r >= 0)
                r = end_stanza(&p, &st, what, d);
        if (r >= 0) {
                if (p.n > 1)
                        qsort(p.v, p.n, sizeof(*p.v), cmp_pkg);
                for (size_t i = 1; r >= 0 && i < p.n; i++)
                        if (!cmp_pkg(&p.v[i - 1], &p.v[i]))
                                r = diag_err(d, -EBADMSG, "%s: package \"%s\" (%s) is listed twice",
                                             what, p.v[i].name, p.v[i].arch);
        }
        if (r < 0) {
                dpkg_pkgs_free(p.v, p.n);
                return r;
        }
        *out = p.v;
        *n = p.n;
        return 0;
}

int dpkg_status_packages(const char *status_path, struct dpkg_pkg **out, size_t *n, struct diag *d)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = media_read_small(status_path, STATUS_MAX, &buf, &len);

        if (r < 0)
                return diag_err(d, r, "cannot read dpkg status \"%s\": %s", status_path,
                                strerror(-r));
        if (memchr(buf, 0, len))
                return diag_err(d, -EBADMSG, "%s: contains a NUL byte", status_path);
        return dpkg_status_parse(buf, len, status_path, out, n, d);
}

void dpkg_pkgs_free(struct dpkg_pkg *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].name);
                free(v[i].version);
                free(v[i].arch);
                free(v[i].license);
        }
        free(v);
}

/* Debian's short license names (copyright-format 1.0) and their SPDX ids. */
static const char *const spdx_names[][2] = {
        {"Apache-2.0", "Apache-2.0"},
        {"Artistic", "Artistic-1.0-Perl"},
        {"BSD-2-clause", "BSD-2-Clause"},
        {"BSD-3-clause", "BSD-3-Clause"},
        {"BSD-4-clause", "BSD-4-Clause"},
        {"CC0-1.0", "CC0-1.0"},
        {"Expat", "MIT"},
        {"GPL-1+", "GPL-1.0-or-later"},
        {"GPL-2", "GPL-2.0-only"},
        {"GPL-2+", "GPL-2.0-or-later"},
        {"GPL-3", "GPL-3.0-only"},
        {"GPL-3+", "GPL-3.0-or-later"},
        {"ISC", "ISC"},
        {"LGPL-2", "LGPL-2.0-only"},
        {"LGPL-2+", "LGPL-2.0-or-later"},
        {"LGPL-2.1", "LGPL-2.1-only"},
        {"LGPL-2.1+", "LGPL-2.1-or-later"},
        {"LGPL-3", "LGPL-3.0-only"},
        {"LGPL-3+", "LGPL-3.0-or-later"},
        {"MIT", "MIT"},
        {"MPL-2.0", "MPL-2.0"},
        {"OpenSSL", "OpenSSL"},
        {"Zlib", "Zlib"},
        {"zlib", "Zlib"},
};

static const char *spdx_id(const char *s, size_t n)
{
        for (size_t i = 0; i < ARRAY_SIZE(spdx_names); i++)
                if (strlen(spdx_names[i][0]) == n && !memcmp(spdx_names[i][0], s, n))
                        return spdx_names[i][1];
        return NULL;
}

/* "GPL-2+ or Artistic" → "GPL-2.0-or-later OR Artistic-1.0-Perl"; NULL when a
 * name has no SPDX id (or the line says more than names and or/and). */
static char *spdx_expr(const char *s, size_t n)
{
        char out[512];
        size_t o = 0, i = 0;

        while (i < n) {
                size_t w = i;
                const char *id;
                int k;

                while (w < n && s[w] != ' ' && s[w] != ',')
                        w++;
                if (w == i) {
                        i++;
                        continue;
                }
                if ((w - i == 2 && !strncasecmp(s + i, "or", 2)) ||
                    (w - i == 3 && !strncasecmp(s + i, "and", 3))) {
                        if (!o)
                                return NULL;
                        k = snprintf(out + o, sizeof(out) - o, " %s ", w - i == 2 ? "OR" : "AND");
                } else if ((id = spdx_id(s + i, w - i))) {
                        if (o && out[o - 1] != ' ')
                                return NULL;
                        k = snprintf(out + o, sizeof(out) - o, "%s", id);
                } else {
                        return NULL;
                }
                if (k < 0 || (size_t)k >= sizeof(out) - o)
                        return NULL;
                o += (size_t)k;
                i = w;
        }
        if (!o || out[o - 1] == ' ')
                return NULL;
        return strndup(out, o);
}

char *dpkg_copyright_license(const char *buf, size_t len)
{
        static const char fmt[] = "Format:", files[] = "Files:", lic[] = "License:";
        bool star = false;
        size_t pos = 0;

        /* machine-readable (copyright-format 1.0) files only */
        if (len < sizeof(fmt) - 1 || memcmp(buf, fmt, sizeof(fmt) - 1))
                return NULL;
        while (pos < len) {
                const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - l) : len - pos;

                if (n == 0) {
                        star = false;
                } else if (n >= sizeof(files) - 1 && !memcmp(l, files, sizeof(files) - 1)) {
                        size_t v = sizeof(files) - 1;

                        while (v < n && l[v] == ' ')
                                v++;
                        star = n - v >= 1 && l[v] == '*' && (n - v == 1 || l[v + 1] == ' ');
                } else if (star && n >= sizeof(lic) - 1 && !memcmp(l, lic, sizeof(lic) - 1)) {
                        size_t v = sizeof(lic) - 1;

                        while (v < n && l[v] == ' ')
                                v++;
                        return spdx_expr(l + v, n - v);
                }
                pos += n + 1;
        }
        return NULL;
}

int dpkg_licenses(const char *root, struct dpkg_pkg *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *buf = NULL;
                size_t len = 0;

                if (asprintf(&path, "%s/usr/share/doc/%s/copyright", root, v[i].name) < 0)
                        return -ENOMEM;
                /* a missing or unreadable file: the license stays unknown */
                if (media_read_small(path, 1u << 20, &buf, &len) < 0)
                        continue;
                free(v[i].license);
                v[i].license = dpkg_copyright_license(buf, len);
        }
        return 0;
}

static bool list_has(const char *buf, size_t len, const char *path)
{
        size_t n = strlen(path);

        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);

                if (ln == n && !memcmp(p, path, n))
                        return true;
                p += ln + 1;
        }
        return false;
}

int dpkg_owners(const char *admindir, const char *const *paths, size_t n, char **owners)
{
        _cleanup_free_ char *info = path_join(admindir, "info");
        struct dirent **list = NULL;
        int m, r = 0;

        for (size_t i = 0; i < n; i++)
                owners[i] = NULL;
        if (!info)
                return -ENOMEM;
        m = scandir(info, &list, NULL, alphasort);
        if (m < 0)
                return -errno;
        for (int k = 0; k < m; k++) {
                const char *name = list[k]->d_name;
                size_t nl = strlen(name);
                _cleanup_free_ char *p = NULL, *buf = NULL;
                size_t len = 0, base;

                if (r < 0 || nl < 6 || strcmp(name + nl - 5, ".list") ||
                    !(p = path_join(info, name)) || media_read_small(p, STATUS_MAX, &buf, &len) < 0)
                        goto next;
                /* NAME.list or NAME:ARCH.list */
                base = strcspn(name, ":") < nl - 5 ? strcspn(name, ":") : nl - 5;
                for (size_t i = 0; i < n; i++)
                        if (!owners[i] && list_has(buf, len, paths[i]) &&
                            !(owners[i] = strndup(name, base)))
                                r = -ENOMEM;
        next:
                free(list[k]);
        }
        free(list);
        return r;
}
