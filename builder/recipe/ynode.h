/* ynode.h: a YAML document as a tree of nodes that remember where they were written. */
#pragma once

#include <stddef.h>

#include "util/diag.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
        enum ynode_kind kind;
        struct mark mark;
        char *value; /* scalar text (NUL-terminated; len excludes NUL) */
        size_t len;
        int quoted; /* scalar was quoted: never a number, bool or null */
        /* MAP: keys[i] -> items[i]; SEQ: items[i]. Keys are scalar nodes. */
        struct ynode **keys;
        struct ynode **items;
        size_t n;
};

struct yparse_opts {
        unsigned max_depth;       /* default 64 */
        unsigned max_alias_nodes; /* nodes an alias may expand to, in total; default 10000 */
};

/* Parse one YAML document. Rejects: a file that is not UTF-8, duplicate keys,
 * non-scalar keys, nesting deeper than max_depth, aliases that expand past the
 * bound, more than one document. The file name is kept by pointer: it must live
 * as long as the tree (the loader interns it). */
int yparse_file(const char *path, const char *display, const struct yparse_opts *o,
                struct ynode **out, struct diag *d);
int yparse_buf(const char *buf, size_t len, const char *display, const struct yparse_opts *o,
               struct ynode **out, struct diag *d);
/* A node with nothing in it yet; NULL when out of memory. */
struct ynode *ynode_new(enum ynode_kind kind, struct mark m);
void ynode_free(struct ynode *n);
struct ynode *ynode_get(const struct ynode *map, const char *key);
/* Deep copy. */
struct ynode *ynode_dup(const struct ynode *n);
/* Merge over into base: maps merge key by key (recursively), anything else
 * replaces. over is consumed. */
void ynode_merge(struct ynode *base, struct ynode *over);
/* Feed a canonical form of the tree (maps by sorted key, no marks) to a hasher;
 * n may be NULL (an absent key), which hashes unlike any tree. */
struct hasher;
void ynode_hash(const struct ynode *n, struct hasher *h);

/* Append key (NULL for a sequence) and item to a map or sequence; ownership moves
 * on success only. */
int ynode_append(struct ynode *n, struct ynode *key, struct ynode *item);
/* Nodes in the tree (keys included). */
size_t ynode_count(const struct ynode *n);
/* Remove key from map and hand its value to the caller (NULL when absent). */
struct ynode *ynode_take(struct ynode *map, const char *key);
/* A plain (unquoted) empty, "~" or "null" scalar. */
int ynode_is_null(const struct ynode *n);
/* "a mapping", "a sequence", "null" or "a scalar": for messages. */
const char *ynode_kind_name(const struct ynode *n);
