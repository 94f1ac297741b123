/* accounts.c: groups and users in the staged group, gshadow, passwd, shadow; homes, ssh keys. */
#include "steps.h"
#include "rootfs.h"
#include "util/cleanup.h"
#include "util/parse.h"
#include "util/suggest.h"
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One colon-separated database file, kept as lines. */
struct db {
        const char *path;
        char **lines;
        size_t n;
        bool exists;
};

static void db_release(struct db *db)
{
        for (size_t i = 0; i < db->n; i++)
                free(db->lines[i]);
        free(db->lines);
        db->lines = NULL;
        db->n = 0;
}

static int db_add(struct db *db, char *line)
{
        char **nl;

        if (!line)
                return -ENOMEM;
        nl = realloc(db->lines, (db->n + 1) * sizeof(*nl));
        if (!nl) {
                free(line);
                return -ENOMEM;
        }
        db->lines = nl;
        db->lines[db->n++] = line;
        return 0;
}

static int db_load(int rootfd, const char *path, struct db *db)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        int r = rootfs_read(rootfd, path, &text, NULL);

        memset(db, 0, sizeof(*db));
        db->path = path;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        db->exists = true;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                r = db_add(db, strdup(l));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Field i of a line, copied into buf (empty when missing). */
static const char *db_field(const char *line, int i, char *buf, size_t size)
{
        size_t l;

        while (i-- > 0 && line)
                line = (line = strchr(line, ':')) ? line + 1 : NULL;
        if (!line)
                line = "";
        l = strcspn(line, ":");
        if (l >= size)
                l = size - 1;
        memcpy(buf, line, l);
        buf[l] = 0;
        return buf;
}

static ssize_t db_find(const struct db *db, const char *name)
{
        size_t l = strlen(name);

        for (size_t i = 0; i < db->n; i++)
                if (!strncmp(db->lines[i], name, l) && db->lines[i][l] == ':')
                        return (ssize_t)i;
        return -1;
}

static long db_id(const struct db *db, size_t i)
{
        char buf[32];

        return strtol(db_field(db->lines[i], 2, buf, sizeof(buf)), NULL, 10);
}

/* The name owning id, or NULL. */
static const char *db_id_user(const struct db *db, long id, char *buf, size_t size)
{
        for (size_t i = 0; i < db->n; i++)
                if (db->lines[i][0] != '#' && db_id(db, i) == id)
                        return db_field(db->lines[i], 0, buf, size);
        return NULL;
}

/* Below 60000: the range Debian leaves to local accounts. */
static long db_next_free(const struct db *db, long from)
{
        char buf[2];

        for (long id = from; id < 60000; id++)
                if (!db_id_user(db, id, buf, sizeof(buf)))
                        return id;
        return -1;
}

static int db_save(int rootfd, const struct db *db, mode_t new_mode)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0, pos = 0;
        int r;

        for (size_t i = 0; i < db->n; i++)
                len += strlen(db->lines[i]) + 1;
        text = malloc(len + 1);
        if (!text)
                return -ENOMEM;
        for (size_t i = 0; i < db->n; i++) {
                size_t l = strlen(db->lines[i]);

                memcpy(text + pos, db->lines[i], l);
                text[pos + l] = '\n';
                pos += l + 1;
        }
        if (db->exists) {
                r = rootfs_rewrite(rootfd, db->path, text, len);
                if (r != -ENOENT)
                        return r;
        }
        return rootfs_write(rootfd, db->path, text, len, new_mode, 0, 0);
}

/* Add member to the last field of the named line (group or gshadow). */
static int db_add_member(struct db *db, const char *group, const char *member)
{
        ssize_t i = db_find(db, group);
        const char *last;
        char *nl;

        if (i < 0)
                return 0;
        last = strrchr(db->lines[i], ':') + 1;
        for (const char *m = last; *m;) {
                size_t l = strcspn(m, ",");

                if (l == strlen(member) && !strncmp(m, member, l))
                        return 0;
                m += l + (m[l] == ',');
        }
        if (asprintf(&nl, "%s%s%s", db->lines[i], *last ? "," : "", member) < 0)
                return -ENOMEM;
        free(db->lines[i]);
        db->lines[i] = nl;
        return 0;
}

struct accounts {
        struct db passwd, shadow, group, gshadow;
        unsigned long long days; /* last password change: the epoch, in days */
};

static char *join(char *const *v, size_t n)
{
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < n; i++)
                len += strlen(v[i]) + 1;
        s = calloc(1, len);
        for (size_t i = 0; s && i < n; i++) {
                if (i)
                        strcat(s, ",");
                strcat(s, v[i]);
        }
        return s;
}

static int add_group(struct accounts *a, const char *name, long gid, char *const *members, size_t n)
{
        _cleanup_free_ char *m = join(members, n);
        char *line = NULL;
        int r;

        if (!m || asprintf(&line, "%s:x:%ld:%s", name, gid, m) < 0)
                return -ENOMEM;
        r = db_add(&a->group, line);
        if (r < 0 || !a->gshadow.exists)
                return r;
        return db_add(&a->gshadow, asprintf(&line, "%s:!::%s", name, m) < 0 ? NULL : line);
}

static int apply_group(struct accounts *a, const struct group_spec *g, struct diag *d)
{
        long gid = (long)g->gid;
        char owner[256];

        if (db_find(&a->group, g->name) >= 0)
                return diag_at(d, &g->mark, "group \"%s\" already exists in the root", g->name);
        if (gid < 0)
                gid = db_next_free(&a->group, 1000);
        else if (db_id_user(&a->group, gid, owner, sizeof(owner)))
                return diag_at(d, &g->mark, "group \"%s\": gid %ld is already used by \"%s\"",
                               g->name, gid, owner);
        if (gid < 0)
                return diag_at(d, &g->mark, "group \"%s\": no free gid between 1000 and 59999",
                               g->name);
        if (add_group(a, g->name, gid, g->members, g->n_members) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return 0;
}

/* The user's primary gid: its group setting, else a group of its own name
 * (made here when the root has none, with gid = uid when that is free). */
static long primary_gid(struct accounts *a, const struct user_spec *u, long uid, struct diag *d)
{
        const char *name = u->group ? u->group : u->name;
        ssize_t i = db_find(&a->group, name);
        char buf[2];
        long gid;

        if (i >= 0)
                return db_id(&a->group, (size_t)i);
        /* the loader fills group with the user's own name when none is given */
        if (strcmp(name, u->name))
                return diag_at(d, &u->mark, "user \"%s\": group \"%s\" does not exist", u->name,
                               u->group);
        gid = db_id_user(&a->group, uid, buf, sizeof(buf)) ? db_next_free(&a->group, 1000) : uid;
        if (gid < 0)
                return diag_at(d, &u->mark, "user \"%s\": no free gid between 1000 and 59999",
                               u->name);
        if (add_group(a, name, gid, NULL, 0) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return gid;
}

static int apply_user(struct accounts *a, const struct user_spec *u, struct diag *d)
{
        _cleanup_free_ char *home = NULL;
        long uid = (long)u->uid, gid;
        char *line = NULL;
        char owner[256];

        if (db_find(&a->passwd, u->name) >= 0)
                return diag_at(d, &u->mark, "user \"%s\" already exists in the root", u->name);
        if (uid < 0)
                uid = db_next_free(&a->passwd, 1000);
        else if (db_id_user(&a->passwd, uid, owner, sizeof(owner)))
                return diag_at(d, &u->mark, "user \"%s\": uid %ld is already used by \"%s\"",
                               u->name, uid, owner);
        if (uid < 0)
                return diag_at(d, &u->mark, "user \"%s\": no free uid between 1000 and 59999",
                               u->name);
        gid = primary_gid(a, u, uid, d);
        if (gid < 0)
                return (int)gid;
        for (size_t i = 0; i < u->n_groups; i++) {
                if (db_find(&a->group, u->groups[i]) < 0)
                        return diag_at(d, &u->mark, "user \"%s\": group \"%s\" does not exist",
                                       u->name, u->groups[i]);
                if (db_add_member(&a->group, u->groups[i], u->name) < 0 ||
                    db_add_member(&a->gshadow, u->groups[i], u->name) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
        }
        if ((!u->home && asprintf(&home, "/home/%s", u->name) < 0) ||
            asprintf(&line, "%s:x:%ld:%ld::%s:%s", u->name, uid, gid, u->home ? u->home : home,
                     u->shell ? u->shell : "/bin/sh") < 0 ||
            db_add(&a->passwd, line) < 0 ||
            db_add(&a->shadow, asprintf(&line, "%s:%s:%llu:0:99999:7:::", u->name,
                                        u->password_hash ? u->password_hash : "!", a->days) < 0
                                       ? NULL
                                       : line) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return 0;
}

static int make_home(int rootfd, const struct user_spec *u, long uid, long gid, struct diag *d)
{
        _cleanup_free_ char *home = NULL, *name = NULL, *keys = NULL, *akeys = NULL;
        _cleanup_close_ int pfd = -1, fd = -1, sfd = -1;
        size_t len = 0;
        int r;

        if (u->home ? !(home = strdup(u->home)) : asprintf(&home, "/home/%s", u->name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        pfd = rootfs_parent(rootfd, home, &name);
        if (pfd < 0)
                return diag_at(d, &u->mark, "user \"%s\": home \"%s\": %s", u->name, home,
                               strerror(-pfd));
        if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
                return diag_at(d, &u->mark, "user \"%s\": home \"%s\": %s", u->name, home,
                               strerror(errno));
        /* O_NOFOLLOW: a home that the base made a symlink is not chowned through */
        fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchown(fd, (uid_t)uid, (gid_t)gid) < 0 || fchmod(fd, 0700) < 0)
                return diag_at(d, &u->mark, "user \"%s\": home \"%s\": %s", u->name, home,
                               strerror(errno));
        if (!u->n_ssh_keys)
                return 0;
        if (mkdirat(fd, ".ssh", 0700) < 0 && errno != EEXIST)
                return diag_at(d, &u->mark, "user \"%s\": \"%s/.ssh\": %s", u->name, home,
                               strerror(errno));
        sfd = openat(fd, ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0 || fchown(sfd, (uid_t)uid, (gid_t)gid) < 0 || fchmod(sfd, 0700) < 0)
                return diag_at(d, &u->mark, "user \"%s\": \"%s/.ssh\": %s", u->name, home,
                               strerror(errno));
        for (size_t i = 0; i < u->n_ssh_keys; i++)
                len += strlen(u->ssh_keys[i]) + 1;
        keys = calloc(1, len + 1);
        for (size_t i = 0; keys && i < u->n_ssh_keys; i++)
                strcat(strcat(keys, u->ssh_keys[i]), "\n");
        if (!keys || asprintf(&akeys, "%s/.ssh/authorized_keys", home) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = rootfs_write(rootfd, akeys, keys, len, 0600, (uid_t)uid, (gid_t)gid);
        if (r < 0)
                return diag_at(d, &u->mark, "user \"%s\": \"%s\": %s", u->name, akeys,
                               strerror(-r));
        return 0;
}

static void accounts_release(struct accounts *a)
{
        db_release(&a->passwd);
        db_release(&a->shadow);
        db_release(&a->group);
        db_release(&a->gshadow);
}

static int accounts_load(struct accounts *a, int rootfd)
{
        int r = db_load(rootfd, "/etc/passwd", &a->passwd);

        if (r >= 0)
                r = db_load(rootfd, "/etc/shadow", &a->shadow);
        if (r >= 0)
                r = db_load(rootfd, "/etc/group", &a->group);
        if (r >= 0)
                r = db_load(rootfd, "/etc/gshadow", &a->gshadow);
        return r;
}

static int accounts_save(struct accounts *a, int rootfd)
{
        int r = db_save(rootfd, &a->group, 0644);

        if (r >= 0 && a->gshadow.exists)
                r = db_save(rootfd, &a->gshadow, 0640);
        if (r >= 0)
                r = db_save(rootfd, &a->passwd, 0644);
        if (r >= 0)
                r = db_save(rootfd, &a->shadow, 0600);
        return r;
}

static int homes(const struct role *r, int rootfd, struct accounts *a, struct diag *d)
{
        for (size_t i = 0; i < r->n_users; i++) {
                ssize_t j = db_find(&a->passwd, r->users[i].name);
                char buf[32];
                long gid;
                int rr;

                if (j < 0)
                        return diag_err(d, -EIO, "user \"%s\" vanished from /etc/passwd",
                                        r->users[i].name);
                gid = strtol(db_field(a->passwd.lines[j], 3, buf, sizeof(buf)), NULL, 10);
                rr = make_home(rootfd, &r->users[i], db_id(&a->passwd, (size_t)j), gid, d);
                if (rr < 0)
                        return rr;
        }
        return 0;
}

int accounts_apply(const struct role *r, int rootfd, const struct stage_opts *o, struct diag *d)
{
        _cleanup_(accounts_release) struct accounts a = {
                .days = (unsigned long long)(o->epoch / 86400)};
        int rr;

        if (!r->n_groups && !r->n_users)
                return 0;
        rr = accounts_load(&a, rootfd);
        if (rr < 0)
                return diag_err(d, rr, "reading the root's account files: %s", strerror(-rr));
        /* every change in memory first: a bad entry leaves the files as they were */
        for (size_t i = 0; i < r->n_groups; i++) {
                rr = apply_group(&a, &r->groups[i], d);
                if (rr < 0)
                        return rr;
        }
        for (size_t i = 0; i < r->n_users; i++) {
                rr = apply_user(&a, &r->users[i], d);
                if (rr < 0)
                        return rr;
        }
        rr = accounts_save(&a, rootfd);
        if (rr < 0)
                return diag_err(d, rr, "writing the root's account files: %s", strerror(-rr));
        return homes(r, rootfd, &a, d);
}

int account_id(int rootfd, const char *dbpath, const char *name, long *id, long *gid)
{
        struct db db;
        uint64_t num;
        char buf[32];
        ssize_t i;
        int r;

        if (parse_uint(name, 0, LONG_MAX, &num) == 0) {
                *id = (long)num;
                if (gid)
                        *gid = -1; /* a bare number names no primary group */
                return 0;
        }
        r = db_load(rootfd, dbpath, &db);
        if (r < 0)
                return r;
        i = db_find(&db, name);
        if (i >= 0) {
                *id = db_id(&db, (size_t)i);
                if (gid)
                        *gid = strtol(db_field(db.lines[i], 3, buf, sizeof(buf)), NULL, 10);
        }
        db_release(&db);
        return i >= 0 ? 0 : -ENOENT;
}

static bool field_ok(const char *s)
{
        return s && !strpbrk(s, ":\n");
}

static bool name_ok(const char *s)
{
        return field_ok(s) && s[0] && !strpbrk(s, ", \t/") && s[0] != '-' && s[0] != '#';
}

#define NAMES_MAX 512

/* The names a root of r will have, when its base makes them knowable (busybox:
 * its own and the recipe's); false when they are not (a Debian root gets its
 * accounts from its packages). */
static bool known_names(const struct role *r, bool group, const char **names, size_t *n)
{
        if (r->base.kind != BASE_BUSYBOX)
                return false;
        *n = busybox_accounts(group, names, NAMES_MAX);
        for (size_t i = 0; i < r->n_users && *n < NAMES_MAX; i++)
                names[(*n)++] = r->users[i].name; /* a user's own group is named as the user */
        for (size_t i = 0; group && i < r->n_groups && *n < NAMES_MAX; i++)
                names[(*n)++] = r->groups[i].name;
        return true;
}

static bool known(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (names[i] && !strcmp(names[i], name))
                        return true;
        return false;
}

static bool numeric(const char *s)
{
        return s && *s && strspn(s, "0123456789") == strlen(s);
}

static int unknown_name(const struct mark *m, const char *what, const char *name, bool group,
                        const char *const *names, size_t n, struct diag *d)
{
        const char *near = suggest(name, names, n);
        char list[256];

        names_join(names, n, list, sizeof(list));
        if (near)
                return diag_at(d, m,
                               "%s \"%s\" is not a %s of this root; did you mean \"%s\"? "
                               "(expected one of: %s, or a number)",
                               what, name, group ? "group" : "user", near, list);
        return diag_at(d, m,
                       "%s \"%s\" is not a %s of this root (expected one of: %s, or a number)",
                       what, name, group ? "group" : "user", list);
}

/* File owners and groups, users' groups and groups' members that the root will
 * not have, where its base makes that knowable. */
static int check_names(const struct role *r, struct diag *d)
{
        _cleanup_free_ const char **users = calloc(NAMES_MAX, sizeof(*users));
        _cleanup_free_ const char **groups = calloc(NAMES_MAX, sizeof(*groups));
        size_t nu = 0, ng = 0;
        int bad = 0;

        if (!users || !groups)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!known_names(r, false, users, &nu) || !known_names(r, true, groups, &ng))
                return 0;
#define KNOWN(v, n, x) (numeric(x) || known(v, n, x))
        for (size_t i = 0; i < r->n_files; i++) {
                const struct file_spec *f = &r->files[i];

                if (f->owner && !KNOWN(users, nu, f->owner))
                        bad = unknown_name(&f->mark, "owner", f->owner, false, users, nu, d);
                if (f->group && !KNOWN(groups, ng, f->group))
                        bad = unknown_name(&f->mark, "group", f->group, true, groups, ng, d);
        }
        for (size_t i = 0; i < r->n_users; i++) {
                const struct user_spec *u = &r->users[i];

                if (u->group && !KNOWN(groups, ng, u->group))
                        bad = unknown_name(&u->mark, "group", u->group, true, groups, ng, d);
                for (size_t k = 0; k < u->n_groups; k++)
                        if (!KNOWN(groups, ng, u->groups[k]))
                                bad = unknown_name(&u->mark, "group", u->groups[k], true, groups,
                                                   ng, d);
        }
        for (size_t i = 0; i < r->n_groups; i++)
                for (size_t k = 0; k < r->groups[i].n_members; k++)
                        if (!KNOWN(users, nu, r->groups[i].members[k]))
                                bad = unknown_name(&r->groups[i].mark, "member",
                                                   r->groups[i].members[k], false, users, nu, d);
#undef KNOWN
        return bad;
}

int accounts_check(const struct role *r, struct diag *d)
{
        int bad = check_names(r, d) < 0 ? -EINVAL : 0;

        for (size_t i = 0; i < r->n_groups; i++) {
                const struct group_spec *g = &r->groups[i];

                if (!name_ok(g->name))
                        bad = diag_at(d, &g->mark,
                                      "group name \"%s\": expected a name without ':', ',', '/' or "
                                      "spaces",
                                      g->name ? g->name : "");
                for (size_t j = 0; j < g->n_members; j++)
                        if (!name_ok(g->members[j]))
                                bad = diag_at(d, &g->mark,
                                              "group \"%s\": member \"%s\" is not a user name",
                                              g->name, g->members[j]);
        }
        for (size_t i = 0; i < r->n_users; i++) {
                const struct user_spec *u = &r->users[i];

                if (!name_ok(u->name))
                        bad = diag_at(
                                d, &u->mark,
                                "user name \"%s\": expected a name without ':', ',', '/' or spaces",
                                u->name ? u->name : "");
                else if ((u->home && (!field_ok(u->home) || u->home[0] != '/')) ||
                         (u->shell && !field_ok(u->shell)) ||
                         (u->password_hash && !field_ok(u->password_hash)))
                        bad = diag_at(
                                d, &u->mark,
                                "user \"%s\": home, shell and password hash must not hold ':' "
                                "or a newline (and home must be absolute)",
                                u->name);
                for (size_t j = 0; j < u->n_ssh_keys; j++)
                        if (strchr(u->ssh_keys[j], '\n'))
                                bad = diag_at(d, &u->mark,
                                              "user \"%s\": ssh key %zu holds a newline (expected "
                                              "one key per item)",
                                              u->name, j + 1);
        }
        return bad;
}
