/* cmd_sign.c: "pocbake sign efi": Authenticode-sign an EFI binary. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>

#include "cmd.h"
#include "sign/ossl.h"
#include "sign/sign.h"
#include "subcmd.h"

static const char sign_efi_usage[] =
        "usage: pocbake sign efi IN -o OUT --key KEY|URI --cert CERT [--append]\n\n"
        "Authenticode-sign the PE/EFI binary IN (SHA-256) into OUT, written atomically.\n"
        "A signature already there is replaced; --append adds one more instead.\n"
        "KEY is a PEM file only its owner can read, or an OpenSSL store URI\n"
        "(file:/path, pkcs11:... with a provider loaded by openssl.cnf).\n";

static int sign_efi(int argc, char **argv)
{
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'}, {"key", required_argument, NULL, 'k'},
                {"cert", required_argument, NULL, 'c'},   {"append", no_argument, NULL, 'a'},
                {"help", no_argument, NULL, 'h'},         {0},
        };
        _cleanup_pkey_ EVP_PKEY *key = NULL;
        _cleanup_x509_ X509 *cert = NULL;
        const char *out = NULL, *keyp = NULL, *certp = NULL;
        struct diag d = {0};
        bool append = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'k': keyp = optarg; break;
                case 'c': certp = optarg; break;
                case 'a': append = true; break;
                case 'h': fputs(sign_efi_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("sign efi", "o:h", opts, argv);
                }
        }
        if (!out || !keyp || !certp)
                return cmd_usage_error("sign efi", "missing%s%s%s", !out ? " -o OUT" : "",
                                       !keyp ? " --key KEY" : "", !certp ? " --cert CERT" : "");
        if (optind == argc)
                return cmd_usage_error("sign efi", "expected IN, the EFI binary to sign");
        if (optind != argc - 1)
                return cmd_usage_error("sign efi", "expected one IN, got \"%s\" too",
                                       argv[optind + 1]);
        r = signing_key_load(keyp, certp, &key, &cert, &d);
        if (r >= 0)
                r = authenticode_sign_file(argv[optind], out, key, cert, append, &d);
        /* a key that does not load is the user's to fix; a signing that fails is not */
        return cmd_finish(&d, "pocbake sign efi: ", r < 0 && !key ? -EINVAL : r);
}

static const struct subcmd sign_table[] = {
        {"efi", sign_efi, "Authenticode-sign a PE/EFI binary"},
};

int cmd_sign(int argc, char **argv)
{
        return subcmd_run("sign", sign_table, sizeof(sign_table) / sizeof(sign_table[0]), argc,
                          argv);
}
