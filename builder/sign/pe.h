/* pe.h: a PE/COFF reader that checks every offset and size against the file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/endian.h"

#define PE_DIR_CERTIFICATE 4 /* data directory index of the certificate table */
#define PE_SECTION_HDR_LEN 40

struct pe_section {
        char name[9];               /* NUL-terminated copy of the 8-byte name */
        uint32_t vsize, vaddr;      /* VirtualSize, VirtualAddress */
        uint32_t raw_size, raw_ptr; /* SizeOfRawData, PointerToRawData */
        uint32_t characteristics;
        uint32_t hdr_off; /* file offset of this entry in the section table */
};

struct pe_image {
        const uint8_t *data; /* not owned */
        size_t len;
        uint32_t pe_off; /* offset of the "PE\0\0" signature */
        uint16_t machine;
        uint16_t n_sections;
        bool pe32plus;
        uint32_t opt_off, opt_size; /* optional header */
        uint32_t checksum_off;      /* file offset of OptionalHeader.CheckSum */
        uint32_t n_dirs;
        uint32_t dirs_off;            /* file offset of the data directory array */
        uint32_t certdir_off;         /* file offset of the certificate table entry (dir 4);
                                       * 0 when the image has fewer than 5 directories */
        uint32_t cert_off, cert_size; /* the certificate table; 0, 0 when unsigned */
        uint32_t section_align, file_align;
        uint32_t size_of_headers, size_of_image;
        uint64_t image_base;
        uint32_t sections_off; /* file offset of the section table */
        struct pe_section *sections;
        /* Added: */
        uint32_t checksum; /* OptionalHeader.CheckSum as found */
        uint16_t subsystem;
        uint32_t entry;   /* AddressOfEntryPoint */
        uint64_t raw_end; /* end of the last section's raw data (at least
                           * SizeOfHeaders) */
};

/* Parse and check a PE image held in memory; each failed check gives its own
 * message naming the field. name is used in messages. On success pe->sections
 * is allocated (pe_release frees it); on failure nothing is left to free. */
int pe_parse(struct pe_image *pe, const uint8_t *data, size_t len, const char *name,
             struct diag *d);
void pe_release(struct pe_image *pe);
/* The PE checksum of data, with the 4 bytes at checksum_off counted as zero. */
uint32_t pe_checksum(const uint8_t *data, size_t len, uint32_t checksum_off);
/* The same over pieces: pe_sum of each piece (off = its file offset; pieces may
 * start at odd offsets), added up, then pe_sum_fold with the file's length. */
uint64_t pe_sum(const uint8_t *p, size_t len, size_t off);
uint32_t pe_sum_fold(uint64_t sum, size_t total_len);
/* The section named name (compared on the 8-byte name), or NULL. */
const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name);
