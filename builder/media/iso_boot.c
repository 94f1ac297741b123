/* iso_boot.c: the ISO's boot files on boot/chain.c: initrd with the installer, UKIs, ESP,
 * isolinux. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/chain.h"
#include "boot/data.h"
#include "fs/fs.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "installer.h"
#include "iso_int.h"
#include "media.h"

#define ISOLINUX_REL "firmware/isolinux/isolinux.cfg.in"

static const char *entry_name(enum iso_entry e)
{
        return e == ISO_ENTRY_INSTALL ? "install" : "live";
}

int iso_boot_initrd(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *base = path_join(r->work, "base-initrd.img");
        struct chain_initrd c = {
                .kind = CHAIN_INITRD_ISO, .kernel = r->kernel, .epoch = r->s->epoch};
        int rc;

        if (!base)
                return -ENOMEM;
        if (!r->s->initrd && (rc = chain_initrd_write(&c, base, r->d)) < 0)
                return rc;
        rc = installer_initrd(r->s->initrd ? r->s->initrd : base, r->s->epoch, out, r->d);
        unlink(base);
        return rc;
}

static int entry_cmdline(struct iso_run *r, enum iso_entry e, char **out)
{
        const char *extra = r->s->cmdline ? r->s->cmdline : "console=ttyS0";
        int n;

        /* Both hashes ride in the signed UKI: the live root and the image the
         * installer writes are checked against them, not only against files
         * on the (unsigned) ISO 9660 tree. */
        if (e == ISO_ENTRY_LIVE)
                n = asprintf(out, "pocbake.root=iso:%s pocbake.roothash=sha256:%s %s", r->label,
                             r->root_sha, extra);
        else
                n = asprintf(out, "pocbake.root=iso:%s pocbake.install=sha256:%s %s", r->label,
                             r->img.raw_sha, extra);
        return n < 0 ? -ENOMEM : 0;
}

/* EFI/Linux/live.efi and install.efi, unsigned here: esp_populate signs them. */
static int make_ukis(struct iso_run *r, const char *initrd, char *paths[2])
{
        for (int e = ISO_ENTRY_LIVE; e <= ISO_ENTRY_INSTALL; e++) {
                _cleanup_free_ char *cmdline = NULL, *name = NULL;
                int rc;

                if (asprintf(&name, "%s.efi", entry_name((enum iso_entry)e)) < 0 ||
                    !(paths[e] = path_join(r->work, name)) ||
                    entry_cmdline(r, (enum iso_entry)e, &cmdline) < 0)
                        return -ENOMEM;
                if ((rc = chain_uki(r->kernel, initrd, cmdline, NULL, paths[e], r->d)) < 0)
                        return rc;
        }
        return 0;
}

int iso_set_times(struct iso_run *r, const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || rootfs_set_times(fd, r->s->epoch) < 0)
                return diag_err(r->d, -EIO, "cannot set the times of %s", dir);
        return 0;
}

/* Bytes the files of a tree take, each rounded up to a 4 KiB cluster. */
static uint64_t tree_bytes(const char *dir)
{
        _cleanup_closedir_ DIR *dp = opendir(dir);
        struct dirent *de;
        uint64_t sum = 4096;

        if (!dp)
                return 0;
        while ((de = readdir(dp))) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
                    !(p = path_join(dir, de->d_name)) || lstat(p, &st) < 0)
                        continue;
                sum += S_ISDIR(st.st_mode) ? tree_bytes(p)
                                           : ((uint64_t)st.st_size + 4095) / 4096 * 4096;
        }
        return sum;
}

/* The FAT image of the ESP tree: sized to its content (plus room for FAT
 * tables), under El Torito's limit. */
static int esp_image(struct iso_run *r, const char *dir, const char *img)
{
        struct fs_spec fs = {.type = "vfat", .label = "POCBAKE_ESP", .epoch = r->s->epoch};
        int rc;

        fs.size = (tree_bytes(dir) * 21 / 20 + 2 * 1024 * 1024 + 1024 * 1024 - 1) / (1024 * 1024) *
                  1024 * 1024;
        if (fs.size > ISO_ESP_MAX)
                return diag_err(r->d, -EFBIG,
                                "the ESP needs %llu MiB, El Torito allows less than 32 MiB "
                                "(a smaller kernel or initrd?)",
                                (unsigned long long)(fs.size >> 20));
        uuid_derive(&fs.uuid, "iso-esp", r->label, r->img.raw_sha);
        fs.tree = dir;
        if ((rc = iso_set_times(r, dir)) < 0)
                return rc;
        return fs_type_find("vfat")->make(&fs, img, r->d);
}

int iso_boot_esp(struct iso_run *r, const char *initrd, const char *img)
{
        _cleanup_free_ char *dir = path_join(r->work, "esp"),
                            *view = path_join(r->work, "esp-keys");
        char *ukis[2] = {NULL, NULL};
        const char *names[2];
        char dflt[32];
        struct esp_spec es = {.ukis = names,
                              .n_ukis = 2,
                              .enroll = r->s->enroll,
                              .timeout = r->s->timeout,
                              .default_uki = dflt};
        int rc;

        if (!dir || !view)
                return -ENOMEM;
        snprintf(dflt, sizeof(dflt), "%s.efi", entry_name(r->s->default_entry));
        if ((rc = make_ukis(r, initrd, ukis)) >= 0) {
                names[0] = ukis[0];
                names[1] = ukis[1];
                rc = chain_esp(&es, r->s->keys, r->s->epoch, view, dir, r->d);
        }
        if (rc >= 0)
                rc = esp_image(r, dir, img);
        free(ukis[0]);
        free(ukis[1]);
        return rc;
}

/* The menu from its template, with the same two entries as the ESP. */
static int isolinux_cfg(struct iso_run *r, char **cfg)
{
        _cleanup_free_ char *live = NULL, *inst = NULL;
        char ds[16];

        if (entry_cmdline(r, ISO_ENTRY_LIVE, &live) < 0 ||
            entry_cmdline(r, ISO_ENTRY_INSTALL, &inst) < 0)
                return -ENOMEM;
        /* isolinux counts tenths of a second and waits forever on 0 */
        snprintf(ds, sizeof(ds), "%u", r->s->timeout ? r->s->timeout * 10 : 1);
        {
                const char *vars[] = {"DEFAULT",
                                      entry_name(r->s->default_entry),
                                      "TIMEOUT_DS",
                                      ds,
                                      "LABEL",
                                      r->label,
                                      "LIVE_CMDLINE",
                                      live,
                                      "INSTALL_CMDLINE",
                                      inst,
                                      NULL};

                return media_template(ISOLINUX_REL, vars, cfg, r->d);
        }
}

int iso_boot_isolinux(struct iso_run *r)
{
        _cleanup_free_ char *dir = path_join(r->tree, "isolinux"), *cfg = NULL;
        _cleanup_free_ char *bin = NULL, *ld = NULL, *cfgp = NULL;
        int rc;

        if (!dir)
                return -ENOMEM;
        if ((rc = isolinux_cfg(r, &cfg)) < 0)
                return rc;
        if (mkdir(dir, 0755) < 0 || !(bin = path_join(dir, "isolinux.bin")) ||
            !(ld = path_join(dir, "ldlinux.c32")) || !(cfgp = path_join(dir, "isolinux.cfg")))
                return diag_err(r->d, -errno ?: -ENOMEM, "cannot create %s: %m", dir);
        if ((rc = copy_file_sparse(ISOLINUX_BIN, bin, 0644)) < 0 ||
            (rc = copy_file_sparse(LDLINUX_C32, ld, 0644)) < 0 ||
            (rc = write_file_atomic(cfgp, cfg, strlen(cfg), 0644)) < 0)
                return diag_err(r->d, rc, "cannot fill %s: %s", dir, strerror(-rc));
        return 0;
}
