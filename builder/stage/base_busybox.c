/* base_busybox.c: a minimal root of Debian's busybox-static, its applet links and busybox init. */
#include "base.h"
#include "rootfs.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"
#include "util/hash.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"

/* A dynamically linked busybox would not run in a root without its libraries:
 * look for a PT_INTERP program header. 1 static, 0 dynamic, <0 unreadable. */
static int elf_is_static(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        Elf64_Ehdr eh;

        if (fd < 0)
                return -errno;
        if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
            memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
            eh.e_phentsize != sizeof(Elf64_Phdr))
                return -ENOEXEC;
        for (unsigned i = 0; i < eh.e_phnum; i++) {
                Elf64_Phdr ph;

                if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
                    (ssize_t)sizeof(ph))
                        return -ENOEXEC;
                if (ph.p_type == PT_INTERP)
                        return 0;
        }
        return 1;
}

static int bb_check(const struct role *r, struct diag *d)
{
        int s = elf_is_static(BUSYBOX);

        if (s == -ENOENT)
                return diag_at(
                        d, &r->base.mark,
                        "base busybox: \"%s\" not found (install the busybox-static package)",
                        BUSYBOX);
        if (s < 0)
                return diag_at(d, &r->base.mark, "base busybox: \"%s\": %s", BUSYBOX,
                               s == -ENOEXEC ? "not a 64-bit ELF executable" : strerror(-s));
        if (s == 0)
                return diag_at(
                        d, &r->base.mark,
                        "base busybox: \"%s\" is dynamically linked (install busybox-static)",
                        BUSYBOX);
        return 0;
}

static int bb_hash(const struct role *r, struct hasher *h, struct diag *d)
{
        return base_hash_file(&r->base.mark, "base busybox", BUSYBOX, h, d);
}

static const struct {
        const char *path;
        mode_t mode;
} bb_dirs[] = {
        {"bin", 0755},        {"sbin", 0755}, {"usr/bin", 0755}, {"usr/sbin", 0755},
        {"etc/init.d", 0755}, {"dev", 0755},  {"proc", 0555},    {"sys", 0555},
        {"run", 0755},        {"tmp", 01777}, {"root", 0700},    {"var/log", 0755},
        {"home", 0755},       {"mnt", 0755},
};

#define BB_REL "bin/busybox"

static int bb_copy_binary(int rootfd)
{
        _cleanup_close_ int in = open(BUSYBOX, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int bin = rootfs_open(rootfd, "bin", O_RDONLY | O_DIRECTORY, 0);
        _cleanup_close_ int out = -1;
        struct stat st;
        int r;

        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        if (bin < 0)
                return bin;
        /* a copy, not a hard link: owners and times are changed in the root */
        out = openat(bin, "busybox", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (out < 0)
                return -errno;
        if (ftruncate(out, st.st_size) < 0)
                return -errno;
        r = copy_sparse_range(in, 0, out, 0, st.st_size);
        if (r < 0)
                return r;
        return (fchown(out, 0, 0) < 0 || fchmod(out, 0755) < 0) ? -errno : 0;
}

/* One link per applet at the place busybox itself lists, all hard links to
 * /bin/busybox as `busybox --install` makes them: a directory entry each, no inode
 * (every step after this one replaces a path by unlink or rename, never writes
 * through it). */
static int bb_link_applets(int rootfd, struct diag *d)
{
        const char *const argv[] = {BUSYBOX, "--list-full", NULL};
        _cleanup_free_ char *list = NULL;
        char *save = NULL;
        int r = run_capture(argv, NULL, &list, d);

        if (r < 0)
                return r;
        for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                const char *base = strrchr(l, '/');

                /* --list-full names busybox itself: a link there would replace the binary */
                if (!l[0] || !strcmp(base ? base + 1 : l, "busybox"))
                        continue;
                r = rootfs_hardlink(rootfd, l, BB_REL);
                if (r < 0)
                        return diag_err(d, r, "base busybox: applet link \"/%s\": %s", l,
                                        strerror(-r));
        }
        if (!rootfs_exists(rootfd, "sbin/init")) {
                r = rootfs_hardlink(rootfd, "sbin/init", BB_REL);
                if (r < 0)
                        return diag_err(d, r, "base busybox: \"/sbin/init\": %s", strerror(-r));
        }
        return 0;
}

static const char bb_inittab[] = "# /etc/inittab: busybox init, written by pocbake\n"
                                 "::sysinit:/etc/init.d/rcS\n"
                                 "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100\n"
                                 "tty1::respawn:/sbin/getty 38400 tty1\n"
                                 "::ctrlaltdel:/sbin/reboot\n"
                                 "::shutdown:/bin/umount -a -r\n"
                                 "# services\n";

static char *bb_rcs(const struct role *r)
{
        _cleanup_free_ char *msg = NULL, *q = NULL;
        char *s = NULL;

        if (asprintf(&msg, "pocbake: %s up", r->name) < 0 || !(q = sh_quote(msg)))
                return NULL;
        if (asprintf(&s,
                     "#!/bin/sh\n"
                     "# /etc/init.d/rcS: run once by busybox init at boot; written by pocbake\n"
                     "# pocbake's initrd moves /proc, /sys and /dev over; a direct boot has none\n"
                     "[ -e /proc/self ] || mount -t proc proc /proc\n"
                     "grep -q ' /sys ' /proc/mounts || mount -t sysfs sysfs /sys\n"
                     "grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev\n"
                     "mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run\n"
                     "mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp\n"
                     "[ -r /etc/hostname ] && hostname -F /etc/hostname\n"
                     "ifconfig lo 127.0.0.1 up\n"
                     "for s in /etc/init.d/S*; do\n"
                     "        [ -x \"$s\" ] && \"$s\" start\n"
                     "done\n"
                     "echo %s\n",
                     q) < 0)
                return NULL;
        return s;
}

static char *bb_os_release(const struct role *r)
{
        _cleanup_free_ char *variant = strdup(r->name);
        char *s = NULL;

        if (!variant)
                return NULL;
        /* os-release(5): VARIANT_ID is lower-case letters, digits, "._-" */
        for (char *c = variant; *c; c++) {
                *c = (char)tolower((unsigned char)*c);
                if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
                        *c = '-';
        }
        if (asprintf(&s,
                     "NAME=pocbake\nID=pocbake\nVERSION_ID=%s\nVARIANT_ID=%s\n"
                     "PRETTY_NAME=\"pocbake %s (%s)\"\n",
                     POCBAKE_VERSION, variant, POCBAKE_VERSION, variant) < 0)
                return NULL;
        return s;
}

static const char bb_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

static const char bb_group[] =
        "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\n"
        "disk:x:6:\nwheel:x:10:\nutmp:x:43:\nusers:x:100:\nnogroup:x:65534:\n";

/* The account names the busybox root starts with: user names (group false) or
 * group names, at most max into names; how many. */
size_t busybox_accounts(bool group, const char **names, size_t max)
{
        static const char *const users[] = {"root", "daemon", "nobody"};
        static const char *const groups[] = {"root", "daemon", "bin",  "sys",   "adm",    "tty",
                                             "disk", "wheel",  "utmp", "users", "nogroup"};
        const char *const *v = group ? groups : users;
        size_t n = group ? ARRAY_SIZE(groups) : ARRAY_SIZE(users), k = 0;

        for (; k < n && k < max; k++)
                names[k] = v[k];
        return k;
}

struct bb_file {
        const char *path;
        char *text;
        mode_t mode;
};

static int bb_etc(const struct role *r, int rootfd, const struct stage_opts *o, struct diag *d)
{
        _cleanup_free_ char *host = stage_hostname(r);
        unsigned long long days = (unsigned long long)(o->epoch / 86400);
        struct bb_file f[] = {
                {"etc/inittab", strdup(bb_inittab), 0644},
                {"etc/init.d/rcS", bb_rcs(r), 0755},
                {"etc/passwd", strdup(bb_passwd), 0644},
                {"etc/group", strdup(bb_group), 0644},
                {"etc/shadow", NULL, 0600},
                {"etc/hostname", NULL, 0644},
                {"etc/hosts", NULL, 0644},
                {"etc/os-release", bb_os_release(r), 0644},
        };
        int r2 = 0;

        /* root is locked: access is by ssh key or console autologin set up by the recipe */
        if (asprintf(&f[4].text,
                     "root:!:%llu:0:99999:7:::\ndaemon:*:%llu:0:99999:7:::\n"
                     "nobody:*:%llu:0:99999:7:::\n",
                     days, days, days) < 0)
                f[4].text = NULL;
        if (host && asprintf(&f[5].text, "%s\n", host) < 0)
                f[5].text = NULL;
        if (host && asprintf(&f[6].text,
                             "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n"
                             "::1\tlocalhost ip6-localhost ip6-loopback\n",
                             host) < 0)
                f[6].text = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
                if (r2 >= 0 && !f[i].text)
                        r2 = diag_err(d, -ENOMEM, "base busybox: out of memory");
                if (r2 >= 0) {
                        r2 = rootfs_write(rootfd, f[i].path, f[i].text, strlen(f[i].text),
                                          f[i].mode, 0, 0);
                        if (r2 < 0)
                                diag_err(d, r2, "base busybox: \"/%s\": %s", f[i].path,
                                         strerror(-r2));
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(f); i++)
                free(f[i].text);
        return r2;
}

static int bb_make(const struct role *r, const char *root, const struct stage_opts *o,
                   struct diag *d)
{
        _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rr;

        if (rootfd < 0)
                return diag_err(d, -errno, "base busybox: root \"%s\": %s", root, strerror(errno));
        for (size_t i = 0; i < ARRAY_SIZE(bb_dirs); i++) {
                int fd = rootfs_mkdirs(rootfd, bb_dirs[i].path, bb_dirs[i].mode);

                if (fd < 0)
                        return diag_err(d, fd, "base busybox: \"/%s\": %s", bb_dirs[i].path,
                                        strerror(-fd));
                close(fd);
        }
        rr = bb_copy_binary(rootfd);
        if (rr < 0)
                return diag_err(d, rr, "base busybox: copying \"%s\": %s", BUSYBOX, strerror(-rr));
        rr = bb_link_applets(rootfd, d);
        if (rr < 0)
                return rr;
        return bb_etc(r, rootfd, o, d);
}

const struct base_source base_busybox = {
        .kind = BASE_BUSYBOX,
        .name = "busybox",
        .check = bb_check,
        .hash = bb_hash,
        .make = bb_make,
};
