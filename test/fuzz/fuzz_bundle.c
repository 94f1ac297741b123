/* fuzz_bundle.c: libFuzzer target for the bundle reader and its manifest, sums, DSSE, dpkg and
 * copyright parsers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "media/bundle.h"
#include "media/dpkg.h"
#include "media/bundle_int.h"
#include "media/dsse.h"
#include "media/sums.h"
#include "sign/keygen.h"

#include "anchor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct dpkg_pkg *pkgs = NULL;
        struct sums sums = {0};
        struct manifest man;
        struct diag d = {0};
        size_t n = 0;

        (void)bundle_verify_mem(data, size, anchor, &n, &d);
        (void)bundle_manifest_read((const char *)data, size, &man, "fuzz", &d);
        bundle_manifest_release(&man);
        (void)sums_parse((const char *)data, size, &sums, "fuzz", &d);
        sums_release(&sums);
        if (dpkg_status_parse((const char *)data, size, "fuzz", &pkgs, &n, &d) == 0)
                dpkg_pkgs_free(pkgs, n);
        free(dpkg_copyright_license((const char *)data, size));
        {
                char *payload = NULL;
                size_t len = 0;

                (void)dsse_verify((const char *)data, size, anchor, DSSE_INTOTO_TYPE, &payload,
                                  &len, "fuzz", &d);
                free(payload);
        }
        diag_release(&d);
        return 0;
}
