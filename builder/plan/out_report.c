/* out_report.c: the report deliverable: APPLIANCE.html, one self-contained page of what the build
 * made: disks to scale, outputs, signing keys, packages, the build's timeline. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/disk.h"
#include "disk/gpt.h"
#include "disk/lvm.h"
#include "nodes.h"
#include "outputs.h"
#include "provenance.h"
#include "sign/ossl.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/html.h"
#include "util/size.h"

/* Raised when the page's content or layout changes. */
#define REPORT_STEP "report-2"

#define DISK_W 900.0 /* px: a disk's width in its picture */

static const char *const cert_files[] = {"PK.crt", "KEK.crt", "db.crt", "codesign.crt"};

static int report_hash(const struct graph *g, const struct node *n, struct hasher *h,
                       struct diag *d)
{
        int rc = 0;

        hasher_str(h, REPORT_STEP);
        hasher_str(h, g->app->name);
        hasher_str(h, g->profile ? g->profile : "");
        for (size_t i = 0; g->boot && g->boot->keys && rc >= 0 && i < ARRAY_SIZE(cert_files); i++) {
                _cleanup_free_ char *p = keys_file(g->boot, cert_files[i]);

                if (!p)
                        return -ENOMEM;
                if (access(p, R_OK) == 0)
                        rc = hash_path(h, p, d);
        }
        for (size_t i = 0; i < n->n_inputs; i++)
                hasher_str(h, n->inputs[i]->export_name);
        return rc;
}

static const char *fs_color(const char *fs)
{
        static const char *const map[][2] = {
                {"vfat", "#d9a441"},     {"ext4", "#4a86b8"},  {"xfs", "#5c9e5a"},
                {"squashfs", "#9a72bd"}, {"erofs", "#9a72bd"}, {"lvm", "#c4675d"},
                {"swap", "#8c8c8c"},
        };

        for (size_t i = 0; fs && i < ARRAY_SIZE(map); i++)
                if (!strcmp(fs, map[i][0]))
                        return map[i][1];
        return "#b0b0b0";
}

struct report {
        FILE *f;
        const struct graph *g;
        const struct node *n;
        struct export_list l;
        struct bundle_item *items;
        const struct node **item_node;
        size_t n_items;
        char (*sha)[SHA256_HEX];
        uint64_t *size;
        struct provenance p;
        struct diag *d;
};

static int list_files(struct report *rp)
{
        const struct node *n = rp->n;
        size_t k = 0;
        int rc = 0;

        for (size_t i = 0; rc >= 0 && i < n->n_inputs; i++) {
                size_t before = rp->l.n;

                rc = node_exports(rp->g, n->inputs[i], &rp->l);
                for (size_t j = before; rc >= 0 && j < rp->l.n; j++) {
                        const struct node **nv =
                                realloc(rp->item_node, (rp->l.n + 1) * sizeof(*nv));

                        if (!nv)
                                return -ENOMEM;
                        rp->item_node = nv;
                        nv[j] = n->inputs[i];
                }
        }
        if (rc < 0)
                return rc;
        rp->items = calloc(rp->l.n + 1, sizeof(*rp->items));
        rp->sha = calloc(rp->l.n + 1, sizeof(*rp->sha));
        rp->size = calloc(rp->l.n + 1, sizeof(*rp->size));
        if (!rp->items || !rp->sha || !rp->size)
                return -ENOMEM;
        for (; k < rp->l.n; k++) {
                const struct node *in = rp->item_node[k];
                struct stat st;

                rp->items[k] = (struct bundle_item){.path = rp->l.v[k].out,
                                                    .src = rp->l.v[k].src,
                                                    .role = in->role ? in->role->name : NULL,
                                                    .kind = export_kind(in)};
                if (stat(rp->l.v[k].src, &st) < 0)
                        return diag_err(rp->d, -errno, "cannot read %s: %m", rp->l.v[k].src);
                rp->size[k] = (uint64_t)st.st_size;
                if ((rc = export_sha256(rp->g, in, rp->l.v[k].src, rp->sha[k])) < 0)
                        return diag_err(rp->d, rc, "cannot read %s: %s", rp->l.v[k].src,
                                        strerror(-rc));
        }
        rp->n_items = rp->l.n;
        return 0;
}

static void head(struct report *rp)
{
        static const char css[] =
                "body{font:14px/1.45 "
                "system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}"
                "header{background:#1f3b57;color:#fff;padding:18px 32px}"
                "header h1{margin:0 0 4px;font-size:24px}header p{margin:0;opacity:.85}"
                "nav{padding:8px 32px;background:#e4e8ee}nav a{margin-right:18px;color:#1f3b57}"
                "main{padding:8px 32px 40px;max-width:1100px}"
                "section{background:#fff;border:1px solid #d8dde4;border-radius:6px;"
                "padding:12px 20px;margin:18px 0}"
                "h2{font-size:18px;margin:6px 0 12px}h3{font-size:15px;margin:18px 0 6px}"
                "table{border-collapse:collapse;width:100%;margin:6px 0 10px}"
                "th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e6e9ee;"
                "vertical-align:top}td:first-child{white-space:nowrap}"
                "th{background:#f0f2f5;font-weight:600}td.n{text-align:right;white-space:nowrap}"
                "code{font:12px ui-monospace,monospace;word-break:break-all}"
                "dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:10px 0}"
                "dt{font-weight:600}dd{margin:0}"
                "svg text{font:11px system-ui,sans-serif}.muted{color:#66707a}";
        char when[32], sz[32];
        uint64_t total = 0;

        for (size_t k = 0; k < rp->n_items; k++)
                total += rp->size[k];
        epoch_iso8601(rp->g->epoch, when);
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
              rp->f);
        html_put(rp->f, rp->g->app->name);
        fprintf(rp->f, " &#8212; pocbake report</title>\n<style>%s</style>\n</head>\n<body>\n",
                css);
        fputs("<header><h1>", rp->f);
        html_put(rp->f, rp->g->app->name);
        fputs("</h1><p>", rp->f);
        html_put(rp->f, rp->g->app->description ? rp->g->app->description : "");
        fputs("</p></header>\n<nav><a href=\"#disks\">Disks</a><a href=\"#outputs\">Outputs</a>"
              "<a href=\"#signing\">Signing</a><a href=\"#components\">Components</a>"
              "<a href=\"#timeline\">Timeline</a><a href=\"#checks\">Checks</a></nav>\n<main>\n",
              rp->f);
        fputs("<section id=\"summary\"><dl><dt>Recipe</dt><dd><code>", rp->f);
        html_put(rp->f, strrchr(rp->g->app->file, '/') ? strrchr(rp->g->app->file, '/') + 1
                                                       : rp->g->app->file);
        fputs("</code></dd><dt>Profile</dt><dd>", rp->f);
        html_put(rp->f, rp->g->profile ? rp->g->profile : "(none)");
        fputs("</dd><dt>Roles</dt><dd>", rp->f);
        for (size_t i = 0; i < rp->p.n_roles; i++) {
                fputs(i ? ", " : "", rp->f);
                html_put(rp->f, rp->p.roles[i]);
        }
        fprintf(rp->f,
                "</dd><dt>Made by</dt><dd>pocbake %s</dd><dt>Timestamps</dt><dd>%s "
                "(SOURCE_DATE_EPOCH)</dd><dt>Outputs</dt><dd>%zu files, %s</dd></dl></section>\n",
                POCBAKE_VERSION, when, rp->n_items, human_size(total, sz, sizeof(sz)));
}

static const struct role *role_named(const struct graph *g, const char *name)
{
        for (size_t i = 0; i < g->app->n_roles; i++)
                if (!strcmp(g->app->roles[i]->name, name))
                        return g->app->roles[i];
        return g->app->host && !strcmp(g->app->host->name, name) ? g->app->host : NULL;
}

/* Bytes the partition's filesystem image holds (its allocated blocks), when
 * the build made it as a node of its own; 0: not known. */
static uint64_t fs_used(const struct graph *g, const struct role *r, size_t part)
{
        for (size_t i = 0; i < g->n; i++) {
                const struct node *x = g->nodes[i];
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (x->type != &node_fs || x->role != r || x->part != part)
                        continue;
                p = node_object_path(g, x);
                if (p && stat(p, &st) == 0)
                        return (uint64_t)st.st_blocks * 512;
        }
        return 0;
}

static const char *part_fs(const struct partition_spec *ps)
{
        return ps->type == PART_LVM ? "lvm" : ps->type == PART_SWAP ? "swap" : ps->fs;
}

/* One rectangle of a disk picture with its label when it fits. */
static void box(FILE *f, double x, double y, double w, double h, const char *color,
                const char *label, const char *title)
{
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                "stroke=\"#fff\" stroke-width=\"1\"><title>",
                x, y, w < 0.5 ? 0.5 : w, h, color);
        html_put(f, title);
        fputs("</title></rect>", f);
        if (label && w > 7.0 * (double)strlen(label) + 8)
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#fff\">", x + 4, y + h / 2 + 4),
                        html_put(f, label), fputs("</text>", f);
        fputc('\n', f);
}

static const char *esp_signing(const struct report *rp, const struct partition_spec *ps)
{
        if (ps->type == PART_ESP && rp->g->boot && !rp->g->boot->keys)
                return "systemd-boot and the UKI, unsigned (no keys: Secure Boot off)";
        return ps->type == PART_ESP && rp->g->boot ? "systemd-boot and the UKI, signed with db"
                                                   : "";
}

/* A disk to scale: partitions (the used part of each filesystem darker), and
 * under an LVM partition its volumes, to the partition's scale. */
static int disk_picture(struct report *rp, const struct role *r)
{
        FILE *f = rp->f;
        struct gpt gp;
        struct lvm_pool pool = {0};
        ssize_t lvm = -1;
        char a[32], b[32], c[32];
        int rc = disk_layout(r, &gp, rp->d);
        double scale;

        if (rc < 0)
                return rc;
        scale = DISK_W / (double)gp.size;
        if ((rc = disk_pool_layout(r, &gp, &pool, &lvm, rp->d)) < 0) {
                gpt_release(&gp);
                return rc;
        }
        fputs("<h3>", f);
        html_put(f, r->name);
        fprintf(f, " <span class=\"muted\">%s disk, GPT</span></h3>\n",
                human_size(gp.size, a, sizeof(a)));
        fprintf(f, "<svg width=\"%.0f\" height=\"%d\" viewBox=\"0 0 %.0f %d\" role=\"img\">\n",
                DISK_W, lvm >= 0 ? 94 : 48, DISK_W, lvm >= 0 ? 94 : 48);
        fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"40\" fill=\"#e9ecf0\"/>\n",
                DISK_W);
        for (size_t i = 0; i < gp.n && i < r->disk.n_partitions; i++) {
                const struct partition_spec *ps = &r->disk.partitions[i];
                uint64_t off = gp.parts[i].first_lba * GPT_SECTOR;
                uint64_t len = (gp.parts[i].last_lba - gp.parts[i].first_lba + 1) * GPT_SECTOR;
                uint64_t used = ps->fs ? fs_used(rp->g, r, i) : 0;
                char *title = NULL;

                if (asprintf(&title, "%s: %s, %s", ps->name,
                             part_fs(ps) ? part_fs(ps) : "no filesystem",
                             human_size(len, a, sizeof(a))) < 0)
                        title = NULL;
                box(f, (double)off * scale, 0, (double)len * scale, 40, fs_color(part_fs(ps)),
                    ps->name, title ? title : ps->name);
                free(title);
                if (used && used < len)
                        fprintf(f,
                                "<rect x=\"%.1f\" y=\"34\" width=\"%.1f\" height=\"6\" "
                                "fill=\"#000\" fill-opacity=\".35\"/>\n",
                                (double)off * scale, (double)used * scale);
        }
        if (lvm >= 0) {
                double x0 = (double)(gp.parts[lvm].first_lba * GPT_SECTOR) * scale;
                double w0 = (double)pool.dev_size * scale;

                fprintf(f,
                        "<path d=\"M%.1f 40 L0 52 M%.1f 40 L%.0f 52\" stroke=\"#999\" "
                        "fill=\"none\"/>\n",
                        x0, x0 + w0, DISK_W);
                for (size_t i = 0; i < pool.n_lv; i++) {
                        const struct volume_spec *v = &r->storage.volumes[i];
                        double vx = (double)lvm_volume_offset(&pool, i) / (double)pool.dev_size;
                        double vw =
                                (double)(pool.lv[i].extents * LVM_EXTENT) / (double)pool.dev_size;
                        char *title = NULL;

                        if (asprintf(&title, "%s/%s: %s, %s, %s", pool.vg, v->name, v->fs,
                                     human_size(pool.lv[i].extents * LVM_EXTENT, a, sizeof(a)),
                                     v->purpose ? v->purpose : "data") < 0)
                                title = NULL;
                        box(f, vx * DISK_W, 54, vw * DISK_W, 34, fs_color(v->fs), v->name,
                            title ? title : v->name);
                        free(title);
                }
        }
        fputs("</svg>\n<table><tr><th>Partition</th><th>Type</th><th>Filesystem</th>"
              "<th>Mount</th><th class=\"n\">Offset</th><th class=\"n\">Size</th>"
              "<th class=\"n\">Used</th><th>Signed</th></tr>\n",
              f);
        for (size_t i = 0; i < gp.n && i < r->disk.n_partitions; i++) {
                const struct partition_spec *ps = &r->disk.partitions[i];
                uint64_t len = (gp.parts[i].last_lba - gp.parts[i].first_lba + 1) * GPT_SECTOR;
                uint64_t used = ps->fs ? fs_used(rp->g, r, i) : 0;
                static const char *const types[] = {"linux", "esp", "root", "lvm", "swap"};

                fputs("<tr><td>", f);
                html_put(f, ps->name);
                fprintf(f, "</td><td>%s</td><td>",
                        (size_t)ps->type < ARRAY_SIZE(types) ? types[ps->type] : "?");
                if (ps->type == PART_LVM && (ssize_t)i == lvm)
                        fputs("LVM: ", f), html_put(f, pool.vg);
                else
                        html_put(f, ps->fs ? ps->fs : "");
                fputs("</td><td>", f);
                html_put(f, ps->mountpoint ? ps->mountpoint : "");
                fprintf(f,
                        "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
                        "class=\"n\">%s</td><td>%s</td></tr>\n",
                        human_size(gp.parts[i].first_lba * GPT_SECTOR, a, sizeof(a)),
                        human_size(len, b, sizeof(b)), used ? human_size(used, c, sizeof(c)) : "",
                        esp_signing(rp, ps));
        }
        for (size_t i = 0; lvm >= 0 && i < pool.n_lv; i++) {
                const struct volume_spec *v = &r->storage.volumes[i];

                fputs("<tr><td>&#8627; ", f);
                html_put(f, pool.vg);
                fputc('/', f);
                html_put(f, v->name);
                fputs("</td><td>volume</td><td>", f);
                html_put(f, v->fs);
                fputs("</td><td>", f);
                html_put(f, v->mountpoint ? v->mountpoint : "");
                fputs(" <span class=\"muted\">", f);
                html_put(f, v->purpose ? v->purpose : "");
                fprintf(f,
                        "</span></td><td class=\"n\">%s</td><td "
                        "class=\"n\">%s</td><td></td><td></td></tr>\n",
                        human_size(lvm_volume_offset(&pool, i), a, sizeof(a)),
                        human_size(pool.lv[i].extents * LVM_EXTENT, b, sizeof(b)));
        }
        fputs("</table>\n", f);
        free(pool.lv);
        gpt_release(&gp);
        return 0;
}

static int disks(struct report *rp)
{
        int rc = 0;

        fputs("<section id=\"disks\"><h2>Disks</h2>\n<p class=\"muted\">Each disk to scale; the "
              "dark strip under a filesystem is what its image holds.</p>\n",
              rp->f);
        for (size_t i = 0; rc >= 0 && i < rp->p.n_roles; i++) {
                const struct role *r = role_named(rp->g, rp->p.roles[i]);

                if (r && r->disk.n_partitions)
                        rc = disk_picture(rp, r);
        }
        fputs("</section>\n", rp->f);
        return rc;
}

static void outputs(struct report *rp)
{
        char a[32];

        fputs("<section id=\"outputs\"><h2>Outputs</h2>\n<table><tr><th>File</th><th>Kind</th>"
              "<th class=\"n\">Size</th><th>SHA-256</th></tr>\n",
              rp->f);
        for (size_t k = 0; k < rp->n_items; k++) {
                fputs("<tr><td><code>", rp->f);
                html_put(rp->f, rp->items[k].path);
                fputs("</code></td><td>", rp->f);
                html_put(rp->f, rp->items[k].kind);
                fprintf(rp->f, "</td><td class=\"n\">%s</td><td><code>%s</code></td></tr>\n",
                        human_size(rp->size[k], a, sizeof(a)), rp->sha[k]);
        }
        fputs("</table></section>\n", rp->f);
}

static int signing(struct report *rp)
{
        static const char *const what[] = {"enrolled as the platform key",
                                           "enrolled as the key-exchange key",
                                           "enrolled in db; signs systemd-boot and every UKI on "
                                           "the ESPs, the ISO and the PXE set",
                                           "signs SHA256SUMS of the bundle and the PXE set, the "
                                           "PXE files, and the provenance"};

        fputs("<section id=\"signing\"><h2>Signing</h2>\n", rp->f);
        if (!rp->g->boot || !rp->g->boot->keys) {
                fputs("<p>Built without keys: nothing is signed and the disks boot with Secure "
                      "Boot off.</p></section>\n",
                      rp->f);
                return 0;
        }
        fputs("<table><tr><th>Key</th><th>Subject</th><th>SHA-256 fingerprint</th><th>Use</th>"
              "</tr>\n",
              rp->f);
        for (size_t i = 0; i < ARRAY_SIZE(cert_files); i++) {
                _cleanup_free_ char *p = keys_file(rp->g->boot, cert_files[i]);
                _cleanup_x509_ X509 *x = NULL;
                char hex[SHA256_HEX], subject[256] = "";
                int rc;

                if (!p)
                        return -ENOMEM;
                if (access(p, R_OK) < 0)
                        continue;
                if ((rc = x509_load(p, &x, rp->d)) < 0 ||
                    (rc = x509_fingerprint(x, hex, rp->d)) < 0)
                        return rc;
                X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
                fprintf(rp->f, "<tr><td>%.*s</td><td>", (int)(strlen(cert_files[i]) - 4),
                        cert_files[i]);
                html_put(rp->f, subject);
                fprintf(rp->f, "</td><td><code>%s</code></td><td>%s</td></tr>\n", hex, what[i]);
        }
        fputs("</table></section>\n", rp->f);
        return 0;
}

static void pkg_row(FILE *f, const struct dpkg_pkg *p, size_t files)
{
        fputs("<tr><td>", f);
        html_put(f, p->name);
        fputs("</td><td>", f);
        html_put(f, p->version);
        fputs("</td><td>", f);
        html_put(f, p->arch);
        fputs("</td><td>", f);
        html_put(f, p->license ? p->license : "not declared");
        fprintf(f, "</td><td class=\"n\">%zu</td></tr>\n", files);
}

static const char pkg_head[] = "<table><tr><th>Package</th><th>Version</th><th>Architecture</th>"
                               "<th>License</th><th class=\"n\">In files</th></tr>\n";

/* The build host's packages in one table, then each role root's. */
static void components(struct report *rp)
{
        FILE *f = rp->f;
        size_t host = 0;

        fputs("<section id=\"components\"><h2>Components</h2>\n<p class=\"muted\">The Debian "
              "packages in the outputs, as the bundle's SBOM lists them.</p>\n",
              f);
        for (size_t g = 0; g < rp->p.n_pkgs; g++)
                host += !rp->p.pkgs[g].role;
        if (host) {
                fprintf(f,
                        "<h3>From the build host <span class=\"muted\">%zu package%s: the "
                        "kernel, busybox, systemd-boot</span></h3>\n%s",
                        host, host == 1 ? "" : "s", pkg_head);
                for (size_t g = 0; g < rp->p.n_pkgs; g++)
                        for (size_t k = 0; !rp->p.pkgs[g].role && k < rp->p.pkgs[g].n; k++)
                                pkg_row(f, &rp->p.pkgs[g].v[k], rp->p.pkgs[g].n_in);
                fputs("</table>\n", f);
        }
        for (size_t g = 0; g < rp->p.n_pkgs; g++) {
                const struct bundle_pkgs *bp = &rp->p.pkgs[g];

                if (!bp->role)
                        continue;
                fputs("<h3>Root of role ", f);
                html_put(f, bp->role);
                fprintf(f, " <span class=\"muted\">%zu package%s</span></h3>\n%s", bp->n,
                        bp->n == 1 ? "" : "s", pkg_head);
                for (size_t k = 0; k < bp->n; k++)
                        pkg_row(f, &bp->v[k], bp->n_in);
                fputs("</table>\n", f);
        }
        if (!rp->p.n_pkgs)
                fputs("<p>No Debian package is known to be in the outputs.</p>\n", f);
        fputs("</section>\n", f);
}

static const char *kind_color(const char *kind)
{
        static const char *const map[][2] = {
                {"rootfs", "#4a86b8"},     {"fs", "#6aa4d0"},   {"disk", "#5c9e5a"},
                {"qcow2", "#7fb77d"},      {"vhdx", "#7fb77d"}, {"initrd", "#d9a441"},
                {"uki", "#e0b865"},        {"host", "#c4675d"}, {"live", "#9a72bd"},
                {"iso", "#3d6f8f"},        {"pxe", "#5f8f3d"},  {"bundle", "#8f5f3d"},
                {"sha256sums", "#6d6d6d"},
        };

        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if (!strcmp(kind, map[i][0]))
                        return map[i][1];
        return "#8c8c8c";
}

static int by_began(const void *a, const void *b)
{
        const struct node *x = *(const struct node *const *)a, *y = *(const struct node *const *)b;

        return x->began < y->began ? -1 : x->began > y->began ? 1 : strcmp(x->id, y->id);
}

/* The nodes the build that made this page ran, when each started and how long it
 * took; the rest came from the cache. */
static int timeline(struct report *rp)
{
        const struct graph *g = rp->g;
        _cleanup_free_ const struct node **v = calloc(g->n + 1, sizeof(*v));
        size_t n = 0, cached = 0;
        double end = 0;
        FILE *f = rp->f;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < g->n; i++) {
                const struct node *x = g->nodes[i];

                if (x == rp->n)
                        continue;
                if (x->status == NODE_BUILT) {
                        v[n++] = x;
                        if (x->began + x->seconds > end)
                                end = x->began + x->seconds;
                } else if (x->cached) {
                        cached++;
                }
        }
        qsort(v, n, sizeof(*v), by_began);
        fprintf(f,
                "<section id=\"timeline\"><h2>Build timeline</h2>\n<p class=\"muted\">The "
                "build that made this page: %zu node%s built in %.1f s, %zu from the cache. "
                "(This section is the one part of the page that differs between two builds of "
                "the same inputs.)</p>\n",
                n, n == 1 ? "" : "s", end, cached);
        if (n && end > 0) {
                const double left = 230, w = DISK_W - left - 30, row = 16;

                fprintf(f,
                        "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                        "role=\"img\">\n",
                        DISK_W, row * (double)n + 24, DISK_W, row * (double)n + 24);
                for (int s = 0; s <= 4; s++) {
                        double x = left + w * s / 4;

                        fprintf(f,
                                "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\" "
                                "stroke=\"#e1e4e8\"/>"
                                "<text x=\"%.1f\" y=\"%.0f\" fill=\"#66707a\" "
                                "text-anchor=\"middle\">%.1f s</text>\n",
                                x, x, row * (double)n, x, row * (double)n + 16, end * s / 4);
                }
                for (size_t i = 0; i < n; i++) {
                        double y = row * (double)i;

                        fprintf(f, "<text x=\"0\" y=\"%.1f\">", y + 12);
                        html_put(f, v[i]->id);
                        fprintf(f,
                                "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
                                "fill=\"%s\"><title>",
                                left + w * v[i]->began / end, y + 2,
                                w * v[i]->seconds / end < 1 ? 1 : w * v[i]->seconds / end, row - 4,
                                kind_color(v[i]->type->name));
                        html_put(f, v[i]->id);
                        fprintf(f, ": %.2f s</title></rect>\n", v[i]->seconds);
                }
                fputs("</svg>\n", f);
        }
        fputs("</section>\n", f);
        return 0;
}

static void checks(struct report *rp)
{
        const struct appliance *a = rp->g->app;
        FILE *f = rp->f;

        fputs("<section id=\"checks\"><h2>Checks</h2>\n", f);
        if (!a->n_checks) {
                fputs("<p>The recipe defines no appliance checks; <code>pocbake up -o DIR</code> "
                      "puts each VM's own check here, in DIR's copy of this page.</p></section>\n",
                      f);
                return;
        }
        fputs("<p class=\"muted\">What <code>pocbake up</code> runs once the appliance is up "
              "(<code>pocbake up -o DIR</code> puts its results here, in DIR's copy of this "
              "page).</p>\n<table><tr><th>Check</th><th>Runs in</th>"
              "<th>Command</th><th>Expects</th></tr>\n",
              f);
        for (size_t i = 0; i < a->n_checks; i++) {
                fputs("<tr><td>", f);
                html_put(f, a->checks[i].name);
                fputs("</td><td>", f);
                html_put(f, a->checks[i].from);
                fputs("</td><td><code>", f);
                html_put(f, a->checks[i].command);
                fputs("</code></td><td><code>", f);
                html_put(f, a->checks[i].expect);
                fputs("</code></td></tr>\n", f);
        }
        fputs("</table></section>\n", f);
}

static void report_release(struct report *rp)
{
        provenance_release(&rp->p);
        export_list_release(&rp->l);
        free(rp->items);
        free(rp->item_node);
        free(rp->sha);
        free(rp->size);
}

static int report_make(const struct graph *g, const struct node *n, const char *dir, struct diag *d)
{
        _cleanup_free_ char *out = path_join(dir, "report.html");
        struct report rp = {.g = g, .n = n, .d = d};
        char *buf = NULL;
        size_t len = 0;
        int rc = out ? list_files(&rp) : -ENOMEM;

        if (rc >= 0)
                rc = provenance_collect(g, n, rp.items, rp.item_node, rp.n_items, &rp.p, d);
        if (rc >= 0 && !(rp.f = open_memstream(&buf, &len)))
                rc = -ENOMEM;
        if (rc >= 0) {
                head(&rp);
                rc = disks(&rp);
        }
        if (rc >= 0) {
                outputs(&rp);
                rc = signing(&rp);
        }
        if (rc >= 0) {
                components(&rp);
                rc = timeline(&rp);
        }
        if (rc >= 0) {
                checks(&rp);
                fputs("</main>\n</body>\n</html>\n", rp.f);
        }
        if (rp.f && fclose(rp.f) != 0 && rc >= 0)
                rc = -ENOMEM;
        if (rc >= 0 && (rc = write_file_atomic(out, buf, len, 0644)) < 0)
                diag_err(d, rc, "cannot write %s: %s", out, strerror(-rc));
        if (rc == -ENOMEM)
                diag_err(d, rc, "out of memory");
        free(buf);
        report_release(&rp);
        return rc;
}

static const struct node_type node_report = {
        .name = "report", .object = "report.html", .hash = report_hash, .make = report_make};

/* Every file exported so far: planned last, it sees the bundle and SHA256SUMS. */
static int report_plan(struct graph *g, struct diag *d)
{
        struct node *r = graph_add_node(g, &node_report, NULL, g->app->name, NULL);

        if (!r || asprintf(&r->export_name, "%s.html", g->app->name) < 0)
                return -ENOMEM;
        return collect_exports(g, r, d);
}

const struct output_type out_report = {.name = "report", .plan = report_plan};
