/* test_lvm.c: the LVM2 physical volume lvm.c writes: checksum, ids, layout, label, metadata area;
 * and an xfs volume made twice. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "disk/lvm.h"
#include "fs/fs.h"
#include "util/cleanup.h"
#include "util/endian.h"
#include "util/exec.h"
#include "util/fsutil.h"

/* The pool of the mini host as LVM itself laid it out: 4108288 sectors, 501
 * extents; 1024M, 320M and the rest at extents 0, 256 and 336. */
static struct lvm_volume mini_lv[3];
static struct lvm_pool mini(void)
{
        struct lvm_pool p = {.vg = "pocpool",
                             .seed = "host",
                             .dev_size = 4108288ull * 512,
                             .epoch = 1700000000,
                             .device = "/dev/sda3",
                             .lv = mini_lv,
                             .n_lv = 3};

        mini_lv[0] = (struct lvm_volume){.name = "csv", .extents = 256};
        mini_lv[1] = (struct lvm_volume){.name = "blob", .extents = 80};
        mini_lv[2] = (struct lvm_volume){.name = "sofs", .extents = 0};
        return p;
}

static void test_crc(void **state)
{
        (void)state;
        /* CRC-32 from 0xf597a6cf, no final inversion (as python's zlib.crc32(b,
         * 0xf597a6cf ^ ~0) ^ ~0 gives) */
        assert_int_equal(lvm_crc("123456789", 9), 0x4991cf02);
}

static void test_id(void **state)
{
        static const char alphabet[] =
                "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";
        char a[LVM_ID_LEN + 7], b[LVM_ID_LEN + 7], c[LVM_ID_LEN + 7];

        (void)state;
        lvm_id("host", "lv", "csv", a);
        lvm_id("host", "lv", "csv", b);
        lvm_id("host", "lv", "blob", c);
        assert_string_equal(a, b);
        assert_string_not_equal(a, c);
        assert_int_equal(strlen(a), 38);
        for (size_t i = 0; i < 38; i++) {
                if (i == 6 || i == 11 || i == 16 || i == 21 || i == 26 || i == 31)
                        assert_int_equal(a[i], '-');
                else
                        assert_non_null(memchr(alphabet, a[i], 64));
        }
}

static void test_layout(void **state)
{
        struct lvm_pool p = mini();
        struct lvm_volume two[2] = {{.name = "a"}, {.name = "b"}};
        struct diag d = {0};

        (void)state;
        assert_int_equal(lvm_layout(&p, &d), 0);
        assert_int_equal(p.pe_count, 501);
        assert_int_equal(mini_lv[0].start, 0);
        assert_int_equal(mini_lv[1].start, 256);
        assert_int_equal(mini_lv[2].start, 336);
        assert_int_equal(mini_lv[2].extents, 165);
        assert_int_equal(lvm_volume_offset(&p, 2), 1048576ull + 336 * 4194304ull);

        p = mini();
        mini_lv[1].extents = 245; /* 256 + 245 = 501: nothing left for the rest */
        assert_int_equal(lvm_layout(&p, &d), -ENOSPC);
        assert_int_equal(d.n, 1);
        assert_string_equal(d.msgs[0], "volume group pocpool: the volumes need 502 extents of "
                                       "4 MiB, the partition holds 501");
        diag_release(&d);

        p = mini();
        p.lv = two;
        p.n_lv = 2;
        assert_int_equal(lvm_layout(&p, &d), -EINVAL);
        assert_non_null(strstr(d.msgs[0], "two volumes take the rest"));
        diag_release(&d);
}

static void test_write(void **state)
{
        char path[] = "/tmp/pocbake-lvm.XXXXXX";
        struct lvm_pool p = mini();
        uint8_t label[512], mda[512];
        _cleanup_free_ char *text = NULL, *want = NULL;
        struct diag d = {0};
        uint64_t len;
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 2 << 20), 0);
        assert_int_equal(lvm_layout(&p, &d), 0);
        assert_int_equal(lvm_write(&p, fd, 1 << 20, &d), 0);
        assert_int_equal(pread(fd, label, 512, (1 << 20) + 512), 512);
        assert_memory_equal(label, "LABELONE", 8);
        assert_int_equal(get_le64(label + 8), 1);
        assert_int_equal(get_le32(label + 16), lvm_crc(label + 20, 512 - 20));
        assert_int_equal(get_le32(label + 20), 32);
        assert_memory_equal(label + 24, "LVM2 001", 8);
        assert_int_equal(get_le64(label + 64), 4108288ull * 512);
        assert_int_equal(get_le64(label + 72), 1 << 20);  /* data from pe_start */
        assert_int_equal(get_le64(label + 104), 4096);    /* metadata area */
        assert_int_equal(get_le64(label + 112), 1044480); /* up to pe_start */
        assert_int_equal(get_le32(label + 136), 2);       /* extension version */
        assert_int_equal(get_le32(label + 140), 1);       /* in use by a group */

        assert_int_equal(pread(fd, mda, 512, (1 << 20) + 4096), 512);
        assert_int_equal(get_le32(mda), lvm_crc(mda + 4, 508));
        assert_memory_equal(mda + 4, " LVM2 x[5A%r0N*>", 16);
        assert_int_equal(get_le64(mda + 24), 4096);
        assert_int_equal(get_le64(mda + 40), 512);
        len = get_le64(mda + 48);
        text = malloc(len);
        assert_non_null(text);
        assert_int_equal(pread(fd, text, len, (1 << 20) + 4096 + 512), (ssize_t)len);
        assert_int_equal(text[len - 1], '\0'); /* counted and summed with its NUL */
        assert_int_equal(get_le32(mda + 56), lvm_crc(text, len));
        want = lvm_metadata_text(&p);
        assert_string_equal(text, want);
        assert_non_null(strstr(text, "pe_count = 501\n"));
        assert_non_null(strstr(text, "\nsofs {\n"));
        assert_non_null(strstr(text, "extent_count = 165\n\ntype = \"striped\"\nstripe_count = "
                                     "1\n\nstripes = [\n\"pv0\", 336\n]"));
        assert_non_null(strstr(text, "creation_time = 1700000000\n"));
        assert_int_equal(strncmp(text, "pocpool {\nid = \"", 16), 0);
        close(fd);
        unlink(path);
}

/* The same tree made into xfs twice, a second apart: the same bytes, and
 * xfs_repair finds it clean. */
static void test_xfs_twice(void **state)
{
        char dir[] = "/tmp/pocbake-xfs.XXXXXX";
        _cleanup_free_ char *tree = NULL, *a = NULL, *b = NULL, *f = NULL, *sub = NULL;
        struct fs_spec s = {
                .type = "xfs", .label = "csv", .size = 300ull << 20, .epoch = 1700000000};
        const char *repair[] = {"xfs_repair", "-n", NULL, NULL};
        const struct fs_type *t = fs_type_find("xfs");
        struct diag d = {0};

        (void)state;
        if (!have_program("mkfs.xfs") || !have_program("xfs_db"))
                skip();
        assert_non_null(mkdtemp(dir));
        tree = path_join(dir, "tree");
        sub = path_join(tree, "pocbake-payloads");
        f = path_join(sub, "one");
        a = path_join(dir, "a.img");
        b = path_join(dir, "b.img");
        assert_int_equal(mkdir_p(sub, 0755), 0);
        assert_int_equal(write_file_atomic(f, "payload\n", 8, 0444), 0);
        s.tree = tree;
        uuid_derive(&s.uuid, "pool-fs", "host", "csv");
        assert_non_null(t);
        assert_int_equal(t->make(&s, a, &d), 0);
        sleep(1);
        assert_int_equal(t->make(&s, b, &d), 0);
        repair[2] = a;
        assert_int_equal(run_argv(repair, NULL, &d), 0);
        diag_print(&d, "xfs: ");
        assert_int_equal(d.n, 0);
        {
                const char *cmp[] = {"cmp", a, b, NULL};

                assert_int_equal(run_argv(cmp, NULL, &d), 0);
        }
        /* a name the listing cannot hold is refused, naming it */
        free(f);
        f = path_join(tree, "two words");
        assert_int_equal(write_file_atomic(f, "x", 1, 0644), 0);
        assert_true(t->make(&s, a, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "file name \"two words\""));
        diag_release(&d);
        rm_rf(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc),       cmocka_unit_test(test_id),
                cmocka_unit_test(test_layout),    cmocka_unit_test(test_write),
                cmocka_unit_test(test_xfs_twice),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
