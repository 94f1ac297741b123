/* uki.c: assembles a UKI from systemd-stub, kernel, initrd, command line and os-release. */
#include "uki.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sign/pe.h"
#include "util/endian.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#ifndef POCBAKE_VERSION
#define POCBAKE_VERSION "0"
#endif

#define SCN_CNT_CODE             0x00000020u
#define SCN_CNT_INITIALIZED_DATA 0x00000040u
#define SCN_MEM_READ             0x40000000u
/* Page alignment at least: the kernel in .linux is run in place by the stub. */
#define UKI_MIN_ALIGN 4096u

#define SBAT_HEADER "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"

struct blob {
        const char *name; /* section name */
        uint8_t *data;
        size_t len;
        uint32_t flags;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) / a * a;
}

int uki_kernel_release(const uint8_t *k, size_t len, char **out)
{
        size_t off, end;

        /* Boot protocol 2.00+: "HdrS" at 0x202, kernel_version pointer at 0x20e. */
        if (len < 0x210 || memcmp(k + 0x202, "HdrS", 4) || get_le16(k + 0x206) < 0x200)
                return -EINVAL;
        off = (size_t)get_le16(k + 0x20e) + 0x200;
        if (off >= len)
                return -EINVAL;
        end = off;
        while (end < len && k[end] > ' ' && k[end] < 0x7f)
                end++;
        if (end == off)
                return -EINVAL;
        *out = strndup((const char *)k + off, end - off);
        return *out ? 0 : -ENOMEM;
}

static int read_blob(struct blob *b, const char *name, const char *what, const char *path,
                     uint32_t flags, struct diag *d)
{
        char *data;
        int r = read_file(path, &data, &b->len);

        if (r < 0)
                return diag_err(d, r, "cannot read %s \"%s\": %s", what, path, strerror(-r));
        b->name = name;
        b->data = (uint8_t *)data;
        b->flags = flags;
        return 0;
}

static int text_blob(struct blob *b, const char *name, char *text)
{
        if (!text)
                return -ENOMEM;
        *b = (struct blob){name, (uint8_t *)text, strlen(text),
                           SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ};
        return 0;
}

static char *default_osrel(const char *release)
{
        char *s = NULL;

        if (asprintf(&s,
                     "NAME=\"pocbake appliance\"\nID=pocbake\nVERSION_ID=%s\n"
                     "PRETTY_NAME=\"pocbake appliance (%s)\"\n",
                     POCBAKE_VERSION, release) < 0)
                return NULL;
        return s;
}

/* Append the lines of path not starting with "sbat," (the one header line the
 * section may have) to the memstream f. */
static int add_sbat_lines(FILE *f, const char *path, struct diag *d)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL; /* strtok_r: builds run in worker threads */
        size_t len;
        int r = read_file(path, &text, &len);

        if (r < 0)
                return diag_err(d, r, "cannot read sbat \"%s\": %s", path, strerror(-r));
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                if (!*l || strncmp(l, "sbat,", 5) == 0)
                        continue;
                if (strchr(l, ',') == NULL)
                        return diag_err(d, -EINVAL,
                                        "sbat \"%s\": line \"%s\" is not CSV "
                                        "(component,generation,vendor,package,version,url)",
                                        path, l);
                fprintf(f, "%s\n", l);
        }
        return 0;
}

/* The stub's .sbat with the extra lines merged in, written back in place: shim
 * refuses images with two .sbat sections, and moving the stub's would leave a
 * hole in its layout. As systemd-ukify, an error when it does not fit. */
static int merge_sbat(uint8_t *img, const struct pe_image *pe, const char *stub, const char *sbat,
                      struct blob *add, struct diag *d)
{
        const struct pe_section *sec = pe_find_section(pe, ".sbat");
        _cleanup_free_ char *text = NULL;
        size_t len = 0, room;
        FILE *f = open_memstream(&text, &len);
        int r;

        if (!f)
                return -ENOMEM;
        if (sec) {
                size_t have = sec->vsize < sec->raw_size ? sec->vsize : sec->raw_size;

                have = strnlen((const char *)img + sec->raw_ptr, have);
                fprintf(f, "%.*s", (int)have, (const char *)img + sec->raw_ptr);
                if (have && img[sec->raw_ptr + have - 1] != '\n')
                        fputc('\n', f);
        } else
                fputs(SBAT_HEADER, f);
        r = add_sbat_lines(f, sbat, d);
        fputc(0, f);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        if (!sec) {
                /* len counts the terminating NUL, as systemd-ukify writes it. */
                *add = (struct blob){".sbat", (uint8_t *)TAKE_PTR(text), len,
                                     SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ};
                return 1;
        }
        room = sec->raw_size;
        for (uint16_t i = 0; i < pe->n_sections; i++)
                if (pe->sections[i].vaddr > sec->vaddr && pe->sections[i].vaddr - sec->vaddr < room)
                        room = pe->sections[i].vaddr - sec->vaddr;
        if (len > room)
                return diag_err(d, -ENOSPC,
                                "merged SBAT of %zu bytes does not fit the .sbat "
                                "section of stub \"%s\" (%zu bytes)",
                                len, stub, room);
        memset(img + sec->raw_ptr, 0, sec->raw_size);
        memcpy(img + sec->raw_ptr, text, len);
        put_le32(img + sec->hdr_off + 8, (uint32_t)len);
        return 0;
}

/* First address after every section of the stub, aligned for new sections. */
static uint64_t first_free_va(const struct pe_image *pe, uint32_t valign)
{
        uint64_t end = pe->size_of_headers;

        for (uint16_t i = 0; i < pe->n_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint64_t e = (uint64_t)s->vaddr + (s->vsize ? s->vsize : s->raw_size);

                if (e > end)
                        end = e;
        }
        return align_up(end, valign);
}

static void put_section(uint8_t *h, const struct blob *b, uint32_t va, uint32_t raw_size,
                        uint32_t raw_ptr)
{
        memset(h, 0, PE_SECTION_HDR_LEN);
        memcpy(h, b->name, strnlen(b->name, 8));
        put_le32(h + 8, (uint32_t)b->len);
        put_le32(h + 12, va);
        put_le32(h + 16, raw_size);
        put_le32(h + 20, raw_ptr);
        put_le32(h + 36, b->flags);
}

/* The stub's headers and sections, then each blob; the symbol table and anything
 * else after the stub's last section is left out. */
static int lay_out(const struct pe_image *pe, const char *stub, const struct blob *b, size_t nb,
                   uint8_t **out, size_t *outlen, struct diag *d)
{
        uint32_t valign = pe->section_align, n = pe->n_sections;
        uint64_t table_end = pe->sections_off + (uint64_t)(n + nb) * PE_SECTION_HDR_LEN;
        uint64_t va, fo, total, code = 0, init = 0;
        uint8_t *img;

        if (valign < UKI_MIN_ALIGN && UKI_MIN_ALIGN % valign == 0)
                valign = UKI_MIN_ALIGN;
        if (table_end > pe->size_of_headers)
                return diag_err(d, -ENOSPC,
                                "stub \"%s\": no room for %zu more section headers "
                                "(the table would end at %llu, SizeOfHeaders is %u)",
                                stub, nb, (unsigned long long)table_end, pe->size_of_headers);
        va = first_free_va(pe, valign);
        fo = align_up(pe->raw_end, pe->file_align);
        total = fo;
        for (size_t i = 0; i < nb; i++)
                total += align_up(b[i].len, pe->file_align);
        if (total > UINT32_MAX)
                return diag_err(d, -EFBIG,
                                "unified kernel image from \"%s\" would be %llu bytes, "
                                "more than a PE image can hold",
                                stub, (unsigned long long)total);
        img = calloc(1, total);
        if (!img)
                return -ENOMEM;
        memcpy(img, pe->data, pe->raw_end);
        for (size_t i = 0; i < nb; i++) {
                uint32_t raw = (uint32_t)align_up(b[i].len, pe->file_align);

                put_section(img + pe->sections_off + (n + i) * PE_SECTION_HDR_LEN, &b[i],
                            (uint32_t)va, raw, (uint32_t)fo);
                memcpy(img + fo, b[i].data, b[i].len);
                *(b[i].flags & SCN_CNT_CODE ? &code : &init) += raw;
                fo += raw;
                if (i + 1 < nb)
                        va = align_up(va + b[i].len, valign);
        }
        va = align_up(va + (nb ? b[nb - 1].len : 0), pe->section_align);
        if (va > UINT32_MAX) {
                free(img);
                return diag_err(d, -EFBIG,
                                "unified kernel image from \"%s\": SizeOfImage %llu "
                                "too large",
                                stub, (unsigned long long)va);
        }
        put_le16(img + pe->pe_off + 6, (uint16_t)(n + nb));
        put_le32(img + pe->pe_off + 12, 0); /* PointerToSymbolTable */
        put_le32(img + pe->pe_off + 16, 0); /* NumberOfSymbols */
        put_le32(img + pe->opt_off + 4, (uint32_t)(get_le32(img + pe->opt_off + 4) + code));
        put_le32(img + pe->opt_off + 8, (uint32_t)(get_le32(img + pe->opt_off + 8) + init));
        put_le32(img + pe->opt_off + 56, (uint32_t)va); /* SizeOfImage */
        put_le32(img + pe->checksum_off, pe_checksum(img, total, pe->checksum_off));
        *out = img;
        *outlen = total;
        return 0;
}

static void blobs_free(struct blob *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(b[i].data);
}

/* .osrel, .cmdline, .uname and a new .sbat when the stub has none, in order. */
static int text_sections(const struct uki_spec *s, const struct pe_image *pe, uint8_t *stub,
                         const char *release, struct blob *b, size_t *nb, struct diag *d)
{
        const char *stub_path = s->stub ? s->stub : UKI_DEFAULT_STUB;
        int r;

        if (s->os_release)
                r = read_blob(&b[(*nb)++], ".osrel", "os-release", s->os_release,
                              SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ, d);
        else
                r = text_blob(&b[(*nb)++], ".osrel", default_osrel(release));
        if (r >= 0 && s->cmdline)
                r = text_blob(&b[(*nb)++], ".cmdline", strdup(s->cmdline));
        if (r >= 0)
                r = text_blob(&b[(*nb)++], ".uname", strdup(release));
        if (r >= 0 && s->sbat && (r = merge_sbat(stub, pe, stub_path, s->sbat, &b[*nb], d)) > 0)
                (*nb)++;
        return r < 0 ? r : 0;
}

int uki_build(const struct uki_spec *s, uint8_t **out, size_t *len, struct diag *d)
{
        const char *stub_path = s->stub ? s->stub : UKI_DEFAULT_STUB;
        _cleanup_free_ char *stub = NULL, *release = NULL;
        struct blob b[8] = {{0}}, kernel = {0};
        struct pe_image pe;
        size_t stub_len, nb = 0;
        int r;

        r = read_file(stub_path, &stub, &stub_len);
        if (r < 0)
                return diag_err(d, r, "cannot read stub \"%s\": %s", stub_path, strerror(-r));
        r = pe_parse(&pe, (uint8_t *)stub, stub_len, stub_path, d);
        if (r < 0)
                return r;
        if (pe.cert_size) {
                pe_release(&pe);
                return diag_err(d, -EINVAL,
                                "stub \"%s\" is signed: build from the unsigned stub, "
                                "then sign the image",
                                stub_path);
        }
        r = read_blob(&kernel, ".linux", "kernel", s->kernel, SCN_CNT_CODE | SCN_MEM_READ, d);
        if (r >= 0 && s->uname)
                release = strdup(s->uname);
        else if (r >= 0 && uki_kernel_release(kernel.data, kernel.len, &release) < 0)
                r = diag_err(d, -EINVAL,
                             "kernel \"%s\": no x86 boot header with a version "
                             "string; give the release with --uname",
                             s->kernel);
        if (r >= 0 && !release)
                r = -ENOMEM;
        if (r >= 0)
                r = text_sections(s, &pe, (uint8_t *)stub, release, b, &nb, d);
        if (r >= 0 && s->initrd)
                r = read_blob(&b[nb++], ".initrd", "initrd", s->initrd,
                              SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ, d);
        if (r >= 0) {
                b[nb++] = kernel; /* last: the kernel may use the memory after it */
                kernel.data = NULL;
                r = lay_out(&pe, stub_path, b, nb, out, len, d);
        }
        free(kernel.data);
        blobs_free(b, nb);
        pe_release(&pe);
        return r == -ENOMEM ? diag_err(d, r, "out of memory building a unified kernel image") : r;
}

int uki_write(const struct uki_spec *s, const char *path, struct diag *d)
{
        _cleanup_free_ uint8_t *img = NULL;
        size_t len;
        int r = uki_build(s, &img, &len, d);

        if (r < 0)
                return r;
        r = write_file_atomic(path, img, len, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot write \"%s\": %s", path, strerror(-r));
        return 0;
}
