/* xfs.c: xfs images with mkfs.xfs -p (a prototype file listing the tree), times set after with
 * xfs_db. */
#include "fsint.h"
#include "util/cleanup.h"
#include "util/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define XFS_MIN_SIZE    (300ull * 1024 * 1024) /* mkfs.xfs refuses smaller */
#define XFS_LABEL_MAX   12
#define XFS_BIGTIME     0x8u          /* incompatible feature: 64-bit nanosecond timestamps */
#define XFS_BIGTIME_0   2147483648ull /* bigtime counts from 1901-12-13 */
#define PROTO_MAX_DEPTH 64

static int xfs_check(const struct fs_spec *s, struct diag *d)
{
        return fs_check_common(s, XFS_MIN_SIZE, XFS_LABEL_MAX, d);
}

/* A word of the prototype file: mkfs.xfs splits it on white space and takes
 * "$" for the end of a directory and ":" for a comment. */
static bool proto_word(const char *s)
{
        if (!*s || !strcmp(s, "$") || *s == ':')
                return false;
        for (; *s; s++)
                if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f)
                        return false;
        return true;
}

struct proto {
        FILE *f;
        const struct fs_spec *s;
        struct diag *d;
        char path[4096]; /* the entry's path under the tree, "./a/b" */
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int proto_mode(struct proto *p, const struct stat *st, char type)
{
        if (st->st_mode & S_ISVTX)
                return diag_at(p->d, &p->s->mark,
                               "xfs: %s has the sticky bit, which mkfs.xfs -p cannot set", p->path);
        fprintf(p->f, "%c%c%c%03o %u %u", type, st->st_mode & S_ISUID ? 'u' : '-',
                st->st_mode & S_ISGID ? 'g' : '-', (unsigned)(st->st_mode & 0777),
                (unsigned)st->st_uid, (unsigned)st->st_gid);
        return 0;
}

static int proto_dir(struct proto *p, int dfd, int depth);

static int proto_entry(struct proto *p, int dfd, const char *name, int depth)
{
        size_t len = strlen(p->path);
        char target[4096];
        struct stat st;
        ssize_t n;
        int rc = 0;

        if (snprintf(p->path + len, sizeof(p->path) - len, "/%s", name) >=
            (int)(sizeof(p->path) - len))
                return diag_at(p->d, &p->s->mark, "xfs: path too long under %s", p->path);
        if (!proto_word(name)) {
                rc = diag_at(p->d, &p->s->mark,
                             "xfs: file name \"%s\" cannot be listed for mkfs.xfs -p (expected "
                             "no spaces or control characters, no leading ':', not \"$\")",
                             p->path + 2);
                goto out;
        }
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                rc = diag_err(p->d, -errno, "%s/%s: %s", p->s->tree, p->path + 2, strerror(errno));
                goto out;
        }
        fprintf(p->f, "%s ", name);
        if (S_ISDIR(st.st_mode)) {
                int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

                if (fd < 0) {
                        rc = diag_err(p->d, -errno, "%s/%s: %s", p->s->tree, p->path + 2,
                                      strerror(errno));
                        goto out;
                }
                rc = proto_mode(p, &st, 'd');
                if (rc >= 0) {
                        fputc('\n', p->f);
                        rc = proto_dir(p, fd, depth + 1);
                }
                close(fd);
        } else if (S_ISREG(st.st_mode)) {
                rc = proto_mode(p, &st, '-');
                fprintf(p->f, " %s\n", p->path);
        } else if (S_ISLNK(st.st_mode)) {
                n = readlinkat(dfd, name, target, sizeof(target) - 1);
                if (n < 0) {
                        rc = diag_err(p->d, -errno, "%s/%s: %s", p->s->tree, p->path + 2,
                                      strerror(errno));
                        goto out;
                }
                target[n] = '\0';
                if (!proto_word(target)) {
                        rc = diag_at(p->d, &p->s->mark,
                                     "xfs: link %s -> \"%s\" cannot be listed for mkfs.xfs -p "
                                     "(expected a target without spaces)",
                                     p->path + 2, target);
                        goto out;
                }
                rc = proto_mode(p, &st, 'l');
                fprintf(p->f, " %s\n", target);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                rc = proto_mode(p, &st, S_ISCHR(st.st_mode) ? 'c' : 'b');
                fprintf(p->f, " %u %u\n", major(st.st_rdev), minor(st.st_rdev));
        } else if (S_ISFIFO(st.st_mode)) {
                rc = proto_mode(p, &st, 'p');
                fputc('\n', p->f);
        } else {
                rc = diag_at(p->d, &p->s->mark,
                             "xfs: %s is a socket, which mkfs.xfs -p cannot make", p->path + 2);
        }
out:
        p->path[len] = '\0';
        return rc;
}

static int not_dots(const struct dirent *e)
{
        return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

/* Entries in name order: the same tree, the same prototype, the same image. */
static int proto_dir(struct proto *p, int dfd, int depth)
{
        struct dirent **names = NULL;
        int n, rc = 0;

        if (depth > PROTO_MAX_DEPTH)
                return diag_at(p->d, &p->s->mark, "xfs: %s is nested too deep", p->path);
        n = scandirat(dfd, ".", &names, not_dots, by_name);
        if (n < 0)
                return diag_err(p->d, -errno, "%s/%s: %s", p->s->tree, p->path + 2,
                                strerror(errno));
        for (int i = 0; i < n; i++) {
                if (rc >= 0)
                        rc = proto_entry(p, dfd, names[i]->d_name, depth);
                free(names[i]);
        }
        free(names);
        fputs("$\n", p->f);
        return rc;
}

/* The prototype file of tree: a boot line and a size line mkfs ignores, the
 * root directory's mode and owner, then every entry. */
static int write_proto(const struct fs_spec *s, const char *tree, const char *path, struct diag *d)
{
        _cleanup_close_ int dfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct proto p = {.s = s, .d = d, .path = "."};
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct stat st;
        int rc;

        if (dfd < 0 || fstat(dfd, &st) < 0)
                return diag_err(d, -errno, "%s: %s", tree, strerror(errno));
        p.f = open_memstream(&text, &len);
        if (!p.f)
                return diag_err(d, -ENOMEM, "out of memory");
        fputs("/dev/null\n0 0\n", p.f);
        rc = proto_mode(&p, &st, 'd');
        fputc('\n', p.f);
        if (rc >= 0)
                rc = proto_dir(&p, dfd, 0);
        fputs("$\n", p.f);
        if (fclose(p.f) != 0 && rc >= 0)
                rc = diag_err(d, -ENOMEM, "out of memory");
        if (rc >= 0 && (rc = write_file_atomic(path, text, len, 0600)) < 0)
                diag_err(d, rc, "%s: %s", path, strerror(-rc));
        return rc;
}

static int run_mkfs(const struct fs_spec *s, const char *tree, const char *proto, const char *file,
                    struct diag *d)
{
        char uuid[UUID_STR], muuid[UUID_STR + 8];
        const char *argv[16];
        struct fs_env env;
        struct run_opts o = {.cwd = tree};
        size_t n = 0;

        uuid_format(&s->uuid, uuid);
        snprintf(muuid, sizeof(muuid), "uuid=%s", uuid);
        argv[n++] = "mkfs.xfs";
        argv[n++] = "-q";
        argv[n++] = "-K"; /* no discard: the file is new and sparse */
        argv[n++] = "-m";
        argv[n++] = muuid;
        if (s->label) {
                argv[n++] = "-L";
                argv[n++] = s->label;
        }
        argv[n++] = "-p";
        argv[n++] = proto;
        argv[n++] = file;
        argv[n] = NULL;
        fs_env_init(&env, s);
        o.env = env.env;
        return run_argv(argv, &o, d);
}

static int add_ino(uint64_t **v, size_t *n, size_t *cap, uint64_t ino)
{
        if (*n == *cap) {
                uint64_t *grown;

                *cap = *cap ? 2 * *cap : 64;
                grown = realloc(*v, *cap * sizeof(**v));
                if (!grown)
                        return -ENOMEM;
                *v = grown;
        }
        (*v)[(*n)++] = ino;
        return 0;
}

/* "name = value" from xfs_db's print, as a number. */
static bool field(const char *line, const char *name, uint64_t *out)
{
        size_t k = strlen(name);
        char *end;

        if (strncmp(line, name, k) || strncmp(line + k, " = ", 3))
                return false;
        errno = 0;
        *out = strtoull(line + k + 3, &end, 0);
        return !errno && end != line + k + 3;
}

/* Every inode in use (root, realtime bitmap and summary, and each name
 * ncheck lists) and whether the times are bigtime's. */
static int list_inodes(const char *file, uint64_t **inos, size_t *n, bool *bigtime, struct diag *d)
{
        const char *argv[] = {
                "xfs_db", "-r",          "-c", "sb 0",      "-c", "p rootino",
                "-c",     "p rbmino",    "-c", "p rsumino", "-c", "p features_incompat",
                "-c",     "blockget -n", "-c", "ncheck",    file, NULL};
        _cleanup_free_ char *out = NULL;
        size_t cap = 0;
        int rc = run_capture(argv, NULL, &out, d);

        *n = 0;
        *bigtime = false;
        if (rc < 0)
                return rc;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
                uint64_t v;
                char *end;

                while (*line == ' ')
                        line++;
                if (field(line, "features_incompat", &v)) {
                        *bigtime = v & XFS_BIGTIME;
                        continue;
                }
                if (field(line, "rootino", &v) || field(line, "rbmino", &v) ||
                    field(line, "rsumino", &v)) {
                        /* counted below like any other */
                } else {
                        errno = 0;
                        v = strtoull(line, &end, 10);
                        if (errno || end == line || *end != ' ')
                                continue; /* not an "INODE PATH" line */
                }
                if (v && add_ino(inos, n, &cap, v) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
        }
        return 0;
}

/* mkfs.xfs stamps each inode with the clock; set all four times to the
 * epoch. With bigtime xfs_db takes the raw count (nanoseconds since 1901). */
static int fix_times(const struct fs_spec *s, const char *file, const char *out, struct diag *d)
{
        static const char *const times[] = {"core.atime", "core.mtime", "core.ctime", "v3.crtime"};
        _cleanup_free_ uint64_t *inos = NULL;
        _cleanup_free_ char *cmds = NULL, *script = NULL;
        const char *argv[] = {"xfs_db", "-x", file, NULL};
        struct run_opts o = {0};
        size_t n = 0, len = 0;
        bool bigtime;
        FILE *f;
        int rc;

        if (asprintf(&script, "%s.times", out) < 0) {
                script = NULL;
                return diag_err(d, -ENOMEM, "out of memory");
        }
        rc = list_inodes(file, &inos, &n, &bigtime, d);
        if (rc < 0)
                return rc;
        f = open_memstream(&cmds, &len);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "inode %" PRIu64 "\n", inos[i]);
                for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
                        if (bigtime)
                                fprintf(f, "write %s.sec %llu\n", times[t],
                                        (unsigned long long)(s->epoch + XFS_BIGTIME_0) *
                                                1000000000ull);
                        else
                                fprintf(f, "write %s.sec %llu\nwrite %s.nsec 0\n", times[t],
                                        (unsigned long long)s->epoch, times[t]);
                }
        }
        if (fclose(f) != 0)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = write_file_atomic(script, cmds, len, 0600);
        if (rc < 0)
                return diag_err(d, rc, "%s: %s", script, strerror(-rc));
        o.stdin_path = script;
        o.stdout_path = "/dev/null";
        rc = run_argv(argv, &o, d);
        unlink(script);
        return rc;
}

static int xfs_make(const struct fs_spec *s, const char *out, struct diag *d)
{
        _cleanup_free_ char *empty = NULL, *proto = NULL;
        const char *tree = s->tree;
        struct atomic_file a;
        int r;

        if (asprintf(&proto, "%s.proto", out) < 0) {
                proto = NULL;
                return diag_err(d, -ENOMEM, "out of memory");
        }
        if (!tree) {
                r = fs_empty_tree(s, out, &empty, d);
                if (r < 0)
                        return r;
                tree = empty;
        }
        r = write_proto(s, tree, proto, d);
        if (r >= 0 && (r = fs_out_open(&a, out, s->size, d)) >= 0) {
                r = run_mkfs(s, tree, proto, a.tmp, d);
                if (r >= 0)
                        r = fix_times(s, a.tmp, out, d);
                if (r >= 0)
                        r = fs_out_commit(&a, d);
                atomic_release(&a);
        }
        unlink(proto);
        if (empty)
                rm_rf(empty);
        return r;
}

const struct fs_type fs_xfs = {
        .name = "xfs",
        .check = xfs_check,
        .make = xfs_make,
};
