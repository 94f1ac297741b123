/* test_disk.c: a role disk from layout to raw, qcow2 and vhdx, read back by other tools. */
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

#include "disk/disk.h"
#include "disk/vhdx.h"
#include "fs/fs.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define MIB (1024ull * 1024)

static char scratch[] = "/tmp/pocbake-disk.XXXXXX";
static const char recipe[] = "recipes/roles/dc01.yaml";

static char *scratch_path(const char *name)
{
        char *p = path_join(scratch, name);

        assert_non_null(p);
        return p;
}

static void role_init(struct role *r, struct partition_spec *p, size_t n, uint64_t size)
{
        memset(r, 0, sizeof(*r));
        r->name = "dc01";
        r->disk.partitions = p;
        r->disk.n_partitions = n;
        r->disk.size = size;
        r->disk.mark = (struct mark){recipe, 20, 3};
        for (size_t i = 0; i < n; i++)
                p[i].mark = (struct mark){recipe, 22 + (int)i, 7};
}

static void esp_root(struct partition_spec p[2])
{
        memset(p, 0, 2 * sizeof(*p));
        p[0].name = "esp";
        p[0].type = PART_ESP;
        p[0].size = 40 * MIB;
        p[0].fs = "vfat";
        p[1].name = "root";
        p[1].type = PART_ROOT_X86_64;
        p[1].size_rest = true;
        p[1].fs = "ext4";
}

static void put(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = path_join(dir, name);

        assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
}

static char *capture(const char *const argv[])
{
        struct diag d = {0};
        char *out = NULL;

        if (run_capture(argv, NULL, &out, &d) < 0)
                fail_msg("%s", d.n ? d.msgs[0] : argv[0]);
        diag_release(&d);
        return out;
}

static void assert_contains(const char *hay, const char *needle)
{
        if (!strstr(hay, needle))
                fail_msg("\"%s\" not found in:\n%s", needle, hay);
}

static void same_bytes(const char *a, const char *b)
{
        uint8_t ha[SHA256_LEN], hb[SHA256_LEN];

        assert_int_equal(sha256_file(a, ha), 0);
        assert_int_equal(sha256_file(b, hb), 0);
        assert_memory_equal(ha, hb, SHA256_LEN);
}

/* Compare [off, off+len) of the image with the same place in the partition. */
static void compare_range(int disk, int img, const struct gpt_part *p, off_t off, off_t len)
{
        static uint8_t x[1 << 20], y[1 << 20];

        while (len > 0) {
                size_t n = len < (off_t)sizeof(x) ? (size_t)len : sizeof(x);

                assert_int_equal(pread(img, y, n, off), (ssize_t)n);
                assert_int_equal(pread(disk, x, n, (off_t)(p->first_lba * 512) + off), (ssize_t)n);
                if (memcmp(x, y, n) != 0)
                        fail_msg("partition %s differs from its image near %lld", p->name,
                                 (long long)off);
                off += (off_t)n;
                len -= (off_t)n;
        }
}

/* Calls fn for each data extent of fd within [start, end), offsets relative to start. */
static off_t each_data(int fd, off_t start, off_t end, int other, const struct gpt_part *p,
                       int fd_is_disk)
{
        off_t pos = start, total = 0;

        while (pos < end) {
                off_t data = lseek(fd, pos, SEEK_DATA), hole;

                if (data < 0 || data >= end)
                        break;
                hole = lseek(fd, data, SEEK_HOLE);
                if (hole > end)
                        hole = end;
                if (other >= 0)
                        compare_range(fd_is_disk ? fd : other, fd_is_disk ? other : fd, p,
                                      data - start, hole - data);
                total += hole - data;
                pos = hole;
        }
        return total;
}

/* Bytes the file really holds (SEEK_DATA extents, not unwritten ones). */
static int64_t data_bytes(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        off_t n;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        n = each_data(fd, 0, st.st_size, -1, NULL, 0);
        close(fd);
        return n;
}

/* The partition's bytes in the disk equal the image: every data extent of
 * either side is compared; where both have holes both read zeros. */
static void partition_holds(const char *disk, const struct gpt_part *p, const char *image)
{
        int a = open(disk, O_RDONLY | O_CLOEXEC), b = open(image, O_RDONLY | O_CLOEXEC);
        off_t start = (off_t)(p->first_lba * 512);
        struct stat st;

        assert_true(a >= 0 && b >= 0);
        assert_int_equal(fstat(b, &st), 0);
        each_data(b, 0, st.st_size, a, p, 0);
        each_data(a, start, start + st.st_size, b, p, 1);
        close(a);
        close(b);
}

static void make_fs(struct fs_spec *s, const char *type, const struct gpt_part *p, const char *tree,
                    const char *out)
{
        struct diag d = {0};

        memset(s, 0, sizeof(*s));
        s->type = type;
        s->label = p->name;
        uuid_derive(&s->uuid, "fs", "dc01", p->name);
        s->size = (p->last_lba - p->first_lba + 1) * 512;
        s->epoch = 1700000000;
        s->tree = tree;
        assert_int_equal(fs_type_find(type)->check(s, &d), 0);
        if (fs_type_find(type)->make(s, out, &d) < 0)
                fail_msg("%s", d.msgs[0]);
}

static void test_layout(void **state)
{
        struct partition_spec p[2];
        struct role r;
        struct gpt g;
        struct diag d = {0};
        struct uuid u;

        esp_root(p);
        role_init(&r, p, 2, 0);
        assert_int_equal(disk_layout(&r, &g, &d), 0);
        /* 1 MiB head + 40 MiB + the default 1 GiB for rest + 1 MiB tail */
        assert_int_equal(g.size, (1 + 40 + 1024 + 1) * MIB);
        assert_int_equal(g.n, 2);
        assert_int_equal(g.parts[0].first_lba, 2048);
        assert_int_equal(g.parts[1].first_lba, 41 * 2048);
        assert_int_equal(g.parts[1].last_lba + 1, (41 + 1024) * 2048);
        uuid_derive(&u, "part", "dc01", "root");
        assert_memory_equal(&g.parts[1].guid, &u, sizeof(u));
        uuid_derive(&u, "disk", "dc01", "");
        assert_memory_equal(&g.disk_guid, &u, sizeof(u));
        gpt_release(&g);

        /* A given disk size: rest takes what is left, aligned. */
        role_init(&r, p, 2, 300 * MIB);
        assert_int_equal(disk_layout(&r, &g, &d), 0);
        assert_int_equal(g.parts[1].last_lba + 1, 299 * 2048);
        assert_int_equal(d.n, 0);
        gpt_release(&g);
}

static void test_layout_errors(void **state)
{
        struct partition_spec p[3];
        struct role r;
        struct gpt g;
        struct diag d = {0};

        esp_root(p);
        p[0].size = 200 * MIB;
        p[1].size_rest = false;
        p[1].size = 200 * MIB;
        role_init(&r, p, 2, 300 * MIB);
        assert_true(disk_layout(&r, &g, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_contains(d.msgs[0], "recipes/roles/dc01.yaml:23:7: partition \"root\" does not fit");

        esp_root(p);
        p[2] = p[0];
        p[2].name = "data";
        role_init(&r, p, 3, 0);
        assert_true(disk_layout(&r, &g, &d) < 0);
        assert_string_equal(d.msgs[1], "recipes/roles/dc01.yaml:23:7: partition \"root\": size "
                                       "\"rest\" is only allowed on the last partition");

        esp_root(p);
        p[1].name = "esp";
        p[0].size = 1000;
        role_init(&r, p, 2, 0);
        assert_true(disk_layout(&r, &g, &d) < 0);
        assert_string_equal(d.msgs[2], "recipes/roles/dc01.yaml:22:7: partition \"esp\": size "
                                       "1000 is not a multiple of 512 bytes");
        assert_contains(d.msgs[3], "dc01.yaml:23:7: partition name \"esp\" is used twice");

        role_init(&r, p, 0, 0);
        assert_true(disk_layout(&r, &g, &d) < 0);
        assert_string_equal(d.msgs[4], "recipes/roles/dc01.yaml:20:3: the disk has no partitions "
                                       "(expected at least one)");
        diag_release(&d);
}

static void test_check(void **state)
{
        struct partition_spec p[2];
        struct role r;
        struct gpt g;
        struct diag d = {0};
        struct fs_spec s;
        struct uuid u;

        esp_root(p);
        role_init(&r, p, 2, 0);
        assert_int_equal(disk_check(&r, &d), 0);
        assert_int_equal(disk_layout(&r, &g, &d), 0);
        disk_fs_spec(&r, &g, 0, 1700000000, "/t", &s);
        assert_string_equal(s.type, "vfat");
        assert_string_equal(s.label, "esp");
        assert_int_equal(s.size, 40 * MIB);
        assert_int_equal(s.mark.line, 22);
        uuid_derive(&u, "fs", "dc01", "esp");
        assert_memory_equal(&s.uuid, &u, sizeof(u));
        gpt_release(&g);

        p[0].label = "efi-system-partition";
        p[1].fs = "btrfs";
        assert_true(disk_check(&r, &d) < 0);
        assert_int_equal(d.n, 2);
        assert_string_equal(d.msgs[0], "recipes/roles/dc01.yaml:22:7: vfat label "
                                       "\"efi-system-partition\" is longer than 11 characters");
        assert_string_equal(d.msgs[1], "recipes/roles/dc01.yaml:23:7: partition \"root\": unknown "
                                       "filesystem \"btrfs\" (expected one of ext4, vfat, "
                                       "squashfs, erofs, xfs)");
        diag_release(&d);
}

static void check_conversions(const char *raw)
{
        static const struct {
                enum output_fmt fmt;
                const char *name;
        } fmts[] = {{OUT_QCOW2, "qcow2"}, {OUT_VHDX, "vhdx"}};

        for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
                char n1[32], n2[32];
                _cleanup_free_ char *o1 = NULL, *o2 = NULL, *chk = NULL, *cmp = NULL, *info = NULL;
                struct diag d = {0};

                snprintf(n1, sizeof(n1), "disk-1.%s", fmts[i].name);
                snprintf(n2, sizeof(n2), "disk-2.%s", fmts[i].name);
                o1 = scratch_path(n1);
                o2 = scratch_path(n2);
                assert_int_equal(disk_convert(raw, fmts[i].fmt, "dc01", o1, &d), 0);
                assert_int_equal(disk_convert(raw, fmts[i].fmt, "dc01", o2, &d), 0);
                same_bytes(o1, o2);
                {
                        const char *check[] = {"qemu-img", "check", "-f", fmts[i].name, o1, NULL};
                        const char *compare[] = {"qemu-img",   "compare", "-f", "raw", "-F",
                                                 fmts[i].name, raw,       o1,   NULL};
                        const char *inf[] = {"qemu-img", "info", "-f", fmts[i].name, o1, NULL};

                        chk = capture(check);
                        cmp = capture(compare);
                        info = capture(inf);
                }
                assert_contains(chk, "No errors were found on the image.");
                assert_contains(cmp, "Images are identical.");
                assert_contains(info, "virtual size: 160 MiB (167772160 bytes)");
                assert_int_equal(d.n, 0);
        }
}

static void test_assemble(void **state)
{
        struct partition_spec p[2];
        struct role r;
        struct gpt g;
        struct diag d = {0};
        _cleanup_free_ char *esp_tree = scratch_path("esp-tree"), *root_tree = scratch_path("root");
        _cleanup_free_ char *esp = scratch_path("esp.img"), *root = scratch_path("root.img");
        _cleanup_free_ char *raw = scratch_path("disk.raw"), *out = NULL;
        _cleanup_free_ char *raw2 = scratch_path("disk-in-place.raw");
        const char *images[2] = {esp, root};
        struct fs_spec esp_spec, root_spec;
        const struct fs_spec *specs[2] = {&esp_spec, &root_spec};
        const char *verify[] = {"sfdisk", "--verify", raw, NULL};
        int64_t data, alloc;

        esp_root(p);
        role_init(&r, p, 2, 160 * MIB); /* small: the test hashes whole disks */
        assert_int_equal(disk_layout(&r, &g, &d), 0);
        assert_int_equal(mkdir_p(esp_tree, 0755), 0);
        assert_int_equal(mkdir_p(root_tree, 0755), 0);
        put(esp_tree, "loader.conf", "timeout 0\n");
        put(root_tree, "hostname", "dc01\n");
        make_fs(&esp_spec, "vfat", &g.parts[0], esp_tree, esp);
        make_fs(&root_spec, "ext4", &g.parts[1], root_tree, root);
        assert_int_equal(disk_assemble(&g, images, raw, &d), 0);
        /* ext4 written in place gives the same disk as the copied image */
        assert_int_equal(disk_assemble_fs(&g, (const char *[]){esp, NULL}, specs, raw2, &d), 0);
        same_bytes(raw, raw2);
        out = capture(verify);
        assert_contains(out, "No errors detected");
        partition_holds(raw, &g.parts[0], esp);
        partition_holds(raw, &g.parts[1], root);
        /* Holes stay holes: the disk allocates what its images and tables hold
         * (mke2fs leaves its journal as unwritten extents: no data to copy). */
        data = data_bytes(esp) + data_bytes(root) + 2 * 17 * 1024;
        alloc = file_allocated(raw);
        print_message("raw: %lld bytes allocated; data in images + tables: %lld; images "
                      "allocate %lld\n",
                      (long long)alloc, (long long)data,
                      (long long)(file_allocated(esp) + file_allocated(root)));
        assert_true(alloc <= data + data / 10 && alloc >= data - data / 10);
        check_conversions(raw);
        gpt_release(&g);
        diag_release(&d);
}

static void test_assemble_errors(void **state)
{
        struct partition_spec p[2];
        struct role r;
        struct gpt g;
        struct diag d = {0};
        _cleanup_free_ char *big = scratch_path("big.img"), *raw = scratch_path("never.raw");
        const char *images[2] = {big, NULL};
        int fd;

        esp_root(p);
        role_init(&r, p, 2, 100 * MIB);
        assert_int_equal(disk_layout(&r, &g, &d), 0);
        fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)(40 * MIB + 512)), 0);
        close(fd);
        assert_true(disk_assemble(&g, images, raw, &d) < 0);
        assert_true(strncmp(d.msgs[0], "image \"/", 8) == 0);
        assert_contains(d.msgs[0], "big.img\" (41943552 bytes) is larger than partition \"esp\" "
                                   "(41943040 bytes)");
        assert_int_equal(access(raw, F_OK), -1);
        gpt_release(&g);
        diag_release(&d);
}

/* The VHDX fix-up refuses what it cannot parse, with the reason. */
static void test_vhdx_refuses(void **state)
{
        _cleanup_free_ char *junk = scratch_path("junk.vhdx"), *raw = scratch_path("small.raw");
        _cleanup_free_ char *v = scratch_path("small.vhdx");
        struct diag d = {0};
        uint8_t flip;
        int fd;

        fd = open(junk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)(2 * MIB)), 0);
        assert_true(vhdx_make_stable(fd, "x", "junk.vhdx", &d) < 0);
        assert_string_equal(d.msgs[0], "vhdx \"junk.vhdx\": no \"vhdxfile\" signature");
        assert_int_equal(ftruncate(fd, 4096), 0);
        assert_true(vhdx_make_stable(fd, "x", "junk.vhdx", &d) < 0);
        assert_contains(d.msgs[1], "is shorter than its header section");
        close(fd);

        fd = open(raw, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_int_equal(ftruncate(fd, (off_t)(8 * MIB)), 0);
        close(fd);
        assert_int_equal(disk_convert(raw, OUT_VHDX, "s", v, &d), 0);
        fd = open(v, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        /* a flipped bit in header 2's reserved area breaks its checksum */
        assert_int_equal(pread(fd, &flip, 1, 128 * 1024 + 1000), 1);
        flip ^= 1;
        assert_int_equal(pwrite(fd, &flip, 1, 128 * 1024 + 1000), 1);
        assert_true(vhdx_make_stable(fd, "x", "small.vhdx", &d) < 0);
        assert_string_equal(d.msgs[2], "vhdx \"small.vhdx\": header at 131072 has a bad checksum");
        close(fd);
        assert_true(disk_convert(raw, (enum output_fmt)OUT_DELIVERABLE(0), "s", v, &d) < 0);
        assert_contains(d.msgs[3], "cannot convert a disk to output format");
        diag_release(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_layout),          cmocka_unit_test(test_layout_errors),
                cmocka_unit_test(test_check),           cmocka_unit_test(test_assemble),
                cmocka_unit_test(test_assemble_errors), cmocka_unit_test(test_vhdx_refuses),
        };
        int r;

        if (!mkdtemp(scratch))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        rm_rf(scratch);
        return r;
}
