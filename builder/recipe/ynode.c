/* ynode.c: the YAML tree: nodes, lookups and deep copies. */
#include "ynode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct ynode *ynode_new(enum ynode_kind kind, struct mark m)
{
        struct ynode *n = calloc(1, sizeof(*n));

        if (n) {
                n->kind = kind;
                n->mark = m;
        }
        return n;
}

void ynode_free(struct ynode *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n; i++) {
                if (n->keys)
                        ynode_free(n->keys[i]);
                ynode_free(n->items[i]);
        }
        free(n->keys);
        free(n->items);
        free(n->value);
        free(n);
}

int ynode_append(struct ynode *n, struct ynode *key, struct ynode *item)
{
        struct ynode **items = realloc(n->items, (n->n + 1) * sizeof(*items));

        if (!items)
                return -ENOMEM;
        n->items = items;
        if (n->kind == YNODE_MAP) {
                struct ynode **keys = realloc(n->keys, (n->n + 1) * sizeof(*keys));

                if (!keys)
                        return -ENOMEM;
                n->keys = keys;
                n->keys[n->n] = key;
        }
        n->items[n->n++] = item;
        return 0;
}

size_t ynode_count(const struct ynode *n)
{
        size_t c = 1;

        for (size_t i = 0; i < n->n; i++)
                c += ynode_count(n->items[i]) + (n->keys ? 1 : 0);
        return c;
}

static ssize_t map_index(const struct ynode *map, const char *key)
{
        if (!map || map->kind != YNODE_MAP)
                return -1;
        for (size_t i = 0; i < map->n; i++)
                if (!strcmp(map->keys[i]->value, key))
                        return (ssize_t)i;
        return -1;
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
        ssize_t i = map_index(map, key);

        return i < 0 ? NULL : map->items[i];
}

struct ynode *ynode_take(struct ynode *map, const char *key)
{
        ssize_t i = map_index(map, key);
        struct ynode *v;

        if (i < 0)
                return NULL;
        v = map->items[i];
        ynode_free(map->keys[i]);
        memmove(&map->keys[i], &map->keys[i + 1], (map->n - (size_t)i - 1) * sizeof(*map->keys));
        memmove(&map->items[i], &map->items[i + 1], (map->n - (size_t)i - 1) * sizeof(*map->items));
        map->n--;
        return v;
}

int ynode_is_null(const struct ynode *n)
{
        if (!n || n->kind != YNODE_SCALAR || n->quoted)
                return 0;
        return !n->value[0] || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
               !strcmp(n->value, "Null") || !strcmp(n->value, "NULL");
}

const char *ynode_kind_name(const struct ynode *n)
{
        if (n->kind == YNODE_MAP)
                return "a mapping";
        if (n->kind == YNODE_SEQ)
                return "a sequence";
        return ynode_is_null(n) ? "null" : "a scalar";
}

struct ynode *ynode_dup(const struct ynode *n)
{
        struct ynode *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->kind = n->kind;
        c->mark = n->mark;
        c->quoted = n->quoted;
        c->len = n->len;
        if (n->value) {
                c->value = malloc(n->len + 1);
                if (!c->value)
                        goto fail;
                memcpy(c->value, n->value, n->len + 1);
        }
        for (size_t i = 0; i < n->n; i++) {
                struct ynode *k = n->keys ? ynode_dup(n->keys[i]) : NULL;
                struct ynode *v = ynode_dup(n->items[i]);

                if (!v || (n->keys && !k) || ynode_append(c, k, v) < 0) {
                        ynode_free(k);
                        ynode_free(v);
                        goto fail;
                }
        }
        return c;
fail:
        ynode_free(c);
        return NULL;
}
