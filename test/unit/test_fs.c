/* test_fs.c: each filesystem handler is reproducible and its image reads back right. */
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
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/fs.h"
#include "fs/fsint.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define MIB   (1024ull * 1024)
#define EPOCH 1700000000ull
#define MTIME 1690000000

static char scratch[] = "/tmp/pocbake-fs.XXXXXX";
/* A second staging place on another filesystem (tmpfs lists entries in
 * creation order, ext4 in hash order), so readdir order differs. */
static char other[] = "/dev/shm/pocbake-fs.XXXXXX";
static const char *other_dir = other;
static const struct mark mark = {"recipes/roles/t.yaml", 7, 5};

enum { WITH_SYMLINK = 1, BIG_FILE = 2 };

static void put(const char *root, const char *rel, const char *content, mode_t mode)
{
        _cleanup_free_ char *p = path_join(root, rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static void put_big(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        static uint8_t buf[256 * 1024];
        uint32_t x = 12345;
        int fd;

        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u; /* incompressible enough */
                buf[i] = (uint8_t)(x >> 16);
        }
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
        close(fd);
}

static void set_time(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct timespec t[2] = {{MTIME, 0}, {MTIME, 0}};

        assert_int_equal(utimensat(AT_FDCWD, p, t, AT_SYMLINK_NOFOLLOW), 0);
}

/* The same tree, its entries created in forward or reverse order. */
static char *make_tree(const char *base, const char *name, int reverse, int flags)
{
        static const char *const files[] = {"a", "b", "c", "Long File Name.txt", "zz", "yy"};
        static const char *const times[] = {
                "a", "b", "c", "Long File Name.txt", "zz", "yy", "dir/inner", "dir/a2", "dir", "."};
        char *root = path_join(base, name);
        _cleanup_free_ char *b = path_join(root, "b"), *dir = path_join(root, "dir");
        _cleanup_free_ char *link = path_join(root, "link");

        assert_int_equal(mkdir(root, 0755), 0);
        for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
                size_t i = reverse ? ARRAY_SIZE(files) - 1 - k : k;

                put(root, files[i], files[i], 0644);
                if (reverse && i == 3)
                        assert_int_equal(mkdir(dir, 0755), 0);
        }
        if (!reverse)
                assert_int_equal(mkdir(dir, 0755), 0);
        put(root, reverse ? "dir/inner" : "dir/a2", reverse ? "inner\n" : "a2\n", 0644);
        put(root, reverse ? "dir/a2" : "dir/inner", reverse ? "a2\n" : "inner\n", 0644);
        put(root, "b", "secret\n", 0600);
        assert_int_equal(chown(b, 1000, 1000), 0);
        if (flags & WITH_SYMLINK)
                assert_int_equal(symlink("dir/inner", link), 0);
        if (flags & BIG_FILE)
                put_big(root, "big");
        for (size_t i = 0; i < ARRAY_SIZE(times); i++)
                set_time(root, times[i]);
        if (flags & WITH_SYMLINK)
                set_time(root, "link");
        if (flags & BIG_FILE)
                set_time(root, "big");
        set_time(root, ".");
        return root;
}

static void spec_init(struct fs_spec *s, const char *type, const char *label, uint64_t size,
                      const char *tree)
{
        memset(s, 0, sizeof(*s));
        s->type = type;
        s->label = label;
        uuid_derive(&s->uuid, "fs", "test", type);
        s->size = size;
        s->epoch = EPOCH;
        s->tree = tree;
        s->mark = mark;
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

/* Whitespace squeezed to one blank, so fixed strings match tools' padding. */
static char *capture_squeezed(const char *const argv[])
{
        char *s = capture(argv), *o = s;

        for (char *p = s; *p; p++)
                if (!(*p == ' ' || *p == '\t') || (o > s && o[-1] != ' '))
                        *o++ = (*p == '\t') ? ' ' : *p;
        *o = 0;
        return s;
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

/* Build the image from two differently created trees; both must be equal. */
static char *make_twice(const char *type, const char *label, uint64_t size, int flags)
{
        const struct fs_type *t = fs_type_find(type);
        _cleanup_free_ char *t1 = NULL, *t2 = NULL, *o2 = NULL;
        char name[64], *o1;
        struct fs_spec s;
        struct diag d = {0};

        assert_non_null(t);
        snprintf(name, sizeof(name), "%s-tree1", type);
        t1 = make_tree(scratch, name, 0, flags);
        snprintf(name, sizeof(name), "%s-tree2", type);
        t2 = make_tree(other_dir, name, 1, flags);
        snprintf(name, sizeof(name), "%s-1.img", type);
        o1 = path_join(scratch, name);
        snprintf(name, sizeof(name), "%s-2.img", type);
        o2 = path_join(scratch, name);
        spec_init(&s, type, label, size, t1);
        assert_int_equal(t->check(&s, &d), 0);
        if (t->make(&s, o1, &d) < 0)
                fail_msg("%s", d.msgs[0]);
        s.tree = t2;
        if (t->make(&s, o2, &d) < 0)
                fail_msg("%s", d.msgs[0]);
        same_bytes(o1, o2);
        diag_release(&d);
        return o1;
}

static void test_ext4(void **state)
{
        _cleanup_free_ char *img = make_twice("ext4", "rootfs", 64 * MIB, WITH_SYMLINK);
        const char *fsck[] = {"fsck.ext4", "-fn", img, NULL};
        const char *stat_b[] = {"debugfs", "-R", "stat /b", img, NULL};
        const char *stat_l[] = {"debugfs", "-R", "stat /link", img, NULL};
        const char *cat[] = {"debugfs", "-R", "cat /dir/inner", img, NULL};
        const char *blkid[] = {"blkid", "-p", "-o", "export", img, NULL};
        _cleanup_free_ char *o1 = capture(fsck), *o2 = capture_squeezed(stat_b);
        _cleanup_free_ char *o3 = capture_squeezed(stat_l), *o4 = capture(cat);
        _cleanup_free_ char *o5 = capture(blkid);
        char uuid[UUID_STR];
        struct stat st;

        assert_contains(o2, "Type: regular Mode: 0600");
        assert_contains(o2, "User: 1000 Group: 1000");
        /* the tree's times (mtime 0x64bb5a80) are replaced by the epoch */
        assert_contains(o2, "ctime: 0x6553f100:00000000");
        assert_contains(o2, "mtime: 0x6553f100:00000000");
        assert_contains(o2, "atime: 0x6553f100:00000000");
        assert_contains(o2, "crtime: 0x6553f100:00000000");
        assert_contains(o3, "Type: symlink");
        assert_contains(o3, "Fast link dest: \"dir/inner\"");
        assert_string_equal(o4, "inner\n");
        assert_contains(o5, "LABEL=rootfs\n");
        assert_contains(o5, "TYPE=ext4\n");
        {
                struct fs_spec s;

                spec_init(&s, "ext4", NULL, 0, NULL);
                uuid_format(&s.uuid, uuid);
        }
        assert_contains(o5, uuid);
        assert_int_equal(stat(img, &st), 0);
        assert_int_equal(st.st_size, 64 * MIB);
        assert_true(st.st_blocks * 512 < 8 * (off_t)MIB); /* sparse */
}

static time_t ctime_of(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct stat st;

        assert_int_equal(lstat(p, &st), 0);
        return st.st_ctime;
}

static void build_ext4(const char *tree, const char *out)
{
        struct fs_spec s;
        struct diag d = {0};

        spec_init(&s, "ext4", "rootfs", 64 * MIB, tree);
        if (fs_type_find("ext4")->make(&s, out, &d) < 0)
                fail_msg("%s", d.msgs[0]);
        diag_release(&d);
}

/* Where debugfs says inode of path lives: byte offset in the image. */
static off_t inode_pos(const char *img, const char *path, unsigned *ino)
{
        char req[64];
        const char *argv[] = {"debugfs", "-R", req, img, NULL};
        _cleanup_free_ char *o = NULL;
        unsigned long long blk, off;
        const char *p;

        snprintf(req, sizeof(req), "imap %s", path);
        o = capture(argv);
        p = strstr(o, "Inode ");
        assert_non_null(p);
        assert_int_equal(sscanf(p, "Inode %u", ino), 1);
        p = strstr(o, "located at block ");
        assert_non_null(p);
        assert_int_equal(sscanf(p, "located at block %llu, offset 0x%llx", &blk, &off), 2);
        return (off_t)(blk * 1024 + off); /* 64 MiB images have 1 KiB blocks */
}

/* The tree is written twice, over a second apart: its ctimes differ, the
 * images must not; make_at gives the same bytes at an offset. */
static void test_ext4_ctime(void **state)
{
        _cleanup_free_ char *tree = make_tree(scratch, "ctime-tree", 0, WITH_SYMLINK);
        _cleanup_free_ char *o1 = path_join(scratch, "ctime-1.img");
        _cleanup_free_ char *o2 = path_join(scratch, "ctime-2.img");
        _cleanup_free_ char *disk = path_join(scratch, "ctime.disk");
        const char *fsck[] = {"fsck.ext4", "-fn", o2, NULL};
        const char *stat_b[] = {"debugfs", "-R", "stat /dir/inner", o2, NULL};
        const char *cmp[] = {"cmp", "-n", "67108864", "-i", "1048576:0", disk, o1, NULL};
        _cleanup_free_ char *out = NULL;
        struct timespec nap = {1, 100 * 1000 * 1000};
        struct fs_spec s;
        struct diag d = {0};
        time_t c1;
        int fd;

        build_ext4(tree, o1);
        c1 = ctime_of(tree, "dir/inner");
        assert_int_equal(rm_rf(tree), 0);
        nanosleep(&nap, NULL);
        free(make_tree(scratch, "ctime-tree", 0, WITH_SYMLINK));
        assert_true(ctime_of(tree, "dir/inner") > c1); /* else the test proves nothing */
        build_ext4(tree, o2);
        same_bytes(o1, o2);
        free(capture(fsck));
        out = capture_squeezed(stat_b);
        assert_contains(out, "ctime: 0x6553f100:00000000");
        assert_contains(out, "mtime: 0x6553f100:00000000");
        assert_contains(out, "Inode checksum: 0x");

        fd = open(disk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)(80 * MIB)), 0);
        close(fd);
        spec_init(&s, "ext4", "rootfs", 64 * MIB, tree);
        if (fs_type_find("ext4")->make_at(&s, disk, MIB, &d) < 0)
                fail_msg("%s", d.msgs[0]);
        free(capture(cmp));
        diag_release(&d);
}

/* An inode whose checksum does not match is never rewritten. */
static void test_ext4_bad_csum(void **state)
{
        _cleanup_free_ char *img = path_join(scratch, "ctime-1.img");
        _cleanup_free_ char *bad = path_join(scratch, "bad-csum.img");
        _cleanup_close_ int fd = -1;
        uint8_t raw[256], after[256], one = 0x01;
        unsigned ino;
        off_t pos;
        struct diag d = {0};
        char want[64];

        assert_int_equal(copy_file_sparse(img, bad, 0644), 0);
        pos = inode_pos(bad, "/dir/inner", &ino);
        fd = open(bad, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        /* another mtime: the inode needs fixing, its checksum no longer fits */
        assert_int_equal(pwrite(fd, &one, 1, pos + 0x10), 1);
        assert_int_equal(pread(fd, raw, sizeof(raw), pos), (ssize_t)sizeof(raw));
        assert_true(ext4_times_fix(fd, 0, 64 * MIB, EPOCH, bad, NULL, &d) < 0);
        assert_int_equal(d.n, 1);
        snprintf(want, sizeof(want), "\": inode %u: checksum 0x", ino);
        assert_contains(d.msgs[0], "ext4 image \"");
        assert_contains(d.msgs[0], want);
        assert_int_equal(pread(fd, after, sizeof(after), pos), (ssize_t)sizeof(after));
        assert_memory_equal(raw, after, sizeof(raw));
        diag_release(&d);
}

/* Not ext4, or cut short: refused with the reason, nothing written. */
static void test_ext4_garbage(void **state)
{
        _cleanup_free_ char *img = path_join(scratch, "ctime-1.img");
        _cleanup_free_ char *cut = path_join(scratch, "cut.img");
        _cleanup_close_ int fd = -1;
        struct diag d = {0};

        assert_int_equal(copy_file_sparse(img, cut, 0644), 0);
        assert_int_equal(truncate(cut, 277 * 1024), 0); /* inside group 0's inode table */
        fd = open(cut, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(ext4_times_fix(fd, 0, 64 * MIB, EPOCH, cut, NULL, &d) < 0);
        assert_contains(d.msgs[0], "inode table of group 0 at byte ");
        assert_contains(d.msgs[0], "is outside the 283648-byte image");
        assert_true(ext4_times_fix(fd, 4096, 64 * MIB, EPOCH, cut, NULL, &d) < 0);
        assert_contains(d.msgs[1], "\": bad superblock magic 0x");
        assert_true(ext4_times_fix(fd, 0, 64 * MIB, 1ull << 40, cut, NULL, &d) < 0);
        assert_contains(d.msgs[2], "epoch 1099511627776 is beyond what ext4 can store");
        diag_release(&d);
}

static void test_vfat(void **state)
{
        _cleanup_free_ char *img = make_twice("vfat", "esp", 40 * MIB, 0);
        const char *fsck[] = {"fsck.vfat", "-n", img, NULL};
        const char *mdir[] = {"mdir", "-i", img, "::/", NULL};
        const char *mdir_sub[] = {"mdir", "-i", img, "::/dir", NULL};
        const char *type[] = {"mtype", "-i", img, "::/dir/inner", NULL};
        const char *blkid[] = {"blkid", "-p", "-o", "export", img, NULL};
        _cleanup_free_ char *o1 = capture(fsck), *o2 = capture_squeezed(mdir);
        _cleanup_free_ char *o3 = capture_squeezed(mdir_sub), *o4 = capture(type);
        _cleanup_free_ char *o5 = capture(blkid);
        struct fs_spec s;
        char serial[16];

        spec_init(&s, "vfat", NULL, 0, NULL);
        snprintf(serial, sizeof(serial), "%02X%02X-%02X%02X", s.uuid.b[0], s.uuid.b[1], s.uuid.b[2],
                 s.uuid.b[3]);
        assert_contains(o2, "Volume in drive : is ESP");
        assert_contains(o2, serial);
        /* file times are the tree's (2023-07-22 04:26:40 UTC) */
        assert_contains(o2, "b 7 2023-07-22 4:26");
        assert_contains(o2, "Long File Name.txt");
        assert_contains(o2, "dir <DIR> 2023-11-14 22:13"); /* made by mmd: the epoch */
        assert_contains(o3, "inner 6 2023-07-22 4:26");
        assert_string_equal(o4, "inner\n");
        assert_contains(o5, "TYPE=vfat\n");
        assert_contains(o5, "VERSION=FAT32\n");
        assert_contains(o1, ": 10 files, 10/"); /* 9 files + dir, no lost clusters */
}

static void test_vfat_symlink(void **state)
{
        _cleanup_free_ char *tree = make_tree(scratch, "vfat-link", 0, WITH_SYMLINK);
        _cleanup_free_ char *out = path_join(scratch, "link.vfat");
        struct fs_spec s;
        struct diag d = {0};

        spec_init(&s, "vfat", "esp", 8 * MIB, tree);
        assert_true(fs_type_find("vfat")->make(&s, out, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_contains(d.msgs[0], "recipes/roles/t.yaml:7:5: vfat cannot hold \"");
        assert_contains(d.msgs[0], "/link\": only regular files and directories");
        assert_int_equal(access(out, F_OK), -1); /* no half output */
        diag_release(&d);
}

static void vfat_refuses(const char *name, const char *other_name, const char *msg)
{
        _cleanup_free_ char *tree = path_join(scratch, "vfat-bad");
        _cleanup_free_ char *out = path_join(scratch, "bad.vfat");
        struct fs_spec s;
        struct diag d = {0};

        rm_rf(tree);
        assert_int_equal(mkdir(tree, 0755), 0);
        put(tree, "M", "", 0644); /* sorts between upper and lower case */
        put(tree, name, "", 0644);
        if (other_name)
                put(tree, other_name, "", 0644);
        spec_init(&s, "vfat", "esp", 8 * MIB, tree);
        assert_true(fs_type_find("vfat")->make(&s, out, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_contains(d.msgs[0], msg);
        assert_int_equal(access(out, F_OK), -1);
        diag_release(&d);
}

static void test_vfat_names(void **state)
{
        vfat_refuses("a:b", NULL, "t.yaml:7:5: vfat cannot hold the name \"a:b\" in \"");
        vfat_refuses("trail.", NULL, "vfat cannot hold the name \"trail.\"");
        vfat_refuses("Boot", "boot", "vfat: names \"Boot\" and \"boot\" in \"");
        vfat_refuses("A", "a", "vfat: names \"A\" and \"a\" in \"");
}

static void test_squashfs(void **state)
{
        _cleanup_free_ char *img = make_twice("squashfs", "ro", 64 * MIB, WITH_SYMLINK);
        const char *lls[] = {"unsquashfs", "-lln", img, NULL};
        const char *sb[] = {"unsquashfs", "-s", img, NULL};
        _cleanup_free_ char *o1 = capture_squeezed(lls), *o2 = capture(sb);

        assert_contains(o1, "-rw------- 1000/1000 7 2023-11-14 22:13 squashfs-root/b\n");
        assert_contains(o1, "lrwxrwxrwx 0/0 9 2023-11-14 22:13 squashfs-root/link -> dir/inner\n");
        assert_contains(o1, "-rw-r--r-- 0/0 6 2023-11-14 22:13 squashfs-root/dir/inner\n");
        assert_contains(o2, "Compression zstd");
        assert_contains(o2, "Creation or last append time Tue Nov 14 22:13:20 2023");
}

static void test_squashfs_too_big(void **state)
{
        _cleanup_free_ char *tree = make_tree(scratch, "sq-big", 0, BIG_FILE);
        _cleanup_free_ char *out = path_join(scratch, "big.squashfs");
        struct fs_spec s;
        struct diag d = {0};

        spec_init(&s, "squashfs", "ro", 64 * 1024, tree);
        assert_int_equal(fs_type_find("squashfs")->check(&s, &d), 0);
        assert_true(fs_type_find("squashfs")->make(&s, out, &d) < 0);
        assert_int_equal(d.n, 1);
        assert_contains(d.msgs[0], "recipes/roles/t.yaml:7:5: squashfs image of ");
        assert_contains(d.msgs[0], "bytes does not fit in the partition (65536 bytes)");
        assert_int_equal(access(out, F_OK), -1);
        diag_release(&d);
}

static void test_erofs(void **state)
{
        _cleanup_free_ char *img = make_twice("erofs", "usr-ro", 64 * MIB, WITH_SYMLINK);
        const char *fsck[] = {"fsck.erofs", img, NULL};
        const char *b[] = {"dump.erofs", "--path=/b", img, NULL};
        const char *link[] = {"dump.erofs", "--path=/link", img, NULL};
        const char *sb[] = {"dump.erofs", "-s", img, NULL};
        const char *blkid[] = {"blkid", "-p", "-o", "export", img, NULL};
        _cleanup_free_ char *o1 = capture(fsck), *o2 = capture_squeezed(b);
        _cleanup_free_ char *o3 = capture_squeezed(link), *o4 = capture_squeezed(sb);
        _cleanup_free_ char *o5 = capture(blkid);
        struct fs_spec s;
        char uuid[UUID_STR];

        spec_init(&s, "erofs", NULL, 0, NULL);
        uuid_format(&s.uuid, uuid);
        assert_contains(o2, "Uid: 1000 Gid: 1000 Access: 0600/rw-------");
        assert_contains(o2, "Timestamp: 2023-11-14 22:13:20");
        assert_contains(o3, "symlink");
        assert_contains(o4, uuid);
        assert_contains(o4, "sb_csum");
        /* the label we patch in, read by util-linux, with the checksum fsck checked */
        assert_contains(o5, "LABEL=usr-ro\n");
        assert_contains(o5, "TYPE=erofs\n");
}

static void test_empty(void **state)
{
        static const char *const types[] = {"ext4", "vfat", "squashfs", "erofs"};

        for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
                _cleanup_free_ char *o1 = NULL, *o2 = NULL;
                char name[64];
                struct fs_spec s;
                struct diag d = {0};

                snprintf(name, sizeof(name), "empty-%s-1", types[i]);
                o1 = path_join(scratch, name);
                snprintf(name, sizeof(name), "empty-%s-2", types[i]);
                o2 = path_join(scratch, name);
                spec_init(&s, types[i], "empty", 4 * MIB, NULL);
                assert_int_equal(fs_type_find(types[i])->make(&s, o1, &d), 0);
                sleep(i == 0 ? 1 : 0); /* a clock tick between the two builds */
                assert_int_equal(fs_type_find(types[i])->make(&s, o2, &d), 0);
                same_bytes(o1, o2);
                assert_int_equal(d.n, 0);
        }
}

static void test_check(void **state)
{
        struct fs_spec s;
        struct diag d = {0};

        spec_init(&s, "ext4", "a-label-of-17-chr", 64 * MIB, NULL);
        assert_true(fs_type_find("ext4")->check(&s, &d) < 0);
        assert_string_equal(d.msgs[0], "recipes/roles/t.yaml:7:5: ext4 label \"a-label-of-17-chr\" "
                                       "is longer than 16 characters");
        spec_init(&s, "ext4", "root", MIB, NULL);
        assert_true(fs_type_find("ext4")->check(&s, &d) < 0);
        assert_string_equal(d.msgs[1], "recipes/roles/t.yaml:7:5: ext4 needs at least 2048 KiB, "
                                       "the partition has 1024 KiB");
        spec_init(&s, "vfat", "ESP.BOOT", 64 * MIB, NULL);
        assert_true(fs_type_find("vfat")->check(&s, &d) < 0);
        assert_contains(d.msgs[2], "vfat label \"ESP.BOOT\": character '.' is not allowed");
        spec_init(&s, "vfat", "twelve-chars", 64 * MIB, NULL);
        assert_true(fs_type_find("vfat")->check(&s, &d) < 0);
        assert_contains(d.msgs[3], "vfat label \"twelve-chars\" is longer than 11 characters");
        spec_init(&s, "erofs", "seventeen-chars-x", 64 * MIB, NULL);
        assert_true(fs_type_find("erofs")->check(&s, &d) < 0);
        assert_contains(d.msgs[4], "erofs label \"seventeen-chars-x\" is longer than 16");
        spec_init(&s, "xfs", "thirteen-char", 299 * MIB, NULL);
        assert_true(fs_type_find("xfs")->check(&s, &d) < 0);
        assert_contains(d.msgs[5], "xfs needs at least 307200 KiB");
        assert_contains(d.msgs[6], "xfs label \"thirteen-char\" is longer than 12");
        spec_init(&s, "vfat", "esp", 64 * MIB, NULL);
        assert_int_equal(fs_type_find("vfat")->check(&s, &d), 0);
        assert_int_equal(d.n, 7);
        assert_null(fs_type_find("btrfs"));
        assert_null(fs_type_find(NULL));
        assert_string_equal(fs_type_names(), "ext4, vfat, squashfs, erofs, xfs");
        diag_release(&d);
}

/* A copy that runs out of room says so: ENOSPC, not a generic I/O error, also
 * where copy_file_range cannot be used and the bytes go through a buffer. */
static void test_copy_no_space(void **state)
{
        _cleanup_free_ char *from = path_join(scratch, "nospace.src");
        _cleanup_close_ int in = -1, full = -1;
        char block[4096];

        memset(block, 'x', sizeof(block));
        put(scratch, "nospace.src", "", 0644);
        in = open(from, O_RDWR | O_CLOEXEC);
        assert_true(in >= 0);
        for (int i = 0; i < 64; i++)
                assert_int_equal(write(in, block, sizeof(block)), (ssize_t)sizeof(block));
        full = open("/dev/full", O_WRONLY | O_CLOEXEC);
        if (full < 0)
                skip();
        assert_int_equal(copy_sparse_range(in, 0, full, 0, 64 * 4096), -ENOSPC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),         cmocka_unit_test(test_ext4),
                cmocka_unit_test(test_ext4_ctime),    cmocka_unit_test(test_ext4_bad_csum),
                cmocka_unit_test(test_ext4_garbage),  cmocka_unit_test(test_vfat),
                cmocka_unit_test(test_vfat_symlink),  cmocka_unit_test(test_vfat_names),
                cmocka_unit_test(test_squashfs),      cmocka_unit_test(test_squashfs_too_big),
                cmocka_unit_test(test_erofs),         cmocka_unit_test(test_empty),
                cmocka_unit_test(test_copy_no_space),
        };
        int r;

        if (!mkdtemp(scratch))
                return 1;
        if (!mkdtemp(other))
                other_dir = scratch; /* no tmpfs: the orders still differ */
        r = cmocka_run_group_tests(tests, NULL, NULL);
        rm_rf(scratch);
        if (other_dir == other)
                rm_rf(other);
        return r;
}
