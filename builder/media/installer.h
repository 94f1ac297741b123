/* installer.h: an initrd that carries the installer (the ISO's install entry, the PXE set's). */
#pragma once

#include <stdint.h>

#include "util/diag.h"

/* out: a small newc archive with firmware/installer/install.sh as
 * etc/pocbake/install.sh (where the init's pocbake.install hook looks), then the
 * bytes of initrd; the kernel unpacks both into one rootfs, as it does early
 * microcode. Every entry's mtime is epoch. */
int installer_initrd(const char *initrd, uint64_t epoch, const char *out, struct diag *d);
