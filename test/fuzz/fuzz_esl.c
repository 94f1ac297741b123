/* fuzz_esl.c: libFuzzer target for the EFI signature list and .auth readers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/esl.h"
#include "sign/keygen.h"

#include "anchor.h"

static void parse_esl(const uint8_t *p, size_t len, struct diag *d)
{
        struct esl_sig *sigs = NULL;
        size_t n = 0;
        volatile uint8_t sink = 0;

        if (esl_parse(p, len, &sigs, &n, "fuzz", d) == 0)
                for (size_t i = 0; i < n; i++)
                        if (sigs[i].len)
                                sink ^= sigs[i].data[0] ^ sigs[i].data[sigs[i].len - 1];
        (void)sink;
        free(sigs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct efi_auth2 a;
        struct diag d = {0};

        parse_esl(data, size, &d);
        if (auth2_parse(data, size, &a, "fuzz", &d) == 0) {
                parse_esl(a.data, a.data_len, &d);
                (void)auth2_verify(&a, "db", &EFI_IMAGE_SECURITY_DATABASE_GUID,
                                   EFI_VAR_TIME_AUTH_ATTRS, anchor, "fuzz", &d);
        }
        diag_release(&d);
        return 0;
}
