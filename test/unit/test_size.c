/* test_size.c: unit tests of parse_size and format_size. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/size.h"

static void test_good(void **state)
{
        static const struct {
                const char *s;
                uint64_t v;
        } cases[] = {
                {"0", 0},
                {"512", 512},
                {"4K", 4096},
                {"1KiB", 1024},
                {"16M", UINT64_C(16) << 20},
                {"16MiB", UINT64_C(16) << 20},
                {"2G", UINT64_C(2) << 30},
                {"3GiB", UINT64_C(3) << 30},
                {"1T", UINT64_C(1) << 40},
                {"1TiB", UINT64_C(1) << 40},
                {"16777215T", UINT64_C(16777215) << 40},
                {"18446744073709551615", UINT64_MAX},
                {"007", 7},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 1;

                assert_int_equal(parse_size(cases[i].s, &v), 0);
                assert_true(v == cases[i].v);
        }
}

static void test_bad(void **state)
{
        static const char *const invalid[] = {"",    "-1",   "-1G", "1.5G", "4Q", "1k",
                                              "1 G", "G",    "1Gi", "1GB",  "1B", " 1",
                                              "1G ", "0x10", "+1",  "1KIB"};
        static const char *const too_big[] = {"18446744073709551616", "16777216T", "17179869184G",
                                              "99999999999999999999999"};
        uint64_t v = 42;

        for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
                assert_int_equal(parse_size(invalid[i], &v), -EINVAL);
        for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++)
                assert_int_equal(parse_size(too_big[i], &v), -ERANGE);
        assert_int_equal(parse_size(NULL, &v), -EINVAL);
        assert_true(v == 42); /* untouched on failure */
}

static void test_format(void **state)
{
        char buf[SIZE_STR];

        assert_string_equal(format_size(0, buf, sizeof(buf)), "0");
        assert_string_equal(format_size(512, buf, sizeof(buf)), "512");
        assert_string_equal(format_size(1024, buf, sizeof(buf)), "1K");
        assert_string_equal(format_size(1536, buf, sizeof(buf)), "1536");
        assert_string_equal(format_size(UINT64_C(512) << 20, buf, sizeof(buf)), "512M");
        assert_string_equal(
                format_size((UINT64_C(3) << 30) + (UINT64_C(512) << 20), buf, sizeof(buf)),
                "3584M");
        assert_string_equal(format_size(UINT64_C(2) << 40, buf, sizeof(buf)), "2T");
        assert_string_equal(format_size(UINT64_C(1) << 63, buf, sizeof(buf)), "8388608T");
        assert_string_equal(format_size(UINT64_MAX, buf, sizeof(buf)), "18446744073709551615");
}

static void test_round_trip(void **state)
{
        char buf[SIZE_STR];

        for (uint64_t v = 1; v < (UINT64_C(1) << 50); v = v * 3 + 1024) {
                uint64_t back = 0;

                assert_int_equal(parse_size(format_size(v, buf, sizeof(buf)), &back), 0);
                assert_true(back == v);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
