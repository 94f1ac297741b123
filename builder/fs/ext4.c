/* ext4.c: ext4 images with mkfs.ext4 -d, reproducible through a fixed clock and seeds. */
#include "fsint.h"
#include "util/cleanup.h"
#include "util/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

/* Below this mke2fs has no room for a journal. */
#define EXT4_MIN_SIZE  (2u * 1024 * 1024)
#define EXT4_LABEL_MAX 16

static int ext4_check(const struct fs_spec *s, struct diag *d)
{
        return fs_check_common(s, EXT4_MIN_SIZE, EXT4_LABEL_MAX, d);
}

/*
 * mke2fs 1.47 reads each source directory with scandir() and sorts the
 * names, so the staging directory's readdir order does not matter; with
 * E2FSPROGS_FAKE_TIME the filesystem times are the epoch, and -U plus
 * hash_seed replace the two random values. File times come from the tree,
 * ctimes included, so fix_times() sets them all to the epoch afterwards.
 * offset > 0 writes into a disk file at that byte offset (-E offset=).
 */
static int run_mke2fs(const struct fs_spec *s, const char *file, uint64_t offset, struct diag *d)
{
        char uuid[UUID_STR], ext[160], blocks[32];
        const char *argv[16];
        struct fs_env env;
        struct run_opts o = {0};
        size_t n = 0;

        uuid_format(&s->uuid, uuid);
        snprintf(ext, sizeof(ext), "hash_seed=%s,lazy_itable_init=1,nodiscard,offset=%llu", uuid,
                 (unsigned long long)offset);
        snprintf(blocks, sizeof(blocks), "%lluk", (unsigned long long)(s->size / 1024));
        argv[n++] = "mkfs.ext4";
        argv[n++] = "-q";
        argv[n++] = "-F";
        argv[n++] = "-U";
        argv[n++] = uuid;
        argv[n++] = "-E";
        argv[n++] = ext;
        if (s->label) {
                argv[n++] = "-L";
                argv[n++] = s->label;
        }
        if (s->tree) {
                argv[n++] = "-d";
                argv[n++] = s->tree;
        }
        argv[n++] = file;
        argv[n++] = blocks;
        argv[n] = NULL;
        fs_env_init(&env, s);
        o.env = env.env;
        return run_argv(argv, &o, d);
}

/* The ctime of a staged file is when it was written; no option of mke2fs
 * 1.47.0 overrides it, so the image's inodes are patched in place. */
static int fix_times(const struct fs_spec *s, const char *file, uint64_t offset, struct diag *d)
{
        _cleanup_close_ int fd = open(file, O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return diag_err(d, -errno, "cannot open \"%s\": %s", file, strerror(errno));
        return ext4_times_fix(fd, offset, s->size, s->epoch, file, NULL, d);
}

static int ext4_make(const struct fs_spec *s, const char *out, struct diag *d)
{
        struct atomic_file a;
        int r = fs_out_open(&a, out, s->size, d);

        if (r < 0)
                return r;
        r = run_mke2fs(s, a.tmp, 0, d);
        if (r >= 0)
                r = fix_times(s, a.tmp, 0, d);
        if (r >= 0)
                r = fs_out_commit(&a, d);
        atomic_release(&a);
        return r;
}

static int ext4_make_at(const struct fs_spec *s, const char *disk, uint64_t offset, struct diag *d)
{
        int r = run_mke2fs(s, disk, offset, d);

        return r < 0 ? r : fix_times(s, disk, offset, d);
}

const struct fs_type fs_ext4 = {
        .name = "ext4",
        .check = ext4_check,
        .make = ext4_make,
        .make_at = ext4_make_at,
};
