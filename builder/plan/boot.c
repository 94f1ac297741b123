/* boot.c: the boot chain nodes of the graph: initrd, signed UKI, the ESP's boot files. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/data.h"
#include "boot/esp.h"
#include "boot/initrd.h"
#include "boot/uki.h"
#include "disk/disk.h"
#include "sign/keygen.h"
#include "sign/sign.h"
#include "sign/ossl.h"
#include "stage/rootfs.h"
#include "stage/steps.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "nodes.h"

/* What the init needs to find a root on virtual and real machines: virtio,
 * SATA, NVMe and USB disks, CDs, the filesystems it mounts, efivarfs for the
 * SecureBoot marker, and a NIC for network roots. */
static const char *const initrd_modules[] = {
        "virtio_pci",
        "virtio_blk",
        "virtio_scsi",
        "virtio_net",
        "sd_mod",
        "sr_mod",
        "ahci",
        "nvme",
        "xhci_pci",
        "usb_storage",
        "uas",
        "ext4",
        "vfat",
        "efivarfs",
        "squashfs",
        "isofs",
        "loop",
        "overlay",
        /* the ESP's vfat: its default codepage and character set */
        "nls_cp437",
        "nls_ascii",
        "nls_utf8",
};

static const char *const key_files[] = {"PK.crt", "KEK.crt", "db.crt"};

int boot_check(const struct boot_config *b, struct diag *d)
{
        static const char *const need[] = {"PK.key", "KEK.key", "db.key",
                                           "PK.crt", "KEK.crt", "db.crt"};
        int rc = 0;

        for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
                _cleanup_free_ char *p = path_join(b->keys, need[i]);

                if (!p)
                        return -ENOMEM;
                if (access(p, R_OK) < 0)
                        rc = diag_err(d, -EINVAL,
                                      "secure boot keys: cannot read %s: %m "
                                      "(expected the output of 'pocbake keys init %s')",
                                      p, b->keys);
                else if (strstr(need[i], ".key")) {
                        EVP_PKEY *k = NULL;
                        int r = key_load(p, &k, d);

                        EVP_PKEY_free(k);
                        if (r < 0)
                                rc = -EINVAL;
                }
        }
        if (!b->kernel)
                rc = diag_err(d, -EINVAL,
                              "no kernel found in /boot (install linux-image-amd64 "
                              "or set kernel: {image: PATH} in the recipe)");
        else if (access(b->kernel, R_OK) < 0)
                rc = diag_err(d, -EINVAL, "kernel \"%s\": %m", b->kernel);
        return rc;
}

char *boot_default_kernel(void)
{
        glob_t gl;
        char *k = NULL;

        if (glob("/boot/vmlinuz-*", 0, NULL, &gl) != 0)
                return NULL;
        /* glob sorts by name; versions of one series sort the same way */
        if (gl.gl_pathc)
                k = strdup(gl.gl_pathv[gl.gl_pathc - 1]);
        globfree(&gl);
        return k;
}

static int kernel_release(const char *kernel, char **out, struct diag *d)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int rc = read_file(kernel, &buf, &len);

        if (rc < 0)
                return diag_err(d, rc, "cannot read kernel %s: %s", kernel, strerror(-rc));
        rc = uki_kernel_release((const uint8_t *)buf, len, out);
        if (rc < 0)
                return diag_err(d, rc, "%s: no kernel release string in its boot header", kernel);
        return 0;
}

int role_root_partuuid(const struct role *r, char out[UUID_STR], struct diag *d)
{
        struct gpt gpt = {0};
        size_t i;
        int rc = disk_layout(r, &gpt, d);

        if (rc < 0)
                return rc;
        for (i = 0; i < r->disk.n_partitions && i < gpt.n; i++) {
                const char *m = r->disk.partitions[i].mountpoint;

                if (m && !strcmp(m, "/"))
                        break;
        }
        if (i < r->disk.n_partitions && i < gpt.n)
                uuid_format(&gpt.parts[i].guid, out);
        else
                rc = diag_at(d, &r->disk.mark,
                             "role \"%s\" has no partition with mountpoint / "
                             "(expected one to boot from)",
                             r->name);
        gpt_release(&gpt);
        return rc;
}

static int uki_cmdline(const struct role *r, char **out, struct diag *d)
{
        char uuid[UUID_STR];
        int rc = role_root_partuuid(r, uuid, d);

        if (rc < 0)
                return rc;
        if (asprintf(out, "root=PARTUUID=%s rw %s", uuid,
                     r->cmdline ? r->cmdline : "console=ttyS0") < 0)
                return -ENOMEM;
        return 0;
}

static int hash_file(struct hasher *h, const char *path, struct diag *d)
{
        int rc = hasher_file(h, path);

        return rc < 0 ? diag_err(d, rc, "cannot read %s: %s", path, strerror(-rc)) : 0;
}

static int hash_data_file(struct hasher *h, const char *rel, struct diag *d)
{
        _cleanup_free_ char *p = data_path(rel);

        if (!p)
                return diag_err(d, -ENOENT, "pocbake data file %s not found (set POCBAKE_DATADIR)",
                                rel);
        return hash_file(h, p, d);
}

static int hash_keys(const struct graph *g, struct hasher *h, struct diag *d)
{
        int rc = 0;

        for (size_t i = 0; i < ARRAY_SIZE(key_files) && rc >= 0; i++) {
                _cleanup_free_ char *p = path_join(g->boot->keys, key_files[i]);

                rc = p ? hash_file(h, p, d) : -ENOMEM;
        }
        return rc;
}

static int initrd_hash(const struct graph *g, const struct node *n, struct hasher *h,
                       struct diag *d)
{
        int rc;

        for (size_t i = 0; i < ARRAY_SIZE(initrd_modules); i++)
                hasher_str(h, initrd_modules[i]);
        hasher_str(h, "role modules");
        for (size_t i = 0; i < n->n_modules; i++)
                hasher_str(h, n->modules[i]);
        if ((rc = hash_data_file(h, "firmware/initrd/init", d)) < 0 ||
            (rc = hash_data_file(h, "firmware/initrd/udhcpc.script", d)) < 0 ||
            (rc = hash_file(h, "/bin/busybox", d)) < 0)
                return rc;
        return hash_file(h, n->kernel, d);
}

static int uki_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        _cleanup_free_ char *cmdline = NULL;
        int rc;

        if ((rc = uki_cmdline(n->role, &cmdline, d)) < 0)
                return rc;
        hasher_str(h, cmdline);
        if ((rc = hash_file(h, n->kernel, d)) < 0 || (rc = hash_file(h, UKI_DEFAULT_STUB, d)) < 0)
                return rc;
        return hash_keys(g, h, d);
}

int esp_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        int rc;

        hasher_u64(h, (uint64_t)g->boot->enroll);
        if ((rc = hash_file(h, ESP_DEFAULT_LOADER, d)) < 0 ||
            (rc = hash_data_file(h, "firmware/loader.conf", d)) < 0)
                return rc;
        return hash_keys(g, h, d);
}

static int make_initrd(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *kver = NULL, *out = path_join(dir, "initrd.img");
        size_t extra = n->n_modules;
        _cleanup_free_ const char **mods =
                calloc(ARRAY_SIZE(initrd_modules) + extra + 1, sizeof(*mods));
        struct initrd_spec s = {
                .modules = mods,
                .n_modules = ARRAY_SIZE(initrd_modules) + extra,
                .compress = INITRD_ZSTD,
                .mtime = (int64_t)g->epoch,
        };
        int rc = kernel_release(n->kernel, &kver, d);

        if (rc < 0)
                return rc;
        if (!out || !mods)
                return -ENOMEM;
        /* the init's own, then the role's (kernel.modules: what its services need
         * from a kernel whose modules are not in the role's root) */
        memcpy(mods, initrd_modules, sizeof(initrd_modules));
        for (size_t i = 0; i < extra; i++)
                mods[ARRAY_SIZE(initrd_modules) + i] = n->modules[i];
        s.kver = kver;
        return initrd_write(&s, out, d);
}

int uki_signed(const struct graph *g, const char *kernel, const char *initrd, const char *cmdline,
               const char *out, struct diag *d)
{
        _cleanup_free_ char *kp = path_join(g->boot->keys, "db.key");
        _cleanup_free_ char *cp = path_join(g->boot->keys, "db.crt");
        struct uki_spec s = {.kernel = kernel, .initrd = initrd, .cmdline = cmdline};
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        int rc;

        if (!kp || !cp)
                return -ENOMEM;
        rc = uki_write(&s, out, d);
        if (rc >= 0)
                rc = signing_key_load(kp, cp, &key, &cert, d);
        if (rc >= 0)
                rc = authenticode_sign_file(out, out, key, cert, false, d);
        EVP_PKEY_free(key);
        X509_free(cert);
        return rc;
}

static int make_uki(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *initrd = node_object_path(g, n->inputs[0]);
        _cleanup_free_ char *cmdline = NULL, *out = path_join(dir, "uki.efi");
        int rc;

        if (!initrd || !out)
                return -ENOMEM;
        if ((rc = uki_cmdline(n->role, &cmdline, d)) < 0)
                return rc;
        return uki_signed(g, n->kernel, initrd, cmdline, out, d);
}

/* A key directory for esp_populate: links to the signing key and certificate,
 * and .auth files made for this build's epoch. */
static int esp_keys(const struct graph *g, const char *view, struct diag *d)
{
        static const char *const link[] = {"db.key", "db.crt"};
        char abs[PATH_MAX];
        struct enroll_opts eo = {.out_dir = view, .timestamp = (time_t)g->epoch};
        int rc = mkdir_p(view, 0700);

        if (rc < 0)
                return diag_err(d, rc, "cannot create %s: %s", view, strerror(-rc));
        if (!realpath(g->boot->keys, abs))
                return diag_err(d, -errno, "secure boot keys %s: %m", g->boot->keys);
        for (size_t i = 0; i < ARRAY_SIZE(link); i++) {
                _cleanup_free_ char *from = path_join(abs, link[i]), *to = path_join(view, link[i]);

                if (!from || !to)
                        return -ENOMEM;
                if (symlink(from, to) < 0)
                        return diag_err(d, -errno, "cannot link %s: %m", to);
        }
        return keys_enroll(g->boot->keys, &eo, d);
}

int make_esp_tree(const struct graph *g, const struct node *n, const char *tree, const char *dir,
                  struct diag *d)
{
        _cleanup_free_ char *updir = path_dirname(dir);
        _cleanup_free_ char *view = NULL, *uki_src = node_object_path(g, n->uki);
        _cleanup_free_ char *uki = NULL;
        _cleanup_close_ int fd = -1;
        struct esp_spec s = {.enroll = (enum esp_enroll)g->boot->enroll};
        const char *ukis[1];
        int rc;

        if (!updir || !uki_src || asprintf(&view, "%s/esp-keys", updir) < 0 ||
            asprintf(&uki, "%s/%s.efi", updir, n->role->name) < 0)
                return -ENOMEM;
        if ((rc = mkdir_p(dir, 0755)) < 0)
                return diag_err(d, rc, "cannot create %s: %s", dir, strerror(-rc));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return diag_err(d, -errno, "cannot open %s: %m", dir);
        if (tree) {
                struct overlay_spec ov = {.path = (char *)tree};

                if ((rc = overlay_apply(&ov, dir, fd, d)) < 0)
                        return rc;
        }
        if ((rc = esp_keys(g, view, d)) < 0 || (rc = copy_file_sparse(uki_src, uki, 0644)) < 0) {
                if (rc != -EINVAL)
                        diag_err(d, rc, "cannot prepare the ESP of %s: %s", n->role->name,
                                 strerror(-rc));
                return rc;
        }
        ukis[0] = uki;
        s.keydir = view;
        s.ukis = ukis;
        s.n_ukis = 1;
        rc = esp_populate(&s, dir, d);
        rm_rf(view);
        unlink(uki);
        if (rc >= 0 && rootfs_set_times(fd, g->epoch) < 0)
                rc = diag_err(d, -EIO, "cannot set the times of the ESP tree");
        return rc;
}

const struct node_type node_initrd = {
        .name = "initrd", .object = "initrd.img", .hash = initrd_hash, .make = make_initrd};

const struct node_type node_uki = {
        .name = "uki", .object = "uki.efi", .hash = uki_hash, .make = make_uki};

static bool same_modules(const struct node *n, char *const *modules, size_t n_modules)
{
        if (n->n_modules != n_modules)
                return false;
        for (size_t i = 0; i < n_modules; i++)
                if (strcmp(n->modules[i], modules[i]))
                        return false;
        return true;
}

struct node *graph_initrd(struct graph *g, const char *kernel, char *const *modules,
                          size_t n_modules, const char *owner)
{
        struct node *n;

        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i]->type == &node_initrd && !strcmp(g->nodes[i]->kernel, kernel) &&
                    same_modules(g->nodes[i], modules, n_modules))
                        return g->nodes[i];
        n = graph_add_node(g, &node_initrd, NULL, owner, NULL);
        if (n) {
                n->kernel = kernel;
                n->modules = modules;
                n->n_modules = n_modules;
        }
        return n;
}
