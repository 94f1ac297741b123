/* probe.c: an image from elsewhere checked before qemu sees it: its format, and no reference to
 * another file. */
#include "probe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/endian.h"
#include "vhdx.h"

#define HEAD_LEN        (36 * 1024) /* enough for every magic below (ISO 9660 at 32769) */
#define QCOW2_V2_HEADER 72
#define QCOW2_V3_HEADER 104
#define QCOW2_DATA_FILE (1ull << 2) /* incompatible feature: external data file */

static int refuse(struct diag *d, const char *name, const char *what)
{
        return diag_err(d, -EMEDIUMTYPE,
                        "%s: %s: pocbake opens only the image it is given (qemu-img convert it "
                        "to a standalone raw or qcow2 image first)",
                        name, what);
}

/* Bytes of the backing file name fit for a message: printable, cut. */
static void printable(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
                        *s = '?';
}

static int probe_qcow2(int fd, const uint8_t *h, size_t n, uint64_t size, const char *name,
                       struct diag *d)
{
        uint32_t version = n >= 8 ? get_be32(h + 4) : 0;
        uint64_t backing;
        uint32_t blen;

        if (n < QCOW2_V2_HEADER || (version != 2 && version != 3) ||
            (version == 3 && n < QCOW2_V3_HEADER))
                return diag_err(d, -EMEDIUMTYPE, "%s: not a qcow2 image pocbake reads (version %u)",
                                name, version);
        backing = get_be64(h + 8);
        blen = get_be32(h + 16);
        if (backing) {
                char file[128] = "";
                size_t take = blen < sizeof(file) - 1 ? blen : sizeof(file) - 1;

                if (backing < size && take <= size - backing &&
                    pread(fd, file, take, (off_t)backing) == (ssize_t)take) {
                        char what[sizeof(file) + 64];

                        file[take] = '\0';
                        printable(file);
                        snprintf(what, sizeof(what), "a qcow2 image with a backing file (\"%s\")",
                                 file);
                        return refuse(d, name, what);
                }
                return refuse(d, name, "a qcow2 image with a backing file");
        }
        if (version == 3 && (get_be64(h + 72) & QCOW2_DATA_FILE))
                return refuse(d, name, "a qcow2 image with an external data file");
        return 0;
}

/* A raw image pocbake can read: a partition table or a filesystem at its start. */
static bool looks_like_disk(const uint8_t *h, size_t n)
{
        if (n >= 512 && h[510] == 0x55 && h[511] == 0xaa)
                return true; /* MBR or protective MBR, FAT boot sector */
        if (n >= 520 && !memcmp(h + 512, "EFI PART", 8))
                return true;
        if (n >= 4104 && !memcmp(h + 4096, "EFI PART", 8))
                return true; /* 4 KiB sectors */
        if (n >= 1082 && get_le16(h + 1080) == 0xef53)
                return true; /* ext2/3/4 */
        if (n >= 4 && (!memcmp(h, "XFSB", 4) || !memcmp(h, "hsqs", 4)))
                return true; /* xfs, squashfs */
        if (n >= 1028 && get_le32(h + 1024) == 0xe0f5e1e2)
                return true; /* erofs */
        if ((n >= 520 && !memcmp(h + 512, "LABELONE", 8)) || (n >= 8 && !memcmp(h, "LABELONE", 8)))
                return true; /* an LVM physical volume */
        if (n >= 32774 && !memcmp(h + 32769, "CD001", 5))
                return true; /* ISO 9660 */
        return false;
}

int image_probe(int fd, const char *name, const char **format, struct diag *d)
{
        static const struct {
                const char *magic;
                size_t off, len;
                const char *what;
        } others[] = {
                {"KDMV", 0, 4, "a VMDK image (its extents name other files)"},
                {"# Disk DescriptorFile", 0, 21, "a VMDK descriptor (it names other files)"},
                {"COWD", 0, 4, "a VMDK image (its extents name other files)"},
                {"conectix", 0, 8, "a VPC/VHD image (a differencing one names another file)"},
                {"QED\0", 0, 4, "a QED image (it can name a backing file)"},
                {"\x7f\x10\xda\xbe", 64, 4, "a VDI image (a differencing one names another file)"},
        };
        uint8_t h[HEAD_LEN];
        struct stat st;
        ssize_t n;

        *format = NULL;
        if (fstat(fd, &st) < 0)
                return diag_err(d, -errno, "%s: %s", name, strerror(errno));
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return diag_err(d, -EMEDIUMTYPE, "%s: not a disk image (not a file)", name);
        n = pread(fd, h, sizeof(h), 0);
        if (n < 0)
                return diag_err(d, -errno, "%s: %s", name, strerror(errno));
        if (n >= 4 && !memcmp(h, "QFI\xfb", 4)) {
                int r = probe_qcow2(fd, h, (size_t)n, (uint64_t)st.st_size, name, d);

                *format = r < 0 ? NULL : "qcow2";
                return r;
        }
        if (n >= 8 && !memcmp(h, "vhdxfile", 8)) {
                bool parent = false;
                int r = vhdx_has_parent(fd, (uint64_t)st.st_size, name, &parent, d);

                if (r < 0)
                        return r;
                if (parent)
                        return refuse(d, name, "a VHDX differencing disk (it names its parent)");
                *format = "vhdx";
                return 0;
        }
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                if ((size_t)n >= others[i].off + others[i].len &&
                    !memcmp(h + others[i].off, others[i].magic, others[i].len))
                        return refuse(d, name, others[i].what);
        /* VPC keeps its footer at the end too */
        if (st.st_size >= 512) {
                char foot[8];

                if (pread(fd, foot, sizeof(foot), st.st_size - 512) == (ssize_t)sizeof(foot) &&
                    !memcmp(foot, "conectix", 8))
                        return refuse(d, name,
                                      "a VPC/VHD image (a differencing one names another file)");
        }
        if (!looks_like_disk(h, (size_t)n))
                return diag_err(d, -EMEDIUMTYPE,
                                "%s: not a disk image (no partition table and no filesystem "
                                "pocbake knows at its start)",
                                name);
        *format = "raw";
        return 0;
}
