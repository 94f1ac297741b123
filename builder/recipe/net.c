/* net.c: the appliance's wiring in a recipe: NIC addresses and gateways, MACs, appliance checks. */
#include "schema.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/hash.h"
#include "util/parse.h"

void recipe_nic_mac(const char *role, const char *network, char out[18])
{
        struct uuid u;

        uuid_derive(&u, "nic-mac", role, network);
        snprintf(out, 18, "52:54:00:%02x:%02x:%02x", u.b[0], u.b[1], u.b[2]);
}

/* "a.b.c.d" → host-order address. */
static int ip4(const char *s, uint32_t *a)
{
        struct in_addr in;

        if (inet_pton(AF_INET, s, &in) != 1)
                return -EINVAL;
        *a = ntohl(in.s_addr);
        return 0;
}

/* "a.b.c.d/n" → address and prefix length. */
static int cidr4(const char *s, uint32_t *a, unsigned *bits)
{
        _cleanup_free_ char *t = strdup(s);
        char *slash = t ? strchr(t, '/') : NULL;
        uint64_t n;

        if (!slash)
                return -EINVAL;
        *slash++ = 0;
        if (strlen(slash) > 2 || parse_uint(slash, 0, 32, &n) < 0 || ip4(t, a) < 0)
                return -EINVAL;
        *bits = (unsigned)n;
        return 0;
}

static uint32_t prefix_mask(unsigned bits)
{
        return bits ? ~UINT32_C(0) << (32 - bits) : 0;
}

static const struct network_spec *find_network(const struct appliance *a, const char *name)
{
        for (size_t i = 0; a && name && i < a->n_networks; i++)
                if (a->networks[i].name && !strcmp(a->networks[i].name, name))
                        return &a->networks[i];
        return NULL;
}

/* A static address: valid, on the network's subnet with its prefix, not the
 * subnet's own or broadcast address. */
static int check_address(struct bctx *c, const struct ynode *v, const struct network_spec *net)
{
        uint32_t a, na, m;
        unsigned bits, nbits;

        if (!strcmp(v->value, "dhcp"))
                return 0;
        if (cidr4(v->value, &a, &bits) < 0 || bits == 0 || bits > 30)
                return bind_error(c, &v->mark,
                                  "address \"%s\" is not valid (expected dhcp or an IPv4 "
                                  "address with its prefix, such as 10.20.0.22/24)",
                                  v->value);
        if (!net || !net->cidr || cidr4(net->cidr, &na, &nbits) < 0)
                return 0;
        m = prefix_mask(nbits);
        if (bits != nbits || (a & m) != (na & m) || (a & ~m) == 0 || (a & ~m) == ~m)
                return bind_error(c, &v->mark,
                                  "address \"%s\" is not a host address of network \"%s\" "
                                  "(expected one in %s with prefix /%u)",
                                  v->value, net->name, net->cidr, nbits);
        return 0;
}

int finish_nic_net(struct bctx *c, const struct ynode *n, struct nic_spec *nic)
{
        const struct network_spec *net = find_network(c->app, nic->network);
        const struct ynode *gw = ynode_get(n, "gateway");
        uint32_t g, a, m;
        unsigned bits;
        int ret = 0;

        if (nic->address && check_address(c, ynode_get(n, "address"), net) < 0)
                ret = -EINVAL;
        if (!nic->gateway)
                return ret;
        if (ip4(nic->gateway, &g) < 0)
                return bind_error(c, &gw->mark,
                                  "gateway \"%s\" is not valid (expected an IPv4 address such as "
                                  "10.20.0.1)",
                                  nic->gateway);
        if (!nic->address || !strcmp(nic->address, "dhcp"))
                return bind_error(c, &gw->mark,
                                  "gateway \"%s\" without a static address (expected an address: "
                                  "on this nic; DHCP hands out its own router)",
                                  nic->gateway);
        if (ret == 0 && cidr4(nic->address, &a, &bits) == 0 &&
            ((g ^ a) & (m = prefix_mask(bits))) != 0)
                ret = bind_error(c, &gw->mark,
                                 "gateway \"%s\" is not on the nic's subnet (expected an address "
                                 "in %s)",
                                 nic->gateway, nic->address);
        return ret;
}

/* The value node of key in the i-th item of the appliance's checks, for messages. */
static const struct ynode *check_key(const struct appliance *a, size_t i, const char *key)
{
        const struct ynode *list = ynode_get(a->tree, "checks");
        const struct ynode *item =
                list && list->kind == YNODE_SEQ && i < list->n ? list->items[i] : NULL;
        const struct ynode *v = item ? ynode_get(item, key) : NULL;

        return v ? v : item;
}

static void list_roles(FILE *f, const struct appliance *a)
{
        for (size_t i = 0; i < a->n_roles; i++)
                fprintf(f, "%s%s", i ? ", " : "", a->roles[i]->name);
        if (a->host)
                fprintf(f, "%s%s", a->n_roles ? ", " : "", a->host->name);
}

static bool is_vm(const struct appliance *a, const char *name)
{
        for (size_t i = 0; i < a->n_roles; i++)
                if (!strcmp(a->roles[i]->name, name))
                        return true;
        return a->host && !strcmp(a->host->name, name);
}

static int check_from(struct bctx *c, const struct appliance *a, size_t i)
{
        const struct app_check *k = &a->checks[i];
        const struct ynode *v = check_key(a, i, "from");
        _cleanup_free_ char *names = NULL;
        size_t len = 0;
        FILE *f;

        if (is_vm(a, k->from))
                return 0;
        f = open_memstream(&names, &len);
        if (!f)
                return -ENOMEM;
        list_roles(f, a);
        fclose(f);
        return bind_error(c, v ? &v->mark : &k->mark,
                          "check \"%s\": from \"%s\" is not a role of this appliance (expected "
                          "one of: %s)",
                          k->name, k->from, names ? names : "");
}

/* Static addresses of every VM on one network, each used once. */
static int check_unique_addresses(struct bctx *c, const struct appliance *a)
{
        size_t n = a->n_roles + (a->host ? 1 : 0);
        int ret = 0;

        for (size_t i = 0; i < n; i++) {
                const struct role *r = i < a->n_roles ? a->roles[i] : a->host;

                for (size_t k = 0; k < r->vm.n_nics; k++) {
                        const struct nic_spec *x = &r->vm.nics[k];
                        size_t xl = x->address ? strcspn(x->address, "/") : 0;
                        bool dup = false;

                        if (!xl || !strcmp(x->address, "dhcp"))
                                continue;
                        for (size_t j = 0; j <= i && !dup; j++) {
                                const struct role *o = j < a->n_roles ? a->roles[j] : a->host;

                                for (size_t l = 0; l < o->vm.n_nics && !dup; l++) {
                                        const struct nic_spec *y = &o->vm.nics[l];

                                        if ((j == i && l >= k) || !y->address ||
                                            strcspn(y->address, "/") != xl ||
                                            strncmp(x->address, y->address, xl) ||
                                            strcmp(x->network, y->network))
                                                continue;
                                        dup = true;
                                        ret = bind_error(c, &x->mark,
                                                         "address %.*s on network \"%s\" is "
                                                         "already %s's (expected one address "
                                                         "per VM)",
                                                         (int)xl, x->address, x->network, o->name);
                                }
                        }
                }
        }
        return ret;
}

int finish_appliance_net(struct bctx *c, const struct appliance *a)
{
        int ret = check_unique_addresses(c, a);

        for (size_t i = 0; i < a->n_checks; i++) {
                const struct app_check *k = &a->checks[i];

                if (k->from && check_from(c, a, i) == -ENOMEM)
                        return -ENOMEM;
                if (k->name && is_vm(a, k->name))
                        ret = bind_error(c, &k->mark,
                                         "check \"%s\" is named like a role (expected a name "
                                         "of its own: both report POCBAKE-CHECK NAME)",
                                         k->name);
                for (size_t j = 0; j < i; j++)
                        if (k->name && a->checks[j].name && !strcmp(k->name, a->checks[j].name)) {
                                ret = bind_error(c, &k->mark,
                                                 "check \"%s\" defined twice (first in "
                                                 "%s:%d:%d)",
                                                 k->name, a->checks[j].mark.file,
                                                 a->checks[j].mark.line, a->checks[j].mark.col);
                                break;
                        }
        }
        return ret;
}
