/* test_initrd.c: initrd determinism, entry order and metadata, module resolution and decompression.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
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

#include "boot/initrd.h"
#include "boot/kmod.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define EPOCH 1700000000
#define KVER  "1.0-test"

static char scratch[] = "/tmp/pocbake-initrd.XXXXXX";
static char moddir[300], busybox[300];

static void put(const char *rel, const char *text)
{
        _cleanup_free_ char *p = path_join(scratch, rel), *dir = path_dirname(p);

        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(write_file_atomic(p, text, strlen(text), 0755), 0);
}

/* A compressed module (.ko.xz, .ko.zst), as newer kernels ship them. */
static void put_packed(const char *rel, const char *text, int (*filter)(struct archive *))
{
        _cleanup_free_ char *p = path_join(scratch, rel), *dir = path_dirname(p);
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();

        assert_int_equal(mkdir_p(dir, 0755), 0);
        assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
        assert_int_equal(filter(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
        archive_entry_set_pathname(e, "c.ko");
        archive_entry_set_mode(e, S_IFREG | 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(text));
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
        archive_entry_free(e);
        assert_int_equal(archive_write_free(a), ARCHIVE_OK);
}

/* A module tree: a needs b and c (c needs nothing, b needs c); a soft-depends
 * on crypto-x, an alias of d; "foo" is an alias of a; "bi" is built in. */
static int setup(void **state)
{
        if (!mkdtemp(scratch))
                return -1;
        put("mods/" KVER "/modules.dep", "kernel/a.ko: kernel/b.ko kernel/sub/c.ko.xz\n"
                                         "kernel/b.ko: kernel/sub/c.ko.xz kernel/e.ko.zst\n"
                                         "kernel/sub/c.ko.xz:\nkernel/e.ko.zst:\n"
                                         "kernel/d-x.ko:\nkernel/unused.ko:\n");
        put("mods/" KVER "/modules.softdep", "# soft\nsoftdep a pre: crypto-x post: b\n");
        put("mods/" KVER "/modules.alias", "alias crypto-x d_x\nalias fs-foo a\n");
        put("mods/" KVER "/modules.builtin", "kernel/bi.ko\n");
        put("mods/" KVER "/kernel/a.ko", "module a");
        put("mods/" KVER "/kernel/b.ko", "module b");
        put("mods/" KVER "/kernel/d-x.ko", "module d");
        put("mods/" KVER "/kernel/unused.ko", "unused");
        put_packed("mods/" KVER "/kernel/sub/c.ko.xz", "module c, once compressed",
                   archive_write_add_filter_xz);
        put_packed("mods/" KVER "/kernel/e.ko.zst", "module e, zstd",
                   archive_write_add_filter_zstd);
        put("mods/0.9-old/modules.dep", "");
        /* A busybox stand-in: the applet list is all the initrd asks of it. */
        put("busybox", "#!/bin/sh\nprintf 'sh\\nbusybox\\nls\\nswitch_root\\n'\n");
        snprintf(moddir, sizeof(moddir), "%s/mods", scratch);
        snprintf(busybox, sizeof(busybox), "%s/busybox", scratch);
        /* Tests run from the top of the tree: the init comes from firmware/. */
        if (!getenv("POCBAKE_DATADIR"))
                setenv("POCBAKE_DATADIR", ".", 1);
        /* the library takes the epoch from its caller: a stray one must not matter */
        setenv("SOURCE_DATE_EPOCH", "12345", 1);
        return 0;
}

static int teardown(void **state)
{
        rm_rf(scratch);
        return 0;
}

static void test_resolve_order(void **state)
{
        const char *names[] = {"foo", "bi", "b"};
        struct kmod_list l;
        struct diag d = {0};
        char dir[400];

        snprintf(dir, sizeof(dir), "%s/" KVER, moddir);
        assert_int_equal(kmod_resolve(dir, names, 3, &l, &d), 0);
        assert_int_equal(l.n, 5);
        assert_string_equal(l.paths[0], "kernel/d-x.ko"); /* softdep pre: first */
        assert_true(l.soft[0]);
        assert_false(l.soft[1] || l.soft[2] || l.soft[3] || l.soft[4]);
        assert_string_equal(l.paths[1], "kernel/sub/c.ko.xz");
        assert_string_equal(l.paths[2], "kernel/e.ko.zst");
        assert_string_equal(l.paths[3], "kernel/b.ko");
        assert_string_equal(l.paths[4], "kernel/a.ko");
        kmod_list_release(&l);
        diag_release(&d);
}

static void test_resolve_unknown(void **state)
{
        char dir[400];
        const char *names[] = {"a", "nosuch"};
        struct kmod_list l;
        struct diag d = {0};

        snprintf(dir, sizeof(dir), "%s/" KVER, moddir);
        assert_int_equal(kmod_resolve(dir, names, 2, &l, &d), -ENOENT);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "kernel module \"nosuch\" not found in"));
        assert_int_equal(l.n, 0);
        diag_release(&d);
}

static void build_at(const char *name, enum initrd_compress c, uint64_t mtime, char *out,
                     size_t outlen)
{
        const char *mods[] = {"foo"};
        struct initrd_spec s = {.moddir = moddir,
                                .modules = mods,
                                .n_modules = 1,
                                .busybox = busybox,
                                .compress = c,
                                .mtime = mtime};
        struct diag d = {0};
        int r;

        snprintf(out, outlen, "%s/%s", scratch, name);
        r = initrd_write(&s, out, &d);
        if (r < 0)
                diag_print(&d, "initrd: ");
        assert_int_equal(r, 0);
        diag_release(&d);
}

static void build(const char *name, enum initrd_compress c, char *out, size_t outlen)
{
        build_at(name, c, EPOCH, out, outlen);
}

static bool same_file(const char *a, const char *b)
{
        _cleanup_free_ char *x = NULL, *y = NULL;
        size_t xl, yl;

        assert_int_equal(read_file(a, &x, &xl), 0);
        assert_int_equal(read_file(b, &y, &yl), 0);
        return xl == yl && memcmp(x, y, xl) == 0;
}

static void test_deterministic(void **state)
{
        char a[400], b[400], c[400];

        build("a.img", INITRD_GZIP, a, sizeof(a));
        build("b.img", INITRD_GZIP, b, sizeof(b));
        assert_true(same_file(a, b));
        build_at("c.img", INITRD_GZIP, EPOCH + 1, c, sizeof(c));
        assert_false(same_file(a, c));
}

/* Path order with '/' lowest, as initrd.c sorts, so a directory's entries follow it. */
static int path_order(const char *a, const char *b)
{
        for (;; a++, b++) {
                int ca = *a == '/' ? 1 : (unsigned char)*a, cb = *b == '/' ? 1 : (unsigned char)*b;

                if (ca != cb || !ca)
                        return ca - cb;
        }
}

static char *entry_text(struct archive *a, struct archive_entry *e)
{
        size_t len = (size_t)archive_entry_size(e);
        char *buf = calloc(1, len + 1);

        assert_non_null(buf);
        assert_int_equal(archive_read_data(a, buf, len), (la_ssize_t)len);
        return buf;
}

/* Read the archive back: order, inode numbers, owners, times and contents. */
static void check_contents(const char *path)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char prev[512] = "";
        unsigned n = 0, seen = 0;

        archive_read_support_filter_all(a);
        archive_read_support_format_cpio(a);
        assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                mode_t mode = archive_entry_mode(e);

                n++;
                assert_true(path_order(prev, name) < 0);
                snprintf(prev, sizeof(prev), "%s", name);
                assert_int_equal(archive_entry_ino64(e), n);
                assert_int_equal(archive_entry_mtime(e), EPOCH);
                assert_int_equal(archive_entry_uid(e), 0);
                assert_int_equal(archive_entry_gid(e), 0);
                assert_false(strstr(name, "unused"));
                assert_false(strcmp(name, "bin/busybox") == 0 && !S_ISREG(mode));
                if (strcmp(name, "init") == 0) {
                        assert_int_equal(mode, S_IFREG | 0755);
                        seen |= 1;
                } else if (strcmp(name, "bin/sh") == 0) {
                        assert_true(S_ISLNK(mode));
                        assert_string_equal(archive_entry_symlink(e), "busybox");
                        seen |= 2;
                } else if (strcmp(name, "lib/modules/" KVER "/kernel/sub/c.ko") == 0) {
                        _cleanup_free_ char *t = entry_text(a, e);

                        assert_string_equal(t, "module c, once compressed");
                        seen |= 4;
                } else if (strcmp(name, "lib/modules/" KVER "/kernel/e.ko") == 0) {
                        _cleanup_free_ char *t = entry_text(a, e);

                        assert_string_equal(t, "module e, zstd");
                        seen |= 32;
                } else if (strcmp(name, "etc/pocbake/modules") == 0) {
                        _cleanup_free_ char *t = entry_text(a, e);

                        assert_string_equal(t, "?/lib/modules/" KVER "/kernel/d-x.ko\n"
                                               "/lib/modules/" KVER "/kernel/sub/c.ko\n"
                                               "/lib/modules/" KVER "/kernel/e.ko\n"
                                               "/lib/modules/" KVER "/kernel/b.ko\n"
                                               "/lib/modules/" KVER "/kernel/a.ko\n");
                        seen |= 8;
                } else if (strcmp(name, "dev/console") == 0) {
                        assert_true(S_ISCHR(mode));
                        assert_int_equal(archive_entry_rdevmajor(e), 5);
                        assert_int_equal(archive_entry_rdevminor(e), 1);
                        seen |= 16;
                }
        }
        assert_int_equal(seen, 63);
        assert_int_equal(archive_read_free(a), ARCHIVE_OK);
}

static void test_gzip(void **state)
{
        char p[400];
        _cleanup_free_ char *data = NULL;
        size_t len;

        build("g.img", INITRD_GZIP, p, sizeof(p));
        assert_int_equal(read_file(p, &data, &len), 0);
        assert_true(len > 10);
        assert_memory_equal(data, "\x1f\x8b\x08", 3);
        assert_int_equal(data[3] & 0x08, 0);          /* no FNAME */
        assert_memory_equal(data + 4, "\0\0\0\0", 4); /* MTIME 0 */
        check_contents(p);
}

static void test_zstd(void **state)
{
        char p[400];
        _cleanup_free_ char *data = NULL;
        size_t len;

        build("z.img", INITRD_ZSTD, p, sizeof(p));
        assert_int_equal(read_file(p, &data, &len), 0);
        assert_memory_equal(data, "\x28\xb5\x2f\xfd", 4);
        check_contents(p);
}

static void test_compress_parse(void **state)
{
        enum initrd_compress c;

        assert_int_equal(initrd_compress_parse("zstd", &c), 0);
        assert_int_equal(c, INITRD_ZSTD);
        assert_int_equal(initrd_compress_parse("gzip", &c), 0);
        assert_int_equal(c, INITRD_GZIP);
        assert_int_equal(initrd_compress_parse("lz4", &c), -EINVAL);
}

/* The host's kernel, when installed: ext4's modules.dep and softdep modules come first. */
static void test_host_modules(void **state)
{
        const char *names[] = {"ext4", "iso9660", "efivarfs"};
        struct kmod_list l;
        struct diag d = {0};
        _cleanup_free_ char *kver = NULL;
        char dir[400];
        size_t ext4 = 0, jbd2 = 0, isofs = 0;
        FILE *f = popen("ls /lib/modules 2>/dev/null | sort -V | tail -n 1", "r");

        if (!f || fscanf(f, "%ms", &kver) != 1) {
                if (f)
                        pclose(f);
                skip();
        }
        pclose(f);
        snprintf(dir, sizeof(dir), "/lib/modules/%s", kver);
        if (access(dir, R_OK) < 0)
                skip();
        assert_int_equal(kmod_resolve(dir, names, 3, &l, &d), 0);
        for (size_t i = 0; i < l.n; i++) {
                if (strstr(l.paths[i], "/ext4.ko"))
                        ext4 = i + 1;
                if (strstr(l.paths[i], "/jbd2.ko"))
                        jbd2 = i + 1;
                if (strstr(l.paths[i], "/isofs.ko"))
                        isofs = i + 1;
        }
        assert_true(jbd2 && ext4 && jbd2 < ext4);
        assert_true(isofs);
        kmod_list_release(&l);
        diag_release(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolve_order), cmocka_unit_test(test_resolve_unknown),
                cmocka_unit_test(test_deterministic), cmocka_unit_test(test_gzip),
                cmocka_unit_test(test_zstd),          cmocka_unit_test(test_compress_parse),
                cmocka_unit_test(test_host_modules),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
