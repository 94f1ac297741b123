/* cmd_media.c: the verbs "pocbake pxe", "pocbake bundle", "pocbake verify pxe" and "pocbake verify
 * bundle". */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "sign/ossl.h"
#include "util/cleanup.h"
#include "util/epoch.h"
#include "util/fsutil.h"
#include "media/bundle.h"
#include "media/media.h"
#include "media/pxe.h"

static const char pxe_usage[] =
        "usage: pocbake pxe -o DIR --kernel VMLINUZ --initrd INITRD --uki NAME.efi --root IMAGE\n"
        "                   [--cmdline STR] --keys KEYDIR [--verify] [--name NAME]\n"
        "                   [--ipxe undionly.kpxe] [--root-url BASE] [--subnet NET]\n"
        "                   [--tftp-root DIR] [--image HOST.raw]\n\n"
        "Write a PXE boot set that a lab can serve as it is: vmlinuz, initrd.img,\n"
        "NAME.efi (the signed UKI, loaded directly by UEFI firmware), root.squashfs or\n"
        "root.erofs, boot.ipxe (BIOS clients, through iPXE), dnsmasq.conf (proxy DHCP\n"
        "and TFTP), README, SHA256SUMS, and a detached CMS signature FILE.sig of each\n"
        "file made with KEYDIR/codesign.{key,crt} (or --key/--cert).\n\n"
        "  --verify      boot.ipxe checks vmlinuz and initrd.img with imgtrust/imgverify\n"
        "                (needs an iPXE built with db.crt as trust root; Debian's has\n"
        "                no such commands)\n"
        "  --name NAME   the UKI's name in the set (default pocbake)\n"
        "  --root-url B  where the initrd fetches the root image (default\n"
        "                tftp://${next-server}, filled in by iPXE)\n"
        "  --subnet NET  dnsmasq's proxy-DHCP subnet (default the 192.0.2.0 placeholder)\n"
        "  --tftp-root D dnsmasq's tftp-root (default /srv/pocbake/NAME)\n"
        "  --image FILE  the set also installs FILE (a raw disk image): host.raw.gz,\n"
        "                NAME-install.efi (signed with KEYDIR/db.key; fetches\n"
        "                " PXE_IMAGE_URL ") and an install entry in boot.ipxe\n\n"
        "DIR is replaced whole; an existing DIR must be empty or an earlier set.\n"
        "Same inputs give the same bytes. Check a set with 'pocbake verify pxe'.\n";

static int keys_paths(const char *keys, const char **key, const char **cert, char **kbuf,
                      char **cbuf)
{
        if (!keys)
                return 0;
        *kbuf = path_join(keys, "codesign.key");
        *cbuf = path_join(keys, "codesign.crt");
        if (!*kbuf || !*cbuf)
                return -ENOMEM;
        if (!*key)
                *key = *kbuf;
        if (!*cert)
                *cert = *cbuf;
        return 0;
}

enum {
        O_KERNEL = 256,
        O_INITRD,
        O_UKI,
        O_ROOT,
        O_CMDLINE,
        O_KEYS,
        O_KEY,
        O_CERT,
        O_VERIFY,
        O_NAME,
        O_IPXE,
        O_ROOT_URL,
        O_SUBNET,
        O_TFTP,
        O_IMAGE,
        O_GZ,
        O_DIGEST,
        O_RECIPE,
        O_PROFILE,
        O_DEP,
        O_DPKG,
        O_ROLE,
};

int cmd_pxe(int argc, char **argv)
{
        static const struct option opts[] = {
                {"kernel", required_argument, NULL, O_KERNEL},
                {"initrd", required_argument, NULL, O_INITRD},
                {"uki", required_argument, NULL, O_UKI},
                {"root", required_argument, NULL, O_ROOT},
                {"cmdline", required_argument, NULL, O_CMDLINE},
                {"keys", required_argument, NULL, O_KEYS},
                {"key", required_argument, NULL, O_KEY},
                {"cert", required_argument, NULL, O_CERT},
                {"verify", no_argument, NULL, O_VERIFY},
                {"name", required_argument, NULL, O_NAME},
                {"ipxe", required_argument, NULL, O_IPXE},
                {"root-url", required_argument, NULL, O_ROOT_URL},
                {"subnet", required_argument, NULL, O_SUBNET},
                {"tftp-root", required_argument, NULL, O_TFTP},
                {"image", required_argument, NULL, O_IMAGE},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *kbuf = NULL, *cbuf = NULL;
        struct pxe_spec s = {0};
        const char *out = NULL, *keys = NULL;
        struct diag d = {0};
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case O_KERNEL: s.kernel = optarg; break;
                case O_INITRD: s.initrd = optarg; break;
                case O_UKI: s.uki = optarg; break;
                case O_ROOT: s.root = optarg; break;
                case O_CMDLINE: s.cmdline = optarg; break;
                case O_KEYS: keys = optarg; break;
                case O_KEY: s.key = optarg; break;
                case O_CERT: s.cert = optarg; break;
                case O_VERIFY: s.verify = true; break;
                case O_NAME: s.name = optarg; break;
                case O_IPXE: s.ipxe = optarg; break;
                case O_ROOT_URL: s.root_base = optarg; break;
                case O_SUBNET: s.subnet = optarg; break;
                case O_TFTP: s.tftp_root = optarg; break;
                case O_IMAGE: s.image = optarg; break;
                case 'h': fputs(pxe_usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option("pxe", "ho:", opts, argv);
                }
        }
        if (optind != argc)
                return cmd_usage_error("pxe", "unexpected argument \"%s\"", argv[optind]);
        if (!out || !s.kernel || !s.initrd || !s.uki || !s.root || (!keys && (!s.key || !s.cert)))
                return cmd_usage_error(
                        "pxe", "missing%s%s%s%s%s%s", !out ? " -o DIR" : "",
                        !s.kernel ? " --kernel" : "", !s.initrd ? " --initrd" : "",
                        !s.uki ? " --uki" : "", !s.root ? " --root" : "",
                        !keys && (!s.key || !s.cert) ? " --keys (or --key and --cert)" : "");
        if (keys_paths(keys, &s.key, &s.cert, &kbuf, &cbuf) < 0)
                return exit_code(-ENOMEM);
        s.uki_keys = keys;
        if (s.image && (r = epoch_from_env(&s.epoch, &d)) < 0)
                return cmd_finish(&d, "pocbake pxe: ", r);
        return cmd_finish(&d, "pocbake pxe: ", pxe_write(&s, out, &d));
}

static const char bundle_usage[] =
        "usage: pocbake bundle -o FILE.tar.zst [--gz FILE.tar.gz] --keys KEYDIR\n"
        "                      [--recipe-digest HEX] [--recipe FILE] [--profile NAME]\n"
        "                      [--role NAME]... [--dep NAME=FILE]...\n"
        "                      [--dpkg-status FILE[:ROLE]]...\n"
        "                      PATH=FILE[:ROLE[:KIND]]...\n\n"
        "Write a deterministic CI bundle: each FILE at PATH inside the archive (FILE\n"
        "must not contain ':'), then SHA256SUMS and its detached CMS signature\n"
        "SHA256SUMS.sig (KEYDIR/codesign.{key,crt}, or --key/--cert), manifest.json,\n"
        "sbom.spdx.json (SPDX 2.3; --dpkg-status adds the packages of a Debian root's\n"
        "var/lib/dpkg/status) and provenance.intoto.jsonl (an in-toto statement with\n"
        "SLSA provenance v1 in a DSSE envelope signed with the same key; --recipe,\n"
        "--profile, --role and --dep name the build's inputs).\n"
        "Entries are pax restricted, mtime $SOURCE_DATE_EPOCH, owner root, the files\n"
        "sorted by path, then the metadata. zstd level 3; --gz adds a gzip copy.\n"
        "Check a bundle with 'pocbake verify bundle'.\n";

struct bundle_args {
        struct bundle_item *items;
        size_t n_items;
        struct bundle_dep *deps;
        size_t n_deps;
        struct bundle_pkgs *pkgs;
        size_t n_pkgs;
        const char **roles;
        size_t n_roles;
};

static void *grow(void *v, size_t n, size_t size)
{
        return reallocarray(v, n + 1, size);
}

/* PATH=FILE[:ROLE[:KIND]]; the strings stay in argv. */
static int parse_item(struct bundle_args *ba, char *arg)
{
        char *eq = strchr(arg, '='), *role, *kind = NULL;
        struct bundle_item *v = grow(ba->items, ba->n_items, sizeof(*v));

        if (!v)
                return -ENOMEM;
        ba->items = v;
        if (!eq || eq == arg || !eq[1])
                return -EINVAL;
        *eq = 0;
        role = strchr(eq + 1, ':');
        if (role) {
                *role++ = 0;
                kind = strchr(role, ':');
                if (kind)
                        *kind++ = 0;
        }
        v[ba->n_items++] =
                (struct bundle_item){.path = arg, .src = eq + 1, .role = role, .kind = kind};
        return 0;
}

static int parse_dep(struct bundle_args *ba, char *arg)
{
        char *eq = strchr(arg, '=');
        struct bundle_dep *v = grow(ba->deps, ba->n_deps, sizeof(*v));

        if (!v)
                return -ENOMEM;
        ba->deps = v;
        if (!eq || eq == arg || !eq[1])
                return -EINVAL;
        *eq = 0;
        v[ba->n_deps++] = (struct bundle_dep){.name = arg, .src = eq + 1};
        return 0;
}

static int parse_dpkg(struct bundle_args *ba, char *arg, struct diag *d)
{
        char *role = strchr(arg, ':');
        struct bundle_pkgs *v = grow(ba->pkgs, ba->n_pkgs, sizeof(*v));
        struct dpkg_pkg *pk = NULL;
        size_t n = 0;
        int r;

        if (!v)
                return -ENOMEM;
        ba->pkgs = v;
        if (role)
                *role++ = 0;
        r = dpkg_status_packages(arg, &pk, &n, d);
        if (r < 0)
                return r;
        v[ba->n_pkgs++] = (struct bundle_pkgs){.role = role, .v = pk, .n = n};
        return 0;
}

static void bundle_args_release(struct bundle_args *ba)
{
        for (size_t i = 0; i < ba->n_pkgs; i++)
                dpkg_pkgs_free((struct dpkg_pkg *)ba->pkgs[i].v, ba->pkgs[i].n);
        free(ba->pkgs);
        free(ba->items);
        free(ba->deps);
        free(ba->roles);
}

static int bundle_run(struct bundle_spec *s, struct bundle_args *ba, const char *out,
                      const char *gz, int argc, char **argv, struct diag *d)
{
        uint64_t epoch;
        int rc = epoch_from_env(&epoch, d);

        if (rc < 0)
                return rc;
        for (int i = optind; i < argc; i++)
                if (parse_item(ba, argv[i]) < 0)
                        return diag_err(d, -EINVAL, "\"%s\": expected PATH=FILE[:ROLE[:KIND]]",
                                        argv[i]);
        s->epoch = (int64_t)epoch;
        s->items = ba->items;
        s->n_items = ba->n_items;
        s->deps = ba->deps;
        s->n_deps = ba->n_deps;
        s->pkgs = ba->pkgs;
        s->n_pkgs = ba->n_pkgs;
        s->roles = ba->roles;
        s->n_roles = ba->n_roles;
        return bundle_write(s, out, gz, d);
}

int cmd_bundle(int argc, char **argv)
{
        static const struct option opts[] = {
                {"gz", required_argument, NULL, O_GZ},
                {"keys", required_argument, NULL, O_KEYS},
                {"key", required_argument, NULL, O_KEY},
                {"cert", required_argument, NULL, O_CERT},
                {"recipe-digest", required_argument, NULL, O_DIGEST},
                {"recipe", required_argument, NULL, O_RECIPE},
                {"profile", required_argument, NULL, O_PROFILE},
                {"dep", required_argument, NULL, O_DEP},
                {"dpkg-status", required_argument, NULL, O_DPKG},
                {"role", required_argument, NULL, O_ROLE},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        _cleanup_free_ char *kbuf = NULL, *cbuf = NULL;
        struct bundle_args ba = {0};
        struct bundle_spec s = {0};
        const char *out = NULL, *gz = NULL, *keys = NULL;
        struct diag d = {0};
        int c, r = 0;

        optind = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case O_GZ: gz = optarg; break;
                case O_KEYS: keys = optarg; break;
                case O_KEY: s.key = optarg; break;
                case O_CERT: s.cert = optarg; break;
                case O_DIGEST: s.recipe_digest = optarg; break;
                case O_RECIPE: s.recipe = optarg; break;
                case O_PROFILE: s.profile = optarg; break;
                case O_DEP:
                        if ((r = parse_dep(&ba, optarg)) < 0)
                                diag_err(&d, r, "--dep \"%s\": expected NAME=FILE", optarg);
                        break;
                case O_DPKG: r = parse_dpkg(&ba, optarg, &d); break;
                case O_ROLE: {
                        const char **v = grow(ba.roles, ba.n_roles, sizeof(*v));

                        if (!v) {
                                r = diag_err(&d, -ENOMEM, "out of memory");
                                break;
                        }
                        ba.roles = v;
                        v[ba.n_roles++] = optarg;
                        break;
                }
                case 'h':
                        bundle_args_release(&ba);
                        fputs(bundle_usage, stdout);
                        return EXIT_DONE;
                default:
                        bundle_args_release(&ba);
                        return cmd_bad_option("bundle", "ho:", opts, argv);
                }
        }
        if (r >= 0 && (optind >= argc || !out || (!keys && (!s.key || !s.cert)))) {
                bundle_args_release(&ba);
                return cmd_usage_error("bundle", "missing%s%s%s", !out ? " -o FILE.tar.zst" : "",
                                       !keys && (!s.key || !s.cert) ? " --keys KEYDIR" : "",
                                       optind >= argc ? " PATH=FILE (the files to bundle)" : "");
        }
        if (r >= 0 && keys_paths(keys, &s.key, &s.cert, &kbuf, &cbuf) < 0)
                r = diag_err(&d, -ENOMEM, "out of memory");
        if (r >= 0)
                r = bundle_run(&s, &ba, out, gz, argc, argv, &d);
        bundle_args_release(&ba);
        if (r == -EBADMSG) /* a bad dpkg status file is bad input */
                r = -EINVAL;
        return cmd_finish(&d, "pocbake bundle: ", r);
}

static const char verify_pxe_usage[] =
        "usage: pocbake verify pxe DIR --cert CERT\n\n"
        "Exit 0 when SHA256SUMS.sig signs DIR/SHA256SUMS, every file it lists has\n"
        "its digest, and each FILE.sig is a CMS signature of FILE by a certificate\n"
        "chaining to CERT (db.crt); 1 naming each file that fails otherwise.\n";

static const char verify_bundle_usage[] =
        "usage: pocbake verify bundle FILE --cert CERT\n\n"
        "Read FILE (.tar.zst, .tar.gz or .tar) without unpacking it. Exit 0 when\n"
        "SHA256SUMS.sig signs SHA256SUMS with a certificate chaining to CERT (db.crt),\n"
        "every member has the digest SHA256SUMS lists, no member is missing or extra,\n"
        "and manifest.json agrees; 1 naming the bad members otherwise.\n";

/* verify pxe and verify bundle: the same arguments, different checks. */
static int verify_media(int argc, char **argv, bool pxe)
{
        static const struct option opts[] = {
                {"cert", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {0},
        };
        const char *usage = pxe ? verify_pxe_usage : verify_bundle_usage;
        const char *verb = pxe ? "verify pxe" : "verify bundle";
        _cleanup_x509_ X509 *cert = NULL;
        const char *certp = NULL;
        struct diag d = {0};
        size_t n = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'c': certp = optarg; break;
                case 'h': fputs(usage, stdout); return EXIT_DONE;
                default: return cmd_bad_option(verb, "h", opts, argv);
                }
        }
        if (!certp)
                return cmd_usage_error(verb,
                                       "missing --cert CERT (the certificate to check against)");
        if (optind == argc)
                return cmd_usage_error(verb, "expected %s", pxe ? "DIR, the PXE set" : "BUNDLE");
        if (optind != argc - 1)
                return cmd_usage_error(verb, "expected one %s, got \"%s\" too",
                                       pxe ? "DIR" : "BUNDLE", argv[optind + 1]);
        if (x509_load(certp, &cert, &d) < 0)
                return cmd_finish(
                        &d, pxe ? "pocbake verify pxe: " : "pocbake verify bundle: ", -EINVAL);
        if (pxe)
                r = pxe_verify(argv[optind], cert, &n, &d);
        else
                r = bundle_verify_file(argv[optind], cert, &n, &d);
        if (r < 0)
                return cmd_finish(&d, pxe ? "pocbake verify pxe: " : "pocbake verify bundle: ", r);
        cmd_finish(&d, pxe ? "pocbake verify pxe: " : "pocbake verify bundle: ", r);
        printf("%s: %zu %s ok (signatures chain to %s)\n", argv[optind], n,
               pxe ? "files" : "members", certp);
        return EXIT_DONE;
}

int cmd_verify_pxe(int argc, char **argv)
{
        return verify_media(argc, argv, true);
}
int cmd_verify_bundle(int argc, char **argv)
{
        return verify_media(argc, argv, false);
}
