/* cmd_push.c: pocbake push and pull: a built appliance published to an OCI registry and fetched
 * back by digest, verified. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "oci/appliance.h"
#include "sign/ossl.h"
#include "util/cleanup.h"

static const char push_usage[] =
        "usage: pocbake push -o DIR [--insecure] HOST[:PORT]/REPO:TAG\n\n"
        "Publish the appliance built into DIR as one OCI artifact tagged TAG: the files its\n"
        "bundle (DIR/*.tar.zst) signs (the disks, ISO and PXE files its SHA256SUMS lists,\n"
        "and its manifest.json, SBOM and provenance) and SHA256SUMS, each a blob titled by\n"
        "its path. The signature (SHA256SUMS.sig) goes beside it as a second artifact whose\n"
        "subject is the first, tagged sha256-DIGEST.sig. Prints REF@sha256:DIGEST, the\n"
        "digest a lab rig pulls by. Credentials: $REGISTRY_AUTH_FILE or ~/.docker/config.json.\n"
        "  -o, --output DIR   the output directory of the build\n"
        "  --insecure         plain http (a registry on this machine)\n"
        "exit codes: 0 pushed, 1 the registry refused or failed, 2 bad usage or no bundle\n";

static const char pull_usage[] =
        "usage: pocbake pull -o DIR --cert CERT [--insecure] HOST[:PORT]/REPO@sha256:DIGEST\n"
        "       pocbake pull -o DIR --cert CERT [--insecure] HOST[:PORT]/REPO:TAG\n\n"
        "Fetch an appliance pocbake push published into DIR (which must not exist): every\n"
        "blob checked against its digest, SHA256SUMS's signature against CERT (the keys'\n"
        "db.crt, which signed the codesign certificate), every file against SHA256SUMS,\n"
        "nothing unlisted.\n"
        "DIR appears only when all of that holds; on failure nothing is left. Pulled by tag,\n"
        "it prints the digest the tag resolved to, to pin it.\n"
        "  -o, --output DIR   where the files go\n"
        "  --cert CERT        the certificate the signature must chain to\n"
        "  --insecure         plain http (a registry on this machine)\n"
        "exit codes: 0 pulled and verified, 1 failed (nothing written), 2 bad usage\n";

enum { OPT_INSECURE = 256, OPT_CERT, OPT_HELP };

static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"cert", required_argument, NULL, OPT_CERT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
};

struct args {
        const char *out, *cert, *ref;
        bool insecure;
        struct oci_remote r; /* the reference's registry and repository */
        char *tag, *digest;  /* and its tag or digest */
};

static void args_release(struct args *a)
{
        oci_remote_close(&a->r);
        free(a->tag);
        free(a->digest);
}

/* -1: go on; else the exit code. */
static int parse(int argc, char **argv, const char *verb, const char *usage, struct args *a)
{
        int opt;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
                switch (opt) {
                case 'o': a->out = optarg; break;
                case OPT_INSECURE: a->insecure = true; break;
                case OPT_CERT:
                        if (strcmp(verb, "pull"))
                                return cmd_usage_error(verb, "--cert applies to pull");
                        a->cert = optarg;
                        break;
                case OPT_HELP: fputs(usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option(verb, "o:", opts, argv);
                }
        }
        if (!a->out)
                return cmd_usage_error(verb, "expected -o DIR");
        if (optind != argc - 1)
                return cmd_usage_error(verb, "expected one reference (HOST[:PORT]/REPO%s)",
                                       strcmp(verb, "pull") ? ":TAG" : "@sha256:DIGEST or :TAG");
        a->ref = argv[optind];
        {
                struct diag d = {0};
                int rc = -1;

                if (oci_ref_parse(a->ref, a->insecure, &a->r, &a->tag, &a->digest, &d) < 0)
                        rc = cmd_usage_error(verb, "%s", d.n ? d.msgs[0] : a->ref);
                diag_release(&d);
                return rc;
        }
}

int cmd_push(int argc, char **argv)
{
        struct args a = {0};
        struct diag d = {0};
        char digest[OCI_DIGEST];
        size_t files = 0;
        int rc = parse(argc, argv, "push", push_usage, &a);

        if (rc < 0 && (!a.tag || a.digest))
                rc = cmd_usage_error(
                        "push", "%s: expected HOST[:PORT]/REPO:TAG (a tag, not a digest)", a.ref);
        if (rc >= 0) {
                args_release(&a);
                return rc;
        }
        rc = oci_appliance_push(&a.r, a.tag, a.out, digest, &files, &d);
        if (rc >= 0)
                printf("%s/%s@%s\n", a.r.host, a.r.repo, digest);
        args_release(&a);
        if (rc >= 0)
                fprintf(stderr, "pushed %zu files and their signature as %s\n", files, a.ref);
        return cmd_finish(&d, "pocbake push: ", rc == -ENOENT ? -EINVAL : rc);
}

int cmd_pull(int argc, char **argv)
{
        struct args a = {0};
        struct diag d = {0};
        char digest[OCI_DIGEST];
        X509 *anchor = NULL;
        size_t files = 0;
        int rc = parse(argc, argv, "pull", pull_usage, &a);

        if (rc < 0 && !a.cert)
                rc = cmd_usage_error("pull", "expected --cert CERT (the certificate the "
                                             "appliance's signature must chain to)");
        if (rc >= 0) {
                args_release(&a);
                return rc;
        }
        if (x509_load(a.cert, &anchor, &d) < 0) {
                args_release(&a);
                return cmd_finish(&d, "pocbake pull: ", -EINVAL);
        }
        rc = oci_appliance_pull(&a.r, a.digest ? a.digest : a.tag, a.out, anchor, digest, &files,
                                &d);
        if (rc >= 0 && !a.digest)
                printf("%s resolved to %s/%s@%s\n", a.ref, a.r.host, a.r.repo, digest);
        if (rc >= 0)
                fprintf(stderr, "pulled %zu files into %s, verified against %s\n", files, a.out,
                        a.cert);
        args_release(&a);
        X509_free(anchor);
        /* a tag or signature the registry does not have is a failure, not usage */
        return cmd_finish(&d, "pocbake pull: ", rc == -ENOENT ? -EIO : rc);
}
