/* xml.c: the libvirt domain and network XML the host image defines at boot. */
#include "guest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/hash.h"
#include "util/parse.h"

/* Text and attribute values: names come from recipes, so escape all five. */
static void xml_put(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '\'': fputs("&apos;", f); break;
                case '"': fputs("&quot;", f); break;
                default: fputc(*s, f);
                }
        }
}

static const char * or (const char *v, const char *def)
{
        return v ? v : def;
}

static void put_os(FILE *f, const struct role *r, const struct guest_xml_opts *o)
{
        fputs("  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n", f);
        fputs("    <loader readonly='yes' secure='yes' type='pflash'>", f);
        xml_put(f, or (o->loader, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"));
        fputs("</loader>\n    <nvram template='", f);
        xml_put(f, or (o->nvram_template, "/usr/share/OVMF/OVMF_VARS_4M.fd"));
        fputs("'>", f);
        xml_put(f, or (o->nvram_dir, "/var/lib/libvirt/qemu/nvram"));
        fputc('/', f);
        xml_put(f, r->name);
        fputs("_VARS.fd</nvram>\n    <boot dev='hd'/>\n  </os>\n", f);
        /* the Secure Boot firmware hangs without SMM */
        fputs("  <features>\n    <acpi/>\n    <apic/>\n    <smm state='on'/>\n  </features>\n", f);
}

static void put_devices(FILE *f, const struct role *r, const struct guest_xml_opts *o)
{
        fputs("  <devices>\n    <disk type='file' device='disk'>\n"
              "      <driver name='qemu' type='qcow2'/>\n      <source file='",
              f);
        xml_put(f, or (o->overlay_dir, GUEST_OVERLAY_DIR));
        fputc('/', f);
        xml_put(f, r->name);
        fputs(".qcow2'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n", f);
        for (size_t i = 0; i < r->vm.n_nics; i++) {
                const struct nic_spec *n = &r->vm.nics[i];
                char mac[18];

                if (!n->mac)
                        recipe_nic_mac(r->name, n->network, mac);
                fputs("    <interface type='network'>\n      <mac address='", f);
                xml_put(f, n->mac ? n->mac : mac);
                fputs("'/>\n      <source network='", f);
                xml_put(f, n->network);
                fputs("'/>\n      <model type='", f);
                xml_put(f, or (n->model, "virtio"));
                fputs("'/>\n    </interface>\n", f);
        }
        /* a pty for virsh console, and a file libvirt empties at each start: the
         * host's checks read the role's own check there */
        fputs("    <serial type='pty'>\n      <log file='", f);
        xml_put(f, or (o->console_dir, GUEST_CONSOLE_DIR));
        fputc('/', f);
        xml_put(f, r->name);
        fputs("-console.log' append='off'/>\n      <target port='0'/>\n    </serial>\n"
              "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n"
              "  </devices>\n",
              f);
}

char *guest_domain_xml(const struct role *r, const struct guest_xml_opts *o)
{
        static const struct guest_xml_opts none;
        char *buf = NULL, uuid[UUID_STR];
        size_t len = 0;
        struct uuid u;
        FILE *f;

        if (!o)
                o = &none;
        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        /* a stable UUID: redefining the same role keeps its identity */
        uuid_derive(&u, "libvirt-domain", r->name, "");
        uuid_format(&u, uuid);
        fputs("<domain type='", f);
        xml_put(f, or (o->domain_type, "kvm"));
        fputs("'>\n  <name>", f);
        xml_put(f, r->name);
        fprintf(f, "</name>\n  <uuid>%s</uuid>\n", uuid);
        if (r->description) {
                fputs("  <description>", f);
                xml_put(f, r->description);
                fputs("</description>\n", f);
        }
        fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n  <vcpu>%u</vcpu>\n",
                (r->vm.memory ? r->vm.memory : UINT64_C(512) << 20) >> 10,
                r->vm.vcpus ? r->vm.vcpus : 1);
        put_os(f, r, o);
        fputs("  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
              "  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n",
              f);
        put_devices(f, r, o);
        fputs("</domain>\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* "a.b.c.d/n" into the host's address (the first one) and the netmask. */
static int parse_cidr(const char *cidr, char addr[INET_ADDRSTRLEN], char mask[INET_ADDRSTRLEN])
{
        _cleanup_free_ char *ip = NULL;
        struct in_addr a, m;
        char *slash;
        uint64_t n;
        uint32_t bits, host;

        if (!cidr || !(ip = strdup(cidr)))
                return -EINVAL;
        slash = strchr(ip, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        if (parse_uint(slash + 1, 1, 30, &n) < 0 || inet_pton(AF_INET, ip, &a) != 1)
                return -EINVAL;
        bits = n == 0 ? 0 : UINT32_MAX << (32 - n);
        host = (ntohl(a.s_addr) & bits) + 1;
        a.s_addr = htonl(host);
        m.s_addr = htonl(bits);
        if (!inet_ntop(AF_INET, &a, addr, INET_ADDRSTRLEN) ||
            !inet_ntop(AF_INET, &m, mask, INET_ADDRSTRLEN))
                return -EINVAL;
        return 0;
}

char *guest_network_xml(const struct network_spec *n)
{
        char addr[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (n->cidr && parse_cidr(n->cidr, addr, mask) < 0) {
                errno = EINVAL;
                return NULL;
        }
        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        fputs("<network>\n  <name>", f);
        xml_put(f, n->name);
        fputs("</name>\n", f);
        if (n->nat && n->cidr)
                fputs("  <forward mode='nat'/>\n", f);
        if (n->bridge) {
                fputs("  <bridge name='", f);
                xml_put(f, n->bridge);
                fputs("' stp='on' delay='0'/>\n", f);
        }
        /* no <dhcp>: the appliance's directory role serves DHCP on its networks */
        if (n->cidr)
                fprintf(f, "  <ip address='%s' netmask='%s'/>\n", addr, mask);
        fputs("</network>\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
