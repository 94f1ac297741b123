/* guest.h: what pocbake does through libguestfs: host pool, payloads, inspection, customizing. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/diag.h"

/* Where the host image keeps what pocbake puts into it. */
#define GUEST_STATE_DIR   "/var/lib/pocbake"
#define GUEST_PAYLOAD_DIR "/var/lib/pocbake/payloads"
#define GUEST_LIBVIRT_DIR "/var/lib/pocbake/libvirt"
#define GUEST_MANIFEST    GUEST_PAYLOAD_DIR "/manifest.json"
/* Each VM's qcow2 overlay on its read-only payload, made by pocbake-payloads at boot */
#define GUEST_OVERLAY_DIR "/var/lib/pocbake/overlays"
/* Each VM's serial console, as libvirt logs it (ROLE-console.log) */
#define GUEST_CONSOLE_DIR "/var/log/libvirt/qemu"

/* The host's scripts and units in the data directory (firmware/host/...) that
 * the host image carries; NULL-terminated. */
extern const char *const guest_host_files[];

/* Settings of the libvirt XML the host defines at boot. NULL members take the
 * defaults in the comments. */
struct guest_xml_opts {
        const char *domain_type;    /* "kvm"; the host's script sets its own at boot */
        const char *loader;         /* /usr/share/OVMF/OVMF_CODE_4M.secboot.fd */
        const char *nvram_template; /* /usr/share/OVMF/OVMF_VARS_4M.fd (setup mode) */
        const char *nvram_dir;      /* /var/lib/libvirt/qemu/nvram */
        const char *overlay_dir;    /* GUEST_OVERLAY_DIR */
        const char *console_dir;    /* GUEST_CONSOLE_DIR */
};

/* A libvirt domain for role r: q35 with SMM, the Secure Boot OVMF loader, its
 * overlay qcow2 (OVERLAY_DIR/NAME.qcow2, backed by its payload) as a virtio disk,
 * one NIC per recipe nic on the libvirt network of that name, a serial console
 * logged to CONSOLE_DIR/NAME-console.log. The first line is "<domain type='T'>"
 * and the disk's one "<source file='F'/>" line stands alone: the host's
 * pocbake-payloads rewrites both. malloc'd; NULL with errno set on failure. */
char *guest_domain_xml(const struct role *r, const struct guest_xml_opts *o);
/* A libvirt network for an appliance network: name, bridge, the first address
 * of its cidr as the host's, NAT forwarding when nat is set. NULL with errno
 * EINVAL for a cidr that is not IPv4 "a.b.c.d/n". */
char *guest_network_xml(const struct network_spec *n);

/* The acceleration setting from POCBAKE_ACCEL (auto, kvm, tcg) as libguestfs
 * backend settings; -EINVAL for another value. */
int guest_accel_settings(const char **settings);

/* The host's disk, composed without libguestfs. disk_raw, a copy of the host's
 * plain disk, is written in place: its root filesystem is made again from
 * root_tree with the host's files added (fstab lines for the volumes, libvirt's
 * networks and domains, the units that start them, the grow configuration), and
 * its pool partition gets the LVM group, one filesystem per volume (each seeded
 * with what root_tree holds under its mountpoint) and, on the cluster-shared
 * volume, the roles' qcow2 (role_qcow2[i] for a->roles[i]; NULL skips the role)
 * as read-only golden payloads with their manifest. work is a scratch directory
 * made and removed here. keep, when not NULL, is where the composed root tree
 * goes afterwards (hard links into root_tree's files, plus lost+found on ext4):
 * what the root partition holds, for the live media. The same inputs and epoch
 * give the same bytes. */
int guest_make_host(const char *disk_raw, const char *root_tree, const struct appliance *a,
                    const char *const *role_qcow2, uint64_t epoch, const char *work,
                    const char *keep, struct diag *d);

/* Copy src_image (any format qemu-img reads) to out_raw as a raw disk and apply
 * r's overlays, files, users, groups and services to the operating system
 * found in it. One libguestfs launch; out_raw appears only when all went well. */
int guest_customize(const char *src_image, const char *out_raw, const struct role *r,
                    uint64_t epoch, struct diag *d);

/* What `pocbake inspect` reads from an image. */
struct guest_part {
        int num;
        char *name, *type_guid;
        int64_t start, size;
};
struct guest_fs {
        char *device, *type, *label, *uuid;
        int64_t size;
};
struct guest_lv {
        char *vg, *name;
        int64_t size;
};
struct guest_payload {
        char *role, *file;
        char *want_sha256; /* from the manifest */
        char *got_sha256;  /* computed in the appliance; NULL when the file is missing */
        int64_t want_size, got_size;
};
struct guest_report {
        char *image, *format;
        char *parttype;
        struct guest_part *parts;
        size_t n_parts;
        struct guest_fs *fss;
        size_t n_fss;
        char **vgs;
        size_t n_vgs;
        struct guest_lv *lvs;
        size_t n_lvs;
        char *root;       /* device holding the root filesystem */
        char *os_release; /* its os-release text */
        bool has_manifest;
        struct guest_payload *payloads;
        size_t n_payloads;
};

/* Read image (raw, qcow2 or vhdx, detected from its bytes) read-only in one
 * launch and fill rep. */
int guest_inspect(const char *image, struct guest_report *rep, struct diag *d);
void guest_report_release(struct guest_report *rep);
/* The image format from the file's first bytes: "qcow2", "vhdx" or "raw"; NULL
 * with errno and d saying why for an image that is none of them or that names
 * other files (a backing file, a data file, a parent, a descriptor). */
const char *guest_detect_format(const char *image, struct diag *d);
