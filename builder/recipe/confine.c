/* confine.c: a recipe's paths stay inside its own tree: each is resolved (symlinks, "..")
 * and compared with the allowed roots before anything reads it. */
#include "confine.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"

/* The real path of path, which need not exist: its deepest existing ancestor is
 * resolved and the rest appended ("." and ".." applied to the text). NULL with
 * errno for what cannot be resolved (a loop, no permission, too long). */
static char *real_of(const char *path, unsigned depth)
{
        _cleanup_free_ char *dir = NULL, *rdir = NULL;
        const char *base;
        char *r;

        r = realpath(path, NULL);
        if (r || (errno != ENOENT && errno != ENOTDIR))
                return r;
        if (depth > PATH_MAX / 2 || !strcmp(path, "/")) {
                errno = ELOOP;
                return NULL;
        }
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
        dir = path_dirname(path);
        rdir = dir ? real_of(dir, depth + 1) : NULL;
        if (!rdir)
                return NULL;
        if (!*base || !strcmp(base, "."))
                return TAKE_PTR(rdir);
        if (!strcmp(base, ".."))
                return path_dirname(rdir);
        return path_join(rdir, base);
}

static bool under(const char *root, const char *p)
{
        size_t n = strlen(root);

        if (!strcmp(root, "/"))
                return true;
        return !strncmp(root, p, n) && (p[n] == '/' || !p[n]);
}

static int add_root(struct confine *cf, const char *dir)
{
        char **roots;
        char *r = realpath(dir, NULL);

        if (!r)
                return -errno;
        roots = realloc(cf->roots, (cf->n + 1) * sizeof(*roots));
        if (!roots) {
                free(r);
                return -ENOMEM;
        }
        cf->roots = roots;
        cf->roots[cf->n++] = r;
        return 0;
}

int confine_init(struct confine *cf, const char *top, const char *const *allow, size_t n_allow,
                 const char *shipped, struct diag *d)
{
        _cleanup_free_ char *dir = path_dirname(top);
        int r;

        *cf = (struct confine){0};
        if (!dir)
                return -ENOMEM;
        r = add_root(cf, dir);
        if (r < 0)
                return r == -ENOMEM ? r
                                    : diag_err(d, r, "%s: cannot resolve: %s", dir, strerror(-r));
        for (size_t i = 0; i < n_allow; i++) {
                r = add_root(cf, allow[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return diag_err(d, -EINVAL,
                                        "--allow-path \"%s\": %s (expected an existing directory)",
                                        allow[i], strerror(-r));
        }
        if (shipped && add_root(cf, shipped) == -ENOMEM)
                return -ENOMEM;
        return 0;
}

void confine_release(struct confine *cf)
{
        for (size_t i = 0; i < cf->n; i++)
                free(cf->roots[i]);
        free(cf->roots);
        *cf = (struct confine){0};
}

int confine_check(const struct confine *cf, const char *path, const char *key, const struct mark *m,
                  struct diag *d)
{
        _cleanup_free_ char *abs = NULL, *real = NULL;
        char cwd[PATH_MAX];

        if (!cf || !cf->n)
                return 0;
        if (path[0] == '/')
                abs = strdup(path);
        else if (getcwd(cwd, sizeof(cwd)))
                abs = path_join(cwd, path);
        else
                return diag_at(d, m, "%s \"%s\": cannot resolve: %s", key, path, strerror(errno));
        if (!abs)
                return -ENOMEM;
        real = real_of(abs, 0);
        if (!real)
                return errno == ENOMEM ? -ENOMEM
                                       : diag_at(d, m,
                                                 "%s \"%s\": cannot resolve: %s (expected a "
                                                 "path inside the recipe's tree)",
                                                 key, path, strerror(errno));
        for (size_t i = 0; i < cf->n; i++)
                if (under(cf->roots[i], real))
                        return 0;
        return diag_at(d, m,
                       "%s \"%s\" resolves to %s, outside the recipe's tree %s (expected a path "
                       "inside it, or --allow-path DIR to widen it)",
                       key, path, real, cf->roots[0]);
}
