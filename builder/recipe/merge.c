/* merge.c: merging YAML trees key by key, and their canonical hash. */
#include "ynode.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/hash.h"

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
                struct ynode *b = ynode_get(base, over->keys[i]->value);

                if (!b) {
                        if (ynode_append(base, over->keys[i], over->items[i]) < 0)
                                continue; /* left in over, freed below */
                } else {
                        ynode_merge(b, over->items[i]);
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
