/* fuzz_ext4_times.c: libFuzzer target for the ext4 inode time patcher. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fs/fsint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The patcher reads and writes through a file descriptor, so the input is
 * copied into a memfd; the first byte picks the epoch's range (the two
 * epoch bits of the _extra fields), the rest is the image. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint64_t epochs[] = {0, 1700000000ull, 0x80000000ull, 0x37fffffffull};
        struct diag d = {0};
        uint64_t changed = 0;
        int fd;

        if (size < 1)
                return 0;
        fd = memfd_create("fuzz-ext4", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
                abort();
        (void)ext4_times_fix(fd, 0, size - 1, epochs[data[0] & 3], "fuzz", &changed, &d);
        diag_release(&d);
        close(fd);
        return 0;
}
