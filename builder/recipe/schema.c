/* schema.c: the generic binders: a ynode map read through a key table into a struct. */
#include "schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confine.h"
#include "util/cleanup.h"
#include "util/suggest.h"
#include "util/fsutil.h"
#include "util/parse.h"
#include "util/size.h"

#define AT(obj, off) ((void *)((char *)(obj) + (off)))

int bind_error(struct bctx *c, const struct mark *m, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        c->errors++;
        if (r < 0)
                return -ENOMEM;
        return diag_at(c->d, m, "%s", s);
}

const char *scalar_of(struct bctx *c, const struct ynode *v, const char *key, const char *expected)
{
        if (v->kind == YNODE_SCALAR && !ynode_is_null(v))
                return v->value;
        bind_error(c, &v->mark, "%s is %s (expected %s)", key, ynode_kind_name(v), expected);
        return NULL;
}

char *resolve_path(const struct ynode *v)
{
        _cleanup_free_ char *dir = NULL;

        if (v->value[0] == '/' || !v->mark.file)
                return strdup(v->value);
        dir = path_dirname(v->mark.file);
        if (!dir)
                return NULL;
        /* Keep display paths short: "x.yaml" beside "y.yaml" is "x.yaml", not "./x.yaml". */
        if (!strcmp(dir, "."))
                return strdup(v->value);
        return path_join(dir, v->value);
}

int bind_resolve(struct bctx *c, const struct ynode *v, const char *key, char **out)
{
        _cleanup_free_ char *p = resolve_path(v);
        int r;

        if (!p)
                return -ENOMEM;
        r = confine_check(c->cf, p, key, &v->mark, c->d);
        if (r == -EINVAL)
                c->errors++;
        if (r < 0)
                return r;
        *out = TAKE_PTR(p);
        return 0;
}

static int set_str(char **dst, char *s)
{
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

int bind_str(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        const char *s = scalar_of(c, v, f->key, "a string");

        return s ? set_str(dst, strdup(s)) : -EINVAL;
}

int bind_path(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        char **dst = AT(obj, f->off);
        char *p = NULL;
        int r;

        if (!scalar_of(c, v, f->key, "a path"))
                return -EINVAL;
        r = bind_resolve(c, v, f->key, &p);
        return r < 0 ? r : set_str(dst, p);
}

int bind_bool(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                                  "FALSE"};
        const char *s = scalar_of(c, v, f->key, "true or false");

        if (!s)
                return -EINVAL;
        for (size_t i = 0; !v->quoted && i < ARRAY_SIZE(yes); i++) {
                if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
                        *(bool *)dst = !strcmp(s, yes[i]);
                        return 0;
                }
        }
        return bind_error(c, &v->mark, "%s \"%s\" is not a boolean (expected true or false)",
                          f->key, s);
}

/* A plain decimal integer within r; quoted text is never a number. */
static int read_uint(struct bctx *c, const struct ynode *v, const char *key, const struct urange *r,
                     unsigned long long *out)
{
        const char *s = scalar_of(c, v, key, "an integer");
        uint64_t x;
        int rc;

        if (!s)
                return -EINVAL;
        rc = v->quoted ? -EINVAL : parse_uint(s, r->min, r->max, &x);
        if (rc == -EINVAL)
                return bind_error(c, &v->mark, "%s \"%s\" is not an integer (expected %llu..%llu)",
                                  key, s, r->min, r->max);
        if (rc < 0)
                return bind_error(c, &v->mark, "%s \"%s\" is out of range (expected %llu..%llu)",
                                  key, v->value, r->min, r->max);
        *out = x;
        return 0;
}

int bind_uint(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        unsigned long long x;
        int r = read_uint(c, v, f->key, f->aux, &x);

        if (r == 0)
                *(unsigned *)dst = (unsigned)x;
        return r;
}

int bind_id(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        static const struct urange ids = {0, 65534};
        unsigned long long x;
        int r = read_uint(c, v, f->key, &ids, &x);

        if (r == 0)
                *(int64_t *)dst = (int64_t)x;
        return r;
}

int bind_size(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        const char *s = scalar_of(c, v, f->key, "a size such as 512M");
        int r;

        if (!s)
                return -EINVAL;
        r = parse_size(s, dst);
        if (r == -ERANGE)
                return bind_error(c, &v->mark, "size \"%s\": too large (expected at most 16383P)",
                                  s);
        if (r < 0)
                return bind_error(c, &v->mark, "size \"%s\": expected a number with K, M, G or T",
                                  s);
        return 0;
}

/* YAML 1.2 reads 0644 as the text "0644": it is parsed here as octal, quoted or not. */
int bind_mode(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        const char *s = scalar_of(c, v, f->key, "an octal mode such as 0644");
        unsigned long m = 0;
        const char *p;

        if (!s)
                return -EINVAL;
        p = !strncmp(s, "0o", 2) ? s + 2 : s;
        if (!*p || strspn(p, "01234567") != strlen(p) || strlen(p) > 5)
                return bind_error(c, &v->mark,
                                  "mode \"%s\" is not an octal mode (expected 0000..07777)", s);
        m = strtoul(p, NULL, 8);
        if (m > 07777)
                return bind_error(c, &v->mark, "mode \"%s\" is out of range (expected 0000..07777)",
                                  s);
        *(uint32_t *)dst = (uint32_t)m;
        return 0;
}

static char *enum_names(const struct enum_table *t)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                fprintf(f, "%s%s", i ? ", " : "", t->names[i].name);
        fclose(f);
        return out;
}

int bind_enum(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        const struct enum_table *t = f->aux;
        const char *s = scalar_of(c, v, f->key, "a name");
        _cleanup_free_ char *names = NULL;

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < t->n; i++) {
                if (!strcmp(s, t->names[i].name)) {
                        *(int *)dst = t->names[i].value;
                        return 0;
                }
        }
        names = enum_names(t);
        return bind_error(c, &v->mark, "unknown %s \"%s\" (expected one of: %s)", t->what, s,
                          names ? names : "");
}

static int bind_list(struct bctx *c, const struct ynode *v, void *dst, const struct field *f,
                     bool paths, size_t *n_out)
{
        char **list;
        int ret = 0;

        if (v->kind != YNODE_SEQ)
                return bind_error(c, &v->mark, "%s is %s (expected a list)", f->key,
                                  ynode_kind_name(v));
        list = calloc(v->n + 1, sizeof(*list));
        if (!list)
                return -ENOMEM;
        *(char ***)dst = list;
        for (size_t i = 0; i < v->n; i++) {
                const struct ynode *e = v->items[i];

                if (!scalar_of(c, e, f->key, paths ? "a list of paths" : "a list of strings")) {
                        ret = -EINVAL;
                        continue;
                }
                if (paths) {
                        int r = bind_resolve(c, e, f->key, &list[*n_out]);

                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                ret = r;
                                continue;
                        }
                } else if (!(list[*n_out] = strdup(e->value)))
                        return -ENOMEM;
                (*n_out)++;
        }
        return ret;
}

int bind_strlist(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        return bind_list(c, v, dst, f, false, AT(obj, f->n_off));
}

int bind_pathlist(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        return bind_list(c, v, dst, f, true, AT(obj, f->n_off));
}

int bind_struct(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        return bind_map(c, v, dst, f->aux);
}

int bind_array(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        const struct schema *s = f->aux;
        size_t *n = AT(obj, f->n_off);
        char *arr;
        int ret = 0;

        if (v->kind != YNODE_SEQ)
                return bind_error(c, &v->mark, "%s is %s (expected a list)", f->key,
                                  ynode_kind_name(v));
        arr = calloc(v->n ? v->n : 1, s->size);
        if (!arr)
                return -ENOMEM;
        *(void **)dst = arr;
        for (size_t i = 0; i < v->n; i++) {
                const struct ynode *e = v->items[i];
                void *el = arr + i * s->size;
                int r;

                (*n)++;
                if (e->kind == YNODE_SCALAR && s->scalar && !ynode_is_null(e)) {
                        if (s->defaults)
                                s->defaults(el);
                        if (s->mark_off != NO_MARK)
                                *(struct mark *)AT(el, s->mark_off) = e->mark;
                        r = s->scalar(c, e, el);
                } else {
                        r = bind_map(c, e, el, s);
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ret = r;
        }
        return ret;
}

static const struct enum_name output_names[] = {
        {"raw", OUT_RAW},
        {"qcow2", OUT_QCOW2},
        {"vhdx", OUT_VHDX},
};

const char *output_fmt_name(enum output_fmt f)
{
        for (size_t i = 0; i < ARRAY_SIZE(output_names); i++)
                if (output_names[i].value == (int)f)
                        return output_names[i].name;
        return NULL;
}

static size_t n_deliverables(const struct bctx *c)
{
        if (!c->o || !c->o->deliverables)
                return 0;
        return c->o->n_deliverables < OUT_DELIVERABLES_MAX ? c->o->n_deliverables
                                                           : OUT_DELIVERABLES_MAX;
}

/* "raw, qcow2, vhdx" and, where this recipe kind may ask for them, the deliverables. */
static void allowed_outputs(const struct bctx *c, char *buf, size_t len)
{
        size_t w = 0;

        buf[0] = 0;
        for (size_t i = 0; i < ARRAY_SIZE(output_names) && w < len; i++)
                if (c->allowed_outputs & (unsigned)output_names[i].value)
                        w += (size_t)snprintf(buf + w, len - w, "%s%s", w ? ", " : "",
                                              output_names[i].name);
        for (size_t i = 0; c->deliverables && i < n_deliverables(c) && w < len; i++)
                w += (size_t)snprintf(buf + w, len - w, "%s%s", w ? ", " : "",
                                      c->o->deliverables[i]);
}

/* The bit of name e: a disk format, else one of the deliverables; 0 if neither. */
static unsigned output_bit(const struct bctx *c, const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(output_names); i++)
                if (!strcmp(name, output_names[i].name))
                        return (unsigned)output_names[i].value;
        for (size_t i = 0; i < n_deliverables(c); i++)
                if (!strcmp(name, c->o->deliverables[i]))
                        return OUT_DELIVERABLE(i);
        return 0;
}

static int bind_one_output(struct bctx *c, const struct ynode *e, unsigned *bits)
{
        char allowed[256];
        unsigned bit = output_bit(c, e->value);

        allowed_outputs(c, allowed, sizeof(allowed));
        if (!bit)
                return bind_error(c, &e->mark, "unknown output \"%s\" (expected one of: %s)",
                                  e->value, allowed);
        if (bit >= OUT_DELIVERABLE(0) ? !c->deliverables : !(c->allowed_outputs & bit))
                return bind_error(c, &e->mark, "output \"%s\" is not for %s (expected one of: %s)",
                                  e->value, c->outputs_for, allowed);
        *bits |= bit;
        return 0;
}

int bind_outputs(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        void *dst = AT(obj, f->off);
        unsigned bits = 0;
        int ret = 0;

        if (v->kind != YNODE_SEQ)
                return bind_error(c, &v->mark, "%s is %s (expected a list such as [raw, qcow2])",
                                  f->key, ynode_kind_name(v));
        for (size_t i = 0; i < v->n; i++) {
                if (!scalar_of(c, v->items[i], f->key, "a list of output names"))
                        ret = -EINVAL;
                else if (bind_one_output(c, v->items[i], &bits) < 0)
                        ret = -EINVAL;
        }
        if (ret == 0)
                *(unsigned *)dst = bits;
        return ret;
}

static const struct field *find_field(const struct schema *s, const char *key)
{
        for (size_t i = 0; i < s->n_fields; i++)
                if (!strcmp(s->fields[i].key, key))
                        return &s->fields[i];
        return NULL;
}

static int unknown_key(struct bctx *c, const struct ynode *k, const struct schema *s)
{
        char *list = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&list, &len);
        int r;

        const char *keys[64], *near;
        size_t n = 0;

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_fields; i++) {
                fprintf(f, "%s%s", i ? ", " : "", s->fields[i].key);
                if (n < 64)
                        keys[n++] = s->fields[i].key;
        }
        fclose(f);
        near = suggest(k->value, keys, n);
        if (near)
                r = bind_error(c, &k->mark,
                               "unknown key \"%s\" in %s; did you mean \"%s\"? (expected one of: "
                               "%s)",
                               k->value, s->what, near, list ? list : "");
        else
                r = bind_error(c, &k->mark, "unknown key \"%s\" in %s (expected one of: %s)",
                               k->value, s->what, list ? list : "");
        free(list);
        return r;
}

static int bind_key(struct bctx *c, const struct ynode *k, const struct ynode *v, void *obj,
                    const struct schema *s)
{
        const struct field *f = find_field(s, k->value);
        int r;

        if (!f)
                return unknown_key(c, k, s);
        r = f->bind(c, v, obj, f);
        if (r == 0 && f->check)
                r = f->check(c, v);
        return r;
}

int bind_map(struct bctx *c, const struct ynode *v, void *obj, const struct schema *s)
{
        int ret = 0, r;

        if (s->defaults)
                s->defaults(obj);
        if (s->mark_off != NO_MARK)
                *(struct mark *)AT(obj, s->mark_off) = v->mark;
        if (v->kind != YNODE_MAP)
                return bind_error(c, &v->mark, "%s is %s (expected a mapping of keys)", s->what,
                                  ynode_kind_name(v));
        for (size_t i = 0; i < v->n; i++) {
                r = bind_key(c, v->keys[i], v->items[i], obj, s);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        ret = r;
        }
        for (size_t i = 0; i < s->n_fields; i++) {
                if (s->fields[i].required && !ynode_get(v, s->fields[i].key)) {
                        ret = bind_error(c, &v->mark,
                                         "missing required key \"%s\" (expected in every %s)",
                                         s->fields[i].key, s->what);
                }
        }
        if (ret == 0 && s->finish)
                ret = s->finish(c, v, obj);
        return ret;
}
