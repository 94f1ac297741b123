/* der.h: a minimal DER reader and writer for a few fixed structures (private to sign/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DER_SEQUENCE     0x30
#define DER_OID          0x06
#define DER_NULL         0x05
#define DER_OCTET_STRING 0x04
#define DER_BIT_STRING   0x03
#define DER_CTX(n)       (0x80 | (n)) /* [n] IMPLICIT, primitive */
#define DER_CTX_CONS(n)  (0xa0 | (n)) /* [n], constructed */

struct der {
        const uint8_t *p;
        size_t len;
};

/* Take the next element of c if its tag is tag: body gets its contents and, when
 * whole is not NULL, whole gets the element with its header. -EBADMSG otherwise. */
int der_take(struct der *c, uint8_t tag, struct der *body, struct der *whole);
/* 1 when body holds exactly these OID content bytes. */
bool der_oid_is(const struct der *body, const uint8_t *oid, size_t oid_len);

/* A growing output buffer; on allocation failure it stays marked failed. */
struct der_out {
        uint8_t *p;
        size_t len, cap;
        bool failed;
};
void der_put(struct der_out *o, const void *data, size_t len);
/* Wrap everything written since from (an earlier o->len) in a tag and length. */
void der_wrap(struct der_out *o, size_t from, uint8_t tag);
void der_out_release(struct der_out *o);
