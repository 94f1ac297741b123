/* iso.h: the hybrid install ISO (UEFI + BIOS, CD + USB stick) with a live root and an installer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "boot/esp.h"
#include "gzimage.h"
#include "util/diag.h"

#define ISO_DEFAULT_LABEL "POCBAKE"
#define ISO_LABEL_MAX     32
/* El Torito counts the EFI boot image in 512-byte sectors in 16 bits: an ESP of
 * 32 MiB or more wraps to 0 and the firmware cannot boot the CD. */
#define ISO_ESP_MAX (32u * 1024 * 1024 - 512)

/* A file put on the ISO: path inside it (relative, e.g. "extra/notes.txt"). */
struct iso_payload {
        const char *path;
        const char *file;
};

enum iso_entry {
        ISO_ENTRY_LIVE,    /* run the host root from /live/root.squashfs */
        ISO_ENTRY_INSTALL, /* write /install/host.raw.gz to a disk */
};

struct iso_spec {
        const char *keys;  /* key directory: db.key/db.crt sign the boot chain, codesign.key/
                            * codesign.crt (else db) sign the manifest, PK/KEK/db enrolled */
        const char *image; /* the host disk image (raw, GPT) the installer writes */
        const char *root_squashfs; /* NULL: made from the image's root partition */
        const char *image_gz;      /* the image gzip'd earlier (gz_image_write); NULL: made here */
        const struct gz_image *image_gz_info; /* what that gz_image_write reported */
        const char *kernel;                   /* NULL: the newest /boot/vmlinuz-* */
        const char *initrd;  /* NULL: built (initrd_write) with the CD, USB and disk drivers */
        const char *label;   /* ISO volume label, found by pocbake.root=iso:LABEL; NULL: POCBAKE */
        const char *cmdline; /* kernel arguments after the root ones; NULL: "console=ttyS0" */
        enum iso_entry default_entry;
        unsigned timeout; /* menu seconds (systemd-boot and isolinux) */
        enum esp_enroll enroll;
        const struct iso_payload *payloads;
        size_t n_payloads;
        uint64_t epoch; /* every date and time in the image (the caller's, util/epoch.h) */
};

/* Check every input, then write the ISO to out (atomically). The same spec and
 * input bytes give the same bytes. Layout:
 *   /isolinux/ (BIOS), /live/vmlinuz, /live/initrd.img, /live/root.squashfs,
 *   /install/host.raw.gz, /install/manifest.json + .sig, payloads;
 *   GPT partition 2 = the ESP (signed systemd-boot, EFI/Linux/{live,install}.efi,
 *   loader.conf, loader/keys/auto/ with the .auth files), also the El Torito EFI image. */
int iso_write(const struct iso_spec *s, const char *out, struct diag *d);
/* "live" or "install"; -EINVAL otherwise. */
int iso_entry_parse(const char *s, enum iso_entry *e);
