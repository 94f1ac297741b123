/* outdir.c: the output directory's record of exported files: unchanged copies are not written
 * again, and files no build makes any more are removed. */
#include "outdir.h"
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

#define RECORD_HEAD "pocbake-outputs 1\n"

/* A path the record may name: relative, no "." or ".." part, no empty part, and
 * nothing that would break a line of the record. */
static bool safe_rel(const char *p)
{
        const char *s = p;

        if (!*p || *p == '/' || strpbrk(p, "\t\n"))
                return false;
        while (*s) {
                size_t n = strcspn(s, "/");

                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += n;
                if (*s == '/')
                        s++;
                if (!*s && s[-1] == '/')
                        return false;
        }
        return true;
}

static struct outdir_entry *find(struct outdir *o, const char *out)
{
        for (size_t i = 0; i < o->n; i++)
                if (!strcmp(o->v[i].out, out))
                        return &o->v[i];
        return NULL;
}

static struct outdir_entry *add(struct outdir *o, const char *out, const char *src,
                                const char *recipe)
{
        struct outdir_entry *v = realloc(o->v, (o->n + 1) * sizeof(*v)), *e;

        if (!v)
                return NULL;
        o->v = v;
        e = &v[o->n];
        *e = (struct outdir_entry){
                .out = strdup(out), .src = strdup(src), .recipe = strdup(recipe)};
        if (!e->out || !e->src || !e->recipe) {
                free(e->out);
                free(e->src);
                free(e->recipe);
                return NULL;
        }
        o->n++;
        return e;
}

/* "SIZE INO MTIME_NS\tRECIPE\tSRC\tOUT": anything else is dropped. */
static int parse_line(struct outdir *o, char *line)
{
        char *recipe = strchr(line, '\t'), *src, *out, *end;
        uint64_t size, ino;
        int64_t mtime;
        struct outdir_entry *e;

        if (!recipe)
                return 0;
        *recipe++ = '\0';
        src = strchr(recipe, '\t');
        if (!src)
                return 0;
        *src++ = '\0';
        out = strchr(src, '\t');
        if (!out)
                return 0;
        *out++ = '\0';
        errno = 0;
        size = strtoull(line, &end, 10);
        if (errno || *end != ' ')
                return 0;
        ino = strtoull(end + 1, &end, 10);
        if (errno || *end != ' ')
                return 0;
        mtime = strtoll(end + 1, &end, 10);
        if (errno || *end || !*src || !*recipe || !safe_rel(out) || find(o, out))
                return 0;
        e = add(o, out, src, recipe);
        if (!e)
                return -ENOMEM;
        e->size = size;
        e->ino = ino;
        e->mtime_ns = mtime;
        return 0;
}

int outdir_parse(struct outdir *o, char *text, size_t len)
{
        if (strlen(text) != len || strncmp(text, RECORD_HEAD, strlen(RECORD_HEAD)))
                return 0; /* not ours, or damaged: every file is written again */
        for (char *line = text + strlen(RECORD_HEAD), *nl; *line; line = nl + 1) {
                int r;

                nl = strchr(line, '\n');
                if (!nl)
                        break; /* a cut last line */
                *nl = '\0';
                if ((r = parse_line(o, line)) < 0)
                        return r;
        }
        return 0;
}

int outdir_load(struct outdir *o, const char *dir, const char *recipe, struct diag *d)
{
        _cleanup_free_ char *path = path_join(dir, OUTDIR_RECORD);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        *o = (struct outdir){.dir = strdup(dir), .recipe = strdup(recipe)};
        if (!path || !o->dir || !o->recipe)
                return diag_err(d, -ENOMEM, "out of memory");
        r = read_file(path, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return diag_err(d, r, "cannot read %s: %s", path, strerror(-r));
        r = outdir_parse(o, text, len);
        return r < 0 ? diag_err(d, r, "out of memory") : 0;
}

static bool stamp_matches(const struct outdir_entry *e, const struct stat *st)
{
        return S_ISREG(st->st_mode) && (uint64_t)st->st_size == e->size &&
               (uint64_t)st->st_ino == e->ino &&
               (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec == e->mtime_ns;
}

bool outdir_current(struct outdir *o, const char *out, const char *src)
{
        struct outdir_entry *e = find(o, out);
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (!e || strcmp(e->src, src) || !(path = path_join(o->dir, out)))
                return false;
        if (lstat(path, &st) < 0 || !stamp_matches(e, &st))
                return false;
        e->seen = true;
        return true;
}

int outdir_wrote(struct outdir *o, const char *out, const char *src, struct diag *d)
{
        _cleanup_free_ char *path = path_join(o->dir, out);
        struct outdir_entry *e = find(o, out);
        struct stat st;

        if (!path)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!safe_rel(out) || strpbrk(src, "\t\n") || strpbrk(o->recipe, "\t\n"))
                return 0; /* not recordable: written again next time */
        if (lstat(path, &st) < 0)
                return diag_err(d, -errno, "cannot stat %s: %s", path, strerror(errno));
        if (e && (strcmp(e->src, src) || strcmp(e->recipe, o->recipe))) {
                char *s = strdup(src), *rp = strdup(o->recipe);

                if (!s || !rp) {
                        free(s);
                        free(rp);
                        return diag_err(d, -ENOMEM, "out of memory");
                }
                free(e->src);
                free(e->recipe);
                e->src = s;
                e->recipe = rp;
        }
        if (!e && !(e = add(o, out, src, o->recipe)))
                return diag_err(d, -ENOMEM, "out of memory");
        e->size = (uint64_t)st.st_size;
        e->ino = (uint64_t)st.st_ino;
        e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        e->seen = true;
        return 0;
}

/* The directories above a removed file, up to the output directory, once empty. */
static void remove_empty_parents(const char *dir, const char *out)
{
        _cleanup_free_ char *rel = strdup(out);

        for (char *slash; rel && (slash = strrchr(rel, '/'));) {
                _cleanup_free_ char *path = NULL;

                *slash = '\0';
                path = path_join(dir, rel);
                if (!path || rmdir(path) < 0)
                        return;
        }
}

int outdir_prune(struct outdir *o, bool keep, bool quiet, size_t *stale, struct diag *d)
{
        *stale = 0;
        for (size_t i = 0; i < o->n; i++) {
                struct outdir_entry *e = &o->v[i];
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (e->seen || strcmp(e->recipe, o->recipe))
                        continue;
                if (!(path = path_join(o->dir, e->out)))
                        return diag_err(d, -ENOMEM, "out of memory");
                if (lstat(path, &st) < 0)
                        continue; /* gone already: forgotten */
                if (!stamp_matches(e, &st)) {
                        /* changed since the build wrote it: not ours to remove */
                        if (!quiet)
                                fprintf(stderr,
                                        "pocbake build: %s is no longer built, but changed since "
                                        "it "
                                        "was written: left\n",
                                        path);
                        continue;
                }
                (*stale)++;
                if (keep) {
                        if (!quiet)
                                fprintf(stderr,
                                        "pocbake build: %s is no longer built (kept: "
                                        "--keep-stale)\n",
                                        path);
                        e->seen = true; /* still recorded, for a later build to remove */
                        continue;
                }
                if (unlink(path) < 0)
                        return diag_err(d, -errno, "cannot remove %s: %s", path, strerror(errno));
                remove_empty_parents(o->dir, e->out);
        }
        return 0;
}

int outdir_save(struct outdir *o, bool keep_unseen, struct diag *d)
{
        _cleanup_free_ char *path = path_join(o->dir, OUTDIR_RECORD), *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!path)
                return diag_err(d, -ENOMEM, "out of memory");
        f = open_memstream(&text, &len);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        fputs(RECORD_HEAD, f);
        for (size_t i = 0; i < o->n; i++)
                if (o->v[i].seen || keep_unseen || strcmp(o->v[i].recipe, o->recipe))
                        fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRId64 "\t%s\t%s\t%s\n",
                                o->v[i].size, o->v[i].ino, o->v[i].mtime_ns, o->v[i].recipe,
                                o->v[i].src, o->v[i].out);
        if (fclose(f) != 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = write_file_atomic(path, text, len, 0644);
        if (r < 0)
                return diag_err(d, r, "cannot write %s: %s", path, strerror(-r));
        return 0;
}

int outdir_clean(const char *dir, const char *recipe, size_t *removed, size_t *kept, struct diag *d)
{
        struct outdir o;
        int r = outdir_load(&o, dir, recipe ? recipe : "", d);

        *removed = *kept = 0;
        for (size_t i = 0; r >= 0 && i < o.n; i++) {
                struct outdir_entry *e = &o.v[i];
                _cleanup_free_ char *path = path_join(o.dir, e->out);
                struct stat st;

                e->seen = true; /* stays recorded unless removed */
                if (recipe && strcmp(e->recipe, recipe))
                        continue;
                if (!path) {
                        r = diag_err(d, -ENOMEM, "out of memory");
                        break;
                }
                if (lstat(path, &st) < 0) {
                        e->seen = false; /* gone already: forgotten */
                        remove_empty_parents(o.dir, e->out);
                        continue;
                }
                if (!stamp_matches(e, &st)) {
                        fprintf(stderr, "pocbake clean: %s changed since a build wrote it: left\n",
                                path);
                        (*kept)++;
                        continue;
                }
                if (unlink(path) < 0) {
                        r = diag_err(d, -errno, "cannot remove %s: %s", path, strerror(errno));
                        break;
                }
                e->seen = false;
                (*removed)++;
                remove_empty_parents(o.dir, e->out);
        }
        if (r >= 0) {
                size_t left = 0;

                /* only what is still there stays recorded */
                for (size_t i = 0; i < o.n; i++) {
                        if (o.v[i].seen) {
                                o.v[left++] = o.v[i];
                                continue;
                        }
                        free(o.v[i].out);
                        free(o.v[i].src);
                        free(o.v[i].recipe);
                }
                o.n = left;
                if (left) {
                        r = outdir_save(&o, true, d);
                } else {
                        _cleanup_free_ char *rec = path_join(o.dir, OUTDIR_RECORD);

                        if (rec && unlink(rec) < 0 && errno != ENOENT)
                                r = diag_err(d, -errno, "cannot remove %s: %m", rec);
                }
        }
        outdir_release(&o);
        return r;
}

void outdir_release(struct outdir *o)
{
        for (size_t i = 0; i < o->n; i++) {
                free(o->v[i].out);
                free(o->v[i].src);
                free(o->v[i].recipe);
        }
        free(o->v);
        free(o->dir);
        free(o->recipe);
        *o = (struct outdir){0};
}
