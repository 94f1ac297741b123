/* cmd_burn.c: pocbake burn: an image or ISO written to a whole removable drive that nothing
 * uses, after the user said yes, then read back and compared. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "disk/probe.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/size.h"

#define CHUNK (4u << 20)

static const char burn_usage[] =
        "usage: pocbake burn [--yes] IMAGE|ISO DEVICE\n\n"
        "Write a raw disk image or an ISO to DEVICE, a whole removable drive (a USB stick)\n"
        "that nothing has mounted or holds: shows its model and size, asks before it\n"
        "writes unless --yes, shows progress, then reads the drive back and compares it\n"
        "with the image. Refuses a partition, a fixed disk, a drive in use, and an image\n"
        "larger than the drive. A qcow2 or vhdx is converted first (qemu-img convert -O raw).\n"
        "exit codes: 0 written and compared, 1 the write or the comparison failed, 2 refused\n";

/* /sys/class/block/NAME/FILE, first line, or NULL. */
static char *sys_read(const char *name, const char *file)
{
        _cleanup_free_ char *p = NULL;
        char *text = NULL;
        size_t len = 0;

        if (asprintf(&p, "/sys/class/block/%s/%s", name, file) < 0 || read_file(p, &text, &len) < 0)
                return NULL;
        text[strcspn(text, "\n")] = 0;
        for (char *e = text + strlen(text); e > text && e[-1] == ' '; e--)
                e[-1] = 0;
        return text;
}

/* ma:mi is the drive NAME or one of its partitions (NAME/NAMEpN in sysfs). */
static bool drive_dev(const char *name, unsigned ma, unsigned mi)
{
        _cleanup_free_ char *own = sys_read(name, "dev"), *dir = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *e;
        char want[32];

        snprintf(want, sizeof(want), "%u:%u", ma, mi);
        if (own && !strcmp(own, want))
                return true;
        if (asprintf(&dir, "/sys/class/block/%s", name) < 0 || !(d = opendir(dir)))
                return false;
        while ((e = readdir(d))) {
                _cleanup_free_ char *rel = NULL, *pdev = NULL;

                if (strncmp(e->d_name, name, strlen(name)) ||
                    asprintf(&rel, "%s/dev", e->d_name) < 0)
                        continue;
                if ((pdev = sys_read(name, rel)) && !strcmp(pdev, want))
                        return true;
        }
        return false;
}

/* Where the drive or a partition of it is mounted, or NULL. */
static char *mounted(const char *name)
{
        _cleanup_free_ char *info = NULL;
        char *save = NULL;
        size_t len = 0;

        if (read_file("/proc/self/mountinfo", &info, &len) < 0)
                return NULL;
        for (char *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned ma, mi;
                char mp[4096];

                if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &ma, &mi, mp) == 3 &&
                    drive_dev(name, ma, mi))
                        return strdup(mp);
        }
        return NULL;
}

static bool holders(const char *name)
{
        _cleanup_free_ char *p = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *e;

        if (asprintf(&p, "/sys/class/block/%s/holders", name) < 0 || !(d = opendir(p)))
                return false;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        return true;
        return false;
}

/* Every reason DEVICE may not be written; its size through *size. */
static int check_device(const char *dev, uint64_t *size, char **model)
{
        const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
        const char *test = getenv("POCBAKE_TEST_REMOVABLE"); /* tests: a loop device */
        _cleanup_free_ char *part = NULL, *rem = NULL, *sectors = NULL, *where = NULL;
        _cleanup_free_ char *vendor = NULL, *mdl = NULL;
        struct stat st;

        if (stat(dev, &st) < 0)
                return cmd_usage_error("burn", "%s: %s", dev, strerror(errno));
        if (!S_ISBLK(st.st_mode))
                return cmd_usage_error("burn",
                                       "%s is not a block device (expected a drive such as "
                                       "/dev/sdX)",
                                       dev);
        if ((part = sys_read(name, "partition")))
                return cmd_usage_error("burn", "%s is a partition (expected the whole drive)", dev);
        rem = sys_read(name, "removable");
        if ((!rem || strcmp(rem, "1")) && !(test && !strcmp(test, dev)))
                return cmd_usage_error("burn",
                                       "%s is not a removable drive: refused (pocbake burn writes "
                                       "USB sticks and cards only; use dd for anything else)",
                                       dev);
        if ((where = mounted(name)))
                return cmd_usage_error(
                        "burn", "%s is in use: mounted on %s (expected it unmounted)", dev, where);
        if (holders(name))
                return cmd_usage_error("burn",
                                       "%s is in use by another device (LVM, RAID, "
                                       "dm-crypt) (expected it free)",
                                       dev);
        sectors = sys_read(name, "size");
        *size = sectors ? strtoull(sectors, NULL, 10) * 512 : 0;
        vendor = sys_read(name, "device/vendor");
        mdl = sys_read(name, "device/model");
        if (asprintf(model, "%s%s%s", vendor ? vendor : "", vendor && mdl ? " " : "",
                     mdl ? mdl : (vendor ? "" : "unknown model")) < 0)
                *model = NULL;
        return 0;
}

static int ask(const char *dev, const char *model, uint64_t size, const char *image)
{
        char line[16], a[32];
        FILE *tty = fopen("/dev/tty", "r+");

        if (!tty || !isatty(fileno(tty))) {
                if (tty)
                        fclose(tty);
                return cmd_usage_error("burn",
                                       "no terminal to ask on (expected --yes to write "
                                       "%s without asking)",
                                       dev);
        }
        fprintf(tty, "Write %s to %s (%s, %s)? Everything on it is lost. [y/N] ", image, dev, model,
                human_size(size, a, sizeof(a)));
        fflush(tty);
        if (!fgets(line, sizeof(line), tty) || (line[0] != 'y' && line[0] != 'Y')) {
                fclose(tty);
                fprintf(stderr, "pocbake burn: nothing written\n");
                return EXIT_FAILED;
        }
        fclose(tty);
        return -1;
}

static int pass(int in, int out, uint64_t len, bool write, bool progress, uint64_t *bad)
{
        _cleanup_free_ uint8_t *a = malloc(CHUNK), *b = write ? NULL : malloc(CHUNK);
        uint64_t done = 0;
        int last = -1;

        if (!a || (!write && !b))
                return -ENOMEM;
        while (done < len) {
                size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
                int pct = (int)(done * 100 / len);

                if (pread_full(in, a, n, done) < 0)
                        return -EIO;
                if (write ? pwrite_full(out, a, n, done) < 0 : pread_full(out, b, n, done) < 0)
                        return -EIO;
                if (!write && memcmp(a, b, n)) {
                        for (size_t i = 0; i < n; i++)
                                if (a[i] != b[i]) {
                                        *bad = done + i;
                                        break;
                                }
                        return -EBADMSG;
                }
                done += n;
                if (progress && pct != last) {
                        fprintf(stderr, "\r%s %3d%%", write ? "writing" : "comparing", pct);
                        last = pct;
                }
        }
        if (progress)
                fprintf(stderr, "\r%s 100%%\n", write ? "writing" : "comparing");
        return 0;
}

int cmd_burn(int argc, char **argv)
{
        static const struct option opts[] = {
                {"yes", no_argument, NULL, 'y'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *model = NULL;
        _cleanup_close_ int in = -1, out = -1;
        const char *image, *dev, *fmt = NULL;
        bool yes = false, progress = isatty(STDERR_FILENO);
        uint64_t size = 0, bad = 0;
        struct diag d = {0};
        struct stat st;
        char a[32], b[32];
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
                switch (c) {
                case 'y': yes = true; break;
                case 'h': fputs(burn_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("burn", "hy", opts, argv);
                }
        }
        if (argc - optind != 2)
                return cmd_usage_error("burn", "expected IMAGE and DEVICE");
        image = argv[optind];
        dev = argv[optind + 1];
        in = open(image, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                return cmd_usage_error("burn", "%s: %s", image, strerror(errno));
        /* an ISO is written as it is; a disk image must be raw */
        if (image_probe(in, image, &fmt, &d) >= 0 && strcmp(fmt, "raw")) {
                diag_release(&d);
                return cmd_usage_error("burn",
                                       "%s is %s (expected a raw image or an ISO: "
                                       "qemu-img convert -O raw first)",
                                       image, fmt);
        }
        diag_release(&d);
        if ((r = check_device(dev, &size, &model)) != 0)
                return r;
        if ((uint64_t)st.st_size > size)
                return cmd_usage_error("burn", "%s (%s) does not fit on %s (%s)", image,
                                       human_size((uint64_t)st.st_size, a, sizeof(a)), dev,
                                       human_size(size, b, sizeof(b)));
        printf("%s: %s, %s\n", dev, model ? model : "unknown model",
               human_size(size, a, sizeof(a)));
        if (!yes && (r = ask(dev, model ? model : "unknown model", size, image)) >= 0)
                return r;
        /* O_EXCL on a block device: refused while the kernel has it open elsewhere */
        out = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
        if (out < 0) {
                fprintf(stderr, "pocbake burn: cannot open %s: %s\n", dev, strerror(errno));
                return EXIT_FAILED;
        }
        r = pass(in, out, (uint64_t)st.st_size, true, progress, &bad);
        if (r >= 0 && (fsync(out) < 0 || ioctl(out, BLKFLSBUF, 0) < 0))
                r = -errno;
        if (r >= 0)
                r = pass(in, out, (uint64_t)st.st_size, false, progress, &bad);
        if (r == -EBADMSG) {
                fprintf(stderr, "pocbake burn: %s differs from %s at byte %llu: the drive is bad\n",
                        dev, image, (unsigned long long)bad);
                return EXIT_FAILED;
        }
        if (r < 0) {
                fprintf(stderr, "pocbake burn: %s: %s\n", dev, strerror(-r));
                return EXIT_FAILED;
        }
        printf("%s: %s written and read back the same\n", dev,
               human_size((uint64_t)st.st_size, a, sizeof(a)));
        return EXIT_DONE;
}
