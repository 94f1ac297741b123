/* test_extract.c: unit tests of archive extraction: hostile archives refused, good ones exact. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "stage/extract.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/fsutil.h"

struct scratch {
        char dir[64];
        char root[96];
};

static void scratch_new(struct scratch *s)
{
        strcpy(s->dir, "/tmp/pocbake-xt.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        snprintf(s->root, sizeof(s->root), "%s/root", s->dir);
        assert_int_equal(mkdir(s->root, 0755), 0);
}

static void scratch_free(struct scratch *s)
{
        assert_int_equal(rm_rf(s->dir), 0);
}

static char *data(const char *sub, const char *name)
{
        const char *top = getenv("TOP");
        char *p = NULL;

        assert_true(asprintf(&p, "%s/test/data/%s/%s", top ? top : ".", sub, name) > 0);
        return p;
}

/* The scratch dir must hold the root and nothing else. */
static void assert_only_root(const struct scratch *s)
{
        _cleanup_closedir_ DIR *d = opendir(s->dir);
        struct dirent *e;

        assert_non_null(d);
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        assert_string_equal(e->d_name, "root");
        }
}

struct hostile {
        const char *file;
        const char *msg; /* what follows "<archive>: " */
};

static const struct hostile hostile[] = {
        {"abs-path.tar", "entry \"/tmp/pocbake-evil\": path is absolute (expected a relative path "
                         "inside the archive)"},
        {"abs-path.cpio", "entry \"/tmp/pocbake-evil\": path is absolute (expected a relative path "
                          "inside the archive)"},
        {"dotdot.tar", "entry \"../pocbake-evil\": path leaves the root (expected a relative path "
                       "inside the archive)"},
        {"dotdot-inner.tar", "entry \"a/../../pocbake-evil\": path leaves the root (expected a "
                             "relative path inside the archive)"},
        {"symlink-up.tar", "entry \"up\": symlink target \"../../..\" leaves the root"},
        {"symlink-deep-up.tar", "entry \"a/b/l\": symlink target \"../../../etc\" leaves the root"},
        {"symlink-abs-through.tar",
         "entry \"evil/pocbake-evil\": path would go through the symlink \"evil\" inside the root"},
        {"hardlink-abs.tar", "entry \"passwd\": hard link target \"/etc/passwd\" is absolute "
                             "(expected a relative path inside the archive)"},
        {"hardlink-dotdot.tar", "entry \"x\": hard link target \"../x\" leaves the root (expected "
                                "a relative path inside the archive)"},
        {"hardlink-missing.tar",
         "entry \"x\": hard link target \"not-extracted\" is not an earlier entry of the archive"},
        {"device.tar", "entry \"dev/evil-mem\": device node not allowed (allow_devices is off)"},
        {"fifo.tar", "entry \"evil-fifo\": FIFO not allowed (allow_devices is off)"},
        {"setuid.tar",
         "entry \"bin/evil-su\": setuid bit not allowed (mode 4755; allow_setuid is off)"},
        {"setgid.tar",
         "entry \"bin/evil-sg\": setgid bit not allowed (mode 2755; allow_setuid is off)"},
        {"zip-slip.zip", "not a tar or cpio archive (expected tar or cpio, plain or compressed "
                         "with gzip, xz, zstd or bzip2): Unrecognized archive format"},
        {"dir-then-symlink.tar",
         "entry \"d/pocbake-evil\": path would go through the symlink \"d\" inside the root"},
};

static void test_hostile_refused(void **state)
{
        for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
                _cleanup_free_ char *path = data("hostile", hostile[i].file);
                _cleanup_free_ char *want = NULL;
                struct diag d = {0};
                struct scratch s;
                struct stat st;

                (void)unlink("/tmp/pocbake-evil");
                scratch_new(&s);
                assert_true(asprintf(&want, "%s: %s", path, hostile[i].msg) > 0);
                assert_int_not_equal(extract_archive(path, s.root, NULL, &d), 0);
                assert_int_equal(d.n, 1);
                if (strcmp(d.msgs[0], want))
                        fail_msg("%s:\n got  %s\n want %s", hostile[i].file, d.msgs[0], want);
                assert_only_root(&s);
                assert_int_equal(lstat("/tmp/pocbake-evil", &st), -1);
                assert_int_equal(lstat("/etc/pocbake-evil", &st), -1);
                diag_release(&d);
                scratch_free(&s);
        }
}

static void assert_node(const char *root, const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct stat st;

        assert_int_equal(lstat(p, &st), 0);
        if ((st.st_mode & (S_IFMT | 07777)) != mode || st.st_uid != uid || st.st_gid != gid)
                fail_msg("%s: mode 0%o %u:%u, want 0%o %u:%u", rel, st.st_mode, st.st_uid,
                         st.st_gid, mode, uid, gid);
}

static void assert_link(const char *root, const char *rel, const char *target)
{
        _cleanup_free_ char *p = path_join(root, rel);
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);

        assert_true(n > 0);
        buf[n] = 0;
        assert_string_equal(buf, target);
}

static void test_good_archive(void **state)
{
        _cleanup_free_ char *path = data("stage", "good.tar");
        _cleanup_free_ char *p1 = NULL, *p2 = NULL, *content = NULL;
        struct diag d = {0};
        struct scratch s;
        struct stat a, b;

        scratch_new(&s);
        assert_int_equal(extract_archive(path, s.root, NULL, &d), 0);
        assert_int_equal(d.n, 0);
        /* numbers from the archive, not the names ("root") next to them */
        assert_node(s.root, "srv", S_IFDIR | 0750, 1234, 2345);
        assert_node(s.root, "srv/data", S_IFREG | 0640, 1234, 2345);
        assert_node(s.root, "usr/bin/tool", S_IFREG | 0755, 0, 0);
        /* parents the archive does not list: 0755 root, whatever the umask */
        assert_node(s.root, "usr", S_IFDIR | 0755, 0, 0);
        assert_node(s.root, "a/b", S_IFDIR | 0755, 0, 0);
        assert_node(s.root, "ro", S_IFDIR | 0555, 0, 0);
        assert_node(s.root, "ro/file", S_IFREG | 0400, 7, 8);
        assert_link(s.root, "srv/link", "data");
        assert_link(s.root, "a/b/c", "../../srv/data");
        assert_link(s.root, "etc-link", "/etc");
        p1 = path_join(s.root, "srv/data");
        p2 = path_join(s.root, "srv/hard");
        assert_int_equal(stat(p1, &a), 0);
        assert_int_equal(stat(p2, &b), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(a.st_nlink, 2);
        assert_int_equal(read_file(p1, &content, NULL), 0);
        assert_string_equal(content, "hello\n");
        assert_only_root(&s);
        scratch_free(&s);
}

/* An entry landing on a symlink already in the root replaces the link: the
 * file the link points to (outside the root) is untouched. */
static void test_replaces_symlink(void **state)
{
        _cleanup_free_ char *path = data("stage", "good.tar");
        _cleanup_free_ char *outside = NULL, *bin = NULL, *tool = NULL, *content = NULL;
        struct diag d = {0};
        struct scratch s;
        struct stat st;

        scratch_new(&s);
        outside = path_join(s.dir, "outside");
        bin = path_join(s.root, "usr/bin");
        tool = path_join(s.root, "usr/bin/tool");
        assert_int_equal(write_file_atomic(outside, "keep\n", 5, 0644), 0);
        assert_int_equal(mkdir_p(bin, 0755), 0);
        assert_int_equal(symlink(outside, tool), 0);
        assert_int_equal(extract_archive(path, s.root, NULL, &d), 0);
        assert_int_equal(lstat(tool, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(read_file(outside, &content, NULL), 0);
        assert_string_equal(content, "keep\n");
        scratch_free(&s);
}

static void test_special_needs_allow(void **state)
{
        _cleanup_free_ char *path = data("stage", "special.tar");
        struct extract_opts dev = {.allow_devices = true};
        struct diag d = {0};
        struct scratch s;

        scratch_new(&s);
        assert_int_not_equal(extract_archive(path, s.root, NULL, &d), 0);
        assert_non_null(strstr(d.msgs[0], "entry \"dev/null\": device node not allowed"));
        diag_release(&d);
        scratch_free(&s);

        scratch_new(&s);
        assert_int_not_equal(extract_archive(path, s.root, &dev, &d), 0);
        assert_non_null(strstr(d.msgs[0], "entry \"bin/su\": setuid bit not allowed (mode 4755"));
        diag_release(&d);
        scratch_free(&s);
}

static void test_special_allowed(void **state)
{
        _cleanup_free_ char *path = data("stage", "special.tar");
        _cleanup_free_ char *null = NULL, *loop = NULL;
        struct extract_opts all = {.allow_devices = true, .allow_setuid = true};
        struct diag d = {0};
        struct scratch s;
        struct stat st;

        scratch_new(&s);
        assert_int_equal(extract_archive(path, s.root, &all, &d), 0);
        assert_node(s.root, "dev/null", S_IFCHR | 0666, 0, 0);
        assert_node(s.root, "dev/loop9", S_IFBLK | 0660, 0, 6);
        assert_node(s.root, "run-fifo", S_IFIFO | 0600, 0, 0);
        assert_node(s.root, "bin/su", S_IFREG | 04755, 0, 0);
        assert_node(s.root, "var/mail", S_IFDIR | 02775, 0, 8);
        null = path_join(s.root, "dev/null");
        loop = path_join(s.root, "dev/loop9");
        assert_int_equal(lstat(null, &st), 0);
        assert_int_equal(st.st_rdev, makedev(1, 3));
        assert_int_equal(lstat(loop, &st), 0);
        assert_int_equal(st.st_rdev, makedev(7, 9));
        scratch_free(&s);
}

static void test_mem_and_garbage(void **state)
{
        _cleanup_free_ char *path = data("hostile", "dotdot.tar");
        _cleanup_free_ char *buf = NULL;
        struct diag d = {0};
        struct scratch s;
        size_t len;

        assert_int_equal(read_file(path, &buf, &len), 0);
        scratch_new(&s);
        assert_int_not_equal(extract_archive_mem(buf, len, "dotdot.tar", s.root, NULL, &d), 0);
        assert_string_equal(d.msgs[0], "dotdot.tar: entry \"../pocbake-evil\": path leaves the "
                                       "root (expected a relative path inside the archive)");
        diag_release(&d);
        assert_int_not_equal(extract_archive_mem("not an archive at all, just words", 33,
                                                 "junk.bin", s.root, NULL, &d),
                             0);
        assert_int_equal(d.n, 1);
        assert_int_equal(strncmp(d.msgs[0], "junk.bin: ", 10), 0);
        diag_release(&d);
        assert_only_root(&s);
        scratch_free(&s);
}

static void test_strip_prefix(void **state)
{
        _cleanup_free_ char *path = data("stage", "good.tar");
        struct extract_opts o = {.strip_prefix = "srv"};
        struct diag d = {0};
        struct scratch s;
        struct stat st;
        _cleanup_free_ char *tool = NULL;

        scratch_new(&s);
        assert_int_equal(extract_archive(path, s.root, &o, &d), 0);
        assert_node(s.root, "data", S_IFREG | 0640, 1234, 2345);
        assert_link(s.root, "link", "data");
        assert_node(s.root, "hard", S_IFREG | 0640, 1234, 2345);
        tool = path_join(s.root, "usr");
        assert_int_equal(lstat(tool, &st), -1);
        scratch_free(&s);
}

/* A tar built here: "d/" (mode 0500, owner 4242: libarchive defers both to
 * the end), then "d" replaced by a symlink to victim. */
static size_t fixup_tar(char *buf, size_t cap, const char *victim)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        size_t used = 0;

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
        archive_entry_set_pathname(e, "d/");
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0500);
        archive_entry_set_uid(e, 4242);
        archive_entry_set_gid(e, 4242);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        archive_entry_clear(e);
        archive_entry_set_pathname(e, "d");
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_perm(e, 0777);
        archive_entry_set_symlink(e, victim);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        archive_entry_free(e);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        return used;
}

/* The deferred mode and owner of "d/" must not land on what "d" points to later. */
static void test_fixup_not_through_symlink(void **state)
{
        static char buf[1 << 16];
        _cleanup_free_ char *victim = NULL;
        struct diag d = {0};
        struct scratch s;
        struct stat st;
        size_t len;

        scratch_new(&s);
        victim = path_join(s.dir, "victim");
        assert_int_equal(mkdir(victim, 0755), 0);
        assert_int_equal(chmod(victim, 0755), 0); /* the tests run under umask 077 */
        len = fixup_tar(buf, sizeof(buf), victim);
        assert_int_equal(extract_archive_mem(buf, len, "fixup.tar", s.root, NULL, &d), 0);
        assert_int_equal(lstat(victim, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(rmdir(victim), 0);
        assert_only_root(&s);
        scratch_free(&s);
}

static void test_missing_archive(void **state)
{
        struct diag d = {0};
        struct scratch s;

        scratch_new(&s);
        assert_int_not_equal(extract_archive("/nonexistent/x.tar", s.root, NULL, &d), 0);
        assert_int_equal(strncmp(d.msgs[0], "/nonexistent/x.tar: ", 20), 0);
        diag_release(&d);
        scratch_free(&s);
}

/* A pax tar in memory with one entry "f" of size bytes: data runs of run bytes
 * (0xa5) at each offset in offs, holes elsewhere (sparse when offs is given, else
 * one run of data over the whole file). */
static size_t tar_with(char *buf, size_t cap, uint64_t size, const uint64_t *offs, size_t n,
                       uint64_t run)
{
        struct archive *w = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        static char chunk[1 << 16];
        size_t used = 0;

        memset(chunk, 0xa5, sizeof(chunk));
        assert_int_equal(archive_write_set_format_pax(w), ARCHIVE_OK);
        assert_int_equal(archive_write_open_memory(w, buf, cap, &used), ARCHIVE_OK);
        archive_entry_set_pathname(e, "f");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)size);
        for (size_t i = 0; i < n; i++)
                archive_entry_sparse_add_entry(e, (la_int64_t)offs[i], (la_int64_t)run);
        assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
        for (uint64_t left = n ? n * run : size; left;) {
                size_t k = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);

                assert_int_equal(archive_write_data(w, chunk, k), (la_ssize_t)k);
                left -= k;
        }
        archive_entry_free(e);
        assert_int_equal(archive_write_close(w), ARCHIVE_OK);
        archive_write_free(w);
        return used;
}

/* An archive stops as soon as its data passes the budget, naming itself and the
 * entry; a sparse entry costs its data, not its size, and stays sparse. */
static void test_budget(void **state)
{
        static const uint64_t offs[] = {0, 64 << 20};
        size_t cap = 8 << 20, len;
        _cleanup_free_ char *buf = malloc(cap), *f = NULL;
        uint64_t budget = 2 << 20;
        struct extract_opts o = {.budget = &budget};
        struct diag d = {0};
        struct scratch s;
        struct stat st;

        assert_non_null(buf);
        scratch_new(&s);
        /* 3 MiB of data against 2 MiB: refused */
        len = tar_with(buf, cap, 3 << 20, NULL, 0, 0);
        assert_int_not_equal(extract_archive_mem(buf, len, "bomb.tar", s.root, &o, &d), 0);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "bomb.tar: entry \"f\": the archive expands past what "
                                          "the role's disk can hold"));
        diag_release(&d);
        scratch_free(&s);
        /* 65 MiB long, 1 MiB of data in two runs: it fits, and stays sparse */
        scratch_new(&s);
        budget = 2 << 20;
        len = tar_with(buf, cap, (64 << 20) + (512 << 10), offs, 2, 512 << 10);
        assert_int_equal(extract_archive_mem(buf, len, "sparse.tar", s.root, &o, &d), 0);
        assert_int_equal(budget, (2 << 20) - (1 << 20));
        f = path_join(s.root, "f");
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_size, (64 << 20) + (512 << 10));
        assert_true(st.st_blocks * 512 < (8 << 20));
        scratch_free(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostile_refused),
                cmocka_unit_test(test_good_archive),
                cmocka_unit_test(test_replaces_symlink),
                cmocka_unit_test(test_special_needs_allow),
                cmocka_unit_test(test_special_allowed),
                cmocka_unit_test(test_mem_and_garbage),
                cmocka_unit_test(test_strip_prefix),
                cmocka_unit_test(test_fixup_not_through_symlink),
                cmocka_unit_test(test_missing_archive),
                cmocka_unit_test(test_budget),
        };

        /* modes in the root must not depend on the umask of the build host */
        umask(077);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
