/* manifest.h: OCI image manifests read from untrusted bytes into descriptors, every field checked.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "util/diag.h"

struct oci_desc {
        char *media_type;
        char digest[OCI_DIGEST];
        uint64_t size;
        char *title; /* the org.opencontainers.image.title annotation, or NULL */
};

struct oci_manifest {
        char *artifact_type; /* NULL when it has none */
        struct oci_desc config;
        struct oci_desc *layers;
        size_t n_layers;
        bool has_subject;
        struct oci_desc subject;
};

/* Parse an OCI image manifest: schemaVersion 2, a config and up to max_layers
 * layers, each descriptor with a media type, a "sha256:" digest and a size from 0
 * to 2^53; what names it in messages. -EBADMSG when anything is off. */
int oci_manifest_parse(const char *body, size_t len, size_t max_layers, struct oci_manifest *m,
                       const char *what, struct diag *d);
void oci_manifest_release(struct oci_manifest *m);

/* The treesum listing's content (util/treesum.h) without the stamps: "F DIGEST
 * SIZE PATH" and "L DIGEST PATH" lines, malloc'd; *total: the sum of the sizes.
 * Lines of another form are kept as they are. */
char *oci_treesum_content(const char *sum, uint64_t *total);
