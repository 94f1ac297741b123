/* crc32c.h: CRC-32C (Castagnoli), which zlib lacks; used by VHDX and EROFS. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Raw register update: no inversion on entry or exit. The usual CRC-32C of a
 * buffer is crc32c_update(0xffffffff, buf, len) ^ 0xffffffff. */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);
/* The usual CRC-32C of a buffer (as VHDX stores it). */
uint32_t crc32c(const void *buf, size_t len);
