/* authenticode_asn1.h: Authenticode OIDs and shared DER pieces (private to sign/). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "authenticode.h"
#include "der.h"

#define SPC_INDIRECT_DATA_OBJID "1.3.6.1.4.1.311.2.1.4"

/* OID content bytes. */
static const uint8_t OID_SPC_INDIRECT_DATA[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                                0x82, 0x37, 0x02, 0x01, 0x04};
static const uint8_t OID_SPC_PE_IMAGE_DATA[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                                0x82, 0x37, 0x02, 0x01, 0x0f};
static const uint8_t OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};

/* SpcIndirectDataContent for a PE image with this SHA-256 digest, appended to o. */
int authenticode_idc_build(const uint8_t md[AUTHENTICODE_MD_LEN], struct der_out *o);
/* PKCS#7 SignedData (DER, malloc'd) carrying the SpcIndirectDataContent for md. */
int authenticode_p7_build(const uint8_t md[AUTHENTICODE_MD_LEN], EVP_PKEY *key, X509 *cert,
                          uint8_t **der, size_t *der_len, struct diag *d);
/* The digest an SpcIndirectDataContent (whole DER element) claims. */
int authenticode_idc_digest(const uint8_t *idc, size_t len, uint8_t md[AUTHENTICODE_MD_LEN]);
