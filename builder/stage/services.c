/* services.c: services enabled in the staged root: systemd unit links, or busybox init lines. */
#include "steps.h"
#include "stage.h"
#include "rootfs.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const unit_dirs[] = {"/etc/systemd/system", "/lib/systemd/system",
                                        "/usr/lib/systemd/system"};

char *stage_service_unit(const struct service_spec *s)
{
        char *text;

        if (asprintf(&text,
                     "# written by pocbake for the recipe's service "
                     "\"%s\"\n[Unit]\nDescription=%s\n\n"
                     "[Service]\nExecStart=%s\nRestart=always\n\n[Install]\nWantedBy=multi-user."
                     "target\n",
                     s->name, s->name, s->command) < 0)
                return NULL;
        return text;
}

/* A service with a command gets a unit of its own, for symmetry with busybox roots. */
static int write_unit(int rootfd, const struct service_spec *s, const char *unit)
{
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (asprintf(&path, "/etc/systemd/system/%s", unit) < 0 || !(text = stage_service_unit(s)))
                return -ENOMEM;
        return rootfs_write(rootfd, path, text, strlen(text), 0644, 0, 0);
}

static int enable_unit(int rootfd, const struct service_spec *s, struct diag *d)
{
        _cleanup_free_ char *unit = NULL, *found = NULL, *link = NULL;
        int r;

        if (asprintf(&unit, "%s%s", s->name, strchr(s->name, '.') ? "" : ".service") < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        if (s->command) {
                r = write_unit(rootfd, s, unit);
                if (r < 0)
                        return diag_at(d, &s->mark, "service \"%s\": writing its unit: %s", s->name,
                                       strerror(-r));
        }
        for (size_t i = 0; i < ARRAY_SIZE(unit_dirs) && !found; i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s", unit_dirs[i], unit) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (rootfs_exists(rootfd, p) > 0)
                        found = TAKE_PTR(p);
        }
        if (!found)
                return diag_at(d, &s->mark,
                               "service \"%s\": no unit \"%s\" in /etc/systemd/system, "
                               "/lib/systemd/system "
                               "or /usr/lib/systemd/system",
                               s->name, unit);
        if (asprintf(&link, "/etc/systemd/system/multi-user.target.wants/%s", unit) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        r = rootfs_symlink(rootfd, link, found);
        if (r < 0)
                return diag_at(d, &s->mark, "service \"%s\": \"%s\": %s", s->name, link,
                               strerror(-r));
        return 0;
}

/* Applets that stay in the foreground with a flag: init respawns them. */
static const struct {
        const char *applet, *flag;
} foreground[] = {
        {"syslogd", "-n"}, {"klogd", "-n"}, {"crond", "-f"},   {"httpd", "-f"},
        {"telnetd", "-F"}, {"ntpd", "-n"},  {"udhcpd", "-f"},  {"udhcpc", "-f"},
        {"inetd", "-f"},   {"acpid", "-f"}, {"ifplugd", "-n"}, {"watchdog", "-F"},
};

/* "/sbin/NAME" when the root has NAME in one of the usual places as a link to busybox:
 * a symlink naming busybox, or a hard link to the root's /bin/busybox. */
static char *applet_path(int rootfd, const char *name)
{
        static const char *const dirs[] = {"/bin", "/sbin", "/usr/bin", "/usr/sbin"};
        _cleanup_close_ int bb = rootfs_open(rootfd, "/bin/busybox", O_PATH, 0);
        struct stat bst;
        bool have_bb = bb >= 0 && fstat(bb, &bst) == 0 && S_ISREG(bst.st_mode);

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                _cleanup_close_ int dfd = rootfs_open(rootfd, dirs[i], O_PATH | O_DIRECTORY, 0);
                char t[PATH_MAX];
                const char *base;
                struct stat st;
                ssize_t n;
                char *p = NULL;

                if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode)) {
                        if (!have_bb || st.st_dev != bst.st_dev || st.st_ino != bst.st_ino)
                                continue;
                } else {
                        if ((n = readlinkat(dfd, name, t, sizeof(t) - 1)) < 0)
                                continue;
                        t[n] = 0;
                        base = strrchr(t, '/');
                        if (strcmp(base ? base + 1 : t, "busybox"))
                                continue;
                }
                return asprintf(&p, "%s/%s", dirs[i], name) < 0 ? NULL : p;
        }
        return NULL;
}

/* A script of /etc/init.d: linked as S50NAME, which rcS starts. */
static int initd_service(int rootfd, const struct service_spec *s, struct diag *d)
{
        _cleanup_free_ char *script = NULL, *link = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (asprintf(&script, "/etc/init.d/%s", s->name) < 0 ||
            asprintf(&link, "/etc/init.d/S50%s", s->name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        fd = rootfs_open(rootfd, script, O_PATH, 0);
        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                return diag_at(d, &s->mark, "service \"%s\": \"%s\" is not an executable file",
                               s->name, script);
        r = rootfs_symlink(rootfd, link, s->name);
        if (r < 0)
                return diag_at(d, &s->mark, "service \"%s\": \"%s\": %s", s->name, link,
                               strerror(-r));
        return 1;
}

/* The inittab line for s, or NULL with *handled when it was an init.d script. */
static int busybox_service(int rootfd, const struct service_spec *s, char **line, struct diag *d)
{
        _cleanup_free_ char *applet = NULL;
        int r;

        *line = NULL;
        if (s->command)
                return asprintf(line, "::respawn:%s\n", s->command) < 0 ? -ENOMEM : 0;
        r = initd_service(rootfd, s, d);
        if (r != 0)
                return r < 0 ? r : 0;
        applet = applet_path(rootfd, s->name);
        if (!applet)
                return diag_at(d, &s->mark,
                               "service \"%s\": no /etc/init.d/%s script and no busybox applet of "
                               "that name "
                               "(expected a script, an applet, or a command)",
                               s->name, s->name);
        for (size_t i = 0; i < ARRAY_SIZE(foreground); i++)
                if (!strcmp(foreground[i].applet, s->name))
                        return asprintf(line, "::respawn:%s %s\n", applet, foreground[i].flag) < 0
                                       ? -ENOMEM
                                       : 0;
        return diag_at(d, &s->mark,
                       "service \"%s\": busybox applet \"%s\" has no known foreground mode (give a "
                       "command)",
                       s->name, s->name);
}

static int busybox_services(const struct role *r, int rootfd, struct diag *d)
{
        _cleanup_free_ char *tab = NULL;
        size_t len = 0;
        int rr = rootfs_read(rootfd, "/etc/inittab", &tab, &len);

        if (rr < 0)
                return diag_at(d, &r->services[0].mark,
                               "service \"%s\": the root has neither systemd nor /etc/inittab "
                               "(expected a busybox or systemd base)",
                               r->services[0].name);
        if (len && tab[len - 1] != '\n') {
                char *nt = realloc(tab, len + 2);

                if (!nt)
                        return diag_err(d, -ENOMEM, "out of memory");
                tab = nt;
                tab[len++] = '\n';
                tab[len] = 0;
        }
        for (size_t i = 0; i < r->n_services; i++) {
                _cleanup_free_ char *line = NULL;
                char *nt;

                rr = busybox_service(rootfd, &r->services[i], &line, d);
                if (rr < 0)
                        return rr == -ENOMEM ? diag_err(d, rr, "out of memory") : rr;
                if (!line)
                        continue;
                nt = realloc(tab, len + strlen(line) + 1);
                if (!nt)
                        return diag_err(d, -ENOMEM, "out of memory");
                tab = nt;
                strcpy(tab + len, line);
                len += strlen(line);
        }
        rr = rootfs_rewrite(rootfd, "/etc/inittab", tab, len);
        return rr < 0 ? diag_err(d, rr, "writing /etc/inittab: %s", strerror(-rr)) : 0;
}

int services_apply(const struct role *r, int rootfd, struct diag *d)
{
        if (!r->n_services)
                return 0;
        if (!rootfs_is_systemd(rootfd))
                return busybox_services(r, rootfd, d);
        for (size_t i = 0; i < r->n_services; i++) {
                int rr = enable_unit(rootfd, &r->services[i], d);

                if (rr < 0)
                        return rr;
        }
        return 0;
}
