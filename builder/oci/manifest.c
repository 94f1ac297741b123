/* manifest.c: OCI manifests and treesum listings parsed from what a registry sent. */
#include "manifest.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TITLE     "org.opencontainers.image.title"
#define SIZE_MAX_ ((json_int_t)1 << 53)

static void desc_release(struct oci_desc *o)
{
        free(o->media_type);
        free(o->title);
        memset(o, 0, sizeof(*o));
}

static int desc_read(json_t *j, struct oci_desc *o)
{
        const char *t = json_string_value(json_object_get(j, "mediaType"));
        const char *dg = json_string_value(json_object_get(j, "digest"));
        json_t *sz = json_object_get(j, "size");
        json_t *title = json_object_get(json_object_get(j, "annotations"), TITLE);

        if (!json_is_object(j) || !t || !*t || strlen(t) > 255 || !oci_digest_valid(dg) ||
            !json_is_integer(sz) || json_integer_value(sz) < 0 ||
            json_integer_value(sz) > SIZE_MAX_ || (title && !json_is_string(title)))
                return -EBADMSG;
        o->media_type = strdup(t);
        o->title = title ? strdup(json_string_value(title)) : NULL;
        memcpy(o->digest, dg, OCI_DIGEST - 1);
        o->digest[OCI_DIGEST - 1] = 0;
        o->size = (uint64_t)json_integer_value(sz);
        return o->media_type && (!title || o->title) ? 0 : -ENOMEM;
}

int oci_manifest_parse(const char *body, size_t len, size_t max_layers, struct oci_manifest *m,
                       const char *what, struct diag *d)
{
        json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *layers, *l, *subj;
        const char *at;
        size_t i;
        int rc = 0;

        memset(m, 0, sizeof(*m));
        layers = json_object_get(j, "layers");
        subj = json_object_get(j, "subject");
        at = json_string_value(json_object_get(j, "artifactType"));
        if (!json_is_object(j) || json_integer_value(json_object_get(j, "schemaVersion")) != 2 ||
            !json_is_array(layers) || json_array_size(layers) > max_layers ||
            (json_object_get(j, "artifactType") && !at)) {
                rc = -EBADMSG;
                goto out;
        }
        if (at && !(m->artifact_type = strdup(at))) {
                rc = -ENOMEM;
                goto out;
        }
        if ((rc = desc_read(json_object_get(j, "config"), &m->config)) < 0)
                goto out;
        if (subj) {
                m->has_subject = true;
                if ((rc = desc_read(subj, &m->subject)) < 0)
                        goto out;
        }
        m->layers = calloc(json_array_size(layers) + 1, sizeof(*m->layers));
        if (!m->layers) {
                rc = -ENOMEM;
                goto out;
        }
        json_array_foreach(layers, i, l)
        {
                if ((rc = desc_read(l, &m->layers[i])) < 0)
                        goto out;
                m->n_layers++;
        }
out:
        json_decref(j);
        if (rc < 0) {
                oci_manifest_release(m);
                if (rc == -EBADMSG)
                        diag_err(d, rc, "%s: not an OCI image manifest pocbake can read", what);
        }
        return rc;
}

void oci_manifest_release(struct oci_manifest *m)
{
        free(m->artifact_type);
        desc_release(&m->config);
        desc_release(&m->subject);
        for (size_t i = 0; i < m->n_layers; i++)
                desc_release(&m->layers[i]);
        free(m->layers);
        memset(m, 0, sizeof(*m));
}

char *oci_treesum_content(const char *sum, uint64_t *total)
{
        size_t n = strlen(sum);
        char *out = malloc(n + 2), *o = out;
        const char *p = sum;

        *total = 0;
        if (!out)
                return NULL;
        while (*p) {
                const char *e = strchr(p, '\n');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                const char *f[6];
                size_t k = 0;

                if (p[0] == 'F') { /* F DIGEST SIZE MTIME INODE PATH */
                        f[k++] = p;
                        for (const char *q = p; q < p + len && k < 6; q++)
                                if (*q == ' ')
                                        f[k++] = q + 1;
                }
                if (k == 6) {
                        uint64_t size = strtoull(f[2], NULL, 10);

                        memcpy(o, p, (size_t)(f[3] - p));
                        o += f[3] - p;
                        memcpy(o, f[5], (size_t)(p + len - f[5]));
                        o += p + len - f[5];
                        *total = *total + size < *total ? UINT64_MAX : *total + size;
                } else {
                        memcpy(o, p, len);
                        o += len;
                }
                *o++ = '\n';
                p += len + (e ? 1 : 0);
        }
        *o = 0;
        return out;
}
