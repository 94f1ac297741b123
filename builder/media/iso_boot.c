/* iso_boot.c: the ISO's boot files on boot/chain.c: initrd with the installer, UKIs, ESP,
 * isolinux. */
#include <archive.h>
#include <archive_entry.h>
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
#include "iso_int.h"
#include "media.h"

#define INSTALLER_REL "firmware/installer/install.sh"
#define ISOLINUX_REL  "firmware/isolinux/isolinux.cfg.in"
/* Where the init looks for the installer (firmware/initrd/init's hook). */
#define INSTALLER_IN_INITRD "etc/pocbake/install.sh"

DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_write_free)
DEFINE_TRIVIAL_CLEANUP(struct archive_entry *, archive_entry_free)

static const char *entry_name(enum iso_entry e)
{
        return e == ISO_ENTRY_INSTALL ? "install" : "live";
}

/* The directories and the installer itself, as newc entries. */
static int installer_entries(struct iso_run *r, struct archive *a, const char *text, size_t len)
{
        static const char *const dirs[] = {"etc", "etc/pocbake"};
        _cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();

        if (!e)
                return -ENOMEM;
        for (size_t i = 0; i <= ARRAY_SIZE(dirs); i++) {
                bool file = i == ARRAY_SIZE(dirs);

                archive_entry_clear(e);
                archive_entry_set_pathname(e, file ? INSTALLER_IN_INITRD : dirs[i]);
                archive_entry_set_mode(e, file ? (AE_IFREG | 0755) : (AE_IFDIR | 0755));
                archive_entry_set_size(e, file ? (la_int64_t)len : 0);
                archive_entry_set_mtime(e, (time_t)r->s->epoch, 0);
                archive_entry_set_ino(e, (la_int64_t)i + 1);
                archive_entry_set_nlink(e, file ? 1 : 2);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    (file && archive_write_data(a, text, len) != (la_ssize_t)len))
                        return -EIO;
        }
        return 0;
}

/* A small uncompressed newc archive with the installer, put before the main
 * initrd as early microcode is: the kernel unpacks both into one rootfs. */
static int installer_cpio(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *src = data_path(INSTALLER_REL), *text = NULL;
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        size_t len = 0;
        int rc;

        if (!a)
                return -ENOMEM;
        if (!src || read_file(src, &text, &len) < 0)
                return diag_err(r->d, -ENOENT, "installer %s not found (set POCBAKE_DATADIR)",
                                INSTALLER_REL);
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
            archive_write_open_filename(a, out) != ARCHIVE_OK)
                rc = -EIO;
        else
                rc = installer_entries(r, a, text, len);
        if (rc >= 0 && archive_write_close(a) != ARCHIVE_OK)
                rc = -EIO;
        if (rc == -EIO)
                return diag_err(r->d, rc, "%s: %s", out,
                                archive_error_string(a) ?: "cannot write the archive");
        return rc;
}

static int append_file(int out, const char *path, struct diag *d)
{
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = malloc(MEDIA_CHUNK);
        ssize_t n;
        int rc;

        if (in < 0 || !buf)
                return diag_err(d, in < 0 ? -errno : -ENOMEM, "cannot read %s: %m", path);
        while ((n = read(in, buf, MEDIA_CHUNK)) > 0)
                if ((rc = write_full(out, buf, (size_t)n)) < 0)
                        return diag_err(d, rc, "cannot write: %s", strerror(-rc));
        return n < 0 ? diag_err(d, -errno, "cannot read %s: %m", path) : 0;
}

int iso_boot_initrd(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *cpio = path_join(r->work, "installer.cpio");
        _cleanup_free_ char *base = path_join(r->work, "base-initrd.img");
        _cleanup_close_ int fd = -1;
        struct chain_initrd c = {
                .kind = CHAIN_INITRD_ISO, .kernel = r->kernel, .epoch = r->s->epoch};
        int rc;

        if (!cpio || !base)
                return -ENOMEM;
        if (!r->s->initrd && (rc = chain_initrd_write(&c, base, r->d)) < 0)
                return rc;
        if ((rc = installer_cpio(r, cpio)) < 0)
                return rc;
        fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return diag_err(r->d, -errno, "cannot create %s: %m", out);
        if ((rc = append_file(fd, cpio, r->d)) < 0 ||
            (rc = append_file(fd, r->s->initrd ? r->s->initrd : base, r->d)) < 0)
                return rc;
        unlink(cpio);
        unlink(base);
        return 0;
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
                             r->raw_sha, extra);
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
        uuid_derive(&fs.uuid, "iso-esp", r->label, r->raw_sha);
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
