/* jsonw.c: a small pretty-printing JSON writer, keys in call order (stable output). */
#include "jsonw.h"

#include <inttypes.h>

#include "util/json.h"

/* Comma, newline and indentation before a value, then its key. */
static void lead(struct jsonw *w, const char *key)
{
        if (w->depth > 0) {
                if (!w->first[w->depth])
                        fputc(',', w->f);
                w->first[w->depth] = false;
                fputc('\n', w->f);
                for (int i = 0; i < w->depth; i++)
                        fputs("  ", w->f);
        }
        if (key) {
                json_put_str(w->f, key);
                fputs(": ", w->f);
        }
}

static void open_(struct jsonw *w, const char *key, char c)
{
        lead(w, key);
        fputc(c, w->f);
        if (w->depth < JSONW_DEPTH - 1)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_(struct jsonw *w, char c)
{
        bool empty = w->first[w->depth];

        if (w->depth > 0)
                w->depth--;
        if (!empty) {
                fputc('\n', w->f);
                for (int i = 0; i < w->depth; i++)
                        fputs("  ", w->f);
        }
        fputc(c, w->f);
        if (w->depth == 0)
                fputc('\n', w->f);
}

void jw_obj(struct jsonw *w, const char *key)
{
        open_(w, key, '{');
}
void jw_arr(struct jsonw *w, const char *key)
{
        open_(w, key, '[');
}
void jw_end_obj(struct jsonw *w)
{
        close_(w, '}');
}
void jw_end_arr(struct jsonw *w)
{
        close_(w, ']');
}

void jw_str(struct jsonw *w, const char *key, const char *v)
{
        lead(w, key);
        json_put_str(w->f, v);
}

void jw_int(struct jsonw *w, const char *key, int64_t v)
{
        lead(w, key);
        fprintf(w->f, "%" PRId64, v);
}

void jw_bool(struct jsonw *w, const char *key, bool v)
{
        lead(w, key);
        fputs(v ? "true" : "false", w->f);
}
