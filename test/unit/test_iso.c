/* test_iso.c: the iso writer's checks: entry names, labels, payload paths, keys, images. */
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

#include "media/iso.h"
#include "util/fsutil.h"

static char scratch[] = "/tmp/pocbake-iso.XXXXXX";
static char keys[512], image[512], kernel[512], note[512], out[512];

static void put(char *dst, size_t n, const char *name, const char *text)
{
        snprintf(dst, n, "%s/%s", scratch, name);
        assert_int_equal(write_file_atomic(dst, text, strlen(text), 0600), 0);
}

static int setup(void **state)
{
        static const char *const k[] = {"PK", "KEK", "db"};
        char p[600];

        (void)state;
        if (!mkdtemp(scratch))
                return -1;
        snprintf(keys, sizeof(keys), "%s/keys", scratch);
        if (mkdir_p(keys, 0700) < 0)
                return -1;
        for (size_t i = 0; i < 3; i++) {
                snprintf(p, sizeof(p), "%s/%s.key", keys, k[i]);
                write_file_atomic(p, "x", 1, 0600);
                snprintf(p, sizeof(p), "%s/%s.crt", keys, k[i]);
                write_file_atomic(p, "x", 1, 0600);
        }
        /* not a disk: no GPT header at LBA 1 */
        put(image, sizeof(image), "host.raw", "not a disk image");
        put(kernel, sizeof(kernel), "vmlinuz", "not a kernel");
        put(note, sizeof(note), "note.txt", "hello\n");
        snprintf(out, sizeof(out), "%s/out.iso", scratch);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        rm_rf(scratch);
        return 0;
}

/* iso_write fails, says want (a substring) and leaves no output. */
static void refused(const struct iso_spec *s, const char *want)
{
        struct diag d = {0};
        int found = 0;

        assert_true(iso_write(s, out, &d) < 0);
        for (size_t i = 0; i < d.n; i++)
                found |= strstr(d.msgs[i], want) != NULL;
        if (!found)
                for (size_t i = 0; i < d.n; i++)
                        fprintf(stderr, "message: %s\n", d.msgs[i]);
        assert_true(found);
        assert_int_equal(access(out, F_OK), -1);
        diag_release(&d);
}

static void test_entry_parse(void **state)
{
        enum iso_entry e = ISO_ENTRY_LIVE;

        (void)state;
        assert_int_equal(iso_entry_parse("install", &e), 0);
        assert_int_equal(e, ISO_ENTRY_INSTALL);
        assert_int_equal(iso_entry_parse("live", &e), 0);
        assert_int_equal(e, ISO_ENTRY_LIVE);
        assert_int_equal(iso_entry_parse("Live", &e), -EINVAL);
        assert_int_equal(iso_entry_parse("", &e), -EINVAL);
}

static void test_labels(void **state)
{
        struct iso_spec s = {.keys = keys, .image = image, .kernel = kernel};

        (void)state;
        s.label = "pocbake";
        refused(&s,
                "iso label \"pocbake\": character 'p' is not allowed (expected A-Z, 0-9 and _)");
        s.label = "";
        refused(&s, "iso label \"\": expected 1 to 32 characters");
        s.label = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456";
        refused(&s, "expected 1 to 32 characters");
        s.label = "A B";
        refused(&s, "character ' ' is not allowed");
}

static void test_payloads(void **state)
{
        static const char *const bad[][2] = {
                {"/etc/x", "expected a relative path"},
                {"a//b", "expected a relative path"},
                {"dir/", "expected a relative path"},
                {"a/../b", "\"..\" is not allowed"},
                {"..", "\"..\" is not allowed"},
                {"./x", "\".\" is not allowed"},
                {"install/x", "/install belongs to the iso itself"},
                {"EFI", "/EFI belongs to the iso itself"},
                {"", "expected a relative path"},
        };
        struct iso_payload p = {.file = note};
        struct iso_spec s = {
                .keys = keys, .image = image, .kernel = kernel, .payloads = &p, .n_payloads = 1};
        char want[128];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                p.path = bad[i][0];
                snprintf(want, sizeof(want), "payload \"%s\": %s", bad[i][0], bad[i][1]);
                refused(&s, want);
        }
        p.path = "extra/x";
        p.file = "/nonexistent/file";
        refused(&s, "payload \"extra/x\": cannot read /nonexistent/file");
}

static void test_inputs(void **state)
{
        struct iso_spec s = {.keys = keys, .image = "/nonexistent.raw", .kernel = kernel};
        char nokeys[600];

        (void)state;
        refused(&s, "host image /nonexistent.raw: No such file or directory");
        s.image = image;
        s.kernel = "/nonexistent-vmlinuz";
        refused(&s, "kernel /nonexistent-vmlinuz: No such file or directory");
        s.kernel = kernel;
        snprintf(nokeys, sizeof(nokeys), "%s/none", scratch);
        s.keys = nokeys;
        refused(&s, "no PK.key (make the set with 'pocbake keys init");
        s.keys = NULL;
        refused(&s, "the iso needs a key directory and a host image");
}

/* Past the checks: the image is read as a GPT disk; none is found. */
static void test_not_a_disk(void **state)
{
        struct iso_spec s = {.keys = keys, .image = image, .kernel = kernel};

        (void)state;
        if (access("/usr/lib/ISOLINUX/isolinux.bin", R_OK) < 0)
                skip();
        refused(&s, "no GPT header at LBA 1 (expected a disk from 'pocbake build', or give "
                    "--root-squashfs)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entry_parse), cmocka_unit_test(test_labels),
                cmocka_unit_test(test_payloads),    cmocka_unit_test(test_inputs),
                cmocka_unit_test(test_not_a_disk),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
