/* pxe.c: the PXE boot set: kernel, initrd, signed UKIs, root image, install image, iPXE, dnsmasq,
 * signatures. */
#include "pxe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/chain.h"
#include "boot/data.h"
#include "sign/ossl.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "cms.h"
#include "gzimage.h"
#include "installer.h"
#include "media.h"
#include "sums.h"

#define SUBNET_PLACEHOLDER "192.0.2.0"

/* What every file of the set goes through: written, hashed, signed. */
struct pxe_out {
        const char *dir; /* the temporary directory being filled */
        EVP_PKEY *key;
        X509 *cert;
        struct sums sums;
        char root_sha[SHA256_HEX]; /* boot.ipxe's pocbake.roothash */
        struct gz_image img;       /* host.raw.gz, when the set installs */
};

static int check_text(const char *what, const char *v, bool spaces, struct diag *d)
{
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
                if (*p < 0x20 || *p == 0x7f || (!spaces && *p == ' '))
                        return diag_err(d, -EINVAL,
                                        "%s \"%s\": control characters%s are not allowed", what, v,
                                        spaces ? "" : " and spaces");
        return 0;
}

static int check_name(const char *name, struct diag *d)
{
        if (!name[0] || name[0] == '.' || strlen(name) > 64 ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                    strlen(name))
                return diag_err(
                        d, -EINVAL,
                        "name \"%s\": expected letters, digits, '.', '_' or '-' (at most 64)",
                        name);
        return 0;
}

/* "squashfs" or "erofs" from the image's magic; the initrd mounts by type. */
static int root_type(const char *path, const char **type, struct diag *d)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t sq[4], er[4];

        if (fd < 0)
                return diag_err(d, -errno, "cannot open root image \"%s\": %m", path);
        if (pread(fd, sq, 4, 0) == 4 && !memcmp(sq, "hsqs", 4)) {
                *type = "squashfs";
                return 0;
        }
        if (pread(fd, er, 4, 1024) == 4 && !memcmp(er, "\xe2\xe1\xf5\xe0", 4)) {
                *type = "erofs";
                return 0;
        }
        return diag_err(d, -EINVAL, "root image \"%s\" is neither squashfs nor erofs", path);
}

static int check_spec(const struct pxe_spec *s, const char **rtype, struct diag *d)
{
        const char *files[][2] = {{"kernel", s->kernel},
                                  {"initrd", s->initrd},
                                  {"uki", s->uki},
                                  {"root", s->root},
                                  {"ipxe", s->ipxe}};
        int r = check_name(s->name ? s->name : "pocbake", d);

        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(files); i++) {
                struct stat st;

                if (!files[i][1]) {
                        if (i < 4)
                                r = diag_err(d, -EINVAL, "no %s file given", files[i][0]);
                        continue;
                }
                if (stat(files[i][1], &st) < 0)
                        r = diag_err(d, -errno, "%s \"%s\": %m", files[i][0], files[i][1]);
                else if (!S_ISREG(st.st_mode))
                        r = diag_err(d, -EINVAL, "%s \"%s\" is not a regular file", files[i][0],
                                     files[i][1]);
        }
        if (r >= 0 && (!s->key || !s->cert))
                r = diag_err(d, -EINVAL, "a code-signing key and certificate are needed");
        if (r >= 0 && s->image && access(s->image, R_OK) < 0)
                r = diag_err(d, -errno, "install image \"%s\": %m", s->image);
        if (r >= 0 && s->image && !s->uki_keys)
                r = diag_err(d, -EINVAL, "the install entry needs a key directory to sign its UKI");
        if (r >= 0 && s->image)
                r = chain_keys_check(s->uki_keys, d);
        if (r >= 0)
                r = check_text("cmdline", s->cmdline ? s->cmdline : "", true, d);
        if (r >= 0 && s->root_base)
                r = check_text("root URL", s->root_base, false, d);
        if (r >= 0 && s->subnet)
                r = check_text("subnet", s->subnet, false, d);
        if (r >= 0 && s->tftp_root && s->tftp_root[0] != '/')
                r = diag_err(d, -EINVAL, "tftp root \"%s\" is not an absolute path", s->tftp_root);
        if (r >= 0 && s->tftp_root)
                r = check_text("tftp root", s->tftp_root, false, d);
        if (r >= 0)
                r = root_type(s->root, rtype, d);
        return r;
}

/* FILE.sig beside FILE, and FILE's line in SHA256SUMS. */
static int put_sig(struct pxe_out *o, const char *name, const uint8_t digest[SHA256_LEN],
                   const uint8_t *sig, size_t sig_len, struct diag *d)
{
        _cleanup_free_ char *sname = NULL, *spath = NULL;
        int r;

        if (asprintf(&sname, "%s.sig", name) < 0 || !(spath = path_join(o->dir, sname)))
                return diag_err(d, -ENOMEM, "out of memory");
        r = write_file_atomic(spath, sig, sig_len, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", sname, strerror(-r));
        if (digest && sums_add(&o->sums, name, digest) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return 0;
}

static int put_buf(struct pxe_out *o, const char *name, const char *buf, size_t len, struct diag *d)
{
        _cleanup_free_ char *path = path_join(o->dir, name);
        _cleanup_free_ uint8_t *sig = NULL;
        uint8_t digest[SHA256_LEN];
        size_t sig_len = 0;
        int r;

        if (!path)
                return diag_err(d, -ENOMEM, "out of memory");
        r = write_file_atomic(path, buf, len, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", name, strerror(-r));
        r = sha256_buf(buf, len, digest);
        if (r < 0)
                return diag_err(d, r, "cannot hash \"%s\"", name);
        r = cms_sign_buf(buf, len, o->key, o->cert, &sig, &sig_len, d);
        if (r < 0)
                return r;
        return put_sig(o, name, digest, sig, sig_len, d);
}

/* Copy src to NAME, hashing and signing the bytes as they pass (one read); the
 * digest in hex to hex when it is not NULL. */
static int put_copy(struct pxe_out *o, const char *src, const char *name, char *hex, struct diag *d)
{
        _cleanup_free_ char *path = path_join(o->dir, name);
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *sig = NULL;
        struct media_stream ms = {0};
        uint8_t digest[SHA256_LEN];
        size_t sig_len = 0;
        int r;

        if (!path)
                return diag_err(d, -ENOMEM, "out of memory");
        if (in < 0)
                return diag_err(d, -errno, "cannot open \"%s\": %m", src);
        r = media_stream_init(&ms, o->key, o->cert, d);
        if (r >= 0)
                r = media_stream_copy(&ms, in, src, path, digest, d);
        if (r >= 0)
                r = cms_signer_final(&ms.signer, &sig, &sig_len, d);
        media_stream_release(&ms);
        if (r < 0)
                return r;
        if (hex)
                hex_encode(digest, SHA256_LEN, hex);
        return put_sig(o, name, digest, sig, sig_len, d);
}

/* NAME, already written into the set, hashed and signed in one read (the
 * install image is too large to copy twice). */
static int put_inplace(struct pxe_out *o, const char *name, struct diag *d)
{
        _cleanup_free_ char *path = path_join(o->dir, name);
        _cleanup_free_ uint8_t *sig = NULL;
        _cleanup_close_ int in = -1;
        struct media_stream ms = {0};
        uint8_t digest[SHA256_LEN];
        size_t sig_len = 0;
        ssize_t n = 0;
        int r;

        if (!path)
                return diag_err(d, -ENOMEM, "out of memory");
        if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return diag_err(d, -errno, "cannot open \"%s\": %m", name);
        r = media_stream_init(&ms, o->key, o->cert, d);
        while (r >= 0 && (n = read(in, ms.buf, MEDIA_CHUNK)) > 0)
                r = media_stream_update(&ms, ms.buf, (size_t)n, d);
        if (r >= 0 && n < 0)
                r = diag_err(d, -errno, "cannot read \"%s\": %m", name);
        if (r >= 0 && hasher_final(&ms.h, digest) < 0)
                r = diag_err(d, -EIO, "cannot finish sha256 of \"%s\"", name);
        if (r >= 0)
                r = cms_signer_final(&ms.signer, &sig, &sig_len, d);
        media_stream_release(&ms);
        if (r < 0)
                return r;
        return put_sig(o, name, digest, sig, sig_len, d);
}

/* The install entry's arguments: what to fetch, its sha256 (checked before the
 * disk's first MiB is written) and the raw size (checked against the target). */
static char *install_args(const struct pxe_spec *s, const struct gz_image *img, const char *url)
{
        const char *cmdline = s->cmdline ? s->cmdline : "";
        char *out = NULL;

        if (asprintf(&out,
                     "pocbake.install pocbake.image=%s pocbake.imagehash=sha256:%s "
                     "pocbake.imagesize=%llu%s%s",
                     url, img->gz_sha, (unsigned long long)img->raw_size, cmdline[0] ? " " : "",
                     cmdline) < 0)
                return NULL;
        return out;
}

/* host.raw.gz, initrd.img with the installer in front, and NAME-install.efi:
 * the same kernel and initrd with the install arguments, signed with db. */
static int put_install(struct pxe_out *o, const struct pxe_spec *s, const char *name,
                       struct diag *d)
{
        _cleanup_free_ char *gz = path_join(o->dir, "host.raw.gz");
        _cleanup_free_ char *initrd = path_join(o->dir, ".install-initrd");
        _cleanup_free_ char *uki = path_join(o->dir, ".install-uki"), *efi = NULL;
        _cleanup_free_ char *args = NULL;
        int r;

        if (!gz || !initrd || !uki || asprintf(&efi, "%s-install.efi", name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (s->image_gz) {
                r = copy_file_sparse(s->image_gz, gz, 0644);
                if (r < 0)
                        r = diag_err(d, r, "cannot copy %s: %s", s->image_gz, strerror(-r));
                else
                        o->img = *s->image_gz_info;
        } else {
                r = gz_image_write(s->image, gz, &o->img, d);
        }
        if (r >= 0)
                r = put_inplace(o, "host.raw.gz", d);
        if (r >= 0)
                r = installer_initrd(s->initrd, s->epoch, initrd, d);
        if (r >= 0)
                r = put_copy(o, initrd, "initrd.img", NULL, d);
        if (r >= 0 && !(args = install_args(s, &o->img, PXE_IMAGE_URL)))
                r = diag_err(d, -ENOMEM, "out of memory");
        if (r >= 0)
                r = chain_uki(s->kernel, initrd, args, s->uki_keys, uki, d);
        if (r >= 0)
                r = put_copy(o, uki, efi, NULL, d);
        unlink(initrd);
        unlink(uki);
        return r;
}

/* One boot.ipxe entry: the kernel with its arguments, the initrd, each checked
 * when asked. */
static void ipxe_entry(FILE *f, const struct pxe_spec *s, const char *args)
{
        fprintf(f, "kernel vmlinuz %s\n", args);
        if (s->verify)
                fputs("imgverify vmlinuz vmlinuz.sig\n", f);
        fputs("initrd initrd.img\n", f);
        if (s->verify)
                fputs("imgverify initrd.img initrd.img.sig\n", f);
        fputs("boot\n", f);
}

/* The BIOS path. Debian's iPXE lacks imgtrust/imgverify, so they appear only
 * when asked for (an iPXE built with the db certificate as its trust root). A
 * set that installs has a menu: "live" (the default, after 3 s) and "install". */
static char *ipxe_script(const struct pxe_spec *s, const struct pxe_out *o, const char *root_url)
{
        const char *cmdline = s->cmdline ? s->cmdline : "";
        const char *name = s->name ? s->name : "pocbake";
        _cleanup_free_ char *live = NULL, *inst = NULL, *args = NULL;
        char *buf = NULL;
        size_t n = 0;
        FILE *f;

        if (asprintf(&live, "%s%sinitrd=initrd.img pocbake.root=%s pocbake.roothash=sha256:%s",
                     cmdline, cmdline[0] ? " " : "", root_url, o->root_sha) < 0)
                return NULL;
        if (s->image && !(args = install_args(s, &o->img, "http://${next-server}/host.raw.gz")))
                return NULL;
        if (args && asprintf(&inst, "initrd=initrd.img %s", args) < 0)
                return NULL;
        if (!(f = open_memstream(&buf, &n)))
                return NULL;
        fprintf(f, "#!ipxe\n# boot.ipxe: pocbake PXE set \"%s\" for BIOS clients\n", name);
        /* the ROM that ran this script has an address already: a second DHCP
         * round costs seconds */
        fputs("isset ${ip} || dhcp\n", f);
        if (s->verify)
                fputs("imgtrust --permanent\n", f);
        if (inst) {
                fprintf(f,
                        "menu pocbake %s\nitem live Run %s from the network\n"
                        "item install Install %s on this machine's disk\n"
                        "choose --default live --timeout 3000 entry || set entry live\n"
                        "goto ${entry}\n:install\n",
                        name, name, name);
                ipxe_entry(f, s, inst);
                fputs(":live\n", f);
        }
        ipxe_entry(f, s, live);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static const char verify_on[] =
        "boot.ipxe checks vmlinuz and initrd.img with imgverify after imgtrust: it\n"
        "needs an iPXE built with db.crt as its trust root (make bin/undionly.kpxe\n"
        "TRUST=db.crt); Debian's iPXE lacks these commands and stops at them.";
static const char verify_off[] =
        "boot.ipxe does not check signatures, so Debian's iPXE runs it. Make the set\n"
        "with --verify for an iPXE built with db.crt as its trust root\n"
        "(make bin/undionly.kpxe TRUST=db.crt): the script then runs imgtrust and\n"
        "imgverify on vmlinuz and initrd.img.";

static const char install_on[] =
        "This set also installs. boot.ipxe's menu has an \"install\" entry, and\n"
        "%s-install.efi is the signed UKI that installs (its command line carries\n"
        "pocbake.install, the size of the host image and the sha256 of host.raw.gz).\n"
        "The installer fetches http://SERVER/host.raw.gz from the boot server (the one\n"
        "that answered DHCP), refuses bytes whose sha256 is not the one on its command\n"
        "line, writes the only blank disk (pocbake.target=/dev/X names another;\n"
        "pocbake.wipe allows one that holds data), reads it back, and reboots into it.\n"
        "The disk's first MiB is written last, once the hash matched: a refused image\n"
        "leaves a disk that still counts as blank.\n\n"
        "Serve this directory over HTTP too, with any web server, from this directory:\n\n"
        "    python3 -m http.server 80\n"
        "    busybox httpd -f -p 80 -h .\n\n"
        "A UEFI client installs when DHCP names %s-install.efi (see the install\n"
        "lines in dnsmasq.conf); BIOS clients choose \"install\" in iPXE's menu.";
static const char install_off[] = "This set does not install (made without an install image).";

/* boot.ipxe, dnsmasq.conf and README, from the templates in firmware/pxe/. */
static int put_texts(struct pxe_out *o, const struct pxe_spec *s, const char *root_file,
                     struct diag *d)
{
        const char *name = s->name ? s->name : "pocbake";
        _cleanup_free_ char *root_url = NULL, *tftp = NULL, *script = NULL, *inst = NULL;
        const char *texts[] = {"dnsmasq.conf", "README"};
        int r;

        if (asprintf(&root_url, "%s/%s", s->root_base ? s->root_base : "tftp://${next-server}",
                     root_file) < 0 ||
            asprintf(&tftp, "/srv/pocbake/%s", name) < 0 ||
            (s->image ? asprintf(&inst, install_on, name, name)
                      : asprintf(&inst, "%s", install_off)) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        script = ipxe_script(s, o, root_url);
        if (!script)
                return diag_err(d, -ENOMEM, "out of memory");
        r = put_buf(o, "boot.ipxe", script, strlen(script), d);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(texts); i++) {
                const char *vars[] = {"NAME",        name,
                                      "SUBNET",      s->subnet ? s->subnet : SUBNET_PLACEHOLDER,
                                      "TFTP_ROOT",   s->tftp_root ? s->tftp_root : tftp,
                                      "ROOT",        root_file,
                                      "ROOT_URL",    root_url,
                                      "CMDLINE",     s->cmdline ? s->cmdline : "",
                                      "VERIFY_NOTE", s->verify ? verify_on : verify_off,
                                      "INSTALL",     inst,
                                      NULL};
                _cleanup_free_ char *rel = NULL, *text = NULL;

                if (asprintf(&rel, "firmware/pxe/%s.in", texts[i]) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                r = media_template(rel, vars, &text, d);
                if (r >= 0)
                        r = put_buf(o, texts[i], text, strlen(text), d);
        }
        return r;
}

/* The set's files, in a fresh directory. */
static int fill(struct pxe_out *o, const struct pxe_spec *s, const char *rtype, struct diag *d)
{
        _cleanup_free_ char *efi = NULL, *root = NULL, *sums = NULL;
        size_t len = 0;
        int r;

        if (asprintf(&efi, "%s.efi", s->name ? s->name : "pocbake") < 0 ||
            asprintf(&root, "root.%s", rtype) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = put_copy(o, s->root, root, o->root_sha, d);
        if (r >= 0)
                r = put_copy(o, s->kernel, "vmlinuz", NULL, d);
        if (r >= 0 && s->image)
                r = put_install(o, s, s->name ? s->name : "pocbake", d);
        else if (r >= 0)
                r = put_copy(o, s->initrd, "initrd.img", NULL, d);
        if (r >= 0)
                r = put_copy(o, s->uki, efi, NULL, d);
        if (r >= 0 && s->ipxe)
                r = put_copy(o, s->ipxe, "undionly.kpxe", NULL, d);
        if (r >= 0)
                r = put_texts(o, s, root, d);
        if (r < 0)
                return r;
        if (sums_format(&o->sums, &sums, &len) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = put_buf(o, "SHA256SUMS", sums, len, d);
        /* SHA256SUMS is not listed in itself. */
        if (r >= 0)
                free(o->sums.v[--o->sums.n].name);
        return r;
}

int pxe_write(const struct pxe_spec *s, const char *outdir, struct diag *d)
{
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        _cleanup_x509_ X509 *cert = NULL;
        _cleanup_free_ char *tmp = NULL;
        struct pxe_out o = {0};
        const char *rtype = NULL;
        int r;

        r = check_spec(s, &rtype, d);
        if (r < 0)
                return r;
        r = media_dir_replaceable(outdir, "SHA256SUMS", d);
        if (r < 0)
                return r;
        r = signing_key_load(s->key, s->cert, &key, &cert, d);
        if (r < 0)
                return r;
        r = media_dir_tmp(outdir, &tmp, d);
        if (r < 0)
                return r;
        o.dir = tmp;
        o.key = key;
        o.cert = cert;
        r = fill(&o, s, rtype, d);
        if (r >= 0)
                r = media_dir_swap(tmp, outdir, d);
        if (r < 0)
                (void)rm_rf(tmp);
        sums_release(&o.sums);
        return r;
}

/* One listed file: its digest, then its signature. */
static int verify_one(const char *dir, const struct sum *e, X509 *anchor, struct diag *d)
{
        _cleanup_free_ char *path = path_join(dir, e->name), *sig_path = NULL;
        _cleanup_free_ char *sig = NULL;
        uint8_t digest[SHA256_LEN];
        char hex[SHA256_HEX];
        size_t sig_len = 0;
        int r, bad = 0;

        if (!path || asprintf(&sig_path, "%s.sig", path) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = sha256_file(path, digest);
        if (r < 0)
                return diag_err(d, -EBADMSG, "%s: cannot read: %s", e->name, strerror(-r));
        hex_encode(digest, SHA256_LEN, hex);
        if (strcmp(hex, e->hex))
                bad = diag_err(d, -EBADMSG, "%s: sha256 mismatch (SHA256SUMS has %s, file has %s)",
                               e->name, e->hex, hex);
        /* The signature too, so that both reasons are shown. */
        r = media_read_small(sig_path, MEDIA_SIG_MAX, &sig, &sig_len);
        if (r < 0)
                return diag_err(d, -EBADMSG, "%s.sig: cannot read: %s", e->name, strerror(-r));
        r = cms_verify_detached((const uint8_t *)sig, sig_len, NULL, 0, path, anchor, e->name, d);
        return r < 0 ? r : bad;
}

static bool listed(const struct sums *sums, const char *name)
{
        size_t n = strlen(name);

        if (!strcmp(name, "SHA256SUMS") || !strcmp(name, "SHA256SUMS.sig"))
                return true;
        for (size_t i = 0; i < sums->n; i++) {
                size_t m = strlen(sums->v[i].name);

                if (!strcmp(name, sums->v[i].name) ||
                    (n == m + 4 && !strncmp(name, sums->v[i].name, m) && !strcmp(name + m, ".sig")))
                        return true;
        }
        return false;
}

/* A file in the set that SHA256SUMS does not list would be served all the same
 * (a client asking for it by name gets it unchecked): each one is an error. */
static int unlisted(const char *dir, const struct sums *sums, struct diag *d)
{
        DIR *dp = opendir(dir);
        struct dirent *e;
        int bad = 0;

        if (!dp)
                return diag_err(d, -errno, "cannot read \"%s\": %s", dir, strerror(errno));
        while ((e = readdir(dp)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !listed(sums, e->d_name))
                        bad = diag_err(d, -EBADMSG,
                                       "%s: present but not listed in SHA256SUMS (a server "
                                       "would hand it out unchecked)",
                                       e->d_name);
        closedir(dp);
        return bad;
}

int pxe_verify(const char *dir, X509 *anchor, size_t *checked, struct diag *d)
{
        _cleanup_free_ char *sums_path = path_join(dir, "SHA256SUMS"), *sig_path = NULL;
        _cleanup_free_ char *text = NULL, *sig = NULL;
        struct sums sums = {0};
        size_t len = 0, sig_len = 0;
        int r, bad = 0;

        *checked = 0;
        if (!sums_path || asprintf(&sig_path, "%s.sig", sums_path) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = media_read_small(sums_path, MEDIA_SUMS_MAX, &text, &len);
        if (r < 0)
                return diag_err(d, -EBADMSG, "SHA256SUMS: cannot read \"%s\": %s", sums_path,
                                strerror(-r));
        r = media_read_small(sig_path, MEDIA_SIG_MAX, &sig, &sig_len);
        if (r < 0)
                return diag_err(d, -EBADMSG, "SHA256SUMS.sig: cannot read: %s", strerror(-r));
        r = cms_verify_detached((const uint8_t *)sig, sig_len, text, len, NULL, anchor,
                                "SHA256SUMS", d);
        if (r >= 0)
                r = sums_parse(text, len, &sums, "SHA256SUMS", d);
        if (r >= 0 && sums.n == 0)
                r = diag_err(d, -EBADMSG, "SHA256SUMS lists no file");
        for (size_t i = 0; r >= 0 && i < sums.n; i++) {
                if (verify_one(dir, &sums.v[i], anchor, d) < 0)
                        bad++;
                else
                        (*checked)++;
        }
        if (r >= 0 && unlisted(dir, &sums, d) < 0)
                bad++;
        sums_release(&sums);
        if (r < 0)
                return r;
        return bad ? -EBADMSG : 0;
}
