/* suggest.c: optimal string alignment distance over a list of names. */
#include "suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 64

static size_t min3(size_t a, size_t b, size_t c)
{
        size_t m = a < b ? a : b;

        return m < c ? m : c;
}

/* Edits (insert, delete, substitute, swap neighbours) from a to b; both at most
 * WORD_MAX long. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
        static size_t d[WORD_MAX + 1][WORD_MAX + 1];

        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = a[i - 1] != b[j - 1];

                        d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < d[i][j])
                                d[i][j] = d[i - 2][j - 2] + 1;
                }
        return d[la][lb];
}

const char *suggest(const char *word, const char *const *names, size_t n)
{
        size_t lw = word ? strlen(word) : 0, best = (size_t)-1, limit;
        const char *pick = NULL;

        if (!lw || lw > WORD_MAX)
                return NULL;
        limit = lw <= 4 ? 1 : (lw + 2) / 3;
        for (size_t i = 0; i < n; i++) {
                size_t ln = names[i] ? strlen(names[i]) : 0, k;

                if (!ln || ln > WORD_MAX || !strcmp(word, names[i]))
                        continue;
                k = distance(word, lw, names[i], ln);
                if (k < best) {
                        best = k;
                        pick = names[i];
                }
        }
        return best <= limit ? pick : NULL;
}

char *names_join(const char *const *names, size_t n, char *buf, size_t len)
{
        size_t o = 0;

        if (len)
                buf[0] = 0;
        for (size_t i = 0; i < n && o + 1 < len; i++) {
                int k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);

                if (k < 0)
                        break;
                o += (size_t)k < len - o ? (size_t)k : len - o - 1;
        }
        return buf;
}
