/* plan.c: from a loaded recipe to the graph: checks first, then roles, boot chain, deliverables. */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/disk.h"
#include "nodes.h"
#include "outputs.h"
#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/suggest.h"

static bool role_selected(const struct role *r, const struct graph_opts *o)
{
        if (!o->n_roles)
                return true;
        for (size_t i = 0; i < o->n_roles; i++)
                if (!strcmp(o->roles[i], r->name))
                        return true;
        return false;
}

/* Every check that needs no output: stage inputs, disk layout, filesystems. */
static int check_role(const struct role *r, struct diag *d)
{
        /* an image brings its own layout */
        int rc = stage_check(r, d), rc2 = stage_makes_root(r) ? disk_check(r, d) : 0;

        return rc < 0 ? rc : rc2;
}

/* --role NAME the appliance does not have: its roles, and the nearest. */
static int unknown_role(const struct appliance *a, const char *name, struct diag *d)
{
        const char **names = calloc(a->n_roles + 2, sizeof(*names));
        char list[1024] = "";
        size_t n = 0;
        const char *near;
        int rc;

        if (!names)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i < a->n_roles; i++)
                names[n++] = a->roles[i]->name;
        if (a->host)
                names[n++] = a->host->name;
        names_join(names, n, list, sizeof(list));
        near = suggest(name, names, n);
        if (near)
                rc = diag_err(d, -EINVAL,
                              "no role named \"%s\" in %s; did you mean \"%s\"? (expected one of: "
                              "%s)",
                              name, a->file, near, list);
        else
                rc = diag_err(d, -EINVAL, "no role named \"%s\" in %s (expected one of: %s)", name,
                              a->file, list);
        free(names);
        return rc;
}

int graph_check(const struct appliance *a, const struct graph_opts *o, struct diag *d)
{
        int rc = 0, rc2;

        for (size_t i = 0; i < o->n_roles; i++)
                if (!appliance_find_role(a, o->roles[i]))
                        rc = unknown_role(a, o->roles[i], d);
        for (size_t i = 0; i < a->n_roles; i++)
                if (role_selected(a->roles[i], o) && (rc2 = check_role(a->roles[i], d)) < 0)
                        rc = rc2;
        if (a->host && (!o->n_roles || role_selected(a->host, o)) &&
            (rc2 = check_role(a->host, d)) < 0)
                rc = rc2;
        if (o->boot && (rc2 = boot_check(o->boot, d)) < 0)
                rc = rc2;
        return rc;
}

static int absolute_cache(struct graph *g, const char *cache)
{
        /* absolute: tools run by workers may change directory (mmdebstrap does) */
        if (cache[0] == '/')
                g->cache = strdup(cache);
        else {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                g->cache = cwd ? path_join(cwd, cache) : NULL;
        }
        return g->cache ? 0 : -ENOMEM;
}

int graph_plan(struct graph *g, const struct appliance *a, const struct graph_opts *o,
               struct diag *d)
{
        int rc, rc2;

        memset(g, 0, sizeof(*g));
        g->epoch = o->epoch;
        g->boot = o->boot;
        g->profile = o->profile;
        g->app = a;
        if ((rc = absolute_cache(g, o->cache)) < 0)
                return rc;
        rc = graph_check(a, o, d);
        /* the deliverables are made only when every role is: their keys too */
        if (!o->n_roles && (rc2 = outputs_check(a, o->boot, d)) < 0 && rc >= 0)
                rc = rc2;
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < a->n_roles; i++)
                if (role_selected(a->roles[i], o) && (rc = plan_role(g, a->roles[i], d)) < 0)
                        return rc;
        if (a->host && (!o->n_roles || role_selected(a->host, o)) &&
            (rc = plan_role(g, a->host, d)) < 0)
                return rc;
        if (!o->n_roles && (rc = outputs_plan(g, d)) < 0)
                return rc;
        return graph_keys(g, d);
}
