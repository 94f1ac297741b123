/* test_uki.c: UKI layout (sections, sizes, alignment, header fields, checksum) and SBAT merging. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot/uki.h"
#include "sign/pe.h"
#include "util/endian.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static char scratch[] = "/tmp/pocbake-uki.XXXXXX";
static char kernel[300], initrd[300], osrel[300], sbat_short[300], sbat_long[300];
static const char stub[] = UKI_DEFAULT_STUB;

static void put(char *path, size_t plen, const char *name, const void *data, size_t len)
{
        snprintf(path, plen, "%s/%s", scratch, name);
        assert_int_equal(write_file_atomic(path, data, len, 0644), 0);
}

/* A stand-in bzImage: boot protocol 2.15 header, version string at 0x300. */
static int setup(void **state)
{
        static uint8_t k[5000];
        static uint8_t rd[70001];

        if (!mkdtemp(scratch))
                return -1;
        for (size_t i = 0; i < sizeof(k); i++)
                k[i] = (uint8_t)(i * 7);
        memcpy(k + 0x202, "HdrS", 4);
        put_le16(k + 0x206, 0x20f);
        put_le16(k + 0x20e, 0x100);
        memcpy(k + 0x300, "6.9.9-test (pocbake@test) #1 SMP\0", 33);
        for (size_t i = 0; i < sizeof(rd); i++)
                rd[i] = (uint8_t)(i * 13 + 1);
        put(kernel, sizeof(kernel), "vmlinuz", k, sizeof(k));
        put(initrd, sizeof(initrd), "initrd.img", rd, sizeof(rd));
        put(osrel, sizeof(osrel), "os-release", "ID=test\n", 8);
        put(sbat_short, sizeof(sbat_short), "short.csv", "pocbake,1,pocbake,uki,1,-\n", 26);
        put(sbat_long, sizeof(sbat_long), "long.csv",
            "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
            "pocbake.uki,1,The pocbake developers,pocbake,0.1.0,https://example.org/pocbake\n",
            155);
        return 0;
}

static int teardown(void **state)
{
        rm_rf(scratch);
        return 0;
}

static const struct pe_section *section(const struct pe_image *pe, const char *name, size_t *idx)
{
        for (uint16_t i = 0; i < pe->n_sections; i++)
                if (strcmp(pe->sections[i].name, name) == 0) {
                        *idx = i;
                        return &pe->sections[i];
                }
        fail_msg("no section \"%s\"", name);
        return NULL;
}

static void check_section(const struct pe_image *pe, const char *name, const void *want, size_t len,
                          size_t *idx)
{
        const struct pe_section *s = section(pe, name, idx);

        assert_int_equal(s->vsize, len);
        assert_true(s->raw_size >= len && s->raw_size - len < pe->file_align);
        assert_int_equal(s->vaddr % 4096, 0);
        assert_int_equal(s->vaddr % pe->section_align, 0);
        assert_int_equal(s->raw_ptr % pe->file_align, 0);
        assert_memory_equal(pe->data + s->raw_ptr, want, len);
}

static void test_layout(void **state)
{
        struct uki_spec s = {.kernel = kernel,
                             .initrd = initrd,
                             .cmdline = "console=ttyS0 quiet",
                             .os_release = osrel};
        _cleanup_free_ uint8_t *img = NULL;
        _cleanup_free_ char *k = NULL, *rd = NULL;
        struct diag d = {0};
        struct pe_image pe;
        size_t len, klen, rdlen, i_osrel, i_cmd, i_uname, i_initrd, i_linux;
        const struct pe_section *last;

        if (access(stub, R_OK) < 0)
                skip();
        assert_int_equal(uki_build(&s, &img, &len, &d), 0);
        assert_int_equal(pe_parse(&pe, img, len, "uki", &d), 0);
        assert_int_equal(read_file(kernel, &k, &klen), 0);
        assert_int_equal(read_file(initrd, &rd, &rdlen), 0);
        check_section(&pe, ".osrel", "ID=test\n", 8, &i_osrel);
        check_section(&pe, ".cmdline", "console=ttyS0 quiet", 19, &i_cmd);
        check_section(&pe, ".uname", "6.9.9-test", 10, &i_uname);
        check_section(&pe, ".initrd", rd, rdlen, &i_initrd);
        check_section(&pe, ".linux", k, klen, &i_linux);
        assert_true(i_osrel < i_cmd && i_cmd < i_uname && i_uname < i_initrd);
        assert_int_equal(i_linux, pe.n_sections - 1u);
        /* No two sections share an address, and the image ends with .linux. */
        for (uint16_t a = 0; a < pe.n_sections; a++)
                for (uint16_t b = (uint16_t)(a + 1); b < pe.n_sections; b++)
                        assert_true(pe.sections[a].vaddr + pe.sections[a].vsize <=
                                    pe.sections[b].vaddr);
        last = &pe.sections[i_linux];
        assert_int_equal(pe.size_of_image, (last->vaddr + last->vsize + pe.section_align - 1) /
                                                   pe.section_align * pe.section_align);
        assert_int_equal(len, last->raw_ptr + last->raw_size);
        assert_int_equal(pe.checksum, pe_checksum(img, len, pe.checksum_off));
        assert_int_equal(get_le32(img + pe.pe_off + 12), 0); /* no symbol table */
        assert_int_equal(pe.cert_size, 0);
        pe_release(&pe);
        diag_release(&d);
}

static void test_defaults(void **state)
{
        struct uki_spec s = {.kernel = kernel, .cmdline = "x"};
        _cleanup_free_ uint8_t *img = NULL;
        struct diag d = {0};
        struct pe_image pe;
        size_t len, i;
        const struct pe_section *os;

        if (access(stub, R_OK) < 0)
                skip();
        assert_int_equal(uki_build(&s, &img, &len, &d), 0);
        assert_int_equal(pe_parse(&pe, img, len, "uki", &d), 0);
        assert_null(pe_find_section(&pe, ".initrd"));
        os = section(&pe, ".osrel", &i);
        /* systemd-boot lists a UKI only with a name, an ID and a version. */
        assert_non_null(memmem(img + os->raw_ptr, os->vsize, "\nID=pocbake\n", 12));
        assert_non_null(memmem(img + os->raw_ptr, os->vsize, "\nVERSION_ID=", 12));
        assert_non_null(memmem(img + os->raw_ptr, os->vsize, "(6.9.9-test)", 12));
        pe_release(&pe);
        diag_release(&d);
}

static void test_sbat(void **state)
{
        struct uki_spec s = {.kernel = kernel, .cmdline = "x", .sbat = sbat_short};
        _cleanup_free_ uint8_t *img = NULL;
        struct diag d = {0};
        struct pe_image pe;
        const struct pe_section *sb;
        size_t len, n = 0;

        if (access(stub, R_OK) < 0)
                skip();
        assert_int_equal(uki_build(&s, &img, &len, &d), 0);
        assert_int_equal(pe_parse(&pe, img, len, "uki", &d), 0);
        for (uint16_t i = 0; i < pe.n_sections; i++)
                n += strcmp(pe.sections[i].name, ".sbat") == 0;
        assert_int_equal(n, 1); /* shim refuses two */
        sb = pe_find_section(&pe, ".sbat");
        assert_memory_equal(img + sb->raw_ptr, "sbat,1,", 7);
        assert_non_null(memmem(img + sb->raw_ptr, sb->vsize, "\nsystemd,", 9));
        assert_non_null(
                memmem(img + sb->raw_ptr, sb->vsize, "\npocbake,1,pocbake,uki,1,-\n\0", 28));
        assert_int_equal(img[sb->raw_ptr + sb->vsize - 1], 0);
        pe_release(&pe);
        diag_release(&d);
}

static void test_sbat_too_long(void **state)
{
        struct uki_spec s = {.kernel = kernel, .cmdline = "x", .sbat = sbat_long};
        uint8_t *img = NULL;
        struct diag d = {0};
        size_t len;

        if (access(stub, R_OK) < 0)
                skip();
        assert_int_equal(uki_build(&s, &img, &len, &d), -ENOSPC);
        assert_null(img);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "does not fit the .sbat section of stub"));
        diag_release(&d);
}

static void test_bad_kernel(void **state)
{
        struct uki_spec s = {.kernel = osrel, .cmdline = "x"};
        uint8_t *img = NULL;
        struct diag d = {0};
        size_t len;

        if (access(stub, R_OK) < 0)
                skip();
        assert_int_equal(uki_build(&s, &img, &len, &d), -EINVAL);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "no x86 boot header"));
        diag_release(&d);
        /* With the release given, any file can be the payload. */
        s.uname = "1.2.3";
        assert_int_equal(uki_build(&s, &img, &len, &d), 0);
        free(img);
        diag_release(&d);
}

static void test_bad_stub(void **state)
{
        struct uki_spec s = {.stub = kernel, .kernel = kernel, .cmdline = "x"};
        uint8_t *img = NULL;
        struct diag d = {0};
        size_t len;

        assert_true(uki_build(&s, &img, &len, &d) < 0);
        assert_true(d.n >= 1);
        assert_non_null(strstr(d.msgs[0], kernel));
        diag_release(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_layout),     cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_sbat),       cmocka_unit_test(test_sbat_too_long),
                cmocka_unit_test(test_bad_kernel), cmocka_unit_test(test_bad_stub),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
