/* test_recipe.c: unit tests of the YAML tree, merging, hashing and the recipe loader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recipe/recipe.h"
#include "util/hash.h"

static const char *top(void)
{
        const char *t = getenv("TOP");

        return t && *t ? t : ".";
}

/* TOP/test/data/recipes/REL, malloc'd. */
static char *data(const char *rel)
{
        char *s = NULL;

        assert_true(asprintf(&s, "%s/test/data/recipes/%s", top(), rel) > 0);
        return s;
}

static void assert_path(const char *got, const char *rel)
{
        char *want = data(rel);

        assert_non_null(got);
        assert_string_equal(got, want);
        free(want);
}

/* What the plan would offer: an appliance's deliverables are names the loader is given. */
static const char *const deliverables[] = {"iso", "pxe", "bundle"};

/* lone.yaml names a .deb under /tmp: outside its tree, so allowed here. */
static const char *const allow_tmp[] = {"/tmp"};

static struct appliance *load_ok(const char *rel, const char *profile)
{
        struct load_opts o = {.profile = profile,
                              .deliverables = deliverables,
                              .n_deliverables = 3,
                              .allow = allow_tmp,
                              .n_allow = 1};
        struct diag d = {0};
        struct appliance *a = NULL;
        char *path = data(rel);
        int r = recipe_load(path, &o, &a, &d);

        for (size_t i = 0; i < d.n; i++)
                print_message("diag: %s\n", d.msgs[i]);
        assert_int_equal(r, 0);
        assert_int_equal(d.n, 0);
        assert_non_null(a);
        diag_release(&d);
        free(path);
        return a;
}

/* The first message of a buffer that must fail to load. */
static char *load_buf_err(const char *text, const struct load_opts *o)
{
        struct diag d = {0};
        struct appliance *a = NULL;
        char *msg;

        assert_int_equal(recipe_load_buf(text, strlen(text), "t.yaml", o, &a, &d), -EINVAL);
        assert_null(a);
        assert_true(d.n > 0);
        msg = strdup(d.msgs[0]);
        diag_release(&d);
        return msg;
}

static void assert_buf_err(const char *text, const char *want)
{
        struct load_opts o = {.deliverables = deliverables, .n_deliverables = 3};
        char *msg = load_buf_err(text, &o);

        assert_string_equal(msg, want);
        free(msg);
}

static void digest(const struct ynode *n, uint8_t out[SHA256_LEN])
{
        struct hasher h;

        assert_int_equal(hasher_init(&h), 0);
        ynode_hash(n, &h);
        assert_int_equal(hasher_final(&h, out), 0);
        hasher_release(&h);
}

/* ---- ynode ---- */

static void test_parse_marks(void **state)
{
        const char *text = "# c\nrole: dc\nvm:\n  memory: 1G\n  list: [a, 'b']\n";
        struct diag d = {0};
        struct ynode *t = NULL;
        const struct ynode *vm, *list;

        assert_int_equal(yparse_buf(text, strlen(text), "x.yaml", NULL, &t, &d), 0);
        assert_int_equal(t->kind, YNODE_MAP);
        assert_int_equal(t->n, 2);
        assert_string_equal(ynode_get(t, "role")->value, "dc");
        assert_int_equal(ynode_get(t, "role")->mark.line, 2);
        assert_int_equal(ynode_get(t, "role")->mark.col, 7);
        vm = ynode_get(t, "vm");
        assert_int_equal(vm->mark.line, 4);
        assert_int_equal(vm->mark.col, 3);
        assert_string_equal(vm->keys[0]->mark.file, "x.yaml");
        list = ynode_get(vm, "list");
        assert_int_equal(list->kind, YNODE_SEQ);
        assert_int_equal(list->items[1]->mark.col, 13);
        assert_false(list->items[0]->quoted);
        assert_true(list->items[1]->quoted);
        assert_null(ynode_get(t, "nope"));
        ynode_free(t);
}

static void test_parse_errors(void **state)
{
        static const struct {
                const char *text, *want;
        } cases[] = {
                {"a: 1\nb: 2\na: 3\n", "x.yaml:3:1: duplicate key \"a\" (first at line 1)"},
                {"? [a]\n: 1\n", "x.yaml:1:3: mapping key is a sequence (expected a scalar key)"},
                {"a: 1\n---\nb: 2\n",
                 "x.yaml:2:1: a second YAML document (expected one document per file)"},
                {"# only a comment\n", "x.yaml:1:1: empty file (expected a recipe)"},
                {"a: b\nc: \xc3\x28\n",
                 "x.yaml:2:4: invalid UTF-8 byte 0xc3 (expected a UTF-8 text file)"},
                {"a: \xed\xa0\x80\n",
                 "x.yaml:1:4: invalid UTF-8 byte 0xed (expected a UTF-8 text file)"},
                {"a: [[[x]]]\n",
                 "x.yaml:1:6: nesting deeper than 3 levels (expected a flatter recipe)"},
                {"a: &x [1, 2]\nb: [*x, *x]\n", "x.yaml:2:9: alias \"x\" expands past 5 nodes "
                                                "(expected a recipe without alias bombs)"},
                {"a: &x [*x]\n", "x.yaml:1:8: alias \"x\" has no anchor before it (expected &x "
                                 "earlier in the file)"},
                /* anchors inside dropped nodes stay valid for later aliases */
                {"m:\n  a: 1\n  a: &x [1]\nn: *x\n",
                 "x.yaml:3:3: duplicate key \"a\" (first at line 2)"},
                {"? &k [a]\n: &v [b]\nc: [*k, *v]\n",
                 "x.yaml:1:3: mapping key is a sequence (expected a scalar key)"},
        };
        const struct yparse_opts o = {.max_depth = 3, .max_alias_nodes = 5};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct diag d = {0};
                struct ynode *t = NULL;

                assert_int_equal(
                        yparse_buf(cases[i].text, strlen(cases[i].text), "x.yaml", &o, &t, &d),
                        -EINVAL);
                assert_null(t);
                assert_true(d.n >= 1);
                assert_string_equal(d.msgs[0], cases[i].want);
                diag_release(&d);
        }
}

static void test_alias_copy(void **state)
{
        const char *text = "base: &b {x: 1, y: [2, 3]}\ncopy: *b\n";
        struct diag d = {0};
        struct ynode *t = NULL;
        uint8_t h1[SHA256_LEN], h2[SHA256_LEN];

        assert_int_equal(yparse_buf(text, strlen(text), "x.yaml", NULL, &t, &d), 0);
        assert_true(ynode_get(t, "base") != ynode_get(t, "copy"));
        digest(ynode_get(t, "base"), h1);
        digest(ynode_get(t, "copy"), h2);
        assert_memory_equal(h1, h2, SHA256_LEN);
        ynode_free(t);
}

static struct ynode *parse(const char *text)
{
        struct diag d = {0};
        struct ynode *t = NULL;

        assert_int_equal(yparse_buf(text, strlen(text), "m.yaml", NULL, &t, &d), 0);
        return t;
}

static void test_merge_dup_hash(void **state)
{
        struct ynode *base = parse("a: {x: 1, y: 2}\nl: [1, 2, 3]\ns: old\n");
        struct ynode *over = parse("a: {y: 20, z: 30}\nl: [9]\nn: new\n");
        struct ynode *want = parse("n: new\ns: old\nl: [9]\na: {z: 30, x: 1, y: 20}\n");
        struct ynode *copy;
        uint8_t h1[SHA256_LEN], h2[SHA256_LEN];

        ynode_merge(base, over);
        assert_string_equal(ynode_get(ynode_get(base, "a"), "x")->value, "1");
        assert_string_equal(ynode_get(ynode_get(base, "a"), "y")->value, "20");
        assert_int_equal(ynode_get(base, "l")->n, 1); /* sequences replace */
        digest(base, h1);
        digest(want, h2);
        assert_memory_equal(h1, h2, SHA256_LEN); /* key order does not matter */

        copy = ynode_dup(base);
        digest(copy, h2);
        assert_memory_equal(h1, h2, SHA256_LEN);
        free(ynode_get(copy, "s")->value);
        ynode_get(copy, "s")->value = strdup("changed");
        ynode_get(copy, "s")->len = 7;
        digest(copy, h2);
        assert_memory_not_equal(h1, h2, SHA256_LEN);

        ynode_free(base);
        ynode_free(want);
        ynode_free(copy);
}

/* ---- the loader ---- */

static void check_dc01(const struct role *r)
{
        assert_string_equal(r->name, "MAS-DC01");
        assert_string_equal(r->hostname, "mas-dc01");
        assert_string_equal(r->description, "directory, DNS and DHCP");
        assert_path(r->file, "roles/dc01.yaml");
        assert_int_equal(r->mark.line, 2);
        assert_int_equal(r->mark.col, 7);
        assert_path(r->mark.file, "roles/dc01.yaml");
        /* base and disk come from the extended file, with its marks */
        assert_int_equal(r->base.kind, BASE_BUSYBOX);
        assert_path(r->base.mark.file, "roles/../lib/busybox-role.yaml");
        assert_int_equal(r->n_overlays, 2);
        assert_path(r->overlays[0].path, "roles/../overlays/dc01");
        assert_path(r->overlays[1].path, "roles/extra.tar.gz");
        assert_true(r->overlays[1].allow_devices);
        assert_false(r->overlays[1].allow_setuid);
        assert_int_equal(r->n_files, 4);
        assert_string_equal(r->files[0].path, "/etc/motd");
        assert_int_equal(r->files[0].content_len, 6);
        assert_memory_equal(r->files[0].content, "hello\n", 6);
        assert_int_equal(r->files[0].mode, 0640);
        assert_string_equal(r->files[0].group, "adm");
        assert_int_equal(r->files[0].mark.line, 10);
        assert_int_equal(r->files[0].mark.col, 5);
        assert_path(r->files[1].source, "roles/files/x.conf");
        assert_int_equal(r->files[1].mode, 0644);
        assert_string_equal(r->files[1].owner, "root");
        assert_int_equal(r->files[2].type, FILE_DIRECTORY);
        assert_int_equal(r->files[2].mode, 0750);
        assert_int_equal(r->files[3].type, FILE_SYMLINK);
        assert_string_equal(r->files[3].target, "busybox");
}

static void check_dc01_accounts(const struct role *r)
{
        assert_int_equal(r->n_groups, 1);
        assert_int_equal(r->groups[0].gid, 101);
        assert_int_equal(r->groups[0].n_members, 1);
        assert_string_equal(r->groups[0].members[0], "ops");
        assert_int_equal(r->n_users, 2);
        assert_int_equal(r->users[0].uid, 101);
        assert_string_equal(r->users[0].shell, "/bin/false");
        assert_int_equal(r->users[0].n_ssh_keys, 1);
        assert_int_equal(r->users[1].uid, -1);
        assert_string_equal(r->users[1].group, "ops");
        assert_string_equal(r->users[1].home, "/home/ops");
        assert_string_equal(r->users[1].shell, "/bin/sh");
        assert_string_equal(r->users[1].password_hash, "!");
        /* the role's list replaces the included one */
        assert_int_equal(r->n_services, 2);
        assert_string_equal(r->services[0].name, "dnsd");
        assert_null(r->services[0].command);
        assert_string_equal(r->services[1].command, "udhcpd -f /etc/udhcpd.conf");
}

static void check_dc01_machine(const struct role *r)
{
        assert_string_equal(r->cmdline, "console=ttyS0");
        assert_path(r->kernel, "roles/../kernel/vmlinuz");
        assert_int_equal(r->vm.vcpus, 2);
        assert_true(r->vm.memory == UINT64_C(256) << 20); /* from the base file */
        assert_int_equal(r->vm.n_nics, 1);                /* from the include */
        assert_string_equal(r->vm.nics[0].network, "management");
        assert_string_equal(r->vm.nics[0].model, "virtio");
        assert_null(r->vm.nics[0].mac);
        assert_path(r->vm.nics[0].mark.file, "roles/../lib/net.yaml");
        assert_int_equal(r->vm.n_disks, 1);
        assert_true(r->vm.disks[0].size == UINT64_C(10) << 30);
        assert_true(r->disk.size == UINT64_C(128) << 20);
        assert_int_equal(r->disk.n_partitions, 2);
        assert_int_equal(r->disk.partitions[0].type, PART_ESP);
        assert_string_equal(r->disk.partitions[0].fs, "vfat");
        assert_true(r->disk.partitions[0].size == UINT64_C(32) << 20);
        assert_true(r->disk.partitions[1].size_rest);
        assert_int_equal(r->disk.partitions[1].type, PART_ROOT_X86_64);
        assert_string_equal(r->disk.partitions[1].label, "root");
        assert_int_equal(r->outputs, OUT_RAW);
        assert_int_equal(r->check.timeout, 60);
        assert_string_equal(r->check.expect, "Address");
        /* consumed keys stay out of the identity tree */
        assert_null(ynode_get(r->tree, "extends"));
        assert_null(ynode_get(r->tree, "include"));
        assert_null(ynode_get(r->tree, "profiles"));
        assert_non_null(ynode_get(r->tree, "disk"));
}

static void test_appliance(void **state)
{
        struct appliance *a = load_ok("poc.yaml", NULL);
        const struct role *sql;

        assert_string_equal(a->name, "poc");
        assert_int_equal(a->outputs, OUT_RAW | OUT_QCOW2 | OUT_DELIVERABLE(0) | OUT_DELIVERABLE(1) |
                                             OUT_DELIVERABLE(2));
        assert_int_equal(a->n_networks, 2);
        assert_string_equal(a->networks[0].bridge, "br-mgmt");
        assert_string_equal(a->networks[0].cidr, "10.20.0.0/24");
        assert_true(a->networks[0].nat);
        assert_false(a->networks[1].nat);
        assert_int_equal(a->n_roles, 2);
        check_dc01(a->roles[0]);
        check_dc01_accounts(a->roles[0]);
        check_dc01_machine(a->roles[0]);
        sql = appliance_find_role(a, "MAS-SQL01");
        assert_ptr_equal(sql, a->roles[1]);
        assert_int_equal(sql->base.kind, BASE_TARBALL);
        assert_path(sql->base.path, "roles/../rootfs/sql.tar.zst");
        assert_string_equal(sql->vm.nics[0].mac, "52:54:00:12:34:56");
        assert_string_equal(sql->vm.nics[0].model, "e1000");
        assert_int_equal(sql->outputs, OUT_RAW | OUT_QCOW2 | OUT_VHDX);
        assert_true(sql->disk.partitions[0].size == UINT64_C(1) << 30);
        assert_null(sql->disk.partitions[0].mountpoint);
        assert_non_null(a->host);
        assert_string_equal(a->host->name, "host");
        assert_string_equal(a->host->hostname, "host");
        assert_path(a->host->file, "poc.yaml");
        assert_int_equal(a->host->base.kind, BASE_BUSYBOX);
        assert_ptr_equal(appliance_find_role(a, "host"), a->host);
        assert_null(appliance_find_role(a, "nope"));
        appliance_free(a);
}

static void test_profile(void **state)
{
        struct appliance *a = load_ok("poc.yaml", "full");
        const struct role *r = a->roles[0];

        assert_string_equal(a->description, "the full appliance");
        /* busybox -> mmdebstrap in the base file's profile: one kind, not two */
        assert_int_equal(r->base.kind, BASE_MMDEBSTRAP);
        assert_string_equal(r->base.suite, "bookworm");
        assert_string_equal(r->base.variant, "minbase");
        assert_int_equal(r->base.n_packages, 2); /* the role's profile replaces the list */
        assert_string_equal(r->base.packages[1], "slapd");
        assert_null(ynode_get(ynode_get(r->tree, "base"), "busybox"));
        assert_int_equal(r->vm.vcpus, 4);
        assert_true(r->vm.memory == UINT64_C(1) << 30);
        assert_int_equal(a->host->base.kind, BASE_MMDEBSTRAP);
        assert_int_equal(a->roles[1]->base.kind, BASE_TARBALL);
        appliance_free(a);
}

static void test_unknown_profile(void **state)
{
        struct load_opts o = {.profile = "nope"};
        struct diag d = {0};
        struct appliance *a = NULL;
        char *path = data("minimal.yaml"), *want = NULL;

        assert_int_equal(recipe_load(path, &o, &a, &d), -EINVAL);
        assert_null(a);
        assert_int_equal(d.n, 1);
        assert_true(asprintf(&want,
                             "%s: profile \"nope\" is not defined (expected a profiles: entry of "
                             "that name; the recipe has none)",
                             path) > 0);
        assert_string_equal(d.msgs[0], want);
        diag_release(&d);
        free(path);
        free(want);
        /* a recipe with profiles: they are named, the nearest suggested */
        path = data("poc.yaml");
        o = (struct load_opts){.profile = "ful", .deliverables = deliverables, .n_deliverables = 3};
        assert_int_equal(recipe_load(path, &o, &a, &d), -EINVAL);
        assert_true(asprintf(&want,
                             "%s: profile \"ful\" is not defined; did you mean \"full\"? "
                             "(expected one of: full)",
                             path) > 0);
        assert_string_equal(d.msgs[d.n - 1], want);
        diag_release(&d);
        free(path);
        free(want);
}

static void test_lone_role(void **state)
{
        struct appliance *a = load_ok("lone.yaml", NULL);
        const struct role *r;

        assert_string_equal(a->name, "Lone_Role.1");
        assert_int_equal(a->n_roles, 1);
        assert_null(a->host);
        assert_int_equal(a->outputs, OUT_RAW);
        r = a->roles[0];
        assert_string_equal(r->hostname, "lone-role-1");
        assert_int_equal(r->base.kind, BASE_DEBS);
        assert_int_equal(r->base.n_debs, 2);
        assert_path(r->base.debs[0], "debs/a.deb");
        assert_string_equal(r->base.debs[1], "/tmp/debs/b.deb");
        assert_int_equal(r->vm.vcpus, 1);
        assert_true(r->vm.memory == UINT64_C(512) << 20);
        assert_int_equal(r->check.timeout, 120);
        assert_true(r->disk.size == UINT64_C(1) << 30);
        assert_string_equal(r->disk.partitions[0].fs, "erofs");
        assert_int_equal(r->disk.partitions[0].type, PART_LINUX);
        assert_false(r->disabled);
        assert_true(disk_min_size(&r->disk) == UINT64_C(3) << 20);
        appliance_free(a);
}

static void test_tree_hash(void **state)
{
        struct appliance *a = load_ok("poc.yaml", NULL), *b = load_ok("poc.yaml", NULL);
        struct appliance *p = load_ok("poc.yaml", "full");
        uint8_t h1[SHA256_LEN], h2[SHA256_LEN];
        struct ynode *mem;

        digest(a->roles[0]->tree, h1);
        digest(b->roles[0]->tree, h2);
        assert_memory_equal(h1, h2, SHA256_LEN); /* stable across loads */
        digest(a->roles[1]->tree, h2);
        assert_memory_not_equal(h1, h2, SHA256_LEN);
        digest(p->roles[0]->tree, h2);
        assert_memory_not_equal(h1, h2, SHA256_LEN); /* the profile changes the role */
        digest(p->roles[1]->tree, h1);
        digest(a->roles[1]->tree, h2);
        assert_memory_equal(h1, h2, SHA256_LEN); /* ...but not a role it does not touch */

        mem = ynode_get(ynode_get(b->roles[0]->tree, "vm"), "vcpus");
        assert_non_null(mem);
        mem->value[0] = '3';
        digest(a->roles[0]->tree, h1);
        digest(b->roles[0]->tree, h2);
        assert_memory_not_equal(h1, h2, SHA256_LEN); /* one value changes the key */
        appliance_free(a);
        appliance_free(b);
        appliance_free(p);
}

static void test_key_order_hash(void **state)
{
        const char *x = "role: r\nbase: {busybox: {}}\ndisk: {partitions: [{name: root, size: 64M, "
                        "fs: ext4}]}\n";
        const char *y = "disk:\n  partitions:\n    - {size: 64M, fs: ext4, name: root}\nbase: "
                        "{busybox: {}}\nrole: r\n";
        struct diag d = {0};
        struct appliance *a = NULL, *b = NULL;
        uint8_t h1[SHA256_LEN], h2[SHA256_LEN];

        assert_int_equal(recipe_load_buf(x, strlen(x), "x.yaml", NULL, &a, &d), 0);
        assert_int_equal(recipe_load_buf(y, strlen(y), "y.yaml", NULL, &b, &d), 0);
        digest(a->roles[0]->tree, h1);
        digest(b->roles[0]->tree, h2);
        assert_memory_equal(h1, h2, SHA256_LEN);
        appliance_free(a);
        appliance_free(b);
}

static void test_buf_errors(void **state)
{
        struct load_opts nofiles = {.no_files = true};
        char *msg;

        msg = load_buf_err("role: r\nextends: other.yaml\n", &nofiles);
        assert_string_equal(msg, "t.yaml:2:10: extends \"other.yaml\": recipe files are disabled "
                                 "here (expected a self-contained recipe)");
        free(msg);
        msg = load_buf_err("appliance: a\nroles: [x.yaml]\n", &nofiles);
        assert_string_equal(msg, "t.yaml:2:9: role file \"x.yaml\": recipe files are disabled here "
                                 "(expected a self-contained recipe)");
        free(msg);
        assert_buf_err("- a\n- b\n",
                       "t.yaml:1:1: recipe is a sequence (expected a mapping of keys)");
        assert_buf_err("role: r\nbase: {}\ndisk: {partitions: [{name: a, size: 1M}]}\n",
                       "t.yaml:2:7: base is empty (expected one of: busybox, tarball, debs, "
                       "mmdebstrap, image)");
        assert_buf_err(
                "role: r\nbase: {busybox: {}}\n",
                "t.yaml:1:1: missing required key \"disk\" (expected unless base is an image)");
        assert_buf_err("role: r\nbase: {busybox: {}}\ndisk: {partitions: [{name: a, size: rest, "
                       "fs: ext4}]}\n",
                       "t.yaml:3:21: partition \"a\" has size rest but the disk has no size "
                       "(expected disk size: SIZE)");
        assert_buf_err("role: r\nbase: {image: a.qcow2}\nvm: {nics: [{network: x, mac: "
                       "\"01:00:00:00:00:00\"}]}\n",
                       "t.yaml:3:31: mac \"01:00:00:00:00:00\" is a multicast address (expected an "
                       "even first byte)");
        assert_buf_err("appliance: a\nnetworks: [{name: n, cidr: 10.0.0.0/33}]\n",
                       "t.yaml:2:28: cidr \"10.0.0.0/33\" is not valid (expected an IPv4 network "
                       "such as 10.20.0.0/24)");
        assert_buf_err(
                "appliance: a\nhost: {base: {image: h.img}, outputs: [iso]}\n",
                "t.yaml:2:40: output \"iso\" is not for roles (expected one of: raw, qcow2, vhdx)");
        assert_buf_err("appliance: a\noutputs: [raw, dvd]\n",
                       "t.yaml:2:16: unknown output \"dvd\" (expected one of: raw, qcow2, vhdx, "
                       "iso, pxe, bundle)");
        assert_buf_err("role: r\nbase: {image: x}\nfiles: [{path: /a}, {path: /b}, {path: /a}]\n",
                       "t.yaml:3:33: file \"/a\" defined twice (first at line 3)");
        assert_buf_err("role: r\nbase: {image: x}\nfiles: [{path: /a, mode: \"8\"}]\n",
                       "t.yaml:3:26: mode \"8\" is not an octal mode (expected 0000..07777)");
}

static void test_many_errors(void **state)
{
        const char *text =
                "role: r\nbase: {busybox: {}, image: x}\nhostname: -bad\nvm: {vcpus: 300, memory: "
                "4Q}\n"
                "disk: {partitions: [{name: a, size: 1M, fs: zfs}]}\noutputs: [raw, tape]\n";
        struct diag d = {0};
        struct appliance *a = NULL;

        assert_int_equal(recipe_load_buf(text, strlen(text), "t.yaml", NULL, &a, &d), -EINVAL);
        assert_int_equal(d.n, 6);
        assert_string_equal(
                d.msgs[5],
                "t.yaml:6:16: unknown output \"tape\" (expected one of: raw, qcow2, vhdx)");
        diag_release(&d);
}

static void test_mode_forms(void **state)
{
        const char *text = "role: r\nbase: {image: x}\nfiles:\n  - {path: /a, mode: 0644}\n  - "
                           "{path: /b, mode: \"0755\"}\n"
                           "  - {path: /c, mode: 4755}\n  - {path: /d, mode: 0o600}\n  - {path: "
                           "/e, type: dir}\n";
        struct diag d = {0};
        struct appliance *a = NULL;

        assert_int_equal(recipe_load_buf(text, strlen(text), "t.yaml", NULL, &a, &d), 0);
        assert_int_equal(a->roles[0]->files[0].mode, 0644);
        assert_int_equal(a->roles[0]->files[1].mode, 0755);
        assert_int_equal(a->roles[0]->files[2].mode, 04755);
        assert_int_equal(a->roles[0]->files[3].mode, 0600);
        assert_int_equal(a->roles[0]->files[4].mode, 0755);
        assert_int_equal(a->roles[0]->files[0].content_len, 0);
        appliance_free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_marks),     cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_alias_copy),      cmocka_unit_test(test_merge_dup_hash),
                cmocka_unit_test(test_appliance),       cmocka_unit_test(test_profile),
                cmocka_unit_test(test_unknown_profile), cmocka_unit_test(test_lone_role),
                cmocka_unit_test(test_tree_hash),       cmocka_unit_test(test_key_order_hash),
                cmocka_unit_test(test_buf_errors),      cmocka_unit_test(test_many_errors),
                cmocka_unit_test(test_mode_forms),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
