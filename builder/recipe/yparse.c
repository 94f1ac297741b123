/* yparse.c: libyaml events -> struct ynode tree, with marks, limits and alias expansion. */
#include "ynode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_ALIAS 10000
/* A recipe is a few kilobytes; refuse what cannot be one before reading it all. */
#define MAX_RECIPE_BYTES (4u << 20)

struct anchor {
        char *name;
        struct ynode *node;
        size_t count;
};

struct yparser {
        yaml_parser_t p;
        const char *display;
        const char *buf;
        size_t len;
        unsigned max_depth;
        size_t max_alias;
        size_t alias_nodes;
        struct anchor *anchors;
        size_t n_anchors;
        struct diag *d;
        int errors;
        /* Nodes dropped after an error (repeated keys, non-scalar keys): kept until
         * the end because anchors may still point into them. */
        struct ynode *dropped;
};

static struct mark mark_of(const struct yparser *y, yaml_mark_t m)
{
        return (struct mark){.file = y->display, .line = (int)m.line + 1, .col = (int)m.column + 1};
}

/* Line and column (in characters, as libyaml counts them) of a byte offset. */
static struct mark mark_at_offset(const char *display, const char *buf, size_t off)
{
        struct mark m = {.file = display, .line = 1, .col = 1};

        for (size_t i = 0; i < off; i++) {
                unsigned char c = (unsigned char)buf[i];

                if (c == '\n' || (c == '\r' && (i + 1 >= off || buf[i + 1] != '\n'))) {
                        m.line++;
                        m.col = 1;
                } else if ((c & 0xc0) != 0x80 && c != '\r') {
                        m.col++;
                }
        }
        return m;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when it is invalid:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static int check_utf8(const char *display, const char *buf, size_t len, struct diag *d)
{
        const unsigned char *s = (const unsigned char *)buf;

        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq(s + i, len - i);

                if (n == 0) {
                        struct mark m = mark_at_offset(display, buf, i);

                        return diag_at(d, &m,
                                       "invalid UTF-8 byte 0x%02x (expected a UTF-8 text file)",
                                       s[i]);
                }
                i += n;
        }
        return 0;
}

static int syntax_error(struct yparser *y)
{
        yaml_parser_t *p = &y->p;
        struct mark m;
        const char *problem = p->problem ? p->problem : "invalid YAML";

        if (p->error == YAML_MEMORY_ERROR)
                return diag_err(y->d, -ENOMEM, "%s: out of memory while parsing", y->display);
        if (p->error == YAML_READER_ERROR) {
                m = mark_at_offset(y->display, y->buf,
                                   p->problem_offset < y->len ? p->problem_offset : y->len);
                return diag_at(y->d, &m, "%s (expected printable UTF-8 text)", problem);
        }
        m = mark_of(y, p->problem_mark);
        if (p->problem_mark.index < y->len && y->buf[p->problem_mark.index] == '\t')
                return diag_at(y->d, &m,
                               "syntax error: %s (expected spaces for indentation, not tabs)",
                               problem);
        /* The usual cause: "description: a: b" — a plain value holding ": ". */
        if (!strcmp(problem, "mapping values are not allowed in this context"))
                return diag_at(
                        y->d, &m,
                        "syntax error: %s (expected quotes around a value that holds \": \")",
                        problem);
        if (p->context && p->context_mark.line != p->problem_mark.line)
                return diag_at(y->d, &m,
                               "syntax error: %s %s started at line %d (expected valid YAML)",
                               problem, p->context, (int)p->context_mark.line + 1);
        if (p->context)
                return diag_at(y->d, &m, "syntax error: %s %s (expected valid YAML)", problem,
                               p->context);
        return diag_at(y->d, &m, "syntax error: %s (expected valid YAML)", problem);
}

static int next_event(struct yparser *y, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&y->p, ev))
                return syntax_error(y);
        return 0;
}

DEFINE_TRIVIAL_CLEANUP(struct ynode *, ynode_free)

static int add_anchor(struct yparser *y, const yaml_char_t *name, struct ynode *n)
{
        struct anchor *a;

        if (!name)
                return 0;
        a = realloc(y->anchors, (y->n_anchors + 1) * sizeof(*a));
        if (!a)
                return -ENOMEM;
        y->anchors = a;
        a = &y->anchors[y->n_anchors];
        a->name = strdup((const char *)name);
        if (!a->name)
                return -ENOMEM;
        a->node = n;
        a->count = ynode_count(n);
        y->n_anchors++;
        return 0;
}

static int expand_alias(struct yparser *y, const yaml_event_t *ev, struct ynode **out)
{
        const char *name = (const char *)ev->data.alias.anchor;
        struct mark m = mark_of(y, ev->start_mark);

        /* The last definition wins; an anchor is registered only once its node is
         * complete, so an alias inside its own anchor is "undefined" here. */
        for (size_t i = y->n_anchors; i-- > 0;) {
                struct anchor *a = &y->anchors[i];

                if (strcmp(a->name, name))
                        continue;
                y->alias_nodes += a->count;
                if (y->alias_nodes > y->max_alias)
                        return diag_at(y->d, &m,
                                       "alias \"%s\" expands past %zu nodes (expected a recipe "
                                       "without alias bombs)",
                                       name, y->max_alias);
                *out = ynode_dup(a->node);
                return *out ? 0 : -ENOMEM;
        }
        return diag_at(y->d, &m,
                       "alias \"%s\" has no anchor before it (expected &%s earlier in the file)",
                       name, name);
}

static int parse_node(struct yparser *y, yaml_event_t *ev, unsigned depth, struct ynode **out);

static const char *kind_name(enum ynode_kind k)
{
        return k == YNODE_MAP ? "a mapping" : k == YNODE_SEQ ? "a sequence" : "a scalar";
}

static int cmp_key_index(const void *a, const void *b, void *arg)
{
        struct ynode **keys = arg;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        int r = strcmp(keys[i]->value, keys[j]->value);

        return r ? r : (i < j ? -1 : i > j);
}

static void drop(struct yparser *y, struct ynode *n)
{
        if (n && ynode_append(y->dropped, NULL, n) < 0)
                ynode_free(n); /* only on ENOMEM; the parse fails anyway */
}

/* Report every repeated key against its first occurrence, in file order, and keep
 * only the first. Sorting keeps this n log n on hostile inputs. */
static int check_dup_keys(struct yparser *y, struct ynode *map)
{
        _cleanup_free_ size_t *idx = NULL;
        _cleanup_free_ size_t *first = NULL;
        size_t w = 0;

        if (map->n < 2)
                return 0;
        idx = malloc(map->n * sizeof(*idx));
        first = malloc(map->n * sizeof(*first));
        if (!idx || !first)
                return -ENOMEM;
        for (size_t i = 0; i < map->n; i++)
                idx[i] = first[i] = i;
        qsort_r(idx, map->n, sizeof(*idx), cmp_key_index, map->keys);
        for (size_t i = 1; i < map->n; i++)
                if (!strcmp(map->keys[idx[i]]->value, map->keys[idx[i - 1]]->value))
                        first[idx[i]] = first[idx[i - 1]];
        for (size_t i = 0; i < map->n; i++) {
                if (first[i] == i) {
                        map->keys[w] = map->keys[i];
                        map->items[w++] = map->items[i];
                        continue;
                }
                diag_at(y->d, &map->keys[i]->mark, "duplicate key \"%s\" (first at line %d)",
                        map->keys[i]->value, map->keys[first[i]]->mark.line);
                y->errors++;
                drop(y, map->keys[i]);
                drop(y, map->items[i]);
        }
        map->n = w;
        return 0;
}

static int parse_map_pair(struct yparser *y, struct ynode *map, yaml_event_t *kev, unsigned depth)
{
        _cleanup_(ynode_freep) struct ynode *key = NULL;
        _cleanup_(ynode_freep) struct ynode *val = NULL;
        yaml_event_t vev;
        int r;

        r = parse_node(y, kev, depth, &key);
        if (r < 0)
                return r;
        r = next_event(y, &vev);
        if (r < 0)
                return r;
        r = parse_node(y, &vev, depth, &val);
        if (r < 0)
                return r;
        if (key->kind != YNODE_SCALAR) {
                diag_at(y->d, &key->mark, "mapping key is %s (expected a scalar key)",
                        kind_name(key->kind));
                y->errors++;
                drop(y, TAKE_PTR(key));
                drop(y, TAKE_PTR(val));
                return 0;
        }
        r = ynode_append(map, key, val);
        if (r < 0)
                return r;
        key = val = NULL;
        return 0;
}

static int parse_collection(struct yparser *y, struct ynode *n, unsigned depth)
{
        yaml_event_type_t end =
                n->kind == YNODE_MAP ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;

        if (depth > y->max_depth)
                return diag_at(y->d, &n->mark,
                               "nesting deeper than %u levels (expected a flatter recipe)",
                               y->max_depth);
        for (;;) {
                _cleanup_(ynode_freep) struct ynode *item = NULL;
                yaml_event_t ev;
                int r = next_event(y, &ev);

                if (r < 0)
                        return r;
                if (ev.type == end) {
                        yaml_event_delete(&ev);
                        break;
                }
                if (n->kind == YNODE_MAP) {
                        r = parse_map_pair(y, n, &ev, depth + 1);
                } else {
                        r = parse_node(y, &ev, depth + 1, &item);
                        if (r >= 0 && (r = ynode_append(n, NULL, item)) >= 0)
                                item = NULL;
                }
                if (r < 0)
                        return r;
        }
        return n->kind == YNODE_MAP ? check_dup_keys(y, n) : 0;
}

static int parse_scalar(struct yparser *y, const yaml_event_t *ev, struct ynode *n)
{
        n->len = ev->data.scalar.length;
        n->value = malloc(n->len + 1);
        if (!n->value)
                return -ENOMEM;
        memcpy(n->value, ev->data.scalar.value, n->len);
        n->value[n->len] = 0;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return 0;
}

/* Build the node that starts with ev (consumed), reading its children. */
static int parse_node(struct yparser *y, yaml_event_t *ev, unsigned depth, struct ynode **out)
{
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        const yaml_char_t *anchor = NULL;
        struct mark m = mark_of(y, ev->start_mark);
        int r = 0;

        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                r = expand_alias(y, ev, out);
                yaml_event_delete(ev);
                return r;
        case YAML_SCALAR_EVENT:
                n = ynode_new(YNODE_SCALAR, m);
                anchor = ev->data.scalar.anchor;
                r = n ? parse_scalar(y, ev, n) : -ENOMEM;
                break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                n = ynode_new(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ, m);
                anchor = ev->type == YAML_MAPPING_START_EVENT ? ev->data.mapping_start.anchor
                                                              : ev->data.sequence_start.anchor;
                if (!n)
                        r = -ENOMEM;
                break;
        default: r = diag_at(y->d, &m, "unexpected YAML event %d (expected a node)", (int)ev->type);
        }
        /* Keep the anchor name past the event: children are parsed first. */
        _cleanup_free_ char *aname = anchor ? strdup((const char *)anchor) : NULL;
        yaml_event_delete(ev);
        if (r < 0)
                return r;
        if (n->kind != YNODE_SCALAR && (r = parse_collection(y, n, depth)) < 0)
                return r;
        r = add_anchor(y, (const yaml_char_t *)aname, n);
        if (r < 0)
                return r;
        *out = TAKE_PTR(n);
        return 0;
}

/* Expect one event of type t (consumed); an error otherwise. */
static int expect_event(struct yparser *y, yaml_event_type_t t, yaml_event_t *ev)
{
        int r = next_event(y, ev);

        if (r < 0)
                return r;
        if (ev->type != t) {
                struct mark m = mark_of(y, ev->start_mark);

                yaml_event_delete(ev);
                return diag_at(y->d, &m, "unexpected YAML event %d (expected %d)", (int)ev->type,
                               (int)t);
        }
        return 0;
}

static int parse_stream(struct yparser *y, struct ynode **out)
{
        yaml_event_t ev;
        struct mark m;
        int r;

        r = expect_event(y, YAML_STREAM_START_EVENT, &ev);
        if (r < 0)
                return r;
        yaml_event_delete(&ev);
        r = next_event(y, &ev);
        if (r < 0)
                return r;
        if (ev.type == YAML_STREAM_END_EVENT) {
                yaml_event_delete(&ev);
                m = (struct mark){.file = y->display, .line = 1, .col = 1};
                return diag_at(y->d, &m, "empty file (expected a recipe)");
        }
        yaml_event_delete(&ev); /* document start */
        r = next_event(y, &ev);
        if (r < 0)
                return r;
        r = parse_node(y, &ev, 1, out);
        if (r < 0)
                return r;
        r = expect_event(y, YAML_DOCUMENT_END_EVENT, &ev);
        if (r < 0)
                return r;
        yaml_event_delete(&ev);
        r = next_event(y, &ev);
        if (r < 0)
                return r;
        m = mark_of(y, ev.start_mark);
        if (ev.type != YAML_STREAM_END_EVENT) {
                yaml_event_delete(&ev);
                return diag_at(y->d, &m, "a second YAML document (expected one document per file)");
        }
        yaml_event_delete(&ev);
        return 0;
}

int yparse_buf(const char *buf, size_t len, const char *display, const struct yparse_opts *o,
               struct ynode **out, struct diag *d)
{
        struct yparser y = {
                .display = display,
                .buf = buf,
                .len = len,
                .max_depth = o && o->max_depth ? o->max_depth : DEFAULT_MAX_DEPTH,
                .max_alias = o && o->max_alias_nodes ? o->max_alias_nodes : DEFAULT_MAX_ALIAS,
                .d = d,
        };
        struct ynode *root = NULL;
        int r;

        *out = NULL;
        r = check_utf8(display, buf, len, d);
        if (r < 0)
                return r;
        y.dropped = ynode_new(YNODE_SEQ, (struct mark){0});
        if (!y.dropped || !yaml_parser_initialize(&y.p)) {
                free(y.dropped);
                return diag_err(d, -ENOMEM, "%s: out of memory", display);
        }
        yaml_parser_set_encoding(&y.p, YAML_UTF8_ENCODING);
        yaml_parser_set_input_string(&y.p, (const unsigned char *)buf, len);
        r = parse_stream(&y, &root);
        yaml_parser_delete(&y.p);
        for (size_t i = 0; i < y.n_anchors; i++)
                free(y.anchors[i].name);
        free(y.anchors);
        ynode_free(y.dropped);
        if (r >= 0 && y.errors)
                r = -EINVAL;
        if (r < 0) {
                ynode_free(root);
                return r;
        }
        *out = root;
        return 0;
}

int yparse_file(const char *path, const char *display, const struct yparse_opts *o,
                struct ynode **out, struct diag *d)
{
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len;
        int r;

        *out = NULL;
        if (stat(path, &st) < 0)
                return diag_err(d, -errno, "%s: cannot read: %s", display, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return diag_err(d, -EISDIR, "%s: is a directory (expected a recipe file)", display);
        if (st.st_size > MAX_RECIPE_BYTES)
                return diag_err(d, -EFBIG, "%s: larger than %u MiB (expected a recipe file)",
                                display, MAX_RECIPE_BYTES >> 20);
        r = read_file(path, &buf, &len);
        if (r < 0)
                return diag_err(d, r, "%s: cannot read: %s", display, strerror(-r));
        return yparse_buf(buf, len, display, o, out, d);
}
