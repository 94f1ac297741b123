/* load.c: recipe files -> typed appliance: extends, include, profiles, cycles, roles. */
#include "recipe.h"
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confine.h"
#include "util/cleanup.h"
#include "util/suggest.h"

#define MAX_NEST     32   /* files open at once through extends/include */
#define MAX_LOADS    1000 /* files read in one load: bounds diamond-shaped include graphs */
#define DISK_OUTPUTS (OUT_RAW | OUT_QCOW2 | OUT_VHDX)

struct frame {
        dev_t dev;
        ino_t ino;
        const char *display;
};

struct loader {
        const struct load_opts *o;
        struct yparse_opts yo;
        struct diag *d;
        struct appliance *a; /* owns the interned file names */
        struct frame stack[MAX_NEST];
        size_t depth;
        unsigned loads;
        bool profile_seen;
        struct confine cf;
};

DEFINE_TRIVIAL_CLEANUP(struct ynode *, ynode_free)

/* One copy of each file name for every mark to point at, freed with the appliance. */
static const char *intern(struct loader *l, const char *name)
{
        struct appliance *a = l->a;
        char **files;

        for (size_t i = 0; i < a->n_files; i++)
                if (!strcmp(a->files[i], name))
                        return a->files[i];
        files = realloc(a->files, (a->n_files + 1) * sizeof(*files));
        if (!files)
                return NULL;
        a->files = files;
        files[a->n_files] = strdup(name);
        return files[a->n_files] ? files[a->n_files++] : NULL;
}

/* Turn a into an empty scalar so that a following merge replaces it whole. */
static void clear_node(struct ynode *n)
{
        for (size_t i = 0; i < n->n; i++) {
                ynode_free(n->keys ? n->keys[i] : NULL);
                ynode_free(n->items[i]);
        }
        free(n->keys);
        free(n->items);
        n->keys = n->items = NULL;
        n->n = 0;
        n->kind = YNODE_SCALAR;
}

/* A later `base:` naming another kind replaces the earlier base instead of merging
 * into it: a profile switching busybox to mmdebstrap must not end with both. */
static void replace_base_if_other_kind(struct ynode *acc, const struct ynode *over)
{
        struct ynode *ab = ynode_get(acc, "base");
        const struct ynode *ob = ynode_get(over, "base");

        if (!ab || !ob || ab->kind != YNODE_MAP || ob->kind != YNODE_MAP)
                return;
        for (size_t i = 0; i < ob->n; i++) {
                if (!ynode_get(ab, ob->keys[i]->value)) {
                        clear_node(ab);
                        return;
                }
        }
}

static void merge_recipe(struct ynode *acc, struct ynode *over)
{
        struct ynode *ah = ynode_get(acc, "host");
        const struct ynode *oh = ynode_get(over, "host");

        replace_base_if_other_kind(acc, over);
        if (ah && oh && ah->kind == YNODE_MAP && oh->kind == YNODE_MAP)
                replace_base_if_other_kind(ah, oh);
        ynode_merge(acc, over);
}

static int compose_file(struct loader *l, const char *path, const struct mark *from,
                        struct ynode **out);

static int cycle_error(struct loader *l, size_t first, const struct mark *from)
{
        char *chain = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&chain, &len);
        int r;

        if (!f)
                return -ENOMEM;
        for (size_t i = first; i < l->depth; i++)
                fprintf(f, "%s -> ", l->stack[i].display);
        /* The file as it was first named, not "dir/../x.yaml". */
        fprintf(f, "%s", l->stack[first].display);
        fclose(f);
        r = diag_at(l->d, from, "include cycle: %s", chain ? chain : "");
        free(chain);
        return r;
}

/* Where this file sits among the files being read; an error for a cycle. */
static int push_frame(struct loader *l, const char *name, const struct mark *from)
{
        struct stat st;

        if (stat(name, &st) < 0) {
                if (from)
                        return diag_at(l->d, from,
                                       "cannot read \"%s\": %s (expected an existing recipe file)",
                                       name, strerror(errno));
                return diag_err(l->d, -errno, "%s: cannot read: %s", name, strerror(errno));
        }
        for (size_t i = 0; i < l->depth; i++)
                if (l->stack[i].dev == st.st_dev && l->stack[i].ino == st.st_ino)
                        return cycle_error(l, i, from);
        if (l->depth >= MAX_NEST)
                return diag_at(
                        l->d, from,
                        "extends and include nest deeper than %d files (expected a shorter chain)",
                        MAX_NEST);
        l->stack[l->depth++] = (struct frame){st.st_dev, st.st_ino, name};
        return 0;
}

/* Read the file named by v (extends, an include entry, a role file) into *out;
 * *name (if given) receives its interned name. */
static int compose_ref(struct loader *l, const struct ynode *v, const char *key, struct ynode **out,
                       const char **name)
{
        _cleanup_free_ char *path = NULL;
        int r;

        if (v->kind != YNODE_SCALAR || ynode_is_null(v))
                return diag_at(l->d, &v->mark, "%s is %s (expected a recipe file name)", key,
                               ynode_kind_name(v));
        if (l->o->no_files)
                return diag_at(l->d, &v->mark,
                               "%s \"%s\": recipe files are disabled here (expected a "
                               "self-contained recipe)",
                               key, v->value);
        path = resolve_path(v);
        if (!path)
                return -ENOMEM;
        r = confine_check(&l->cf, path, key, &v->mark, l->d);
        if (r < 0)
                return r;
        if (name && !(*name = intern(l, path)))
                return -ENOMEM;
        return compose_file(l, path, &v->mark, out);
}

static void merge_into(struct ynode **acc, struct ynode *over)
{
        if (*acc)
                merge_recipe(*acc, over);
        else
                *acc = over;
}

/* extends first, then each include, in order: the layers under this file's keys. */
static int compose_layers(struct loader *l, const struct ynode *ext, const struct ynode *inc,
                          struct ynode **acc)
{
        int ret = 0, r;

        if (ext) {
                struct ynode *t = NULL;

                r = compose_ref(l, ext, "extends", &t, NULL);
                if (r < 0)
                        ret = r;
                else
                        merge_into(acc, t);
        }
        if (inc && inc->kind != YNODE_SEQ && inc->kind != YNODE_SCALAR)
                return diag_at(l->d, &inc->mark, "include is %s (expected a list of recipe files)",
                               ynode_kind_name(inc));
        for (size_t i = 0; inc && i < (inc->kind == YNODE_SEQ ? inc->n : 1); i++) {
                struct ynode *t = NULL;

                r = compose_ref(l, inc->kind == YNODE_SEQ ? inc->items[i] : inc, "include", &t,
                                NULL);
                if (r < 0)
                        ret = r;
                else
                        merge_into(acc, t);
        }
        return ret;
}

static int check_profile(struct loader *l, const struct ynode *name, const struct ynode *p)
{
        static const char *const consumed[] = {"extends", "include", "profiles"};

        if (p->kind != YNODE_MAP)
                return diag_at(l->d, &p->mark, "profile \"%s\" is %s (expected a mapping of keys)",
                               name->value, ynode_kind_name(p));
        for (size_t i = 0; i < ARRAY_SIZE(consumed); i++)
                if (ynode_get(p, consumed[i]))
                        return diag_at(l->d, &name->mark,
                                       "profile \"%s\" sets \"%s\" (expected recipe keys only)",
                                       name->value, consumed[i]);
        return 0;
}

/* Check every profile of this file, then merge the selected one over acc. */
/* Every profile name any file defines, once: what --profile may name. */
static int note_profile(struct appliance *a, const char *name)
{
        char **v;

        for (size_t i = 0; i < a->n_profiles; i++)
                if (!strcmp(a->profiles[i], name))
                        return 0;
        v = realloc(a->profiles, (a->n_profiles + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        a->profiles = v;
        if (!(v[a->n_profiles] = strdup(name)))
                return -ENOMEM;
        a->n_profiles++;
        return 0;
}

static int apply_profile(struct loader *l, struct ynode *acc, struct ynode *prof)
{
        const char *want = l->o->profile;
        int ret = 0;

        if (prof->kind != YNODE_MAP)
                return diag_at(l->d, &prof->mark,
                               "profiles is %s (expected a mapping of profile names)",
                               ynode_kind_name(prof));
        for (size_t i = 0; i < prof->n; i++) {
                if (check_profile(l, prof->keys[i], prof->items[i]) < 0)
                        ret = -EINVAL;
                else if (note_profile(l->a, prof->keys[i]->value) < 0)
                        return diag_err(l->d, -ENOMEM, "out of memory");
        }
        if (ret < 0 || !want || !ynode_get(prof, want))
                return ret;
        l->profile_seen = true;
        merge_recipe(acc, ynode_take(prof, want));
        return 0;
}

/* Build one file's recipe from its parsed tree t (consumed): its extends, its
 * includes, its own keys, then its profile. */
static int compose_tree(struct loader *l, struct ynode *t, struct ynode **out)
{
        _cleanup_(ynode_freep) struct ynode *tree = t;
        _cleanup_(ynode_freep) struct ynode *ext = NULL;
        _cleanup_(ynode_freep) struct ynode *inc = NULL;
        _cleanup_(ynode_freep) struct ynode *prof = NULL;
        _cleanup_(ynode_freep) struct ynode *acc = NULL;
        struct mark own = tree->mark;
        int r;

        if (tree->kind != YNODE_MAP)
                return diag_at(l->d, &tree->mark, "recipe is %s (expected a mapping of keys)",
                               ynode_kind_name(tree));
        ext = ynode_take(tree, "extends");
        inc = ynode_take(tree, "include");
        prof = ynode_take(tree, "profiles");
        r = compose_layers(l, ext, inc, &acc);
        if (r < 0)
                return r;
        merge_into(&acc, TAKE_PTR(tree));
        acc->mark = own; /* the result is this file's recipe, wherever its keys came from */
        if (prof) {
                r = apply_profile(l, acc, prof);
                if (r < 0)
                        return r;
        }
        *out = TAKE_PTR(acc);
        return 0;
}

static int compose_file(struct loader *l, const char *path, const struct mark *from,
                        struct ynode **out)
{
        const char *name = intern(l, path);
        struct ynode *t = NULL;
        int r;

        if (!name)
                return -ENOMEM;
        if (++l->loads > MAX_LOADS)
                return diag_at(l->d, from,
                               "more than %d recipe files read (expected fewer includes)",
                               MAX_LOADS);
        r = push_frame(l, name, from);
        if (r < 0)
                return r;
        r = yparse_file(name, name, &l->yo, &t, l->d);
        if (r >= 0)
                r = compose_tree(l, t, out);
        l->depth--;
        return r;
}

static int bind_role(struct loader *l, struct ynode *t, const char *file, const struct schema *s,
                     struct role **out)
{
        struct bctx c = {.d = l->d,
                         .app = l->a->name ? l->a : NULL,
                         .allowed_outputs = DISK_OUTPUTS,
                         .outputs_for = "roles",
                         .o = l->o,
                         .cf = &l->cf};
        struct role *r = calloc(1, sizeof(*r));
        int ret;

        if (!r) {
                ynode_free(t);
                return -ENOMEM;
        }
        r->tree = t;
        r->file = strdup(file);
        ret = r->file ? bind_map(&c, t, r, s) : -ENOMEM;
        if (ret >= 0 && c.errors)
                ret = -EINVAL;
        if (ret < 0) {
                role_free(r);
                return ret;
        }
        *out = r;
        return 0;
}

static int add_role(struct appliance *a, struct role *r)
{
        struct role **roles = realloc(a->roles, (a->n_roles + 1) * sizeof(*roles));

        if (!roles) {
                role_free(r);
                return -ENOMEM;
        }
        a->roles = roles;
        a->roles[a->n_roles++] = r;
        return 0;
}

static int load_role_file(struct loader *l, const struct ynode *v)
{
        struct ynode *t = NULL;
        struct role *r = NULL;
        const char *name = NULL;
        int ret;

        ret = compose_ref(l, v, "role file", &t, &name);
        if (ret < 0)
                return ret;
        if (ynode_get(t, "appliance")) {
                ynode_free(t);
                return diag_at(l->d, &v->mark,
                               "\"%s\" is an appliance recipe (expected a role file)", v->value);
        }
        ret = bind_role(l, t, name, &role_schema, &r);
        return ret < 0 ? ret : add_role(l->a, r);
}

static int load_host(struct loader *l, const struct ynode *host)
{
        struct ynode *t = ynode_dup(host);
        struct role *r = NULL;
        int ret;

        if (!t)
                return -ENOMEM;
        ret = bind_role(l, t, l->a->file, &host_schema, &r);
        if (ret == 0)
                l->a->host = r;
        return ret;
}

static void check_dup_roles(struct loader *l)
{
        struct appliance *a = l->a;
        size_t n = a->n_roles + (a->host ? 1 : 0);

        for (size_t i = 1; i < n; i++) {
                const struct role *r = i < a->n_roles ? a->roles[i] : a->host;

                for (size_t j = 0; j < i; j++) {
                        const struct role *f = a->roles[j];

                        if (strcmp(r->name, f->name))
                                continue;
                        diag_at(l->d, &r->mark, "role \"%s\" defined twice (first in %s:%d:%d)",
                                r->name, f->mark.file, f->mark.line, f->mark.col);
                        break;
                }
        }
}

static int load_appliance(struct loader *l, struct ynode *tree)
{
        struct appliance *a = l->a;
        struct bctx c = {.d = l->d,
                         .allowed_outputs = DISK_OUTPUTS,
                         .outputs_for = "appliances",
                         .o = l->o,
                         .deliverables = true,
                         .cf = &l->cf};
        const struct ynode *roles, *host;
        int r;

        a->tree = tree;
        r = bind_map(&c, tree, a, &appliance_schema);
        if (r == -ENOMEM)
                return r;
        if (c.errors) /* roles would be checked against half-bound networks */
                return -EINVAL;
        a->mark = ynode_get(tree, "appliance")->mark;
        if (finish_networks(&c, a) < 0)
                return -EINVAL;
        roles = ynode_get(tree, "roles");
        for (size_t i = 0; roles && i < roles->n; i++)
                if (load_role_file(l, roles->items[i]) == -ENOMEM)
                        return -ENOMEM;
        host = ynode_get(tree, "host");
        if (host && load_host(l, host) == -ENOMEM)
                return -ENOMEM;
        check_dup_roles(l);
        return finish_appliance_net(&c, a) == -ENOMEM ? -ENOMEM : 0;
}

/* A lone role file is an appliance of that one role, named after it. */
static int load_lone_role(struct loader *l, struct ynode *tree)
{
        struct appliance *a = l->a;
        struct role *r = NULL;
        int ret;

        ret = bind_role(l, tree, a->file, &role_schema, &r);
        if (ret < 0)
                return ret;
        ret = add_role(a, r);
        if (ret < 0)
                return ret;
        a->name = strdup(r->name);
        a->tree = ynode_dup(r->tree);
        if (!a->name || !a->tree)
                return -ENOMEM;
        a->outputs = r->outputs;
        a->mark = r->mark;
        return 0;
}

static int load_top(struct loader *l, struct ynode *parsed)
{
        struct ynode *tree = NULL;
        int r;

        r = compose_tree(l, parsed, &tree);
        if (r < 0)
                return r;
        if (ynode_get(tree, "appliance"))
                r = load_appliance(l, tree);
        else
                r = load_lone_role(l, tree);
        if (r < 0)
                return r;
        if (l->o->profile && !l->profile_seen) {
                struct mark m = {.file = l->a->file};
                const char *near = suggest(l->o->profile, (const char *const *)l->a->profiles,
                                           l->a->n_profiles);
                char list[256];

                names_join((const char *const *)l->a->profiles, l->a->n_profiles, list,
                           sizeof(list));
                if (near)
                        return diag_at(l->d, &m,
                                       "profile \"%s\" is not defined; did you mean \"%s\"? "
                                       "(expected one of: %s)",
                                       l->o->profile, near, list);
                return diag_at(
                        l->d, &m, "profile \"%s\" is not defined (expected %s%s)", l->o->profile,
                        l->a->n_profiles ? "one of: "
                                         : "a profiles: entry of that name; the recipe has none",
                        list);
        }
        return 0;
}

static int load_start(struct loader *l, const struct load_opts *o, const char *display,
                      struct appliance **out, struct diag *d)
{
        static const struct load_opts none;

        *out = NULL;
        l->o = o ? o : &none;
        l->yo.max_alias_nodes = l->o->max_alias_nodes;
        l->d = d;
        l->a = calloc(1, sizeof(*l->a));
        if (!l->a)
                return -ENOMEM;
        l->a->file = strdup(display);
        if (!l->a->file || !intern(l, display))
                return -ENOMEM;
        if (l->o->no_files)
                return 0;
        return confine_init(&l->cf, display, l->o->allow, l->o->n_allow, l->o->shipped, d);
}

static int load_end(struct loader *l, int r, size_t n_diag, struct appliance **out)
{
        confine_release(&l->cf);
        if (r >= 0 && l->d->n > n_diag)
                r = -EINVAL;
        if (r < 0) {
                appliance_free(l->a);
                return r;
        }
        *out = l->a;
        return 0;
}

int recipe_load(const char *path, const struct load_opts *o, struct appliance **out, struct diag *d)
{
        struct loader l = {0};
        size_t n_diag = d->n;
        struct ynode *t = NULL;
        int r;

        r = load_start(&l, o, path, out, d);
        if (r >= 0)
                r = push_frame(&l, l.a->files[0], NULL);
        if (r >= 0)
                r = yparse_file(l.a->files[0], l.a->files[0], &l.yo, &t, d);
        if (r >= 0)
                r = load_top(&l, t);
        return load_end(&l, r, n_diag, out);
}

int recipe_load_buf(const char *buf, size_t len, const char *display, const struct load_opts *o,
                    struct appliance **out, struct diag *d)
{
        struct loader l = {0};
        size_t n_diag = d->n;
        struct ynode *t = NULL;
        int r;

        r = load_start(&l, o, display, out, d);
        if (r >= 0)
                r = yparse_buf(buf, len, l.a->files[0], &l.yo, &t, d);
        if (r >= 0)
                r = load_top(&l, t);
        return load_end(&l, r, n_diag, out);
}

struct role *appliance_find_role(const struct appliance *a, const char *name)
{
        for (size_t i = 0; i < a->n_roles; i++)
                if (!strcmp(a->roles[i]->name, name))
                        return a->roles[i];
        if (a->host && !strcmp(a->host->name, name))
                return a->host;
        return NULL;
}
