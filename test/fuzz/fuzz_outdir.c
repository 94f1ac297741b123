/* fuzz_outdir.c: libFuzzer target for the output directory's record (out/.pocbake-outputs). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/outdir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct outdir o = {0};
        char *text = malloc(size + 1);
        volatile size_t sink = 0;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (outdir_parse(&o, text, size) == 0)
                for (size_t i = 0; i < o.n; i++)
                        sink += strlen(o.v[i].out) + strlen(o.v[i].src) + o.v[i].size;
        (void)sink;
        outdir_release(&o);
        free(text);
        return 0;
}
