/* bundle_meta.c: the bundle's documents: manifest.json, SPDX 2.3 SBOM, in-toto SLSA provenance. */
#include "bundle_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

bool utf8_ok(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;

        while (*p) {
                unsigned c = *p, need, cp;

                if (c < 0x80) {
                        p++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        need = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        need = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        need = 3, cp = c & 0x07;
                else
                        return false;
                for (unsigned i = 1; i <= need; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                p += need + 1;
        }
        return true;
}

static int finish(FILE *f, char **buf, size_t *len, char **out, size_t *out_len)
{
        if (fclose(f) != 0) {
                free(*buf);
                return -ENOMEM;
        }
        *out = *buf;
        *out_len = *len;
        return 0;
}

static const char *role_of(const struct bundle_item *it)
{
        return it->role ? it->role : "";
}
static const char *kind_of(const struct bundle_item *it)
{
        return it->kind ? it->kind : "file";
}

int bundle_manifest_json(const struct bundle_meta *m, char **out, size_t *len)
{
        char *buf = NULL;
        size_t n = 0;
        struct jsonw w = {.f = open_memstream(&buf, &n)};

        if (!w.f)
                return -ENOMEM;
        jw_obj(&w, NULL);
        jw_str(&w, "pocbake_version", POCBAKE_VERSION);
        jw_int(&w, "source_date_epoch", m->s->epoch);
        jw_str(&w, "recipe_digest", m->recipe_digest);
        jw_arr(&w, "artifacts");
        for (size_t i = 0; i < m->n; i++) {
                jw_obj(&w, NULL);
                jw_str(&w, "path", m->arts[i].it->path);
                jw_int(&w, "size", (int64_t)m->arts[i].size);
                jw_str(&w, "sha256", m->arts[i].sha256);
                jw_str(&w, "role", role_of(m->arts[i].it));
                jw_str(&w, "kind", kind_of(m->arts[i].it));
                jw_end_obj(&w);
        }
        jw_end_arr(&w);
        if (m->s->n_derived) {
                jw_arr(&w, "derived");
                for (size_t i = 0; i < m->s->n_derived; i++) {
                        const struct bundle_derived *v = &m->s->derived[i];

                        jw_obj(&w, NULL);
                        jw_str(&w, "path", v->path);
                        jw_str(&w, "from", v->from);
                        jw_str(&w, "format", v->format);
                        jw_end_obj(&w);
                }
                jw_end_arr(&w);
        }
        jw_end_obj(&w);
        return finish(w.f, &buf, &n, out, len);
}

/* Package URL of a Debian package; the version is percent-encoded (epochs
 * have ':'). */
static void purl(FILE *f, const struct dpkg_pkg *p)
{
        fprintf(f, "pkg:deb/debian/%s@", p->name);
        for (const char *c = p->version; *c; c++) {
                if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-~_",
                           *c))
                        fputc(*c, f);
                else
                        fprintf(f, "%%%02X", (unsigned char)*c);
        }
        if (p->arch[0])
                fprintf(f, "?arch=%s", p->arch);
}

static void spdx_file(struct jsonw *w, const struct bundle_art *a, size_t i)
{
        char id[64], *name = NULL, *comment = NULL;

        snprintf(id, sizeof(id), "SPDXRef-File-%zu", i + 1);
        if (asprintf(&name, "./%s", a->it->path) < 0)
                name = NULL;
        if (asprintf(&comment, "kind %s%s%s", kind_of(a->it),
                     a->it->role && a->it->role[0] ? ", role " : "", role_of(a->it)) < 0)
                comment = NULL;
        jw_obj(w, NULL);
        jw_str(w, "fileName", name ? name : a->it->path);
        jw_str(w, "SPDXID", id);
        jw_arr(w, "checksums");
        jw_obj(w, NULL);
        jw_str(w, "algorithm", "SHA1");
        jw_str(w, "checksumValue", a->sha1);
        jw_end_obj(w);
        jw_obj(w, NULL);
        jw_str(w, "algorithm", "SHA256");
        jw_str(w, "checksumValue", a->sha256);
        jw_end_obj(w);
        jw_end_arr(w);
        jw_str(w, "licenseConcluded", "NOASSERTION");
        jw_str(w, "copyrightText", "NOASSERTION");
        jw_str(w, "comment", comment ? comment : "");
        jw_end_obj(w);
        free(name);
        free(comment);
}

/* A file pocbake put into the images, named as the provenance names it. */
static void spdx_infile(struct jsonw *w, const struct bundle_meta *m, size_t i)
{
        char id[64], *name = NULL;

        snprintf(id, sizeof(id), "SPDXRef-Input-%zu", i + 1);
        if (asprintf(&name, "./%s", m->s->infiles[i].name) < 0)
                name = NULL;
        jw_obj(w, NULL);
        jw_str(w, "fileName", name ? name : m->s->infiles[i].name);
        jw_str(w, "SPDXID", id);
        jw_arr(w, "checksums");
        jw_obj(w, NULL);
        jw_str(w, "algorithm", "SHA1");
        jw_str(w, "checksumValue", m->in_sha1[i]);
        jw_end_obj(w);
        jw_obj(w, NULL);
        jw_str(w, "algorithm", "SHA256");
        jw_str(w, "checksumValue", m->in_sha256[i]);
        jw_end_obj(w);
        jw_end_arr(w);
        jw_str(w, "licenseConcluded", "NOASSERTION");
        jw_str(w, "copyrightText", "NOASSERTION");
        jw_str(w, "comment", "put into the images by pocbake");
        jw_end_obj(w);
        free(name);
}

static void spdx_package(struct jsonw *w, const struct dpkg_pkg *p, const struct bundle_pkgs *g,
                         size_t id)
{
        char sid[64], *loc = NULL, *comment = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&loc, &n);

        if (f) {
                purl(f, p);
                if (fclose(f) != 0)
                        loc = NULL;
        }
        snprintf(sid, sizeof(sid), "SPDXRef-Package-%zu", id);
        if (g->origin ? asprintf(&comment, "from the %s", g->origin) < 0
                      : asprintf(&comment, "installed in role %s",
                                 g->role && g->role[0] ? g->role : "(none)") < 0)
                comment = NULL;
        jw_obj(w, NULL);
        jw_str(w, "name", p->name);
        jw_str(w, "SPDXID", sid);
        jw_str(w, "versionInfo", p->version);
        jw_str(w, "supplier", "Organization: Debian");
        jw_str(w, "downloadLocation", "NOASSERTION");
        jw_bool(w, "filesAnalyzed", false);
        jw_str(w, "licenseConcluded", "NOASSERTION");
        jw_str(w, "licenseDeclared", p->license ? p->license : "NOASSERTION");
        jw_str(w, "copyrightText", "NOASSERTION");
        jw_str(w, "comment", comment ? comment : "");
        jw_arr(w, "externalRefs");
        jw_obj(w, NULL);
        jw_str(w, "referenceCategory", "PACKAGE-MANAGER");
        jw_str(w, "referenceType", "purl");
        jw_str(w, "referenceLocator", loc ? loc : "");
        jw_end_obj(w);
        jw_end_arr(w);
        jw_end_obj(w);
        free(loc);
        free(comment);
}

static void relationship(struct jsonw *w, const char *from, const char *type, const char *to)
{
        jw_obj(w, NULL);
        jw_str(w, "spdxElementId", from);
        jw_str(w, "relationshipType", type);
        jw_str(w, "relatedSpdxElement", to);
        jw_end_obj(w);
}

static bool pkgs_in(const struct bundle_pkgs *bp, const struct bundle_item *it)
{
        if (!bp->in)
                return bp->role && it->role && !strcmp(bp->role, it->role);
        for (size_t i = 0; i < bp->n_in; i++)
                if (!strcmp(bp->in[i], it->path))
                        return true;
        return false;
}

/* The artifact index of a bundle path (the spec checked that it is one). */
static size_t art_index(const struct bundle_meta *m, const char *path)
{
        for (size_t i = 0; i < m->n; i++)
                if (!strcmp(m->arts[i].it->path, path))
                        return i;
        return 0;
}

/* The document describes every file; a file contains the packages that went
 * into it, and the files it carries. */
static void spdx_relationships(struct jsonw *w, const struct bundle_meta *m)
{
        char a[64], b[64];
        size_t pkg = 0;

        jw_arr(w, "relationships");
        for (size_t i = 0; i < m->n; i++) {
                snprintf(a, sizeof(a), "SPDXRef-File-%zu", i + 1);
                relationship(w, "SPDXRef-DOCUMENT", "DESCRIBES", a);
        }
        for (size_t g = 0; g < m->s->n_pkgs; g++) {
                const struct bundle_pkgs *bp = &m->s->pkgs[g];

                for (size_t k = 0; k < bp->n; k++) {
                        pkg++;
                        snprintf(b, sizeof(b), "SPDXRef-Package-%zu", pkg);
                        for (size_t i = 0; i < m->n; i++) {
                                if (!pkgs_in(bp, m->arts[i].it))
                                        continue;
                                snprintf(a, sizeof(a), "SPDXRef-File-%zu", i + 1);
                                relationship(w, a, "CONTAINS", b);
                        }
                }
        }
        for (size_t i = 0; i < m->s->n_infiles; i++) {
                const struct bundle_infile *f = &m->s->infiles[i];

                snprintf(b, sizeof(b), "SPDXRef-Input-%zu", i + 1);
                for (size_t k = 0; k < f->n_in; k++) {
                        snprintf(a, sizeof(a), "SPDXRef-File-%zu", art_index(m, f->in[k]) + 1);
                        relationship(w, a, "CONTAINS", b);
                }
        }
        for (size_t i = 0; i < m->s->n_contains; i++) {
                snprintf(a, sizeof(a), "SPDXRef-File-%zu",
                         art_index(m, m->s->contains[i].outer) + 1);
                snprintf(b, sizeof(b), "SPDXRef-File-%zu",
                         art_index(m, m->s->contains[i].inner) + 1);
                relationship(w, a, "CONTAINS", b);
        }
        jw_end_arr(w);
}

int bundle_spdx_json(const struct bundle_meta *m, char **out, size_t *len)
{
        char *buf = NULL, ns[160], name[96], tool[64], uuid[UUID_STR];
        size_t n = 0, pkg = 0;
        struct jsonw w = {.f = open_memstream(&buf, &n)};
        struct uuid u;

        if (!w.f)
                return -ENOMEM;
        uuid_derive(&u, "spdx document namespace", m->recipe_digest, m->epoch_iso);
        uuid_format(&u, uuid);
        snprintf(ns, sizeof(ns), "https://spdx.org/spdxdocs/pocbake-%.12s-%s", m->recipe_digest,
                 uuid);
        snprintf(name, sizeof(name), "pocbake-bundle-%.12s", m->recipe_digest);
        snprintf(tool, sizeof(tool), "Tool: pocbake-%s", POCBAKE_VERSION);
        jw_obj(&w, NULL);
        jw_str(&w, "spdxVersion", "SPDX-2.3");
        jw_str(&w, "dataLicense", "CC0-1.0");
        jw_str(&w, "SPDXID", "SPDXRef-DOCUMENT");
        jw_str(&w, "name", name);
        jw_str(&w, "documentNamespace", ns);
        jw_obj(&w, "creationInfo");
        jw_str(&w, "created", m->epoch_iso);
        jw_arr(&w, "creators");
        jw_str(&w, NULL, tool);
        jw_end_arr(&w);
        jw_end_obj(&w);
        jw_arr(&w, "packages");
        for (size_t g = 0; g < m->s->n_pkgs; g++)
                for (size_t k = 0; k < m->s->pkgs[g].n; k++)
                        spdx_package(&w, &m->s->pkgs[g].v[k], &m->s->pkgs[g], ++pkg);
        jw_end_arr(&w);
        jw_arr(&w, "files");
        for (size_t i = 0; i < m->n; i++)
                spdx_file(&w, &m->arts[i], i);
        for (size_t i = 0; i < m->s->n_infiles; i++)
                spdx_infile(&w, m, i);
        jw_end_arr(&w);
        spdx_relationships(&w, m);
        jw_end_obj(&w);
        return finish(w.f, &buf, &n, out, len);
}

static void digest_obj(struct jsonw *w, const char *hex)
{
        jw_obj(w, "digest");
        jw_str(w, "sha256", hex);
        jw_end_obj(w);
}

static void intoto_build_definition(struct jsonw *w, const struct bundle_meta *m)
{
        jw_obj(w, "buildDefinition");
        jw_str(w, "buildType", "urn:pocbake:buildtype:appliance:v1");
        jw_obj(w, "externalParameters");
        jw_str(w, "recipe", m->s->recipe ? m->s->recipe : "");
        jw_str(w, "profile", m->s->profile ? m->s->profile : "");
        jw_arr(w, "roles");
        for (size_t i = 0; i < m->s->n_roles; i++)
                jw_str(w, NULL, m->s->roles[i]);
        jw_end_arr(w);
        jw_end_obj(w);
        jw_obj(w, "internalParameters");
        jw_int(w, "source_date_epoch", m->s->epoch);
        jw_str(w, "recipe_digest", m->recipe_digest);
        jw_end_obj(w);
        jw_arr(w, "resolvedDependencies");
        for (size_t i = 0; i < m->s->n_deps; i++) {
                jw_obj(w, NULL);
                jw_str(w, "name", m->s->deps[i].name);
                digest_obj(w, m->dep_hex[i]);
                jw_end_obj(w);
        }
        jw_end_arr(w);
        jw_end_obj(w);
}

int bundle_intoto_json(const struct bundle_meta *m, const char *sums_hex, char **out, size_t *len)
{
        char *buf = NULL, id[64], inv[64], uuid[UUID_STR];
        size_t n = 0;
        struct jsonw w = {.f = open_memstream(&buf, &n)};
        struct uuid u;

        if (!w.f)
                return -ENOMEM;
        /* Same recipe and same artifacts: same invocation id. */
        uuid_derive(&u, "in-toto invocation", m->recipe_digest, sums_hex);
        uuid_format(&u, uuid);
        snprintf(inv, sizeof(inv), "urn:uuid:%s", uuid);
        snprintf(id, sizeof(id), "urn:pocbake:builder:%s", POCBAKE_VERSION);
        jw_obj(&w, NULL);
        jw_str(&w, "_type", "https://in-toto.io/Statement/v1");
        jw_arr(&w, "subject");
        for (size_t i = 0; i < m->n; i++) {
                jw_obj(&w, NULL);
                jw_str(&w, "name", m->arts[i].it->path);
                digest_obj(&w, m->arts[i].sha256);
                jw_end_obj(&w);
        }
        jw_end_arr(&w);
        jw_str(&w, "predicateType", "https://slsa.dev/provenance/v1");
        jw_obj(&w, "predicate");
        intoto_build_definition(&w, m);
        jw_obj(&w, "runDetails");
        jw_obj(&w, "builder");
        jw_str(&w, "id", id);
        jw_end_obj(&w);
        jw_obj(&w, "metadata");
        jw_str(&w, "invocationId", inv);
        /* SOURCE_DATE_EPOCH both: the statement is part of what a second build
         * must give byte for byte (the real times are in the build's events). */
        jw_str(&w, "startedOn", m->epoch_iso);
        jw_str(&w, "finishedOn", m->epoch_iso);
        jw_end_obj(&w);
        jw_end_obj(&w);
        jw_end_obj(&w);
        jw_end_obj(&w);
        return finish(w.f, &buf, &n, out, len);
}
