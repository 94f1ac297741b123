/* test_gpt.c: GPTs written by gpt.c, read back with sfdisk and checked by hand. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "disk/gpt.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

#define MIB (1024ull * 1024)

static char scratch[] = "/tmp/pocbake-gpt.XXXXXX";

struct want {
        enum part_type type;
        const char *name;
        uint64_t size; /* 0 = rest */
};

/* Remove whitespace so that substrings of sfdisk's JSON can be matched. */
static void squeeze(char *s)
{
        char *o = s;

        for (; *s; s++)
                if (*s != ' ' && *s != '\n' && *s != '\t')
                        *o++ = *s;
        *o = 0;
}

static void upper(char *s)
{
        for (; *s; s++)
                if (*s >= 'a' && *s <= 'z')
                        *s = (char)(*s - 'a' + 'A');
}

static char *make_disk(const char *file, uint64_t size, const struct want *w, size_t n,
                       struct gpt *g)
{
        char *path = path_join(scratch, file);
        struct diag d = {0};
        struct uuid dg, pg;
        int fd;

        uuid_derive(&dg, "disk", file, "");
        assert_int_equal(gpt_init(g, size, &dg), 0);
        for (size_t i = 0; i < n; i++) {
                uuid_derive(&pg, "part", file, w[i].name);
                assert_int_equal(gpt_add(g, w[i].type, w[i].name, w[i].size, &pg, &d), 0);
        }
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)size), 0);
        assert_int_equal(gpt_write(g, fd, &d), 0);
        close(fd);
        assert_int_equal(d.n, 0);
        return path;
}

/* sfdisk --json must show the label, the disk id and every partition. */
static void check_sfdisk(const char *path, const struct gpt *g)
{
        const char *argv[] = {"sfdisk", "--json", path, NULL};
        const char *verify[] = {"sfdisk", "--verify", path, NULL};
        _cleanup_free_ char *out = NULL, *vout = NULL;
        struct diag d = {0};
        char id[UUID_STR], want[512];

        assert_int_equal(run_capture(argv, NULL, &out, &d), 0);
        squeeze(out);
        assert_non_null(strstr(out, "\"label\":\"gpt\""));
        uuid_format(&g->disk_guid, id);
        upper(id);
        snprintf(want, sizeof(want), "\"id\":\"%s\"", id);
        assert_non_null(strstr(out, want));
        for (size_t i = 0; i < g->n; i++) {
                const struct gpt_part *p = &g->parts[i];
                char type[UUID_STR], uuid[UUID_STR];

                uuid_format(&p->type, type);
                uuid_format(&p->guid, uuid);
                upper(type);
                upper(uuid);
                snprintf(want, sizeof(want),
                         "\"start\":%llu,\"size\":%llu,\"type\":\"%s\",\"uuid\":\"%s\",\"name\":\"%"
                         "s\"",
                         (unsigned long long)p->first_lba,
                         (unsigned long long)(p->last_lba - p->first_lba + 1), type, uuid, p->name);
                if (!strstr(out, want))
                        fail_msg("partition %zu: %s not in %s", i + 1, want, out);
                assert_int_equal(p->first_lba % (MIB / 512), 0);
        }
        assert_int_equal(run_capture(verify, NULL, &vout, &d), 0);
        if (!strstr(vout, "No errors detected") || strcasestr(vout, "warning") ||
            strcasestr(vout, "corrupt") || strcasestr(vout, "mismatch"))
                fail_msg("sfdisk --verify: %s", vout);
        diag_release(&d);
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
        return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Header and entry CRCs of one copy, and where it says the other copy is. */
static void check_header(int fd, uint64_t lba, uint64_t alt)
{
        uint8_t h[512], t[128 * 128];
        uint32_t crc;

        assert_int_equal(pread(fd, h, sizeof(h), (off_t)(lba * 512)), 512);
        assert_memory_equal(h, "EFI PART", 8);
        assert_int_equal(le32(h + 12), 92);
        crc = le32(h + 16);
        memset(h + 16, 0, 4);
        assert_int_equal(crc, (uint32_t)crc32(0, h, 92));
        assert_int_equal(le64(h + 24), lba);
        assert_int_equal(le64(h + 32), alt);
        assert_int_equal(le32(h + 80), 128);
        assert_int_equal(le32(h + 84), 128);
        assert_int_equal(pread(fd, t, sizeof(t), (off_t)(le64(h + 72) * 512)), (ssize_t)sizeof(t));
        assert_int_equal(le32(h + 88), (uint32_t)crc32(0, t, sizeof(t)));
}

static void check_tables(const char *path, const struct gpt *g)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint64_t last = g->size / 512 - 1;
        uint8_t mbr[512];

        assert_true(fd >= 0);
        check_header(fd, 1, last);
        check_header(fd, last, 1);
        assert_int_equal(pread(fd, mbr, sizeof(mbr), 0), 512);
        assert_int_equal(mbr[450], 0xee);
        assert_int_equal(mbr[510], 0x55);
        assert_int_equal(mbr[511], 0xaa);
        assert_int_equal(le32(mbr + 454), 1);
        assert_int_equal(le32(mbr + 458), last > 0xffffffffu ? 0xffffffffu : last);
        close(fd);
}

static void test_esp_root(void **state)
{
        const struct want w[] = {{PART_ESP, "esp", 64 * MIB},
                                 {PART_ROOT_X86_64, "root", 200 * MIB}};
        struct gpt g;
        _cleanup_free_ char *p = make_disk(
                "esp-root.img", gpt_min_size((uint64_t[]){64 * MIB, 200 * MIB}, 2), w, 2, &g);

        assert_int_equal(g.size, 266 * MIB);
        assert_int_equal(g.parts[0].first_lba, 2048);
        assert_int_equal(g.parts[1].first_lba, 2048 + 64 * 2048);
        check_sfdisk(p, &g);
        check_tables(p, &g);
        /* The file stays sparse: only the tables are written. */
        assert_true(file_allocated(p) < (int64_t)(1 * MIB));
        gpt_release(&g);
}

static void test_four(void **state)
{
        /* Odd sizes: each start is still aligned to 1 MiB. */
        const struct want w[] = {{PART_ESP, "esp", 33 * MIB},
                                 {PART_SWAP, "swap", 10 * MIB + 512},
                                 {PART_LVM, "pool", 7 * MIB},
                                 {PART_LINUX, "a-rather-long-partition-name-of-36ch", 3 * MIB}};
        struct gpt g;
        _cleanup_free_ char *p = make_disk("four.img", 100 * MIB, w, 4, &g);

        assert_int_equal(g.parts[2].first_lba, (1 + 33 + 11) * 2048);
        check_sfdisk(p, &g);
        check_tables(p, &g);
        gpt_release(&g);
}

static void test_rest(void **state)
{
        const struct want w[] = {{PART_ESP, "esp", 8 * MIB}, {PART_ROOT_X86_64, "root", 0}};
        struct gpt g;
        /* 5 GiB + 7 sectors: the rest ends on a 1 MiB boundary before the backup. */
        _cleanup_free_ char *p = make_disk("rest.img", 5ull * 1024 * MIB + 7 * 512, w, 2, &g);

        assert_int_equal(g.parts[1].first_lba, 9 * 2048);
        assert_int_equal((g.parts[1].last_lba + 1) % 2048, 0);
        assert_true(g.parts[1].last_lba <= g.size / 512 - 34);
        assert_true(g.parts[1].last_lba + 1 + 2048 > g.size / 512 - 34);
        check_sfdisk(p, &g);
        check_tables(p, &g);
        gpt_release(&g);
}

static void test_too_big(void **state)
{
        struct gpt g;
        struct diag d = {0};
        struct uuid u;

        uuid_derive(&u, "disk", "x", "");
        assert_int_equal(gpt_init(&g, 16 * MIB, &u), 0);
        assert_int_equal(gpt_add(&g, PART_ESP, "esp", 8 * MIB, &u, &d), 0);
        assert_true(gpt_add(&g, PART_LINUX, "big", 8 * MIB, &u, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "partition \"big\" does not fit"));
        assert_true(gpt_add(&g, PART_LINUX, "odd", 1000, &u, &d) < 0);
        assert_non_null(strstr(d.msgs[1], "size 1000 is not a multiple of 512"));
        assert_true(gpt_add(&g, PART_LINUX, "this-name-is-longer-than-thirty-six-chars", MIB, &u,
                            &d) < 0);
        assert_non_null(strstr(d.msgs[2], "is longer than 36 characters"));
        assert_int_equal(g.n, 1);
        gpt_release(&g);
        assert_true(gpt_init(&g, 1000, &u) < 0);
        diag_release(&d);
}

static void test_type_guids(void **state)
{
        struct uuid u;
        char s[UUID_STR];

        assert_int_equal(part_type_uuid(PART_ESP, &u), 0);
        uuid_format(&u, s);
        assert_string_equal(s, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
        assert_int_equal(part_type_uuid(PART_SWAP, &u), 0);
        uuid_format(&u, s);
        assert_string_equal(s, "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f");
        assert_true(part_type_uuid((enum part_type)99, &u) < 0);
        assert_int_equal(gpt_min_size((uint64_t[]){MIB + 1, 0}, 2), 5 * MIB);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_esp_root),   cmocka_unit_test(test_four),
                cmocka_unit_test(test_rest),       cmocka_unit_test(test_too_big),
                cmocka_unit_test(test_type_guids),
        };
        int r;

        if (!mkdtemp(scratch))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        rm_rf(scratch);
        return r;
}
