/* der.c: DER elements read with every length checked, and written with definite lengths. */
#include "der.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int der_take(struct der *c, uint8_t tag, struct der *body, struct der *whole)
{
        size_t l, hl = 2;

        if (c->len < 2 || c->p[0] != tag)
                return -EBADMSG;
        l = c->p[1];
        if (l & 0x80) {
                size_t n = l & 0x7f;

                /* Four length bytes are plenty; DER forbids the indefinite form. */
                if (n == 0 || n > 4 || c->len < 2 + n)
                        return -EBADMSG;
                l = 0;
                for (size_t i = 0; i < n; i++)
                        l = l << 8 | c->p[2 + i];
                hl += n;
        }
        if (l > c->len - hl)
                return -EBADMSG;
        if (body) {
                body->p = c->p + hl;
                body->len = l;
        }
        if (whole) {
                whole->p = c->p;
                whole->len = hl + l;
        }
        c->p += hl + l;
        c->len -= hl + l;
        return 0;
}

bool der_oid_is(const struct der *body, const uint8_t *oid, size_t oid_len)
{
        return body->len == oid_len && !memcmp(body->p, oid, oid_len);
}

static bool grow(struct der_out *o, size_t extra)
{
        uint8_t *n;
        size_t cap;

        if (o->failed)
                return false;
        if (o->len + extra <= o->cap)
                return true;
        cap = (o->len + extra) * 2 + 64;
        n = realloc(o->p, cap);
        if (!n) {
                o->failed = true;
                return false;
        }
        o->p = n;
        o->cap = cap;
        return true;
}

void der_put(struct der_out *o, const void *data, size_t len)
{
        if (!grow(o, len))
                return;
        memcpy(o->p + o->len, data, len);
        o->len += len;
}

void der_wrap(struct der_out *o, size_t from, uint8_t tag)
{
        size_t body = o->len - from, hl;
        uint8_t hdr[2 + sizeof(size_t)];

        hdr[0] = tag;
        if (body < 0x80) {
                hdr[1] = (uint8_t)body;
                hl = 2;
        } else {
                /* DER wants the fewest length bytes. */
                size_t n = 0;

                for (size_t v = body; v; v >>= 8)
                        n++;
                hdr[1] = (uint8_t)(0x80 | n);
                for (size_t i = 0; i < n; i++)
                        hdr[2 + i] = (uint8_t)(body >> (8 * (n - 1 - i)));
                hl = 2 + n;
        }
        if (!grow(o, hl))
                return;
        memmove(o->p + from + hl, o->p + from, body);
        memcpy(o->p + from, hdr, hl);
        o->len += hl;
}

void der_out_release(struct der_out *o)
{
        free(o->p);
        memset(o, 0, sizeof(*o));
}
