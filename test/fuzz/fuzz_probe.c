/* fuzz_probe.c: libFuzzer target for the check of images from elsewhere (qcow2, VHDX, raw). */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/probe.h"
#include "util/diag.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct diag d = {0};
        const char *format = NULL;
        int fd = memfd_create("fuzz-probe", MFD_CLOEXEC);

        if (fd < 0)
                return 0;
        if (write_full(fd, data, size) == 0)
                (void)image_probe(fd, "fuzz", &format, &d);
        diag_release(&d);
        close(fd);
        return 0;
}
