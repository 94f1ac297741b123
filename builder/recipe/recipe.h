/* recipe.h: the typed recipe tree that the loader fills from YAML. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/diag.h"
#include "ynode.h"

/* Every path in the typed tree is already resolved: relative paths in a recipe
 * are taken relative to the directory of the file that wrote them. */

enum base_kind {
        BASE_NONE = 0,
        BASE_BUSYBOX,    /* busybox: {}                    minimal init + busybox-static */
        BASE_TARBALL,    /* tarball: path                  tar, tar.gz, tar.zst */
        BASE_DEBS,       /* debs: [path, ...]              local .deb files */
        BASE_MMDEBSTRAP, /* mmdebstrap: {suite, packages, mirror, variant} */
        BASE_IMAGE,      /* image: path.qcow2              existing disk (libguestfs) */
};

struct base_spec {
        enum base_kind kind;
        struct mark mark;
        char *path;  /* tarball, image */
        char **debs; /* debs */
        size_t n_debs;
        char *suite; /* mmdebstrap */
        char *mirror;
        char *variant;
        char **packages;
        size_t n_packages;
};

struct overlay_spec {
        char *path; /* a directory, or an archive libarchive reads */
        bool allow_devices;
        bool allow_setuid;
        struct mark mark;
};

enum file_type { FILE_REGULAR = 0, FILE_DIRECTORY, FILE_SYMLINK };

struct file_spec {
        char *path; /* absolute inside the root */
        enum file_type type;
        uint32_t mode;       /* permission bits; default 0644 files, 0755 dirs */
        char *owner, *group; /* names resolved against the staged passwd/group, or numbers */
        char *content;       /* inline content (regular files) */
        size_t content_len;
        char *source; /* host file to copy (regular files) */
        char *target; /* symlink target */
        struct mark mark;
};

struct group_spec {
        char *name;
        int64_t gid; /* -1: next free from 1000 */
        char **members;
        size_t n_members;
        struct mark mark;
};

struct user_spec {
        char *name;
        int64_t uid;   /* -1: next free from 1000 */
        char *group;   /* primary group name; default: a group named as the user */
        char **groups; /* supplementary */
        size_t n_groups;
        char *home;          /* default /home/NAME */
        char *shell;         /* default /bin/sh */
        char *password_hash; /* crypt(3) string; default "!" (locked) */
        char **ssh_keys;
        size_t n_ssh_keys;
        struct mark mark;
};

struct service_spec {
        char *name;    /* for busybox roots: a script name under /etc/init.d or an applet */
        char *command; /* busybox: the command line the init runs (respawn) */
        struct mark mark;
};

struct nic_spec {
        char *network;
        char *mac;     /* NULL: derived from role and network name */
        char *model;   /* default virtio */
        char *address; /* IPv4 CIDR the guest sets on this NIC, "dhcp", or NULL: left down */
        char *gateway; /* IPv4 address: the default route goes through this NIC */
        struct mark mark;
};

struct vmdisk_spec {
        char *name;
        uint64_t size;
        struct mark mark;
};

struct vm_spec {
        unsigned vcpus;  /* default 1 */
        uint64_t memory; /* bytes; default 512M */
        struct nic_spec *nics;
        size_t n_nics;
        struct vmdisk_spec *disks; /* extra data disks beside the system disk */
        size_t n_disks;
};

enum part_type {
        PART_LINUX = 0, /* linux filesystem data */
        PART_ESP,
        PART_ROOT_X86_64,
        PART_LVM,
        PART_SWAP,
};

struct partition_spec {
        char *name; /* GPT partition name */
        enum part_type type;
        uint64_t size;    /* bytes; 0 with size_rest */
        bool size_rest;   /* "rest": what is left of the disk (last partition only) */
        char *fs;         /* "ext4", "vfat", "squashfs", "erofs", NULL = none */
        char *label;      /* filesystem label; default the partition name */
        char *mountpoint; /* which subtree of the root goes here; "/" for the root */
        struct mark mark;
};

struct disk_spec {
        uint64_t size; /* bytes; 0 = sum of partitions + GPT overhead */
        struct partition_spec *partitions;
        size_t n_partitions;
        struct mark mark;
};

/* The host storage stack: an LVM pool on a partition of the disk, with volumes. */
struct volume_spec {
        char *name;       /* logical volume name */
        uint64_t size;    /* bytes, a multiple of 1M; 0 with size_rest */
        bool size_rest;   /* "rest": the extents the other volumes leave (last volume only) */
        char *fs;         /* "xfs" or "ext4" */
        char *mountpoint; /* absolute; an fstab entry of the root */
        char *purpose; /* cluster-shared-volume (holds the VM payloads), blob, file-share, data */
        struct mark mark;
};

struct pool_spec {
        char *partition;    /* name of a type: lvm partition of the role's disk */
        char *vg;           /* volume group name */
        bool grow;          /* first boot: grow the partition and PV to the end of the disk */
        char **extra_disks; /* block devices added to the VG on first boot */
        size_t n_extra_disks;
        struct mark mark;
};

struct storage_spec {
        struct pool_spec pool; /* pool.partition NULL: the role has no storage section */
        struct volume_spec *volumes;
        size_t n_volumes;
        struct mark mark;
};

enum output_fmt {
        OUT_RAW = 1 << 0,
        OUT_QCOW2 = 1 << 1,
        OUT_VHDX = 1 << 2,
};
/* An appliance's deliverables (iso, pxe, ...) are the names the loader is given
 * (load_opts.deliverables, from the plan's table): the recipe asking for the
 * i-th sets OUT_DELIVERABLE(i) in appliance.outputs. */
#define OUT_DELIVERABLE(i)   (1u << (8 + (i)))
#define OUT_DELIVERABLES_MAX 16

struct check_spec {
        char *command;    /* run inside the booted VM */
        char *expect;     /* what its output must contain */
        unsigned timeout; /* seconds */
        struct mark mark;
};

struct role {
        char *name;
        char *description;
        char *file;     /* the recipe file that defines the role */
        char *hostname; /* default: name in lower case */
        struct base_spec base;
        struct overlay_spec *overlays;
        size_t n_overlays;
        struct file_spec *files;
        size_t n_files;
        struct group_spec *groups;
        size_t n_groups;
        struct user_spec *users;
        size_t n_users;
        struct service_spec *services;
        size_t n_services;
        char *cmdline;         /* kernel command line */
        char *kernel;          /* kernel image path; NULL = the Debian kernel package */
        char **kernel_modules; /* loaded by the initrd besides its own (nf_tables …) */
        size_t n_kernel_modules;
        struct vm_spec vm;
        struct disk_spec disk;
        struct storage_spec storage; /* LVM pool and volumes inside the disk (libguestfs) */
        unsigned outputs;            /* enum output_fmt bits */
        struct check_spec check;
        bool disabled;      /* built, not started by default */
        struct ynode *tree; /* the merged recipe subtree: the role's identity for hashing */
        struct mark mark;
};

struct network_spec {
        char *name;
        char *bridge;
        char *cidr; /* e.g. 10.20.0.0/24; NULL = isolated without addresses */
        bool nat;
        struct mark mark;
};

/* An appliance check: a command run inside one VM once the appliance is up
 * (pocbake up), retried until its output holds expect or the time runs out. */
struct app_check {
        char *name;
        char *from; /* the role (or the host) it runs in */
        char *command;
        char *expect;
        unsigned timeout; /* seconds */
        struct mark mark;
};

struct appliance {
        char *name;
        char *description;
        char *file;
        struct role **roles;
        size_t n_roles;
        struct network_spec *networks;
        size_t n_networks;
        struct role *host; /* NULL when the appliance has no host section yet */
        struct app_check *checks;
        size_t n_checks;
        unsigned outputs; /* the host's disk formats, and OUT_DELIVERABLE bits */
        struct ynode *tree;
        struct mark mark;
        char **files; /* interned recipe file names: every mark points here */
        size_t n_files;
        char **profiles; /* every profile name its files define */
        size_t n_profiles;
};

struct load_opts {
        const char *profile;      /* NULL = none: profiles: sections are ignored */
        unsigned max_alias_nodes; /* 0 = default bound */
        bool no_files;            /* extends/include/roles may not name files (fuzzing) */
        /* The deliverables an appliance may ask for in outputs: (at most
         * OUT_DELIVERABLES_MAX); none when NULL. */
        const char *const *deliverables;
        size_t n_deliverables;
        /* Where the recipe's paths may lead besides the top-level recipe's directory
         * tree: the user's --allow-path directories (each must exist) and the shipped
         * recipes (skipped when missing). Not checked when no_files. */
        const char *const *allow;
        size_t n_allow;
        const char *shipped;
};

/* Load a recipe file: an appliance (top-level `appliance:`) or a single role
 * (top-level `role:`); a lone role is wrapped in an appliance of that one role.
 * Every error goes to d as "file:line:col: what is wrong (what was expected)";
 * returns 0, or -EINVAL after recipe errors, or another negative errno. */
int recipe_load(const char *path, const struct load_opts *o, struct appliance **out,
                struct diag *d);
/* The same from bytes in memory; display names the buffer in messages. Files it
 * names are read relative to display's directory unless o->no_files. */
int recipe_load_buf(const char *buf, size_t len, const char *display, const struct load_opts *o,
                    struct appliance **out, struct diag *d);
void appliance_free(struct appliance *a);
void role_free(struct role *r);
struct role *appliance_find_role(const struct appliance *a, const char *name);

/* The MAC of a role's NIC on a network when the recipe gives none: derived from
 * both names, in the locally administered range QEMU and libvirt use (52:54:00). */
void recipe_nic_mac(const char *role, const char *network, char out[18]);

const char *part_type_name(enum part_type t);
const char *output_fmt_name(enum output_fmt f);

/* GPT overhead the checks assume: 1 MiB before the first partition (protective
 * MBR, header, table, alignment) and 1 MiB after the last (backup table). */
#define DISK_GPT_OVERHEAD (UINT64_C(2) << 20)
/* Smallest disk that holds the fixed partitions (a "rest" partition counts 1 MiB). */
uint64_t disk_min_size(const struct disk_spec *disk);
