/* iso.c: the hybrid install ISO: input checks, live root, signed manifest, payloads, xorriso
 * (the host image's gzip is media/gzimage.c, the boot files iso_boot.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/chain.h"
#include "disk/gpt.h"
#include "fs/fs.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/json.h"
#include "cms.h"
#include "iso_int.h"
#include "rootimg.h"

#define ESP_TYPE_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

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
        if (chain_keys_check(s->keys, d) < 0)
                rc = -EINVAL;
        if (check_readable("host image", s->image, d) < 0 ||
            (s->root_squashfs && check_readable("root squashfs", s->root_squashfs, d) < 0) ||
            (s->initrd && check_readable("initrd", s->initrd, d) < 0))
                rc = -ENOENT;
        if (!kernel)
                rc = diag_err(d, -ENOENT,
                              "no kernel given and none in " CHAIN_KERNEL_DIR
                              " (expected --kernel FILE or linux-image-amd64)");
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

/* The image's root partition as the live root (media/rootimg.c), made in the work directory. */
static int root_from_image(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *scratch = path_join(r->work, "rootfs");

        if (!scratch)
                return -ENOMEM;
        return root_squashfs_from_image(r->s->image, r->s->epoch, scratch,
                                        " (or give --root-squashfs)", out, r->d);
}

static int file_hex(const char *path, char hex[ISO_HEX_LEN], struct diag *d)
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

        epoch_iso8601(r->s->epoch, when);
        fprintf(f, "{\n  \"format\": \"pocbake-iso/1\",\n  \"label\": ");
        json_put_str(f, r->label);
        fprintf(f,
                ",\n  \"created\": \"%s\",\n  \"image\": \"install/host.raw.gz\",\n"
                "  \"compression\": \"gzip\",\n  \"size\": %llu,\n  \"sha256\": \"%s\",\n"
                "  \"gzip_sha256\": \"%s\",\n  \"root\": \"live/root.squashfs\",\n"
                "  \"root_sha256\": \"%s\",\n  \"payloads\": [",
                when, (unsigned long long)r->img.raw_size, r->img.raw_sha, r->img.gz_sha,
                r->root_sha);
        for (size_t i = 0; i < r->s->n_payloads; i++) {
                char hex[ISO_HEX_LEN] = "";
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
        time_t t = (time_t)r->s->epoch;
        const char *envv[] = {env, "TZ=UTC", NULL};
        struct run_opts o = {.env = envv};

        gmtime_r(&t, &tm);
        snprintf(env, sizeof(env), "SOURCE_DATE_EPOCH=%llu", (unsigned long long)r->s->epoch);
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
        if (rc < 0 || (rc = file_hex(sq, r->root_sha, r->d)) < 0)
                return rc;
        if (r->s->image_gz) {
                if (copy_file_sparse(r->s->image_gz, gz, 0644) < 0)
                        return diag_err(r->d, -EIO, "cannot copy %s", r->s->image_gz);
                r->img = *r->s->image_gz_info;
        } else if ((rc = gz_image_write(r->s->image, gz, &r->img, r->d)) < 0) {
                return rc;
        }
        if ((rc = copy_payloads(r)) < 0 || (rc = write_manifest(r)) < 0)
                return rc;
        if (copy_file_sparse(r->kernel, kern, 0644) < 0)
                return diag_err(r->d, -EIO, "cannot copy the kernel %s", r->kernel);
        if ((rc = iso_boot_initrd(r, initrd)) < 0 || (rc = iso_boot_esp(r, initrd, esp)) < 0 ||
            (rc = iso_boot_isolinux(r)) < 0 || (rc = iso_set_times(r, r->tree)) < 0)
                return rc;
        return run_xorriso(r, esp, iso);
}

/* The work directory beside out: the tree, the ESP and the intermediate files. */
static int make_work(struct iso_run *r, const char *out)
{
        _cleanup_free_ char *parent = path_dirname(out);
        const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;

        if (!parent || asprintf(&r->work, "%s/.%s.XXXXXX", parent, base) < 0) {
                r->work = NULL;
                return -ENOMEM;
        }
        if (!mkdtemp(r->work)) {
                int rc =
                        diag_err(r->d, -errno, "cannot create a work directory beside %s: %m", out);

                free(r->work);
                r->work = NULL;
                return rc;
        }
        r->tree = path_join(r->work, "tree");
        return r->tree ? 0 : -ENOMEM;
}

int iso_write(const struct iso_spec *s, const char *out, struct diag *d)
{
        _cleanup_free_ char *kernel =
                s->kernel ? strdup(s->kernel) : chain_newest_kernel(CHAIN_KERNEL_DIR);
        struct iso_run r = {
                .s = s, .label = s->label ? s->label : ISO_DEFAULT_LABEL, .d = d, .kernel = kernel};
        struct atomic_file af = {.fd = -1};
        int rc;

        if ((rc = iso_check(s, r.label, kernel, d)) < 0)
                return rc;
        if ((rc = make_work(&r, out)) >= 0 && (rc = atomic_open(&af, out, 0644)) < 0)
                diag_err(d, rc, "cannot create %s: %s", out, strerror(-rc));
        /* xorriso writes the image into the temp file atomic_open made */
        if (rc >= 0 && (rc = iso_generate(&r, af.tmp)) >= 0 && (rc = atomic_commit(&af)) < 0)
                diag_err(d, rc, "cannot write %s: %s", out, strerror(-rc));
        if (rc == -ENOMEM)
                diag_err(d, rc, "out of memory");
        atomic_release(&af);
        if (r.work)
                rm_rf(r.work);
        free(r.work);
        free(r.tree);
        return rc;
}
