/* hash.c: SHA-256 helpers over OpenSSL EVP. */
#include "hash.h"
#include "cleanup.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Setting a context up and freeing it take OpenSSL's own locks (the algorithm is
 * fetched from its store). A thread of this process hashing (the build's export
 * thread) could hold one at the moment another thread forks a worker, and the
 * worker would wait for it forever at its first signature. So those calls hold
 * this mutex, and fork waits for it (pthread_atfork): a child never starts with
 * one of OpenSSL's locks taken. Updates take no lock and run outside. */
static pthread_mutex_t ossl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ossl_once = PTHREAD_ONCE_INIT;

static void ossl_enter(void)
{
        pthread_mutex_lock(&ossl_lock);
}

static void ossl_leave(void)
{
        pthread_mutex_unlock(&ossl_lock);
}

static void ossl_at_fork(void)
{
        pthread_atfork(ossl_enter, ossl_leave, ossl_leave);
}

int hasher_init(struct hasher *h)
{
        EVP_MD_CTX *c;
        int rc = 0;

        pthread_once(&ossl_once, ossl_at_fork);
        ossl_enter();
        h->ctx = NULL;
        c = EVP_MD_CTX_new();
        if (!c)
                rc = -ENOMEM;
        else if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(c);
                rc = -EIO;
        } else
                h->ctx = c;
        ossl_leave();
        return rc;
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
        int ok;

        ossl_enter();
        ok = EVP_DigestFinal_ex(h->ctx, out, &n) == 1 && n == SHA256_LEN;
        ossl_leave();
        hasher_release(h);
        return ok ? 0 : -EIO;
}

void hasher_release(struct hasher *h)
{
        if (!h->ctx)
                return;
        ossl_enter();
        EVP_MD_CTX_free(h->ctx);
        ossl_leave();
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

static __thread hasher_watch_fn watch_fn;
static __thread void *watch_ctx;

void hasher_watch(hasher_watch_fn fn, void *ctx)
{
        watch_fn = fn;
        watch_ctx = ctx;
}

int hasher_file(struct hasher *h, const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        r = feed_fd(h, fd);
        return r < 0 || !watch_fn ? r : watch_fn(watch_ctx, path, NULL);
}

int sha256_file(const char *path, uint8_t out[SHA256_LEN])
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct hasher h;
        int r = hasher_init(&h);

        if (r < 0)
                return r;
        r = fd < 0 ? -errno : feed_fd(&h, fd);
        if (r < 0) {
                hasher_release(&h);
                return r;
        }
        return hasher_final(&h, out);
}

/* A tree is walked once in name order into a list; the regular files' digests are
 * then computed on every core, and the list is fed into the tree's hasher in order.
 * The result does not depend on the number of threads. */
struct tree_ent {
        char *rel;
        char *path; /* regular files only, until hashed */
        char *link; /* symlink target */
        struct stat st;
        uint8_t digest[SHA256_LEN];
        int err;
};

struct tree_list {
        struct tree_ent *v;
        size_t n, cap;
        size_t next; /* next file to hash, taken atomically by the workers */
};

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
        return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

static int tree_walk(struct tree_list *t, const char *path, const char *rel);

static int tree_dir(struct tree_list *t, const char *path, const char *rel)
{
        struct dirent **list = NULL;
        int n = scandir(path, &list, skip_dots, cmp_names), r = 0;

        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(path, list[i]->d_name);
                _cleanup_free_ char *q = path_join(rel, list[i]->d_name);

                if (r >= 0)
                        r = (p && q) ? tree_walk(t, p, q) : -ENOMEM;
                free(list[i]);
        }
        free(list);
        return r;
}

static int tree_walk(struct tree_list *t, const char *path, const char *rel)
{
        struct tree_ent *e;

        if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 256;
                struct tree_ent *v = realloc(t->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                t->v = v;
                t->cap = cap;
        }
        e = &t->v[t->n];
        memset(e, 0, sizeof(*e));
        if (lstat(path, &e->st) < 0)
                return -errno;
        if (!(e->rel = strdup(rel)))
                return -ENOMEM;
        t->n++;
        if (S_ISLNK(e->st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(path, target, sizeof(target) - 1);

                if (n < 0)
                        return -errno;
                target[n] = 0;
                return (e->link = strdup(target)) ? 0 : -ENOMEM;
        }
        if (S_ISREG(e->st.st_mode))
                return (e->path = strdup(path)) ? 0 : -ENOMEM;
        if (S_ISDIR(e->st.st_mode))
                return tree_dir(t, path, rel);
        return 0;
}

static void *tree_hash_worker(void *arg)
{
        struct tree_list *t = arg;

        for (;;) {
                size_t i = __atomic_fetch_add(&t->next, 1, __ATOMIC_RELAXED);

                if (i >= t->n)
                        return NULL;
                if (t->v[i].path)
                        t->v[i].err = sha256_file(t->v[i].path, t->v[i].digest);
        }
}

static int tree_hash_files(struct tree_list *t)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus, started = 0;
        pthread_t th[8];

        t->next = 0;
        for (size_t i = 1; i < n; i++)
                if (pthread_create(&th[started], NULL, tree_hash_worker, t) == 0)
                        started++;
        tree_hash_worker(t); /* this thread works too, so no thread is also fine */
        for (size_t i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i].err < 0)
                        return t->v[i].err;
        return 0;
}

int hasher_tree(struct hasher *h, const char *path)
{
        struct tree_list t = {0};
        int r = tree_walk(&t, path, "");

        if (r >= 0)
                r = tree_hash_files(&t);
        for (size_t i = 0; i < t.n; i++) {
                struct tree_ent *e = &t.v[i];

                if (r >= 0) {
                        hasher_str(h, e->rel);
                        hasher_u64(h, e->st.st_mode);
                        if (S_ISLNK(e->st.st_mode)) {
                                hasher_str(h, e->link);
                        } else if (S_ISREG(e->st.st_mode)) {
                                hasher_u64(h, (uint64_t)e->st.st_size);
                                hasher_update(h, e->digest, SHA256_LEN);
                                if (watch_fn)
                                        r = watch_fn(watch_ctx, e->path, e->digest);
                        } else if (!S_ISDIR(e->st.st_mode)) {
                                hasher_u64(h, e->st.st_rdev);
                        }
                }
                free(e->rel);
                free(e->path);
                free(e->link);
        }
        free(t.v);
        return r;
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
