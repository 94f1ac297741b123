/* graph.h: the artifact graph of a recipe, content keys, and the cache. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/diag.h"
#include "util/hash.h"

enum node_kind {
        NODE_ROOTFS,  /* staged root tree */
        NODE_FS,      /* one partition's filesystem image */
        NODE_DISK,    /* the raw GPT disk */
        NODE_CONVERT, /* qcow2 / vhdx of the disk */
        NODE_INITRD,  /* the initrd every UKI of one kernel shares */
        NODE_UKI,     /* a role's signed unified kernel image */
        NODE_HOST,    /* the host disk with its storage pool and the roles as payloads */
        NODE_PXE,     /* the host's PXE boot set (a directory) */
        NODE_ISO,     /* the hybrid install ISO of the host */
        NODE_BUNDLE,  /* the signed CI bundle of every output (.tar.zst and .tar.gz) */
};

enum node_status { NODE_SKIPPED, NODE_CACHED, NODE_BUILT, NODE_FAILED };

struct node {
        enum node_kind kind;
        char *id;             /* "rootfs:ROLE", "fs:ROLE/PART", "disk:ROLE", "qcow2:ROLE" */
        struct role *role;    /* NULL for appliance-wide nodes (initrd) */
        const char *owner;    /* role or appliance name, for ids and events */
        const char *kernel;   /* NODE_INITRD, NODE_UKI: the kernel image */
        char *const *modules; /* NODE_INITRD: the roles' kernel.modules, besides the init's */
        size_t n_modules;
        size_t part;         /* NODE_FS: index into role->disk.partitions */
        enum output_fmt fmt; /* NODE_CONVERT */
        struct node *inputs[64];
        size_t n_inputs;
        char key[SHA256_HEX];
        char *export_name; /* file in the output directory, NULL = intermediate */
        bool cached;       /* key present in the cache */
        bool build;        /* must be built in this run */
        enum node_status status;
        bool started; /* handed to a worker */
        double seconds;
};

struct graph {
        struct node **nodes; /* in build order: inputs before their users */
        size_t n;
        const struct appliance *app;
        char *cache; /* cache root */
        uint64_t epoch;
        const struct boot_config *boot; /* NULL: ESPs get no boot chain */
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
};

/* The check phase alone: every role's stage inputs, layout and filesystems. */
int graph_check(const struct appliance *a, const struct graph_opts *o, struct diag *d);
/* Check everything that can be checked without writing (recipe-level checks of
 * every stage, layout and filesystem), then build the graph and its keys. */
int graph_plan(struct graph *g, const struct appliance *a, const struct graph_opts *o,
               struct diag *d);
void graph_release(struct graph *g);
const char *node_kind_name(enum node_kind k);
/* Directory of a node's artifact in the cache. */
char *node_object_dir(const struct graph *g, const struct node *n);
/* The artifact file of a file-producing node inside its object directory. */
const char *node_object_file(const struct node *n);
/* Mark which nodes must be built: exported nodes not in the cache, and their
 * inputs, recursively, when those are not cached either. */
void graph_mark_needed(struct graph *g);

/* Boot chain nodes (boot.c): the initrd for a kernel (shared), a role's UKI,
 * and the key material that goes into an ESP. */
/* The initrd for a kernel and a list of extra modules: shared by every role that asks
 * for the same pair. */
struct node *graph_initrd(struct graph *g, const char *kernel, char *const *modules,
                          size_t n_modules, const char *owner);
int boot_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d);
int boot_check(const struct boot_config *b, struct diag *d);
int make_initrd(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
int make_uki(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
/* A UKI of kernel + initrd + cmdline at out, signed with the build's db key. */
int uki_signed(const struct graph *g, const char *kernel, const char *initrd, const char *cmdline,
               const char *out, struct diag *d);
/* Fill dir with the ESP tree: the recipe's files (tree, may be NULL), signed
 * systemd-boot, the role's UKI and the enrollment files. */
int make_esp_tree(const struct graph *g, const struct node *n, const char *tree, const char *dir,
                  struct diag *d);
/* The root partition's PARTUUID as the kernel command line needs it. */
/* The newest /boot/vmlinuz-*, malloc'd; NULL when there is none. */
char *boot_default_kernel(void);
int role_root_partuuid(const struct role *r, char out[UUID_STR], struct diag *d);

/* Deliverable nodes (deliver.c): the host's PXE set and the CI bundle. */
int plan_deliverables(struct graph *g, struct diag *d);
int deliver_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d);
int make_pxe(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
int make_bundle(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
int make_iso(const struct graph *g, const struct node *n, const char *dir, struct diag *d);
struct node *graph_add_node(struct graph *g, enum node_kind kind, struct role *r,
                            const char *owner);

/* Default cache: $XDG_CACHE_HOME/pocbake or ~/.cache/pocbake. */
char *cache_default(void);
