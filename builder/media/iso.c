/* iso.c: the hybrid install ISO: live root, gzip'd host image with a signed manifest, ESP,
 * isolinux. */
#include "iso.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "boot/data.h"
#include "boot/initrd.h"
#include "boot/uki.h"
#include "fs/fs.h"
#include "sign/keygen.h"
#include "stage/rootfs.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/json.h"
#include "cms.h"
#include "media.h"

#define ISOLINUX_DIR  "/usr/lib/ISOLINUX"
#define ISOLINUX_BIN  ISOLINUX_DIR "/isolinux.bin"
#define ISOHYBRID_MBR ISOLINUX_DIR "/isohdpfx.bin"
#define LDLINUX_C32   "/usr/lib/syslinux/modules/bios/ldlinux.c32"
#define ESP_TYPE_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define INSTALLER_REL "firmware/installer/install.sh"
#define ISOLINUX_REL  "firmware/isolinux/isolinux.cfg.in"
/* Where the init looks for the installer (firmware/initrd/init's hook). */
#define INSTALLER_IN_INITRD "etc/pocbake/install.sh"
#define SECTOR              512u
#define HEX_LEN             (SHA256_LEN * 2 + 1)

/* The drivers a live or install boot needs: CD (AHCI on q35, PIIX IDE on pc),
 * USB sticks, virtio and NVMe target disks, the filesystems of the CD. */
static const char *const iso_modules[] = {
        "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod",      "sr_mod", "ahci",
        "ata_piix",   "nvme",       "xhci_pci",    "usb_storage", "uas",    "ext4",
        "vfat",       "efivarfs",   "squashfs",    "isofs",       "loop",   "overlay",
};

/* Names a run of iso_write shares between its steps. */
struct iso_run {
        const struct iso_spec *s;
        const char *label;
        int64_t epoch;
        char *work;   /* scratch directory beside the output */
        char *tree;   /* what becomes the ISO 9660 tree */
        char *kernel; /* the kernel used */
        char raw_sha[HEX_LEN], gz_sha[HEX_LEN], root_sha[HEX_LEN];
        uint64_t raw_size;
        struct diag *d;
};

int iso_entry_parse(const char *s, enum iso_entry *e)
{
        if (!strcmp(s, "live"))
                *e = ISO_ENTRY_LIVE;
        else if (!strcmp(s, "install"))
                *e = ISO_ENTRY_INSTALL;
        else
                return -EINVAL;
        return 0;
}

static const char *entry_name(enum iso_entry e)
{
        return e == ISO_ENTRY_INSTALL ? "install" : "live";
}

/* The newest /boot/vmlinuz-*, malloc'd; NULL when there is none. */
static char *newest_kernel(void)
{
        glob_t g;
        char *best = NULL;

        if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0)
                return NULL;
        for (size_t i = 0; i < g.gl_pathc; i++)
                if (!best || strverscmp(g.gl_pathv[i], best) > 0)
                        best = g.gl_pathv[i];
        best = best ? strdup(best) : NULL;
        globfree(&g);
        return best;
}

/* ISO 9660 volume ids the init can match with findfs LABEL=: d-characters. */
static int check_label(const char *label, struct diag *d)
{
        size_t n = strlen(label);

        if (!n || n > ISO_LABEL_MAX)
                return diag_err(d, -EINVAL, "iso label \"%s\": expected 1 to %d characters", label,
                                ISO_LABEL_MAX);
        for (const char *p = label; *p; p++)
                if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
                        return diag_err(d, -EINVAL,
                                        "iso label \"%s\": character '%c' is not "
                                        "allowed (expected A-Z, 0-9 and _)",
                                        label, *p);
        return 0;
}

/* A payload goes under a relative path of plain components, outside the
 * folders the ISO itself uses. */
static int check_payload(const struct iso_payload *p, struct diag *d)
{
        static const char *const reserved[] = {"isolinux", "live", "install", "EFI", "loader"};
        size_t first = strcspn(p->path, "/");

        if (!*p->path || p->path[0] == '/' || strstr(p->path, "//") ||
            p->path[strlen(p->path) - 1] == '/')
                return diag_err(d, -EINVAL,
                                "payload \"%s\": expected a relative path such as "
                                "extra/notes.txt",
                                p->path);
        for (const char *c = p->path; c; c = strchr(c, '/')) {
                c += *c == '/';
                if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
                        return diag_err(d, -EINVAL, "payload \"%s\": \"..\" is not allowed",
                                        p->path);
                if (*c == '.' && (c[1] == '/' || !c[1]))
                        return diag_err(d, -EINVAL, "payload \"%s\": \".\" is not allowed",
                                        p->path);
        }
        for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
                if (strlen(reserved[i]) == first && !strncmp(p->path, reserved[i], first))
                        return diag_err(d, -EINVAL, "payload \"%s\": /%s belongs to the iso itself",
                                        p->path, reserved[i]);
        if (access(p->file, R_OK) < 0)
                return diag_err(d, -errno, "payload \"%s\": cannot read %s: %m", p->path, p->file);
        return 0;
}

static int check_readable(const char *what, const char *path, struct diag *d)
{
        if (access(path, R_OK) < 0)
                return diag_err(d, -errno, "%s %s: %m", what, path);
        return 0;
}

static int check_keys(const char *dir, struct diag *d)
{
        static const char *const need[] = {"PK.key",  "PK.crt", "KEK.key",
                                           "KEK.crt", "db.key", "db.crt"};
        int rc = 0;

        for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
                _cleanup_free_ char *p = path_join(dir, need[i]);

                if (!p)
                        return -ENOMEM;
                if (access(p, R_OK) < 0)
                        rc = diag_err(d, -ENOENT,
                                      "keys %s: no %s (make the set with 'pocbake keys "
                                      "init %s')",
                                      dir, need[i], dir);
        }
        return rc;
}

static int check_tools(const struct iso_spec *s, struct diag *d)
{
        const char *tools[] = {"xorriso", "mkfs.vfat", "mcopy", "mksquashfs",
                               s->root_squashfs ? NULL : "debugfs"};
        int rc = 0;

        for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
                if (tools[i] && !have_program(tools[i]))
                        rc = diag_err(d, -ENOENT, "%s is not installed (needed for the iso)",
                                      tools[i]);
        return rc;
}

/* Every input before the first byte is written. */
static int iso_check(const struct iso_spec *s, const char *label, const char *kernel,
                     struct diag *d)
{
        int rc = 0;

        if (!s->keys || !s->image)
                return diag_err(d, -EINVAL, "the iso needs a key directory and a host image");
        if (check_label(label, d) < 0)
                rc = -EINVAL;
        if (check_keys(s->keys, d) < 0)
                rc = -ENOENT;
        if (check_readable("host image", s->image, d) < 0 ||
            (s->root_squashfs && check_readable("root squashfs", s->root_squashfs, d) < 0) ||
            (s->initrd && check_readable("initrd", s->initrd, d) < 0))
                rc = -ENOENT;
        if (!kernel)
                rc = diag_err(d, -ENOENT,
                              "no kernel given and none in /boot (expected --kernel "
                              "FILE or linux-image-amd64)");
        else if (check_readable("kernel", kernel, d) < 0)
                rc = -ENOENT;
        if (check_readable("isolinux", ISOLINUX_BIN, d) < 0 ||
            check_readable("isohybrid MBR", ISOHYBRID_MBR, d) < 0 ||
            check_readable("isolinux module", LDLINUX_C32, d) < 0)
                rc = -ENOENT;
        for (size_t i = 0; i < s->n_payloads; i++)
                if (check_payload(&s->payloads[i], d) < 0)
                        rc = -EINVAL;
        if (check_tools(s, d) < 0)
                rc = -ENOENT;
        return rc;
}

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* GPT partition entry i is the root: named "root", else the last one that is
 * not the ESP. */
static bool entry_is_root(const uint8_t *e, bool *named)
{
        static const uint8_t esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                        0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
        static const uint8_t zero[16];
        static const char root[] = "root";

        *named = true;
        for (size_t i = 0; i < sizeof(root); i++)
                if (e[56 + 2 * i] != (uint8_t)root[i] || e[57 + 2 * i])
                        *named = false;
        return memcmp(e, zero, 16) && memcmp(e, esp, 16);
}

/* Byte range of the host image's root partition, from its GPT. */
static int find_root_part(const char *image, uint64_t *off, uint64_t *len, struct diag *d)
{
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        uint8_t h[SECTOR], e[128];
        uint64_t lba;
        uint32_t n, esz;
        bool found = false, named = false;

        if (fd < 0)
                return diag_err(d, -errno, "cannot open %s: %m", image);
        if (pread(fd, h, sizeof(h), SECTOR) != (ssize_t)sizeof(h) || memcmp(h, "EFI PART", 8))
                return diag_err(d, -EINVAL,
                                "%s: no GPT header at LBA 1 (expected a disk from "
                                "'pocbake build', or give --root-squashfs)",
                                image);
        lba = le64(h + 72);
        n = le32(h + 80);
        esz = le32(h + 84);
        if (esz < 128 || esz > 4096 || n > 1024 || lba < 2 || lba > UINT64_MAX / SECTOR / 2)
                return diag_err(d, -EINVAL,
                                "%s: GPT header has a bad entry table (%u entries of %u "
                                "bytes at LBA %llu)",
                                image, n, esz, (unsigned long long)lba);
        for (uint32_t i = 0; i < n && !named; i++) {
                uint64_t first, last;

                if (pread(fd, e, sizeof(e), (off_t)(lba * SECTOR + (uint64_t)i * esz)) !=
                    (ssize_t)sizeof(e))
                        return diag_err(d, -EINVAL, "%s: GPT entry %u is past the end", image, i);
                if (!entry_is_root(e, &named))
                        continue;
                first = le64(e + 32);
                last = le64(e + 40);
                if (last < first || last > UINT64_MAX / SECTOR - 1)
                        return diag_err(d, -EINVAL, "%s: GPT entry %u has a bad range", image, i);
                *off = first * SECTOR;
                *len = (last - first + 1) * SECTOR;
                found = true;
        }
        if (!found)
                return diag_err(d, -EINVAL,
                                "%s: no root partition in its GPT (expected one named "
                                "\"root\", or give --root-squashfs)",
                                image);
        return 0;
}

/* The image's root partition (ext4) as a squashfs: debugfs copies the tree out
 * (owners and modes kept when run as root), mksquashfs packs it. */
static int root_from_image(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *part = path_join(r->work, "root.part"),
                            *dir = path_join(r->work, "rootfs");
        _cleanup_free_ char *probe = NULL, *cmd = NULL;
        _cleanup_close_ int in = -1, o = -1;
        struct fs_spec fs = {
                .type = "squashfs", .size = UINT64_MAX / 2, .epoch = (uint64_t)r->epoch};
        uint64_t off = 0, len = 0;
        int rc;

        if (!part || !dir || asprintf(&cmd, "rdump / \"%s\"", dir) < 0)
                return -ENOMEM;
        if (strchr(dir, '"'))
                return diag_err(r->d, -EINVAL,
                                "work directory %s: debugfs cannot take a '\"' in a path", dir);
        if ((rc = find_root_part(r->s->image, &off, &len, r->d)) < 0)
                return rc;
        in = open(r->s->image, O_RDONLY | O_CLOEXEC);
        o = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || o < 0 || ftruncate(o, (off_t)len) < 0 ||
            copy_sparse_range(in, (off_t)off, o, 0, (off_t)len) < 0)
                return diag_err(r->d, -EIO, "cannot copy the root partition of %s", r->s->image);
        if (mkdir(dir, 0755) < 0)
                return diag_err(r->d, -errno, "cannot create %s: %m", dir);
        {
                const char *argv[] = {"debugfs", "-R", cmd, part, NULL};

                if ((rc = run_argv(argv, NULL, r->d)) < 0)
                        return rc;
        }
        unlink(part);
        probe = path_join(dir, "sbin");
        if (!probe || access(probe, F_OK) < 0)
                return diag_err(r->d, -EINVAL,
                                "%s: the root partition holds no /sbin (is it ext4?)", r->s->image);
        fs.tree = dir;
        rc = fs_type_find("squashfs")->make(&fs, out, r->d);
        rm_rf(dir);
        return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
        for (const char *p = buf; len;) {
                ssize_t w = write(fd, p, len);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -errno ?: -EIO;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

/* Deflate what is in z->next_in into fd, hashing the compressed bytes. */
static int gz_pump(z_stream *z, int flush, int fd, struct hasher *hz, uint8_t *buf)
{
        int zr;

        do {
                z->next_out = buf;
                z->avail_out = MEDIA_CHUNK;
                zr = deflate(z, flush);
                if (zr == Z_STREAM_ERROR)
                        return -EIO;
                hasher_update(hz, buf, MEDIA_CHUNK - z->avail_out);
                if (write_all(fd, buf, MEDIA_CHUNK - z->avail_out) < 0)
                        return -EIO;
        } while (z->avail_out == 0);
        return flush == Z_FINISH && zr != Z_STREAM_END ? -EIO : 0;
}

/* A megabyte of zeros deflated once, byte-aligned at both ends (a full flush, no
 * final bit): a stream flushed the same way can carry these bytes for every zero
 * megabyte of the image instead of deflating it again. Disk images are mostly
 * zeros, and deflate spends as long on zeros as on data. */
static int zero_block(uint8_t **out, size_t *len)
{
        _cleanup_free_ uint8_t *zeros = calloc(1, MEDIA_CHUNK);
        size_t cap = MEDIA_CHUNK / 256;
        uint8_t *buf = malloc(cap);
        z_stream z = {0};
        int zr;

        if (!zeros || !buf || deflateInit2(&z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
                free(buf);
                return -ENOMEM;
        }
        z.next_in = zeros;
        z.avail_in = MEDIA_CHUNK;
        z.next_out = buf;
        z.avail_out = (uInt)cap;
        zr = deflate(&z, Z_FULL_FLUSH);
        if ((zr != Z_OK && zr != Z_BUF_ERROR) || z.avail_in || !z.avail_out) {
                deflateEnd(&z);
                free(buf);
                return -EIO; /* cap is far above what a megabyte of zeros takes */
        }
        *len = cap - z.avail_out;
        *out = buf;
        deflateEnd(&z);
        return 0;
}

struct gz_out {
        int fd;
        struct hasher *hz;
};

static int gz_emit(struct gz_out *g, const void *p, size_t n)
{
        hasher_update(g->hz, p, n);
        return write_all(g->fd, p, n) < 0 ? -EIO : 0;
}

/* The host image gzip'd (busybox in the initrd has gunzip, not zstd), with
 * the SHA-256 of the raw bytes and of the .gz taken in the same pass. The gzip
 * header carries no time or name: the same image gives the same bytes. The deflate
 * stream is written raw between a header and trailer of our own, so that zero
 * megabytes can be spliced in as the precomputed block. */
static int gzip_image(struct iso_run *r, const char *out)
{
        static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        _cleanup_close_ int in = open(r->s->image, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        _cleanup_free_ uint8_t *ibuf = malloc(MEDIA_CHUNK), *obuf = malloc(MEDIA_CHUNK);
        _cleanup_free_ uint8_t *zblock = NULL;
        uint8_t dr[SHA256_LEN], dz[SHA256_LEN], trailer[8];
        size_t zblock_len = 0;
        uLong crc = crc32(0, NULL, 0), zcrc;
        struct hasher hr, hz;
        struct gz_out g = {.fd = o, .hz = &hz};
        bool flushed = true; /* the stream is at a byte boundary with no history */
        z_stream z = {0};
        ssize_t n;
        int rc = 0;

        if (in < 0 || o < 0)
                return diag_err(r->d, -errno, "cannot open %s or %s: %m", r->s->image, out);
        if (!ibuf || !obuf || hasher_init(&hr) < 0 || hasher_init(&hz) < 0)
                return -ENOMEM;
        memset(ibuf, 0, MEDIA_CHUNK);
        zcrc = crc32(0, ibuf, MEDIA_CHUNK);
        if (zero_block(&zblock, &zblock_len) < 0 ||
            deflateInit2(&z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
                rc = -ENOMEM;
        if (rc >= 0)
                rc = gz_emit(&g, header, sizeof(header));
        r->raw_size = 0;
        while (rc >= 0) {
                size_t got = 0;

                /* whole megabytes, so that zero runs line up with the block */
                while (got < MEDIA_CHUNK && (n = read(in, ibuf + got, MEDIA_CHUNK - got)) != 0) {
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                rc = diag_err(r->d, -errno, "cannot read %s: %m", r->s->image);
                                break;
                        }
                        got += (size_t)n;
                }
                if (rc < 0 || !got)
                        break;
                hasher_update(&hr, ibuf, got);
                r->raw_size += got;
                if (got == MEDIA_CHUNK && media_all_zero(ibuf, got)) {
                        if (!flushed) {
                                z.next_in = ibuf;
                                z.avail_in = 0;
                                rc = gz_pump(&z, Z_FULL_FLUSH, o, &hz, obuf);
                                flushed = true;
                        }
                        if (rc >= 0)
                                rc = gz_emit(&g, zblock, zblock_len);
                        crc = crc32_combine(crc, zcrc, MEDIA_CHUNK);
                        continue;
                }
                crc = crc32(crc, ibuf, (uInt)got);
                z.next_in = ibuf;
                z.avail_in = (uInt)got;
                rc = gz_pump(&z, Z_NO_FLUSH, o, &hz, obuf);
                flushed = false;
        }
        if (rc >= 0)
                rc = gz_pump(&z, Z_FINISH, o, &hz, obuf);
        if (rc >= 0) {
                for (int i = 0; i < 4; i++) {
                        trailer[i] = (uint8_t)(crc >> (8 * i));
                        trailer[4 + i] = (uint8_t)(r->raw_size >> (8 * i));
                }
                rc = gz_emit(&g, trailer, sizeof(trailer));
        }
        if (rc == -EIO)
                diag_err(r->d, rc, "cannot write %s", out);
        deflateEnd(&z);
        if (rc >= 0 && (hasher_final(&hr, dr) < 0 || hasher_final(&hz, dz) < 0))
                rc = -ENOMEM;
        hasher_release(&hr);
        hasher_release(&hz);
        if (rc >= 0) {
                hex_encode(dr, SHA256_LEN, r->raw_sha);
                hex_encode(dz, SHA256_LEN, r->gz_sha);
        }
        return rc;
}

static int file_hex(const char *path, char hex[HEX_LEN], struct diag *d)
{
        uint8_t h[SHA256_LEN];
        int rc = sha256_file(path, h);

        if (rc < 0)
                return diag_err(d, rc, "cannot hash %s: %s", path, strerror(-rc));
        hex_encode(h, SHA256_LEN, hex);
        return 0;
}

static int64_t file_size(const char *path)
{
        struct stat st;

        return stat(path, &st) < 0 ? -1 : (int64_t)st.st_size;
}

/* One key per line: the installer (busybox sed) reads "sha256" and "size". */
static void manifest_text(struct iso_run *r, FILE *f)
{
        char when[32];

        epoch_iso8601((uint64_t)r->epoch, when);
        fprintf(f, "{\n  \"format\": \"pocbake-iso/1\",\n  \"label\": ");
        json_put_str(f, r->label);
        fprintf(f,
                ",\n  \"created\": \"%s\",\n  \"image\": \"install/host.raw.gz\",\n"
                "  \"compression\": \"gzip\",\n  \"size\": %llu,\n  \"sha256\": \"%s\",\n"
                "  \"gzip_sha256\": \"%s\",\n  \"root\": \"live/root.squashfs\",\n"
                "  \"root_sha256\": \"%s\",\n  \"payloads\": [",
                when, (unsigned long long)r->raw_size, r->raw_sha, r->gz_sha, r->root_sha);
        for (size_t i = 0; i < r->s->n_payloads; i++) {
                char hex[HEX_LEN] = "";
                _cleanup_free_ char *p = path_join(r->tree, r->s->payloads[i].path);

                if (p)
                        file_hex(p, hex, r->d);
                fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
                json_put_str(f, r->s->payloads[i].path);
                fprintf(f, ", \"size\": %lld, \"sha256\": \"%s\"}",
                        (long long)(p ? file_size(p) : -1), hex);
        }
        fprintf(f, "%s]\n}\n", r->s->n_payloads ? "\n  " : "");
}

static int signer_paths(const char *keys, char **key, char **cert)
{
        *key = path_join(keys, "codesign.key");
        *cert = path_join(keys, "codesign.crt");
        if (!*key || !*cert)
                return -ENOMEM;
        if (access(*key, R_OK) == 0 && access(*cert, R_OK) == 0)
                return 0;
        free(*key);
        free(*cert);
        *key = path_join(keys, "db.key");
        *cert = path_join(keys, "db.crt");
        return *key && *cert ? 0 : -ENOMEM;
}

/* /install/manifest.json and its detached CMS signature (.sig, DER). */
static int write_manifest(struct iso_run *r)
{
        _cleanup_free_ char *text = NULL, *kp = NULL, *cp = NULL, *mp = NULL, *sp = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        size_t len = 0, der_len = 0;
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        FILE *f = open_memstream(&text, &len);
        int rc;

        if (!f)
                return -ENOMEM;
        manifest_text(r, f);
        if (fclose(f) != 0 || signer_paths(r->s->keys, &kp, &cp) < 0 ||
            !(mp = path_join(r->tree, "install/manifest.json")) ||
            !(sp = path_join(r->tree, "install/manifest.json.sig")))
                return -ENOMEM;
        rc = signing_key_load(kp, cp, &key, &cert, r->d);
        if (rc >= 0)
                rc = cms_sign_buf(text, len, key, cert, &der, &der_len, r->d);
        EVP_PKEY_free(key);
        X509_free(cert);
        if (rc >= 0 && ((rc = write_file_atomic(mp, text, len, 0644)) < 0 ||
                        (rc = write_file_atomic(sp, der, der_len, 0644)) < 0))
                diag_err(r->d, rc, "cannot write %s: %s", mp, strerror(-rc));
        return rc;
}

/* A small uncompressed newc archive with the installer, put before the main
 * initrd as early microcode is: the kernel unpacks both into one rootfs. */
static int installer_cpio(struct iso_run *r, const char *out)
{
        static const char *const dirs[] = {"etc", "etc/pocbake"};
        _cleanup_free_ char *src = data_path(INSTALLER_REL), *text = NULL;
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        size_t len = 0;
        int rc = -EIO;

        if (!a || !e)
                goto out;
        if (!src || read_file(src, &text, &len) < 0) {
                rc = diag_err(r->d, -ENOENT, "installer %s not found (set POCBAKE_DATADIR)",
                              INSTALLER_REL);
                goto out;
        }
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(a, 512) != ARCHIVE_OK ||
            archive_write_open_filename(a, out) != ARCHIVE_OK)
                goto fail;
        for (size_t i = 0; i <= ARRAY_SIZE(dirs); i++) {
                bool file = i == ARRAY_SIZE(dirs);

                archive_entry_clear(e);
                archive_entry_set_pathname(e, file ? INSTALLER_IN_INITRD : dirs[i]);
                archive_entry_set_mode(e, file ? (AE_IFREG | 0755) : (AE_IFDIR | 0755));
                archive_entry_set_size(e, file ? (la_int64_t)len : 0);
                archive_entry_set_mtime(e, r->epoch, 0);
                archive_entry_set_ino(e, (la_int64_t)i + 1);
                archive_entry_set_nlink(e, file ? 1 : 2);
                if (archive_write_header(a, e) != ARCHIVE_OK ||
                    (file && archive_write_data(a, text, len) != (la_ssize_t)len))
                        goto fail;
        }
        if (archive_write_close(a) == ARCHIVE_OK) {
                rc = 0;
                goto out;
        }
fail:
        rc = diag_err(r->d, -EIO, "%s: %s", out,
                      archive_error_string(a) ?: "cannot write the archive");
out:
        archive_entry_free(e);
        archive_write_free(a);
        return rc;
}

static int append_file(int out, const char *path, struct diag *d)
{
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = malloc(MEDIA_CHUNK);
        ssize_t n;

        if (in < 0 || !buf)
                return diag_err(d, in < 0 ? -errno : -ENOMEM, "cannot read %s: %m", path);
        while ((n = read(in, buf, MEDIA_CHUNK)) > 0)
                if (write_all(out, buf, (size_t)n) < 0)
                        return diag_err(d, -EIO, "cannot write: %m");
        return n < 0 ? diag_err(d, -errno, "cannot read %s: %m", path) : 0;
}

/* /live/initrd.img: the installer archive, then the given or a built initrd
 * whose modules match the kernel. */
static int make_initrd(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *cpio = path_join(r->work, "installer.cpio");
        _cleanup_free_ char *base = path_join(r->work, "base-initrd.img");
        _cleanup_free_ char *kbuf = NULL, *kver = NULL;
        _cleanup_close_ int fd = -1;
        size_t klen = 0;
        int rc;

        if (!cpio || !base)
                return -ENOMEM;
        if (!r->s->initrd) {
                struct initrd_spec is = {.modules = iso_modules,
                                         .n_modules = ARRAY_SIZE(iso_modules),
                                         .compress = INITRD_ZSTD,
                                         .mtime = r->epoch};

                if (read_file(r->kernel, &kbuf, &klen) < 0 ||
                    uki_kernel_release((const uint8_t *)kbuf, klen, &kver) < 0)
                        return diag_err(r->d, -EINVAL,
                                        "kernel %s: no release string in its boot "
                                        "header (expected an x86 bzImage)",
                                        r->kernel);
                is.kver = kver;
                if ((rc = initrd_write(&is, base, r->d)) < 0)
                        return rc;
        }
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

/* EFI/Linux/live.efi and install.efi (unsigned here; esp_populate signs). */
static int make_ukis(struct iso_run *r, const char *initrd, char *paths[2])
{
        for (int e = ISO_ENTRY_LIVE; e <= ISO_ENTRY_INSTALL; e++) {
                _cleanup_free_ char *cmdline = NULL, *name = NULL;
                struct uki_spec u = {.kernel = r->kernel, .initrd = initrd};
                int rc;

                if (asprintf(&name, "%s.efi", entry_name((enum iso_entry)e)) < 0 ||
                    !(paths[e] = path_join(r->work, name)) ||
                    entry_cmdline(r, (enum iso_entry)e, &cmdline) < 0)
                        return -ENOMEM;
                u.cmdline = cmdline;
                if ((rc = uki_write(&u, paths[e], r->d)) < 0)
                        return rc;
        }
        return 0;
}

/* esp_populate's key directory: the db key and certificate, and .auth files
 * stamped with the epoch (keys_enroll writes them there, not into KEYDIR). */
static int esp_keys(struct iso_run *r, const char *view)
{
        static const char *const link[] = {"db.key", "db.crt"};
        struct enroll_opts eo = {.out_dir = view, .timestamp = (time_t)r->epoch};
        char abs[PATH_MAX];

        if (mkdir(view, 0700) < 0)
                return diag_err(r->d, -errno, "cannot create %s: %m", view);
        if (!realpath(r->s->keys, abs))
                return diag_err(r->d, -errno, "keys %s: %m", r->s->keys);
        for (size_t i = 0; i < ARRAY_SIZE(link); i++) {
                _cleanup_free_ char *from = path_join(abs, link[i]), *to = path_join(view, link[i]);

                if (!from || !to)
                        return -ENOMEM;
                if (symlink(from, to) < 0)
                        return diag_err(r->d, -errno, "cannot link %s: %m", to);
        }
        return keys_enroll(r->s->keys, &eo, r->d);
}

/* mcopy and xorriso keep each file's mtime (SOURCE_DATE_EPOCH only fixes
 * xorriso's volume dates and UUID): every entry of a tree gets the epoch. */
static int set_tree_times(struct iso_run *r, const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || rootfs_set_times(fd, (uint64_t)r->epoch) < 0)
                return diag_err(r->d, -EIO, "cannot set the times of %s", dir);
        return 0;
}

/* Bytes the files of a tree take, each rounded up to a 4 KiB cluster. */
static uint64_t tree_bytes(const char *dir)
{
        DIR *dp = opendir(dir);
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
        closedir(dp);
        return sum;
}

/* The ESP image: signed loader and UKIs, loader.conf, enrollment files; FAT
 * sized to its content (plus room for FAT tables), under El Torito's limit. */
static int make_esp(struct iso_run *r, const char *initrd, const char *img)
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
        struct fs_spec fs = {.type = "vfat", .label = "POCBAKE_ESP", .epoch = (uint64_t)r->epoch};
        int rc;

        if (!dir || !view)
                return -ENOMEM;
        snprintf(dflt, sizeof(dflt), "%s.efi", entry_name(r->s->default_entry));
        if ((rc = make_ukis(r, initrd, ukis)) < 0 || (rc = esp_keys(r, view)) < 0)
                goto out;
        names[0] = ukis[0];
        names[1] = ukis[1];
        es.keydir = view;
        if ((rc = esp_populate(&es, dir, r->d)) < 0)
                goto out;
        fs.size = (tree_bytes(dir) * 21 / 20 + 2 * 1024 * 1024 + 1024 * 1024 - 1) / (1024 * 1024) *
                  1024 * 1024;
        if (fs.size > ISO_ESP_MAX) {
                rc = diag_err(r->d, -EFBIG,
                              "the ESP needs %llu MiB, El Torito allows less than 32 MiB "
                              "(a smaller kernel or initrd?)",
                              (unsigned long long)(fs.size >> 20));
                goto out;
        }
        uuid_derive(&fs.uuid, "iso-esp", r->label, r->raw_sha);
        fs.tree = dir;
        if ((rc = set_tree_times(r, dir)) < 0)
                goto out;
        rc = fs_type_find("vfat")->make(&fs, img, r->d);
out:
        rm_rf(view);
        free(ukis[0]);
        free(ukis[1]);
        return rc;
}

/* /isolinux: isolinux.bin, ldlinux.c32 and the menu with the same two entries. */
static int make_isolinux(struct iso_run *r)
{
        _cleanup_free_ char *dir = path_join(r->tree, "isolinux"), *live = NULL, *inst = NULL;
        _cleanup_free_ char *cfg = NULL, *bin = NULL, *ld = NULL, *cfgp = NULL;
        char ds[16];
        int rc;

        if (!dir || entry_cmdline(r, ISO_ENTRY_LIVE, &live) < 0 ||
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

                if ((rc = media_template(ISOLINUX_REL, vars, &cfg, r->d)) < 0)
                        return rc;
        }
        if (mkdir(dir, 0755) < 0 || !(bin = path_join(dir, "isolinux.bin")) ||
            !(ld = path_join(dir, "ldlinux.c32")) || !(cfgp = path_join(dir, "isolinux.cfg")))
                return diag_err(r->d, -errno ?: -ENOMEM, "cannot create %s: %m", dir);
        if ((rc = copy_file_sparse(ISOLINUX_BIN, bin, 0644)) < 0 ||
            (rc = copy_file_sparse(LDLINUX_C32, ld, 0644)) < 0 ||
            (rc = write_file_atomic(cfgp, cfg, strlen(cfg), 0644)) < 0)
                return diag_err(r->d, rc, "cannot fill %s: %s", dir, strerror(-rc));
        return 0;
}

static int copy_payloads(struct iso_run *r)
{
        for (size_t i = 0; i < r->s->n_payloads; i++) {
                _cleanup_free_ char *to = path_join(r->tree, r->s->payloads[i].path);
                _cleanup_free_ char *parent = to ? path_dirname(to) : NULL;
                int rc;

                if (!parent)
                        return -ENOMEM;
                if (access(to, F_OK) == 0)
                        return diag_err(r->d, -EEXIST, "payload \"%s\" is given twice",
                                        r->s->payloads[i].path);
                if ((rc = mkdir_p(parent, 0755)) < 0 ||
                    (rc = copy_file_sparse(r->s->payloads[i].file, to, 0644)) < 0)
                        return diag_err(r->d, rc, "payload \"%s\": cannot copy %s: %s",
                                        r->s->payloads[i].path, r->s->payloads[i].file,
                                        strerror(-rc));
        }
        return 0;
}

/* xorriso: isolinux as the BIOS El Torito entry with an isohybrid MBR, the ESP
 * appended as GPT partition 2 and used as the EFI El Torito entry. Every date
 * and the volume UUID come from the epoch. */
static int run_xorriso(struct iso_run *r, const char *esp, const char *out)
{
        char env[64], mdate[64];
        struct tm tm;
        time_t t = (time_t)r->epoch;
        const char *envv[] = {env, "TZ=UTC", NULL};
        struct run_opts o = {.env = envv};

        gmtime_r(&t, &tm);
        snprintf(env, sizeof(env), "SOURCE_DATE_EPOCH=%lld", (long long)r->epoch);
        strftime(mdate, sizeof(mdate), "--modification-date=%Y%m%d%H%M%S00", &tm);
        {
                const char *argv[] = {"xorriso",
                                      "-as",
                                      "mkisofs",
                                      "-quiet",
                                      "-o",
                                      out,
                                      "-V",
                                      r->label,
                                      "-r",
                                      mdate,
                                      "-isohybrid-mbr",
                                      ISOHYBRID_MBR,
                                      "-b",
                                      "isolinux/isolinux.bin",
                                      "-c",
                                      "isolinux/boot.cat",
                                      "-no-emul-boot",
                                      "-boot-load-size",
                                      "4",
                                      "-boot-info-table",
                                      "-append_partition",
                                      "2",
                                      ESP_TYPE_GUID,
                                      esp,
                                      "-appended_part_as_gpt",
                                      "-eltorito-alt-boot",
                                      "-e",
                                      "--interval:appended_partition_2:all::",
                                      "-no-emul-boot",
                                      r->tree,
                                      NULL};

                return run_argv(argv, &o, r->d);
        }
}

/* xorriso keeps each file's mtime (SOURCE_DATE_EPOCH only fixes the volume
 * dates and UUID): every file of the tree gets the epoch. */

/* Fill the ISO tree and the ESP, then make the image in the work directory. */
static int iso_generate(struct iso_run *r, const char *iso)
{
        _cleanup_free_ char *live = path_join(r->tree, "live"),
                            *inst = path_join(r->tree, "install");
        _cleanup_free_ char *sq = NULL, *kern = NULL, *initrd = NULL, *gz = NULL, *esp = NULL;
        int rc;

        if (!live || !inst || !(sq = path_join(live, "root.squashfs")) ||
            !(kern = path_join(live, "vmlinuz")) || !(initrd = path_join(live, "initrd.img")) ||
            !(gz = path_join(inst, "host.raw.gz")) || !(esp = path_join(r->work, "esp.img")))
                return -ENOMEM;
        if (mkdir_p(live, 0755) < 0 || mkdir_p(inst, 0755) < 0)
                return diag_err(r->d, -errno, "cannot create %s: %m", r->tree);
        if (r->s->root_squashfs)
                rc = copy_file_sparse(r->s->root_squashfs, sq, 0644) < 0
                             ? diag_err(r->d, -EIO, "cannot copy %s", r->s->root_squashfs)
                             : 0;
        else
                rc = root_from_image(r, sq);
        if (rc < 0 || (rc = file_hex(sq, r->root_sha, r->d)) < 0 || (rc = gzip_image(r, gz)) < 0)
                return rc;
        if ((rc = copy_payloads(r)) < 0 || (rc = write_manifest(r)) < 0)
                return rc;
        if (copy_file_sparse(r->kernel, kern, 0644) < 0)
                return diag_err(r->d, -EIO, "cannot copy the kernel %s", r->kernel);
        if ((rc = make_initrd(r, initrd)) < 0 || (rc = make_esp(r, initrd, esp)) < 0 ||
            (rc = make_isolinux(r)) < 0)
                return rc;
        return set_tree_times(r, r->tree) < 0 ? -EIO : run_xorriso(r, esp, iso);
}

static int commit(const char *tmp, const char *out, struct diag *d)
{
        _cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *parent = path_dirname(out);
        _cleanup_close_ int dfd = -1;

        if (fd < 0 || fsync(fd) < 0 || chmod(tmp, 0644) < 0 || rename(tmp, out) < 0)
                return diag_err(d, -errno, "cannot write %s: %m", out);
        dfd = parent ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0)
                fsync(dfd);
        return 0;
}

int iso_write(const struct iso_spec *s, const char *out, struct diag *d)
{
        _cleanup_free_ char *kernel = s->kernel ? strdup(s->kernel) : newest_kernel();
        _cleanup_free_ char *parent = path_dirname(out), *iso = NULL;
        const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
        struct iso_run r = {
                .s = s, .label = s->label ? s->label : ISO_DEFAULT_LABEL, .d = d, .kernel = kernel};
        int rc;

        r.epoch = media_epoch();
        if (r.epoch < 0)
                return diag_err(d, -EINVAL, "SOURCE_DATE_EPOCH \"%s\" is not a number",
                                getenv("SOURCE_DATE_EPOCH"));
        if ((rc = iso_check(s, r.label, kernel, d)) < 0)
                return rc;
        if (!parent || asprintf(&r.work, "%s/.%s.XXXXXX", parent, base) < 0)
                return -ENOMEM;
        if (!mkdtemp(r.work)) {
                rc = diag_err(d, -errno, "cannot create a work directory beside %s: %m", out);
                free(r.work);
                return rc;
        }
        if (!(r.tree = path_join(r.work, "tree")) || !(iso = path_join(r.work, "out.iso")))
                rc = -ENOMEM;
        if (rc >= 0)
                rc = iso_generate(&r, iso);
        if (rc >= 0)
                rc = commit(iso, out, d);
        if (rc == -ENOMEM)
                diag_err(d, rc, "out of memory");
        rm_rf(r.work);
        free(r.work);
        free(r.tree);
        return rc;
}
