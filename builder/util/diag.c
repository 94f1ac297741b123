/* diag.c: error message collection. */
#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(struct diag *d, char *s, bool placed)
{
        char **n;
        bool *p;

        if (!s)
                return;
        n = realloc(d->msgs, (d->n + 1) * sizeof(*n));
        if (n)
                d->msgs = n;
        p = n ? realloc(d->placed, (d->n + 1) * sizeof(*p)) : NULL;
        if (p)
                d->placed = p;
        if (!n || !p) {
                free(s);
                return;
        }
        d->placed[d->n] = placed;
        d->msgs[d->n++] = s;
}

int diag_verr(struct diag *d, int err, const char *fmt, va_list ap)
{
        char *s = NULL;

        if (d && vasprintf(&s, fmt, ap) >= 0)
                push(d, s, false);
        return err;
}

int diag_err(struct diag *d, int err, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        diag_verr(d, err, fmt, ap);
        va_end(ap);
        return err;
}

int diag_at(struct diag *d, const struct mark *m, const char *fmt, ...)
{
        char *body = NULL, *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&body, fmt, ap);
        va_end(ap);
        if (r < 0 || !d) {
                free(body);
                return -EINVAL;
        }
        if (m && m->file && m->line > 0)
                r = asprintf(&s, "%s:%d:%d: %s", m->file, m->line, m->col, body);
        else if (m && m->file)
                r = asprintf(&s, "%s: %s", m->file, body);
        else {
                s = body;
                body = NULL;
                r = 0;
        }
        free(body);
        if (r >= 0)
                push(d, s, m && m->file && m->line > 0);
        return -EINVAL;
}

int diag_ventry(struct diag *d, int err, const char *container, const char *entry, const char *fmt,
                va_list ap)
{
        char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        diag_err(d, err, "%s: entry \"%s\": %s", container, entry, msg);
        free(msg);
        return err;
}

void diag_move(struct diag *dst, struct diag *src)
{
        for (size_t i = 0; i < src->n; i++)
                push(dst, src->msgs[i], src->placed[i]);
        free(src->msgs);
        free(src->placed);
        src->msgs = NULL;
        src->placed = NULL;
        src->n = 0;
}

void diag_print(const struct diag *d, const char *prefix)
{
        for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "%s%s\n", prefix ? prefix : "", d->msgs[i]);
}

void diag_print_unplaced(const struct diag *d, const char *prefix)
{
        for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "%s%s\n", d->placed[i] ? "" : prefix, d->msgs[i]);
}

void diag_release(struct diag *d)
{
        if (!d)
                return;
        for (size_t i = 0; i < d->n; i++)
                free(d->msgs[i]);
        free(d->msgs);
        free(d->placed);
        d->msgs = NULL;
        d->placed = NULL;
        d->n = 0;
}

char *diag_join(const struct diag *d, const char *sep)
{
        size_t len = 1;
        char *s;

        for (size_t i = 0; i < d->n; i++)
                len += strlen(d->msgs[i]) + strlen(sep);
        if (!(s = calloc(1, len)))
                return NULL;
        for (size_t i = 0; i < d->n; i++) {
                if (i)
                        strcat(s, sep);
                strcat(s, d->msgs[i]);
        }
        return s;
}
