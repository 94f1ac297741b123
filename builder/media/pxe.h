/* pxe.h: the PXE boot set: kernel, initrd, signed UKI, root image, iPXE, dnsmasq, signatures. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "gzimage.h"
#include "util/diag.h"

struct pxe_spec {
        const char *name;    /* the UKI is served as NAME.efi; NULL: "pocbake" */
        const char *kernel;  /* vmlinuz */
        const char *initrd;  /* initramfs */
        const char *uki;     /* the signed unified kernel image */
        const char *root;    /* squashfs or erofs image (served as root.squashfs / root.erofs) */
        const char *cmdline; /* kernel arguments after the root (or install) ones, for the
                              * BIOS (iPXE) entries and NAME-install.efi */
        const char *ipxe;    /* optional undionly.kpxe for BIOS clients, NULL: none */
        const char *key;     /* code-signing key: PEM path or OSSL_STORE URI */
        const char *cert;    /* its certificate (issued by db) */
        /* Where the initrd fetches the root image from; NULL: "tftp://${next-server}"
         * (iPXE fills in the TFTP server it booted from). */
        const char *root_base;
        const char *subnet; /* dnsmasq's proxy-DHCP subnet; NULL: the "192.0.2.0" placeholder */
        /* Where the lab serves the set from (dnsmasq's tftp-root, absolute);
         * NULL: "/srv/pocbake/NAME". Not outdir: the bytes must not depend on it. */
        const char *tftp_root;
        bool verify; /* boot.ipxe checks vmlinuz and initrd.img (imgtrust/imgverify) */
        /* The install entries (boot.ipxe's menu item "install", NAME-install.efi
         * signed with uki_keys/db.key) write this raw disk image, served gzip'd as
         * host.raw.gz over HTTP; initrd.img then carries the installer. NULL: none. */
        const char *image;
        const char *image_gz; /* image gzip'd earlier (gz_image_write); NULL: made here */
        const struct gz_image *image_gz_info; /* what that gz_image_write reported */
        const char *uki_keys;                 /* key directory (pocbake keys init) */
        uint64_t epoch;                       /* the installer archive's times */
};

/* Where the install entries fetch host.raw.gz: an ordinary web server on the
 * boot server ("next-server" is the DHCP server, filled in by the initrd). */
#define PXE_IMAGE_URL "http://next-server/host.raw.gz"

/* Check every input, then write the set into a temporary directory beside outdir
 * and swap it into place: outdir appears whole or not at all. An existing outdir
 * is replaced only when it is empty or an earlier PXE set (it has SHA256SUMS).
 * Same inputs give the same bytes. */
int pxe_write(const struct pxe_spec *s, const char *outdir, struct diag *d);

/* Check SHA256SUMS.sig, every file SHA256SUMS lists, and each FILE.sig against
 * anchor. -EBADMSG with one message per bad file ("vmlinuz: sha256 mismatch",
 * "vmlinuz: signature does not match the file"). *checked counts good files. */
int pxe_verify(const char *dir, X509 *anchor, size_t *checked, struct diag *d);
