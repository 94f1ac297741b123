/* out_common.c: what the deliverables share: every export as input, the codesign check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodes.h"
#include "outputs.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

int codesign_check(const struct boot_config *b, struct diag *d)
{
        _cleanup_free_ char *key = keys_file(b, "codesign.key");
        _cleanup_free_ char *cert = keys_file(b, "codesign.crt");
        EVP_PKEY *k = NULL;
        X509 *c = NULL;
        int rc;

        if (!key || !cert)
                return -ENOMEM;
        for (int i = 0; i < 2; i++) {
                const char *p = i ? cert : key;

                if (access(p, F_OK) < 0)
                        return diag_err(d, -EINVAL,
                                        "keys %s: no %s (the iso, pxe and bundle outputs are "
                                        "signed with codesign.key and codesign.crt; make the set "
                                        "with 'pocbake keys init %s')",
                                        b->keys, i ? "codesign.crt" : "codesign.key", b->keys);
        }
        rc = signing_key_load(key, cert, &k, &c, d);
        EVP_PKEY_free(k);
        X509_free(c);
        /* whatever is wrong with the key is the user's to fix: a usage error */
        return rc < 0 && rc != -ENOMEM ? -EINVAL : rc;
}

int collect_exports(struct graph *g, struct node *n, struct diag *d)
{
        for (size_t i = 0; i < g->n; i++)
                if (g->nodes[i] != n && g->nodes[i]->export_name &&
                    node_add_input(n, g->nodes[i]) < 0)
                        return diag_at(d, &g->app->mark,
                                       "too many outputs for %s (expected at most %zu)", n->id,
                                       ARRAY_SIZE(n->inputs));
        return 0;
}

const char *export_kind(const struct node *n)
{
        if (n->type == &node_convert)
                return output_fmt_name(n->fmt);
        if (n->type == &node_disk || n->type == &node_image || n->type == &node_host)
                return "raw";
        return n->type->name;
}
