/* test_guest_xml.c: unit tests of the libvirt domain and network XML, validated by
 * virt-xml-validate; `test_guest_xml write DIR ROLE...` writes what a host image
 * carries (DIR/ROLE.xml, DIR/networks/management.xml) for t0602's script runs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "guest/guest.h"
#include "util/cleanup.h"
#include "util/exec.h"
#include "util/fsutil.h"

static struct role *make_role(void)
{
        static struct nic_spec nics[2] = {
                {.network = "management", .mac = "52:54:00:aa:bb:cc"},
                {.network = "storage&data", .model = "e1000e"},
        };
        static struct role r;

        memset(&r, 0, sizeof r);
        r.name = "MAS-DC01";
        r.description = "directory <DNS & DHCP>";
        r.vm.vcpus = 2;
        r.vm.memory = UINT64_C(1) << 30;
        r.vm.nics = nics;
        r.vm.n_nics = 2;
        return &r;
}

/* virt-xml-validate FILE KIND on text; skipped (1) when the tool is missing. */
static int validate(const char *text, const char *kind)
{
        char path[] = "/tmp/test_guest_xml.XXXXXX";
        const char *argv[] = {"virt-xml-validate", path, kind, NULL};
        struct diag d = {0};
        int fd, r;

        if (!have_program("virt-xml-validate"))
                return 1;
        fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        r = run_argv(argv, NULL, &d);
        if (r < 0)
                diag_print(&d, "virt-xml-validate: ");
        diag_release(&d);
        unlink(path);
        return r;
}

static void test_domain(void **state)
{
        _cleanup_free_ char *xml = guest_domain_xml(make_role(), NULL);
        char mac[18];

        assert_non_null(xml);
        assert_non_null(strstr(xml, "<domain type='kvm'>"));
        assert_non_null(strstr(xml, "<name>MAS-DC01</name>"));
        assert_non_null(strstr(xml, "<description>directory &lt;DNS &amp; DHCP&gt;</description>"));
        assert_non_null(strstr(xml, "<memory unit='KiB'>1048576</memory>"));
        assert_non_null(strstr(xml, "<vcpu>2</vcpu>"));
        assert_non_null(strstr(xml, "machine='q35'"));
        assert_non_null(strstr(xml, "<smm state='on'/>"));
        assert_non_null(strstr(
                xml,
                "secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</loader>"));
        assert_non_null(strstr(xml, "template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/"
                                    "qemu/nvram/MAS-DC01_VARS.fd"));
        /* the disk is the VM's overlay, never its golden payload; the host's script
         * rewrites the first line and the one source line, each standing alone */
        assert_non_null(
                strstr(xml, "\n      <source file='/var/lib/pocbake/overlays/MAS-DC01.qcow2'/>\n"));
        assert_null(strstr(xml, "payloads"));
        assert_int_equal(strncmp(xml, "<domain type='kvm'>\n", 20), 0);
        assert_null(strstr(strstr(xml, "<source file=") + 1, "<source file="));
        assert_non_null(strstr(xml, "<log file='/var/log/libvirt/qemu/MAS-DC01-console.log' "
                                    "append='off'/>"));
        assert_non_null(strstr(xml, "<driver name='qemu' type='qcow2'/>"));
        assert_non_null(strstr(xml, "<target dev='vda' bus='virtio'/>"));
        assert_non_null(strstr(xml, "<mac address='52:54:00:aa:bb:cc'/>"));
        assert_non_null(strstr(xml, "<source network='storage&amp;data'/>"));
        assert_non_null(strstr(xml, "<model type='e1000e'/>"));
        assert_non_null(strstr(xml, "<serial type='pty'>"));
        /* the derived MAC is stable and in QEMU's range */
        recipe_nic_mac("MAS-DC01", "storage&data", mac);
        assert_int_equal(strncmp(mac, "52:54:00:", 9), 0);
        assert_non_null(strstr(xml, mac));
        assert_true(validate(xml, "domain") >= 0);
}

static void test_domain_opts(void **state)
{
        struct guest_xml_opts o = {
                .domain_type = "qemu", .overlay_dir = "/srv/csv/o", .console_dir = "/log"};
        _cleanup_free_ char *xml = guest_domain_xml(make_role(), &o);
        _cleanup_free_ char *again = guest_domain_xml(make_role(), &o);

        assert_non_null(xml);
        assert_non_null(strstr(xml, "<domain type='qemu'>"));
        assert_non_null(strstr(xml, "<source file='/srv/csv/o/MAS-DC01.qcow2'/>"));
        assert_non_null(strstr(xml, "<log file='/log/MAS-DC01-console.log' append='off'/>"));
        /* the same role gives the same bytes: UUID and MACs are derived */
        assert_string_equal(xml, again);
        assert_true(validate(xml, "domain") >= 0);
}

static void test_network(void **state)
{
        struct network_spec nat = {
                .name = "management", .bridge = "br-mgmt", .cidr = "10.20.0.77/24", .nat = true};
        struct network_spec iso = {.name = "storage", .bridge = "br-stor"};
        _cleanup_free_ char *a = guest_network_xml(&nat), *b = guest_network_xml(&iso);

        assert_non_null(a);
        assert_non_null(strstr(a, "<name>management</name>"));
        assert_non_null(strstr(a, "<forward mode='nat'/>"));
        assert_non_null(strstr(a, "<bridge name='br-mgmt' stp='on' delay='0'/>"));
        assert_non_null(strstr(a, "<ip address='10.20.0.1' netmask='255.255.255.0'/>"));
        assert_true(validate(a, "network") >= 0);
        assert_non_null(b);
        assert_null(strstr(b, "<forward"));
        assert_null(strstr(b, "<ip"));
        assert_true(validate(b, "network") >= 0);
}

static void test_network_bad_cidr(void **state)
{
        static const char *const bad[] = {"10.0.0.0",  "10.0.0.0/33", "10.0.0.0/0", "10.0.0/8",
                                          "fd00::/64", "10.0.0.0/8x", "/8"};

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct network_spec n = {.name = "x", .cidr = (char *)bad[i]};

                errno = 0;
                assert_null(guest_network_xml(&n));
                assert_int_equal(errno, EINVAL);
        }
}

static void test_accel(void **state)
{
        const char *s = "x";

        setenv("POCBAKE_ACCEL", "tcg", 1);
        assert_int_equal(guest_accel_settings(&s), 0);
        assert_string_equal(s, "force_tcg");
        setenv("POCBAKE_ACCEL", "kvm", 1);
        assert_int_equal(guest_accel_settings(&s), 0);
        assert_null(s);
        setenv("POCBAKE_ACCEL", "auto", 1);
        assert_int_equal(guest_accel_settings(&s), 0);
        assert_null(s);
        setenv("POCBAKE_ACCEL", "fast", 1);
        assert_int_equal(guest_accel_settings(&s), -EINVAL);
        unsetenv("POCBAKE_ACCEL");
}

static void test_detect_format(void **state)
{
        char path[] = "/tmp/test_guest_fmt.XXXXXX";
        unsigned char qcow2[112] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3}, mbr[512] = {0};
        struct diag d = {0};
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        qcow2[103] = 104; /* header length */
        assert_int_equal(write(fd, qcow2, sizeof(qcow2)), (ssize_t)sizeof(qcow2));
        assert_string_equal(guest_detect_format(path, &d), "qcow2");
        assert_int_equal(d.n, 0);
        /* a backing file is refused before qemu would open it */
        qcow2[15] = 104;
        qcow2[19] = 8;
        assert_int_equal(pwrite(fd, qcow2, sizeof(qcow2), 0), (ssize_t)sizeof(qcow2));
        assert_int_equal(pwrite(fd, "/etc/pwd", 8, 104), 8);
        assert_null(guest_detect_format(path, &d));
        assert_int_equal(errno, EMEDIUMTYPE);
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "backing file (\"/etc/pwd\")"));
        diag_release(&d);
        /* a partition table: raw */
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, mbr, sizeof(mbr), 0), (ssize_t)sizeof(mbr));
        assert_string_equal(guest_detect_format(path, &d), "raw");
        /* zeros: not a disk image */
        assert_int_equal(pwrite(fd, "\0\0", 2, 510), 2);
        assert_null(guest_detect_format(path, &d));
        assert_int_equal(errno, EMEDIUMTYPE);
        assert_non_null(strstr(d.msgs[0], "not a disk image"));
        diag_release(&d);
        close(fd);
        unlink(path);
        assert_null(guest_detect_format(path, &d));
        assert_int_equal(d.n, 1);
        assert_non_null(strstr(d.msgs[0], "No such file"));
        diag_release(&d);
}

/* The domains and network as payloads.c puts them into a host image. */
static int write_host_xml(int argc, char **argv)
{
        struct network_spec net = {
                .name = "management", .bridge = "br-mgmt", .cidr = "10.20.0.0/24", .nat = true};
        _cleanup_free_ char *nets = path_join(argv[2], "networks");
        _cleanup_free_ char *nx = guest_network_xml(&net), *np = path_join(nets, "management.xml");

        if (!nets || !nx || !np || mkdir_p(nets, 0755) < 0 ||
            write_file_atomic(np, nx, strlen(nx), 0644) < 0)
                return 1;
        for (int i = 3; i < argc; i++) {
                struct role *r = make_role();
                _cleanup_free_ char *xml = NULL, *name = NULL, *path = NULL;

                r->name = argv[i];
                xml = guest_domain_xml(r, NULL);
                if (!xml || asprintf(&name, "%s.xml", argv[i]) < 0 ||
                    !(path = path_join(argv[2], name)) ||
                    write_file_atomic(path, xml, strlen(xml), 0644) < 0)
                        return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 3 && !strcmp(argv[1], "write"))
                return write_host_xml(argc, argv);

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_domain),  cmocka_unit_test(test_domain_opts),
                cmocka_unit_test(test_network), cmocka_unit_test(test_network_bad_cidr),
                cmocka_unit_test(test_accel),   cmocka_unit_test(test_detect_format),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
