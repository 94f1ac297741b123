/* test_stage.c: unit tests of root staging: a busybox role built by hand, its accounts, files,
 * services and times. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "stage/stage.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define EPOCH 1700000000ULL

static char scratch[64];
static char root[128];
static char work[128];

static int setup(void **state)
{
        strcpy(scratch, "/tmp/pocbake-st.XXXXXX");
        if (!mkdtemp(scratch))
                return -1;
        snprintf(root, sizeof(root), "%s/root", scratch);
        snprintf(work, sizeof(work), "%s/work", scratch);
        return (mkdir(root, 0755) < 0 || mkdir(work, 0755) < 0) ? -1 : 0;
}

static int teardown(void **state)
{
        return rm_rf(scratch);
}

static char *data(const char *name)
{
        const char *top = getenv("TOP");
        char *p = NULL;

        assert_true(asprintf(&p, "%s/test/data/stage/%s", top ? top : ".", name) > 0);
        return p;
}

static char *slurp(const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        char *s = NULL;

        if (read_file(p, &s, NULL) < 0)
                fail_msg("cannot read %s", rel);
        return s;
}

static void assert_has_line(const char *rel, const char *line)
{
        _cleanup_free_ char *s = slurp(rel);
        _cleanup_free_ char *l = NULL;

        assert_true(asprintf(&l, "\n%s\n", line) > 0);
        if (strncmp(s, l + 1, strlen(l + 1)) && !strstr(s, l))
                fail_msg("%s has no line \"%s\":\n%s", rel, line, s);
}

static void assert_node(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
        _cleanup_free_ char *p = path_join(root, rel);
        struct stat st;

        if (lstat(p, &st) < 0)
                fail_msg("%s: %s", rel, strerror(errno));
        if ((st.st_mode & (S_IFMT | 07777)) != mode || st.st_uid != uid || st.st_gid != gid)
                fail_msg("%s: mode 0%o %u:%u, want 0%o %u:%u", rel, st.st_mode, st.st_uid,
                         st.st_gid, mode, uid, gid);
}

static void assert_link(const char *rel, const char *target)
{
        _cleanup_free_ char *p = path_join(root, rel);
        char buf[PATH_MAX];
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);

        if (n < 0)
                fail_msg("%s: not a symlink", rel);
        buf[n] = 0;
        assert_string_equal(buf, target);
}

/* a and b are names of one inode (applets are hard links to busybox) */
static void assert_same_file(const char *a, const char *b)
{
        _cleanup_free_ char *pa = path_join(root, a);
        _cleanup_free_ char *pb = path_join(root, b);
        struct stat sa, sb;

        if (lstat(pa, &sa) < 0 || lstat(pb, &sb) < 0)
                fail_msg("%s or %s: %s", a, b, strerror(errno));
        if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
                fail_msg("%s is not a hard link to %s", a, b);
}

static const struct mark M = {"roles/web.yaml", 3, 5};

static char *ops_members[] = {"alice"};
static char *alice_groups[] = {"ops"};
static char *alice_keys[] = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEST alice@test"};

/* A role as the loader would give it, built by hand. */
static void base_role(struct role *r)
{
        static struct group_spec groups[1];
        static struct user_spec users[3];

        memset(r, 0, sizeof(*r));
        r->name = "Web01";
        r->base.kind = BASE_BUSYBOX;
        r->base.mark = M;
        r->mark = M;
        groups[0] = (struct group_spec){
                .name = "ops", .gid = 2000, .members = ops_members, .n_members = 1, .mark = M};
        users[0] = (struct user_spec){.name = "alice",
                                      .uid = -1,
                                      .groups = alice_groups,
                                      .n_groups = 1,
                                      .ssh_keys = alice_keys,
                                      .n_ssh_keys = 1,
                                      .mark = M};
        users[1] = (struct user_spec){.name = "bob",
                                      .uid = 1500,
                                      .group = "ops",
                                      .home = "/data/bob",
                                      .shell = "/bin/ash",
                                      .password_hash = "$6$salt$hash",
                                      .mark = M};
        /* as the loader fills it: group defaults to the user's own name */
        users[2] = (struct user_spec){.name = "dave", .uid = 1600, .group = "dave", .mark = M};
        r->groups = groups;
        r->n_groups = 1;
        r->users = users;
        r->n_users = 3;
}

static int stage(const struct role *r, struct diag *d)
{
        struct stage_opts o = {.epoch = EPOCH, .work = work};

        return stage_role(r, root, &o, d);
}

static uint64_t bad_times;

static int check_time(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        if ((uint64_t)st->st_mtime != EPOCH) {
                fprintf(stderr, "mtime of %s is %lld\n", path, (long long)st->st_mtime);
                bad_times++;
        }
        return 0;
}

/* busybox and its applets */
static void check_busybox(void)
{
        _cleanup_free_ char *bb = path_join(root, "bin/busybox");
        struct stat st, host;

        assert_int_equal(stat(bb, &st), 0);
        assert_int_equal(stat("/bin/busybox", &host), 0);
        assert_int_equal(st.st_size, host.st_size);
        assert_node("bin/busybox", S_IFREG | 0755, 0, 0);
        assert_same_file("bin/sh", "bin/busybox");
        assert_same_file("sbin/init", "bin/busybox");
        assert_same_file("usr/sbin/httpd", "bin/busybox");
        assert_true(st.st_nlink > 100); /* one name per applet */
        assert_node("tmp", S_IFDIR | 01777, 0, 0);
        assert_node("root", S_IFDIR | 0700, 0, 0);
        assert_node("proc", S_IFDIR | 0555, 0, 0);
        assert_node("var/log", S_IFDIR | 0755, 0, 0);
}

/* init: inittab lines, rcS, the init.d service linked for rcS */
static void check_init(void)
{
        assert_has_line("etc/inittab", "::sysinit:/etc/init.d/rcS");
        assert_has_line("etc/inittab", "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100");
        assert_has_line("etc/inittab", "tty1::respawn:/sbin/getty 38400 tty1");
        assert_has_line("etc/inittab", "::respawn:/usr/sbin/httpd -f -p 80 -h /usr/share/web");
        assert_has_line("etc/inittab", "::respawn:/sbin/syslogd -n");
        assert_has_line("etc/init.d/rcS", "echo 'pocbake: Web01 up'");
        assert_has_line("etc/init.d/rcS", "[ -e /proc/self ] || mount -t proc proc /proc");
        assert_has_line("etc/init.d/rcS", "ifconfig lo 127.0.0.1 up");
        assert_has_line("etc/init.d/S99pocbake-check",
                        "/usr/lib/pocbake/check >/dev/console 2>&1 &");
        assert_node("etc/init.d/rcS", S_IFREG | 0755, 0, 0);
        assert_link("etc/init.d/S50myd", "myd");
        assert_has_line("etc/hostname", "web01");
        assert_has_line("etc/hosts", "127.0.1.1\tweb01");
        assert_has_line("etc/os-release", "VARIANT_ID=web01");
        assert_has_line("etc/os-release", "ID=pocbake");
        assert_has_line("etc/os-release", "VERSION_ID=" POCBAKE_VERSION);
}

/* groups and users: ids picked, memberships, shadow days, homes and keys */
static void check_accounts(void)
{
        assert_has_line("etc/passwd", "root:x:0:0:root:/root:/bin/sh");
        assert_has_line("etc/passwd", "alice:x:1000:1000::/home/alice:/bin/sh");
        assert_has_line("etc/passwd", "bob:x:1500:2000::/data/bob:/bin/ash");
        assert_has_line("etc/group", "ops:x:2000:alice");
        assert_has_line("etc/group", "alice:x:1000:");
        assert_has_line("etc/group", "dave:x:1600:");
        assert_has_line("etc/passwd", "dave:x:1600:1600::/home/dave:/bin/sh");
        assert_has_line("etc/shadow", "root:!:19675:0:99999:7:::");
        assert_has_line("etc/shadow", "alice:!:19675:0:99999:7:::");
        assert_has_line("etc/shadow", "bob:$6$salt$hash:19675:0:99999:7:::");
        assert_node("etc/shadow", S_IFREG | 0600, 0, 0);
        assert_node("home/alice", S_IFDIR | 0700, 1000, 1000);
        assert_node("home/alice/.ssh", S_IFDIR | 0700, 1000, 1000);
        assert_node("home/alice/.ssh/authorized_keys", S_IFREG | 0600, 1000, 1000);
        assert_has_line("home/alice/.ssh/authorized_keys", alice_keys[0]);
        assert_node("data", S_IFDIR | 0755, 0, 0);
        assert_node("data/bob", S_IFDIR | 0700, 1500, 2000);
}

/* files, names resolved against the staged passwd and group */
static void check_files(void)
{
        _cleanup_free_ char *s = NULL;

        assert_node("etc/motd", S_IFREG | 0640, 1000, 2000);
        s = slurp("etc/motd");
        assert_string_equal(s, "hi\n");
        assert_node("opt", S_IFDIR | 0755, 0, 0);
        assert_node("opt/app", S_IFDIR | 0750, 1500, 2000);
        assert_link("usr/local/bin/sh2", "/bin/busybox");
        assert_node("etc/app.conf", S_IFREG | 0644, 0, 0);
        assert_has_line("etc/app.conf", "listen = 80");
}

/* overlays: the directory's files are root's, not the build host's owner */
static void check_overlays(void)
{
        assert_node("etc/init.d/myd", S_IFREG | 0755, 0, 0);
        assert_node("usr/share/web/index.html", S_IFREG | 0644, 0, 0);
        assert_link("usr/share/web/default.html", "index.html");
        assert_node("srv/data", S_IFREG | 0640, 1234, 2345);
}

/* every mtime is the epoch, links included */
static void check_times(void)
{
        bad_times = 0;
        assert_int_equal(nftw(root, check_time, 32, FTW_PHYS), 0);
        assert_int_equal(bad_times, 0);
}

static void test_busybox_role(void **state)
{
        _cleanup_free_ char *ovsrc = data("overlay-dir"), *good = data("good.tar"),
                            *conf = data("app.conf");
        _cleanup_free_ char *ov = path_join(scratch, "ov");
        const char *cp[] = {"cp", "-a", ovsrc, ov, NULL};
        const char *chown_[] = {"chown", "-R", "4321:4321", ov, NULL};
        struct overlay_spec overlays[2] = {{.path = ov, .mark = M}, {.path = good, .mark = M}};
        struct file_spec files[4] = {
                {.path = "/etc/motd",
                 .content = "hi\n",
                 .content_len = 3,
                 .mode = 0640,
                 .owner = "alice",
                 .group = "ops",
                 .mark = M},
                {.path = "/opt/app",
                 .type = FILE_DIRECTORY,
                 .mode = 0750,
                 .owner = "1500",
                 .group = "2000",
                 .mark = M},
                {.path = "/usr/local/bin/sh2",
                 .type = FILE_SYMLINK,
                 .target = "/bin/busybox",
                 .mark = M},
                {.path = "/etc/app.conf", .source = conf, .mark = M},
        };
        struct service_spec services[3] = {
                {.name = "web", .command = "/usr/sbin/httpd -f -p 80 -h /usr/share/web", .mark = M},
                {.name = "syslogd", .mark = M},
                {.name = "myd", .mark = M},
        };
        struct diag d = {0};
        struct role r;

        assert_int_equal(run_argv(cp, NULL, NULL), 0);
        assert_int_equal(run_argv(chown_, NULL, NULL), 0);
        base_role(&r);
        r.overlays = overlays;
        r.n_overlays = 2;
        r.files = files;
        r.n_files = 4;
        r.services = services;
        r.n_services = 3;
        if (stage(&r, &d) < 0)
                fail_msg("stage_role: %s", d.n ? d.msgs[0] : "(no message)");
        assert_int_equal(d.n, 0);
        check_busybox();
        check_init();
        check_accounts();
        check_files();
        check_overlays();
        check_times();
}

static void test_not_root(void **state)
{
        int p[2];
        pid_t pid;
        char buf[256] = {0};
        int status;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct diag d = {0};
                struct role r;
                int rr;

                close(p[0]);
                base_role(&r);
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(3);
                rr = stage(&r, &d);
                if (d.n && write(p[1], d.msgs[0], strlen(d.msgs[0])) < 0)
                        _exit(4);
                _exit(rr < 0 ? 0 : 5);
        }
        close(p[1]);
        assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_string_equal(
                buf, "staging a root needs root privileges to set file owners (run as root)");
}

static bool has_msg(const struct diag *d, const char *want)
{
        for (size_t i = 0; i < d->n; i++)
                if (!strcmp(d->msgs[i], want))
                        return true;
        for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "  have: %s\n", d->msgs[i]);
        fprintf(stderr, "  want: %s\n", want);
        return false;
}

static void test_check_errors(void **state)
{
        struct overlay_spec ov = {.path = "/nonexistent/ov", .mark = {"roles/web.yaml", 7, 3}};
        struct file_spec files[3] = {
                {.path = "etc/relative", .mark = {"roles/web.yaml", 9, 5}},
                {.path = "/etc/x", .source = "/nonexistent/src", .mark = {"roles/web.yaml", 10, 5}},
                {.path = "/etc//x", .content = "", .mark = {"roles/web.yaml", 11, 5}},
        };
        struct diag d = {0};
        struct role r;

        base_role(&r);
        r.overlays = &ov;
        r.n_overlays = 1;
        r.files = files;
        r.n_files = 3;
        assert_int_equal(stage_check(&r, &d), -EINVAL);
        assert_true(has_msg(
                &d, "roles/web.yaml:7:3: overlay \"/nonexistent/ov\": No such file or directory"));
        assert_true(has_msg(
                &d, "roles/web.yaml:9:5: file \"etc/relative\": expected an absolute path below / "
                    "without \"..\""));
        assert_true(has_msg(&d, "roles/web.yaml:10:5: file source: \"/nonexistent/src\": No such "
                                "file or directory"));
        assert_true(has_msg(
                &d, "roles/web.yaml:11:5: file \"/etc//x\": given twice (first at line 10)"));
        diag_release(&d);

        r.n_overlays = r.n_files = 0;
        r.base = (struct base_spec){
                .kind = BASE_TARBALL, .path = "/nonexistent/base.tar", .mark = M};
        assert_int_equal(stage_check(&r, &d), -EINVAL);
        assert_true(has_msg(&d, "roles/web.yaml:3:5: base tarball: \"/nonexistent/base.tar\": No "
                                "such file or directory"));
        diag_release(&d);
        r.base = (struct base_spec){.kind = BASE_MMDEBSTRAP, .mark = M};
        assert_int_equal(stage_check(&r, &d), -EINVAL);
        assert_true(has_msg(&d, "roles/web.yaml:3:5: base mmdebstrap: no suite given (expected "
                                "e.g. suite: bookworm)"));
        diag_release(&d);
}

static void expect_stage_error(const struct role *r, const char *want)
{
        struct diag d = {0};

        assert_int_not_equal(stage(r, &d), 0);
        assert_true(has_msg(&d, want));
        diag_release(&d);
}

static void test_hostile_overlay(void **state)
{
        const char *top = getenv("TOP");
        _cleanup_free_ char *tar = NULL, *want = NULL;
        struct overlay_spec ov = {.mark = M};
        struct role r;
        struct stat st;

        assert_true(asprintf(&tar, "%s/test/data/hostile/symlink-abs-through.tar",
                             top ? top : ".") > 0);
        assert_true(asprintf(&want,
                             "%s: entry \"evil/pocbake-evil\": path would go through the symlink "
                             "\"evil\" "
                             "inside the root",
                             tar) > 0);
        ov.path = tar;
        (void)unlink("/tmp/pocbake-evil");
        base_role(&r);
        r.overlays = &ov;
        r.n_overlays = 1;
        expect_stage_error(&r, want);
        assert_int_equal(lstat("/tmp/pocbake-evil", &st), -1);
}

static void test_dir_overlay_refusals(void **state)
{
        _cleanup_free_ char *ov = path_join(scratch, "bad-ov"), *f = NULL, *l = NULL, *want = NULL;
        struct overlay_spec o = {.path = ov, .mark = M};
        struct role r;

        f = path_join(ov, "bin/x");
        l = path_join(ov, "up");
        assert_int_equal(write_file_atomic(f, "x", 1, 04755), 0);
        base_role(&r);
        r.overlays = &o;
        r.n_overlays = 1;
        assert_true(asprintf(&want,
                             "%s: entry \"bin/x\": setuid bit not allowed (mode 4755; allow_setuid "
                             "is off)",
                             ov) > 0);
        expect_stage_error(&r, want);
        free(want);
        assert_int_equal(chmod(f, 0755), 0);
        assert_int_equal(symlink("../../etc", l), 0);
        assert_true(asprintf(&want,
                             "%s: entry \"up\": symlink target \"../../etc\" leaves the root",
                             ov) > 0);
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        expect_stage_error(&r, want);
}

static void test_bad_service_and_user(void **state)
{
        struct service_spec svc = {.name = "nosuch", .mark = M};
        struct service_spec applet = {.name = "vi", .mark = M};
        struct user_spec carol = {.name = "carol", .uid = -1, .group = "nosuch", .mark = M};
        struct file_spec file = {
                .path = "/etc/x", .content = "x", .content_len = 1, .owner = "nosuch", .mark = M};
        struct role r;

        base_role(&r);
        r.services = &svc;
        r.n_services = 1;
        expect_stage_error(&r, "roles/web.yaml:3:5: service \"nosuch\": no /etc/init.d/nosuch "
                               "script and no busybox "
                               "applet of that name (expected a script, an applet, or a command)");
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        r.services = &applet;
        expect_stage_error(
                &r,
                "roles/web.yaml:3:5: service \"vi\": busybox applet \"vi\" has no known foreground "
                "mode (give a command)");
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        base_role(&r);
        r.users = &carol;
        r.n_users = 1;
        /* the busybox base makes the names knowable: refused before staging */
        expect_stage_error(&r, "roles/web.yaml:3:5: group \"nosuch\" is not a group of this root "
                               "(expected one of: root, daemon, bin, sys, adm, tty, disk, wheel, "
                               "utmp, users, nogroup, carol, ops, or a number)");
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        base_role(&r);
        r.files = &file;
        r.n_files = 1;
        expect_stage_error(&r, "roles/web.yaml:3:5: owner \"nosuch\" is not a user of this root "
                               "(expected one of: root, daemon, nobody, alice, bob, dave, or a "
                               "number)");
}

/* An image base is customized in place by guest/; staging it as a tree is refused. */
static void test_image_not_staged(void **state)
{
        struct role r;

        base_role(&r);
        r.base = (struct base_spec){.kind = BASE_IMAGE, .path = "/bin/busybox", .mark = M};
        expect_stage_error(&r, "roles/web.yaml:3:5: base image: customized in place, not staged "
                               "into a root tree");
}

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
        _cleanup_free_ char *p = path_join(dir, rel);

        assert_int_equal(write_file_atomic(p, text, strlen(text), mode), 0);
}

/* A merged-/usr root with systemd: units are found through the /lib link. */
static void test_systemd_services(void **state)
{
        _cleanup_free_ char *sd = path_join(scratch, "sd"), *tarball = path_join(scratch, "sd.tar");
        _cleanup_free_ char *lib = path_join(sd, "lib");
        const char *tar[] = {"tar", "-C", sd, "--numeric-owner", "-cf", tarball, ".", NULL};
        struct service_spec svc[2] = {
                {.name = "ssh", .mark = M},
                {.name = "app", .command = "/usr/bin/app --serve", .mark = M}};
        struct service_spec missing = {.name = "nosuch", .mark = M};
        struct diag d = {0};
        struct role r;

        put(sd, "usr/lib/systemd/systemd", "#!/bin/true\n", 0755);
        put(sd, "usr/lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n",
            0644);
        put(sd, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
        assert_int_equal(symlink("usr/lib", lib), 0);
        assert_int_equal(run_argv(tar, NULL, NULL), 0);
        struct partition_spec parts[3] = {
                {.name = "esp", .fs = "vfat", .mountpoint = "/boot/efi", .mark = M},
                {.name = "root", .fs = "ext4", .mountpoint = "/", .mark = M},
                {.name = "data", .fs = "ext4", .mountpoint = "/srv/my data", .mark = M}};
        char want[128], uuid[UUID_STR];
        struct uuid u;

        memset(&r, 0, sizeof(r));
        r.name = "SD";
        r.base = (struct base_spec){.kind = BASE_TARBALL, .path = tarball, .mark = M};
        r.services = svc;
        r.n_services = 2;
        r.disk.partitions = parts;
        r.disk.n_partitions = 3;
        if (stage(&r, &d) < 0)
                fail_msg("stage_role: %s", d.msgs[0]);
        /* the role's identity and its disk's mounts */
        assert_has_line("etc/hostname", "sd");
        assert_has_line("etc/hosts", "127.0.1.1\tsd");
        uuid_derive(&u, "part", "SD", "root");
        uuid_format(&u, uuid);
        snprintf(want, sizeof(want), "PARTUUID=%s / ext4 defaults 0 1", uuid);
        assert_has_line("etc/fstab", want);
        uuid_derive(&u, "part", "SD", "esp");
        uuid_format(&u, uuid);
        snprintf(want, sizeof(want), "PARTUUID=%s /boot/efi vfat umask=0077,nofail 0 2", uuid);
        assert_has_line("etc/fstab", want);
        uuid_derive(&u, "part", "SD", "data");
        uuid_format(&u, uuid);
        /* a blank in a mount point is written as fstab(5) wants it */
        snprintf(want, sizeof(want), "PARTUUID=%s /srv/my\\040data ext4 defaults,nofail 0 2", uuid);
        assert_has_line("etc/fstab", want);
        assert_link("lib", "usr/lib");
        assert_link("etc/systemd/system/multi-user.target.wants/ssh.service",
                    "/lib/systemd/system/ssh.service");
        assert_link("etc/systemd/system/multi-user.target.wants/app.service",
                    "/etc/systemd/system/app.service");
        assert_has_line("etc/systemd/system/app.service", "ExecStart=/usr/bin/app --serve");
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        r.services = &missing;
        r.n_services = 1;
        expect_stage_error(&r,
                           "roles/web.yaml:3:5: service \"nosuch\": no unit \"nosuch.service\" in "
                           "/etc/systemd/system, /lib/systemd/system or /usr/lib/systemd/system");
}

/* Files of the packages land with their modes; maintainer scripts are not run. */
static void test_debs(void **state)
{
        _cleanup_free_ char *pkg = path_join(scratch, "pkg"), *deb = path_join(scratch, "t.deb");
        const char *build[] = {"dpkg-deb", "--root-owner-group", "-Zxz", "--build", pkg, deb, NULL};
        const char *modes[] = {"chmod", "-R", "go+rX", pkg, NULL};
        char *debs[] = {deb};
        struct diag d = {0};
        struct role r;
        struct stat st;
        _cleanup_free_ char *ran = path_join(root, "postinst-ran");

        put(pkg, "DEBIAN/control",
            "Package: t\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\n"
            "Description: test package\n",
            0644);
        put(pkg, "DEBIAN/postinst", "#!/bin/sh\ntouch /postinst-ran\n", 0755);
        put(pkg, "usr/share/t/hello", "hello\n", 0644);
        put(pkg, "usr/bin/tsu", "#!/bin/sh\n", 04755);
        assert_int_equal(run_argv(modes, NULL, NULL),
                         0); /* dpkg-deb wants 0755 dirs whatever the umask */
        assert_int_equal(run_argv(build, NULL, NULL), 0);
        memset(&r, 0, sizeof(r));
        r.name = "debs";
        r.base = (struct base_spec){.kind = BASE_DEBS, .debs = debs, .n_debs = 1, .mark = M};
        if (stage(&r, &d) < 0)
                fail_msg("stage_role: %s", d.msgs[0]);
        assert_node("usr/share/t/hello", S_IFREG | 0644, 0, 0);
        assert_node("usr/bin/tsu", S_IFREG | 04755, 0, 0);
        assert_int_equal(lstat(ran, &st), -1);
}

static void hash_role(const struct role *r, uint8_t out[SHA256_LEN])
{
        struct hasher h;
        struct diag d = {0};

        assert_int_equal(hasher_init(&h), 0);
        assert_int_equal(stage_hash_inputs(r, &h, &d), 0);
        assert_int_equal(hasher_final(&h, out), 0);
}

static void test_hash_inputs(void **state)
{
        _cleanup_free_ char *ov = path_join(scratch, "hash-ov"),
                            *conf = path_join(scratch, "src.conf");
        struct overlay_spec o = {.path = ov, .mark = M};
        struct file_spec f = {.path = "/etc/src.conf", .source = conf, .mark = M};
        uint8_t a[SHA256_LEN], b[SHA256_LEN], c[SHA256_LEN], e[SHA256_LEN];
        struct diag d = {0};
        struct hasher h;
        struct role r;

        put(ov, "etc/a", "one\n", 0644);
        put(scratch, "src.conf", "x=1\n", 0644);
        base_role(&r);
        r.overlays = &o;
        r.n_overlays = 1;
        r.files = &f;
        r.n_files = 1;
        hash_role(&r, a);
        hash_role(&r, b);
        assert_memory_equal(a, b, SHA256_LEN);
        put(ov, "etc/a", "two\n", 0644);
        hash_role(&r, c);
        assert_memory_not_equal(a, c, SHA256_LEN);
        put(scratch, "src.conf", "x=2\n", 0644);
        hash_role(&r, e);
        assert_memory_not_equal(c, e, SHA256_LEN);

        o.path = "/nonexistent/ov";
        assert_int_equal(hasher_init(&h), 0);
        assert_int_not_equal(stage_hash_inputs(&r, &h, &d), 0);
        hasher_release(&h);
        assert_true(has_msg(
                &d, "roles/web.yaml:3:5: overlay \"/nonexistent/ov\": No such file or directory"));
        diag_release(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_busybox_role, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_overlay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dir_overlay_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_service_and_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_image_not_staged, setup, teardown),
                cmocka_unit_test_setup_teardown(test_systemd_services, setup, teardown),
                cmocka_unit_test_setup_teardown(test_debs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hash_inputs, setup, teardown),
        };

        /* modes in the root must not depend on the umask of the build host */
        umask(077);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
