/* suggest.h: "did you mean": the closest of a list of names to a mistyped one. */
#pragma once

#include <stddef.h>

/* The name in names (n of them) nearest to word by edit distance (a swap of two
 * neighbours counts as one), when it is close enough to be a typo: at most one
 * edit for short words, about a third of the word's length for longer ones.
 * NULL when none is. */
const char *suggest(const char *word, const char *const *names, size_t n);
/* names joined with ", " into buf (cut short when it is full): the "expected one
 * of" of a message. Returns buf. */
char *names_join(const char *const *names, size_t n, char *buf, size_t len);
