/* fuzz_extract.c: libFuzzer target: arbitrary bytes as an archive, extracted into a fresh temp
 * root. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/extract.h"
#include "util/fsutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char dir[] = "/tmp/pocbake-fuzz.XXXXXX";
        char root[sizeof(dir) + 8];
        struct extract_opts o = {0};
        struct diag d = {0};
        struct stat st;

        if (!mkdtemp(dir))
                abort();
        snprintf(root, sizeof(root), "%s/root", dir);
        if (mkdir(root, 0755) < 0)
                abort();
        /* the first byte picks the options, so both sides of each check run */
        if (size) {
                o.allow_devices = data[0] & 1;
                o.allow_setuid = data[0] & 2;
        }
        (void)extract_archive_mem(data, size, "fuzz", root, &o, &d);
        diag_release(&d);
        /* nothing may appear beside the root, whatever the input */
        if (lstat("/tmp/pocbake-fuzz-escape", &st) == 0)
                abort();
        (void)rm_rf(root);
        if (rmdir(dir) < 0)
                abort(); /* something was written next to the root */
        return 0;
}
