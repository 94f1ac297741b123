/* test_pxe.c: the PXE set writer and verifier, the CMS helpers and SHA256SUMS parsing. */
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

#include "media/cms.h"
#include "media/gzimage.h"
#include "media/pxe.h"
#include "media/sums.h"
#include "sign/keygen.h"
#include "sign/ossl.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/hash.h"

static char scratch[] = "/tmp/pocbake-pxe.XXXXXX";
static char path[8][512];
static EVP_PKEY *cs_key;
static X509 *cs_cert, *db_cert;

static char *at(int slot, const char *name)
{
        snprintf(path[slot], sizeof(path[slot]), "%s/%s", scratch, name);
        return path[slot];
}

static int put(const char *name, const void *data, size_t len)
{
        char p[512];

        snprintf(p, sizeof(p), "%s/%s", scratch, name);
        return write_file_atomic(p, data, len, 0644);
}

static int setup(void **state)
{
        struct keygen_opts o = {.cn_prefix = "unit", .days = 30, .rsa_bits = 2048};
        struct diag d = {0};
        uint8_t blob[4096];
        char cwd[400];

        (void)state;
        if (!mkdtemp(scratch) || keygen_init(at(0, "keys"), &o, &d) < 0)
                return -1;
        if (!getenv("POCBAKE_DATADIR") && getcwd(cwd, sizeof(cwd)))
                setenv("POCBAKE_DATADIR", cwd, 1); /* make check runs from the tree */
        for (size_t i = 0; i < sizeof(blob); i++)
                blob[i] = (uint8_t)(i * 7 + 3);
        memcpy(blob, "hsqs", 4);
        if (put("vmlinuz", blob + 1, 3000) < 0 || put("initrd", blob + 2, 2000) < 0 ||
            put("uki.efi", blob + 3, 1000) < 0 || put("root.sqfs", blob, sizeof(blob)) < 0 ||
            put("notroot", blob + 4, 2000) < 0)
                return -1;
        if (signing_key_load(at(1, "keys/codesign.key"), at(2, "keys/codesign.crt"), &cs_key,
                             &cs_cert, &d) < 0 ||
            x509_load(at(3, "keys/db.crt"), &db_cert, &d) < 0)
                return -1;
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        rm_rf(scratch);
        EVP_PKEY_free(cs_key);
        X509_free(cs_cert);
        X509_free(db_cert);
        return 0;
}

static struct pxe_spec spec(void)
{
        static char k[512], i[512], u[512], r[512], key[512], crt[512];

        snprintf(k, sizeof(k), "%s/vmlinuz", scratch);
        snprintf(i, sizeof(i), "%s/initrd", scratch);
        snprintf(u, sizeof(u), "%s/uki.efi", scratch);
        snprintf(r, sizeof(r), "%s/root.sqfs", scratch);
        snprintf(key, sizeof(key), "%s/keys/codesign.key", scratch);
        snprintf(crt, sizeof(crt), "%s/keys/codesign.crt", scratch);
        return (struct pxe_spec){.name = "lab",
                                 .kernel = k,
                                 .initrd = i,
                                 .uki = u,
                                 .root = r,
                                 .cmdline = "console=ttyS0",
                                 .key = key,
                                 .cert = crt};
}

static char *slurp(const char *p)
{
        char *buf = NULL;
        size_t n;

        assert_int_equal(read_file(p, &buf, &n), 0);
        return buf;
}

static void test_write_verify(void **state)
{
        struct pxe_spec s = spec();
        struct diag d = {0};
        _cleanup_free_ char *script = NULL, *conf = NULL, *a = NULL, *b = NULL;
        uint8_t digest[SHA256_LEN];
        char hex[SHA256_HEX], line[256];
        size_t n = 0;

        (void)state;
        assert_int_equal(pxe_write(&s, at(0, "set"), &d), 0);
        assert_int_equal(pxe_verify(at(0, "set"), db_cert, &n, &d), 0);
        assert_int_equal(
                n, 7); /* vmlinuz initrd.img lab.efi root.squashfs boot.ipxe dnsmasq.conf README */
        script = slurp(at(1, "set/boot.ipxe"));
        assert_true(!strncmp(script, "#!ipxe\n", 7));
        assert_int_equal(sha256_file(s.root, digest), 0);
        hex_encode(digest, SHA256_LEN, hex);
        snprintf(line, sizeof(line),
                 "\nkernel vmlinuz console=ttyS0 initrd=initrd.img "
                 "pocbake.root=tftp://${next-server}/root.squashfs pocbake.roothash=sha256:%s\n",
                 hex);
        assert_non_null(strstr(script, line));
        assert_non_null(strstr(script, "\ninitrd initrd.img\nboot\n"));
        assert_null(strstr(script, "imgverify"));
        assert_null(strstr(script, "imgtrust"));
        conf = slurp(at(2, "set/dnsmasq.conf"));
        assert_non_null(strstr(conf, "X86-64_EFI,\"pocbake lab (UEFI)\",lab.efi"));
        assert_non_null(strstr(conf, "dhcp-range=192.0.2.0,proxy"));
        assert_non_null(strstr(conf, "tftp-root=/srv/pocbake/lab"));
        assert_null(strchr(conf, '@'));
        /* Same inputs, same bytes: the signatures carry no signing time. */
        a = slurp(at(3, "set/vmlinuz.sig"));
        assert_int_equal(pxe_write(&s, at(0, "set2"), &d), 0);
        assert_int_equal(read_file(at(4, "set2/vmlinuz.sig"), &b, &n), 0);
        assert_memory_equal(a, b, n);
        /* Rewriting an earlier set replaces it. */
        assert_int_equal(pxe_write(&s, at(0, "set2"), &d), 0);
}

static void test_verify_flag(void **state)
{
        struct pxe_spec s = spec();
        struct diag d = {0};
        _cleanup_free_ char *script = NULL;

        (void)state;
        s.verify = true;
        s.root_base = "http://10.0.0.1:8080";
        assert_int_equal(pxe_write(&s, at(0, "setv"), &d), 0);
        script = slurp(at(1, "setv/boot.ipxe"));
        assert_non_null(strstr(script, "\nimgtrust --permanent\n"));
        assert_non_null(strstr(script, "\nimgverify vmlinuz vmlinuz.sig\n"));
        assert_non_null(strstr(script, "\nimgverify initrd.img initrd.img.sig\n"));
        assert_non_null(strstr(script, "pocbake.root=http://10.0.0.1:8080/root.squashfs"));
}

static void flip(const char *p, off_t off)
{
        FILE *f = fopen(p, "r+b");
        int c;

        assert_non_null(f);
        fseeko(f, off, SEEK_SET);
        c = fgetc(f);
        fseeko(f, off, SEEK_SET);
        fputc(c ^ 0x01, f);
        fclose(f);
}

static void test_tamper(void **state)
{
        struct pxe_spec s = spec();
        struct diag d = {0};
        size_t n = 0;

        (void)state;
        assert_int_equal(pxe_write(&s, at(0, "sett"), &d), 0);
        flip(at(1, "sett/vmlinuz"), 100);
        assert_int_equal(pxe_verify(at(0, "sett"), db_cert, &n, &d), -EBADMSG);
        assert_int_equal(n, 6);
        assert_string_equal(d.msgs[1], "vmlinuz: signature does not match the file");
        assert_msg(&d, "vmlinuz: sha256 mismatch");
        flip(at(1, "sett/vmlinuz"), 100);
        flip(at(1, "sett/SHA256SUMS"), 3);
        assert_int_equal(pxe_verify(at(0, "sett"), db_cert, &n, &d), -EBADMSG);
        assert_msg(&d, "SHA256SUMS: signature does not match the file");
        flip(at(1, "sett/SHA256SUMS"), 3);
        assert_int_equal(unlink(at(1, "sett/lab.efi.sig")), 0);
        assert_int_equal(pxe_verify(at(0, "sett"), db_cert, &n, &d), -EBADMSG);
        assert_msg(&d, "lab.efi.sig: cannot read");
}

static void test_bad_inputs(void **state)
{
        struct pxe_spec s = spec();
        struct diag d = {0};

        (void)state;
        s.root = at(1, "notroot");
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -EINVAL);
        assert_msg(&d, "is neither squashfs nor erofs");
        s = spec();
        s.name = "../x";
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -EINVAL);
        assert_msg(&d, "name \"../x\": expected letters");
        s = spec();
        s.cmdline = "a\nb";
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -EINVAL);
        assert_msg(&d, "control characters");
        s = spec();
        s.initrd = at(1, "missing");
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -ENOENT);
        assert_msg(&d, "initrd \"");
        /* The install entry's UKI is signed with db: it needs the key directory. */
        s = spec();
        s.image = s.root;
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -EINVAL);
        assert_msg(&d, "the install entry needs a key directory to sign its UKI");
        s.image = at(1, "missing");
        assert_int_equal(pxe_write(&s, at(0, "bad"), &d), -ENOENT);
        assert_msg(&d, "install image \"");
        /* A directory that is not a PXE set is not replaced. */
        s = spec();
        assert_int_equal(pxe_write(&s, at(0, "keys"), &d), -EEXIST);
        assert_msg(&d, "is not empty and has no SHA256SUMS");
        assert_int_equal(access(at(1, "bad"), F_OK), -1);
}

static void test_cms(void **state)
{
        _cleanup_free_ uint8_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        struct diag d = {0};

        (void)state;
        assert_int_equal(cms_sign_buf("hello", 5, cs_key, cs_cert, &a, &na, &d), 0);
        assert_int_equal(cms_sign_buf("hello", 5, cs_key, cs_cert, &b, &nb, &d), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_int_equal(cms_verify_detached(a, na, "hello", 5, NULL, db_cert, "x", &d), 0);
        assert_int_equal(cms_verify_detached(a, na, "hellp", 5, NULL, db_cert, "x", &d), -EBADMSG);
        assert_msg(&d, "x: signature does not match the file");
        assert_int_equal(cms_verify_detached(a, na - 1, "hello", 5, NULL, db_cert, "x", &d),
                         -EBADMSG);
        assert_msg(&d, "x: signature is not a DER CMS structure");
        assert_int_equal(cms_verify_detached(a, 0, "hello", 5, NULL, db_cert, "x", &d), -EBADMSG);
        assert_msg(&d, "x: signature is empty");
}

static void test_cms_wrong_anchor(void **state)
{
        EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        _cleanup_free_ uint8_t *sig = NULL;
        struct diag d = {0};
        X509 *other = NULL;
        size_t n = 0;

        (void)state;
        assert_non_null(k);
        assert_int_equal(keygen_cert(k, "other db", 1, NULL, NULL, false, &other, &d), 0);
        assert_int_equal(cms_sign_buf("data", 4, cs_key, cs_cert, &sig, &n, &d), 0);
        assert_int_equal(cms_verify_detached(sig, n, "data", 4, NULL, other, "f", &d), -EBADMSG);
        assert_msg(&d, "f: signer certificate does not chain to \"/CN=other db\"");
        X509_free(other);
        EVP_PKEY_free(k);
}

static void test_sums(void **state)
{
        static const char good[] =
                "0000000000000000000000000000000000000000000000000000000000000000  a\n"
                "1111111111111111111111111111111111111111111111111111111111111111 *dir/b\n";
        static const struct {
                const char *text, *msg;
        } bad[] = {
                {"00  a\n", "S:1: expected"},
                {"000000000000000000000000000000000000000000000000000000000000000G  a\n",
                 "S:1: bad sha256"},
                {"0000000000000000000000000000000000000000000000000000000000000000  ../a\n",
                 "S:1: unsafe file name"},
                {"0000000000000000000000000000000000000000000000000000000000000000  /a\n",
                 "S:1: unsafe file name"},
                {"0000000000000000000000000000000000000000000000000000000000000000  a\n"
                 "0000000000000000000000000000000000000000000000000000000000000000  a\n",
                 "S:2: \"a\" is listed twice"},
                {"0000000000000000000000000000000000000000000000000000000000000000  a",
                 "S:1: last line has no newline"},
        };
        struct sums s = {0};
        struct diag d = {0};

        (void)state;
        assert_int_equal(sums_parse(good, strlen(good), &s, "S", &d), 0);
        assert_int_equal(s.n, 2);
        assert_non_null(sums_find(&s, "dir/b"));
        sums_release(&s);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(sums_parse(bad[i].text, strlen(bad[i].text), &s, "S", &d),
                                 -EBADMSG);
                assert_msg(&d, bad[i].msg);
                sums_release(&s);
        }
        assert_true(sums_name_ok("a/b.c"));
        assert_false(sums_name_ok("a//b"));
        assert_false(sums_name_ok("a/./b"));
        assert_false(sums_name_ok("a/"));
        assert_false(sums_name_ok("a\\b"));
        assert_false(sums_name_ok(""));
}

/* The gzip'd image's record that the ISO and the PXE set share: read back as
 * written, anything else refused. */
static void test_gz_info(void **state)
{
        char info[] = "/tmp/pocbake-gzinfo.XXXXXX";
        struct gz_image a = {.raw_size = 2684354560ull}, b;
        struct diag d = {0};
        /* after good raw_sha256 and gz_sha256 lines */
        static const char *const bad_tail[] = {
                "raw_size -1\n",
                "raw_size 1\nextra\n",
                "raw_size 1",
                "raw_size 99999999999999999999\n",
        };
        int fd = mkstemp(info);

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        memset(a.raw_sha, 'a', 64);
        a.raw_sha[64] = '\0';
        memset(a.gz_sha, '0', 64);
        a.gz_sha[64] = '\0';
        assert_int_equal(gz_image_save_info(info, &a, &d), 0);
        assert_int_equal(gz_image_load_info(info, &b, &d), 0);
        assert_string_equal(b.raw_sha, a.raw_sha);
        assert_string_equal(b.gz_sha, a.gz_sha);
        assert_int_equal(b.raw_size, a.raw_size);
        {
                static const char short_sums[] = "raw_sha256 xyz\ngz_sha256 xyz\nraw_size 1\n";

                assert_int_equal(write_file_atomic(info, short_sums, strlen(short_sums), 0644), 0);
        }
        assert_int_equal(gz_image_load_info(info, &b, &d), -EINVAL);
        for (size_t i = 0; i < sizeof(bad_tail) / sizeof(bad_tail[0]); i++) {
                char text[512];
                int n = snprintf(text, sizeof(text), "raw_sha256 %s\ngz_sha256 %s\n%s", a.raw_sha,
                                 a.gz_sha, bad_tail[i]);

                assert_int_equal(write_file_atomic(info, text, (size_t)n, 0644), 0);
                assert_int_equal(gz_image_load_info(info, &b, &d), -EINVAL);
        }
        assert_int_equal(d.n, 1 + sizeof(bad_tail) / sizeof(bad_tail[0]));
        assert_non_null(strstr(d.msgs[0], "not what gz_image_save_info writes"));
        diag_release(&d);
        unlink(info);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_verify), cmocka_unit_test(test_verify_flag),
                cmocka_unit_test(test_tamper),       cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_cms),          cmocka_unit_test(test_cms_wrong_anchor),
                cmocka_unit_test(test_sums),         cmocka_unit_test(test_gz_info),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
