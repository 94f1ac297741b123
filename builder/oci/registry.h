/* registry.h: a client for an OCI distribution registry over libcurl: blobs, manifests, auth. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

/* "sha256:" and 64 hex digits, NUL */
#define OCI_DIGEST 72

#define OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

struct oci_remote {
        char *host;     /* HOST[:PORT] */
        char *repo;     /* the repository, lower case, '/'-separated */
        bool tls;       /* https (the default); false with --remote-cache-insecure */
        char *userpass; /* "user:password" from the auth file, or NULL */
        char *authz;    /* the Authorization header that the registry took last */
        char *ca_file;  /* $SSL_CERT_FILE: the CA certificates TLS trusts, or NULL */
        void *curl;     /* CURL *, kept so that the connection is reused */
        long timeout;   /* seconds a request may take at most; 0: none */
};

/* Parse "oci://HOST[:PORT]/REPO" (REPO of [a-z0-9._/-] components) into r and
 * read the credentials for HOST from $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json, else ~/.docker/config.json (the
 * "auths" object: "auth" is base64 of "user:password"). -EINVAL with a message
 * saying what was expected. */
int oci_remote_open(struct oci_remote *r, const char *url, bool insecure, struct diag *d);
void oci_remote_close(struct oci_remote *r);

/* "HOST/REPO" with a tag or digest, as a reference is written. */
int oci_ref_parse(const char *ref, bool insecure, struct oci_remote *r, char **tag, char **digest,
                  struct diag *d);

/* The manifest ref (a tag or a digest) as its bytes (*body, malloc'd, at most
 * 4 MiB) and the digest of those bytes. -ENOENT when the registry has none; a
 * digest ref whose bytes do not match is -EBADMSG. */
int oci_manifest_get(struct oci_remote *r, const char *ref, char **body, size_t *len,
                     char digest[OCI_DIGEST], struct diag *d);
/* Whether the manifest ref is there (0) or not (-ENOENT), by a HEAD request. */
int oci_manifest_exists(struct oci_remote *r, const char *ref, struct diag *d);
/* Put body as the manifest ref (a tag, or NULL: by its digest); its digest in
 * digest. */
int oci_manifest_put(struct oci_remote *r, const char *ref, const char *media_type,
                     const void *body, size_t len, char digest[OCI_DIGEST], struct diag *d);

/* Whether the registry holds the blob (0) or not (-ENOENT). */
int oci_blob_exists(struct oci_remote *r, const char *digest, struct diag *d);
/* Upload the file at path (digest and size known) unless it is there already. */
int oci_blob_put_file(struct oci_remote *r, const char *path, const char *digest, uint64_t size,
                      struct diag *d);
int oci_blob_put_mem(struct oci_remote *r, const void *buf, size_t len, char digest[OCI_DIGEST],
                     struct diag *d);
/* Fetch the blob into fd (at its offset 0), checking its size and that its bytes
 * have its digest (-EBADMSG when not). */
int oci_blob_get_fd(struct oci_remote *r, const char *digest, uint64_t size, int fd,
                    struct diag *d);
/* The same into memory (*out malloc'd), for blobs of at most max bytes. */
int oci_blob_get_mem(struct oci_remote *r, const char *digest, uint64_t size, size_t max,
                     char **out, struct diag *d);

/* "sha256:HEX" of a file's bytes and its size. */
int oci_digest_file(const char *path, char digest[OCI_DIGEST], uint64_t *size);
void oci_digest_mem(const void *buf, size_t len, char digest[OCI_DIGEST]);
/* Whether s is "sha256:" and 64 lower-case hex digits. */
bool oci_digest_valid(const char *s);

/* The value of key in a WWW-Authenticate challenge (key="value" or key=value),
 * malloc'd, or NULL. */
char *oci_challenge_param(const char *challenge, const char *key);
