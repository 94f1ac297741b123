/* test_chain.c: the boot chain: kernel choice by version, module table, key check, signed UKI,
 * ESP key view. */
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
#include "boot/chain.h"
#include "boot/uki.h"
#include "sign/keygen.h"
#include "sign/ossl.h"
#include "sign/pe.h"
#include "util/endian.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static char scratch[] = "/tmp/pocbake-chain.XXXXXX";
static char keys[300], kernel[300], initrd[300];

static char *at(const char *name)
{
        static char p[8][400];
        static int next;
        char *s = p[next++ % 8];

        snprintf(s, 400, "%s/%s", scratch, name);
        return s;
}

static void put(const char *name, const void *data, size_t len, mode_t mode)
{
        assert_int_equal(write_file_atomic(at(name), data, len, mode), 0);
}

/* A stand-in bzImage: boot protocol 2.15 header, version string at 0x300. */
static void put_kernel(void)
{
        static uint8_t k[5000];

        for (size_t i = 0; i < sizeof(k); i++)
                k[i] = (uint8_t)(i * 7);
        memcpy(k + 0x202, "HdrS", 4);
        put_le16(k + 0x206, 0x20f);
        put_le16(k + 0x20e, 0x100);
        memcpy(k + 0x300, "6.9.9-test (pocbake@test) #1 SMP\0", 33);
        put("vmlinuz", k, sizeof(k), 0644);
        snprintf(kernel, sizeof(kernel), "%s", at("vmlinuz"));
        put("initrd.img", "not much of an initrd", 21, 0644);
        snprintf(initrd, sizeof(initrd), "%s", at("initrd.img"));
}

static int setup(void **state)
{
        struct keygen_opts o = {.cn_prefix = "unit", .days = 30, .rsa_bits = 2048};
        struct diag d = {0};

        (void)state;
        if (!mkdtemp(scratch))
                return -1;
        snprintf(keys, sizeof(keys), "%s/keys", scratch);
        if (keygen_init(keys, &o, &d) < 0)
                return -1;
        put_kernel();
        /* tests run from the top of the tree: loader.conf comes from firmware/ */
        if (!getenv("POCBAKE_DATADIR"))
                setenv("POCBAKE_DATADIR", ".", 1);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        rm_rf(scratch);
        return 0;
}

/* Version order, not name order: vmlinuz-6.1.0-10 sorts before -9 by name. */
static void test_newest_kernel(void **state)
{
        static const char *const names[] = {"vmlinuz-6.1.0-9", "vmlinuz-6.1.0-10",
                                            "vmlinuz-6.1.0-2", "config-6.1.0-99", "vmlinuz-"};
        _cleanup_free_ char *k = NULL;

        (void)state;
        assert_int_equal(mkdir_p(at("boot"), 0755), 0);
        errno = 0;
        assert_null(chain_newest_kernel(at("boot")));
        assert_int_equal(errno, ENOENT);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char rel[64];

                snprintf(rel, sizeof(rel), "boot/%s", names[i]);
                put(rel, "k", 1, 0644);
        }
        k = chain_newest_kernel(at("boot"));
        assert_non_null(k);
        assert_string_equal(k, at("boot/vmlinuz-6.1.0-10"));
        assert_null(chain_newest_kernel(at("no-such-dir")));
}

static void assert_list(enum chain_initrd_kind kind, const char *const *want, size_t n)
{
        _cleanup_free_ const char **got = NULL;
        size_t count = 0;

        assert_int_equal(chain_modules(kind, &got, &count), 0);
        assert_int_equal(count, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(got[i], want[i]);
}

/* Each initrd keeps the list (and order) it had before the one table: their
 * bytes, and the disk initrd's content key, depend on it. */
static void test_modules(void **state)
{
        static const char *const disk[] = {
                "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net",  "sd_mod", "sr_mod",
                "ahci",       "nvme",       "xhci_pci",    "usb_storage", "uas",    "ext4",
                "vfat",       "efivarfs",   "squashfs",    "isofs",       "loop",   "overlay",
                "nls_cp437",  "nls_ascii",  "nls_utf8",
        };
        static const char *const iso[] = {
                "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod",      "sr_mod", "ahci",
                "ata_piix",   "nvme",       "xhci_pci",    "usb_storage", "uas",    "ext4",
                "vfat",       "efivarfs",   "squashfs",    "isofs",       "loop",   "overlay",
        };

        (void)state;
        assert_list(CHAIN_INITRD_DISK, disk, ARRAY_SIZE(disk));
        assert_list(CHAIN_INITRD_ISO, iso, ARRAY_SIZE(iso));
}

static void test_kernel_release(void **state)
{
        _cleanup_free_ char *rel = NULL;
        struct diag d = {0};

        (void)state;
        assert_int_equal(chain_kernel_release(kernel, &rel, &d), 0);
        assert_string_equal(rel, "6.9.9-test");
        assert_true(chain_kernel_release(initrd, &rel, &d) < 0);
        assert_msg(&d, "no release string in its boot header (expected an x86 bzImage)");
        assert_true(chain_kernel_release(at("nothing"), &rel, &d) < 0);
        assert_msg(&d, "cannot read kernel");
}

/* A copy of the key set in scratch/name, for one file to be spoiled. */
static void keys_copy(const char *name, char dir[400])
{
        static const char *const files[] = {"PK.key",  "PK.crt", "KEK.key",
                                            "KEK.crt", "db.key", "db.crt"};
        snprintf(dir, 400, "%s", at(name));
        assert_int_equal(mkdir_p(dir, 0700), 0);
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                char from[400], to[400];

                snprintf(from, sizeof(from), "%s/%s", keys, files[i]);
                snprintf(to, sizeof(to), "%s/%s", dir, files[i]);
                assert_int_equal(copy_file_sparse(from, to, strstr(to, ".key") ? 0600 : 0644), 0);
        }
}

static void test_keys_check(void **state)
{
        struct diag d = {0};
        char p[500], dir[400];

        (void)state;
        assert_int_equal(chain_keys_check(keys, &d), 0);
        assert_int_equal(d.n, 0);
        assert_int_equal(chain_keys_check(at("none"), &d), -EINVAL);
        assert_int_equal(d.n, 6);
        assert_msg(&d, "no PK.key (make the set with 'pocbake keys init");

        keys_copy("k-mode", dir);
        snprintf(p, sizeof(p), "%s/db.key", dir);
        assert_int_equal(chmod(p, 0640), 0);
        assert_int_equal(chain_keys_check(dir, &d), -EINVAL);
        assert_msg(&d, "is readable by group or others");

        keys_copy("k-junk", dir);
        snprintf(p, sizeof(p), "%s/KEK.key", dir);
        assert_int_equal(write_file_atomic(p, "junk", 4, 0600), 0);
        assert_int_equal(chain_keys_check(dir, &d), -EINVAL);
        assert_msg(&d, "is not a PEM private key");
}

static void test_uki_signed(void **state)
{
        X509 *db = NULL;
        struct diag d = {0};
        char crt[400];

        (void)state;
        if (access(UKI_DEFAULT_STUB, R_OK) < 0)
                skip();
        snprintf(crt, sizeof(crt), "%s/db.crt", keys);
        assert_int_equal(x509_load(crt, &db, &d), 0);
        assert_int_equal(chain_uki(kernel, initrd, "console=ttyS0", keys, at("s.efi"), &d), 0);
        assert_int_equal(authenticode_verify_file(at("s.efi"), db, "db", &d), 0);
        assert_int_equal(chain_uki(kernel, initrd, "console=ttyS0", NULL, at("u.efi"), &d), 0);
        assert_true(authenticode_verify_file(at("u.efi"), db, "db", &d) < 0);
        diag_release(&d);
        /* a bad key is found before anything is written */
        assert_true(chain_uki(kernel, initrd, "x", at("none"), at("n.efi"), &d) < 0);
        assert_int_equal(access(at("n.efi"), F_OK), -1);
        diag_release(&d);
        X509_free(db);
}

static void esp(const char *name, uint64_t epoch, const char *const *ukis)
{
        struct esp_spec s = {.ukis = ukis, .n_ukis = 1, .timeout = 3};
        struct diag d = {0};
        char dir[400];
        int rc;

        snprintf(dir, sizeof(dir), "%s", at(name));
        rc = chain_esp(&s, keys, epoch, at("view"), dir, &d);
        if (rc < 0)
                diag_print(&d, "chain_esp: ");
        assert_int_equal(rc, 0);
        assert_int_equal(access(at("view"), F_OK), -1); /* removed after use */
        diag_release(&d);
}

/* The .auth files carry the epoch: the same one gives the same bytes. */
static void test_esp(void **state)
{
        char uki[400];
        const char *ukis[] = {uki};
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        size_t al, bl, cl;
        struct diag d = {0};

        (void)state;
        if (access(UKI_DEFAULT_STUB, R_OK) < 0 || access(ESP_DEFAULT_LOADER, R_OK) < 0)
                skip();
        snprintf(uki, sizeof(uki), "%s", at("role.efi"));
        assert_int_equal(chain_uki(kernel, initrd, "x", NULL, ukis[0], &d), 0);
        esp("esp1", 1700000000, ukis);
        esp("esp2", 1700000000, ukis);
        esp("esp3", 1700000001, ukis);
        assert_int_equal(read_file(at("esp1/loader/keys/auto/db.auth"), &a, &al), 0);
        assert_int_equal(read_file(at("esp2/loader/keys/auto/db.auth"), &b, &bl), 0);
        assert_int_equal(read_file(at("esp3/loader/keys/auto/db.auth"), &c, &cl), 0);
        assert_true(al == bl && !memcmp(a, b, al));
        assert_false(al == cl && !memcmp(a, c, al));
        assert_int_equal(access(at("esp1/EFI/Linux/role.efi"), R_OK), 0);
        assert_int_equal(access(at("esp1/loader/keys/auto/PK.auth"), R_OK), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_newest_kernel),  cmocka_unit_test(test_modules),
                cmocka_unit_test(test_kernel_release), cmocka_unit_test(test_keys_check),
                cmocka_unit_test(test_uki_signed),     cmocka_unit_test(test_esp),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
