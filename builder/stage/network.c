/* network.c: the role's NICs configured at boot from vm.nics (address or DHCP, gateway). */
/* Interfaces are found by MAC (the recipe's or the derived one that QEMU and
 * libvirt are given), so kernel names and their order do not matter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootfs.h"
#include "steps.h"
#include "util/cleanup.h"

#define UDHCPC_SCRIPT "/usr/lib/pocbake/udhcpc"

static const char udhcpc_script[] =
        "#!/bin/sh\n"
        "# udhcpc: applies a DHCP lease for busybox udhcpc; written by pocbake\n"
        "case \"$1\" in\n"
        "deconfig)\n"
        "        ip addr flush dev \"$interface\"\n"
        "        ip link set \"$interface\" up ;;\n"
        "bound | renew)\n"
        "        ip addr flush dev \"$interface\"\n"
        "        ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
        "        [ -n \"$router\" ] && ip route replace default via \"${router%% *}\" dev "
        "\"$interface\"\n"
        "        [ -n \"$dns\" ] && for s in $dns; do echo \"nameserver $s\"; done "
        ">/etc/resolv.conf\n"
        "        mkdir -p /run/pocbake\n"
        "        # what the appliance checks read: the lease and who gave it\n"
        "        echo \"$interface $ip/${mask:-24} server ${serverid:-unknown}\" "
        ">\"/run/pocbake/dhcp-$interface\" ;;\n"
        "esac\n"
        "exit 0\n";

static bool any_address(const struct role *r)
{
        for (size_t i = 0; i < r->vm.n_nics; i++)
                if (r->vm.nics[i].address)
                        return true;
        return false;
}

static void nic_mac(const struct role *r, const struct nic_spec *n, char mac[18])
{
        if (n->mac) {
                snprintf(mac, 18, "%s", n->mac);
                for (char *c = mac; *c; c++)
                        if (*c >= 'A' && *c <= 'F')
                                *c = (char)(*c - 'A' + 'a'); /* as sysfs prints it */
        } else {
                recipe_nic_mac(r->name, n->network, mac);
        }
}

/* busybox: an init script run by rcS before the services start. */
static char *busybox_script(const struct role *r)
{
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        fprintf(f,
                "#!/bin/sh\n"
                "# S10pocbake-net: the NICs of role %s, from its recipe; written by pocbake\n"
                "[ \"$1\" = start ] || exit 0\n"
                /* a NIC's driver may still be probing when rcS runs: wait for it */
                "nic() {\n"
                "        n=0\n"
                "        while [ $n -lt 60 ]; do\n"
                "                for i in /sys/class/net/*; do\n"
                "                        [ \"$(cat \"$i/address\" 2>/dev/null)\" = \"$1\" ] && "
                "{ echo \"${i##*/}\"; return 0; }\n"
                "                done\n"
                "                n=$((n + 1))\n"
                "                sleep 1\n"
                "        done\n"
                "        echo \"pocbake-net: no interface with MAC $1 (network $2) after 60 s\" "
                ">&2\n"
                "        return 1\n"
                "}\n",
                r->name);
        for (size_t i = 0; i < r->vm.n_nics; i++) {
                const struct nic_spec *n = &r->vm.nics[i];
                char mac[18];

                if (!n->address)
                        continue;
                nic_mac(r, n, mac);
                fprintf(f, "if i=$(nic %s %s); then\n        ip link set \"$i\" up\n", mac,
                        n->network);
                if (!strcmp(n->address, "dhcp"))
                        /* in the background until a lease comes: the DHCP server may be
                         * a peer that is still booting */
                        fprintf(f, "        udhcpc -i \"$i\" -b -t 5 -T 2 -A 3 -s " UDHCPC_SCRIPT
                                   " >/dev/null 2>&1\n");
                else
                        fprintf(f, "        ip addr add %s dev \"$i\"\n", n->address);
                if (n->gateway)
                        fprintf(f, "        ip route add default via %s dev \"$i\"\n", n->gateway);
                fprintf(f, "fi\n");
        }
        fprintf(f, "exit 0\n");
        if (fclose(f) != 0)
                return NULL;
        return TAKE_PTR(s);
}

static char *networkd_file(const struct role *r, const struct nic_spec *n)
{
        char mac[18], *s = NULL;
        bool dhcp = !strcmp(n->address, "dhcp");

        nic_mac(r, n, mac);
        if (asprintf(&s,
                     "# the NIC of role %s on network %s, from its recipe; written by pocbake\n"
                     "[Match]\nMACAddress=%s\n\n[Network]\n%s%s\n%s%s%s",
                     r->name, n->network, mac, dhcp ? "DHCP=ipv4" : "Address=",
                     dhcp ? "" : n->address, n->gateway ? "Gateway=" : "",
                     n->gateway ? n->gateway : "", n->gateway ? "\n" : "") < 0)
                return NULL;
        return s;
}

static int systemd_apply(const struct role *r, int rootfd, struct diag *d)
{
        static const char *const units[][2] = {
                {"systemd-networkd.service", "multi-user.target.wants"},
                {"systemd-networkd.socket", "sockets.target.wants"}};
        int rc = 0;

        for (size_t i = 0; rc >= 0 && i < r->vm.n_nics; i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;

                if (!r->vm.nics[i].address)
                        continue;
                if (asprintf(&path, "/etc/systemd/network/10-pocbake-%zu.network", i) < 0 ||
                    !(text = networkd_file(r, &r->vm.nics[i])))
                        return -ENOMEM;
                rc = rootfs_write(rootfd, path, text, strlen(text), 0644, 0, 0);
        }
        for (size_t i = 0; rc >= 0 && i < ARRAY_SIZE(units); i++) {
                _cleanup_free_ char *unit = NULL, *link = NULL;

                if (asprintf(&unit, "/lib/systemd/system/%s", units[i][0]) < 0 ||
                    asprintf(&link, "/etc/systemd/system/%s/%s", units[i][1], units[i][0]) < 0)
                        return -ENOMEM;
                if (rootfs_exists(rootfd, unit) <= 0)
                        return diag_err(d, -ENOENT,
                                        "role %s: its nics have addresses but the root has no "
                                        "%s (expected systemd-networkd, part of Debian's systemd)",
                                        r->name, unit);
                rc = rootfs_symlink(rootfd, link, unit);
        }
        return rc;
}

int network_apply(const struct role *r, int rootfd, struct diag *d)
{
        bool systemd = rootfs_is_systemd(rootfd);
        _cleanup_free_ char *script = NULL;
        int rc;

        if (!any_address(r))
                return 0;
        if (systemd)
                rc = systemd_apply(r, rootfd, d);
        else if (!(script = busybox_script(r)))
                rc = -ENOMEM;
        else {
                rc = rootfs_write(rootfd, "/etc/init.d/S10pocbake-net", script, strlen(script),
                                  0755, 0, 0);
                if (rc >= 0)
                        rc = rootfs_write(rootfd, UDHCPC_SCRIPT, udhcpc_script,
                                          strlen(udhcpc_script), 0755, 0, 0);
        }
        if (rc == -ENOMEM || (rc < 0 && rc != -ENOENT))
                return diag_err(d, rc, "role %s: cannot write its network setup: %s", r->name,
                                strerror(-rc));
        return rc;
}
