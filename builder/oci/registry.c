/* registry.c: the OCI distribution API (blobs, uploads, manifests) over libcurl, with basic and
 * bearer auth. */
#include "registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/hash.h"

#define MANIFEST_MAX (4u << 20)
#define ERROR_MAX    (64u << 10)
#define ACCEPT_MANIFESTS                                                                           \
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"

/* What one request sends and what came back. */
struct req {
        CURL *c;
        const char *method;
        char *url;
        const char *content_type;
        const char *accept;
        const char *body; /* the request's body from memory, */
        size_t body_len, body_off;
        int body_fd; /* or from a file (-1: none) */
        uint64_t body_fd_len;
        /* a 2xx response's body into out_fd (hashed into hash), else into memory
         * (up to resp_max; an error's body up to ERROR_MAX) */
        char *resp;
        size_t resp_len, resp_max;
        int out_fd;
        struct hasher *hash;
        uint64_t got, expect;
        bool too_big;
        int write_err;
        long status;
        char *location, *www_auth;
        char errbuf[CURL_ERROR_SIZE];
};

static void req_release(struct req *q)
{
        free(q->url);
        free(q->resp);
        free(q->location);
        free(q->www_auth);
}

static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
        struct req *q = ctx;
        size_t len = size * n;
        static const char *const names[] = {"location:", "www-authenticate:"};
        char **slots[] = {&q->location, &q->www_auth};

        for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
                size_t nl = strlen(names[k]);
                const char *v = buf + nl;
                size_t vl = len - nl;

                if (len <= nl || strncasecmp(buf, names[k], nl))
                        continue;
                while (vl && (*v == ' ' || *v == '\t'))
                        v++, vl--;
                while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
                        vl--;
                free(*slots[k]);
                *slots[k] = strndup(v, vl);
        }
        return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ctx)
{
        struct req *q = ctx;
        size_t len = size * n;
        long code = 0;

        curl_easy_getinfo(q->c, CURLINFO_RESPONSE_CODE, &code);
        if (code / 100 == 2 && q->out_fd >= 0) {
                if (q->got + len > q->expect) {
                        q->too_big = true;
                        return 0;
                }
                if ((q->write_err = write_full(q->out_fd, buf, len)) < 0)
                        return 0;
                hasher_update(q->hash, buf, len);
                q->got += len;
                return len;
        }
        {
                size_t max = code / 100 == 2 ? q->resp_max : ERROR_MAX;
                char *p;

                if (q->resp_len + len > max) {
                        if (code / 100 == 2) {
                                q->too_big = true;
                                return 0;
                        }
                        return len; /* the rest of an error page is not needed */
                }
                p = realloc(q->resp, q->resp_len + len + 1);
                if (!p)
                        return 0;
                q->resp = p;
                memcpy(p + q->resp_len, buf, len);
                q->resp_len += len;
                p[q->resp_len] = 0;
        }
        return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
        struct req *q = ctx;
        size_t len = size * n;

        if (q->body_fd >= 0) {
                ssize_t r;

                do
                        r = read(q->body_fd, buf, len);
                while (r < 0 && errno == EINTR);
                return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
        }
        if (len > q->body_len - q->body_off)
                len = q->body_len - q->body_off;
        memcpy(buf, q->body + q->body_off, len);
        q->body_off += len;
        return len;
}

/* An error's text: the registry's {"errors":[{"code","message"}]} when it sent one. */
static char *error_text(const struct req *q)
{
        json_t *j = q->resp ? json_loadb(q->resp, q->resp_len, 0, NULL) : NULL;
        json_t *e = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        char *s = NULL;

        if (asprintf(&s, "HTTP %ld%s%s%s%s", q->status, code ? " " : "", code ? code : "",
                     msg ? ": " : "", msg ? msg : "") < 0)
                s = NULL;
        json_decref(j);
        return s;
}

static void b64(const char *in, char **out)
{
        size_t n = strlen(in);

        *out = malloc(4 * ((n + 2) / 3) + 1);
        if (*out)
                EVP_EncodeBlock((unsigned char *)*out, (const unsigned char *)in, (int)n);
}

char *oci_challenge_param(const char *ch, const char *key)
{
        size_t kl = strlen(key);

        for (const char *p = ch; kl && (p = strcasestr(p, key)); p += kl) {
                const char *v, *e;

                if ((p != ch && p[-1] != ' ' && p[-1] != ',') || p[kl] != '=')
                        continue;
                v = p + kl + 1;
                if (*v == '"') {
                        e = strchr(++v, '"');
                        if (!e)
                                return NULL;
                } else {
                        e = v + strcspn(v, ", ");
                }
                return strndup(v, (size_t)(e - v));
        }
        return NULL;
}

static int perform(struct oci_remote *r, struct req *q, struct diag *d);

/* Answer a 401: Basic with the stored credentials, Bearer by asking the token
 * service named in the challenge (with the credentials, when there are any). */
static int authenticate(struct oci_remote *r, const char *challenge, struct diag *d)
{
        _cleanup_free_ char *realm = NULL, *service = NULL, *scope = NULL, *enc = NULL;
        _cleanup_free_ char *url = NULL, *se = NULL, *sc = NULL;
        struct req t = {.method = "GET", .body_fd = -1, .out_fd = -1, .resp_max = 1u << 20};
        json_t *j;
        const char *tok;
        int rc;

        free(r->authz);
        r->authz = NULL;
        if (!strncasecmp(challenge, "basic", 5)) {
                if (!r->userpass)
                        return diag_err(d, -EACCES,
                                        "%s asks for a user name and password, and the auth file "
                                        "has none for it (expected an \"auths\" entry in "
                                        "$REGISTRY_AUTH_FILE or ~/.docker/config.json)",
                                        r->host);
                b64(r->userpass, &enc);
                if (!enc || asprintf(&r->authz, "Authorization: Basic %s", enc) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (strncasecmp(challenge, "bearer", 6))
                return diag_err(d, -EACCES,
                                "%s: an authentication scheme pocbake does not know: %s", r->host,
                                challenge);
        realm = oci_challenge_param(challenge, "realm");
        service = oci_challenge_param(challenge, "service");
        scope = oci_challenge_param(challenge, "scope");
        if (!realm || strncmp(realm, "http", 4))
                return diag_err(d, -EACCES, "%s: a bearer challenge without a realm: %s", r->host,
                                challenge);
        if (service)
                se = curl_easy_escape(r->curl, service, 0);
        if (scope)
                sc = curl_easy_escape(r->curl, scope, 0);
        if (asprintf(&url, "%s%s%s%s%s%s", realm, strchr(realm, '?') ? "&" : "?",
                     se ? "service=" : "", se ? se : "", sc ? "&scope=" : "", sc ? sc : "") < 0)
                return -ENOMEM;
        t.url = TAKE_PTR(url);
        if (r->userpass) {
                b64(r->userpass, &enc);
                if (!enc || asprintf(&r->authz, "Authorization: Basic %s", enc) < 0) {
                        req_release(&t);
                        return -ENOMEM;
                }
        }
        rc = perform(r, &t, d);
        free(r->authz);
        r->authz = NULL;
        if (rc >= 0 && t.status != 200)
                rc = diag_err(d, -EACCES, "%s: the token service %s refused: HTTP %ld", r->host,
                              realm, t.status);
        if (rc < 0) {
                req_release(&t);
                return rc;
        }
        j = json_loadb(t.resp ? t.resp : "", t.resp_len, 0, NULL);
        tok = json_string_value(json_object_get(j, "token"));
        if (!tok)
                tok = json_string_value(json_object_get(j, "access_token"));
        if (!tok || asprintf(&r->authz, "Authorization: Bearer %s", tok) < 0)
                rc = diag_err(d, -EACCES, "%s: the token service %s sent no token", r->host, realm);
        json_decref(j);
        req_release(&t);
        return rc;
}

/* One request, with the remote's Authorization; a 401 is answered once. */
static int perform(struct oci_remote *r, struct req *q, struct diag *d)
{
        for (int attempt = 0;; attempt++) {
                struct curl_slist *hl = NULL;
                _cleanup_free_ char *ct = NULL, *acc = NULL;
                CURL *c = r->curl;
                CURLcode cc;

                curl_easy_reset(c);
                q->c = c;
                q->status = 0;
                q->got = 0;
                q->too_big = false;
                q->write_err = 0;
                q->resp_len = 0;
                q->body_off = 0;
                free(q->www_auth);
                q->www_auth = NULL;
                free(q->location);
                q->location = NULL;
                if (q->body_fd >= 0 && lseek(q->body_fd, 0, SEEK_SET) < 0)
                        return diag_err(d, -errno, "seek: %m");
                if (q->out_fd >= 0 &&
                    (ftruncate(q->out_fd, 0) < 0 || lseek(q->out_fd, 0, SEEK_SET) < 0))
                        return diag_err(d, -errno, "cannot write the download: %m");
                if (q->hash) {
                        hasher_release(q->hash);
                        if (hasher_init(q->hash) < 0)
                                return -ENOMEM;
                }
                if (r->authz)
                        hl = curl_slist_append(hl, r->authz);
                if (q->content_type && asprintf(&ct, "Content-Type: %s", q->content_type) >= 0)
                        hl = curl_slist_append(hl, ct);
                if (q->accept && asprintf(&acc, "Accept: %s", q->accept) >= 0)
                        hl = curl_slist_append(hl, acc);
                hl = curl_slist_append(hl, "Expect:");
                curl_easy_setopt(c, CURLOPT_URL, q->url);
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
                curl_easy_setopt(c, CURLOPT_ERRORBUFFER, q->errbuf);
                curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
                curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
                curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
                curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
                curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
                curl_easy_setopt(c, CURLOPT_USERAGENT, "pocbake");
                if (r->timeout)
                        curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout);
                if (r->ca_file)
                        curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
                if (!strcmp(q->method, "GET")) {
                        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
                        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
                } else if (!strcmp(q->method, "HEAD")) {
                        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
                } else {
                        bool fd = q->body_fd >= 0;

                        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
                        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
                        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
                        curl_easy_setopt(c, CURLOPT_READDATA, q);
                        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                                         (curl_off_t)(fd ? q->body_fd_len : q->body_len));
                }
                q->errbuf[0] = 0;
                cc = curl_easy_perform(c);
                curl_slist_free_all(hl);
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
                if (q->write_err)
                        return diag_err(d, q->write_err, "cannot write what %s sent: %s", r->host,
                                        strerror(-q->write_err));
                if (q->too_big)
                        return diag_err(d, -EBADMSG, "%s %s: the answer is larger than announced",
                                        q->method, q->url);
                if (cc != CURLE_OK)
                        return diag_err(d, -EHOSTUNREACH, "%s %s: %s", q->method, q->url,
                                        q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
                if (q->status == 401 && attempt == 0 && q->www_auth) {
                        int rc = authenticate(r, q->www_auth, d);

                        if (rc < 0)
                                return rc;
                        continue;
                }
                return 0;
        }
}

static int req_url(struct oci_remote *r, struct req *q, const char *fmt, const char *a)
{
        if (asprintf(&q->url, "%s://%s/v2/%s/%s%s", r->tls ? "https" : "http", r->host, r->repo,
                     fmt, a ? a : "") < 0) {
                q->url = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int unexpected(struct oci_remote *r, struct req *q, const char *what, struct diag *d)
{
        _cleanup_free_ char *t = error_text(q);
        int err = q->status == 401 || q->status == 403 ? -EACCES : -EPROTO;

        return diag_err(d, err, "%s %s/%s: %s", what, r->host, r->repo, t ? t : "refused");
}

void oci_digest_mem(const void *buf, size_t len, char digest[OCI_DIGEST])
{
        uint8_t md[SHA256_LEN];

        sha256_buf(buf, len, md);
        memcpy(digest, "sha256:", 7);
        hex_encode(md, SHA256_LEN, digest + 7);
}

int oci_digest_file(const char *path, char digest[OCI_DIGEST], uint64_t *size)
{
        uint8_t md[SHA256_LEN];
        struct stat st;
        int rc;

        if (stat(path, &st) < 0)
                return -errno;
        if ((rc = sha256_file(path, md)) < 0)
                return rc;
        memcpy(digest, "sha256:", 7);
        hex_encode(md, SHA256_LEN, digest + 7);
        *size = (uint64_t)st.st_size;
        return 0;
}

bool oci_digest_valid(const char *s)
{
        if (!s || strncmp(s, "sha256:", 7) || strlen(s) != 71)
                return false;
        for (s += 7; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

static bool ref_valid(const char *ref)
{
        size_t n = ref ? strlen(ref) : 0;

        if (oci_digest_valid(ref))
                return true;
        if (n == 0 || n > 128 || ref[0] == '.' || ref[0] == '-')
                return false;
        for (const char *p = ref; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

int oci_manifest_get(struct oci_remote *r, const char *ref, char **body, size_t *len,
                     char digest[OCI_DIGEST], struct diag *d)
{
        struct req q = {.method = "GET",
                        .body_fd = -1,
                        .out_fd = -1,
                        .resp_max = MANIFEST_MAX,
                        .accept = ACCEPT_MANIFESTS};
        int rc;

        if (!ref_valid(ref))
                return diag_err(d, -EINVAL, "not a tag or a digest: %s", ref);
        if ((rc = req_url(r, &q, "manifests/", ref)) < 0 || (rc = perform(r, &q, d)) < 0)
                goto out;
        if (q.status == 404) {
                rc = -ENOENT;
                goto out;
        }
        if (q.status != 200) {
                rc = unexpected(r, &q, "manifest", d);
                goto out;
        }
        oci_digest_mem(q.resp ? q.resp : "", q.resp_len, digest);
        if (oci_digest_valid(ref) && strcmp(ref, digest)) {
                rc = diag_err(d, -EBADMSG, "%s/%s@%s: the manifest sent has the digest %s", r->host,
                              r->repo, ref, digest);
                goto out;
        }
        *len = q.resp_len;
        *body = q.resp ? q.resp : strdup("");
        q.resp = NULL;
        rc = *body ? 0 : -ENOMEM;
out:
        req_release(&q);
        return rc;
}

static int head(struct oci_remote *r, const char *what, const char *ref, const char *accept,
                struct diag *d)
{
        struct req q = {.method = "HEAD", .body_fd = -1, .out_fd = -1, .accept = accept};
        int rc = req_url(r, &q, what, ref);

        if (rc >= 0 && (rc = perform(r, &q, d)) >= 0) {
                if (q.status == 404)
                        rc = -ENOENT;
                else if (q.status != 200)
                        rc = unexpected(r, &q, what[0] == 'm' ? "manifest" : "blob", d);
        }
        req_release(&q);
        return rc;
}

int oci_manifest_exists(struct oci_remote *r, const char *ref, struct diag *d)
{
        if (!ref_valid(ref))
                return diag_err(d, -EINVAL, "not a tag or a digest: %s", ref);
        return head(r, "manifests/", ref, ACCEPT_MANIFESTS, d);
}

int oci_blob_exists(struct oci_remote *r, const char *digest, struct diag *d)
{
        if (!oci_digest_valid(digest))
                return diag_err(d, -EINVAL, "not a digest: %s", digest);
        return head(r, "blobs/", digest, NULL, d);
}

int oci_manifest_put(struct oci_remote *r, const char *ref, const char *media_type,
                     const void *body, size_t len, char digest[OCI_DIGEST], struct diag *d)
{
        struct req q = {.method = "PUT",
                        .body_fd = -1,
                        .out_fd = -1,
                        .resp_max = ERROR_MAX,
                        .content_type = media_type,
                        .body = body,
                        .body_len = len};
        int rc;

        oci_digest_mem(body, len, digest);
        if (ref && !ref_valid(ref))
                return diag_err(d, -EINVAL, "not a tag: %s", ref);
        if ((rc = req_url(r, &q, "manifests/", ref ? ref : digest)) >= 0 &&
            (rc = perform(r, &q, d)) >= 0 && q.status != 201)
                rc = unexpected(r, &q, "putting a manifest into", d);
        req_release(&q);
        return rc;
}

/* POST an upload session, then PUT the whole blob to where it points. */
static int blob_put(struct oci_remote *r, struct req *put, const char *digest, struct diag *d)
{
        struct req q = {.method = "POST",
                        .body_fd = -1,
                        .out_fd = -1,
                        .resp_max = ERROR_MAX,
                        .body = "",
                        .body_len = 0};
        int rc = req_url(r, &q, "blobs/uploads/", NULL);

        if (rc >= 0 && (rc = perform(r, &q, d)) >= 0 && (q.status != 202 || !q.location))
                rc = unexpected(r, &q, "starting an upload to", d);
        if (rc >= 0) {
                const char *loc = q.location;
                const char *sep = strchr(loc, '?') ? "&" : "?";

                if (loc[0] == '/')
                        rc = asprintf(&put->url, "%s://%s%s%sdigest=%s", r->tls ? "https" : "http",
                                      r->host, loc, sep, digest);
                else if (!strncmp(loc, "http://", 7) || !strncmp(loc, "https://", 8))
                        rc = asprintf(&put->url, "%s%sdigest=%s", loc, sep, digest);
                else
                        rc = diag_err(d, -EPROTO, "%s: an upload location pocbake cannot use: %s",
                                      r->host, loc);
                if (rc == -1) {
                        put->url = NULL;
                        rc = -ENOMEM;
                }
        }
        if (rc >= 0 && (rc = perform(r, put, d)) >= 0 && put->status != 201)
                rc = unexpected(r, put, "uploading a blob to", d);
        req_release(&q);
        return rc < 0 ? rc : 0;
}

int oci_blob_put_file(struct oci_remote *r, const char *path, const char *digest, uint64_t size,
                      struct diag *d)
{
        struct req q = {.method = "PUT",
                        .out_fd = -1,
                        .resp_max = ERROR_MAX,
                        .content_type = "application/octet-stream",
                        .body_fd_len = size};
        int rc = oci_blob_exists(r, digest, d);

        if (rc != -ENOENT)
                return rc;
        q.body_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (q.body_fd < 0)
                return diag_err(d, -errno, "cannot open %s: %m", path);
        rc = blob_put(r, &q, digest, d);
        close(q.body_fd);
        req_release(&q);
        return rc;
}

int oci_blob_put_mem(struct oci_remote *r, const void *buf, size_t len, char digest[OCI_DIGEST],
                     struct diag *d)
{
        struct req q = {.method = "PUT",
                        .body_fd = -1,
                        .out_fd = -1,
                        .resp_max = ERROR_MAX,
                        .content_type = "application/octet-stream",
                        .body = buf,
                        .body_len = len};
        int rc;

        oci_digest_mem(buf, len, digest);
        rc = oci_blob_exists(r, digest, d);
        if (rc == -ENOENT)
                rc = blob_put(r, &q, digest, d);
        req_release(&q);
        return rc;
}

static int blob_get(struct oci_remote *r, const char *digest, struct req *q, struct diag *d)
{
        struct hasher h = {0};
        uint8_t md[SHA256_LEN];
        char got[OCI_DIGEST] = "sha256:";
        int rc;

        if (!oci_digest_valid(digest))
                return diag_err(d, -EINVAL, "not a digest: %s", digest);
        if (hasher_init(&h) < 0)
                return -ENOMEM;
        q->hash = &h;
        if ((rc = req_url(r, q, "blobs/", digest)) < 0 || (rc = perform(r, q, d)) < 0)
                goto out;
        if (q->status == 404) {
                rc = diag_err(d, -ENOENT, "%s/%s has no blob %s", r->host, r->repo, digest);
                goto out;
        }
        if (q->status != 200) {
                rc = unexpected(r, q, "blob from", d);
                goto out;
        }
        if (q->out_fd < 0)
                hasher_update(&h, q->resp ? q->resp : "", q->resp_len);
        if (q->got != q->expect && q->out_fd >= 0) {
                rc = diag_err(d, -EBADMSG, "%s/%s: blob %s: %llu bytes sent, %llu expected",
                              r->host, r->repo, digest, (unsigned long long)q->got,
                              (unsigned long long)q->expect);
                goto out;
        }
        hasher_final(&h, md);
        hex_encode(md, SHA256_LEN, got + 7);
        if (strcmp(got, digest))
                rc = diag_err(d, -EBADMSG, "%s/%s: blob %s: the bytes sent have the digest %s",
                              r->host, r->repo, digest, got);
out:
        hasher_release(&h);
        return rc;
}

int oci_blob_get_fd(struct oci_remote *r, const char *digest, uint64_t size, int fd, struct diag *d)
{
        struct req q = {.method = "GET",
                        .body_fd = -1,
                        .out_fd = fd,
                        .expect = size,
                        .resp_max = ERROR_MAX};
        int rc = blob_get(r, digest, &q, d);

        req_release(&q);
        return rc;
}

int oci_blob_get_mem(struct oci_remote *r, const char *digest, uint64_t size, size_t max,
                     char **out, struct diag *d)
{
        struct req q = {.method = "GET", .body_fd = -1, .out_fd = -1, .resp_max = max};
        int rc;

        if (size > max)
                return diag_err(d, -EFBIG, "%s/%s: blob %s: %llu bytes, more than %zu", r->host,
                                r->repo, digest, (unsigned long long)size, max);
        rc = blob_get(r, digest, &q, d);
        if (rc >= 0 && q.resp_len != size)
                rc = diag_err(d, -EBADMSG, "%s/%s: blob %s: %zu bytes sent, %llu expected", r->host,
                              r->repo, digest, q.resp_len, (unsigned long long)size);
        if (rc >= 0) {
                *out = q.resp ? q.resp : strdup("");
                q.resp = NULL;
                if (!*out)
                        rc = -ENOMEM;
        }
        req_release(&q);
        return rc;
}

/* "user:password" for host in a docker/containers auth file, or NULL. */
static char *auth_from(const char *file, const char *host)
{
        json_t *j = json_load_file(file, 0, NULL);
        json_t *auths = json_object_get(j, "auths"), *e;
        const char *key, *a;
        char *up = NULL;

        json_object_foreach(auths, key, e)
        {
                const char *k = key;
                unsigned char buf[1024];
                int n;

                if (!strncmp(k, "https://", 8))
                        k += 8;
                else if (!strncmp(k, "http://", 7))
                        k += 7;
                if (strncmp(k, host, strlen(host)) || (k[strlen(host)] && k[strlen(host)] != '/'))
                        continue;
                a = json_string_value(json_object_get(e, "auth"));
                if (!a || strlen(a) >= sizeof(buf) / 4 * 3)
                        continue;
                n = EVP_DecodeBlock(buf, (const unsigned char *)a, (int)strlen(a));
                if (n <= 0)
                        continue;
                while (n > 0 && buf[n - 1] == 0) /* the padding decoded */
                        n--;
                up = strndup((const char *)buf, (size_t)n);
                if (up && !strchr(up, ':')) {
                        free(up);
                        up = NULL;
                }
                break;
        }
        json_decref(j);
        return up;
}

static char *find_auth(const char *host)
{
        const char *env = getenv("REGISTRY_AUTH_FILE"), *run = getenv("XDG_RUNTIME_DIR");
        const char *home = getenv("HOME");
        _cleanup_free_ char *p1 = NULL, *p2 = NULL;

        if (env && *env)
                return auth_from(env, host);
        if (run && *run && asprintf(&p1, "%s/containers/auth.json", run) >= 0 &&
            access(p1, R_OK) == 0)
                return auth_from(p1, host);
        if (home && *home && asprintf(&p2, "%s/.docker/config.json", home) >= 0 &&
            access(p2, R_OK) == 0)
                return auth_from(p2, host);
        return NULL;
}

static bool repo_valid(const char *s)
{
        bool start = true;

        if (!*s)
                return false;
        for (; *s; s++) {
                bool alnum = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9');

                if (start && !alnum)
                        return false;
                if (!alnum && *s != '.' && *s != '_' && *s != '-' && *s != '/')
                        return false;
                start = *s == '/';
        }
        return !start;
}

static bool host_valid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == ':' ||
                      *s == '[' || *s == ']'))
                        return false;
        return true;
}

static int remote_init(struct oci_remote *r, const char *host, size_t hl, const char *repo,
                       size_t rl, bool insecure, const char *what, struct diag *d)
{
        const char *ca = getenv("SSL_CERT_FILE");
        static bool global;

        memset(r, 0, sizeof(*r));
        r->host = strndup(host, hl);
        r->repo = strndup(repo, rl);
        if (!r->host || !r->repo)
                return -ENOMEM;
        if (!host_valid(r->host) || !repo_valid(r->repo)) {
                int rc = diag_err(d, -EINVAL,
                                  "%s: not a registry and repository (expected HOST[:PORT]/REPO, "
                                  "REPO of lower-case letters, digits and ._-/)",
                                  what);
                oci_remote_close(r);
                return rc;
        }
        r->tls = !insecure;
        r->userpass = find_auth(r->host);
        if (ca && *ca && !(r->ca_file = strdup(ca)))
                return -ENOMEM;
        if (!global) {
                curl_global_init(CURL_GLOBAL_DEFAULT);
                global = true;
        }
        r->curl = curl_easy_init();
        return r->curl ? 0 : -ENOMEM;
}

int oci_remote_open(struct oci_remote *r, const char *url, bool insecure, struct diag *d)
{
        const char *p = url, *slash;

        if (strncmp(p, "oci://", 6))
                return diag_err(d, -EINVAL,
                                "%s: not a remote cache (expected oci://HOST[:PORT]/REPO)", url);
        p += 6;
        slash = strchr(p, '/');
        if (!slash)
                return diag_err(d, -EINVAL, "%s: no repository (expected oci://HOST[:PORT]/REPO)",
                                url);
        return remote_init(r, p, (size_t)(slash - p), slash + 1, strlen(slash + 1), insecure, url,
                           d);
}

int oci_ref_parse(const char *ref, bool insecure, struct oci_remote *r, char **tag, char **digest,
                  struct diag *d)
{
        const char *p = !strncmp(ref, "oci://", 6) ? ref + 6 : ref;
        const char *slash = strchr(p, '/'), *at, *colon, *end;
        int rc;

        *tag = *digest = NULL;
        memset(r, 0, sizeof(*r)); /* closing it is always safe */
        if (!slash)
                return diag_err(d, -EINVAL,
                                "%s: not a reference (expected HOST[:PORT]/REPO:TAG or "
                                "HOST[:PORT]/REPO@sha256:DIGEST)",
                                ref);
        at = strchr(slash, '@');
        end = at ? at : slash + strlen(slash);
        colon = memrchr(slash, ':', (size_t)(end - slash));
        if (at && !oci_digest_valid(at + 1))
                return diag_err(d, -EINVAL, "%s: not a digest after '@' (expected sha256:HEX)",
                                ref);
        if (!at && !colon)
                return diag_err(d, -EINVAL,
                                "%s: no tag or digest (expected HOST[:PORT]/REPO:TAG or "
                                "HOST[:PORT]/REPO@sha256:DIGEST)",
                                ref);
        if (colon) {
                *tag = strndup(colon + 1, (size_t)(end - colon - 1));
                if (!*tag)
                        return -ENOMEM;
                if (!ref_valid(*tag) || oci_digest_valid(*tag)) {
                        rc = diag_err(d, -EINVAL, "%s: not a tag: %s", ref, *tag);
                        free(*tag);
                        *tag = NULL;
                        return rc;
                }
        } else {
                colon = end;
        }
        if (at && !(*digest = strdup(at + 1))) {
                free(*tag);
                *tag = NULL;
                return -ENOMEM;
        }
        rc = remote_init(r, p, (size_t)(slash - p), slash + 1, (size_t)(colon - slash - 1),
                         insecure, ref, d);
        if (rc < 0) {
                free(*tag);
                free(*digest);
                *tag = *digest = NULL;
        }
        return rc;
}

void oci_remote_close(struct oci_remote *r)
{
        if (r->curl)
                curl_easy_cleanup(r->curl);
        free(r->host);
        free(r->repo);
        free(r->userpass);
        free(r->authz);
        free(r->ca_file);
        memset(r, 0, sizeof(*r));
}
