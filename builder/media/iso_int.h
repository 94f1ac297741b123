/* iso_int.h: what the ISO's writer (iso.c) and its boot files (iso_boot.c) share; private to
 * media/. */
#pragma once

#include <stdint.h>

#include "util/diag.h"
#include "util/hash.h"
#include "gzimage.h"
#include "iso.h"

#define ISO_HEX_LEN   (SHA256_LEN * 2 + 1)
#define ISOLINUX_DIR  "/usr/lib/ISOLINUX"
#define ISOLINUX_BIN  ISOLINUX_DIR "/isolinux.bin"
#define ISOHYBRID_MBR ISOLINUX_DIR "/isohdpfx.bin"
#define LDLINUX_C32   "/usr/lib/syslinux/modules/bios/ldlinux.c32"

/* Names a run of iso_write shares between its steps. */
struct iso_run {
        const struct iso_spec *s;
        const char *label;
        char *work;          /* scratch directory beside the output */
        char *tree;          /* what becomes the ISO 9660 tree */
        char *kernel;        /* the kernel used */
        struct gz_image img; /* install/host.raw.gz: its hashes and the raw size */
        char root_sha[ISO_HEX_LEN];
        struct diag *d;
};

/* The boot files (iso_boot.c), on boot/chain.c. */
/* /live/initrd.img at out: the installer archive, then the given initrd or one
 * built for the kernel. */
int iso_boot_initrd(struct iso_run *r, const char *out);
/* The ESP image at img: signed systemd-boot and the two UKIs (their initrd is
 * initrd), loader.conf, enrollment files; FAT sized to its content. */
int iso_boot_esp(struct iso_run *r, const char *initrd, const char *img);
/* /isolinux in the tree: isolinux.bin, ldlinux.c32 and the menu. */
int iso_boot_isolinux(struct iso_run *r);
/* Every entry of the tree at dir gets the epoch (mcopy and xorriso keep mtimes). */
int iso_set_times(struct iso_run *r, const char *dir);
