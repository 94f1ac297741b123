/* chain.c: the one UEFI boot chain: kernel choice, initrd modules, initrd, signed UKI, ESP keys. */
#include "chain.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initrd.h"
#include "kmod.h"
#include "uki.h"
#include "sign/keygen.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

DEFINE_TRIVIAL_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP(X509 *, X509_free)

#define IN_DISK (1u << CHAIN_INITRD_DISK)
#define IN_ISO  (1u << CHAIN_INITRD_ISO)
#define IN_BOTH (IN_DISK | IN_ISO)

/* What an init needs to find a root on virtual and real machines: virtio, SATA,
 * NVMe and USB disks, CDs, the filesystems it mounts, efivarfs for the
 * SecureBoot marker, a NIC for network roots. The two initrds grew their own
 * lists before this table; the rows one of them lacks stay out of it so that
 * both keep their bytes (and the disk initrd its content key). */
static const struct {
        const char *name;
        unsigned in;
} modules[] = {
        {"virtio_pci", IN_BOTH},
        {"virtio_blk", IN_BOTH},
        {"virtio_scsi", IN_BOTH},
        {"virtio_net", IN_DISK},
        {"sd_mod", IN_BOTH},
        {"sr_mod", IN_BOTH},
        {"ahci", IN_BOTH},    /* the CD on q35 */
        {"ata_piix", IN_ISO}, /* the CD on pc (PIIX IDE) */
        {"nvme", IN_BOTH},
        {"xhci_pci", IN_BOTH},
        {"usb_storage", IN_BOTH},
        {"uas", IN_BOTH},
        {"ext4", IN_BOTH},
        {"vfat", IN_BOTH},
        {"efivarfs", IN_BOTH},
        {"squashfs", IN_BOTH},
        {"isofs", IN_BOTH},
        {"loop", IN_BOTH},
        {"overlay", IN_BOTH},
        /* the ESP's vfat: its default codepage and character set */
        {"nls_cp437", IN_DISK},
        {"nls_ascii", IN_DISK},
        {"nls_utf8", IN_DISK},
};

/* The set a key directory holds ('pocbake keys init'). */
static const char *const key_set[] = {"PK.key", "PK.crt", "KEK.key", "KEK.crt", "db.key", "db.crt"};

char *chain_newest_kernel(const char *dir)
{
        _cleanup_closedir_ DIR *dp = opendir(dir);
        _cleanup_free_ char *best = NULL;
        struct dirent *de;

        if (!dp)
                return NULL;
        while ((de = readdir(dp))) {
                if (strncmp(de->d_name, "vmlinuz-", 8) || !de->d_name[8] ||
                    (best && strverscmp(de->d_name, best) <= 0))
                        continue;
                free(best);
                if (!(best = strdup(de->d_name)))
                        return NULL;
        }
        if (!best) {
                errno = ENOENT;
                return NULL;
        }
        return path_join(dir, best);
}

int chain_kernel_release(const char *kernel, char **out, struct diag *d)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int rc = read_file(kernel, &buf, &len);

        if (rc < 0)
                return diag_err(d, rc, "cannot read kernel %s: %s", kernel, strerror(-rc));
        rc = uki_kernel_release((const uint8_t *)buf, len, out);
        if (rc == -ENOMEM)
                return rc;
        if (rc < 0)
                return diag_err(d, rc,
                                "kernel %s: no release string in its boot header (expected an "
                                "x86 bzImage)",
                                kernel);
        return 0;
}

int chain_modules(enum chain_initrd_kind kind, const char ***out, size_t *n)
{
        const char **list = calloc(ARRAY_SIZE(modules), sizeof(*list));

        if (!list)
                return -ENOMEM;
        *n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
                if (modules[i].in & (1u << kind))
                        list[(*n)++] = modules[i].name;
        *out = list;
        return 0;
}

int chain_initrd_modules(const struct chain_initrd *c, char ***paths, size_t *n_paths,
                         struct diag *d)
{
        _cleanup_free_ const char **table = NULL, **mods = NULL;
        _cleanup_free_ char *kver = NULL, *kdir = NULL;
        struct kmod_list l = {0};
        size_t n = 0;
        int rc = chain_kernel_release(c->kernel, &kver, d);

        *paths = NULL;
        *n_paths = 0;
        if (rc < 0)
                return rc;
        if (chain_modules(c->kind, &table, &n) < 0 ||
            !(mods = calloc(n + c->n_extra + 1, sizeof(*mods))) ||
            asprintf(&kdir, "/lib/modules/%s", kver) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        memcpy(mods, table, n * sizeof(*mods));
        for (size_t i = 0; i < c->n_extra; i++)
                mods[n + i] = c->extra[i];
        if ((rc = kmod_resolve(kdir, mods, n + c->n_extra, &l, d)) < 0)
                return rc;
        *paths = calloc(l.n + 1, sizeof(**paths));
        for (size_t i = 0; *paths && i < l.n; i++)
                if (!((*paths)[i] = path_join(kdir, l.paths[i]))) {
                        for (size_t k = 0; k < i; k++)
                                free((*paths)[k]);
                        free(*paths);
                        *paths = NULL;
                }
        if (*paths)
                *n_paths = l.n;
        kmod_list_release(&l);
        return *paths ? 0 : diag_err(d, -ENOMEM, "out of memory");
}

int chain_initrd_write(const struct chain_initrd *c, const char *out, struct diag *d)
{
        _cleanup_free_ const char **table = NULL, **mods = NULL;
        _cleanup_free_ char *kver = NULL;
        struct initrd_spec s = {.compress = INITRD_ZSTD, .mtime = c->epoch};
        size_t n = 0;
        int rc = chain_kernel_release(c->kernel, &kver, d);

        if (rc < 0)
                return rc;
        if (chain_modules(c->kind, &table, &n) < 0 ||
            !(mods = calloc(n + c->n_extra + 1, sizeof(*mods))))
                return diag_err(d, -ENOMEM, "out of memory building %s", out);
        /* the init's own, then the caller's */
        memcpy(mods, table, n * sizeof(*mods));
        for (size_t i = 0; i < c->n_extra; i++)
                mods[n + i] = c->extra[i];
        s.kver = kver;
        s.modules = mods;
        s.n_modules = n + c->n_extra;
        return initrd_write(&s, out, d);
}

static int sign_in_place(const char *out, EVP_PKEY *key, X509 *cert, struct diag *d)
{
        int rc = authenticode_sign_file(out, out, key, cert, false, d);

        if (rc < 0)
                unlink(out);
        return rc;
}

int chain_uki(const char *kernel, const char *initrd, const char *cmdline, const char *keys,
              const char *out, struct diag *d)
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_free_ char *kp = keys ? path_join(keys, "db.key") : NULL;
        _cleanup_free_ char *cp = keys ? path_join(keys, "db.crt") : NULL;
        struct uki_spec s = {.kernel = kernel, .initrd = initrd, .cmdline = cmdline};
        int rc;

        if (keys && (!kp || !cp))
                return -ENOMEM;
        /* the key first: a bad one leaves no unsigned image behind */
        if (keys && (rc = signing_key_load(kp, cp, &key, &cert, d)) < 0)
                return rc;
        if ((rc = uki_write(&s, out, d)) < 0 || !keys)
                return rc;
        return sign_in_place(out, key, cert, d);
}

/* The key directory esp_populate reads: links to the signing key and
 * certificate, and .auth files made for this epoch (keys_enroll writes them
 * there, not into the key directory). */
static int make_view(const char *keys, uint64_t epoch, const char *view, struct diag *d)
{
        static const char *const link[] = {"db.key", "db.crt"};
        struct enroll_opts eo = {.out_dir = view, .timestamp = (time_t)epoch};
        char abs[PATH_MAX];
        int rc = mkdir_p(view, 0700);

        if (rc < 0)
                return diag_err(d, rc, "cannot create %s: %s", view, strerror(-rc));
        if (!realpath(keys, abs))
                return diag_err(d, -errno, "keys %s: %m", keys);
        for (size_t i = 0; i < ARRAY_SIZE(link); i++) {
                _cleanup_free_ char *from = path_join(abs, link[i]), *to = path_join(view, link[i]);

                if (!from || !to)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (symlink(from, to) < 0)
                        return diag_err(d, -errno, "cannot link %s: %m", to);
        }
        return keys_enroll(keys, &eo, d);
}

int chain_esp(const struct esp_spec *s, const char *keys, uint64_t epoch, const char *view,
              const char *dir, struct diag *d)
{
        struct esp_spec es = *s;
        int rc = keys ? make_view(keys, epoch, view, d) : 0;

        es.keydir = keys ? view : NULL;
        if (rc >= 0)
                rc = esp_populate(&es, dir, d);
        rm_rf(view);
        return rc;
}

static int check_one(const char *keys, const char *name, struct diag *d)
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *k = NULL;
        _cleanup_free_ char *p = path_join(keys, name);

        if (!p)
                return -ENOMEM;
        if (access(p, R_OK) < 0 && errno == ENOENT)
                return diag_err(d, -EINVAL,
                                "keys %s: no %s (make the set with 'pocbake keys init %s')", keys,
                                name, keys);
        if (access(p, R_OK) < 0)
                return diag_err(d, -EINVAL, "keys %s: cannot read %s: %m", keys, name);
        /* key_load refuses a key that group or others can read */
        if (strstr(name, ".key") && key_load(p, &k, d) < 0)
                return -EINVAL;
        return 0;
}

int chain_keys_check(const char *keys, struct diag *d)
{
        int rc = 0;

        for (size_t i = 0; i < ARRAY_SIZE(key_set); i++) {
                int r = check_one(keys, key_set[i], d);

                if (r == -ENOMEM)
                        return diag_err(d, r, "out of memory checking keys %s", keys);
                if (r < 0)
                        rc = -EINVAL;
        }
        return rc;
}
