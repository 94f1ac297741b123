/* html.c: HTML escaping, and replacing one section of a page atomically. */
#include "html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fsutil.h"

void html_put(FILE *f, const char *s)
{
        for (; s && *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&#39;", f); break;
                default: fputc(*s, f);
                }
}

int html_replace_section(const char *path, const char *id, const char *section, size_t len)
{
        _cleanup_free_ char *page = NULL, *open = NULL, *out = NULL;
        const char *a, *b;
        size_t n = 0, head, tail;
        int r = read_file(path, &page, &n);

        if (r < 0)
                return r;
        if (asprintf(&open, "<section id=\"%s\">", id) < 0)
                return -ENOMEM;
        a = strstr(page, open);
        b = a ? strstr(a, "</section>") : NULL;
        if (!b)
                return -ENOENT;
        head = (size_t)(a - page);
        b += strlen("</section>");
        tail = n - (size_t)(b - page);
        out = malloc(head + len + tail + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, page, head);
        memcpy(out + head, section, len);
        memcpy(out + head + len, b, tail);
        return write_file_atomic(path, out, head + len + tail, 0644);
}
