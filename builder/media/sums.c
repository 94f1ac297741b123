/* sums.c: SHA256SUMS lists written sorted and read back from untrusted bytes. */
#include "sums.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* A bundle or a PXE set holds tens of files; the bound keeps a hostile list cheap. */
#define SUMS_MAX 4096

/* Room for one more entry. */
static int grow(struct sums *s)
{
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct sum *v;

        if (s->n < s->cap)
                return 0;
        v = realloc(s->v, cap * sizeof(*v));
        if (!v)
                return -ENOMEM;
        s->v = v;
        s->cap = cap;
        return 0;
}

int sums_add(struct sums *s, const char *name, const uint8_t digest[SHA256_LEN])
{
        if (grow(s) < 0)
                return -ENOMEM;
        s->v[s->n].name = strdup(name);
        if (!s->v[s->n].name)
                return -ENOMEM;
        hex_encode(digest, SHA256_LEN, s->v[s->n].hex);
        s->n++;
        return 0;
}

static int cmp_sum(const void *a, const void *b)
{
        return strcmp(((const struct sum *)a)->name, ((const struct sum *)b)->name);
}

int sums_format(struct sums *s, char **out, size_t *len)
{
        char *buf = NULL;
        size_t n = 0;
        FILE *f;

        if (s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_sum);
        f = open_memstream(&buf, &n);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                fprintf(f, "%s  %s\n", s->v[i].hex, s->v[i].name);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *out = buf;
        *len = n;
        return 0;
}

int sums_name_ok(const char *name)
{
        size_t len = strlen(name);
        const char *p = name;

        if (len == 0 || len > 4095 || name[0] == '/')
                return 0;
        for (const unsigned char *c = (const unsigned char *)name; *c; c++)
                if (*c < 0x20 || *c == 0x7f || *c == '\\')
                        return 0;
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return 0;
                if (!slash)
                        break;
                p = slash + 1;
                if (!*p)
                        return 0; /* trailing slash */
        }
        return 1;
}

static int parse_line(const char *line, size_t n, struct sums *s, const char *what, size_t lineno,
                      struct diag *d)
{
        _cleanup_free_ char *name = NULL;
        const char *np;
        struct sum *e;

        if (n < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
                return diag_err(d, -EBADMSG, "%s:%zu: expected \"<sha256>  NAME\"", what, lineno);
        for (size_t i = 0; i < 64; i++)
                if (!strchr("0123456789abcdef", line[i]) || !line[i])
                        return diag_err(d, -EBADMSG, "%s:%zu: bad sha256 digest", what, lineno);
        np = line + 66;
        name = strndup(np, n - 66);
        if (!name)
                return -ENOMEM;
        if (memchr(np, 0, n - 66) || !sums_name_ok(name))
                return diag_err(d, -EBADMSG, "%s:%zu: unsafe file name", what, lineno);
        if (s->n >= SUMS_MAX)
                return diag_err(d, -EBADMSG, "%s:%zu: more than %d entries", what, lineno,
                                SUMS_MAX);
        if (sums_find(s, name))
                return diag_err(d, -EBADMSG, "%s:%zu: \"%s\" is listed twice", what, lineno, name);
        if (grow(s) < 0)
                return -ENOMEM;
        e = &s->v[s->n++];
        e->name = TAKE_PTR(name);
        memcpy(e->hex, line, 64);
        e->hex[64] = 0;
        return 0;
}

int sums_parse(const char *buf, size_t len, struct sums *s, const char *what, struct diag *d)
{
        size_t pos = 0, lineno = 0;

        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
                int r;

                lineno++;
                if (!nl)
                        return diag_err(d, -EBADMSG, "%s:%zu: last line has no newline", what,
                                        lineno);
                r = parse_line(buf + pos, n, s, what, lineno, d);
                if (r < 0)
                        return r;
                pos += n + 1;
        }
        return 0;
}

const struct sum *sums_find(const struct sums *s, const char *name)
{
        /* Linear: lists are short (tens of files) and parse order must stay. */
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->v[i].name, name))
                        return &s->v[i];
        return NULL;
}

void sums_release(struct sums *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].name);
        free(s->v);
        memset(s, 0, sizeof(*s));
}
