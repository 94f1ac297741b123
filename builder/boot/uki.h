/* uki.h: unified kernel images built on systemd's EFI stub, without objcopy. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define UKI_DEFAULT_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

struct uki_spec {
        const char *stub;       /* NULL: UKI_DEFAULT_STUB */
        const char *kernel;     /* the kernel image (x86 bzImage) */
        const char *initrd;     /* NULL: no .initrd section */
        const char *cmdline;    /* the kernel command line text; NULL: no .cmdline */
        const char *os_release; /* file for .osrel; NULL: a generated one naming pocbake */
        const char *uname;      /* NULL: read from the kernel's boot header */
        const char *sbat;       /* file of SBAT lines merged into the stub's; NULL: keep it */
};

/* Build the image in memory: the stub's sections unchanged, then .osrel,
 * .cmdline, .uname, .initrd and .linux (last: the kernel may use the room after
 * it) at section-aligned addresses, SizeOfImage, SizeOfCode, SizeOfInitializedData
 * and CheckSum updated, the stub's COFF symbol table dropped. */
int uki_build(const struct uki_spec *s, uint8_t **out, size_t *len, struct diag *d);
/* uki_build, then written atomically to path. */
int uki_write(const struct uki_spec *s, const char *path, struct diag *d);
/* The kernel release string in an x86 boot header ("6.1.0-56-amd64"), malloc'd. */
int uki_kernel_release(const uint8_t *k, size_t len, char **out);
