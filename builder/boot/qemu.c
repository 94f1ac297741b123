/* qemu.c: QEMU launch with a firmware profile, serial log watching, and cleanup. */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define ARGV_MAX 160

struct profile {
        char *code, *vars, *machine, *machine_args;
};

static void profile_release(struct profile *p)
{
        free(p->code);
        free(p->vars);
        free(p->machine);
        free(p->machine_args);
}

/* firmware/qemu/NAME.profile: KEY=VALUE lines (shell syntax, shared with the
 * test scripts); values may be in double quotes. */
static int profile_load(const char *name, struct profile *p, struct diag *d)
{
        _cleanup_free_ char *rel = NULL, *path = NULL, *text = NULL;
        char *save = NULL;

        memset(p, 0, sizeof(*p));
        if (strchr(name, '/') || asprintf(&rel, "firmware/qemu/%s.profile", name) < 0)
                return diag_err(d, -EINVAL,
                                "firmware \"%s\": expected a profile name such as "
                                "ovmf-secboot, ovmf or seabios",
                                name);
        path = data_path(rel);
        if (!path || read_file(path, &text, NULL) < 0)
                return diag_err(d, -ENOENT,
                                "firmware \"%s\": no %s (expected ovmf-secboot, ovmf "
                                "or seabios)",
                                name, rel);
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(l, '='), *v;
                size_t n;

                if (l[0] == '#' || !eq)
                        continue;
                *eq = 0;
                v = eq + 1;
                n = strlen(v);
                if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                        v[n - 1] = 0;
                        v++;
                }
                v = *v ? strdup(v) : NULL;
                if (!strcmp(l, "FIRMWARE_CODE"))
                        p->code = v;
                else if (!strcmp(l, "FIRMWARE_VARS_TEMPLATE"))
                        p->vars = v;
                else if (!strcmp(l, "MACHINE"))
                        p->machine = v;
                else if (!strcmp(l, "MACHINE_ARGS"))
                        p->machine_args = v;
                else
                        free(v);
        }
        if (!p->machine)
                return diag_err(d, -EINVAL, "%s: no MACHINE line", path);
        return 0;
}

const char *boot_accel(const char *accel)
{
        int fd;

        if (accel && strcmp(accel, "auto"))
                return accel;
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return "tcg";
        close(fd);
        return "kvm";
}

static const char *format_of(const struct boot_run *b)
{
        const char *dot = strrchr(b->image, '.');

        if (b->format)
                return b->format;
        if (dot && (!strcmp(dot, ".qcow2") || !strcmp(dot, ".vhdx")))
                return dot + 1;
        return "raw";
}

struct argv_buf {
        const char *v[ARGV_MAX];
        char *owned[64];
        size_t n, n_owned;
};

static void add(struct argv_buf *a, const char *s)
{
        if (a->n < ARGV_MAX - 1)
                a->v[a->n++] = s;
}

static void __attribute__((format(printf, 2, 3))) addf(struct argv_buf *a, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        int r;

        if (a->n_owned >= ARRAY_SIZE(a->owned))
                return;
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r >= 0) {
                a->owned[a->n_owned++] = s;
                add(a, s);
        }
}

/* The words of MACHINE_ARGS are split on spaces: it holds flags only. */
static void add_words(struct argv_buf *a, char *words)
{
        char *save = NULL;

        for (char *w = words ? strtok_r(words, " ", &save) : NULL; w;
             w = strtok_r(NULL, " ", &save))
                add(a, w);
}

static void build_argv(struct argv_buf *a, const struct boot_run *b, struct profile *p,
                       const char *vars, const char *log, const char *mem)
{
        add(a, "qemu-system-x86_64");
        add(a, "-accel");
        add(a, boot_accel(b->accel));
        add(a, "-m");
        add(a, mem);
        add(a, "-smp");
        addf(a, "%u", b->cpus ? b->cpus : 1);
        add(a, "-machine");
        add(a, p->machine);
        add_words(a, p->machine_args);
        if (p->code) {
                add(a, "-drive");
                addf(a, "if=pflash,format=raw,unit=0,readonly=on,file=%s", p->code);
                add(a, "-drive");
                addf(a, "if=pflash,format=raw,unit=1,file=%s", vars);
        }
        add(a, "-display");
        add(a, "none");
        add(a, "-monitor");
        add(a, "none");
        add(a, "-serial");
        addf(a, "file:%s", log);
        if (b->pxe_dir) {
                /* romfile= drops the NIC's iPXE ROM so OVMF's own stack (which checks
                 * Secure Boot signatures) loads the file; SeaBIOS needs the ROM */
                add(a, "-netdev");
                addf(a, "user,id=n0,tftp=%s,bootfile=%s", b->pxe_dir, b->bootfile);
                add(a, "-device");
                /* an installer's target comes first: blank, the firmware moves on to the
                 * NIC; installed, the machine reboots into it */
                addf(a, "virtio-net-pci,netdev=n0,bootindex=%d%s", b->disk ? 1 : 0,
                     p->code ? ",romfile=" : "");
                /* OVMF also tries PXE and HTTP boot over IPv6, each ~60 s to time out on
                 * QEMU's user network; a store whose boot order lists them first waits that long */
                if (p->code) {
                        add(a, "-fw_cfg");
                        add(a, "name=opt/org.tianocore/IPv6Support,string=no");
                }
        } else if (b->n_nics) {
                for (size_t i = 0; i < b->n_nics; i++) {
                        const char *m = b->nics[i].model;

                        add(a, "-netdev");
                        addf(a, "tap,id=n%zu,ifname=%s,script=no,downscript=no", i, b->nics[i].tap);
                        add(a, "-device");
                        addf(a, "%s,netdev=n%zu,mac=%s,romfile=",
                             !m || !strcmp(m, "virtio") ? "virtio-net-pci" : m, i, b->nics[i].mac);
                }
        } else if (b->nic) {
                /* the role's NIC as libvirt would give it, without the host's services
                 * (restrict=on) and without a boot ROM (the disk boots) */
                add(a, "-netdev");
                add(a, "user,id=n0,restrict=on");
                add(a, "-device");
                add(a, "virtio-net-pci,netdev=n0,romfile=");
        } else {
                add(a, "-net");
                add(a, "none");
        }
        if (b->disk && b->pxe_dir) {
                add(a, "-drive");
                addf(a, "if=none,id=target,format=raw,file=%s", b->disk);
                add(a, "-device");
                add(a, "virtio-blk-pci,drive=target,bootindex=0");
        } else if (b->disk) {
                add(a, "-drive");
                addf(a, "if=virtio,format=raw,file=%s", b->disk);
        }
        if (!b->image) {
                /* network boot only */
        } else if (b->media == BOOT_CDROM) {
                add(a, "-drive");
                addf(a, "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=%s", b->image);
                add(a, "-device");
                add(a, "ide-cd,drive=cd,bootindex=0");
        } else if (b->media == BOOT_USB) {
                add(a, "-device");
                add(a, "qemu-xhci");
                add(a, "-drive");
                addf(a, "if=none,id=u,snapshot=on,format=%s,file=%s", format_of(b), b->image);
                add(a, "-device");
                add(a, "usb-storage,drive=u,bootindex=0");
        } else {
                add(a, "-drive");
                addf(a, "if=virtio,snapshot=on,format=%s,file=%s", format_of(b), b->image);
        }
        /* after the boot disk, so that the firmware tries that one first */
        if (b->checks) {
                add(a, "-drive");
                addf(a, "if=none,id=chk,format=raw,readonly=on,file=%s", b->checks);
                add(a, "-device");
                add(a, "virtio-blk-pci,drive=chk,serial=pocbake-checks");
        }
        a->v[a->n] = NULL;
}

double boot_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Scan what the console printed so far; copy the new part to stdout if asked. */
size_t boot_console_clean(char *text, size_t len)
{
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)text[i];

                if (c == 0x1b && i + 1 < len && text[i + 1] == '[') {
                        /* CSI: parameters and intermediates, then one final byte */
                        for (i += 2; i < len && !((unsigned char)text[i] >= 0x40 &&
                                                  (unsigned char)text[i] <= 0x7e);
                             i++)
                                ;
                        continue;
                }
                if (c == 0x1b) {
                        i++; /* a two-byte escape */
                        continue;
                }
                if (c == '\r' || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                        continue;
                text[o++] = (char)c;
        }
        text[o] = 0;
        return o;
}

/* What on the console ends a boot that will not reach its check: found at
 * once, not at the timeout. */
static const struct {
        const char *text;
        int rc;
} stops[] = {
        {"Access Denied", -EACCES},
        {"UEFI Interactive Shell", -ENOEXEC},
        {"No bootable option or device was found", -ENODEV},
        {"No bootable device", -ENODEV},
};

int boot_scan(const struct boot_run *b, const struct boot_vm *vm, size_t *shown)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        if (read_file(vm->log, &text, &len) < 0)
                return 1;
        if (b->console && len > *shown) {
                char *part = strndup(text + *shown, len - *shown);

                if (part) {
                        fwrite(part, 1, boot_console_clean(part, len - *shown), stdout);
                        fflush(stdout);
                        free(part);
                }
                *shown = len;
        }
        /* the console may hold NUL bytes: search line by line through the buffer */
        for (size_t i = 0; i < len; i++)
                if (!text[i])
                        text[i] = '\n';
        if (strstr(text, vm->expect))
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(stops); i++)
                if (strstr(text, stops[i].text))
                        return stops[i].rc;
        if (vm->failed && strstr(text, vm->failed))
                return -EBADMSG;
        return 1;
}

static int watch(const struct boot_run *b, const struct boot_vm *vm)
{
        /* progress on a terminal, unless the console itself is shown */
        bool progress = !b->console && isatty(STDERR_FILENO);
        size_t shown = 0;
        int status, rc, last = -1;

        for (;;) {
                int secs = (int)(boot_now() - vm->t0);

                if (progress && secs != last) {
                        fprintf(stderr, "\r%s: booting, %d s (gives up at %u s)  ",
                                b->name ? b->name : "vm", secs, b->timeout);
                        last = secs;
                }
                rc = boot_scan(b, vm, &shown);
                if (rc <= 0)
                        break;
                if (waitpid(vm->pid, &status, WNOHANG) == vm->pid) {
                        rc = boot_scan(b, vm, &shown);
                        rc = rc <= 0 ? rc : -ECHILD;
                        break;
                }
                if (boot_now() - vm->t0 > b->timeout) {
                        rc = -ETIMEDOUT;
                        break;
                }
                usleep(200000);
        }
        if (progress)
                fputs("\r\033[K", stderr);
        return rc;
}

void boot_kill_pid(pid_t pid)
{
        int status;

        if (pid <= 0 || kill(pid, SIGTERM) < 0)
                return;
        for (int i = 0; i < 50; i++) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid || (w < 0 && kill(pid, 0) < 0))
                        return; /* reaped, or gone (not our child) */
                usleep(100000);
        }
        if (kill(pid, SIGKILL) == 0)
                waitpid(pid, &status, 0);
}

/* The child: its own session (a Ctrl-C on the terminal reaches pocbake, which
 * stops it in order), the network namespace, and death with its parent unless
 * detached. */
static pid_t spawn(const struct argv_buf *a, const struct boot_run *b, const char *qlog)
{
        pid_t parent = getpid(), pid = fork();

        if (pid == 0) {
                int in = open("/dev/null", O_RDONLY),
                    out = open(qlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(126);
                setsid();
                if (!b->detach && (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent))
                        _exit(126);
                if (b->netns) {
                        _cleanup_free_ char *ns = NULL;
                        int fd;

                        if (asprintf(&ns, "/run/netns/%s", b->netns) < 0 ||
                            (fd = open(ns, O_RDONLY | O_CLOEXEC)) < 0 ||
                            setns(fd, CLONE_NEWNET) < 0) {
                                fprintf(stderr, "pocbake: cannot enter network namespace %s: %m\n",
                                        b->netns);
                                _exit(126);
                        }
                }
                execvp(a->v[0], (char *const *)a->v);
                _exit(127);
        }
        return pid;
}

void boot_tail_log(const char *log, struct diag *d)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        const char *p;
        int lines = 0;

        if (read_file(log, &text, &len) < 0 || !len)
                return;
        len = boot_console_clean(text, len);
        for (p = text + len; p > text && lines < 12; p--)
                if (p[-1] == '\n')
                        lines++;
        diag_err(d, 0, "last console lines:\n%s", p);
}

/* Where QEMU's own files go: NAME.EXT in state_dir, or a temporary directory. */
static char *vm_file(const struct boot_run *b, struct boot_vm *vm, const char *ext)
{
        char *p = NULL;

        if (!b->state_dir)
                return asprintf(&p, "%s/%s", vm->tmpdir, ext + 1) < 0 ? NULL : p;
        return asprintf(&p, "%s/%s%s", b->state_dir, b->name ? b->name : "vm", ext) < 0 ? NULL : p;
}

void boot_stop(struct boot_vm *vm, bool kill)
{
        if (kill)
                boot_kill_pid(vm->pid);
        if (vm->tmpdir)
                rm_rf(vm->tmpdir);
        free(vm->tmpdir);
        free(vm->log);
        free(vm->qlog);
        free(vm->expect);
        free(vm->failed);
        memset(vm, 0, sizeof(*vm));
}

int boot_start(const struct boot_run *b, struct boot_vm *vm, struct diag *d)
{
        _cleanup_free_ char *vars = NULL, *mem = NULL;
        struct profile p = {0};
        struct argv_buf a = {0};
        const char *name = b->name ? b->name : "";
        int rc;

        memset(vm, 0, sizeof(*vm));
        vm->t0 = boot_now();
        if (b->image && access(b->image, R_OK) < 0)
                return diag_err(d, -errno, "cannot read %s: %m", b->image);
        if (b->disk && access(b->disk, R_OK | W_OK) < 0)
                return diag_err(d, -errno, "cannot write %s: %m", b->disk);
        if (!b->image && (!b->pxe_dir || !b->bootfile))
                return diag_err(d, -EINVAL,
                                "nothing to boot: no image and no --pxe DIR --bootfile FILE");
        if (!b->state_dir && !(vm->tmpdir = strdup("/tmp/pocbake-boot.XXXXXX")))
                return -ENOMEM;
        if (vm->tmpdir && !mkdtemp(vm->tmpdir)) {
                rc = diag_err(d, -errno, "cannot create a temporary directory: %m");
                free(vm->tmpdir);
                vm->tmpdir = NULL;
                return rc;
        }
        rc = profile_load(b->firmware ? b->firmware : "ovmf-secboot", &p, d);
        if (rc >= 0 && p.code && !b->vars) {
                vars = vm_file(b, vm, ".vars");
                rc = vars && p.vars ? copy_file_sparse(p.vars, vars, 0600) : -ENOENT;
                if (rc < 0)
                        diag_err(d, rc, "cannot copy the firmware variable store %s",
                                 p.vars ? p.vars : "(none)");
        }
        vm->log = b->log ? strdup(b->log) : vm_file(b, vm, ".serial.log");
        vm->qlog = vm_file(b, vm, ".qemu.log");
        if (b->expect)
                vm->expect = strdup(b->expect);
        else if (asprintf(&vm->expect, "POCBAKE-CHECK %s ok", name) < 0)
                vm->expect = NULL;
        if (asprintf(&vm->failed, "POCBAKE-CHECK %s failed", name) < 0)
                vm->failed = NULL;
        if (asprintf(&mem, "%u", b->memory_mb ? b->memory_mb : 1024) < 0)
                mem = NULL;
        if (rc >= 0 && (!vm->log || !vm->qlog || !vm->expect || !vm->failed || !mem))
                rc = -ENOMEM;
        if (rc >= 0 && (rc = write_file_atomic(vm->log, "", 0, 0644)) >= 0) {
                build_argv(&a, b, &p, b->vars ? b->vars : vars, vm->log, mem);
                vm->pid = spawn(&a, b, vm->qlog);
                if (vm->pid < 0)
                        rc = diag_err(d, -errno, "cannot start qemu-system-x86_64: %m");
        }
        for (size_t i = 0; i < a.n_owned; i++)
                free(a.owned[i]);
        profile_release(&p);
        if (rc < 0)
                boot_stop(vm, false);
        return rc;
}

int boot_image(const struct boot_run *b, double *seconds, struct diag *d)
{
        struct boot_vm vm;
        int rc = boot_start(b, &vm, d);

        if (rc < 0)
                return rc;
        rc = watch(b, &vm);
        boot_kill_pid(vm.pid);
        if (seconds)
                *seconds = boot_now() - vm.t0;
        if (rc < 0) {
                static const char *const why[] = {
                        "",
                        "the firmware refused an image (Access Denied: unsigned, or signed "
                        "with a key its db does not hold; an image built without --keys boots "
                        "with --firmware ovmf)",
                        "the role's check failed",
                        "QEMU stopped first",
                        "timed out",
                        "the firmware found nothing it could start and stopped in its UEFI shell",
                        "the firmware found no bootable device"};
                int w = rc == -EACCES      ? 1
                        : rc == -EBADMSG   ? 2
                        : rc == -ECHILD    ? 3
                        : rc == -ETIMEDOUT ? 4
                        : rc == -ENOEXEC   ? 5
                        : rc == -ENODEV    ? 6
                                           : 0;

                if (w)
                        diag_err(d, rc, "%s: %s after %.0f s (waiting for \"%s\")",
                                 b->image ? b->image : b->bootfile, why[w], boot_now() - vm.t0,
                                 vm.expect);
                boot_tail_log(rc == -ECHILD ? vm.qlog : vm.log, d);
        }
        boot_stop(&vm, false);
        return rc;
}
