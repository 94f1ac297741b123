/* fuzz_treesum.c: libFuzzer target for the cache's digest records (a manifest file read back). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/treesum.h"

/* One small tree, made once: a file with data, an empty file, a symlink, a subdirectory. */
static const char *tree(void)
{
        static char dir[] = "/tmp/fuzz-treesum.XXXXXX";
        static bool made;
        char p[64];

        if (made)
                return dir;
        if (!mkdtemp(dir))
                abort();
        snprintf(p, sizeof(p), "%s/a", dir);
        if (write_file_atomic(p, "data\n", 5, 0644) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/sub", dir);
        if (mkdir_p(p, 0755) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/sub/empty", dir);
        if (write_file_atomic(p, "", 0, 0644) < 0)
                abort();
        snprintf(p, sizeof(p), "%s/link", dir);
        if (symlink("a", p) < 0)
                abort();
        made = true;
        return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char manifest[64], hex[SHA256_HEX], *why = NULL;
        int fd = memfd_create("fuzz-treesum", MFD_CLOEXEC);

        if (fd < 0)
                return 0;
        snprintf(manifest, sizeof(manifest), "/proc/self/fd/%d", fd);
        if (write_full(fd, data, size) == 0) {
                (void)treesum_check(tree(), manifest, false, &why);
                free(why);
                why = NULL;
                (void)treesum_check(tree(), manifest, true, &why);
                free(why);
                (void)treesum_lookup(manifest, "a", hex);
                (void)treesum_lookup(manifest, "sub/empty", hex);
        }
        close(fd);
        return 0;
}
