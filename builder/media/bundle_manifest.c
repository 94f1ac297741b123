/* bundle_manifest.c: manifest.json of an untrusted bundle read with jansson into its artifacts. */
#include "bundle_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/cleanup.h"

/* jansson's own json_decrefp takes NULL. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* One element of "artifacts": path and sha256 strings, size an integer >= 0.
 * Other members (role, kind) are the writer's and not checked here. */
static int artifact(json_t *o, size_t i, struct manifest_art *a, const char *what, struct diag *d)
{
        json_t *path = json_object_get(o, "path"), *hex = json_object_get(o, "sha256");
        json_t *size = json_object_get(o, "size");

        if (!json_is_string(path) || !json_is_string(hex) || !json_is_integer(size) ||
            json_integer_value(size) < 0)
                return diag_err(d, -EBADMSG, "%s: artifact %zu: expected path, size and sha256",
                                what, i + 1);
        a->path = strdup(json_string_value(path));
        a->sha256 = strdup(json_string_value(hex));
        if (!a->path || !a->sha256)
                return diag_err(d, -ENOMEM, "out of memory");
        a->size = (uint64_t)json_integer_value(size);
        return 0;
}

int bundle_manifest_read(const char *buf, size_t len, struct manifest *out, const char *what,
                         struct diag *d)
{
        _cleanup_json_ json_t *doc = NULL;
        json_error_t e;
        json_t *arts;
        int bad = 0;

        memset(out, 0, sizeof(*out));
        /* The writer never repeats a key; a reader that picked the first or the last
         * of two would let a signed manifest say two things. */
        doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
        if (!doc) {
                if (e.line > 0)
                        return diag_err(d, -EBADMSG, "%s:%d:%d: %s", what, e.line, e.column,
                                        e.text);
                return diag_err(d, -EBADMSG, "%s: %s", what, e.text);
        }
        arts = json_object_get(doc, "artifacts");
        if (!json_is_array(arts))
                return diag_err(d, -EBADMSG, "%s: no \"artifacts\" array", what);
        out->v = calloc(json_array_size(arts) + 1, sizeof(*out->v));
        if (!out->v)
                return diag_err(d, -ENOMEM, "out of memory");
        /* Every artifact is looked at: one message for each that is malformed. */
        for (size_t i = 0; i < json_array_size(arts); i++) {
                struct manifest_art *a = &out->v[out->n];
                int r = artifact(json_array_get(arts, i), i, a, what, d);

                if (r < 0) {
                        free(a->path);
                        free(a->sha256);
                        memset(a, 0, sizeof(*a));
                        if (r == -ENOMEM)
                                return r;
                        bad = r;
                        continue;
                }
                out->n++;
        }
        return bad;
}

void bundle_manifest_release(struct manifest *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].path);
                free(m->v[i].sha256);
        }
        free(m->v);
        memset(m, 0, sizeof(*m));
}
