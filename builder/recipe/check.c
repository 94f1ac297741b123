/* check.c: the row checks: one recipe value at a time (names, paths, addresses, references). */
#include "schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/parse.h"

static bool all_in(const char *s, const char *set)
{
        return strspn(s, set) == strlen(s);
}

#define ALNUM       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define LOWER_DIGIT "abcdefghijklmnopqrstuvwxyz0123456789"

static bool simple_name(const char *s)
{
        return isalnum((unsigned char)s[0]) && strlen(s) <= 63 && all_in(s, ALNUM "._-");
}

int check_role_name(struct bctx *c, const struct ynode *v)
{
        if (simple_name(v->value))
                return 0;
        return bind_error(c, &v->mark,
                          "name \"%s\" is not valid (expected 1-63 letters, digits, '.', '_' or "
                          "'-', starting with a letter or digit)",
                          v->value);
}

int check_simple_name(struct bctx *c, const struct ynode *v)
{
        return check_role_name(c, v);
}

static bool account_name(const char *s)
{
        return (s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')) && strlen(s) <= 32 &&
               all_in(s, LOWER_DIGIT "_-");
}

int check_account_name(struct bctx *c, const struct ynode *v)
{
        if (v->kind == YNODE_SCALAR && account_name(v->value))
                return 0;
        if (v->kind != YNODE_SCALAR)
                return bind_error(c, &v->mark, "name is %s (expected a user or group name)",
                                  ynode_kind_name(v));
        return bind_error(
                c, &v->mark,
                "user or group name \"%s\" is not valid (expected [a-z_][a-z0-9_-]{0,31})",
                v->value);
}

int check_owner(struct bctx *c, const struct ynode *v)
{
        const char *s = v->value;
        uint64_t id;

        if (account_name(s))
                return 0;
        if (strlen(s) <= 5 && parse_uint(s, 0, 65534, &id) == 0)
                return 0;
        return bind_error(
                c, &v->mark,
                "owner \"%s\" is not valid (expected a user or group name, or a number 0..65534)",
                s);
}

int check_abs_path(struct bctx *c, const struct ynode *v)
{
        const char *s = v->value;

        if (s[0] != '/')
                return bind_error(c, &v->mark,
                                  "path \"%s\" is not absolute (expected a path starting with /)",
                                  s);
        for (const char *p = s; (p = strstr(p, "..")); p += 2)
                if (p[-1] == '/' && (p[2] == '/' || !p[2]))
                        return bind_error(
                                c, &v->mark,
                                "path \"%s\" contains \"..\" (expected a path without ..)", s);
        return 0;
}

int check_mac(struct bctx *c, const struct ynode *v)
{
        const char *s = v->value;
        bool ok = strlen(s) == 17;

        for (size_t i = 0; ok && i < 17; i++)
                ok = i % 3 == 2 ? s[i] == ':' : isxdigit((unsigned char)s[i]) != 0;
        if (!ok)
                return bind_error(c, &v->mark,
                                  "mac \"%s\" is not valid (expected six hex pairs such as "
                                  "52:54:00:12:34:56)",
                                  s);
        if (strtoul(s, NULL, 16) & 1)
                return bind_error(c, &v->mark,
                                  "mac \"%s\" is a multicast address (expected an even first byte)",
                                  s);
        return 0;
}

static const char *const fs_names[] = {"ext4", "vfat", "squashfs", "erofs", "xfs"};

int check_fs(struct bctx *c, const struct ynode *v)
{
        for (size_t i = 0; i < ARRAY_SIZE(fs_names); i++)
                if (!strcmp(v->value, fs_names[i]))
                        return 0;
        return bind_error(c, &v->mark,
                          "unknown fs \"%s\" (expected one of: ext4, vfat, squashfs, erofs, xfs)",
                          v->value);
}

int check_volume_fs(struct bctx *c, const struct ynode *v)
{
        if (!strcmp(v->value, "xfs") || !strcmp(v->value, "ext4"))
                return 0;
        return bind_error(c, &v->mark, "unknown volume fs \"%s\" (expected xfs or ext4)", v->value);
}

static const char *const purposes[] = {"cluster-shared-volume", "blob", "file-share", "data"};

int check_purpose(struct bctx *c, const struct ynode *v)
{
        for (size_t i = 0; i < ARRAY_SIZE(purposes); i++)
                if (!strcmp(v->value, purposes[i]))
                        return 0;
        return bind_error(c, &v->mark,
                          "unknown volume purpose \"%s\" (expected one of: cluster-shared-volume, "
                          "blob, file-share, data)",
                          v->value);
}

static bool hostname_ok(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= 63 && all_in(s, ALNUM "-") && s[0] != '-' && s[n - 1] != '-';
}

int check_hostname(struct bctx *c, const struct ynode *v)
{
        if (hostname_ok(v->value))
                return 0;
        return bind_error(c, &v->mark,
                          "hostname \"%s\" is not valid (expected 1-63 letters, digits or '-', not "
                          "starting or ending with '-')",
                          v->value);
}

static const char *const nic_models[] = {"virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"};

int check_nic_model(struct bctx *c, const struct ynode *v)
{
        for (size_t i = 0; i < ARRAY_SIZE(nic_models); i++)
                if (!strcmp(v->value, nic_models[i]))
                        return 0;
        return bind_error(c, &v->mark,
                          "unknown nic model \"%s\" (expected one of: virtio, e1000, e1000e, "
                          "rtl8139, vmxnet3)",
                          v->value);
}

int check_network_ref(struct bctx *c, const struct ynode *v)
{
        char *list = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!c->app)
                return 0; /* a lone role: there is no appliance to declare networks */
        for (size_t i = 0; i < c->app->n_networks; i++)
                if (c->app->networks[i].name && !strcmp(c->app->networks[i].name, v->value))
                        return 0;
        f = open_memstream(&list, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < c->app->n_networks; i++)
                if (c->app->networks[i].name)
                        fprintf(f, "%s%s", ftell(f) ? ", " : "", c->app->networks[i].name);
        fclose(f);
        r = bind_error(
                c, &v->mark, "network \"%s\" is not declared in the appliance (expected %s%s)",
                v->value,
                list && *list ? "one of: " : "a name listed under networks:", list ? list : "");
        free(list);
        return r;
}

int check_cidr(struct bctx *c, const struct ynode *v)
{
        _cleanup_free_ char *addr = strdup(v->value);
        char *slash = addr ? strchr(addr, '/') : NULL;
        struct in_addr in;
        uint64_t bits;

        if (!addr)
                return -ENOMEM;
        if (slash) {
                *slash++ = 0;
                if (strlen(slash) <= 2 && parse_uint(slash, 0, 32, &bits) == 0 &&
                    inet_pton(AF_INET, addr, &in) == 1)
                        return 0;
        }
        return bind_error(
                c, &v->mark,
                "cidr \"%s\" is not valid (expected an IPv4 network such as 10.20.0.0/24)",
                v->value);
}

int check_bridge(struct bctx *c, const struct ynode *v)
{
        const char *s = v->value;

        if (*s && strlen(s) <= 15 && all_in(s, ALNUM "._-"))
                return 0;
        return bind_error(
                c, &v->mark,
                "bridge \"%s\" is not valid (expected an interface name of 1-15 characters)", s);
}
