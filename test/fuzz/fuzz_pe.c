/* fuzz_pe.c: libFuzzer target for the PE parser, the Authenticode digest and signature parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/authenticode.h"
#include "sign/keygen.h"

#include "anchor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct win_cert *certs = NULL;
        struct diag d = {0};
        struct pe_image pe;
        uint8_t md[AUTHENTICODE_MD_LEN];
        size_t n = 0;

        if (pe_parse(&pe, data, size, "fuzz", &d) == 0) {
                (void)pe_checksum(data, size, pe.checksum_off);
                (void)authenticode_digest(&pe, md, "fuzz", &d);
                if (authenticode_certs(&pe, &certs, &n, "fuzz", &d) == 0)
                        for (size_t i = 0; i < n; i++)
                                (void)authenticode_signed_digest(certs[i].der, certs[i].der_len, md,
                                                                 "fuzz", &d);
                free(certs);
                pe_release(&pe);
                (void)authenticode_verify_buf(data, size, anchor, "anchor", "fuzz", &d);
        }
        /* The input as a bare signature too, so the PKCS#7 path is reached directly. */
        (void)authenticode_signed_digest(data, size, md, "fuzz", &d);
        diag_release(&d);
        return 0;
}
