/* merge.c: lookups, copies, merges and canonical hashing of ynode trees. */
#include "ynode.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/hash.h"

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

/* Move over's contents into base (base keeps its address, so parents still point
 * at it), dropping what base held. */
static void replace_node(struct ynode *base, struct ynode *over)
{
        struct ynode tmp = *base;

        *base = *over;
        *over = tmp;
        ynode_free(over);
}

void ynode_merge(struct ynode *base, struct ynode *over)
{
        if (!over)
                return;
        if (base->kind != YNODE_MAP || over->kind != YNODE_MAP) {
                replace_node(base, over);
                return;
        }
        for (size_t i = 0; i < over->n; i++) {
                ssize_t j = map_index(base, over->keys[i]->value);

                if (j < 0) {
                        if (ynode_append(base, over->keys[i], over->items[i]) < 0)
                                continue; /* left in over, freed below */
                } else {
                        ynode_merge(base->items[j], over->items[i]);
                        ynode_free(over->keys[i]);
                }
                over->keys[i] = over->items[i] = NULL;
        }
        ynode_free(over);
}

static int cmp_keys(const void *a, const void *b)
{
        const struct ynode *const *x = a, *const *y = b;

        return strcmp((*x)->value, (*y)->value);
}

void ynode_hash(const struct ynode *n, struct hasher *h)
{
        if (!n) {
                hasher_str(h, "absent"); /* an absent key differs from any value */
                return;
        }
        if (n->kind == YNODE_SCALAR) {
                hasher_str(h, n->quoted ? "q" : "s");
                hasher_update(h, n->value, n->len);
                hasher_u64(h, n->len);
                return;
        }
        hasher_str(h, n->kind == YNODE_MAP ? "map" : "seq");
        hasher_u64(h, n->n);
        if (n->kind == YNODE_SEQ || n->n == 0) {
                for (size_t i = 0; i < n->n; i++)
                        ynode_hash(n->items[i], h);
                return;
        }
        /* Keys are unique, so sorting the key nodes alone gives a canonical order;
         * each key's value is found by its position in the original map. */
        _cleanup_free_ const struct ynode **keys = malloc(n->n * sizeof(*keys));
        if (!keys) {
                hasher_str(h, "enomem"); /* never equal to a real tree's digest */
                return;
        }
        memcpy(keys, n->keys, n->n * sizeof(*keys));
        qsort(keys, n->n, sizeof(*keys), cmp_keys);
        for (size_t i = 0; i < n->n; i++) {
                hasher_str(h, keys[i]->value);
                ynode_hash(ynode_get(n, keys[i]->value), h);
        }
}
