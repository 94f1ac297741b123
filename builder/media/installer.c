/* installer.c: an initrd that carries the installer: install.sh as a newc archive before an
 * initrd. */
#include "installer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/data.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "media.h"

#define INSTALLER_REL "firmware/installer/install.sh"
/* Where the init looks for the installer (firmware/initrd/init's hook). */
#define INSTALLER_IN_INITRD "etc/pocbake/install.sh"

DEFINE_TRIVIAL_CLEANUP(struct archive *, archive_write_free)
DEFINE_TRIVIAL_CLEANUP(struct archive_entry *, archive_entry_free)

/* The directories and the installer itself, as newc entries. */
static int entries(struct archive *a, uint64_t epoch, const char *text, size_t len)
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
                archive_entry_set_mtime(e, (time_t)epoch, 0);
                archive_entry_set_ino(e, (la_int64_t)i + 1);
                archive_entry_set_nlink(e, file ? 1 : 2);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    (file && archive_write_data(a, text, len) != (la_ssize_t)len))
                        return -EIO;
        }
        return 0;
}

/* The archive, uncompressed, written to fd (left open). */
static int write_cpio(int fd, uint64_t epoch, const char *out, struct diag *d)
{
        _cleanup_free_ char *src = data_path(INSTALLER_REL), *text = NULL;
        _cleanup_(archive_write_freep) struct archive *a = archive_write_new();
        size_t len = 0;
        int rc;

        if (!a)
                return -ENOMEM;
        if (!src || read_file(src, &text, &len) < 0)
                return diag_err(d, -ENOENT, "installer %s not found (set POCBAKE_DATADIR)",
                                INSTALLER_REL);
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
            archive_write_open_fd(a, fd) != ARCHIVE_OK)
                rc = -EIO;
        else
                rc = entries(a, epoch, text, len);
        if (rc >= 0 && archive_write_close(a) != ARCHIVE_OK)
                rc = -EIO;
        if (rc == -EIO)
                return diag_err(d, rc, "%s: %s", out,
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

int installer_initrd(const char *initrd, uint64_t epoch, const char *out, struct diag *d)
{
        _cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int rc;

        if (fd < 0)
                return diag_err(d, -errno, "cannot create %s: %m", out);
        if ((rc = write_cpio(fd, epoch, out, d)) < 0)
                return rc;
        return append_file(fd, initrd, d);
}
