/* probe.h: what an image from elsewhere is, and whether it would make qemu open other files. */
#pragma once

#include "util/diag.h"

/* Reads the image in fd (name for messages) and sets *format to "raw", "qcow2"
 * or "vhdx". Refused (-EMEDIUMTYPE), before anything opens it with qemu: a qcow2
 * with a backing file or an external data file, a VHDX differencing disk, and
 * formats pocbake does not read (VMDK, VPC, VDI, QED), which can name other
 * files. A raw file with no partition table and no filesystem pocbake knows is
 * "not a disk image" (-EMEDIUMTYPE too). Every offset is checked against the file. */
int image_probe(int fd, const char *name, const char **format, struct diag *d);
