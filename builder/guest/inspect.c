/* inspect.c: an image read back through libguestfs: partitions, filesystems, LVM, OS, payloads. */
#include "guestint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk/probe.h"
#include "util/cleanup.h"

#define ROOT_X86_64_GUID "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"

const char *guest_detect_format(const char *image, struct diag *d)
{
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        const char *format = NULL;
        int r;

        if (fd < 0) {
                int e = errno;

                diag_err(d, -e, "%s: %s", image, strerror(e));
                errno = e;
                return NULL;
        }
        /* before libguestfs: a backing file or a descriptor would make qemu open
         * other host paths */
        r = image_probe(fd, image, &format, d);
        if (r < 0) {
                errno = -r;
                return NULL;
        }
        return format;
}

static int read_parts(guestfs_h *g, struct guest_report *rep, struct diag *d)
{
        struct guestfs_partition_list *pl;
        bool gpt;

        rep->parttype = guestfs_part_get_parttype(g, "/dev/sda");
        if (!rep->parttype)
                return 0; /* no partition table: a bare filesystem, still inspectable */
        gpt = !strcmp(rep->parttype, "gpt");
        pl = guestfs_part_list(g, "/dev/sda");
        if (!pl)
                return gfail(d, g, rep->image, "part-list");
        rep->parts = calloc(pl->len ? pl->len : 1, sizeof(*rep->parts));
        if (!rep->parts) {
                guestfs_free_partition_list(pl);
                return diag_err(d, -ENOMEM, "out of memory");
        }
        for (uint32_t i = 0; i < pl->len; i++) {
                struct guest_part *p = &rep->parts[rep->n_parts++];

                p->num = pl->val[i].part_num;
                p->start = pl->val[i].part_start;
                p->size = pl->val[i].part_size;
                if (gpt) {
                        p->name = guestfs_part_get_name(g, "/dev/sda", p->num);
                        p->type_guid = guestfs_part_get_gpt_type(g, "/dev/sda", p->num);
                }
        }
        guestfs_free_partition_list(pl);
        return 0;
}

static int read_fss(guestfs_h *g, struct guest_report *rep, struct diag *d)
{
        _cleanup_strv_ char **fs = guestfs_list_filesystems(g);
        size_t n = 0;

        if (!fs)
                return gfail(d, g, rep->image, "list-filesystems");
        while (fs[n])
                n++;
        rep->fss = calloc(n / 2 + 1, sizeof(*rep->fss));
        if (!rep->fss)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i + 1 < n; i += 2) {
                struct guest_fs *f = &rep->fss[rep->n_fss++];

                f->device = strdup(fs[i]);
                f->type = strdup(fs[i + 1]);
                f->size = guestfs_blockdev_getsize64(g, fs[i]);
                if (strcmp(fs[i + 1], "unknown") && strcmp(fs[i + 1], "swap")) {
                        f->label = guestfs_vfs_label(g, fs[i]);
                        f->uuid = guestfs_vfs_uuid(g, fs[i]);
                }
                if (!f->device || !f->type)
                        return diag_err(d, -ENOMEM, "out of memory");
        }
        return 0;
}

static int read_lvm(guestfs_h *g, struct guest_report *rep, struct diag *d)
{
        _cleanup_strv_ char **vgs = guestfs_vgs(g);
        _cleanup_strv_ char **lvs = guestfs_lvs(g);
        size_t n = 0;

        if (!vgs || !lvs)
                return gfail(d, g, rep->image, "lvm scan");
        rep->vgs = TAKE_PTR(vgs);
        while (rep->vgs[rep->n_vgs])
                rep->n_vgs++;
        while (lvs[n])
                n++;
        rep->lvs = calloc(n + 1, sizeof(*rep->lvs));
        if (!rep->lvs)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                /* "/dev/VG/LV" */
                char *vg = lvs[i] + strlen("/dev/"), *slash = strchr(vg, '/');
                struct guest_lv *lv = &rep->lvs[rep->n_lvs++];

                if (!slash)
                        continue;
                lv->vg = strndup(vg, (size_t)(slash - vg));
                lv->name = strdup(slash + 1);
                lv->size = guestfs_blockdev_getsize64(g, lvs[i]);
                if (!lv->vg || !lv->name)
                        return diag_err(d, -ENOMEM, "out of memory");
        }
        return 0;
}

static bool is_root_candidate(guestfs_h *g, const char *dev)
{
        bool yes;

        if (guestfs_mount_ro(g, dev, "/") < 0)
                return false;
        yes = guestfs_is_dir(g, "/etc") > 0;
        guestfs_umount(g, "/");
        return yes;
}

/* The root: a GPT root-x86-64 partition first, else the first filesystem with /etc. */
static void find_root(guestfs_h *g, struct guest_report *rep)
{
        for (int pass = 0; pass < 2 && !rep->root; pass++) {
                for (size_t i = 0; i < rep->n_fss && !rep->root; i++) {
                        const struct guest_fs *f = &rep->fss[i];
                        bool typed = false;

                        if (!strcmp(f->type, "unknown") || !strcmp(f->type, "swap"))
                                continue;
                        for (size_t k = 0; k < rep->n_parts; k++) {
                                char dev[32];

                                snprintf(dev, sizeof dev, "/dev/sda%d", rep->parts[k].num);
                                if (!strcmp(dev, f->device) && rep->parts[k].type_guid &&
                                    !strcasecmp(rep->parts[k].type_guid, ROOT_X86_64_GUID))
                                        typed = true;
                        }
                        if ((pass == 1 || typed) && is_root_candidate(g, f->device))
                                rep->root = strdup(f->device);
                }
        }
}

/* The pool volumes the root's fstab names as /dev/VG/LV, at their mountpoints. */
static void mount_volumes(guestfs_h *g, struct guest_report *rep)
{
        _cleanup_free_ char *fstab = NULL;
        char *save = NULL;
        size_t len;

        if (guestfs_is_file(g, "/etc/fstab") <= 0 ||
            !(fstab = guestfs_read_file(g, "/etc/fstab", &len)))
                return;
        for (char *line = strtok_r(fstab, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char dev[256], mnt[256];

                if (sscanf(line, " %255s %255s", dev, mnt) != 2 || dev[0] == '#' || mnt[0] != '/' ||
                    !strcmp(mnt, "/"))
                        continue;
                for (size_t i = 0; i < rep->n_lvs; i++) {
                        char lv[600];

                        snprintf(lv, sizeof lv, "/dev/%s/%s", rep->lvs[i].vg, rep->lvs[i].name);
                        if (!strcmp(lv, dev) && guestfs_is_dir(g, mnt) > 0)
                                guestfs_mount_ro(g, dev, mnt);
                }
        }
}

static void read_os(guestfs_h *g, struct guest_report *rep)
{
        static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
        size_t len;

        for (size_t i = 0; i < 2 && !rep->os_release; i++)
                if (guestfs_is_file_opts(g, paths[i], GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) >
                    0)
                        rep->os_release = guestfs_read_file(g, paths[i], &len);
}

/* One payload line as payload.c writes it; anything else is skipped. */
static int parse_payload_line(const char *line, struct guest_payload *p)
{
        char role[256], file[256], sha[65];
        long long size;

        if (sscanf(line,
                   " {\"role\": \"%255[A-Za-z0-9._-]\", \"file\": \"%255[A-Za-z0-9._-]\", "
                   "\"size\": %lld, \"sha256\": \"%64[0-9a-f]\"",
                   role, file, &size, sha) != 4)
                return 0;
        p->role = strdup(role);
        p->file = strdup(file);
        p->want_sha256 = strdup(sha);
        p->want_size = size;
        p->got_size = -1;
        return p->role && p->file && p->want_sha256 ? 1 : -ENOMEM;
}

static int read_payloads(guestfs_h *g, struct guest_report *rep, struct diag *d)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        size_t len, cap = 0;

        if (guestfs_is_file_opts(g, GUEST_MANIFEST, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <=
            0)
                return 0;
        text = guestfs_read_file(g, GUEST_MANIFEST, &len);
        if (!text)
                return gfail(d, g, rep->image, "read %s", GUEST_MANIFEST);
        rep->has_manifest = true;
        for (char *p = text; (p = strstr(p, "\"role\":")); p++)
                cap++;
        rep->payloads = calloc(cap + 1, sizeof(*rep->payloads));
        if (!rep->payloads)
                return diag_err(d, -ENOMEM, "out of memory");
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct guest_payload *p = &rep->payloads[rep->n_payloads];
                _cleanup_free_ char *path = NULL;
                int r = parse_payload_line(line, p);

                if (r < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (r == 0 || rep->n_payloads >= cap)
                        continue;
                rep->n_payloads++;
                if (asprintf(&path, GUEST_PAYLOAD_DIR "/%s", p->file) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
                        continue;
                p->got_size = guestfs_filesize(g, path);
                /* hashed inside the appliance: the image is never copied out */
                p->got_sha256 = guestfs_checksum(g, "sha256", path);
                if (!p->got_sha256)
                        return gfail(d, g, rep->image, "sha256 of %s", path);
        }
        return 0;
}

int guest_inspect(const char *image, struct guest_report *rep, struct diag *d)
{
        guestfs_h *g = NULL;
        int rc;

        memset(rep, 0, sizeof(*rep));
        rep->image = strdup(image);
        if (!rep->image)
                return diag_err(d, -ENOMEM, "out of memory");
        rep->format = (char *)guest_detect_format(image, d);
        if (!rep->format)
                return -errno;
        rep->format = strdup(rep->format);
        rc = guest_open(image, rep->format, true, &g, d);
        if (rc < 0)
                return rc;
        rc = read_parts(g, rep, d);
        if (rc >= 0)
                rc = read_fss(g, rep, d);
        if (rc >= 0)
                rc = read_lvm(g, rep, d);
        if (rc >= 0) {
                find_root(g, rep);
                if (rep->root && guestfs_mount_ro(g, rep->root, "/") == 0) {
                        mount_volumes(g, rep);
                        read_os(g, rep);
                        rc = read_payloads(g, rep, d);
                }
        }
        if (rc < 0) {
                guestfs_close(g);
                return rc;
        }
        return guest_finish(g, image, d);
}

void guest_report_release(struct guest_report *rep)
{
        for (size_t i = 0; i < rep->n_parts; i++) {
                free(rep->parts[i].name);
                free(rep->parts[i].type_guid);
        }
        for (size_t i = 0; i < rep->n_fss; i++) {
                free(rep->fss[i].device);
                free(rep->fss[i].type);
                free(rep->fss[i].label);
                free(rep->fss[i].uuid);
        }
        for (size_t i = 0; i < rep->n_lvs; i++) {
                free(rep->lvs[i].vg);
                free(rep->lvs[i].name);
        }
        for (size_t i = 0; i < rep->n_payloads; i++) {
                free(rep->payloads[i].role);
                free(rep->payloads[i].file);
                free(rep->payloads[i].want_sha256);
                free(rep->payloads[i].got_sha256);
        }
        guest_free_strings(rep->vgs);
        free(rep->parts);
        free(rep->fss);
        free(rep->lvs);
        free(rep->payloads);
        free(rep->image);
        free(rep->format);
        free(rep->parttype);
        free(rep->root);
        free(rep->os_release);
        memset(rep, 0, sizeof(*rep));
}
