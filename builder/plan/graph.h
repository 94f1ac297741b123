/* graph.h: the artifact graph of a recipe: nodes, their types, content keys, and the cache. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/diag.h"
#include "util/hash.h"

struct graph;
struct node;

/* What one kind of node is: a row of plan/nodes.h's types. graph.c reads these
 * fields and knows no kind by name. */
struct node_type {
        const char *name; /* in node ids, events, manifests and content keys */
        /* The artifact inside the node's object directory: a file, or a directory
         * whose regular files are the artifact (a boot set); object_of, when set,
         * names it per node instead. */
        const char *object;
        const char *(*object_of)(const struct node *n);
        /* A second artifact exported beside the first: its object file, and the
         * extension that replaces the export name's last one (".gz": a .tar.gz
         * beside a .tar.zst); NULL when there is none. */
        const char *also_object, *also_ext;
        /* Feed everything the node's bytes depend on, besides what every key has
         * (schema, version, epoch, type, owner, input keys). */
        int (*hash)(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d);
        /* Write the artifact into dir (in a forked worker). */
        int (*make)(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
};

enum node_status { NODE_SKIPPED, NODE_CACHED, NODE_BUILT, NODE_FAILED, NODE_PULLED };

/* A file a node's key read (a recipe file, an overlay's file, a kernel, …): the
 * provenance's resolvedDependencies. */
struct node_read {
        char *path;
        bool has_digest; /* a tree's file: its SHA-256 is known already */
        uint8_t digest[SHA256_LEN];
};

struct node {
        const struct node_type *type;
        char *id;             /* "rootfs:ROLE", "fs:ROLE/PART", "disk:ROLE", "qcow2:ROLE" */
        struct role *role;    /* NULL for appliance-wide nodes (initrd, bundle) */
        const char *owner;    /* role or appliance name, for ids and events */
        const char *kernel;   /* initrd, uki, pxe, iso: the kernel image */
        char *const *modules; /* initrd: the roles' kernel.modules, besides the init's */
        size_t n_modules;
        size_t part;              /* fs: index into role->disk.partitions */
        enum output_fmt fmt;      /* convert */
        const struct node *uki;   /* fs of an ESP: the role's signed UKI it carries */
        struct node *inputs[128]; /* built before this node; their keys are in its key */
        size_t n_inputs;
        char key[SHA256_HEX];
        char *export_name; /* file in the output directory, NULL = intermediate */
        bool cached;       /* key present in the cache */
        bool build;        /* must be built in this run */
        enum node_status status;
        bool started; /* handed to a worker */
        double began; /* built: when its worker started, seconds into the build */
        double seconds;
        long rss_kib;            /* built: the worker's own peak memory, tools not counted */
        struct node_read *reads; /* the files its hash hook read, in the order read */
        size_t n_reads;
};

struct graph {
        struct node **nodes; /* in build order: inputs before their users */
        size_t n;
        const struct appliance *app;
        char *cache; /* cache root */
        uint64_t epoch;
        const struct boot_config *boot; /* NULL: ESPs get no boot chain */
        const char *profile;            /* the recipe's profile, NULL: none */
};

/* The UEFI boot chain put on every ESP partition when signing keys are given. */
struct boot_config {
        const char *keys;   /* directory of keys init: db.key/db.crt sign, PK/KEK/db enroll */
        const char *kernel; /* default kernel image: the newest /boot/vmlinuz-* */
        int enroll;         /* enum esp_enroll */
};

struct graph_opts {
        const char *cache;
        uint64_t epoch;
        const char *const *roles; /* NULL = every role */
        size_t n_roles;
        const struct boot_config *boot;
        const char *profile;
};

/* A new node of type t owned by owner (a role's or the appliance's name), with
 * the id "TYPE:OWNER" or "TYPE:OWNER/WHAT"; appended to the build order. */
struct node *graph_add_node(struct graph *g, const struct node_type *t, struct role *r,
                            const char *owner, const char *what);
/* Add in as an input of n; -E2BIG when n has no room left. */
int node_add_input(struct node *n, struct node *in);
/* The first node of type t for role r (NULL r: an appliance-wide node), or NULL. */
struct node *graph_find(const struct graph *g, const struct node_type *t, const struct role *r);
/* Every node's content key and whether the cache holds it, then graph_mark_needed. */
int graph_keys(struct graph *g, struct diag *d);
void graph_release(struct graph *g);

/* Directory of a node's artifact in the cache, malloc'd. */
char *node_object_dir(const struct graph *g, const struct node *n);
/* CACHE/manifests/KEY: what the object held when it was made (util/treesum.h),
 * written before the object is stored; an object without one is not trusted. */
char *node_manifest(const struct graph *g, const struct node *n);
/* The path of a node's artifact (file or directory) in the cache, malloc'd. */
char *node_object_path(const struct graph *g, const struct node *n);
/* The path of an input's artifact inside its object, malloc'd: the object's
 * file "name" ("fs.img", "root", …). */
char *node_input_file(const struct graph *g, const struct node *in, const char *name);
/* Mark which nodes must be built: exported nodes not in the cache, and their
 * inputs, recursively, when those are not cached either. */
void graph_mark_needed(struct graph *g);
/* Whether the build reads n's object: an output, or an input of a node it builds. */
bool graph_reads(const struct graph *g, const struct node *n);

/* One file a node puts in the output directory. */
struct export_file {
        char *out; /* relative to the output directory */
        char *src; /* the artifact in the cache */
};
struct export_list {
        struct export_file *v;
        size_t n;
};
/* Append the files node n exports, in a fixed order (a directory artifact's
 * files by name, then the second artifact). Nothing for an intermediate node. */
int node_exports(const struct graph *g, const struct node *n, struct export_list *l);
void export_list_release(struct export_list *l);

/* What node types feed into their keys (the hash hooks of nodes.h and outputs.h). */
/* The bytes of path, naming it when it cannot be read. */
int hash_path(struct hasher *h, const char *path, struct diag *d);
/* The bytes of a pocbake data file (firmware/...), found as data_path finds it. */
int hash_data_file(struct hasher *h, const char *rel, struct diag *d);
/* A file of the build's keys directory, malloc'd; and its bytes. */
char *keys_file(const struct boot_config *b, const char *name);
int hash_key_file(struct hasher *h, const struct boot_config *b, const char *name, struct diag *d);

/* The sha256 (hex) of a file node in exports (src, in the node's object): read
 * once per object and kept in CACHE/digests/KEY.NAME.sha256. */
int export_sha256(const struct graph *g, const struct node *in, const char *src,
                  char out[SHA256_HEX]);

/* CACHE/lock: every build holds it shared for as long as it runs; what removes
 * objects (cache prune) takes it exclusive, and gets -EBUSY at once while a build
 * runs. *fd stays open while the lock is held. */
int cache_lock(const char *cache, bool exclusive, int *fd);

/* Default cache: $XDG_CACHE_HOME/pocbake or ~/.cache/pocbake. */
char *cache_default(void);
