/* anchor.h: the throwaway certificate the signature-reading fuzz targets verify against. */
#pragma once

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/keygen.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *anchor;

/* A fresh key and self-signed certificate per run: nothing is read from disk. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        struct diag d = {0};

        if (!k || keygen_cert(k, "fuzz", 1, NULL, NULL, false, &anchor, &d) < 0)
                abort();
        EVP_PKEY_free(k);
        return 0;
}
