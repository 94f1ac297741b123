/* kmod.c: module dependency resolution from modules.dep, .softdep, .alias, .builtin. */
#include "kmod.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

struct kmod {
        char *name; /* normalized: no directory, no ".ko*", '-' as '_' */
        char *path; /* as written in modules.dep */
        char *deps; /* the rest of its modules.dep line */
        int state;  /* 0 unseen, 1 being visited, 2 listed */
        bool soft;  /* listed only as a soft dependency */
        size_t at;  /* its index in the output list */
};

struct kmod_db {
        const char *kdir;
        struct kmod *mods;
        size_t n;
        char *dep, *builtin, *alias, *softdep; /* file contents; NULL when absent */
        struct kmod_list *out;
        struct diag *d;
};

/* "kernel/fs/isofs/isofs.ko.xz" or "iso-fs" -> "isofs" / "iso_fs", malloc'd. */
static char *kmod_norm(const char *s, size_t len)
{
        const char *base = memrchr(s, '/', len);
        const char *end;
        char *r;

        if (base) {
                len -= (size_t)(base + 1 - s);
                s = base + 1;
        }
        end = memmem(s, len, ".ko", 3);
        if (end)
                len = (size_t)(end - s);
        r = strndup(s, len);
        for (char *p = r; p && *p; p++)
                if (*p == '-')
                        *p = '_';
        return r;
}

static int kmod_cmp(const void *a, const void *b)
{
        return strcmp(((const struct kmod *)a)->name, ((const struct kmod *)b)->name);
}

static struct kmod *kmod_find(struct kmod_db *db, const char *name)
{
        struct kmod key = {.name = (char *)name};

        return bsearch(&key, db->mods, db->n, sizeof(key), kmod_cmp);
}

/* modules.dep lines are "path: dep dep ..."; the buffer is cut in place. */
static int db_load_dep(struct kmod_db *db)
{
        size_t cap = 0;

        for (char *line = db->dep, *next; line && *line; line = next) {
                char *colon;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = 0;
                if (db->n == cap) {
                        struct kmod *m;

                        cap = cap ? 2 * cap : 1024;
                        m = realloc(db->mods, cap * sizeof(*m));
                        if (!m)
                                return -ENOMEM;
                        db->mods = m;
                }
                db->mods[db->n] = (struct kmod){.path = line, .deps = colon + 1};
                db->mods[db->n].name = kmod_norm(line, strlen(line));
                if (!db->mods[db->n++].name)
                        return -ENOMEM;
        }
        qsort(db->mods, db->n, sizeof(*db->mods), kmod_cmp);
        return 0;
}

/* The next line of text after line (NULL at the end). */
static const char *next_line(const char *line)
{
        const char *nl = strchr(line, '\n');

        return nl && nl[1] ? nl + 1 : NULL;
}

/* If line is "<head><word> rest...", the rest; otherwise NULL. */
static const char *line_match(const char *line, const char *head, const char *word)
{
        size_t hl = strlen(head), wl = strlen(word);

        if (strncmp(line, head, hl) || strncmp(line + hl, word, wl))
                return NULL;
        line += hl + wl;
        return *line == ' ' || *line == '\t' ? line : NULL;
}

static bool is_builtin(struct kmod_db *db, const char *name)
{
        for (const char *l = db->builtin; l && *l; l = next_line(l)) {
                _cleanup_free_ char *n = kmod_norm(l, strcspn(l, "\n"));

                if (n && strcmp(n, name) == 0)
                        return true;
        }
        return false;
}

static int visit(struct kmod_db *db, struct kmod *m, bool soft);
static int resolve_one(struct kmod_db *db, const char *word, bool required);

/* Resolve each word of s up to the end of the line or the word stop. */
static int resolve_words(struct kmod_db *db, const char *s, const char *stop, bool required)
{
        for (;;) {
                _cleanup_free_ char *w = NULL;
                size_t len;
                int r;

                s += strspn(s, " \t");
                len = strcspn(s, " \t\n");
                if (!len)
                        return 0;
                w = strndup(s, len);
                if (!w)
                        return -ENOMEM;
                if (stop && strcmp(w, stop) == 0)
                        return 0;
                r = resolve_one(db, w, required);
                if (r < 0)
                        return r;
                s += len;
        }
}

/* Every module an alias line names for pattern; returns how many, or <0. */
static int resolve_alias(struct kmod_db *db, const char *pattern, bool soft)
{
        int found = 0;

        for (const char *l = db->alias; l && *l; l = next_line(l)) {
                const char *rest = line_match(l, "alias ", pattern);
                _cleanup_free_ char *n = NULL;
                struct kmod *m;
                int r;

                if (!rest)
                        continue;
                rest += strspn(rest, " \t");
                n = kmod_norm(rest, strcspn(rest, " \t\n"));
                if (!n)
                        return -ENOMEM;
                m = kmod_find(db, n);
                if (m) {
                        r = visit(db, m, soft);
                        if (r < 0)
                                return r;
                        found++;
                } else if (is_builtin(db, n))
                        found++;
        }
        return found;
}

static int resolve_one(struct kmod_db *db, const char *word, bool required)
{
        _cleanup_free_ char *n = kmod_norm(word, strlen(word)), *fs = NULL;
        struct kmod *m;
        int r;

        if (!n)
                return -ENOMEM;
        m = kmod_find(db, n);
        if (m)
                return visit(db, m, !required);
        if (is_builtin(db, n))
                return 0;
        r = resolve_alias(db, word, !required);
        if (r == 0 && asprintf(&fs, "fs-%s", word) >= 0)
                r = resolve_alias(db, fs, !required);
        if (r < 0)
                return r;
        if (r == 0 && required)
                return diag_err(db->d, -ENOENT,
                                "kernel module \"%s\" not found in %s (not in modules.dep, "
                                "modules.builtin or modules.alias)",
                                word, db->kdir);
        return 0;
}

static int list_add(struct kmod_list *l, const char *path, bool soft)
{
        char **p = realloc(l->paths, (l->n + 1) * sizeof(*p));
        bool *o;

        if (!p)
                return -ENOMEM;
        l->paths = p;
        o = realloc(l->soft, (l->n + 1) * sizeof(*o));
        if (!o)
                return -ENOMEM;
        l->soft = o;
        l->soft[l->n] = soft;
        l->paths[l->n] = strdup(path);
        return l->paths[l->n++] ? 0 : -ENOMEM;
}

/* modules.dep's dependencies of m. */
static int visit_deps(struct kmod_db *db, struct kmod *m, bool soft)
{
        for (const char *s = m->deps; *s;) {
                _cleanup_free_ char *n = NULL;
                struct kmod *dep;
                size_t len;
                int r;

                s += strspn(s, " \t");
                len = strcspn(s, " \t");
                if (!len)
                        break;
                n = kmod_norm(s, len);
                if (!n)
                        return -ENOMEM;
                dep = kmod_find(db, n);
                if (!dep)
                        return diag_err(db->d, -EINVAL,
                                        "%s/modules.dep: \"%.*s\" has no line of its own", db->kdir,
                                        (int)len, s);
                r = visit(db, dep, soft);
                if (r < 0)
                        return r;
                s += len;
        }
        return 0;
}

/* Depth first: soft "pre:" dependencies, then modules.dep's, then the module.
 * A module wanted only as a soft dependency (crc32c-intel needs SSE4.2) is
 * marked so the init does not report it when it fails to load. */
static int visit(struct kmod_db *db, struct kmod *m, bool soft)
{
        int r;

        if (m->state == 2 && m->soft && !soft) {
                m->soft = db->out->soft[m->at] = false;
                return visit_deps(db, m, false);
        }
        if (m->state)
                return 0; /* listed already, or a cycle being resolved */
        m->state = 1;
        for (const char *l = db->softdep; l && *l; l = next_line(l)) {
                const char *rest = line_match(l, "softdep ", m->name);
                const char *pre = rest ? strstr(rest, "pre:") : NULL;

                if (pre && pre < rest + strcspn(rest, "\n")) {
                        r = resolve_words(db, pre + 4, "post:", false);
                        if (r < 0)
                                return r;
                }
        }
        r = visit_deps(db, m, soft);
        if (r < 0)
                return r;
        m->state = 2;
        m->soft = soft;
        m->at = db->out->n;
        return list_add(db->out, m->path, soft);
}

static char *read_opt(const char *kdir, const char *name)
{
        _cleanup_free_ char *p = path_join(kdir, name);
        char *text = NULL;
        size_t len;

        if (!p || read_file(p, &text, &len) < 0)
                return NULL;
        return text;
}

static void db_release(struct kmod_db *db)
{
        for (size_t i = 0; i < db->n; i++)
                free(db->mods[i].name);
        free(db->mods);
        free(db->dep);
        free(db->builtin);
        free(db->alias);
        free(db->softdep);
}

int kmod_resolve(const char *kdir, const char *const *names, size_t n, struct kmod_list *out,
                 struct diag *d)
{
        struct kmod_db db = {.kdir = kdir, .out = out, .d = d};
        int r;

        *out = (struct kmod_list){0};
        db.dep = read_opt(kdir, "modules.dep");
        if (!db.dep)
                return diag_err(d, -ENOENT, "cannot read %s/modules.dep: %m", kdir);
        db.builtin = read_opt(kdir, "modules.builtin");
        db.alias = read_opt(kdir, "modules.alias");
        db.softdep = read_opt(kdir, "modules.softdep");
        r = db_load_dep(&db);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = resolve_one(&db, names[i], true);
        db_release(&db);
        if (r < 0)
                kmod_list_release(out);
        return r < 0 ? r : 0;
}

void kmod_list_release(struct kmod_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->paths[i]);
        free(l->paths);
        free(l->soft);
        *l = (struct kmod_list){0};
}
