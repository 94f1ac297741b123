/* cmd_verify.c: "pocbake verify <kind>": check signatures; one row per kind of deliverable. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "sign/ossl.h"
#include "sign/sign.h"
#include "subcmd.h"

static const char verify_efi_usage[] =
        "usage: pocbake verify efi FILE --cert CERT\n\n"
        "Exit 0 when an Authenticode signature of FILE chains to CERT (the trust\n"
        "anchor, PEM or DER) and signs FILE's digest; 1 with the reason otherwise.\n";

static int verify_efi(int argc, char **argv)
{
        static const struct option opts[] = {
                {"cert", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_x509_ X509 *cert = NULL;
        const char *certp = NULL;
        struct diag d = {0};
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'c': certp = optarg; break;
                case 'h': fputs(verify_efi_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("verify efi", "h", opts, argv);
                }
        }
        if (!certp)
                return cmd_usage_error("verify efi",
                                       "missing --cert CERT (the certificate to check against)");
        if (optind == argc)
                return cmd_usage_error("verify efi", "expected FILE, the EFI binary to check");
        if (optind != argc - 1)
                return cmd_usage_error("verify efi", "expected one FILE, got \"%s\" too",
                                       argv[optind + 1]);
        r = x509_load(certp, &cert, &d);
        if (r < 0)
                return cmd_finish(&d, "pocbake verify efi: ", -EINVAL);
        r = authenticode_verify_file(argv[optind], cert, certp, &d);
        if (r < 0)
                return cmd_finish(&d, "pocbake verify efi: ", r);
        cmd_finish(&d, "pocbake verify efi: ", r);
        printf("%s: signature ok (chains to %s)\n", argv[optind], certp);
        return EXIT_DONE;
}

/* Other kinds (image, pxe, bundle) add their rows here. */
static const struct subcmd verify_table[] = {
        {"efi", verify_efi, "check the Authenticode signature of a PE/EFI binary"},
        {"pxe", cmd_verify_pxe, "check a PXE set's SHA256SUMS and per-file CMS signatures"},
        {"bundle", cmd_verify_bundle, "check a CI bundle's members, signature and manifest"},
        {"image", cmd_verify_image, "check a host image's payloads against its embedded manifest"},
};

int cmd_verify(int argc, char **argv)
{
        return subcmd_run("verify", verify_table, sizeof(verify_table) / sizeof(verify_table[0]),
                          argc, argv);
}
