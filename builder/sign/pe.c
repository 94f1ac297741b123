/* pe.c: PE/COFF header, section table and certificate table checks. */
#include "pe.h"
#include "util/endian.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DOS_HDR_LEN  64
#define COFF_HDR_LEN 20
/* Offsets inside the optional header that differ between PE32 and PE32+. */
#define OPT32_FIXED 96
#define OPT64_FIXED 112
#define MAX_DIRS    16

/* Sections past this count are refused: the PE spec's loader limit. */
#define MAX_SECTIONS 96

static int parse_dos_coff(struct pe_image *pe, const char *name, struct diag *d)
{
        const uint8_t *p = pe->data;
        uint32_t lfanew;

        if (pe->len < DOS_HDR_LEN)
                return diag_err(d, -EINVAL, "%s: file too small for a DOS header (%zu bytes)", name,
                                pe->len);
        if (p[0] != 'M' || p[1] != 'Z')
                return diag_err(d, -EINVAL, "%s: no \"MZ\" DOS signature", name);
        lfanew = get_le32(p + 0x3c);
        if ((uint64_t)lfanew + 4 + COFF_HDR_LEN > pe->len)
                return diag_err(d, -EINVAL,
                                "%s: e_lfanew %u past end of file (%zu bytes) for a PE header",
                                name, lfanew, pe->len);
        if (lfanew < DOS_HDR_LEN)
                return diag_err(d, -EINVAL, "%s: e_lfanew %u overlaps the DOS header", name,
                                lfanew);
        if (memcmp(p + lfanew, "PE\0\0", 4))
                return diag_err(d, -EINVAL, "%s: no \"PE\" signature at e_lfanew %u", name, lfanew);
        pe->pe_off = lfanew;
        pe->machine = get_le16(p + lfanew + 4);
        pe->n_sections = get_le16(p + lfanew + 6);
        pe->opt_size = get_le16(p + lfanew + 20);
        pe->opt_off = lfanew + 4 + COFF_HDR_LEN;
        if (pe->n_sections > MAX_SECTIONS)
                return diag_err(d, -EINVAL, "%s: NumberOfSections %u exceeds %u", name,
                                pe->n_sections, MAX_SECTIONS);
        return 0;
}

static int parse_optional(struct pe_image *pe, const char *name, struct diag *d)
{
        const uint8_t *o = pe->data + pe->opt_off;
        uint32_t fixed;
        uint16_t magic;

        if ((uint64_t)pe->opt_off + pe->opt_size > pe->len)
                return diag_err(d, -EINVAL,
                                "%s: optional header truncated: SizeOfOptionalHeader %u at offset "
                                "%u runs past end of file (%zu bytes)",
                                name, pe->opt_size, pe->opt_off, pe->len);
        if (pe->opt_size < 2)
                return diag_err(d, -EINVAL, "%s: SizeOfOptionalHeader %u too small for a magic",
                                name, pe->opt_size);
        magic = get_le16(o);
        if (magic != 0x10b && magic != 0x20b)
                return diag_err(d, -EINVAL,
                                "%s: optional header magic 0x%x is neither PE32 "
                                "(0x10b) nor PE32+ (0x20b)",
                                name, magic);
        pe->pe32plus = magic == 0x20b;
        fixed = pe->pe32plus ? OPT64_FIXED : OPT32_FIXED;
        if (pe->opt_size < fixed)
                return diag_err(d, -EINVAL,
                                "%s: optional header truncated: SizeOfOptionalHeader "
                                "%u is less than the %u bytes of a %s header",
                                name, pe->opt_size, fixed, pe->pe32plus ? "PE32+" : "PE32");
        pe->entry = get_le32(o + 16);
        pe->image_base = pe->pe32plus ? get_le64(o + 24) : get_le32(o + 28);
        pe->section_align = get_le32(o + 32);
        pe->file_align = get_le32(o + 36);
        pe->size_of_image = get_le32(o + 56);
        pe->size_of_headers = get_le32(o + 60);
        pe->checksum_off = pe->opt_off + 64;
        pe->checksum = get_le32(o + 64);
        pe->subsystem = get_le16(o + 68);
        pe->n_dirs = get_le32(o + fixed - 4);
        pe->dirs_off = pe->opt_off + fixed;
        if (pe->n_dirs > MAX_DIRS || (uint64_t)fixed + 8ull * pe->n_dirs > pe->opt_size)
                return diag_err(d, -EINVAL,
                                "%s: NumberOfRvaAndSizes %u too large for an "
                                "optional header of %u bytes",
                                name, pe->n_dirs, pe->opt_size);
        return 0;
}

static int parse_sections(struct pe_image *pe, const char *name, struct diag *d)
{
        uint64_t end = (uint64_t)pe->sections_off + (uint64_t)pe->n_sections * PE_SECTION_HDR_LEN;

        if (end > pe->len)
                return diag_err(d, -EINVAL,
                                "%s: section table (%u entries at offset %u) past "
                                "end of file (%zu bytes)",
                                name, pe->n_sections, pe->sections_off, pe->len);
        if (pe->size_of_headers > pe->len)
                return diag_err(d, -EINVAL, "%s: SizeOfHeaders %u past end of file (%zu bytes)",
                                name, pe->size_of_headers, pe->len);
        if (pe->size_of_headers < end)
                return diag_err(d, -EINVAL,
                                "%s: SizeOfHeaders %u does not cover the section "
                                "table ending at %llu",
                                name, pe->size_of_headers, (unsigned long long)end);
        pe->sections = calloc(pe->n_sections ? pe->n_sections : 1, sizeof(*pe->sections));
        if (!pe->sections)
                return diag_err(d, -ENOMEM, "%s: out of memory", name);
        pe->raw_end = pe->size_of_headers;
        for (uint16_t i = 0; i < pe->n_sections; i++) {
                struct pe_section *s = &pe->sections[i];
                const uint8_t *h = pe->data + pe->sections_off + (size_t)i * PE_SECTION_HDR_LEN;

                memcpy(s->name, h, 8);
                s->name[8] = 0;
                s->vsize = get_le32(h + 8);
                s->vaddr = get_le32(h + 12);
                s->raw_size = get_le32(h + 16);
                s->raw_ptr = get_le32(h + 20);
                s->characteristics = get_le32(h + 36);
                s->hdr_off = (uint32_t)(h - pe->data);
                if (!s->raw_size)
                        continue;
                if ((uint64_t)s->raw_ptr + s->raw_size > pe->len)
                        return diag_err(d, -EINVAL,
                                        "%s: section %u \"%s\" raw data (offset %u, "
                                        "size %u) past end of file (%zu bytes)",
                                        name, i, s->name, s->raw_ptr, s->raw_size, pe->len);
                if (s->raw_ptr < pe->size_of_headers)
                        return diag_err(d, -EINVAL,
                                        "%s: section %u \"%s\" raw data at offset %u "
                                        "overlaps the headers (SizeOfHeaders %u)",
                                        name, i, s->name, s->raw_ptr, pe->size_of_headers);
                if ((uint64_t)s->raw_ptr + s->raw_size > pe->raw_end)
                        pe->raw_end = (uint64_t)s->raw_ptr + s->raw_size;
        }
        return 0;
}

static int parse_certdir(struct pe_image *pe, const char *name, struct diag *d)
{
        const uint8_t *e;

        if (pe->n_dirs <= PE_DIR_CERTIFICATE)
                return 0;
        pe->certdir_off = pe->dirs_off + 8 * PE_DIR_CERTIFICATE;
        e = pe->data + pe->certdir_off;
        pe->cert_off = get_le32(e);
        pe->cert_size = get_le32(e + 4);
        if (!pe->cert_size && !pe->cert_off)
                return 0;
        if (!pe->cert_size)
                return diag_err(d, -EINVAL, "%s: certificate table at offset %u has size 0", name,
                                pe->cert_off);
        if (pe->cert_off >= pe->len)
                return diag_err(d, -EINVAL,
                                "%s: certificate table offset %u points past end "
                                "of file (%zu bytes)",
                                name, pe->cert_off, pe->len);
        if ((uint64_t)pe->cert_off + pe->cert_size > pe->len)
                return diag_err(d, -EINVAL,
                                "%s: certificate table truncated: offset %u size %u "
                                "runs past end of file (%zu bytes)",
                                name, pe->cert_off, pe->cert_size, pe->len);
        if (pe->cert_off % 8)
                return diag_err(d, -EINVAL, "%s: certificate table offset %u is not 8-aligned",
                                name, pe->cert_off);
        if (pe->cert_off < pe->size_of_headers)
                return diag_err(d, -EINVAL,
                                "%s: certificate table offset %u overlaps the "
                                "headers (SizeOfHeaders %u)",
                                name, pe->cert_off, pe->size_of_headers);
        if (pe->cert_off < pe->raw_end)
                return diag_err(d, -EINVAL,
                                "%s: certificate table offset %u overlaps section "
                                "data ending at %llu",
                                name, pe->cert_off, (unsigned long long)pe->raw_end);
        return 0;
}

int pe_parse(struct pe_image *pe, const uint8_t *data, size_t len, const char *name, struct diag *d)
{
        int r;

        memset(pe, 0, sizeof(*pe));
        pe->data = data;
        pe->len = len;
        if (len > UINT32_MAX)
                return diag_err(d, -EFBIG, "%s: %zu bytes is too large for a PE image", name, len);
        r = parse_dos_coff(pe, name, d);
        if (r >= 0)
                r = parse_optional(pe, name, d);
        if (r >= 0) {
                pe->sections_off = pe->opt_off + pe->opt_size;
                r = parse_sections(pe, name, d);
        }
        if (r >= 0)
                r = parse_certdir(pe, name, d);
        if (r < 0)
                pe_release(pe);
        return r;
}

void pe_release(struct pe_image *pe)
{
        if (!pe)
                return;
        free(pe->sections);
        pe->sections = NULL;
}

const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name)
{
        for (uint16_t i = 0; i < pe->n_sections; i++)
                if (!strncmp(pe->sections[i].name, name, 8))
                        return &pe->sections[i];
        return NULL;
}

/* The 16-bit one's-complement style sum of the spec. Summing into 64 bits and
 * folding once gives the same result as folding after every word (both are the
 * sum modulo 0xffff, never 0 unless every word is 0), and runs at memory speed. */
uint64_t pe_sum(const uint8_t *p, size_t len, size_t off)
{
        uint64_t sum = 0;

        if ((off & 1) && len) { /* the high byte of a word that began before p */
                sum += (uint64_t)p[0] << 8;
                p++;
                len--;
        }
        /* Eight bytes at a time as two 32-bit words: a 32-bit word is its two 16-bit
         * halves modulo 0xffff, which is all the fold keeps. */
        for (; len >= 8; p += 8, len -= 8) {
                uint32_t lo = get_le32(p), hi = get_le32(p + 4);

                sum += (uint64_t)lo + hi;
        }
        for (; len >= 2; p += 2, len -= 2)
                sum += get_le16(p);
        if (len)
                sum += p[0];
        return sum;
}

uint32_t pe_sum_fold(uint64_t sum, size_t total_len)
{
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint32_t)(sum + total_len);
}

uint32_t pe_checksum(const uint8_t *data, size_t len, uint32_t checksum_off)
{
        size_t field = checksum_off < len ? checksum_off : len;
        size_t after = (size_t)checksum_off + 4 < len ? (size_t)checksum_off + 4 : len;

        /* the CheckSum field's own bytes count as zero */
        return pe_sum_fold(pe_sum(data, field, 0) + pe_sum(data + after, len - after, after), len);
}
