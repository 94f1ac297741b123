/* bundle.c: the signed CI bundle written: artifacts streamed into tar.zst and tar.gz, metadata. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign/ossl.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/fsutil.h"
#include "bundle_int.h"
#include "cms.h"
#include "dsse.h"
#include "fanout.h"
#include "media.h"

const char *const bundle_meta_names[5] = {"SHA256SUMS", "SHA256SUMS.sig", "manifest.json",
                                          "provenance.intoto.jsonl", "sbom.spdx.json"};

/* The tar stream, written once by libarchive and compressed by the fanout's
 * sinks into each output. */
struct out {
        struct archive *tar;
        struct fanout *fan;
        struct atomic_file f[FANOUT_SINKS];
        const char *path[FANOUT_SINKS];
        int n;
};

static int check_item(const struct bundle_item *it, struct diag *d)
{
        struct stat st;

        if (!it->path || !sums_name_ok(it->path) || !utf8_ok(it->path))
                return diag_err(d, -EINVAL,
                                "bundle path \"%s\": expected a relative path without "
                                "\".\", \"..\", empty parts or control characters",
                                it->path ? it->path : "");
        for (size_t i = 0; i < ARRAY_SIZE(bundle_meta_names); i++)
                if (!strcmp(it->path, bundle_meta_names[i]))
                        return diag_err(d, -EINVAL, "bundle path \"%s\" is reserved for metadata",
                                        it->path);
        if ((it->role && (!utf8_ok(it->role) || strpbrk(it->role, "\n\t\r"))) ||
            (it->kind && (!utf8_ok(it->kind) || strpbrk(it->kind, "\n\t\r"))))
                return diag_err(d, -EINVAL, "bundle path \"%s\": bad role or kind", it->path);
        if (!it->src || stat(it->src, &st) < 0)
                return diag_err(d, -errno, "bundle path \"%s\": cannot read \"%s\": %m", it->path,
                                it->src ? it->src : "");
        if (!S_ISREG(st.st_mode))
                return diag_err(d, -EINVAL, "bundle path \"%s\": \"%s\" is not a regular file",
                                it->path, it->src);
        return 0;
}

static int cmp_item(const void *a, const void *b)
{
        return strcmp((*(const struct bundle_item *const *)a)->path,
                      (*(const struct bundle_item *const *)b)->path);
}

static bool has_item(const struct bundle_item **sorted, size_t n, const char *path)
{
        const struct bundle_item key = {.path = path}, *kp = &key;

        return path && bsearch(&kp, sorted, n, sizeof(*sorted), cmp_item);
}

/* Everything that can be wrong with the spec, before a byte is written. */
static int check_spec(const struct bundle_spec *s, const struct bundle_item **sorted,
                      struct diag *d)
{
        int r = 0;

        if (s->n_items == 0)
                return diag_err(d, -EINVAL, "a bundle needs at least one file");
        if (s->epoch < 0)
                return diag_err(d, -EINVAL, "bad SOURCE_DATE_EPOCH");
        if (!s->key || !s->cert)
                return diag_err(d, -EINVAL, "a code-signing key and certificate are needed");
        if (s->recipe_digest &&
            (strlen(s->recipe_digest) != 64 || strspn(s->recipe_digest, "0123456789abcdef") != 64))
                return diag_err(d, -EINVAL,
                                "recipe digest \"%s\": expected 64 lowercase hex digits",
                                s->recipe_digest);
        for (size_t i = 0; r >= 0 && i < s->n_items; i++) {
                r = check_item(&s->items[i], d);
                sorted[i] = &s->items[i];
        }
        if (r < 0)
                return r;
        qsort(sorted, s->n_items, sizeof(*sorted), cmp_item);
        for (size_t i = 1; i < s->n_items; i++)
                if (!strcmp(sorted[i - 1]->path, sorted[i]->path))
                        return diag_err(d, -EINVAL, "bundle path \"%s\" given twice",
                                        sorted[i]->path);
        for (size_t i = 0; i < s->n_derived; i++) {
                const struct bundle_derived *v = &s->derived[i];
                const struct bundle_item key = {.path = v->from}, *kp = &key;

                if (!v->path || !sums_name_ok(v->path) || !utf8_ok(v->path) || !v->format ||
                    strspn(v->format, "abcdefghijklmnopqrstuvwxyz0123456789") !=
                            strlen(v->format) ||
                    !v->from || !bsearch(&kp, sorted, s->n_items, sizeof(*sorted), cmp_item))
                        return diag_err(d, -EINVAL,
                                        "derived output \"%s\": expected a relative path, a "
                                        "format name and a member it comes from",
                                        v->path ? v->path : "");
        }
        for (size_t i = 0; i < s->n_deps; i++)
                if (!s->deps[i].name || !utf8_ok(s->deps[i].name) || !s->deps[i].src ||
                    (s->deps[i].sha256 ? strlen(s->deps[i].sha256) != 64
                                       : access(s->deps[i].src, R_OK) < 0))
                        return diag_err(d, -EINVAL, "input file \"%s\" cannot be read",
                                        s->deps[i].src ? s->deps[i].src : "");
        for (size_t i = 0; i < s->n_roles; i++)
                if (!s->roles[i] || !utf8_ok(s->roles[i]))
                        return diag_err(d, -EINVAL, "role %zu: not a UTF-8 name", i + 1);
        for (size_t g = 0; g < s->n_pkgs; g++)
                for (size_t i = 0; i < s->pkgs[g].n_in; i++)
                        if (!has_item(sorted, s->n_items, s->pkgs[g].in[i]))
                                return diag_err(d, -EINVAL,
                                                "packages of %s: \"%s\" is not a bundle file",
                                                s->pkgs[g].origin ? s->pkgs[g].origin : "?",
                                                s->pkgs[g].in[i] ? s->pkgs[g].in[i] : "");
        for (size_t i = 0; i < s->n_infiles; i++) {
                const struct bundle_infile *f = &s->infiles[i];

                if (!f->name || !utf8_ok(f->name) || !f->src || access(f->src, R_OK) < 0)
                        return diag_err(d, -EINVAL, "input file \"%s\" cannot be read",
                                        f->src ? f->src : "");
                for (size_t k = 0; k < f->n_in; k++)
                        if (!has_item(sorted, s->n_items, f->in[k]))
                                return diag_err(d, -EINVAL, "%s: \"%s\" is not a bundle file",
                                                f->name, f->in[k] ? f->in[k] : "");
        }
        for (size_t i = 0; i < s->n_contains; i++)
                if (!has_item(sorted, s->n_items, s->contains[i].outer) ||
                    !has_item(sorted, s->n_items, s->contains[i].inner))
                        return diag_err(d, -EINVAL, "\"%s\" contains \"%s\": not bundle files",
                                        s->contains[i].outer ? s->contains[i].outer : "",
                                        s->contains[i].inner ? s->contains[i].inner : "");
        return 0;
}

static la_ssize_t tar_write(struct archive *a, void *fan, const void *buf, size_t n)
{
        (void)a;
        fanout_write(fan, buf, n);
        return (la_ssize_t)n;
}

static int out_open(struct out *o, const char *zst, const char *gz, struct diag *d)
{
        const char *paths[FANOUT_SINKS] = {zst, gz};
        int r = fanout_new(&o->fan, d);

        for (int i = 0; r >= 0 && i < FANOUT_SINKS && paths[i]; i++) {
                r = atomic_open(&o->f[i], paths[i], 0644);
                if (r < 0)
                        return diag_err(d, r, "cannot create \"%s\": %s", paths[i], strerror(-r));
                o->path[i] = paths[i];
                o->n = i + 1;
                r = fanout_add(o->fan, o->f[i].fd, paths[i], i ? FANOUT_GZIP : FANOUT_ZSTD, d);
        }
        if (r < 0)
                return r;
        o->tar = archive_write_new();
        if (!o->tar)
                return diag_err(d, -ENOMEM, "out of memory");
        /* ustar headers, pax records only for what ustar cannot hold (long
         * names, sizes past 8 GiB); no atime/ctime records. */
        if (archive_write_set_format_pax_restricted(o->tar) != ARCHIVE_OK ||
            archive_write_add_filter_none(o->tar) != ARCHIVE_OK ||
            archive_write_open2(o->tar, o->fan, NULL, tar_write, NULL, NULL) != ARCHIVE_OK)
                return diag_err(d, -EIO, "cannot start the bundle: %s",
                                archive_error_string(o->tar));
        return 0;
}

/* A file's data runs, 64 KiB-aligned: a block is data when any of its bytes is not
 * zero. Decided by the bytes, not by where the filesystem keeps holes, so the same
 * image gives the same map (and the same bundle) on every machine. */
#define SPARSE_BLOCK ((off_t)64 << 10)
#define SPARSE_MIN   ((off_t)1 << 20) /* fewer zero bytes than this: not worth a map */

struct run {
        off_t off, len;
};

struct sparse_map {
        struct run *v;
        size_t n, cap;
        off_t zero; /* bytes in holes */
};

static int map_add(struct sparse_map *m, off_t off, off_t len)
{
        if (m->n && m->v[m->n - 1].off + m->v[m->n - 1].len == off) {
                m->v[m->n - 1].len += len;
                return 0;
        }
        if (m->n == m->cap) {
                size_t cap = m->cap ? 2 * m->cap : 64;
                struct run *v = realloc(m->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n++] = (struct run){off, len};
        return 0;
}

/* Scan fd (size bytes) into m, in whole 64 KiB blocks, each looked at once; what the
 * filesystem reports as holes is skipped unread (it is zeros either way). */
static int sparse_scan(int fd, off_t size, uint8_t *buf, struct sparse_map *m)
{
        off_t next = 0; /* first block not yet looked at */

        while (next < size) {
                off_t data = lseek(fd, next, SEEK_DATA), end;

                if (data < 0 && errno == ENXIO)
                        break;
                if (data < 0)
                        return -errno;
                end = lseek(fd, data, SEEK_HOLE);
                if (end < 0)
                        return -errno;
                data -= data % SPARSE_BLOCK;
                if (data < next)
                        data = next;
                end = end > size ? size : end;
                end += (SPARSE_BLOCK - end % SPARSE_BLOCK) % SPARSE_BLOCK;
                end = end > size ? size : end;
                for (off_t b = data; b < end;) {
                        size_t want =
                                (size_t)(end - b < (off_t)MEDIA_CHUNK ? end - b : MEDIA_CHUNK);
                        ssize_t n = pread(fd, buf, want, b);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0 || (size_t)n != want)
                                return n < 0 ? -errno : -EIO;
                        for (off_t i = 0; i < n; i += SPARSE_BLOCK) {
                                off_t len = n - i < SPARSE_BLOCK ? n - i : SPARSE_BLOCK;

                                if (!media_all_zero(buf + i, (size_t)len) &&
                                    map_add(m, b + i, len) < 0)
                                        return -ENOMEM;
                        }
                        b += n;
                }
                next = end;
        }
        /* the last block always as data: a map ending in a hole is not read back the
         * same way by every tar reader (some stop at the last data byte) */
        if (size > 0 && (!m->n || m->v[m->n - 1].off + m->v[m->n - 1].len < size)) {
                off_t last = (size - 1) - (size - 1) % SPARSE_BLOCK;

                if (map_add(m, last, size - last) < 0)
                        return -ENOMEM;
        }
        m->zero = size;
        for (size_t i = 0; i < m->n; i++)
                m->zero -= m->v[i].len;
        return 0;
}

/* Whether the bytes of [off, off + n) that the map calls holes are zeros: the file
 * is read twice (scan, then data), and a hole's bytes never reach the archive. */
static bool holes_still_zero(const struct sparse_map *m, size_t *run, off_t off, const uint8_t *buf,
                             size_t n)
{
        off_t end = off + (off_t)n;

        while (off < end) {
                off_t next;

                while (*run < m->n && m->v[*run].off + m->v[*run].len <= off)
                        (*run)++;
                if (*run < m->n && m->v[*run].off <= off) { /* in a data run */
                        off = m->v[*run].off + m->v[*run].len;
                        continue;
                }
                next = *run < m->n && m->v[*run].off < end ? m->v[*run].off : end;
                if (!media_all_zero(buf + (n - (size_t)(end - off)), (size_t)(next - off)))
                        return false;
                off = next;
        }
        return true;
}

static void map_release(struct sparse_map *m)
{
        free(m->v);
}

static int out_header(struct out *o, const char *name, uint64_t size, mode_t perm, int64_t epoch,
                      const struct sparse_map *m, struct diag *d)
{
        struct archive_entry *e = archive_entry_new();
        int r = 0;

        if (!e)
                return diag_err(d, -ENOMEM, "out of memory");
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, perm);
        archive_entry_set_size(e, (la_int64_t)size);
        archive_entry_set_mtime(e, (time_t)epoch, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_uname(e, "root");
        archive_entry_set_gname(e, "root");
        /* a disk image's zeros stay out of the archive: pax sparse (GNU 1.0) entries,
         * the bytes of holes are dropped by the writer and restored by readers */
        for (size_t i = 0; m && m->zero >= SPARSE_MIN && i < m->n; i++)
                archive_entry_sparse_add_entry(e, m->v[i].off, m->v[i].len);
        if (archive_write_header(o->tar, e) != ARCHIVE_OK)
                r = diag_err(d, -EIO, "cannot add \"%s\" to the bundle: %s", name,
                             archive_error_string(o->tar));
        archive_entry_free(e);
        return r;
}

static int out_data(struct out *o, const void *buf, size_t n, struct diag *d)
{
        la_ssize_t w = archive_write_data(o->tar, buf, n);

        if (w < 0 || (size_t)w != n)
                return diag_err(d, -EIO, "cannot write the bundle: %s",
                                archive_error_string(o->tar));
        return 0;
}

static int out_close(struct out *o, struct diag *d)
{
        int r = 0;

        if (archive_write_close(o->tar) != ARCHIVE_OK)
                r = diag_err(d, -EIO, "cannot finish the bundle: %s", archive_error_string(o->tar));
        if (r >= 0)
                r = fanout_finish(o->fan, d);
        for (int i = 0; r >= 0 && i < o->n; i++) {
                r = atomic_commit(&o->f[i]);
                if (r < 0)
                        r = diag_err(d, r, "cannot write \"%s\": %s", o->path[i], strerror(-r));
        }
        return r;
}

static void out_release(struct out *o)
{
        if (o->tar)
                archive_write_free(o->tar);
        fanout_free(o->fan); /* joins the sinks before their files go */
        for (int i = 0; i < o->n; i++)
                atomic_release(&o->f[i]);
}

/* One artifact: read once in chunks, hashed (SHA-256 for the sums, SHA-1 for
 * SPDX) and written to both archives. Memory stays at one chunk. */
static int put_artifact(struct out *o, const struct bundle_item *it, int64_t epoch, uint8_t *buf,
                        struct bundle_art *art, struct diag *d)
{
        _cleanup_close_ int fd = open(it->src, O_RDONLY | O_CLOEXEC);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *sha1 = EVP_MD_CTX_new();
        struct hasher h = {0};
        _cleanup_(map_release) struct sparse_map map = {0};
        uint8_t dig[SHA256_LEN], dig1[SHA1_LEN];
        uint64_t done = 0;
        size_t run = 0;
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return diag_err(d, -errno, "cannot open \"%s\": %m", it->src);
        if (!sha1 || !EVP_DigestInit_ex(sha1, EVP_sha1(), NULL) || hasher_init(&h) < 0)
                return ossl_err(d, -EIO, "cannot start the digests");
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        r = sparse_scan(fd, st.st_size, buf, &map);
        if (r >= 0 && lseek(fd, 0, SEEK_SET) < 0) /* the scan moved the offset */
                r = -errno;
        if (r < 0)
                return diag_err(d, r, "cannot read \"%s\": %s", it->src, strerror(-r));
        r = out_header(o, it->path, (uint64_t)st.st_size, (st.st_mode & 0111) ? 0755 : 0644, epoch,
                       &map, d);
        while (r >= 0) {
                ssize_t n = read(fd, buf, MEDIA_CHUNK);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = diag_err(d, -errno, "cannot read \"%s\": %m", it->src);
                if (n <= 0)
                        break;
                if (done + (uint64_t)n > (uint64_t)st.st_size) {
                        r = diag_err(d, -EIO, "\"%s\" grew while it was read", it->src);
                        break;
                }
                if (map.zero >= SPARSE_MIN &&
                    !holes_still_zero(&map, &run, (off_t)done, buf, (size_t)n)) {
                        r = diag_err(d, -EIO, "\"%s\" changed while it was read", it->src);
                        break;
                }
                hasher_update(&h, buf, (size_t)n);
                EVP_DigestUpdate(sha1, buf, (size_t)n);
                done += (uint64_t)n;
                r = out_data(o, buf, (size_t)n, d);
        }
        if (r >= 0 && done != (uint64_t)st.st_size)
                r = diag_err(d, -EIO, "\"%s\" shrank while it was read", it->src);
        if (r >= 0 && (hasher_final(&h, dig) < 0 || !EVP_DigestFinal_ex(sha1, dig1, NULL)))
                r = ossl_err(d, -EIO, "cannot finish the digests of \"%s\"", it->src);
        hasher_release(&h);
        if (r < 0)
                return r;
        art->it = it;
        art->size = done;
        memcpy(art->digest, dig, SHA256_LEN);
        hex_encode(dig, SHA256_LEN, art->sha256);
        hex_encode(dig1, SHA1_LEN, art->sha1);
        return 0;
}

static int put_member(struct out *o, const char *name, const void *buf, size_t len, int64_t epoch,
                      struct diag *d)
{
        int r = out_header(o, name, len, 0644, epoch, NULL, d);

        return r < 0 ? r : out_data(o, buf, len, d);
}

/* SHA-256 and SHA-1 (SPDX files must carry one) of each file put into the images. */
static int infile_digests(struct bundle_meta *m)
{
        const struct bundle_spec *s = m->s;

        m->in_sha256 = calloc(s->n_infiles + 1, sizeof(*m->in_sha256));
        m->in_sha1 = calloc(s->n_infiles + 1, sizeof(*m->in_sha1));
        if (!m->in_sha256 || !m->in_sha1)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_infiles; i++) {
                _cleanup_free_ char *buf = NULL;
                uint8_t dig[SHA256_LEN], dig1[SHA1_LEN];
                size_t len = 0;
                int r = read_file(s->infiles[i].src, &buf, &len);

                if (r < 0 || sha256_buf(buf, len, dig) < 0 ||
                    !EVP_Digest(buf, len, dig1, NULL, EVP_sha1(), NULL))
                        return r < 0 ? r : -EIO;
                hex_encode(dig, SHA256_LEN, m->in_sha256[i]);
                hex_encode(dig1, SHA1_LEN, m->in_sha1[i]);
        }
        return 0;
}

/* The recipe digest given, or one derived from the recipe files, or from the
 * artifacts when there are none: stable either way. */
static int meta_digests(struct bundle_meta *m, struct diag *d)
{
        const struct bundle_spec *s = m->s;
        struct hasher h = {0};
        uint8_t dig[SHA256_LEN];

        m->dep_hex = calloc(s->n_deps ? s->n_deps : 1, sizeof(*m->dep_hex));
        if (!m->dep_hex || hasher_init(&h) < 0)
                return diag_err(d, -ENOMEM, "out of memory");
        hasher_str(&h, "pocbake recipe digest");
        for (size_t i = 0; i < s->n_deps; i++) {
                int r = s->deps[i].sha256 ? 0 : sha256_file(s->deps[i].src, dig);

                if (s->deps[i].sha256) {
                        snprintf(m->dep_hex[i], SHA256_HEX, "%s", s->deps[i].sha256);
                        hasher_str(&h, s->deps[i].name);
                        hasher_str(&h, m->dep_hex[i]);
                        continue;
                }
                if (r < 0) {
                        hasher_release(&h);
                        return diag_err(d, r, "cannot hash \"%s\": %s", s->deps[i].src,
                                        strerror(-r));
                }
                hex_encode(dig, SHA256_LEN, m->dep_hex[i]);
                hasher_str(&h, s->deps[i].name);
                hasher_str(&h, m->dep_hex[i]);
        }
        for (size_t i = 0; !s->n_deps && i < m->n; i++) {
                hasher_str(&h, m->arts[i].it->path);
                hasher_str(&h, m->arts[i].sha256);
        }
        if (hasher_final(&h, dig) < 0) {
                hasher_release(&h);
                return diag_err(d, -EIO, "cannot finish the recipe digest");
        }
        hasher_release(&h);
        if (infile_digests(m) < 0)
                return diag_err(d, -EIO, "cannot read the files put into the images");
        if (s->recipe_digest)
                snprintf(m->recipe_digest, sizeof(m->recipe_digest), "%s", s->recipe_digest);
        else
                hex_encode(dig, SHA256_LEN, m->recipe_digest);
        epoch_iso8601((uint64_t)s->epoch, m->epoch_iso);
        return 0;
}

struct meta_docs {
        char *text[3]; /* manifest.json, provenance.intoto.json, sbom.spdx.json */
        size_t len[3];
        char *sums, *arts_sums;
        uint8_t *sig;
        size_t sums_len, arts_len, sig_len;
};

static void meta_docs_release(struct meta_docs *md)
{
        for (int i = 0; i < 3; i++)
                free(md->text[i]);
        free(md->sums);
        free(md->arts_sums);
        free(md->sig);
}

/* SHA256SUMS lists the artifacts and the three documents; its signature covers
 * them all. */
static int meta_render(const struct bundle_meta *m, EVP_PKEY *key, X509 *cert, struct meta_docs *md,
                       struct diag *d)
{
        struct sums sums = {0};
        uint8_t dig[SHA256_LEN];
        char arts_hex[SHA256_HEX], *statement = NULL;
        size_t statement_len = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < m->n; i++)
                r = sums_add(&sums, m->arts[i].it->path, m->arts[i].digest);
        if (r >= 0)
                r = sums_format(&sums, &md->arts_sums, &md->arts_len);
        if (r >= 0)
                r = sha256_buf(md->arts_sums, md->arts_len, dig);
        if (r >= 0) {
                hex_encode(dig, SHA256_LEN, arts_hex);
                r = bundle_manifest_json(m, &md->text[0], &md->len[0]);
        }
        if (r >= 0)
                r = bundle_intoto_json(m, arts_hex, &statement, &statement_len);
        if (r >= 0)
                r = dsse_sign(DSSE_INTOTO_TYPE, statement, statement_len, key, cert, &md->text[1],
                              &md->len[1], d) < 0
                            ? -EIO
                            : 0;
        free(statement);
        if (r >= 0)
                r = bundle_spdx_json(m, &md->text[2], &md->len[2]);
        for (int i = 0; r >= 0 && i < 3; i++) {
                r = sha256_buf(md->text[i], md->len[i], dig);
                if (r >= 0)
                        r = sums_add(&sums, bundle_meta_names[2 + i], dig);
        }
        if (r >= 0)
                r = sums_format(&sums, &md->sums, &md->sums_len);
        sums_release(&sums);
        if (r < 0)
                return diag_err(d, r, "cannot render the bundle metadata: %s", strerror(-r));
        return cms_sign_buf(md->sums, md->sums_len, key, cert, &md->sig, &md->sig_len, d);
}

static int put_metadata(struct out *o, const struct bundle_meta *m, EVP_PKEY *key, X509 *cert,
                        struct diag *d)
{
        struct meta_docs md = {0};
        int r = meta_render(m, key, cert, &md, d);

        if (r >= 0)
                r = put_member(o, "SHA256SUMS", md.sums, md.sums_len, m->s->epoch, d);
        if (r >= 0)
                r = put_member(o, "SHA256SUMS.sig", md.sig, md.sig_len, m->s->epoch, d);
        for (int i = 0; r >= 0 && i < 3; i++)
                r = put_member(o, bundle_meta_names[2 + i], md.text[i], md.len[i], m->s->epoch, d);
        meta_docs_release(&md);
        return r;
}

static int write_all_members(struct out *o, const struct bundle_spec *s,
                             const struct bundle_item **sorted, EVP_PKEY *key, X509 *cert,
                             struct diag *d)
{
        _cleanup_free_ struct bundle_art *arts = calloc(s->n_items, sizeof(*arts));
        _cleanup_free_ uint8_t *buf = malloc(MEDIA_CHUNK);
        struct bundle_meta m = {.s = s, .arts = arts, .n = s->n_items};
        int r = 0;

        if (!arts || !buf)
                return diag_err(d, -ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < s->n_items; i++)
                r = put_artifact(o, sorted[i], s->epoch, buf, &arts[i], d);
        if (r >= 0)
                r = meta_digests(&m, d);
        if (r >= 0)
                r = put_metadata(o, &m, key, cert, d);
        free(m.dep_hex);
        free(m.in_sha256);
        free(m.in_sha1);
        return r;
}

int bundle_write(const struct bundle_spec *s, const char *out_tar_zst, const char *out_tar_gz,
                 struct diag *d)
{
        _cleanup_free_ const struct bundle_item **sorted = calloc(s->n_items + 1, sizeof(*sorted));
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        _cleanup_x509_ X509 *cert = NULL;
        struct out o = {0};
        int r;

        if (!sorted)
                return diag_err(d, -ENOMEM, "out of memory");
        r = check_spec(s, sorted, d);
        if (r < 0)
                return r;
        r = signing_key_load(s->key, s->cert, &key, &cert, d);
        if (r < 0)
                return r;
        r = out_open(&o, out_tar_zst, out_tar_gz, d);
        if (r >= 0)
                r = write_all_members(&o, s, sorted, key, cert, d);
        if (r >= 0)
                r = out_close(&o, d);
        out_release(&o);
        return r;
}
