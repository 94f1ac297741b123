/* appliance.h: a built appliance published to a registry as one OCI artifact with its signature
 * beside it, and pulled back verified. */
#pragma once

#include <openssl/x509.h>
#include <stddef.h>

#include "registry.h"

#define OCI_APPLIANCE_ARTIFACT "application/vnd.pocbake.appliance.v1"
#define OCI_SIGNATURE_ARTIFACT "application/vnd.pocbake.signature.v1"

/* Push what the bundle in dir (its one *.tar.zst) signs: the files its SHA256SUMS
 * lists, taken from dir (each must still have the digest the bundle lists) or,
 * for its metadata (manifest.json, SBOM, provenance), from the bundle, and
 * SHA256SUMS itself, as one artifact tagged tag; then SHA256SUMS.sig as a second
 * artifact whose subject is the first, tagged "sha256-HEX.sig" (HEX: the first's
 * digest) so that registries without the referrers API find it too. */
int oci_appliance_push(struct oci_remote *r, const char *tag, const char *dir,
                       char digest[OCI_DIGEST], size_t *files, struct diag *d);

/* Fetch the appliance ref (a tag or a digest; *digest: what it resolved to) into
 * out, which must not exist: every blob checked against its digest, SHA256SUMS's
 * signature against anchor, every file against SHA256SUMS, nothing unlisted. The
 * files appear in out only when all of that holds; on failure nothing is left. */
int oci_appliance_pull(struct oci_remote *r, const char *ref, const char *out, X509 *anchor,
                       char digest[OCI_DIGEST], size_t *files, struct diag *d);
