/* qemu.h: booting an image under QEMU and watching its serial console for markers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/diag.h"

enum boot_media { BOOT_DISK, BOOT_CDROM, BOOT_USB };

/* A NIC on a tap device that already exists (in the network namespace). */
struct boot_nic {
        const char *tap;
        const char *mac;
        const char *model; /* virtio, e1000, e1000e, rtl8139, vmxnet3 */
};

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
        unsigned cpus;        /* 0: 1 */
        const struct boot_nic *nics; /* taps instead of the user network */
        size_t n_nics;
        const char *netns;     /* a network namespace (ip netns name) QEMU runs in */
        const char *checks;    /* a read-only raw disk with serial "pocbake-checks" */
        const char *state_dir; /* keep the variable store and QEMU's log here as NAME.vars
                                * and NAME.qemu.log; NULL: a temporary directory */
        bool detach;           /* QEMU outlives this process; else it dies with it */
};

/* A started QEMU. */
struct boot_vm {
        pid_t pid;
        char *tmpdir; /* removed by boot_stop; NULL with state_dir */
        char *log, *qlog;
        char *expect, *failed; /* the markers scanned for */
        double t0;             /* CLOCK_MONOTONIC seconds at start */
};

/* Boot and wait: 0 when the expected marker shows, -ETIMEDOUT, -EACCES when the
 * firmware refuses an image ("Access Denied"), -EBADMSG when the role's check
 * reports a failure, -ENOEXEC when the firmware stops in its UEFI shell, -ENODEV
 * when it finds no bootable device (all three found on the console at once, not
 * at the timeout), -ECHILD when QEMU stops first; QEMU is always killed. The
 * image itself is never written (snapshot). With pxe_dir the machine boots from
 * its NIC (UEFI: OVMF's own network stack; BIOS: the NIC's iPXE ROM) and image
 * may be NULL. */
int boot_image(const struct boot_run *b, double *seconds, struct diag *d);
/* Start QEMU for b and return at once; vm is filled. */
int boot_start(const struct boot_run *b, struct boot_vm *vm, struct diag *d);
/* Look at the console so far: 0 the expected marker shows, -EACCES, -ENOEXEC,
 * -ENODEV, -EBADMSG as for boot_image, 1 nothing yet. The console is copied to stdout with
 * b->console. */
int boot_scan(const struct boot_run *b, const struct boot_vm *vm, size_t *shown);
/* A console's text made fit to print: escape sequences, carriage returns and other
 * control bytes removed (newlines and tabs kept), in place; the new length. */
size_t boot_console_clean(char *text, size_t len);
/* Kill QEMU (when kill) and release vm: its temporary files go. */
void boot_stop(struct boot_vm *vm, bool kill);
/* Stop a QEMU by pid: SIGTERM, then SIGKILL after 5 s. Reaps it when it is our child. */
void boot_kill_pid(pid_t pid);
/* CLOCK_MONOTONIC in seconds. */
double boot_now(void);
/* The last lines of a console log, as one diagnostic. */
void boot_tail_log(const char *log, struct diag *d);
/* "kvm" when /dev/kvm can be opened, else "tcg"; accel "auto" resolves to it. */
const char *boot_accel(const char *accel);
