/* hash.c: SHA-256 helpers over OpenSSL EVP. */
#include "hash.h"
#include "cleanup.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hasher_init(struct hasher *h)
{
        EVP_MD_CTX *c = EVP_MD_CTX_new();

        h->ctx = NULL;
        if (!c)
                return -ENOMEM;
        if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(c);
                return -EIO;
        }
        h->ctx = c;
        return 0;
}

void hasher_update(struct hasher *h, const void *data, size_t len)
{
        if (len)
                EVP_DigestUpdate(h->ctx, data, len);
}

void hasher_u64(struct hasher *h, uint64_t v)
{
        uint8_t b[8];

        for (int i = 0; i < 8; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        hasher_update(h, b, 8);
}

void hasher_str(struct hasher *h, const char *s)
{
        size_t n = s ? strlen(s) : 0;

        hasher_u64(h, s ? n : UINT64_MAX);
        hasher_update(h, s, n);
}

int hasher_final(struct hasher *h, uint8_t out[SHA256_LEN])
{
        unsigned int n = 0;
        int ok = EVP_DigestFinal_ex(h->ctx, out, &n) == 1 && n == SHA256_LEN;

        hasher_release(h);
        return ok ? 0 : -EIO;
}

void hasher_release(struct hasher *h)
{
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
        static const char x[] = "0123456789abcdef";

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = x[in[i] >> 4];
                out[2 * i + 1] = x[in[i] & 15];
        }
        out[2 * len] = 0;
}

int sha256_buf(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
        struct hasher h;
        int r = hasher_init(&h);

        if (r < 0)
                return r;
        hasher_update(&h, data, len);
        return hasher_final(&h, out);
}

static int feed_fd(struct hasher *h, int fd)
{
        char buf[1 << 16];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                hasher_update(h, buf, (size_t)n);
        }
}

int hasher_file(struct hasher *h, const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return feed_fd(h, fd);
}

int sha256_file(const char *path, uint8_t out[SHA256_LEN])
{
        struct hasher h;
        int r = hasher_init(&h);

        if (r < 0)
                return r;
        r = hasher_file(&h, path);
        if (r < 0) {
                hasher_release(&h);
                return r;
        }
        return hasher_final(&h, out);
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
        return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

static int tree_entry(struct hasher *h, const char *path, const char *rel);

static int tree_dir(struct hasher *h, const char *path, const char *rel)
{
        struct dirent **list = NULL;
        int n = scandir(path, &list, skip_dots, cmp_names), r = 0;

        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(path, list[i]->d_name);
                _cleanup_free_ char *q = path_join(rel, list[i]->d_name);

                if (r >= 0)
                        r = (p && q) ? tree_entry(h, p, q) : -ENOMEM;
                free(list[i]);
        }
        free(list);
        return r;
}

static int tree_entry(struct hasher *h, const char *path, const char *rel)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        hasher_str(h, rel);
        hasher_u64(h, st.st_mode);
        if (S_ISLNK(st.st_mode)) {
                char t[PATH_MAX];
                ssize_t n = readlink(path, t, sizeof(t) - 1);

                if (n < 0)
                        return -errno;
                t[n] = 0;
                hasher_str(h, t);
                return 0;
        }
        if (S_ISREG(st.st_mode)) {
                hasher_u64(h, (uint64_t)st.st_size);
                return hasher_file(h, path);
        }
        if (S_ISDIR(st.st_mode))
                return tree_dir(h, path, rel);
        hasher_u64(h, st.st_rdev);
        return 0;
}

int hasher_tree(struct hasher *h, const char *path)
{
        return tree_entry(h, path, "");
}

void uuid_derive(struct uuid *u, const char *purpose, const char *a, const char *b)
{
        uint8_t d[SHA256_LEN];
        struct hasher h;

        memset(d, 0, sizeof(d));
        if (hasher_init(&h) == 0) {
                hasher_str(&h, "pocbake-uuid");
                hasher_str(&h, purpose);
                hasher_str(&h, a);
                hasher_str(&h, b);
                hasher_final(&h, d);
        }
        memcpy(u->b, d, 16);
        u->b[6] = (uint8_t)((u->b[6] & 0x0f) | 0x40);
        u->b[8] = (uint8_t)((u->b[8] & 0x3f) | 0x80);
}

void uuid_format(const struct uuid *u, char out[UUID_STR])
{
        char *p = out;

        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *p++ = '-';
                hex_encode(&u->b[i], 1, p);
                p += 2;
        }
        *p = 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int uuid_parse(const char *s, struct uuid *u)
{
        int i = 0;

        for (const char *p = s; *p && i < 16;) {
                int hi, lo;

                if (*p == '-' && (i == 4 || i == 6 || i == 8 || i == 10)) {
                        p++;
                        continue;
                }
                hi = hexval(p[0]);
                lo = hi < 0 ? -1 : hexval(p[1]);
                if (lo < 0)
                        return -EINVAL;
                u->b[i++] = (uint8_t)(hi << 4 | lo);
                p += 2;
                if (i == 16 && *p)
                        return -EINVAL;
        }
        return i == 16 ? 0 : -EINVAL;
}
