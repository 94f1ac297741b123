/* bundle.h: the signed CI bundle: artifacts, manifest, signed SHA256SUMS, SPDX SBOM, provenance. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/diag.h"
#include "dpkg.h"

struct bundle_item {
        const char *path; /* path inside the bundle, e.g. "MAS-DC01/MAS-DC01.qcow2" */
        const char *src;  /* the file to read */
        const char *role; /* NULL or "": none */
        const char *kind; /* "disk", "iso", "pxe", ...; NULL: "file" */
};

/* Packages that went into the bundle's files (SPDX packages): those installed in
 * one role's root, or a build host package whose file a node read (the kernel,
 * busybox, systemd-boot). The files that contain them: the paths in (bundle item
 * paths); when in is NULL, every item of role. */
struct bundle_pkgs {
        const char *role;
        const struct dpkg_pkg *v;
        size_t n;
        const char *const *in;
        size_t n_in;
        const char *origin; /* "root of ROLE", "build host": the SPDX comment */
};

/* A bundle file that carries another (the host image its roles' disks). */
struct bundle_contains {
        const char *outer, *inner; /* item paths */
};

/* A file pocbake put into the bundle's images (an overlay's file, a data file
 * such as the initrd's init): an SPDX file of its own, which the files in (item
 * paths) contain. */
struct bundle_infile {
        const char *name; /* as the provenance names it */
        const char *src;  /* the file to hash */
        const char *const *in;
        size_t n_in;
};

/* A file the build read (provenance resolvedDependencies). */
struct bundle_dep {
        const char *name;   /* relative to the recipe's tree, or the host path */
        const char *src;    /* the file to hash */
        const char *sha256; /* its digest when known already (hex), or NULL */
};

/* An output left out of the bundle because another member is the same disk in
 * another format: the manifest says which member and how to get it back. */
struct bundle_derived {
        const char *path;   /* the output's path, e.g. "MAS-DC01/MAS-DC01.raw" */
        const char *from;   /* the member that holds the same disk */
        const char *format; /* qemu-img's name for the output's format: "raw", "vhdx" */
};

struct bundle_spec {
        const struct bundle_item *items;
        size_t n_items;
        const struct bundle_derived *derived; /* listed in manifest.json's "derived" */
        size_t n_derived;
        const struct bundle_pkgs *pkgs;
        size_t n_pkgs;
        const struct bundle_contains *contains;
        size_t n_contains;
        const struct bundle_infile *infiles;
        size_t n_infiles;
        const struct bundle_dep *deps;
        size_t n_deps;
        const char *const *roles; /* externalParameters.roles */
        size_t n_roles;
        const char *recipe;        /* externalParameters.recipe; NULL: "" */
        const char *profile;       /* externalParameters.profile; NULL: "" */
        const char *recipe_digest; /* 64 hex; NULL: derived from the deps, else the artifacts */
        const char *key;           /* code-signing key (PEM path or OSSL_STORE URI) */
        const char *cert;          /* its certificate */
        int64_t epoch;             /* SOURCE_DATE_EPOCH: every mtime and timestamp */
};

/* The metadata members, written after the artifacts (each artifact is hashed as
 * it streams into the archive, so its digest is known only then). */
extern const char *const bundle_meta_names[5];

/* Check the spec, then write out_tar_zst (zstd -3) and, when not NULL,
 * out_tar_gz (gzip, no name or time in its header) in one pass over each input:
 * pax restricted entries, artifacts sorted by path then the metadata sorted,
 * mtime epoch, owner 0/0 root/root, mode 0644 or 0755. Both appear whole or
 * not at all; same inputs give the same bytes. */
int bundle_write(const struct bundle_spec *s, const char *out_tar_zst, const char *out_tar_gz,
                 struct diag *d);

/* Read a bundle (tar, tar.gz or tar.zst) without unpacking it: every member
 * hashed as it streams, SHA256SUMS.sig checked against anchor, every listed
 * member present with its digest, no unlisted member, manifest.json agreeing.
 * -EBADMSG with one message per problem ("bundle member X: sha256 mismatch"). */
int bundle_verify_file(const char *path, X509 *anchor, size_t *members, struct diag *d);
int bundle_verify_mem(const void *buf, size_t len, X509 *anchor, size_t *members, struct diag *d);
