/* test_iso.c: the iso writer's checks (entry names, labels, payload paths, keys, images) and the
 * GPT reader it finds the root partition with. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "testutil.h"
#include "disk/gpt.h"
#include "media/iso.h"
#include "sign/keygen.h"
#include "util/cleanup.h"
#include "util/endian.h"
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
        struct keygen_opts o = {.cn_prefix = "unit", .days = 30, .rsa_bits = 2048};
        struct diag d = {0};

        (void)state;
        if (!mkdtemp(scratch))
                return -1;
        snprintf(keys, sizeof(keys), "%s/keys", scratch);
        if (keygen_init(keys, &o, &d) < 0)
                return -1;
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
        /* keys are loaded, not only found: a private key others can read is refused */
        s.keys = keys;
        snprintf(nokeys, sizeof(nokeys), "%s/db.key", keys);
        assert_int_equal(chmod(nokeys, 0644), 0);
        refused(&s, "is readable by group or others");
        assert_int_equal(chmod(nokeys, 0600), 0);
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
        refused(&s, "host.raw: no GPT header at LBA 1");
        refused(&s, "host.raw: expected a disk from 'pocbake build' (or give --root-squashfs)");
}

/* A 64 MiB sparse disk with an ESP, a root and a data partition, as gpt_write makes it. */
static void gpt_disk(const char *path)
{
        struct gpt g;
        struct uuid u;
        struct diag d = {0};
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 64 << 20), 0);
        uuid_derive(&u, "test", "disk", "0");
        assert_int_equal(gpt_init(&g, 64 << 20, &u), 0);
        uuid_derive(&u, "test", "part", "1");
        assert_int_equal(gpt_add(&g, PART_ESP, "esp", 8 << 20, &u, &d), 0);
        uuid_derive(&u, "test", "part", "2");
        assert_int_equal(gpt_add(&g, PART_ROOT_X86_64, "root", 16 << 20, &u, &d), 0);
        uuid_derive(&u, "test", "part", "3");
        assert_int_equal(gpt_add(&g, PART_LINUX, "data", 0, &u, &d), 0);
        assert_int_equal(gpt_write(&g, fd, &d), 0);
        gpt_release(&g);
}

static int gpt_read_file(const char *path, struct gpt *g, struct diag *d)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        assert_true(fd >= 0 && fstat(fd, &st) == 0);
        return gpt_read(g, fd, (uint64_t)st.st_size, path, d);
}

/* Change the header at LBA 1 (or an entry) and put right both checksums, so
 * that the field check itself is what refuses it. */
static void gpt_spoil(const char *path, size_t off, const void *bytes, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
        uint8_t h[512], *t = malloc(128 * 128);

        assert_true(fd >= 0 && t);
        assert_int_equal(pwrite(fd, bytes, len, (off_t)off), (ssize_t)len);
        assert_int_equal(pread(fd, h, sizeof(h), 512), 512);
        assert_int_equal(pread(fd, t, 128 * 128, 1024), 128 * 128);
        put_le32(h + 88, (uint32_t)crc32(0, t, 128 * 128));
        put_le32(h + 16, 0);
        put_le32(h + 16, (uint32_t)crc32(0, h, 92));
        assert_int_equal(pwrite(fd, h, sizeof(h), 512), 512);
        free(t);
}

/* What gpt_write wrote reads back, names and ranges included. */
static void test_gpt_read(void **state)
{
        static const uint8_t e_acute[2] = {0xe9, 0};
        struct gpt g;
        struct uuid root;
        struct diag d = {0};
        char p[600];

        (void)state;
        snprintf(p, sizeof(p), "%s/disk.raw", scratch);
        gpt_disk(p);
        /* the third name's fifth UTF-16 unit: "data" becomes "data\u00e9" */
        gpt_spoil(p, 1024 + 2 * 128 + 56 + 8, e_acute, 2);
        assert_int_equal(gpt_read_file(p, &g, &d), 0);
        assert_int_equal(g.n, 3);
        assert_string_equal(g.parts[0].name, "esp");
        assert_string_equal(g.parts[1].name, "root");
        assert_string_equal(g.parts[2].name, "data?");
        assert_int_equal(part_type_uuid(PART_ROOT_X86_64, &root), 0);
        assert_memory_equal(&g.parts[1].type, &root, sizeof(root));
        assert_int_equal(g.parts[0].first_lba, 2048);
        assert_int_equal(g.parts[1].first_lba, 2048 + 8 * 2048);
        assert_int_equal(g.parts[1].last_lba, 2048 + 24 * 2048 - 1);
        gpt_release(&g);
}

static void gpt_refused(const char *path, const char *want)
{
        struct gpt g;
        struct diag d = {0};

        assert_true(gpt_read_file(path, &g, &d) < 0);
        assert_int_equal(g.n, 0);
        assert_msg(&d, want);
}

static void test_gpt_bad(void **state)
{
        uint8_t v[8];
        char p[600];

        (void)state;
        snprintf(p, sizeof(p), "%s/bad.raw", scratch);
        gpt_disk(p);
        put_le32(v, 0xdeadbeef); /* header checksum, not put right */
        {
                _cleanup_close_ int fd = open(p, O_RDWR | O_CLOEXEC);

                assert_int_equal(pwrite(fd, v, 4, 512 + 16), 4);
        }
        gpt_refused(p, "GPT header checksum does not match");
        gpt_disk(p);
        put_le32(v, 100000);
        gpt_spoil(p, 512 + 80, v, 4);
        gpt_refused(p, "GPT entry table of 100000 entries of 128 bytes");
        gpt_disk(p);
        put_le64(v, 1u << 20); /* the table past the end of a 64 MiB disk */
        gpt_spoil(p, 512 + 72, v, 8);
        gpt_refused(p, "GPT entry table at LBA 1048576 is outside the image");
        gpt_disk(p);
        put_le64(v, 200000); /* entry 2's last LBA, past the disk */
        gpt_spoil(p, 1024 + 128 + 40, v, 8);
        gpt_refused(p, "GPT entry 2 spans LBA 18432-200000, outside the usable");
        gpt_disk(p);
        assert_int_equal(truncate(p, 4096), 0);
        gpt_refused(p, "is outside the image");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entry_parse), cmocka_unit_test(test_labels),
                cmocka_unit_test(test_payloads),    cmocka_unit_test(test_inputs),
                cmocka_unit_test(test_not_a_disk),  cmocka_unit_test(test_gpt_read),
                cmocka_unit_test(test_gpt_bad),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
