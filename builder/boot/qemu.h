/* qemu.h: booting an image under QEMU and watching its serial console for markers. */
#pragma once

#include <stdbool.h>

#include "util/diag.h"

enum boot_media { BOOT_DISK, BOOT_CDROM, BOOT_USB };

struct boot_run {
        const char *image;
        const char *format;   /* raw, qcow2, vhdx; NULL: from the file name */
        const char *firmware; /* profile name under firmware/qemu/: ovmf-secboot, ovmf, seabios */
        const char *accel;    /* auto, kvm, tcg */
        const char *vars;     /* OVMF variable store to use and keep; NULL: a fresh empty one */
        const char *log;      /* serial log; NULL: a temporary file */
        const char *expect;   /* success marker; NULL: "POCBAKE-CHECK <name> ok" */
        const char *name;     /* what the marker names (role) */
        enum boot_media media;
        unsigned memory_mb;
        unsigned timeout; /* seconds */
        bool console;     /* copy the serial console to stdout as it comes */
        const char *disk; /* an extra raw disk (virtio), written in place: an installer's target */
        bool nic;         /* a virtio NIC on QEMU's user network (no host services reachable) */
        const char *pxe_dir;  /* network boot from QEMU's TFTP server serving this directory */
        const char *bootfile; /* with pxe_dir: the file DHCP names (boot.ipxe, NAME.efi) */
};

/* Boot and wait: 0 when the expected marker shows, -ETIMEDOUT, -EACCES when the
 * firmware refuses an image ("Access Denied"), -EBADMSG when the role's check
 * reports a failure, -ECHILD when QEMU stops first; QEMU is always killed. The
 * image itself is never written (snapshot). With pxe_dir the machine boots from
 * its NIC (UEFI: OVMF's own network stack; BIOS: the NIC's iPXE ROM) and image
 * may be NULL. */
int boot_image(const struct boot_run *b, double *seconds, struct diag *d);
/* "kvm" when /dev/kvm can be opened, else "tcg"; accel "auto" resolves to it. */
const char *boot_accel(const char *accel);
