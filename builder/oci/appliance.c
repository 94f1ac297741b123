/* appliance.c: push the files an appliance's bundle signs, with the signature as a referrer; pull
 * them back checked. */
#include "appliance.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/bundle.h"
#include "media/cms.h"
#include "manifest.h"
#include "media/sums.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

#define CONFIG_TYPE "application/vnd.pocbake.appliance.config.v1+json"
#define FILE_TYPE   "application/vnd.pocbake.file.v1"
#define SIG_TYPE    "application/pkcs7-signature"
#define EMPTY_TYPE  "application/vnd.oci.empty.v1+json"
#define TITLE       "org.opencontainers.image.title"
#define META_MAX    (64u << 20)
#define MAX_FILES   4096

struct meta {
        char *data[ARRAY_SIZE(bundle_meta_names)];
        size_t len[ARRAY_SIZE(bundle_meta_names)];
};

static void meta_release(struct meta *m)
{
        for (size_t i = 0; i < ARRAY_SIZE(m->data); i++)
                free(m->data[i]);
}

static int meta_index(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(bundle_meta_names); i++)
                if (!strcmp(name, bundle_meta_names[i]))
                        return (int)i;
        return -1;
}

/* The one bundle of dir (*.tar.zst), malloc'd. */
static int find_bundle(const char *dir, char **path, struct diag *d)
{
        _cleanup_closedir_ DIR *dh = opendir(dir);
        struct dirent *e;
        size_t n = 0;

        if (!dh)
                return diag_err(d, -errno, "cannot open %s: %m", dir);
        *path = NULL;
        while ((e = readdir(dh))) {
                size_t l = strlen(e->d_name);

                if (l > 8 && !strcmp(e->d_name + l - 8, ".tar.zst") && e->d_name[0] != '.') {
                        n++;
                        free(*path);
                        *path = path_join(dir, e->d_name);
                }
        }
        if (n != 1) {
                free(*path);
                *path = NULL;
                return diag_err(d, -ENOENT,
                                "%s: %s bundle (expected the output directory of a build whose "
                                "recipe has outputs: [bundle])",
                                dir, n ? "more than one" : "no");
        }
        return *path ? 0 : -ENOMEM;
}

/* The bundle's metadata members, read into memory. */
static int read_meta(const char *bundle, struct meta *m, struct diag *d)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int rc = 0, r;

        if (!a)
                return -ENOMEM;
        archive_read_support_format_tar(a);
        archive_read_support_filter_zstd(a);
        if (archive_read_open_filename(a, bundle, 1u << 20) != ARCHIVE_OK) {
                rc = diag_err(d, -EIO, "%s: %s", bundle, archive_error_string(a));
                goto out;
        }
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                int k = meta_index(archive_entry_pathname(e));
                la_int64_t size = archive_entry_size(e);

                if (k < 0)
                        continue;
                if (size < 0 || size > (la_int64_t)META_MAX || m->data[k]) {
                        rc = diag_err(d, -EBADMSG, "%s: member %s: too large or twice", bundle,
                                      bundle_meta_names[k]);
                        break;
                }
                m->data[k] = malloc((size_t)size + 1);
                if (!m->data[k]) {
                        rc = -ENOMEM;
                        break;
                }
                if (archive_read_data(a, m->data[k], (size_t)size) != size) {
                        rc = diag_err(d, -EBADMSG, "%s: member %s: %s", bundle,
                                      bundle_meta_names[k], archive_error_string(a));
                        break;
                }
                m->data[k][size] = 0;
                m->len[k] = (size_t)size;
        }
        if (rc >= 0 && r != ARCHIVE_EOF)
                rc = diag_err(d, -EBADMSG, "%s: %s", bundle, archive_error_string(a));
        for (size_t i = 0; rc >= 0 && i < 2; i++)
                if (!m->data[i])
                        rc = diag_err(d, -EBADMSG, "%s: no %s member", bundle,
                                      bundle_meta_names[i]);
out:
        archive_read_free(a);
        return rc;
}

static json_t *descriptor(const char *type, const char *digest, uint64_t size, const char *title)
{
        json_t *j = json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", digest, "size",
                              (json_int_t)size);

        if (j && title)
                json_object_set_new(j, "annotations", json_pack("{s:s}", TITLE, title));
        return j;
}

static int put_manifest(struct oci_remote *r, const char *tag, json_t *j, char digest[OCI_DIGEST],
                        struct diag *d)
{
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

        json_decref(j);
        if (!text)
                return -ENOMEM;
        return oci_manifest_put(r, tag, OCI_MANIFEST_TYPE, text, strlen(text), digest, d);
}

int oci_appliance_push(struct oci_remote *r, const char *tag, const char *dir,
                       char digest[OCI_DIGEST], size_t *files, struct diag *d)
{
        _cleanup_free_ char *bundle = NULL, *cfg = NULL, *sigtag = NULL;
        struct meta m = {0};
        struct sums s = {0};
        json_t *layers = json_array(), *j;
        char dg[OCI_DIGEST], cdig[OCI_DIGEST], edig[OCI_DIGEST], sdig[OCI_DIGEST];
        int rc;

        *files = 0;
        if (!layers)
                return -ENOMEM;
        if ((rc = find_bundle(dir, &bundle, d)) < 0 || (rc = read_meta(bundle, &m, d)) < 0 ||
            (rc = sums_parse(m.data[0], m.len[0], &s, "SHA256SUMS", d)) < 0)
                goto out;
        /* SHA256SUMS itself, then each file it lists */
        if ((rc = oci_blob_put_mem(r, m.data[0], m.len[0], dg, d)) < 0)
                goto out;
        json_array_append_new(layers, descriptor(FILE_TYPE, dg, m.len[0], "SHA256SUMS"));
        for (size_t i = 0; rc >= 0 && i < s.n; i++) {
                const char *name = s.v[i].name;
                int k = meta_index(name);
                uint64_t size;

                if (k >= 0 && m.data[k]) {
                        rc = oci_blob_put_mem(r, m.data[k], m.len[k], dg, d);
                        size = m.len[k];
                } else {
                        _cleanup_free_ char *p = path_join(dir, name);

                        if (!p) {
                                rc = -ENOMEM;
                                break;
                        }
                        if ((rc = oci_digest_file(p, dg, &size)) < 0) {
                                rc = diag_err(d, rc, "%s: %s (the bundle lists it)", p,
                                              strerror(-rc));
                                break;
                        }
                        if (strcmp(dg + 7, s.v[i].hex)) {
                                rc = diag_err(d, -EBADMSG,
                                              "%s: not the file the bundle signed (its sha256 is "
                                              "%s, the bundle's SHA256SUMS says %s)",
                                              p, dg + 7, s.v[i].hex);
                                break;
                        }
                        rc = oci_blob_put_file(r, p, dg, size, d);
                }
                if (rc >= 0)
                        json_array_append_new(layers, descriptor(FILE_TYPE, dg, size, name));
        }
        if (rc < 0)
                goto out;
        j = json_pack("{s:s, s:s, s:I}", "bundle", strrchr(bundle, '/') + 1, "pocbake",
                      POCBAKE_VERSION, "files", (json_int_t)s.n);
        cfg = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        json_decref(j);
        if (!cfg || (rc = oci_blob_put_mem(r, cfg, strlen(cfg), cdig, d)) < 0) {
                rc = cfg ? rc : -ENOMEM;
                goto out;
        }
        j = json_pack("{s:i, s:s, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
                      OCI_MANIFEST_TYPE, "artifactType", OCI_APPLIANCE_ARTIFACT, "config",
                      descriptor(CONFIG_TYPE, cdig, strlen(cfg), NULL), "layers", layers);
        if ((rc = put_manifest(r, tag, j, digest, d)) < 0)
                goto out;
        *files = s.n + 1;
        /* the signature, as an artifact whose subject is the appliance */
        if ((rc = oci_blob_put_mem(r, "{}", 2, edig, d)) < 0 ||
            (rc = oci_blob_put_mem(r, m.data[1], m.len[1], sdig, d)) < 0)
                goto out;
        {
                _cleanup_free_ char *body = NULL;
                size_t len = 0;
                char again[OCI_DIGEST];

                /* the subject's size: the bytes just put */
                if ((rc = oci_manifest_get(r, digest, &body, &len, again, d)) < 0)
                        goto out;
                j = json_pack("{s:i, s:s, s:s, s:o, s:[o], s:o}", "schemaVersion", 2, "mediaType",
                              OCI_MANIFEST_TYPE, "artifactType", OCI_SIGNATURE_ARTIFACT, "config",
                              descriptor(EMPTY_TYPE, edig, 2, NULL), "layers",
                              descriptor(SIG_TYPE, sdig, m.len[1], "SHA256SUMS.sig"), "subject",
                              descriptor(OCI_MANIFEST_TYPE, digest, len, NULL));
        }
        if (asprintf(&sigtag, "sha256-%s.sig", digest + 7) < 0) {
                sigtag = NULL;
                json_decref(j);
                rc = -ENOMEM;
                goto out;
        }
        rc = put_manifest(r, sigtag, j, sdig, d);
out:
        json_decref(layers);
        sums_release(&s);
        meta_release(&m);
        return rc;
}

/* Write the blob into root/name (directories made as needed). */
static int fetch_file(struct oci_remote *r, const char *root, const char *name, const char *dg,
                      uint64_t size, struct diag *d)
{
        _cleanup_free_ char *p = path_join(root, name), *parent = NULL;
        _cleanup_close_ int fd = -1;
        int rc;

        if (!p || !(parent = strdup(p)))
                return -ENOMEM;
        if ((rc = mkdir_p(dirname(parent), 0755)) < 0)
                return diag_err(d, rc, "cannot create a directory for %s: %s", p, strerror(-rc));
        fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return diag_err(d, -errno, "cannot create %s: %m", p);
        return oci_blob_get_fd(r, dg, size, fd, d);
}

/* The signature artifact of the appliance digest: its SHA256SUMS.sig bytes. */
static int fetch_signature(struct oci_remote *r, const char *digest, char **sig, size_t *len,
                           struct diag *d)
{
        _cleanup_free_ char *tag = NULL, *body = NULL;
        size_t blen;
        char sdig[OCI_DIGEST];
        struct oci_manifest m;
        int rc;

        if (asprintf(&tag, "sha256-%s.sig", digest + 7) < 0)
                return -ENOMEM;
        rc = oci_manifest_get(r, tag, &body, &blen, sdig, d);
        if (rc == -ENOENT)
                return diag_err(d, -ENOENT, "%s/%s@%s has no signature attached (expected %s:%s)",
                                r->host, r->repo, digest, r->repo, tag);
        if (rc < 0 || (rc = oci_manifest_parse(body, blen, 1, &m, tag, d)) < 0)
                return rc;
        if (!m.has_subject || strcmp(m.subject.digest, digest) || m.n_layers != 1 ||
            strcmp(m.layers[0].media_type, SIG_TYPE) || !m.layers[0].size)
                rc = diag_err(d, -EBADMSG, "%s/%s:%s: not the signature of %s", r->host, r->repo,
                              tag, digest);
        else
                rc = oci_blob_get_mem(r, m.layers[0].digest, m.layers[0].size, 1u << 20, sig, d);
        if (rc >= 0)
                *len = (size_t)m.layers[0].size;
        oci_manifest_release(&m);
        return rc;
}

/* Everything a pulled tree must hold, checked in tmp before it becomes out. */
static int check_pulled(const char *tmp, const struct oci_manifest *m, const char *sig,
                        size_t sig_len, X509 *anchor, struct diag *d)
{
        _cleanup_free_ char *sums_path = path_join(tmp, "SHA256SUMS"), *text = NULL;
        struct sums s = {0};
        size_t len, i;
        int rc;

        if (!sums_path)
                return -ENOMEM;
        if ((rc = read_file(sums_path, &text, &len)) < 0)
                return diag_err(d, -EBADMSG, "the appliance has no SHA256SUMS");
        if ((rc = cms_verify_detached((const uint8_t *)sig, sig_len, text, len, NULL, anchor,
                                      "SHA256SUMS", d)) < 0)
                return rc;
        if ((rc = sums_parse(text, len, &s, "SHA256SUMS", d)) < 0)
                return rc;
        /* every listed file there with its digest; every file there listed */
        for (i = 0; rc >= 0 && i < s.n; i++) {
                _cleanup_free_ char *p = path_join(tmp, s.v[i].name);
                char dg[OCI_DIGEST];
                uint64_t size;

                if (!p)
                        rc = -ENOMEM;
                else if (oci_digest_file(p, dg, &size) < 0)
                        rc = diag_err(d, -EBADMSG, "%s: listed in SHA256SUMS, not in the appliance",
                                      s.v[i].name);
                else if (strcmp(dg + 7, s.v[i].hex))
                        rc = diag_err(d, -EBADMSG, "%s: sha256 %s, SHA256SUMS says %s", s.v[i].name,
                                      dg + 7, s.v[i].hex);
        }
        for (i = 0; rc >= 0 && i < m->n_layers; i++)
                if (strcmp(m->layers[i].title, "SHA256SUMS") && !sums_find(&s, m->layers[i].title))
                        rc = diag_err(d, -EBADMSG, "%s: in the appliance, not in SHA256SUMS",
                                      m->layers[i].title);
        sums_release(&s);
        return rc;
}

int oci_appliance_pull(struct oci_remote *r, const char *ref, const char *out, X509 *anchor,
                       char digest[OCI_DIGEST], size_t *files, struct diag *d)
{
        _cleanup_free_ char *body = NULL, *tmp = NULL, *sig = NULL;
        size_t len, sig_len = 0, i;
        struct oci_manifest m = {0};
        struct stat st;
        int rc;

        *files = 0;
        if (lstat(out, &st) == 0 || errno != ENOENT)
                return diag_err(d, -EEXIST, "%s is there already (expected a new directory)", out);
        if ((rc = oci_manifest_get(r, ref, &body, &len, digest, d)) < 0) {
                if (rc == -ENOENT)
                        diag_err(d, rc, "%s/%s has no %s", r->host, r->repo, ref);
                return rc;
        }
        if ((rc = oci_manifest_parse(body, len, MAX_FILES, &m, ref, d)) < 0)
                return rc;
        if (!m.artifact_type || strcmp(m.artifact_type, OCI_APPLIANCE_ARTIFACT)) {
                rc = diag_err(d, -EBADMSG, "%s/%s@%s is not a pocbake appliance", r->host, r->repo,
                              digest);
                goto out;
        }
        /* every title a safe relative path, once */
        for (i = 0; i < m.n_layers; i++) {
                bool twice = false;

                for (size_t k = 0; m.layers[i].title && k < i; k++)
                        twice |= !strcmp(m.layers[k].title, m.layers[i].title);
                if (!m.layers[i].title || sums_name_ok(m.layers[i].title) < 0 || twice) {
                        rc = diag_err(d, -EBADMSG,
                                      "%s/%s@%s: layer %zu: not a file of an appliance", r->host,
                                      r->repo, digest, i);
                        goto out;
                }
        }
        if ((rc = fetch_signature(r, digest, &sig, &sig_len, d)) < 0)
                goto out;
        if (asprintf(&tmp, "%s.pull-XXXXXX", out) < 0 || !mkdtemp(tmp)) {
                rc = diag_err(d, -errno, "cannot create a directory beside %s: %m", out);
                free(tmp);
                tmp = NULL;
                goto out;
        }
        for (i = 0; i < m.n_layers; i++)
                if ((rc = fetch_file(r, tmp, m.layers[i].title, m.layers[i].digest,
                                     m.layers[i].size, d)) < 0)
                        goto out;
        if ((rc = check_pulled(tmp, &m, sig, sig_len, anchor, d)) < 0)
                goto out;
        {
                _cleanup_free_ char *sp = path_join(tmp, "SHA256SUMS.sig");

                if (!sp || (rc = write_file_atomic(sp, sig, sig_len, 0644)) < 0) {
                        rc = diag_err(d, sp ? rc : -ENOMEM, "cannot write SHA256SUMS.sig");
                        goto out;
                }
        }
        if (rename(tmp, out) < 0) {
                rc = diag_err(d, -errno, "cannot create %s: %m", out);
                goto out;
        }
        *files = m.n_layers + 1;
out:
        if (rc < 0 && tmp)
                rm_rf(tmp);
        oci_manifest_release(&m);
        return rc;
}
