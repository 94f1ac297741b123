/* html.h: text into HTML, and one section of a page replaced in place. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* s escaped for element content and attribute values alike. */
void html_put(FILE *f, const char *s);
/* The page at path with its <section id="ID">…</section> replaced by section
 * (written to a temp file beside it and renamed over it). -ENOENT when the page
 * or the section is not there. */
int html_replace_section(const char *path, const char *id, const char *section, size_t len);
