/* out_sums.c: the sha256sums deliverable: SHA256SUMS of every other output and its CMS signature.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/cms.h"
#include "media/sums.h"
#include "nodes.h"
#include "outputs.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static int sums_hash(const struct graph *g, const struct node *n, struct hasher *h, struct diag *d)
{
        int rc = hash_key_file(h, g->boot, "codesign.crt", d);

        if (rc < 0)
                return rc;
        for (size_t i = 0; i < n->n_inputs; i++)
                hasher_str(h, n->inputs[i]->export_name);
        return 0;
}

/* "HEX  PATH" for every file the inputs export, PATH relative to the output directory. */
static int sums_list(const struct graph *g, const struct node *n, char **text, size_t *len,
                     struct diag *d)
{
        struct export_list l = {0};
        struct sums s = {0};
        int rc = 0;

        for (size_t i = 0; rc >= 0 && i < n->n_inputs; i++)
                rc = node_exports(g, n->inputs[i], &l);
        for (size_t i = 0; rc >= 0 && i < l.n; i++) {
                uint8_t md[SHA256_LEN];

                if ((rc = sha256_file(l.v[i].src, md)) < 0)
                        diag_err(d, rc, "cannot read %s: %s", l.v[i].src, strerror(-rc));
                else
                        rc = sums_add(&s, l.v[i].out, md);
        }
        if (rc >= 0)
                rc = sums_format(&s, text, len);
        sums_release(&s);
        export_list_release(&l);
        return rc;
}

static int sums_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *list = path_join(dir, "SHA256SUMS");
        _cleanup_free_ char *sig = path_join(dir, "SHA256SUMS.sig");
        _cleanup_free_ char *key = keys_file(g->boot, "codesign.key");
        _cleanup_free_ char *cert = keys_file(g->boot, "codesign.crt");
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint8_t *der = NULL;
        size_t len = 0, der_len = 0;
        EVP_PKEY *k = NULL;
        X509 *c = NULL;
        int rc;

        if (!list || !sig || !key || !cert)
                return -ENOMEM;
        if ((rc = sums_list(g, n, &text, &len, d)) < 0 ||
            (rc = signing_key_load(key, cert, &k, &c, d)) < 0)
                return rc;
        rc = cms_sign_buf(text, len, k, c, &der, &der_len, d);
        EVP_PKEY_free(k);
        X509_free(c);
        if (rc >= 0 && ((rc = write_file_atomic(list, text, len, 0644)) < 0 ||
                        (rc = write_file_atomic(sig, der, der_len, 0644)) < 0))
                diag_err(d, rc, "cannot write %s: %s", dir, strerror(-rc));
        return rc;
}

static const struct node_type node_sums = {.name = "sha256sums",
                                           .object = "SHA256SUMS",
                                           .also_object = "SHA256SUMS.sig",
                                           .also_ext = ".sig",
                                           .hash = sums_hash,
                                           .make = sums_make};

/* Every file exported so far, the bundle included. */
static int sums_plan(struct graph *g, struct diag *d)
{
        struct node *s = graph_add_node(g, &node_sums, NULL, g->app->name, NULL);

        if (!s || !(s->export_name = strdup("SHA256SUMS")))
                return -ENOMEM;
        return collect_exports(g, s, d);
}

const struct output_type out_sha256sums = {
        .name = "sha256sums", .needs_keys = true, .plan = sums_plan};
