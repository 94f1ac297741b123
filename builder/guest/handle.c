/* handle.c: libguestfs handles opened, launched and closed with pocbake's settings and messages. */
#include "guestint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

int guest_accel_settings(const char **settings)
{
        const char *v = getenv("POCBAKE_ACCEL");

        *settings = NULL;
        if (!v || !*v || !strcmp(v, "auto"))
                return 0; /* libguestfs picks KVM when it can, TCG otherwise */
        if (!strcmp(v, "kvm"))
                return 0;
        if (!strcmp(v, "tcg")) {
                *settings = "force_tcg";
                return 0;
        }
        return -EINVAL;
}

/* libguestfs passes on tools' output: several lines, runs of blanks. One line for the diag. */
static char *one_line(const char *s)
{
        char *out = strdup(s ? s : "failed"), *w = out;
        bool blank = true;

        for (const char *p = out; out && *p; p++) {
                bool sp = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';

                if (sp && blank)
                        continue;
                *w++ = sp ? ' ' : *p;
                blank = sp;
        }
        if (out) {
                while (w > out && w[-1] == ' ')
                        w--;
                *w = '\0';
        }
        return out;
}

int gfail(struct diag *d, guestfs_h *g, const char *image, const char *fmt, ...)
{
        _cleanup_free_ char *step = NULL, *why = one_line(g ? guestfs_last_error(g) : NULL);
        int err = g ? guestfs_last_errno(g) : 0;
        const char *base = image ? strrchr(image, '/') : NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&step, fmt, ap) < 0)
                step = NULL;
        va_end(ap);
        base = base ? base + 1 : image;
        diag_err(d, -EIO, "%s: %s: %s", base ? base : "(image)", step ? step : "(out of memory)",
                 why ? why : "failed");
        return err > 0 ? -err : -EIO;
}

int guest_open(const char *image, const char *format, bool readonly, guestfs_h **out,
               struct diag *d)
{
        const char *settings;
        guestfs_h *g;

        *out = NULL;
        if (guest_accel_settings(&settings) < 0)
                return diag_err(d, -EINVAL,
                                "POCBAKE_ACCEL \"%s\" is not valid (expected auto, kvm or tcg)",
                                getenv("POCBAKE_ACCEL"));
        if (gfs_load(d) < 0)
                return -ENOENT;
        g = guestfs_create_flags(GUESTFS_CREATE_NO_CLOSE_ON_EXIT);
        if (!g)
                return diag_err(d, -ENOMEM, "%s: cannot create a libguestfs handle", image);
        /* errors are collected into the diag, not printed by the library */
        guestfs_set_error_handler(g, NULL, NULL);
        if (settings && !getenv("LIBGUESTFS_BACKEND_SETTINGS")) {
                char *const bs[] = {(char *)settings, NULL};

                if (guestfs_set_backend_settings(g, bs) < 0)
                        goto fail_set;
        }
        if (guestfs_add_drive_opts(g, image, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format,
                                   GUESTFS_ADD_DRIVE_OPTS_READONLY, readonly ? 1 : 0, -1) < 0) {
                gfail(d, g, image, "add drive");
                guestfs_close(g);
                return -EIO;
        }
        if (guestfs_launch(g) < 0) {
                gfail(d, g, image, "launch");
                guestfs_close(g);
                return -EIO;
        }
        *out = g;
        return 0;
fail_set:
        gfail(d, g, image, "backend settings");
        guestfs_close(g);
        return -EIO;
}

int guest_finish(guestfs_h *g, const char *image, struct diag *d)
{
        int r = 0;

        if (!g)
                return 0;
        /* shutdown reports write-back errors that close would swallow */
        if (guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0)
                r = gfail(d, g, image, "shutdown");
        guestfs_close(g);
        return r;
}

void guest_closep(guestfs_h **g)
{
        if (*g)
                guestfs_close(*g);
        *g = NULL;
}

void guest_free_strings(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

void guest_free_stringsp(char ***v)
{
        guest_free_strings(*v);
}
