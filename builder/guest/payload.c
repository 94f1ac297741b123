/* payload.c: role disks, their manifest, libvirt XML and host units put into the host's trees. */
#include "guestint.h"

#include <limits.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/data.h"
#include "stage/rootfs.h"
#include "util/cleanup.h"
#include "util/hash.h"
#include "util/json.h"

/* Names become file names in the image and words in the host's sh scripts. */
static bool safe_name(const char *s)
{
        if (!s || !*s || *s == '.' || *s == '-')
                return false;
        for (; *s; s++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                            *s))
                        return false;
        return true;
}

static int put_text(int rootfd, const char *path, const char *text, mode_t mode, struct diag *d)
{
        int rc = rootfs_write(rootfd, path, text, strlen(text), mode, 0, 0);

        return rc < 0 ? diag_err(d, rc, "host root: %s: %s", path, strerror(-rc)) : 0;
}

static int put_dir(int rootfd, const char *path, struct diag *d)
{
        int fd = rootfs_mkdirs(rootfd, path, 0755);

        if (fd < 0)
                return diag_err(d, fd, "host root: %s: %s", path, strerror(-fd));
        close(fd);
        return 0;
}

static int put_link(int rootfd, const char *path, const char *target, struct diag *d)
{
        int rc = rootfs_symlink(rootfd, path, target);

        return rc < 0 ? diag_err(d, rc, "host root: %s: %s", path, strerror(-rc)) : 0;
}

const struct volume_spec *payload_volume(const struct role *host)
{
        for (size_t i = 0; host->storage.pool.partition && i < host->storage.n_volumes; i++)
                if (host->storage.volumes[i].purpose &&
                    !strcmp(host->storage.volumes[i].purpose, "cluster-shared-volume"))
                        return &host->storage.volumes[i];
        return NULL;
}

/* GUEST_PAYLOAD_DIR and GUEST_OVERLAY_DIR are directories of the root, or links to
 * ones on the cluster-shared volume: VM disks grow with the pool, the root stays small. */
static int make_vm_dir(const struct host_trees *t, const struct volume_spec *v, const char *link,
                       const char *name, struct diag *d)
{
        _cleanup_free_ char *real = NULL;
        int rc;

        if (!v)
                return put_dir(t->rootfd, link, d);
        if (asprintf(&real, "%s/%s", v->mountpoint, name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        rc = rootfs_mkdirs(t->volfd, name, 0755);
        if (rc < 0)
                return diag_err(d, rc, "volume %s: %s: %s", v->name, name, strerror(-rc));
        close(rc);
        return put_link(t->rootfd, link, real, d);
}

static int make_payload_dirs(const struct host_trees *t, const struct role *host, struct diag *d)
{
        const struct volume_spec *v = payload_volume(host);
        int rc = put_dir(t->rootfd, GUEST_STATE_DIR, d);

        if (rc >= 0)
                rc = put_dir(t->rootfd, GUEST_LIBVIRT_DIR "/networks", d);
        if (rc >= 0)
                rc = make_vm_dir(t, v, GUEST_PAYLOAD_DIR, "pocbake-payloads", d);
        return rc < 0 ? rc : make_vm_dir(t, v, GUEST_OVERLAY_DIR, "pocbake-overlays", d);
}

/* Where GUEST_PAYLOAD_DIR's files go: the tree, and the path in it. */
static void payload_place(const struct host_trees *t, const char *name, int *fd, char *path,
                          size_t size)
{
        if (t->volfd >= 0) {
                *fd = t->volfd;
                snprintf(path, size, "pocbake-payloads/%s", name);
        } else {
                *fd = t->rootfd;
                snprintf(path, size, GUEST_PAYLOAD_DIR "/%s", name);
        }
}

struct payload_sum {
        char sha[SHA256_HEX];
        int64_t size;
};

static int upload_role(const struct host_trees *t, const struct role *r, const char *qcow2,
                       struct payload_sum *sum, struct diag *d)
{
        _cleanup_free_ char *file = NULL, *xmlpath = NULL, *xml = NULL;
        uint8_t md[SHA256_LEN];
        char dst[PATH_MAX];
        struct stat st;
        int rc, fd;

        if (!safe_name(r->name))
                return diag_at(d, &r->mark,
                               "role name \"%s\" cannot name a payload file (expected letters, "
                               "digits, '.', '_' or '-')",
                               r->name);
        if (stat(qcow2, &st) < 0)
                return diag_err(d, -errno, "payload %s: %s", qcow2, strerror(errno));
        rc = sha256_file(qcow2, md);
        if (rc < 0)
                return diag_err(d, rc, "payload %s: %s", qcow2, strerror(-rc));
        hex_encode(md, SHA256_LEN, sum->sha);
        sum->size = st.st_size;
        if (asprintf(&file, "%s.qcow2", r->name) < 0 ||
            asprintf(&xmlpath, GUEST_LIBVIRT_DIR "/%s.xml", r->name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        payload_place(t, file, &fd, dst, sizeof(dst));
        /* golden: the VM writes its overlay, nobody writes this */
        rc = rootfs_copy_in(fd, dst, qcow2, 0444, 0, 0);
        if (rc < 0)
                return diag_err(d, rc, "payload %s: %s", dst, strerror(-rc));
        xml = guest_domain_xml(r, NULL);
        if (!xml)
                return diag_err(d, -ENOMEM, "out of memory");
        return put_text(t->rootfd, xmlpath, xml, 0644, d);
}

static int put_networks(int rootfd, const struct appliance *a, struct diag *d)
{
        for (size_t i = 0; i < a->n_networks; i++) {
                const struct network_spec *n = &a->networks[i];
                _cleanup_free_ char *xml = NULL, *path = NULL;

                if (!safe_name(n->name))
                        return diag_at(d, &n->mark,
                                       "network name \"%s\" cannot name a file (expected letters, "
                                       "digits, '.', '_' or '-')",
                                       n->name);
                xml = guest_network_xml(n);
                if (!xml)
                        return diag_at(d, &n->mark,
                                       "network \"%s\": cidr \"%s\" is not valid (expected an IPv4 "
                                       "a.b.c.d/n, n up to 30)",
                                       n->name, n->cidr ? n->cidr : "");
                if (asprintf(&path, GUEST_LIBVIRT_DIR "/networks/%s.xml", n->name) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                if (put_text(rootfd, path, xml, 0644, d) < 0)
                        return -EIO;
        }
        return 0;
}

/* One payload per line in a fixed shape: the host's sh script reads it with sed. */
static char *manifest_text(const struct appliance *a, const char *const *qcow2,
                           const struct payload_sum *sums)
{
        char *buf = NULL;
        size_t len = 0;
        bool first = true;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        fputs("{\n  \"appliance\": ", f);
        json_put_str(f, a->name);
        fputs(",\n  \"payloads\": [", f);
        for (size_t i = 0; i < a->n_roles; i++) {
                if (!qcow2[i])
                        continue;
                fprintf(f,
                        "%s\n    {\"role\": \"%s\", \"file\": \"%s.qcow2\", \"size\": %" PRId64
                        ", \"sha256\": \"%s\", \"autostart\": %s}",
                        first ? "" : ",", a->roles[i]->name, a->roles[i]->name, sums[i].size,
                        sums[i].sha, a->roles[i]->disabled ? "false" : "true");
                first = false;
        }
        fputs("\n  ]\n}\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A script and its unit from firmware/host, enabled by the link systemctl would make. */
static int put_unit(int rootfd, const char *name, struct diag *d)
{
        /* source suffix, destination directory, destination suffix */
        static const char *const kinds[][3] = {{"sh", "/usr/lib/pocbake", ""},
                                               {"service", "/etc/systemd/system", ".service"}};
        _cleanup_free_ char *link = NULL, *target = NULL;

        for (size_t k = 0; k < 2; k++) {
                _cleanup_free_ char *rel = NULL, *src = NULL, *dst = NULL;
                int rc;

                if (asprintf(&rel, "firmware/host/%s.%s", name, kinds[k][0]) < 0 ||
                    asprintf(&dst, "%s/%s%s", kinds[k][1], name, kinds[k][2]) < 0)
                        return diag_err(d, -ENOMEM, "out of memory");
                src = data_path(rel);
                if (!src)
                        return diag_err(
                                d, -ENOENT,
                                "cannot find %s in the data directory (set POCBAKE_DATADIR)", rel);
                rc = rootfs_copy_in(rootfd, dst, src, k == 0 ? 0755 : 0644, 0, 0);
                if (rc < 0)
                        return diag_err(d, rc, "host root: %s: %s", dst, strerror(-rc));
        }
        if (asprintf(&link, "/etc/systemd/system/multi-user.target.wants/%s.service", name) < 0 ||
            asprintf(&target, "/etc/systemd/system/%s.service", name) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return put_link(rootfd, link, target, d);
}

/* What pocbake-grow reads: sh assignments of names the recipe checks restrict. */
static int put_grow_conf(int rootfd, const struct role *host, struct diag *d)
{
        const struct storage_spec *s = &host->storage;
        _cleanup_free_ char *text = NULL;
        size_t len = 0, part = 0;
        FILE *f;

        for (size_t i = 0; i < host->disk.n_partitions; i++)
                if (!strcmp(host->disk.partitions[i].name, s->pool.partition))
                        part = i + 1;
        f = open_memstream(&text, &len);
        if (!f)
                return diag_err(d, -ENOMEM, "out of memory");
        fprintf(f,
                "# written by pocbake: the pool pocbake-grow extends on first "
                "boot\nPOOL_VG='%s'\nPOOL_PART=%zu\nPOOL_GROW=%s\nPOOL_EXTRA_DISKS='",
                s->pool.vg, part, s->pool.grow ? "yes" : "no");
        for (size_t i = 0; i < s->pool.n_extra_disks; i++)
                fprintf(f, "%s%s", i ? " " : "", s->pool.extra_disks[i]);
        fputs("'\n", f);
        if (fclose(f) != 0)
                return diag_err(d, -ENOMEM, "out of memory");
        return put_text(rootfd, "/etc/pocbake/storage.conf", text, 0644, d);
}

static int put_host_units(int rootfd, const struct role *host, struct diag *d)
{
        int rc = put_unit(rootfd, "pocbake-payloads", d);

        if (rc < 0 || !host->storage.pool.partition)
                return rc;
        if (!host->storage.pool.grow && !host->storage.pool.n_extra_disks)
                return 0;
        rc = put_grow_conf(rootfd, host, d);
        return rc < 0 ? rc : put_unit(rootfd, "pocbake-grow", d);
}

const char *const guest_host_files[] = {
        "firmware/host/pocbake-payloads.sh", "firmware/host/pocbake-payloads.service",
        "firmware/host/pocbake-grow.sh", "firmware/host/pocbake-grow.service", NULL};

/* Everything that can fail before the appliance starts: one launch costs 15-30 s. */
int payloads_check(const struct appliance *a, const char *const *role_qcow2, struct diag *d)
{
        int rc = 0;

        if (!a->host)
                return diag_err(d, -EINVAL, "the appliance has no host section");
        for (size_t i = 0; guest_host_files[i]; i++) {
                _cleanup_free_ char *p = data_path(guest_host_files[i]);

                if (!p)
                        rc = diag_err(d, -ENOENT,
                                      "cannot find %s in the data directory (set POCBAKE_DATADIR)",
                                      guest_host_files[i]);
        }
        for (size_t i = 0; i < a->n_roles; i++) {
                if (!role_qcow2[i])
                        continue;
                if (!safe_name(a->roles[i]->name))
                        rc = diag_at(d, &a->roles[i]->mark,
                                     "role name \"%s\" cannot name a payload file (expected "
                                     "letters, digits, '.', '_' or '-')",
                                     a->roles[i]->name);
                if (access(role_qcow2[i], R_OK) < 0)
                        rc = diag_err(d, -errno, "payload %s: %s", role_qcow2[i], strerror(errno));
        }
        for (size_t i = 0; i < a->n_networks; i++) {
                _cleanup_free_ char *xml = guest_network_xml(&a->networks[i]);

                if (!safe_name(a->networks[i].name) || !xml)
                        rc = diag_at(d, &a->networks[i].mark,
                                     "network \"%s\" cannot be defined on the host (expected a "
                                     "simple name and an IPv4 cidr a.b.c.d/n, n up to 30)",
                                     a->networks[i].name);
        }
        return rc;
}

int payloads_install(const struct host_trees *t, const struct appliance *a,
                     const char *const *role_qcow2, struct diag *d)
{
        _cleanup_free_ struct payload_sum *sums =
                calloc(a->n_roles ? a->n_roles : 1, sizeof(*sums));
        _cleanup_free_ char *manifest = NULL;
        char path[PATH_MAX];
        int rc, fd;

        if (!sums)
                return diag_err(d, -ENOMEM, "out of memory");
        if (!a->host)
                return diag_err(d, -EINVAL, "the appliance has no host section");
        rc = make_payload_dirs(t, a->host, d);
        for (size_t i = 0; rc >= 0 && i < a->n_roles; i++)
                if (role_qcow2[i])
                        rc = upload_role(t, a->roles[i], role_qcow2[i], &sums[i], d);
        if (rc >= 0)
                rc = put_networks(t->rootfd, a, d);
        if (rc < 0)
                return rc;
        manifest = manifest_text(a, role_qcow2, sums);
        if (!manifest)
                return diag_err(d, -ENOMEM, "out of memory");
        payload_place(t, "manifest.json", &fd, path, sizeof(path));
        rc = rootfs_write(fd, path, manifest, strlen(manifest), 0644, 0, 0);
        if (rc < 0)
                return diag_err(d, rc, "payload manifest: %s", strerror(-rc));
        return put_host_units(t->rootfd, a->host, d);
}
