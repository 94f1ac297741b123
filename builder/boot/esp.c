/* esp.c: writes the ESP tree: db-signed systemd-boot and UKIs, loader.conf, enrollment keys. */
#include "esp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "sign/sign.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

DEFINE_TRIVIAL_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP(X509 *, X509_free)

static const char *const enroll_names[] = {"force", "manual", "off"};
static const char *const auth_names[] = {"PK", "KEK", "db"};

int esp_enroll_parse(const char *s, enum esp_enroll *e)
{
        for (size_t i = 0; i < ARRAY_SIZE(enroll_names); i++)
                if (strcmp(s, enroll_names[i]) == 0) {
                        *e = (enum esp_enroll)i;
                        return 0;
                }
        return -EINVAL;
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');

        return s ? s + 1 : p;
}

static int need_file(const char *what, const char *path, struct diag *d)
{
        if (access(path, R_OK) < 0)
                return diag_err(d, -errno, "%s \"%s\": %s", what, path, strerror(errno));
        return 0;
}

/* Everything is checked before the first byte is written. */
static int esp_check(const struct esp_spec *s, struct diag *d)
{
        int r = need_file("loader", s->loader ? s->loader : ESP_DEFAULT_LOADER, d);

        if (!s->n_ukis)
                r = diag_err(d, -EINVAL, "no unified kernel image for the ESP");
        for (size_t i = 0; i < s->n_ukis; i++) {
                const char *b = base_name(s->ukis[i]);
                size_t l = strlen(b);

                if (need_file("unified kernel image", s->ukis[i], d) < 0)
                        r = -ENOENT;
                else if (l < 5 || strcasecmp(b + l - 4, ".efi"))
                        r = diag_err(d, -EINVAL,
                                     "unified kernel image \"%s\": the name must end "
                                     "in .efi for systemd-boot to list it",
                                     s->ukis[i]);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(b, base_name(s->ukis[j])) == 0)
                                r = diag_err(d, -EEXIST, "two unified kernel images named \"%s\"",
                                             b);
        }
        for (size_t i = 0; s->keydir && s->enroll != ESP_ENROLL_OFF && i < ARRAY_SIZE(auth_names);
             i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s.auth", s->keydir, auth_names[i]) < 0)
                        return -ENOMEM;
                if (need_file("enrollment file (run \"pocbake keys enroll\")", p, d) < 0)
                        r = -ENOENT;
        }
        return r;
}

/* loader.conf from its template: @TIMEOUT@, @DEFAULT@ and @ENROLL@. */
static int write_loader_conf(const struct esp_spec *s, const char *dir, struct diag *d)
{
        _cleanup_free_ char *tpl_path =
                s->loader_conf ? strdup(s->loader_conf) : data_path("firmware/loader.conf");
        _cleanup_free_ char *tpl = NULL, *out = NULL, *path = NULL;
        size_t len, outlen = 0;
        FILE *f;
        int r;

        if (!tpl_path)
                return diag_err(d, -ENOENT,
                                "cannot find firmware/loader.conf in the data "
                                "directory (set POCBAKE_DATADIR)");
        r = read_file(tpl_path, &tpl, &len);
        if (r < 0)
                return diag_err(d, r, "cannot read \"%s\": %s", tpl_path, strerror(-r));
        f = open_memstream(&out, &outlen);
        if (!f)
                return -ENOMEM;
        for (const char *p = tpl; *p;) {
                const char *at = strchr(p, '@');
                const char *end = at ? strchr(at + 1, '@') : NULL;

                if (!end) {
                        fputs(p, f);
                        break;
                }
                fprintf(f, "%.*s", (int)(at - p), p);
                if (!strncmp(at, "@TIMEOUT@", 9))
                        fprintf(f, "%u", s->timeout);
                else if (!strncmp(at, "@DEFAULT@", 9))
                        fputs(s->default_uki ? s->default_uki : base_name(s->ukis[0]), f);
                else if (!strncmp(at, "@ENROLL@", 8))
                        fputs(enroll_names[s->enroll], f);
                else
                        r = diag_err(d, -EINVAL, "%s: unknown placeholder \"%.*s\"", tpl_path,
                                     (int)(end - at + 1), at);
                p = end + 1;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        path = path_join(dir, "loader/loader.conf");
        if (!path)
                return -ENOMEM;
        r = write_file_atomic(path, out, outlen, 0644);
        return r < 0 ? diag_err(d, r, "cannot write \"%s\": %s", path, strerror(-r)) : 0;
}

static int copy_to(const char *in, const char *dir, const char *rel, struct diag *d);

/* Signed with key when there is one, else copied as it is (no keys: an
 * unsigned chain, which boots with Secure Boot off). */
static int sign_to(const char *in, const char *dir, const char *rel, EVP_PKEY *key, X509 *cert,
                   struct diag *d)
{
        _cleanup_free_ char *out = path_join(dir, rel);

        if (!out)
                return -ENOMEM;
        if (!key)
                return copy_to(in, dir, rel, d);
        return authenticode_sign_file(in, out, key, cert, false, d);
}

static int copy_to(const char *in, const char *dir, const char *rel, struct diag *d)
{
        _cleanup_free_ char *out = path_join(dir, rel);
        int r;

        if (!out)
                return -ENOMEM;
        r = copy_file_sparse(in, out, 0644);
        return r < 0 ? diag_err(d, r, "cannot copy \"%s\" to \"%s\": %s", in, out, strerror(-r))
                     : 0;
}

static int make_dirs(const char *dir, bool keys, struct diag *d)
{
        static const char *const dirs[] = {"EFI/BOOT", "EFI/systemd", "EFI/Linux",
                                           "loader/keys/auto"};

        for (size_t i = 0; i < ARRAY_SIZE(dirs) - !keys; i++) {
                _cleanup_free_ char *p = path_join(dir, dirs[i]);
                int r = p ? mkdir_p(p, 0755) : -ENOMEM;

                if (r < 0)
                        return diag_err(d, r, "cannot create \"%s\": %s", p ? p : dirs[i],
                                        strerror(-r));
        }
        return 0;
}

int esp_populate(const struct esp_spec *s, const char *dir, struct diag *d)
{
        _cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
        _cleanup_(X509_freep) X509 *cert = NULL;
        _cleanup_free_ char *kp = NULL, *cp = NULL, *sdboot = NULL;
        int r = esp_check(s, d);

        if (r < 0)
                return r;
        if (s->keydir && (asprintf(&kp, "%s/db.key", s->keydir) < 0 ||
                          asprintf(&cp, "%s/db.crt", s->keydir) < 0))
                return -ENOMEM;
        r = s->keydir ? signing_key_load(kp, cp, &key, &cert, d) : 0;
        if (r < 0)
                return r;
        r = make_dirs(dir, s->keydir && s->enroll != ESP_ENROLL_OFF, d);
        if (r < 0)
                return r;
        /* Sign once; the fallback path gets the same signed bytes. */
        r = sign_to(s->loader ? s->loader : ESP_DEFAULT_LOADER, dir,
                    "EFI/systemd/systemd-bootx64.efi", key, cert, d);
        sdboot = path_join(dir, "EFI/systemd/systemd-bootx64.efi");
        if (r >= 0)
                r = sdboot ? copy_to(sdboot, dir, "EFI/BOOT/BOOTX64.EFI", d) : -ENOMEM;
        for (size_t i = 0; r >= 0 && i < s->n_ukis; i++) {
                _cleanup_free_ char *rel = path_join("EFI/Linux", base_name(s->ukis[i]));

                r = rel ? sign_to(s->ukis[i], dir, rel, key, cert, d) : -ENOMEM;
        }
        for (size_t i = 0;
             r >= 0 && s->keydir && s->enroll != ESP_ENROLL_OFF && i < ARRAY_SIZE(auth_names);
             i++) {
                _cleanup_free_ char *src = NULL, *rel = NULL;

                if (asprintf(&src, "%s/%s.auth", s->keydir, auth_names[i]) < 0 ||
                    asprintf(&rel, "loader/keys/auto/%s.auth", auth_names[i]) < 0)
                        return -ENOMEM;
                r = copy_to(src, dir, rel, d);
        }
        if (r >= 0)
                r = write_loader_conf(s, dir, d);
        return r == -ENOMEM ? diag_err(d, r, "out of memory writing the ESP tree \"%s\"", dir) : r;
}
