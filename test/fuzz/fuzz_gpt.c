/* fuzz_gpt.c: libFuzzer target for the GPT reader (the image an ISO is made from). */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "disk/gpt.h"
#include "util/diag.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct gpt g = {0};
        struct diag d = {0};
        int fd = memfd_create("fuzz-gpt", MFD_CLOEXEC);
        volatile uint64_t sink = 0;

        if (fd < 0)
                return 0;
        if (write_full(fd, data, size) == 0 && gpt_read(&g, fd, size, "fuzz", &d) == 0)
                for (size_t i = 0; i < g.n; i++)
                        sink ^= g.parts[i].first_lba ^ g.parts[i].last_lba ^
                                (uint8_t)g.parts[i].name[0];
        (void)sink;
        gpt_release(&g);
        diag_release(&d);
        close(fd);
        return 0;
}
