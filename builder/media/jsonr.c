/* jsonr.c: a strict, bounded JSON reader (RFC 8259) for documents from untrusted bundles. */
#include "jsonr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting and element bounds keep a hostile document's cost linear and small. */
#define DEPTH_MAX 32
#define ITEMS_MAX 100000
#define NODES_MAX 200000

struct parser {
        const char *p, *end, *start;
        const char *what;
        struct diag *d;
        size_t nodes;
};

static int fail(struct parser *ps, const char *msg)
{
        return diag_err(ps->d, -EBADMSG, "%s: offset %zu: %s", ps->what,
                        (size_t)(ps->p - ps->start), msg);
}

static void skip_ws(struct parser *ps)
{
        while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
                ps->p++;
}

static int value(struct parser *ps, struct jval *v, int depth);

static int hex4(struct parser *ps, unsigned *out)
{
        unsigned v = 0;

        if (ps->end - ps->p < 4)
                return fail(ps, "short \\u escape");
        for (int i = 0; i < 4; i++) {
                char c = *ps->p++;

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned)(c - 'A' + 10);
                else
                        return fail(ps, "bad \\u escape");
        }
        *out = v;
        return 0;
}

static void put_utf8(FILE *f, unsigned cp)
{
        if (cp < 0x80) {
                fputc((int)cp, f);
        } else if (cp < 0x800) {
                fputc((int)(0xc0 | (cp >> 6)), f);
                fputc((int)(0x80 | (cp & 0x3f)), f);
        } else if (cp < 0x10000) {
                fputc((int)(0xe0 | (cp >> 12)), f);
                fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
                fputc((int)(0x80 | (cp & 0x3f)), f);
        } else {
                fputc((int)(0xf0 | (cp >> 18)), f);
                fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
                fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
                fputc((int)(0x80 | (cp & 0x3f)), f);
        }
}

static int escape(struct parser *ps, FILE *f)
{
        unsigned cp, lo;
        char c;

        if (ps->p >= ps->end)
                return fail(ps, "unterminated string");
        c = *ps->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/': fputc(c, f); return 0;
        case 'b': fputc('\b', f); return 0;
        case 'f': fputc('\f', f); return 0;
        case 'n': fputc('\n', f); return 0;
        case 'r': fputc('\r', f); return 0;
        case 't': fputc('\t', f); return 0;
        case 'u': break;
        default: return fail(ps, "bad escape");
        }
        if (hex4(ps, &cp) < 0)
                return -EBADMSG;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                        return fail(ps, "lone surrogate");
                ps->p += 2;
                if (hex4(ps, &lo) < 0)
                        return -EBADMSG;
                if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(ps, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return fail(ps, "lone surrogate");
        }
        if (cp == 0)
                return fail(ps, "NUL in string");
        put_utf8(f, cp);
        return 0;
}

static int string(struct parser *ps, char **out)
{
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        int r = 0;

        if (!f)
                return -ENOMEM;
        ps->p++; /* the opening quote */
        for (;;) {
                unsigned char c;

                if (ps->p >= ps->end) {
                        r = fail(ps, "unterminated string");
                        break;
                }
                c = (unsigned char)*ps->p++;
                if (c == '"')
                        break;
                if (c < 0x20) {
                        r = fail(ps, "control character in string");
                        break;
                }
                if (c == '\\')
                        r = escape(ps, f);
                else
                        fputc(c, f);
                if (r < 0)
                        break;
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *out = buf;
        return 0;
}

static int number(struct parser *ps, struct jval *v)
{
        const char *s = ps->p;

        if (ps->p < ps->end && *ps->p == '-')
                ps->p++;
        if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
                return fail(ps, "bad number");
        if (*ps->p == '0')
                ps->p++;
        else
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        if (ps->p < ps->end && *ps->p == '.') {
                ps->p++;
                if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
                        return fail(ps, "bad number");
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        }
        if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
                ps->p++;
                if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
                        ps->p++;
                if (ps->p >= ps->end || !(*ps->p >= '0' && *ps->p <= '9'))
                        return fail(ps, "bad number");
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        }
        v->type = J_NUM;
        v->str = strndup(s, (size_t)(ps->p - s));
        return v->str ? 0 : -ENOMEM;
}

static int push(struct parser *ps, struct jval *v, char *key, struct jval *item)
{
        if (v->n >= ITEMS_MAX)
                return fail(ps, "too many elements");
        if ((v->n & (v->n - 1)) == 0) { /* grow at powers of two */
                size_t cap = v->n ? v->n * 2 : 1;
                struct jval *items = realloc(v->items, cap * sizeof(*items));

                if (!items)
                        return -ENOMEM;
                v->items = items;
                if (v->type == J_OBJ) {
                        char **keys = realloc(v->keys, cap * sizeof(*keys));

                        if (!keys)
                                return -ENOMEM;
                        v->keys = keys;
                }
        }
        if (v->type == J_OBJ)
                v->keys[v->n] = key;
        v->items[v->n++] = *item;
        return 0;
}

/* An array or an object: elements separated by commas up to close. */
static int container(struct parser *ps, struct jval *v, int depth, bool obj)
{
        v->type = obj ? J_OBJ : J_ARR;
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
                ps->p++;
                return 0;
        }
        for (;;) {
                struct jval item = {0};
                char *key = NULL;
                int r;

                skip_ws(ps);
                if (obj) {
                        if (ps->p >= ps->end || *ps->p != '"')
                                return fail(ps, "expected a key");
                        r = string(ps, &key);
                        if (r < 0)
                                return r;
                        skip_ws(ps);
                        if (ps->p >= ps->end || *ps->p != ':') {
                                free(key);
                                return fail(ps, "expected ':'");
                        }
                        ps->p++;
                }
                r = value(ps, &item, depth + 1);
                if (r >= 0)
                        r = push(ps, v, key, &item);
                if (r < 0) {
                        free(key);
                        jsonr_free(&item);
                        return r;
                }
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
                        ps->p++;
                        return 0;
                }
                return fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
}

static int literal(struct parser *ps, const char *word)
{
        size_t n = strlen(word);

        if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
                return fail(ps, "unexpected character");
        ps->p += n;
        return 0;
}

static int value(struct parser *ps, struct jval *v, int depth)
{
        memset(v, 0, sizeof(*v));
        if (depth > DEPTH_MAX)
                return fail(ps, "nested too deeply");
        if (++ps->nodes > NODES_MAX)
                return fail(ps, "too many values");
        skip_ws(ps);
        if (ps->p >= ps->end)
                return fail(ps, "unexpected end");
        switch (*ps->p) {
        case '{': return container(ps, v, depth, true);
        case '[': return container(ps, v, depth, false);
        case '"': v->type = J_STR; return string(ps, &v->str);
        case 't':
                v->type = J_BOOL;
                v->boolean = 1;
                return literal(ps, "true");
        case 'f': v->type = J_BOOL; return literal(ps, "false");
        case 'n': v->type = J_NULL; return literal(ps, "null");
        default: return number(ps, v);
        }
}

int jsonr_parse(const char *buf, size_t len, struct jval *out, const char *what, struct diag *d)
{
        struct parser ps = {.p = buf, .end = buf + len, .start = buf, .what = what, .d = d};
        int r = value(&ps, out, 0);

        if (r >= 0) {
                skip_ws(&ps);
                if (ps.p != ps.end)
                        r = fail(&ps, "trailing bytes after the document");
        }
        if (r < 0) {
                jsonr_free(out);
                if (r == -ENOMEM)
                        diag_err(d, r, "%s: out of memory", what);
        }
        return r;
}

void jsonr_free(struct jval *v)
{
        for (size_t i = 0; i < v->n; i++) {
                jsonr_free(&v->items[i]);
                if (v->type == J_OBJ)
                        free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->str);
        memset(v, 0, sizeof(*v));
}

const struct jval *jsonr_get(const struct jval *v, const char *key)
{
        if (!v || v->type != J_OBJ)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                if (!strcmp(v->keys[i], key))
                        return &v->items[i];
        return NULL;
}

int64_t jsonr_uint(const struct jval *v)
{
        int64_t x = 0;

        if (!v || v->type != J_NUM || !v->str[0] || strlen(v->str) > 18)
                return -1;
        for (const char *c = v->str; *c; c++) {
                if (*c < '0' || *c > '9')
                        return -1;
                x = x * 10 + (*c - '0');
        }
        return x;
}
