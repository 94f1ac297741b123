/* objstore.c: a cache object pushed to and pulled from a registry, checked blob by blob and file by
 * file. */
#include "objstore.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "manifest.h"
#include "media/gzimage.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/treesum.h"

#define CONFIG_TYPE "application/vnd.pocbake.object.config.v1+json"
#define FILE_TYPE   "application/vnd.pocbake.file.v1"
#define FILEGZ_TYPE "application/vnd.pocbake.file.v1+gzip"
#define TREE_TYPE   "application/vnd.pocbake.tree.v1.tar+gzip"
#define TITLE       "org.opencontainers.image.title"
#define CONFIG_MAX  (64u << 20)
#define MAX_LAYERS  64
#define BLOCK       (64u << 10)

/* A file is sent gzip'd when less than half of it is data: a raw disk image. */
static bool mostly_holes(const struct stat *st)
{
        return st->st_size > (off_t)(1u << 20) && (off_t)st->st_blocks * 512 < st->st_size / 2;
}

/* The tree at path as a gzip'd pax archive, names relative to it ("." first). */
static int tar_tree(const char *path, const char *out, struct diag *d)
{
        struct archive *rd = archive_read_disk_new(), *w = archive_write_new();
        struct archive_entry_linkresolver *lr = archive_entry_linkresolver_new();
        _cleanup_free_ char *buf = malloc(1u << 20);
        size_t pl = strlen(path);
        int rc = 0;

        if (!rd || !w || !lr || !buf) {
                rc = -ENOMEM;
                goto out;
        }
        archive_read_disk_set_symlink_physical(rd);
        archive_write_set_format_pax(w); /* every time to the nanosecond */
        archive_write_add_filter_gzip(w);
        archive_write_set_options(w, "gzip:compression-level=1");
        archive_entry_linkresolver_set_strategy(lr, archive_format(w));
        if (archive_write_open_filename(w, out) != ARCHIVE_OK ||
            archive_read_disk_open(rd, path) != ARCHIVE_OK) {
                rc = diag_err(d, -EIO, "cannot archive %s: %s", path,
                              archive_error_string(archive_errno(w) ? w : rd));
                goto out;
        }
        for (;;) {
                struct archive_entry *e = archive_entry_new(), *spare = NULL;
                const char *name;
                int r = archive_read_next_header2(rd, e);
                _cleanup_free_ char *rel = NULL;

                if (r == ARCHIVE_EOF) {
                        archive_entry_free(e);
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        rc = diag_err(d, -EIO, "cannot archive %s: %s", path,
                                      archive_error_string(rd));
                        archive_entry_free(e);
                        break;
                }
                archive_read_disk_descend(rd);
                name = archive_entry_pathname(e);
                if (strncmp(name, path, pl) || (name[pl] && name[pl] != '/')) {
                        rc = diag_err(d, -EIO, "cannot archive %s: entry %s", path, name);
                        archive_entry_free(e);
                        break;
                }
                if (asprintf(&rel, ".%s", name + pl) < 0) {
                        archive_entry_free(e);
                        rc = -ENOMEM;
                        break;
                }
                archive_entry_set_pathname(e, rel);
                archive_entry_sparse_clear(e); /* holes go in as zeros */
                archive_entry_linkify(lr, &e, &spare);
                if (e && archive_write_header(w, e) < ARCHIVE_WARN) {
                        rc = diag_err(d, -EIO, "cannot archive %s: %s", rel,
                                      archive_error_string(w));
                } else if (e && archive_entry_filetype(e) == AE_IFREG &&
                           archive_entry_size(e) > 0) {
                        la_ssize_t n;

                        while ((n = archive_read_data(rd, buf, 1u << 20)) > 0)
                                if (archive_write_data(w, buf, (size_t)n) != n) {
                                        n = -1;
                                        break;
                                }
                        if (n < 0)
                                rc = diag_err(d, -EIO, "cannot archive %s: %s", rel,
                                              archive_error_string(rd));
                }
                archive_entry_free(e);
                archive_entry_free(spare);
                if (rc < 0)
                        break;
        }
        if (rc >= 0 && archive_write_close(w) != ARCHIVE_OK)
                rc = diag_err(d, -EIO, "cannot write %s: %s", out, archive_error_string(w));
out:
        if (lr)
                archive_entry_linkresolver_free(lr);
        archive_read_free(rd);
        archive_write_free(w);
        return rc;
}

struct layer {
        const char *type;
        char digest[OCI_DIGEST];
        uint64_t size;
        char *name;
};

/* The object's entries, each made into a blob and uploaded. */
static int push_layers(struct oci_remote *r, const char *dir, const char *scratch, struct layer *v,
                       size_t *n, struct diag *d)
{
        struct dirent **names = NULL;
        int k = scandir(dir, &names, NULL, alphasort), rc = 0;

        if (k < 0)
                return diag_err(d, -errno, "cannot list %s: %m", dir);
        for (int i = 0; i < k; i++) {
                const char *nm = names[i]->d_name;
                _cleanup_free_ char *p = NULL, *tmp = NULL;
                struct stat st;
                struct layer *l;
                const char *send;
                bool digested;

                if (rc < 0 || !strcmp(nm, ".") || !strcmp(nm, ".."))
                        goto next;
                if (*n >= MAX_LAYERS) {
                        rc = diag_err(d, -E2BIG, "%s: more than %d entries", dir, MAX_LAYERS);
                        goto next;
                }
                l = &v[*n];
                if (!(p = path_join(dir, nm)) ||
                    asprintf(&tmp, "%s/push.%d.%s", scratch, (int)getpid(), nm) < 0) {
                        tmp = NULL;
                        rc = -ENOMEM;
                        goto next;
                }
                if (lstat(p, &st) < 0) {
                        rc = diag_err(d, -errno, "%s: %m", p);
                        goto next;
                }
                send = p;
                digested = false;
                if (S_ISREG(st.st_mode) && !mostly_holes(&st)) {
                        l->type = FILE_TYPE;
                } else if (S_ISREG(st.st_mode)) {
                        struct gz_image gz; /* its digest taken as it is written */
                        struct stat gst;

                        l->type = FILEGZ_TYPE;
                        send = tmp;
                        if ((rc = gz_image_write(p, tmp, &gz, d)) >= 0 && stat(tmp, &gst) < 0)
                                rc = diag_err(d, -errno, "%s: %m", tmp);
                        if (rc >= 0) {
                                snprintf(l->digest, sizeof(l->digest), "sha256:%s", gz.gz_sha);
                                l->size = (uint64_t)gst.st_size;
                                digested = true;
                        }
                } else if (S_ISDIR(st.st_mode)) {
                        l->type = TREE_TYPE;
                        rc = tar_tree(p, tmp, d);
                        send = tmp;
                } else {
                        rc = diag_err(d, -EINVAL, "%s: neither a file nor a directory", p);
                }
                if (rc >= 0 && !digested && (rc = oci_digest_file(send, l->digest, &l->size)) < 0)
                        diag_err(d, rc, "cannot read %s: %s", send, strerror(-rc));
                if (rc >= 0 && (rc = oci_blob_put_file(r, send, l->digest, l->size, d)) >= 0) {
                        l->name = strdup(nm);
                        rc = l->name ? 0 : -ENOMEM;
                        (*n)++;
                }
                if (send == tmp)
                        unlink(tmp);
        next:
                free(names[i]);
        }
        free(names);
        return rc;
}

static json_t *descriptor(const char *type, const char *digest, uint64_t size)
{
        return json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", digest, "size",
                         (json_int_t)size);
}

int oci_object_exists(struct oci_remote *r, const char *key, struct diag *d)
{
        return oci_manifest_exists(r, key, d);
}

int oci_object_push(struct oci_remote *r, const char *key, const char *node, const char *dir,
                    const char *manifest, const char *scratch, struct diag *d)
{
        struct layer v[MAX_LAYERS] = {0};
        size_t n = 0;
        _cleanup_free_ char *sum = NULL, *cfg = NULL, *man = NULL;
        size_t sum_len;
        char cdigest[OCI_DIGEST], mdigest[OCI_DIGEST];
        json_t *j = NULL, *layers;
        int rc = oci_manifest_exists(r, key, d);

        if (rc != -ENOENT)
                return rc; /* there already (0), or the registry failed */
        if ((rc = read_file(manifest, &sum, &sum_len)) < 0)
                return diag_err(d, rc, "cannot read %s: %s", manifest, strerror(-rc));
        if ((rc = push_layers(r, dir, scratch, v, &n, d)) < 0)
                goto out;
        j = json_pack("{s:s, s:s, s:s, s:s}", "key", key, "node", node, "treesum", sum, "pocbake",
                      POCBAKE_VERSION);
        cfg = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        if (!cfg || (rc = oci_blob_put_mem(r, cfg, strlen(cfg), cdigest, d)) < 0) {
                rc = cfg ? rc : -ENOMEM;
                goto out;
        }
        layers = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *l = descriptor(v[i].type, v[i].digest, v[i].size);

                json_object_set_new(l, "annotations", json_pack("{s:s}", TITLE, v[i].name));
                json_array_append_new(layers, l);
        }
        j = json_pack("{s:i, s:s, s:s, s:o, s:o, s:{s:s, s:s}}", "schemaVersion", 2, "mediaType",
                      OCI_MANIFEST_TYPE, "artifactType", OCI_OBJECT_ARTIFACT, "config",
                      descriptor(CONFIG_TYPE, cdigest, strlen(cfg)), "layers", layers,
                      "annotations", "dev.pocbake.key", key, "dev.pocbake.node", node);
        man = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        if (!man)
                rc = -ENOMEM;
        else
                rc = oci_manifest_put(r, key, OCI_MANIFEST_TYPE, man, strlen(man), mdigest, d);
out:
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        return rc;
}

/* Whether name is one entry of an object: no '/', not "." or "..". */
static bool plain_name(const char *s)
{
        return s && *s && strlen(s) < 256 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* Inflate the gzip'd file at src into dst, leaving the zero blocks as holes;
 * at most max bytes. */
static int gunzip_sparse(const char *src, const char *dst, uint64_t max, struct diag *d)
{
        gzFile z = gzopen(src, "rb");
        _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        _cleanup_free_ char *buf = malloc(BLOCK);
        uint64_t off = 0;
        int n, rc = 0;

        if (!z || out < 0 || !buf) {
                if (z)
                        gzclose(z);
                return diag_err(d, -EIO, "cannot unpack %s into %s", src, dst);
        }
        gzbuffer(z, 1u << 20);
        while ((n = gzread(z, buf, BLOCK)) > 0) {
                bool zero = buf[0] == 0 && !memcmp(buf, buf + 1, (size_t)n - 1);

                if (off + (uint64_t)n > max) {
                        rc = diag_err(d, -EBADMSG,
                                      "%s: unpacks to more than the %llu bytes "
                                      "recorded",
                                      dst, (unsigned long long)max);
                        break;
                }
                if (!zero && (rc = pwrite_full(out, buf, (size_t)n, off)) < 0) {
                        diag_err(d, rc, "cannot write %s: %s", dst, strerror(-rc));
                        break;
                }
                off += (uint64_t)n;
        }
        if (rc >= 0 && n < 0)
                rc = diag_err(d, -EBADMSG, "%s: not gzip data", src);
        if (rc >= 0 && ftruncate(out, (off_t)off) < 0)
                rc = diag_err(d, -errno, "cannot write %s: %m", dst);
        gzclose(z);
        return rc;
}

/* Unpack the gzip'd tar at src into the directory name, in the working directory
 * (the object's), with owners, modes, times and attributes; nothing may lead out
 * of it; at most budget bytes of file data. */
static int untar(const char *src, const char *name, uint64_t budget, struct diag *d)
{
        struct archive *a = archive_read_new(), *w = archive_write_disk_new();
        int rc = 0, flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                            ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_FFLAGS |
                            ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                            ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
        uint64_t used = 0;
        size_t nl = strlen(name);

        if (!a || !w) {
                rc = -ENOMEM;
                goto out;
        }
        archive_read_support_format_tar(a);
        archive_read_support_filter_gzip(a);
        archive_write_disk_set_options(w, flags);
        if (archive_read_open_filename(a, src, 1u << 20) != ARCHIVE_OK) {
                rc = diag_err(d, -EBADMSG, "%s: %s", src, archive_error_string(a));
                goto out;
        }
        for (;;) {
                struct archive_entry *e;
                const char *p, *hl;
                _cleanup_free_ char *np = NULL, *nh = NULL;
                int r = archive_read_next_header(a, &e);

                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        rc = diag_err(d, -EBADMSG, "%s: %s", name, archive_error_string(a));
                        break;
                }
                p = archive_entry_pathname(e);
                hl = archive_entry_hardlink(e);
                /* every name is "./..." inside the tree; it lands under name/ */
                if (!p || strncmp(p, ".", 1) || (p[1] && p[1] != '/') ||
                    (hl && (strncmp(hl, "./", 2)))) {
                        rc = diag_err(d, -EBADMSG, "%s: entry %s is not inside the tree", name,
                                      p ? p : "?");
                        break;
                }
                if (asprintf(&np, "%.*s%s", (int)nl, name, p + 1) < 0 ||
                    (hl && asprintf(&nh, "%.*s%s", (int)nl, name, hl + 1) < 0)) {
                        np = nh = NULL;
                        rc = -ENOMEM;
                        break;
                }
                archive_entry_set_pathname(e, np);
                if (hl)
                        archive_entry_set_hardlink(e, nh);
                if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
                        used += (uint64_t)archive_entry_size(e);
                if (used > budget) {
                        rc = diag_err(d, -EBADMSG, "%s: more file data than was recorded", name);
                        break;
                }
                if (archive_write_header(w, e) < ARCHIVE_WARN) {
                        rc = diag_err(d, -EBADMSG, "%s: %s", np, archive_error_string(w));
                        break;
                }
                for (;;) {
                        const void *buf;
                        size_t len;
                        la_int64_t off;

                        r = archive_read_data_block(a, &buf, &len, &off);
                        if (r == ARCHIVE_EOF)
                                break;
                        if (r < ARCHIVE_WARN ||
                            archive_write_data_block(w, buf, len, off) < ARCHIVE_WARN) {
                                rc = diag_err(d, -EBADMSG, "%s: %s", np,
                                              archive_error_string(r < ARCHIVE_WARN ? a : w));
                                break;
                        }
                }
                if (rc < 0)
                        break;
                if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
                        rc = diag_err(d, -EIO, "%s: %s", np, archive_error_string(w));
                        break;
                }
        }
        if (rc >= 0 && archive_write_close(w) != ARCHIVE_OK)
                rc = diag_err(d, -EIO, "%s: %s", name, archive_error_string(w));
out:
        archive_read_free(a);
        archive_write_free(w);
        return rc;
}

/* The first line of a that b does not have, for the message. */
static char *first_diff(const char *a, const char *b)
{
        while (*a) {
                size_t len = strcspn(a, "\n");

                if (strncmp(a, b, len) || (b[len] != '\n' && b[len]))
                        return strndup(a, len);
                a += len + (a[len] ? 1 : 0);
                b += strcspn(b, "\n");
                b += *b ? 1 : 0;
        }
        return strdup(*b ? b : "?");
}

int oci_object_pull(struct oci_remote *r, const char *key, const char *dir, const char *manifest,
                    struct diag *d)
{
        _cleanup_free_ char *body = NULL, *cfg = NULL, *want = NULL, *have = NULL, *sum = NULL;
        _cleanup_free_ char *why = NULL, *what = NULL;
        size_t len, sum_len;
        char mdigest[OCI_DIGEST];
        struct oci_manifest m;
        json_t *c = NULL;
        const char *csum, *ckey;
        uint64_t total = 0, dummy;
        int rc = oci_manifest_get(r, key, &body, &len, mdigest, d);

        if (rc < 0)
                return rc;
        if (asprintf(&what, "%s/%s:%s", r->host, r->repo, key) < 0)
                return -ENOMEM;
        if ((rc = oci_manifest_parse(body, len, MAX_LAYERS, &m, what, d)) < 0)
                return rc;
        if (strcmp(m.config.media_type, CONFIG_TYPE)) {
                rc = diag_err(d, -EBADMSG, "%s is not a pocbake cache object", what);
                goto out;
        }
        if ((rc = oci_blob_get_mem(r, m.config.digest, m.config.size, CONFIG_MAX, &cfg, d)) < 0)
                goto out;
        c = json_loadb(cfg, m.config.size, 0, NULL);
        csum = json_string_value(json_object_get(c, "treesum"));
        ckey = json_string_value(json_object_get(c, "key"));
        if (!csum || !ckey || strcmp(ckey, key)) {
                rc = diag_err(d, -EBADMSG, "%s: its record names another object", what);
                goto out;
        }
        if (!(want = oci_treesum_content(csum, &total))) {
                rc = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < m.n_layers; i++) {
                const struct oci_desc *l = &m.layers[i];
                _cleanup_free_ char *dl = NULL, *dst = NULL;
                _cleanup_close_ int fd = -1;

                if (!plain_name(l->title)) {
                        rc = diag_err(d, -EBADMSG, "%s: layer %zu is not one of an object", what,
                                      i);
                        break;
                }
                if (asprintf(&dl, "%s/.pull.%zu", dir, i) < 0 ||
                    !(dst = path_join(dir, l->title))) {
                        dl = NULL;
                        rc = -ENOMEM;
                        break;
                }
                fd = open(dl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0) {
                        rc = diag_err(d, -errno, "cannot create %s: %m", dl);
                        break;
                }
                if ((rc = oci_blob_get_fd(r, l->digest, l->size, fd, d)) < 0) {
                        unlink(dl);
                        break;
                }
                if (!strcmp(l->media_type, FILE_TYPE)) {
                        if (rename(dl, dst) < 0)
                                rc = diag_err(d, -errno, "cannot create %s: %m", dst);
                } else if (!strcmp(l->media_type, FILEGZ_TYPE)) {
                        rc = gunzip_sparse(dl, dst, total, d);
                } else if (!strcmp(l->media_type, TREE_TYPE)) {
                        if (chdir(dir) < 0)
                                rc = diag_err(d, -errno, "%s: %m", dir);
                        else
                                rc = untar(dl, l->title, total, d);
                } else {
                        rc = diag_err(d, -EBADMSG,
                                      "%s: layer %s of a type pocbake does not know: %s", what,
                                      l->title, l->media_type);
                }
                unlink(dl);
                if (rc < 0)
                        break;
        }
        if (rc < 0)
                goto out;
        /* what arrived, against what the build that made it recorded */
        if ((rc = treesum_write(dir, manifest)) < 0) {
                diag_err(d, rc, "cannot record %s: %s", dir, strerror(-rc));
                goto out;
        }
        if ((rc = read_file(manifest, &sum, &sum_len)) < 0 ||
            !(have = oci_treesum_content(sum, &dummy))) {
                rc = diag_err(d, rc < 0 ? rc : -ENOMEM, "cannot read %s", manifest);
                goto out;
        }
        if (strcmp(have, want)) {
                why = first_diff(want, have);
                rc = diag_err(d, -EBADMSG,
                              "%s: what was pulled differs from what the build that pushed it "
                              "recorded (%s)",
                              what, why ? why : "?");
                unlink(manifest);
        }
out:
        oci_manifest_release(&m);
        json_decref(c);
        return rc;
}
