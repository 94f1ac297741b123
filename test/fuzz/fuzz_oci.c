/* fuzz_oci.c: libFuzzer target for what a registry sends: OCI manifests, treesum listings in object
 * records, auth challenges. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/manifest.h"
#include "oci/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct oci_manifest m;
        struct diag d = {0};
        char *s = malloc(size + 1);
        uint64_t total;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        if (oci_manifest_parse(s, size, 64, &m, "fuzz", &d) == 0)
                oci_manifest_release(&m);
        free(oci_treesum_content(s, &total));
        free(oci_challenge_param(s, "realm"));
        free(oci_challenge_param(s, "scope"));
        diag_release(&d);
        free(s);
        return 0;
}
