/* netns.c: network namespace, bridges and taps for `pocbake up`, made with ip(8). */
#include "netns.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/exec.h"
#include "util/hash.h"

int netns_name(const char *out, char name[NETNS_NAME_MAX])
{
        _cleanup_free_ char *real = realpath(out, NULL);
        uint8_t h[SHA256_LEN];
        char hex[2 * 4 + 1];

        if (!real)
                return -errno;
        if (sha256_buf(real, strlen(real), h) < 0)
                return -ENOMEM;
        hex_encode(h, 4, hex);
        snprintf(name, NETNS_NAME_MAX, "pocbake-%s", hex);
        return 0;
}

bool netns_exists(const char *ns)
{
        _cleanup_free_ char *p = NULL;

        return asprintf(&p, "/run/netns/%s", ns) >= 0 && access(p, F_OK) == 0;
}

static int ip(struct diag *d, const char *const argv[])
{
        return run_argv(argv, NULL, d);
}

int netns_create(const char *ns, struct diag *d)
{
        int rc = ip(d, (const char *const[]){"ip", "netns", "add", ns, NULL});

        if (rc >= 0)
                rc = ip(d, (const char *const[]){"ip", "-n", ns, "link", "set", "lo", "up", NULL});
        return rc;
}

int netns_bridge(const char *ns, const char *bridge, struct diag *d)
{
        int rc = ip(d, (const char *const[]){"ip", "-n", ns, "link", "add", bridge, "type",
                                             "bridge", NULL});

        if (rc >= 0)
                rc = ip(d,
                        (const char *const[]){"ip", "-n", ns, "link", "set", bridge, "up", NULL});
        return rc;
}

int netns_tap(const char *ns, const char *tap, const char *bridge, struct diag *d)
{
        int rc = ip(d, (const char *const[]){"ip", "-n", ns, "tuntap", "add", "dev", tap, "mode",
                                             "tap", NULL});

        if (rc >= 0)
                rc = ip(d, (const char *const[]){"ip", "-n", ns, "link", "set", tap, "master",
                                                 bridge, "up", NULL});
        return rc;
}

int netns_delete(const char *ns, struct diag *d)
{
        if (!netns_exists(ns))
                return 0;
        return ip(d, (const char *const[]){"ip", "netns", "delete", ns, NULL});
}
