/* bundle_verify.c: reading a bundle as untrusted bytes, in one streaming pass, and checking it. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "sign/ossl.h"
#include "util/cleanup.h"
#include "bundle_int.h"
#include "cms.h"
#include "dsse.h"
#include "media.h"

#define MEMBERS_MAX  4096
#define MANIFEST_MAX (16u << 20)

#define _cleanup_json_ _cleanup_(json_decrefp)

struct member {
        char *name;
        uint64_t size;
        char hex[SHA256_HEX];
};

/* Small members kept whole: 0 SHA256SUMS, 1 SHA256SUMS.sig, 2 manifest.json,
 * 3 provenance.intoto.jsonl. */
struct kept {
        char *buf;
        size_t len, max;
};

struct reader {
        struct member *v;
        size_t n, cap;
        struct kept kept[4];
        uint64_t total, limit; /* uncompressed bytes read, and the bound */
        uint8_t *buf;
        struct diag *d;
};

static bool is_meta(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(bundle_meta_names); i++)
                if (!strcmp(name, bundle_meta_names[i]))
                        return true;
        return false;
}

static const struct member *find(const struct reader *rd, const char *name)
{
        for (size_t i = 0; i < rd->n; i++)
                if (!strcmp(rd->v[i].name, name))
                        return &rd->v[i];
        return NULL;
}

static int keep(struct kept *k, const char *name, const void *p, size_t n, struct diag *d)
{
        char *nb;

        if (k->len + n > k->max)
                return diag_err(d, -EBADMSG, "bundle member %s: larger than %zu bytes", name,
                                k->max);
        nb = realloc(k->buf, k->len + n + 1);
        if (!nb)
                return diag_err(d, -ENOMEM, "out of memory");
        k->buf = nb;
        memcpy(k->buf + k->len, p, n);
        k->len += n;
        k->buf[k->len] = 0;
        return 0;
}

/* A member's bytes: hashed as they stream, never written anywhere. */
static int read_data(struct archive *a, struct reader *rd, struct member *m, struct kept *k)
{
        struct hasher h = {0};
        uint8_t dig[SHA256_LEN];
        int r = 0;

        if (hasher_init(&h) < 0)
                return diag_err(rd->d, -EIO, "cannot start sha256");
        for (;;) {
                la_ssize_t n = archive_read_data(a, rd->buf, MEDIA_CHUNK);

                if (n < 0) {
                        r = diag_err(rd->d, -EBADMSG, "bundle member %s: %s", m->name,
                                     archive_error_string(a));
                        break;
                }
                if (n == 0)
                        break;
                rd->total += (uint64_t)n;
                if (rd->total > rd->limit) {
                        r = diag_err(rd->d, -EFBIG, "bundle: more than %llu bytes unpacked",
                                     (unsigned long long)rd->limit);
                        break;
                }
                hasher_update(&h, rd->buf, (size_t)n);
                m->size += (uint64_t)n;
                if (k && (r = keep(k, m->name, rd->buf, (size_t)n, rd->d)) < 0)
                        break;
        }
        if (r >= 0 && hasher_final(&h, dig) < 0)
                r = diag_err(rd->d, -EIO, "cannot finish sha256");
        hasher_release(&h);
        if (r >= 0)
                hex_encode(dig, SHA256_LEN, m->hex);
        return r;
}

static struct kept *kept_for(struct reader *rd, const char *name)
{
        static const char *const names[4] = {"SHA256SUMS", "SHA256SUMS.sig", "manifest.json",
                                             "provenance.intoto.jsonl"};

        for (int i = 0; i < 4; i++)
                if (!strcmp(name, names[i]))
                        return &rd->kept[i];
        return NULL;
}

static int read_member(struct archive *a, struct archive_entry *e, struct reader *rd)
{
        const char *name = archive_entry_pathname(e);
        struct member *m;

        if (!name)
                return diag_err(rd->d, -EBADMSG, "bundle member %zu: unreadable name", rd->n + 1);
        if (archive_entry_filetype(e) == AE_IFDIR)
                return 0; /* tar may list directories; they carry no bytes */
        if (!sums_name_ok(name))
                return diag_err(rd->d, -EBADMSG, "bundle member \"%s\": unsafe path", name);
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
                return diag_err(rd->d, -EBADMSG, "bundle member %s: not a regular file", name);
        if (find(rd, name))
                return diag_err(rd->d, -EBADMSG, "bundle member %s: appears twice", name);
        if (rd->n >= MEMBERS_MAX)
                return diag_err(rd->d, -EBADMSG, "bundle: more than %d members", MEMBERS_MAX);
        if (rd->n == rd->cap) {
                size_t cap = rd->cap ? rd->cap * 2 : 32;
                struct member *v = realloc(rd->v, cap * sizeof(*v));

                if (!v)
                        return diag_err(rd->d, -ENOMEM, "out of memory");
                rd->v = v;
                rd->cap = cap;
        }
        m = &rd->v[rd->n];
        memset(m, 0, sizeof(*m));
        m->name = strdup(name);
        if (!m->name)
                return diag_err(rd->d, -ENOMEM, "out of memory");
        rd->n++;
        return read_data(a, rd, m, kept_for(rd, name));
}

static int read_all(struct archive *a, struct reader *rd)
{
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(a, &e);

                if (r == ARCHIVE_EOF)
                        return 0;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return diag_err(rd->d, -EBADMSG, "bundle: damaged archive: %s",
                                        archive_error_string(a));
                r = read_member(a, e, rd);
                if (r < 0)
                        return r;
        }
}

/* Every listed member present with its digest; every member listed. */
static int check_sums(struct reader *rd, const struct sums *sums)
{
        int bad = 0;

        for (size_t i = 0; i < sums->n; i++) {
                const struct member *m = find(rd, sums->v[i].name);

                if (!m)
                        bad = diag_err(rd->d, -EBADMSG, "bundle member %s: missing",
                                       sums->v[i].name);
                else if (strcmp(m->hex, sums->v[i].hex))
                        bad = diag_err(rd->d, -EBADMSG, "bundle member %s: sha256 mismatch",
                                       m->name);
        }
        for (size_t i = 0; i < rd->n; i++)
                if (strcmp(rd->v[i].name, "SHA256SUMS") &&
                    strcmp(rd->v[i].name, "SHA256SUMS.sig") && !sums_find(sums, rd->v[i].name))
                        bad = diag_err(rd->d, -EBADMSG,
                                       "bundle member %s: not listed in SHA256SUMS", rd->v[i].name);
        return bad;
}

static int check_artifact(struct reader *rd, const struct manifest_art *art, bool *listed)
{
        const struct member *m = find(rd, art->path);

        if (!m || is_meta(m->name))
                return diag_err(rd->d, -EBADMSG, "manifest.json: artifact %s is not in the bundle",
                                art->path);
        listed[m - rd->v] = true;
        if (strcmp(m->hex, art->sha256))
                return diag_err(rd->d, -EBADMSG,
                                "manifest.json: artifact %s: sha256 does not match the member",
                                m->name);
        if (art->size != m->size)
                return diag_err(rd->d, -EBADMSG,
                                "manifest.json: artifact %s: size %llu, the member has %llu",
                                m->name, (unsigned long long)art->size,
                                (unsigned long long)m->size);
        return 0;
}

/* manifest.json names exactly the members that are not metadata, with their
 * sizes and digests. */
static int check_manifest(struct reader *rd)
{
        _cleanup_free_ bool *listed = calloc(rd->n + 1, sizeof(bool));
        struct manifest man;
        int bad;

        if (!listed)
                return diag_err(rd->d, -ENOMEM, "out of memory");
        bad = bundle_manifest_read(rd->kept[2].buf ? rd->kept[2].buf : "", rd->kept[2].len, &man,
                                   "manifest.json", rd->d);
        if (bad == -ENOMEM) {
                bundle_manifest_release(&man);
                return bad;
        }
        for (size_t i = 0; i < man.n; i++)
                if (check_artifact(rd, &man.v[i], listed) < 0)
                        bad = -EBADMSG;
        for (size_t i = 0; !bad && i < rd->n; i++)
                if (!listed[i] && !is_meta(rd->v[i].name))
                        bad = diag_err(rd->d, -EBADMSG, "bundle member %s: not in manifest.json",
                                       rd->v[i].name);
        bundle_manifest_release(&man);
        return bad;
}

/* The statement's subjects are exactly the bundle's artifacts with their digests. */
static int check_subjects(struct reader *rd, const char *text, size_t len)
{
        _cleanup_json_ json_t *st = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        json_t *subj = st ? json_object_get(st, "subject") : NULL;
        size_t artifacts = 0;
        int bad = 0;

        if (!json_is_array(subj))
                return diag_err(rd->d, -EBADMSG,
                                "provenance.intoto.jsonl: the payload is not an in-toto statement "
                                "with subjects");
        for (size_t i = 0; i < rd->n; i++)
                artifacts += !is_meta(rd->v[i].name);
        for (size_t i = 0; i < json_array_size(subj); i++) {
                json_t *o = json_array_get(subj, i), *name = json_object_get(o, "name");
                json_t *dig = json_object_get(json_object_get(o, "digest"), "sha256");
                const struct member *m =
                        json_is_string(name) ? find(rd, json_string_value(name)) : NULL;

                if (!m || is_meta(m->name) || !json_is_string(dig))
                        bad = diag_err(rd->d, -EBADMSG,
                                       "provenance.intoto.jsonl: subject %zu is not a bundle "
                                       "artifact",
                                       i + 1);
                else if (strcmp(m->hex, json_string_value(dig)))
                        bad = diag_err(rd->d, -EBADMSG,
                                       "provenance.intoto.jsonl: subject %s: sha256 does not match "
                                       "the member",
                                       m->name);
        }
        if (!bad && json_array_size(subj) != artifacts)
                bad = diag_err(rd->d, -EBADMSG,
                               "provenance.intoto.jsonl: %zu subjects for %zu artifacts",
                               json_array_size(subj), artifacts);
        return bad;
}

/* The provenance is a DSSE envelope signed by the key that signed SHA256SUMS
 * (whose certificate the accepted CMS signature carries). */
static int check_provenance(struct reader *rd)
{
        _cleanup_x509_ X509 *signer = NULL;
        _cleanup_free_ char *payload = NULL;
        size_t len = 0;
        int r;

        if (cms_signer_cert((const uint8_t *)rd->kept[1].buf, rd->kept[1].len, &signer) < 0)
                return diag_err(rd->d, -EBADMSG, "SHA256SUMS.sig: carries no signer certificate");
        r = dsse_verify(rd->kept[3].buf ? rd->kept[3].buf : "", rd->kept[3].len, signer,
                        DSSE_INTOTO_TYPE, &payload, &len, "provenance.intoto.jsonl", rd->d);
        return r < 0 ? r : check_subjects(rd, payload, len);
}

static int check_all(struct reader *rd, X509 *anchor)
{
        struct sums sums = {0};
        int bad = 0;

        for (size_t i = 0; i < ARRAY_SIZE(bundle_meta_names); i++)
                if (!find(rd, bundle_meta_names[i]))
                        bad = diag_err(rd->d, -EBADMSG, "bundle has no %s", bundle_meta_names[i]);
        if (bad)
                return bad;
        if (cms_verify_detached((const uint8_t *)rd->kept[1].buf, rd->kept[1].len, rd->kept[0].buf,
                                rd->kept[0].len, NULL, anchor, "SHA256SUMS", rd->d) < 0)
                bad = -EBADMSG;
        /* Read on even past a bad signature: every problem is reported. */
        if (sums_parse(rd->kept[0].buf, rd->kept[0].len, &sums, "SHA256SUMS", rd->d) < 0)
                bad = -EBADMSG;
        else if (check_sums(rd, &sums) < 0)
                bad = -EBADMSG;
        sums_release(&sums);
        if (check_manifest(rd) < 0)
                bad = -EBADMSG;
        /* Once every member is what the signed SHA256SUMS says: the provenance's
         * own signature and subjects (before, their faults repeat the above). */
        if (!bad && check_provenance(rd) < 0)
                bad = -EBADMSG;
        return bad;
}

static void reader_release(struct reader *rd)
{
        for (size_t i = 0; i < rd->n; i++)
                free(rd->v[i].name);
        free(rd->v);
        for (int i = 0; i < 4; i++)
                free(rd->kept[i].buf);
        free(rd->buf);
}

/* a is open; the formats and filters a bundle may use are the only ones enabled. */
static int verify_archive(struct archive *a, X509 *anchor, uint64_t limit, size_t *members,
                          struct diag *d)
{
        struct reader rd = {.limit = limit, .d = d, .buf = malloc(MEDIA_CHUNK)};
        int r;

        rd.kept[0].max = MEDIA_SUMS_MAX;
        rd.kept[1].max = MEDIA_SIG_MAX;
        rd.kept[2].max = MANIFEST_MAX;
        rd.kept[3].max = MANIFEST_MAX;
        if (!rd.buf)
                return diag_err(d, -ENOMEM, "out of memory");
        r = read_all(a, &rd);
        if (r >= 0)
                r = check_all(&rd, anchor);
        if (members)
                *members = rd.n;
        reader_release(&rd);
        return r;
}

static struct archive *reader_new(void)
{
        struct archive *a = archive_read_new();

        if (a && (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
                  archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
                  archive_read_support_filter_none(a) != ARCHIVE_OK ||
                  archive_read_support_format_tar(a) != ARCHIVE_OK)) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

int bundle_verify_file(const char *path, X509 *anchor, size_t *members, struct diag *d)
{
        struct archive *a = reader_new();
        struct stat st;
        int r;

        if (!a)
                return diag_err(d, -ENOMEM, "cannot set up the archive reader");
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                archive_read_free(a);
                return diag_err(d, -ENOENT, "bundle \"%s\": not a readable file", path);
        }
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                r = diag_err(d, -EBADMSG, "bundle \"%s\": %s", path, archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        r = verify_archive(a, anchor, UINT64_MAX, members, d);
        archive_read_free(a);
        return r;
}

int bundle_verify_mem(const void *buf, size_t len, X509 *anchor, size_t *members, struct diag *d)
{
        struct archive *a = reader_new();
        int r;

        if (!a)
                return diag_err(d, -ENOMEM, "cannot set up the archive reader");
        if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
                r = diag_err(d, -EBADMSG, "bundle: %s", archive_error_string(a));
                archive_read_free(a);
                return r;
        }
        /* In memory the caller is a test or a fuzzer: bound what it can unpack. */
        r = verify_archive(a, anchor, 256u << 20, members, d);
        archive_read_free(a);
        return r;
}
