/* test_pe.c: the PE parser's checks, one malformed header per message, and the PE checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sign/pe.h"
#include "util/endian.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

/* A small PE32+ image: headers in the first 0x200 bytes, two sections. */
#define LFANEW   0x40
#define OPT      (LFANEW + 24)
#define OPT_SIZE (112 + 16 * 8)
#define SECT     (OPT + OPT_SIZE)
#define IMG_LEN  0x600

static uint8_t img[IMG_LEN + 64];

static void put_section(int i, const char *name, uint32_t raw_ptr, uint32_t raw_size)
{
        uint8_t *h = img + SECT + 40 * i;

        memcpy(h, name, strlen(name));
        put_le32(h + 8, raw_size);
        put_le32(h + 12, 0x1000 * (uint32_t)(i + 1));
        put_le32(h + 16, raw_size);
        put_le32(h + 20, raw_ptr);
}

static void build_pe32plus(void)
{
        memset(img, 0, sizeof(img));
        img[0] = 'M';
        img[1] = 'Z';
        put_le32(img + 0x3c, LFANEW);
        memcpy(img + LFANEW, "PE\0\0", 4);
        put_le16(img + LFANEW + 4, 0x8664);
        put_le16(img + LFANEW + 6, 2);
        put_le16(img + LFANEW + 20, OPT_SIZE);
        put_le16(img + OPT, 0x20b);
        put_le32(img + OPT + 32, 0x1000);
        put_le32(img + OPT + 36, 0x200);
        put_le32(img + OPT + 56, 0x3000);
        put_le32(img + OPT + 60, 0x200);
        put_le32(img + OPT + 108, 16);
        put_section(0, ".text", 0x200, 0x200);
        put_section(1, ".data", 0x400, 0x200);
        for (int i = 0x200; i < IMG_LEN; i++)
                img[i] = (uint8_t)(i * 7);
}

/* Parse len bytes of img; expect failure with a message containing want. */
static void expect_error(size_t len, const char *want)
{
        struct diag d = {0};
        struct pe_image pe;
        int r = pe_parse(&pe, img, len, "x.efi", &d);

        if (r >= 0 || d.n != 1 || !strstr(d.msgs[0], want))
                fail_msg("want error containing \"%s\", got r=%d \"%s\"", want, r,
                         d.n ? d.msgs[0] : "(none)");
        assert_non_null(strstr(d.msgs[0], "x.efi: "));
        diag_release(&d);
}

static void test_good(void **state)
{
        struct diag d = {0};
        struct pe_image pe;

        build_pe32plus();
        assert_int_equal(pe_parse(&pe, img, IMG_LEN, "x.efi", &d), 0);
        assert_true(pe.pe32plus);
        assert_int_equal(pe.n_sections, 2);
        assert_string_equal(pe.sections[1].name, ".data");
        assert_int_equal(pe.checksum_off, OPT + 64);
        assert_int_equal(pe.certdir_off, OPT + 112 + 4 * 8);
        assert_int_equal(pe.raw_end, 0x600);
        assert_int_equal(pe.cert_size, 0);
        assert_non_null(pe_find_section(&pe, ".text"));
        assert_null(pe_find_section(&pe, ".sbat"));
        pe_release(&pe);
        assert_int_equal(d.n, 0);
}

static void test_pe32(void **state)
{
        struct diag d = {0};
        struct pe_image pe;

        build_pe32plus();
        /* Same layout as PE32: a 96-byte fixed part, 16 directories. */
        put_le16(img + LFANEW + 20, 96 + 16 * 8);
        put_le16(img + OPT, 0x10b);
        put_le32(img + OPT + 92, 16);
        memmove(img + OPT + 96 + 16 * 8, img + SECT, 80);
        assert_int_equal(pe_parse(&pe, img, IMG_LEN, "x.efi", &d), 0);
        assert_false(pe.pe32plus);
        assert_int_equal(pe.certdir_off, OPT + 96 + 4 * 8);
        assert_string_equal(pe.sections[0].name, ".text");
        pe_release(&pe);
}

static void test_dos_coff(void **state)
{
        build_pe32plus();
        expect_error(40, "file too small for a DOS header (40 bytes)");
        img[0] = 'X';
        expect_error(IMG_LEN, "no \"MZ\" DOS signature");
        build_pe32plus();
        put_le32(img + 0x3c, 0x5f0);
        expect_error(IMG_LEN, "e_lfanew 1520 past end of file (1536 bytes)");
        put_le32(img + 0x3c, 0x10);
        expect_error(IMG_LEN, "e_lfanew 16 overlaps the DOS header");
        build_pe32plus();
        img[LFANEW + 1] = 'X';
        expect_error(IMG_LEN, "no \"PE\" signature at e_lfanew 64");
        build_pe32plus();
        put_le16(img + LFANEW + 6, 200);
        expect_error(IMG_LEN, "NumberOfSections 200 exceeds 96");
}

static void test_optional(void **state)
{
        build_pe32plus();
        expect_error(OPT + 100, "optional header truncated: SizeOfOptionalHeader 240 at offset 88");
        put_le16(img + LFANEW + 20, 100);
        expect_error(IMG_LEN, "optional header truncated: SizeOfOptionalHeader 100 is less than "
                              "the 112 bytes of a PE32+ header");
        put_le16(img + LFANEW + 20, 1);
        expect_error(IMG_LEN, "SizeOfOptionalHeader 1 too small for a magic");
        build_pe32plus();
        put_le16(img + OPT, 0x107);
        expect_error(IMG_LEN, "optional header magic 0x107 is neither PE32");
        build_pe32plus();
        put_le32(img + OPT + 108, 17);
        expect_error(IMG_LEN, "NumberOfRvaAndSizes 17 too large for an optional header of 240");
        build_pe32plus();
        put_le16(img + LFANEW + 20, 112 + 8 * 8);
        expect_error(IMG_LEN, "NumberOfRvaAndSizes 16 too large for an optional header of 176");
}

static void test_sections(void **state)
{
        build_pe32plus();
        put_le16(img + LFANEW + 6, 90);
        expect_error(IMG_LEN, "section table (90 entries at offset 328) past end of file");
        build_pe32plus();
        put_le32(img + OPT + 60, 0x700);
        expect_error(IMG_LEN, "SizeOfHeaders 1792 past end of file (1536 bytes)");
        put_le32(img + OPT + 60, 0x100);
        expect_error(IMG_LEN, "SizeOfHeaders 256 does not cover the section table ending at 408");
        build_pe32plus();
        put_le32(img + SECT + 40 + 16, 0x300);
        expect_error(IMG_LEN, "section 1 \".data\" raw data (offset 1024, size 768) past end of "
                              "file (1536 bytes)");
        build_pe32plus();
        put_le32(img + SECT + 20, 0x100);
        expect_error(IMG_LEN, "section 0 \".text\" raw data at offset 256 overlaps the headers");
        build_pe32plus();
        put_le32(img + SECT + 16, 0xffffff00u);
        expect_error(IMG_LEN,
                     "section 0 \".text\" raw data (offset 512, size 4294967040) past end");
}

static void set_certdir(uint32_t off, uint32_t size)
{
        put_le32(img + OPT + 112 + 32, off);
        put_le32(img + OPT + 112 + 36, size);
}

static void test_certdir(void **state)
{
        struct diag d = {0};
        struct pe_image pe;

        build_pe32plus();
        set_certdir(0x600, 0x40);
        assert_int_equal(pe_parse(&pe, img, IMG_LEN + 64, "x.efi", &d), 0);
        assert_int_equal(pe.cert_off, 0x600);
        assert_int_equal(pe.cert_size, 0x40);
        pe_release(&pe);
        expect_error(IMG_LEN + 32, "certificate table truncated: offset 1536 size 64 runs past end "
                                   "of file (1568 bytes)");
        set_certdir(0x2000, 0x40);
        expect_error(IMG_LEN, "certificate table offset 8192 points past end of file (1536 bytes)");
        set_certdir(0x5fc, 0x40);
        expect_error(IMG_LEN + 64, "certificate table offset 1532 is not 8-aligned");
        set_certdir(0x100, 0x40);
        expect_error(IMG_LEN + 64, "certificate table offset 256 overlaps the headers");
        set_certdir(0x500, 0x40);
        expect_error(IMG_LEN + 64, "certificate table offset 1280 overlaps section data ending at "
                                   "1536");
        set_certdir(0x600, 0);
        expect_error(IMG_LEN + 64, "certificate table at offset 1536 has size 0");
        build_pe32plus();
        put_le32(img + OPT + 108, 4);
        assert_int_equal(pe_parse(&pe, img, IMG_LEN, "x.efi", &d), 0);
        assert_int_equal(pe.certdir_off, 0);
        pe_release(&pe);
}

/* The spec's checksum, one word at a time with the carry folded each step. */
static uint32_t checksum_ref(const uint8_t *p, size_t len, size_t ck)
{
        uint32_t sum = 0;

        for (size_t i = 0; i < len; i += 2) {
                uint32_t w = 0;

                for (size_t k = i; k < i + 2 && k < len; k++)
                        if (k < ck || k >= ck + 4)
                                w |= (uint32_t)p[k] << (8 * (k - i));
                sum += w;
                sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        return sum + (uint32_t)len;
}

static void test_checksum(void **state)
{
        static uint8_t buf[4099];

        srand(7);
        for (int round = 0; round < 50; round++) {
                size_t len = 100 + (size_t)(rand() % 4000);
                uint32_t ck = (uint32_t)(rand() % 90);

                for (size_t i = 0; i < len; i++)
                        buf[i] = (uint8_t)(round % 3 == 1 ? 0xff : round % 3 == 2 ? 0 : rand());
                assert_int_equal(pe_checksum(buf, len, ck), checksum_ref(buf, len, ck));
        }
}

/* The checksum summed in pieces cut at odd and even offsets (as a signed image is
 * written: headers, input, tail) is the checksum of the whole. */
static void test_checksum_pieces(void **state)
{
        static uint8_t buf[4099];

        srand(11);
        for (int round = 0; round < 50; round++) {
                size_t len = 200 + (size_t)(rand() % 3800);
                size_t a = 1 + (size_t)(rand() % 90), b = a + 1 + (size_t)(rand() % 90);
                uint64_t sum;

                for (size_t i = 0; i < len; i++)
                        buf[i] = (uint8_t)rand();
                buf[0] = buf[1] = 0; /* the "field" at 0 counts as zero */
                buf[2] = buf[3] = 0;
                sum = pe_sum(buf, a, 0) + pe_sum(buf + a, b - a, a) + pe_sum(buf + b, len - b, b);
                assert_int_equal(pe_sum_fold(sum, len), checksum_ref(buf, len, 0));
        }
}

/* Debian's systemd-boot carries a correct checksum: ours must agree with it. */
static void test_checksum_real(void **state)
{
        static const char *const files[] = {"/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
                                            "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"};

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *data = NULL;
                struct diag d = {0};
                struct pe_image pe;
                size_t len;

                if (read_file(files[i], &data, &len) < 0) {
                        skip();
                        return;
                }
                assert_int_equal(pe_parse(&pe, (uint8_t *)data, len, files[i], &d), 0);
                assert_int_not_equal(pe.checksum, 0);
                assert_int_equal(pe_checksum((uint8_t *)data, len, pe.checksum_off), pe.checksum);
                pe_release(&pe);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_pe32),
                cmocka_unit_test(test_dos_coff),
                cmocka_unit_test(test_optional),
                cmocka_unit_test(test_sections),
                cmocka_unit_test(test_certdir),
                cmocka_unit_test(test_checksum),
                cmocka_unit_test(test_checksum_real),
                cmocka_unit_test(test_checksum_pieces),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
