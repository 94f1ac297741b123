/* node_boot.c: the boot chain nodes (initrd, signed UKI) and the ESP's boot files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/chain.h"
#include "boot/data.h"
#include "boot/esp.h"
#include "boot/uki.h"
#include "disk/disk.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "nodes.h"

static const char *const key_files[] = {"PK.crt", "KEK.crt", "db.crt"};

int boot_check(const struct boot_config *b, struct diag *d)
{
        int rc = b->keys ? chain_keys_check(b->keys, d) : 0;

        if (!b->kernel)
                rc = diag_err(d, -EINVAL,
                              "no kernel found in /boot (install linux-image-amd64 "
                              "or set kernel: {image: PATH} in the recipe)");
        else if (access(b->kernel, R_OK) < 0)
                rc = diag_err(d, -EINVAL, "kernel \"%s\": %m", b->kernel);
        return rc;
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

static int hash_keys(const struct graph *g, struct hasher *h, struct diag *d)
{
        int rc = 0;

        if (!g->boot->keys) {
                hasher_str(h, "unsigned");
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(key_files) && rc >= 0; i++)
                rc = hash_key_file(h, g->boot, key_files[i], d);
        return rc;
}

static int hash_modules(struct hasher *h, struct diag *d)
{
        _cleanup_free_ const char **mods = NULL;
        size_t n = 0;

        if (chain_modules(CHAIN_INITRD_DISK, &mods, &n) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                hasher_str(h, mods[i]);
        return 0;
}

int hash_initrd_modules(int kind, const char *kernel, char *const *extra, size_t n_extra,
                        struct hasher *h, struct diag *d)
{
        struct chain_initrd c = {.kind = (enum chain_initrd_kind)kind,
                                 .kernel = kernel,
                                 .extra = (const char *const *)extra,
                                 .n_extra = n_extra};
        char **paths = NULL;
        size_t np = 0;
        int rc = chain_initrd_modules(&c, &paths, &np, d);

        for (size_t i = 0; i < np; i++) {
                if (rc >= 0)
                        rc = hash_path(h, paths[i], d);
                free(paths[i]);
        }
        free(paths);
        return rc;
}

static int initrd_hash(const struct graph *g, const struct node *n, struct hasher *h,
                       struct diag *d)
{
        int rc;

        if ((rc = hash_modules(h, d)) < 0)
                return rc;
        hasher_str(h, "role modules");
        for (size_t i = 0; i < n->n_modules; i++)
                hasher_str(h, n->modules[i]);
        if ((rc = hash_data_file(h, "firmware/initrd/init", d)) < 0 ||
            (rc = hash_data_file(h, "firmware/initrd/udhcpc.script", d)) < 0 ||
            (rc = hash_path(h, "/bin/busybox", d)) < 0 ||
            (rc = hash_initrd_modules(CHAIN_INITRD_DISK, n->kernel, n->modules, n->n_modules, h,
                                      d)) < 0)
                return rc;
        return hash_path(h, n->kernel, d);
}

static int uki_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        _cleanup_free_ char *cmdline = NULL;
        int rc;

        if ((rc = uki_cmdline(n->role, &cmdline, d)) < 0)
                return rc;
        hasher_str(h, cmdline);
        if ((rc = hash_path(h, n->kernel, d)) < 0 || (rc = hash_path(h, UKI_DEFAULT_STUB, d)) < 0)
                return rc;
        return hash_keys(g, h, d);
}

int esp_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        int rc;

        hasher_u64(h, (uint64_t)g->boot->enroll);
        if ((rc = hash_path(h, ESP_DEFAULT_LOADER, d)) < 0 ||
            (rc = hash_data_file(h, "firmware/loader.conf", d)) < 0)
                return rc;
        return hash_keys(g, h, d);
}

static int make_initrd(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *out = path_join(dir, "initrd.img");
        /* the init's own, then the role's (kernel.modules: what its services need
         * from a kernel whose modules are not in the role's root) */
        struct chain_initrd c = {
                .kind = CHAIN_INITRD_DISK,
                .kernel = n->kernel,
                .extra = (const char *const *)n->modules,
                .n_extra = n->n_modules,
                .epoch = g->epoch,
        };

        if (!out)
                return -ENOMEM;
        return chain_initrd_write(&c, out, d);
}

int uki_signed(const struct graph *g, const char *kernel, const char *initrd, const char *cmdline,
               const char *out, struct diag *d)
{
        return chain_uki(kernel, initrd, cmdline, g->boot->keys, out, d);
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

                if ((rc = overlay_apply(&ov, dir, fd, NULL, d)) < 0)
                        return rc;
        }
        /* esp_populate names the image after its file: ROLE.efi */
        if ((rc = copy_file_sparse(uki_src, uki, 0644)) < 0)
                return diag_err(d, rc, "cannot prepare the ESP of %s: %s", n->role->name,
                                strerror(-rc));
        ukis[0] = uki;
        s.ukis = ukis;
        s.n_ukis = 1;
        rc = chain_esp(&s, g->boot->keys, g->epoch, view, dir, d);
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
        /* the roles' common initrd (default kernel, no extra modules) is named by
         * nothing that depends on which roles are built: --role keeps its key */
        if (!n_modules && g->boot && g->boot->kernel && !strcmp(kernel, g->boot->kernel))
                owner = "shared";
        n = graph_add_node(g, &node_initrd, NULL, owner, NULL);
        if (n) {
                n->kernel = kernel;
                n->modules = modules;
                n->n_modules = n_modules;
        }
        return n;
}
