/* nodes.h: the node types of the graph (one file each) and what plans a role's nodes;
 * private to plan/. */
#pragma once

#include "graph.h"
#include "media/gzimage.h"

/* A role's nodes (roles.c). */
extern const struct node_type node_rootfs;  /* node_rootfs.c: the staged root tree */
extern const struct node_type node_fs;      /* node_fs.c: one partition's filesystem image */
extern const struct node_type node_disk;    /* node_disk.c: the raw GPT disk */
extern const struct node_type node_image;   /* node_image.c: a customized copy of an image */
extern const struct node_type node_convert; /* node_convert.c: qcow2 / vhdx of the disk */
extern const struct node_type node_host;    /* node_host.c: the host disk, pool and payloads */
extern const struct node_type node_live;    /* node_live.c: the host's live root, image gzip'd */
/* The boot chain (node_boot.c). */
extern const struct node_type node_initrd; /* shared by every UKI of one kernel and module list */
extern const struct node_type node_uki;    /* a role's signed unified kernel image */

/* Every node of role r: root, filesystems, disk, conversions (and the host's
 * own node when r is the appliance's host). */
int plan_role(struct graph *g, struct role *r, struct diag *d);
/* The tree that goes into partition p: the root, a split-off mountpoint, or
 * none (*tree NULL); rootfs_obj is the rootfs node's object directory. */
int part_tree(const char *rootfs_obj, const struct partition_spec *p, char **tree);

/* The recipe keys and stage inputs that shape a root: hashed by the disk node of
 * a role built on an existing image, which stages no root of its own. */
int rootfs_hash_recipe(const struct role *r, struct hasher *h, struct diag *d);

/* The initrd for a kernel and a list of extra modules: shared by every role that asks
 * for the same pair. The common one (default kernel, no extra modules) is owned by
 * "shared", so its key does not depend on which roles a build covers. */
struct node *graph_initrd(struct graph *g, const char *kernel, char *const *modules,
                          size_t n_modules, const char *owner);
/* The bytes of every module file an initrd of this kind (enum chain_initrd_kind)
 * takes for kernel, extra modules included: a module updated without its kernel
 * changes the key, and the provenance lists each file. */
int hash_initrd_modules(int kind, const char *kernel, char *const *extra, size_t n_extra,
                        struct hasher *h, struct diag *d);
/* The keys and the kernel the boot chain needs, checked before anything is built. */
int boot_check(const struct boot_config *b, struct diag *d);
/* What an ESP's bytes depend on when it carries the boot chain. */
int esp_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d);
/* Fill dir with the ESP tree: the recipe's files (tree, may be NULL), signed
 * systemd-boot, the role's UKI (n->uki) and the enrollment files. */
int make_esp_tree(const struct graph *g, const struct node *n, const char *tree, const char *dir,
                  struct diag *d);
/* A UKI of kernel + initrd + cmdline at out, signed with the build's db key. */
int uki_signed(const struct graph *g, const char *kernel, const char *initrd, const char *cmdline,
               const char *out, struct diag *d);
/* The root partition's PARTUUID as the kernel command line needs it. */
int role_root_partuuid(const struct role *r, char out[UUID_STR], struct diag *d);

/* Beside host.raw in the host node's object: the tree its root filesystem was
 * made from (guest_make_host's keep), which the live node packs. */
#define HOST_ROOT_TREE "root-tree"

/* The live node of the host node (made once, shared by the ISO and the PXE set)
 * and the files in its object. */
#define LIVE_ROOT       "root.squashfs"
#define LIVE_IMAGE_GZ   "host.raw.gz"
#define LIVE_IMAGE_INFO "host.raw.gz.info"
struct live_files {
        char *root;           /* the squashfs of the host image's root partition */
        char *image_gz;       /* the host image gzip'd */
        struct gz_image info; /* its sizes and digests */
};
struct node *plan_live(struct graph *g, struct node *host);
int live_files(const struct graph *g, const struct node *live, struct live_files *f,
               struct diag *d);
void live_files_release(struct live_files *f);
