/* hash.h: SHA-256 through OpenSSL's EVP interface, and content digests of inputs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX 65

struct hasher {
        void *ctx; /* EVP_MD_CTX */
};

int hasher_init(struct hasher *h);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* Length-prefixed string, so that ("ab","c") and ("a","bc") differ. */
void hasher_str(struct hasher *h, const char *s);
void hasher_u64(struct hasher *h, uint64_t v);
int hasher_final(struct hasher *h, uint8_t out[SHA256_LEN]);
void hasher_release(struct hasher *h);

void hex_encode(const uint8_t *in, size_t len, char *out /* 2*len+1 */);
int sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN]);
int sha256_file(const char *path, uint8_t out[SHA256_LEN]);
/* Feed a file's bytes, or a tree's names, types, modes, link targets and file
 * bytes (entries sorted by name), into h. Owners are left to the recipe. */
int hasher_file(struct hasher *h, const char *path);
int hasher_tree(struct hasher *h, const char *path);
/* Told every file hasher_file and hasher_tree read in this thread while set:
 * hasher_file's path (digest NULL: the bytes went into the caller's hasher),
 * and each regular file of a tree with its own SHA-256. NULL fn: none. */
typedef int (*hasher_watch_fn)(void *ctx, const char *path, const uint8_t *digest);
void hasher_watch(hasher_watch_fn fn, void *ctx);

/* A UUID in RFC 4122 byte order (the order of its string form). */
struct uuid {
        uint8_t b[16];
};
#define UUID_STR 37
/* A stable UUID (version 4 and variant bits set) from a purpose and two names:
 * the same recipe gives the same UUIDs on every build. */
void uuid_derive(struct uuid *u, const char *purpose, const char *a, const char *b);
void uuid_format(const struct uuid *u, char out[UUID_STR]);
int uuid_parse(const char *s, struct uuid *u);
