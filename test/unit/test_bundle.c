/* test_bundle.c: the CI bundle writer and its untrusted reader, dpkg status and manifest parsing.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "media/bundle.h"
#include "media/dpkg.h"
#include "media/bundle_int.h"
#include "media/dsse.h"
#include "sign/keygen.h"
#include "sign/ossl.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static char scratch[] = "/tmp/pocbake-bundle.XXXXXX";
static X509 *db_cert;
static char key[512], crt[512], f1[512], f2[512], f3[512];

static int setup(void **state)
{
        struct keygen_opts o = {.cn_prefix = "unit", .days = 30, .rsa_bits = 2048};
        char dir[256], buf[5000];
        struct diag d = {0};

        (void)state;
        if (!mkdtemp(scratch))
                return -1;
        snprintf(dir, sizeof(dir), "%s/keys", scratch);
        snprintf(key, sizeof(key), "%s/keys/codesign.key", scratch);
        snprintf(crt, sizeof(crt), "%s/keys/codesign.crt", scratch);
        snprintf(f1, sizeof(f1), "%s/disk.raw", scratch);
        snprintf(f2, sizeof(f2), "%s/small", scratch);
        snprintf(f3, sizeof(f3), "%s/db.crt", dir);
        if (keygen_init(dir, &o, &d) < 0 || x509_load(f3, &db_cert, &d) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char)(i * 13 + 1);
        if (write_file_atomic(f1, buf, sizeof(buf), 0644) < 0 ||
            write_file_atomic(f2, "small\n", 6, 0755) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        rm_rf(scratch);
        X509_free(db_cert);
        return 0;
}

static const struct bundle_item items[] = {
        {.path = "MAS-DC01/MAS-DC01.raw", .src = f1, .role = "MAS-DC01", .kind = "disk"},
        {.path = "tools/small", .src = f2},
};

static int write_bundle(const char *name, const char *gz, struct diag *d)
{
        struct bundle_spec s = {.items = items,
                                .n_items = 2,
                                .key = key,
                                .cert = crt,
                                .epoch = 1700000000,
                                .recipe = "recipes/poc.yaml"};
        char out[512], outgz[512];

        snprintf(out, sizeof(out), "%s/%s", scratch, name);
        snprintf(outgz, sizeof(outgz), "%s/%s", scratch, gz ? gz : "");
        return bundle_write(&s, out, gz ? outgz : NULL, d);
}

static char *at(const char *name)
{
        static char p[4][512];
        static int i;

        i = (i + 1) % 4;
        snprintf(p[i], sizeof(p[i]), "%s/%s", scratch, name);
        return p[i];
}

static void test_roundtrip(void **state)
{
        _cleanup_free_ char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0, members = 0;
        struct diag d = {0};

        (void)state;
        assert_int_equal(write_bundle("a.tar.zst", "a.tar.gz", &d), 0);
        assert_int_equal(write_bundle("b.tar.zst", NULL, &d), 0);
        assert_int_equal(bundle_verify_file(at("a.tar.zst"), db_cert, &members, &d), 0);
        assert_int_equal(members, 7);
        assert_int_equal(bundle_verify_file(at("a.tar.gz"), db_cert, &members, &d), 0);
        /* Same inputs, same bytes. */
        assert_int_equal(read_file(at("a.tar.zst"), &a, &na), 0);
        assert_int_equal(read_file(at("b.tar.zst"), &b, &nb), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_int_equal(bundle_verify_mem(a, na, db_cert, &members, &d), 0);
}

static void test_bad_spec(void **state)
{
        struct bundle_item dup[] = {{.path = "x", .src = f2}, {.path = "x", .src = f1}};
        struct bundle_item dots[] = {{.path = "a/../b", .src = f2}};
        struct bundle_item meta[] = {{.path = "SHA256SUMS", .src = f2}};
        struct bundle_item dir[] = {{.path = "d", .src = scratch}};
        struct bundle_spec s = {.key = key, .cert = crt, .epoch = 1};
        struct diag d = {0};

        (void)state;
        s.items = dup, s.n_items = 2;
        assert_int_equal(bundle_write(&s, at("bad.tar.zst"), NULL, &d), -EINVAL);
        assert_msg(&d, "bundle path \"x\" given twice");
        s.items = dots, s.n_items = 1;
        assert_int_equal(bundle_write(&s, at("bad.tar.zst"), NULL, &d), -EINVAL);
        assert_msg(&d, "bundle path \"a/../b\": expected a relative path");
        s.items = meta;
        assert_int_equal(bundle_write(&s, at("bad.tar.zst"), NULL, &d), -EINVAL);
        assert_msg(&d, "bundle path \"SHA256SUMS\" is reserved");
        s.items = dir;
        assert_int_equal(bundle_write(&s, at("bad.tar.zst"), NULL, &d), -EINVAL);
        assert_msg(&d, "is not a regular file");
        s.items = items, s.n_items = 2, s.recipe_digest = "ABC";
        assert_int_equal(bundle_write(&s, at("bad.tar.zst"), NULL, &d), -EINVAL);
        assert_msg(&d, "recipe digest \"ABC\": expected 64 lowercase hex digits");
        assert_int_equal(access(at("bad.tar.zst"), F_OK), -1);
}

enum edit { FLIP, DROP, EXTRA, EVIL_NAME, SYMLINK, TWICE, SUBST };

struct membuf {
        char *p;
        size_t n;
};

static la_ssize_t mem_write(struct archive *a, void *u, const void *buf, size_t n)
{
        struct membuf *m = u;

        (void)a;
        m->p = realloc(m->p, m->n + n);
        memcpy(m->p + m->n, buf, n);
        m->n += n;
        return (la_ssize_t)n;
}

static void copy_entry(struct archive *w, struct archive_entry *e, const char *data, size_t n)
{
        assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
        if (n)
                assert_int_equal(archive_write_data(w, data, n), (la_ssize_t)n);
}

/* The first from in data[0..*n] replaced by to (SUBST). */
static void subst(char *data, la_ssize_t *n, const char *from, const char *to)
{
        char *p = memmem(data, (size_t)*n, from, strlen(from));
        size_t tail;

        assert_non_null(p);
        tail = (size_t)(data + *n - p) - strlen(from);
        memmove(p + strlen(to), p + strlen(from), tail);
        memcpy(p, to, strlen(to));
        *n = (la_ssize_t)((size_t)(p - data) + strlen(to) + tail);
}

/* The bundle a.tar.zst as a plain tar with one edit at member target; from and
 * to are SUBST's. */
static struct membuf rewrite_with(const char *target, enum edit e, const char *from, const char *to)
{
        struct archive *r = archive_read_new(), *w = archive_write_new();
        struct archive_entry *ent;
        struct membuf out = {0};
        char data[65536];

        archive_read_support_filter_all(r);
        archive_read_support_format_tar(r);
        assert_int_equal(archive_read_open_filename(r, at("a.tar.zst"), 65536), ARCHIVE_OK);
        archive_write_set_format_pax_restricted(w);
        assert_int_equal(archive_write_open2(w, &out, NULL, mem_write, NULL, NULL), ARCHIVE_OK);
        while (archive_read_next_header(r, &ent) == ARCHIVE_OK) {
                la_ssize_t n = archive_read_data(r, data, sizeof(data));
                bool hit = !strcmp(archive_entry_pathname(ent), target);

                assert_true(n >= 0);
                if (hit && e == DROP)
                        continue;
                if (hit && e == FLIP)
                        data[n / 2] ^= 0x20;
                if (hit && e == SUBST) {
                        subst(data, &n, from, to);
                        archive_entry_set_size(ent, n);
                }
                if (hit && e == EVIL_NAME)
                        archive_entry_set_pathname(ent, "../evil");
                if (hit && e == SYMLINK) {
                        archive_entry_set_filetype(ent, AE_IFLNK);
                        archive_entry_set_symlink(ent, "/etc/passwd");
                        archive_entry_set_size(ent, 0);
                        n = 0;
                }
                copy_entry(w, ent, data, (size_t)n);
                if (hit && (e == EXTRA || e == TWICE)) {
                        if (e == EXTRA)
                                archive_entry_set_pathname(ent, "extra");
                        copy_entry(w, ent, data, (size_t)n);
                }
        }
        archive_read_free(r);
        archive_write_close(w);
        archive_write_free(w);
        return out;
}

static struct membuf rewrite(const char *target, enum edit e)
{
        return rewrite_with(target, e, NULL, NULL);
}

static void expect_with(const char *target, enum edit e, const char *from, const char *to,
                        const char *msg)
{
        struct membuf m = rewrite_with(target, e, from, to);
        struct diag d = {0};
        size_t n = 0;

        assert_int_equal(bundle_verify_mem(m.p, m.n, db_cert, &n, &d), -EBADMSG);
        assert_msg(&d, msg);
        free(m.p);
}

static void expect(const char *target, enum edit e, const char *msg)
{
        expect_with(target, e, NULL, NULL, msg);
}

/* manifest.json edited: SHA256SUMS catches it, and the manifest's own check says what. */
static void expect_manifest(const char *from, const char *to, const char *msg)
{
        expect_with("manifest.json", SUBST, from, to,
                    "bundle member manifest.json: sha256 mismatch");
        expect_with("manifest.json", SUBST, from, to, msg);
}

static void test_tamper(void **state)
{
        struct membuf same;
        struct diag d = {0};
        size_t n = 0;

        (void)state;
        assert_int_equal(write_bundle("a.tar.zst", NULL, &d), 0);
        /* The rewrite alone keeps the bundle valid: the checks below can pass. */
        same = rewrite("", FLIP);
        assert_int_equal(bundle_verify_mem(same.p, same.n, db_cert, &n, &d), 0);
        free(same.p);
        expect("MAS-DC01/MAS-DC01.raw", FLIP,
               "bundle member MAS-DC01/MAS-DC01.raw: sha256 mismatch");
        expect("tools/small", FLIP, "bundle member tools/small: sha256 mismatch");
        expect("manifest.json", FLIP, "bundle member manifest.json: sha256 mismatch");
        expect("SHA256SUMS", FLIP, "SHA256SUMS: signature does not match the file");
        expect("SHA256SUMS.sig", FLIP, "SHA256SUMS: signer certificate does not chain");
        expect("tools/small", DROP, "bundle member tools/small: missing");
        expect("sbom.spdx.json", DROP, "bundle has no sbom.spdx.json");
        expect("tools/small", EXTRA, "bundle member extra: not listed in SHA256SUMS");
        expect("tools/small", EVIL_NAME, "bundle member \"../evil\": unsafe path");
        expect("tools/small", SYMLINK, "bundle member tools/small: not a regular file");
        expect("tools/small", TWICE, "bundle member tools/small: appears twice");
        expect_manifest("\"size\": 6,", "\"size\": 7,",
                        "manifest.json: artifact tools/small: size 7, the member has 6");
        expect_manifest("\"path\": \"tools/small\"", "\"path\": \"SHA256SUMS\"",
                        "manifest.json: artifact SHA256SUMS is not in the bundle");
        expect_manifest("\"path\": \"tools/small\"", "\"path\": \"tools/big\"",
                        "manifest.json: artifact tools/big is not in the bundle");
        /* tools/small moved out of "artifacts" into an array of its own. */
        expect_manifest("\"kind\": \"disk\"", "\"kind\": \"disk\"}], \"x\": [{\"a\": 1",
                        "bundle member tools/small: not in manifest.json");
        expect_manifest("\"sha256\": \"", "\"sha256\": \"0",
                        "manifest.json: artifact MAS-DC01/MAS-DC01.raw: sha256 does not match");
        expect_manifest("\"size\": 6,", "\"size\": 6, \"size\": 6,",
                        "manifest.json:15:23: duplicate object key near '\"size\"'");
        expect_manifest("\"artifacts\"", "\"artefacts\"", "manifest.json: no \"artifacts\" array");
}

static void test_garbage(void **state)
{
        static const char junk[] = "this is not an archive at all, not even close........";
        struct diag d = {0};
        size_t n = 0;

        (void)state;
        assert_true(bundle_verify_mem(junk, sizeof(junk), db_cert, &n, &d) < 0);
        assert_msg(&d, "bundle");
        assert_true(bundle_verify_mem("", 0, db_cert, &n, &d) < 0);
        diag_release(&d);
}

static void test_dpkg(void **state)
{
        static const char status[] =
                "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
                "Version: 1:1.2.13.dfsg-1\nDescription: compression\n more text: here\n\n"
                "Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
                "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n";
        struct dpkg_pkg *p = NULL;
        struct diag d = {0};
        size_t n = 0;

        (void)state;
        assert_int_equal(dpkg_status_parse(status, strlen(status), "status", &p, &n, &d), 0);
        assert_int_equal(n, 2);
        assert_string_equal(p[0].name, "bash");
        assert_string_equal(p[0].arch, "");
        assert_string_equal(p[1].name, "zlib1g");
        assert_string_equal(p[1].version, "1:1.2.13.dfsg-1");
        dpkg_pkgs_free(p, n);
        assert_int_equal(dpkg_status_parse("\n\nPackage: Bad Name\nStatus: install ok installed\n"
                                           "Version: 1\n",
                                           57, "st", &p, &n, &d),
                         -EBADMSG);
        assert_msg(&d, "st:3: bad or missing Package name");
        assert_int_equal(dpkg_status_parse("Package: ok\nStatus: install ok installed\n", 41, "st",
                                           &p, &n, &d),
                         -EBADMSG);
        assert_msg(&d, "st:1: package \"ok\": bad or missing Version");
        assert_int_equal(
                dpkg_status_parse("Package: ab\nStatus: hold ok installed\nVersion: 1\n\n"
                                  "Package: ab\nStatus: install ok installed\nVersion: 2\n",
                                  101, "st", &p, &n, &d),
                -EBADMSG);
        assert_msg(&d, "st: package \"ab\" () is listed twice");
}

/* DSSE: the spec's PAE example, a round trip, and every way an envelope is refused. */
static void test_dsse(void **state)
{
        static const char payload[] = "{\"_type\":\"x\"}";
        _cleanup_pkey_ EVP_PKEY *k = NULL;
        _cleanup_x509_ X509 *c = NULL;
        _cleanup_free_ unsigned char *pae = NULL;
        _cleanup_free_ char *env = NULL, *env2 = NULL, *back = NULL, *bad = NULL;
        struct diag d = {0};
        size_t n, n2, bn;

        (void)state;
        assert_int_equal(dsse_pae("http://example.com/HelloWorld", "hello world", 11, &pae, &n), 0);
        assert_int_equal(n, 54);
        assert_memory_equal(pae, "DSSEv1 29 http://example.com/HelloWorld 11 hello world", 54);
        assert_int_equal(signing_key_load(key, crt, &k, &c, &d), 0);
        assert_int_equal(dsse_sign(DSSE_INTOTO_TYPE, payload, strlen(payload), k, c, &env, &n, &d),
                         0);
        assert_int_equal(env[n - 1], '\n');
        assert_null(memchr(env, '\n', n - 1));
        assert_int_equal(
                dsse_sign(DSSE_INTOTO_TYPE, payload, strlen(payload), k, c, &env2, &n2, &d), 0);
        assert_string_equal(env, env2); /* RSA PKCS#1 v1.5: the same bytes every time */
        assert_int_equal(dsse_verify(env, n, c, DSSE_INTOTO_TYPE, &back, &bn, "p", &d), 0);
        assert_int_equal(bn, strlen(payload));
        assert_string_equal(back, payload);

        assert_int_equal(dsse_verify(env, n, c, "text/plain", NULL, NULL, "p", &d), -EBADMSG);
        assert_msg(&d, "p: payload type \"application/vnd.in-toto+json\" (expected text/plain)");
        assert_int_equal(dsse_verify(env, n, db_cert, DSSE_INTOTO_TYPE, NULL, NULL, "p", &d),
                         -EBADMSG);
        assert_msg(&d, "p: no signature by the bundle's signer");
        /* another payload under the same signature */
        bad = strdup(env);
        {
                char *pl = strstr(bad, "\"payload\":\"") + 11;

                pl[1] = pl[1] == 'A' ? 'B' : 'A';
        }
        assert_int_equal(dsse_verify(bad, n, c, DSSE_INTOTO_TYPE, NULL, NULL, "p", &d), -EBADMSG);
        assert_msg(&d, "p: signature does not match the payload");
        assert_int_equal(
                dsse_verify("{\"payload\":1}", 13, c, DSSE_INTOTO_TYPE, NULL, NULL, "p", &d),
                -EBADMSG);
        assert_msg(&d, "p: not a DSSE envelope (expected payloadType, payload and signatures)");
        assert_int_equal(dsse_verify("[", 1, c, DSSE_INTOTO_TYPE, NULL, NULL, "p", &d), -EBADMSG);
        assert_msg(&d, "p: not a DSSE envelope: ");
        {
                static const char b64bad[] = "{\"payloadType\":\"application/vnd.in-toto+json\","
                                             "\"payload\":\"a$b\",\"signatures\":[]}";

                assert_int_equal(dsse_verify(b64bad, strlen(b64bad), c, DSSE_INTOTO_TYPE, NULL,
                                             NULL, "p", &d),
                                 -EBADMSG);
        }
        assert_msg(&d, "p: payload is not base64");
}

/* Licenses from machine-readable copyright files, as SPDX expressions. */
static void test_license(void **state)
{
        static const char *const cases[][2] = {
                {"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                 "Files: debian/*\nLicense: BSD-3-clause\n\nFiles: *\nCopyright: x\n"
                 "License: GPL-2+ or Artistic\n Some text.\n",
                 "GPL-2.0-or-later OR Artistic-1.0-Perl"},
                {"Format: x\n\nFiles: * src/*\nLicense: LGPL-2.1+\n", "LGPL-2.1-or-later"},
                {"Format: x\n\nFiles: *\nLicense: Expat and zlib\n", "MIT AND Zlib"},
                {"Format: x\n\nFiles: *\nLicense: GPL-2 with Linux-syscall-note exception\n", NULL},
                {"Format: x\n\nFiles: *\nLicense: or GPL-2\n", NULL},
                {"Format: x\n\nFiles: *\nLicense: GPL-2 GPL-3\n", NULL},
                {"Format: x\n\nFiles: src/*\nLicense: MIT\n", NULL},
                {"This package was debianized by someone.\nLicense: GPL-2\n", NULL},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *l = dpkg_copyright_license(cases[i][0], strlen(cases[i][0]));

                if (cases[i][1])
                        assert_string_equal(l, cases[i][1]);
                else
                        assert_null(l);
        }
}

/* bundle_manifest_read on jansson: the document's shape, each problem with its own message. */
static void test_manifest(void **state)
{
        static const char *const bad[][2] = {
                {"{\"artifacts\":[],}", "j:1:17: string or '}' expected near '}'"},
                {"{\"artifacts\":[1 2]}", "']' expected near '2'"},
                {"{\"artifacts\":[]} x", "end of file expected"},
                {"{\"artifacts\":[], \"artifacts\":[]}", "duplicate object key"},
                {"{\"x\":\"\\ud800\"}", "invalid Unicode"},
                {"{\"x\":\"a\nb\"}", "unexpected newline"},
                {"{\"x\":\"\\u0000\"}", "\\u0000 is not allowed"},
                {"{\"x\":\"\xff\"}", "unable to decode byte 0xff"},
                {"", "'[' or '{' expected"},
                {"[]", "j: no \"artifacts\" array"},
                {"{\"artifacts\":{}}", "j: no \"artifacts\" array"},
                {"{\"artifacts\":[3]}", "j: artifact 1: expected path, size and sha256"},
                {"{\"artifacts\":[{\"path\":\"a\",\"size\":-1,\"sha256\":\"x\"}]}",
                 "artifact 1: expected"},
                {"{\"artifacts\":[{\"path\":\"a\",\"size\":1.5,\"sha256\":\"x\"}]}",
                 "artifact 1: expected"},
                {"{\"artifacts\":[{\"path\":\"a\",\"size\":\"1\",\"sha256\":\"x\"}]}",
                 "artifact 1: expected"},
                {"{\"artifacts\":[{\"path\":\"a\",\"size\":1}]}", "artifact 1: expected"},
                {"{\"artifacts\":[{\"path\":7,\"size\":1,\"sha256\":\"x\"}]}",
                 "artifact 1: expected"},
        };
        const char good[] =
                "{\"pocbake_version\": \"0.1.0\", \"artifacts\": ["
                "{\"path\": \"\\u00e9\\ud83d\\ude00\", \"size\": 12, \"sha256\": \"ab\","
                " \"role\": \"r\", \"kind\": \"disk\"},"
                "{\"path\": \"b\", \"size\": 0, \"sha256\": \"cd\"}]}";
        const char half[] =
                "{\"artifacts\": [7, {\"path\": \"b\", \"size\": 9, \"sha256\": \"cd\"}]}";
        char deep[4200];
        struct manifest m;
        struct diag d = {0};

        (void)state;
        assert_int_equal(bundle_manifest_read(good, strlen(good), &m, "j", &d), 0);
        assert_int_equal(m.n, 2);
        assert_string_equal(m.v[0].path, "\xc3\xa9\xf0\x9f\x98\x80");
        assert_int_equal(m.v[0].size, 12);
        assert_string_equal(m.v[1].sha256, "cd");
        assert_int_equal(d.n, 0);
        bundle_manifest_release(&m);
        /* A malformed artifact is reported; the well-formed ones are still there to check. */
        assert_int_equal(bundle_manifest_read(half, strlen(half), &m, "j", &d), -EBADMSG);
        assert_int_equal(m.n, 1);
        assert_string_equal(m.v[0].path, "b");
        assert_int_equal(m.v[0].size, 9);
        bundle_manifest_release(&m);
        assert_msg(&d, "j: artifact 1: expected path, size and sha256");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(bundle_manifest_read(bad[i][0], strlen(bad[i][0]), &m, "j", &d),
                                 -EBADMSG);
                assert_int_equal(m.n, 0);
                bundle_manifest_release(&m);
                assert_msg(&d, bad[i][1]);
        }
        /* A hostile depth ends in a message, not in a stack overflow. */
        memset(deep, '[', sizeof(deep));
        assert_int_equal(bundle_manifest_read(deep, sizeof(deep), &m, "j", &d), -EBADMSG);
        bundle_manifest_release(&m);
        assert_msg(&d, "maximum parsing depth");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_bad_spec),
                cmocka_unit_test(test_tamper),    cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_dpkg),      cmocka_unit_test(test_manifest),
                cmocka_unit_test(test_dsse),      cmocka_unit_test(test_license),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
