/* tables.c: the key tables of roles, appliances and every map inside them. */
#include "schema.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/size.h"

/* The tables are aligned by hand, row per key: clang-format would reflow them. */
/* clang-format off */

#define AT(obj, off) ((void *)((char *)(obj) + (off)))
#define TABLE(name, what_, type, mark_, scalar_, defaults_, finish_)                                         \
        const struct schema name = {                                                                   \
                .what = what_,                                                                         \
                .fields = name##_fields,                                                               \
                .n_fields = ARRAY_SIZE(name##_fields),                                                 \
                .size = sizeof(type),                                                                  \
                .mark_off = mark_,                                                                     \
                .scalar = scalar_,                                                                     \
                .defaults = defaults_,                                                                 \
                .finish = finish_,                                                                     \
        }
#define ENUM(name, what_) static const struct enum_table name = { what_, name##_names, ARRAY_SIZE(name##_names) }

static const struct urange vcpu_range = { 1, 256 };
static const struct urange timeout_range = { 1, 86400 };

/* ---- overlays ---- */
static int overlay_scalar(struct bctx *c, const struct ynode *v, void *obj)
{
        struct overlay_spec *o = obj;

        return bind_resolve(c, v, "overlay", &o->path);
}

static const struct field overlay_schema_fields[] = {
        { "path", bind_path, true, offsetof(struct overlay_spec, path), 0, NULL, NULL },
        { "allow_devices", bind_bool, false, offsetof(struct overlay_spec, allow_devices), 0, NULL, NULL },
        { "allow_setuid", bind_bool, false, offsetof(struct overlay_spec, allow_setuid), 0, NULL, NULL },
};
static TABLE(overlay_schema, "overlay", struct overlay_spec, offsetof(struct overlay_spec, mark), overlay_scalar,
             NULL, NULL);

/* ---- files ---- */
static const struct enum_name file_types_names[] = {
        { "file", FILE_REGULAR },
        { "dir", FILE_DIRECTORY },
        { "symlink", FILE_SYMLINK },
};
ENUM(file_types, "file type");

/* Inline content keeps its length: "\0" is a valid YAML escape. */
static int bind_content(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        struct file_spec *fs = obj;

        if (v->kind != YNODE_SCALAR)
                return bind_error(c, &v->mark, "content is %s (expected a string)", ynode_kind_name(v));
        free(fs->content);
        fs->content = malloc(v->len + 1);
        if (!fs->content)
                return -ENOMEM;
        memcpy(fs->content, v->value, v->len + 1);
        fs->content_len = v->len;
        return 0;
}

static void file_defaults(void *obj)
{
        ((struct file_spec *)obj)->mode = UINT32_MAX; /* set by type in finish_file */
}

static const struct field file_schema_fields[] = {
        { "path", bind_str, true, offsetof(struct file_spec, path), 0, NULL, check_abs_path },
        { "type", bind_enum, false, offsetof(struct file_spec, type), 0, &file_types, NULL },
        { "content", bind_content, false, 0, 0, NULL, NULL },
        { "source", bind_path, false, offsetof(struct file_spec, source), 0, NULL, NULL },
        { "target", bind_str, false, offsetof(struct file_spec, target), 0, NULL, NULL },
        { "mode", bind_mode, false, offsetof(struct file_spec, mode), 0, NULL, NULL },
        { "owner", bind_str, false, offsetof(struct file_spec, owner), 0, NULL, check_owner },
        { "group", bind_str, false, offsetof(struct file_spec, group), 0, NULL, check_owner },
};
static TABLE(file_schema, "file", struct file_spec, offsetof(struct file_spec, mark), NULL, file_defaults,
             finish_file);

/* ---- groups and users ---- */
static void group_defaults(void *obj)
{
        ((struct group_spec *)obj)->gid = -1;
}

static int finish_group(struct bctx *c, const struct ynode *n, void *obj)
{
        const struct ynode *m = ynode_get(n, "members");
        int ret = 0;

        for (size_t i = 0; m && i < m->n; i++)
                if (check_account_name(c, m->items[i]) < 0)
                        ret = -EINVAL;
        return ret;
}

static const struct field group_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct group_spec, name), 0, NULL, check_account_name },
        { "gid", bind_id, false, offsetof(struct group_spec, gid), 0, NULL, NULL },
        { "members", bind_strlist, false, offsetof(struct group_spec, members),
          offsetof(struct group_spec, n_members), NULL, NULL },
};
static TABLE(group_schema, "group", struct group_spec, offsetof(struct group_spec, mark), NULL, group_defaults,
             finish_group);

static void user_defaults(void *obj)
{
        ((struct user_spec *)obj)->uid = -1;
}

static const struct field user_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct user_spec, name), 0, NULL, check_account_name },
        { "uid", bind_id, false, offsetof(struct user_spec, uid), 0, NULL, NULL },
        { "group", bind_str, false, offsetof(struct user_spec, group), 0, NULL, check_account_name },
        { "groups", bind_strlist, false, offsetof(struct user_spec, groups), offsetof(struct user_spec, n_groups),
          NULL, NULL },
        { "home", bind_str, false, offsetof(struct user_spec, home), 0, NULL, check_abs_path },
        { "shell", bind_str, false, offsetof(struct user_spec, shell), 0, NULL, check_abs_path },
        { "password_hash", bind_str, false, offsetof(struct user_spec, password_hash), 0, NULL, NULL },
        { "ssh_keys", bind_strlist, false, offsetof(struct user_spec, ssh_keys),
          offsetof(struct user_spec, n_ssh_keys), NULL, NULL },
};
static TABLE(user_schema, "user", struct user_spec, offsetof(struct user_spec, mark), NULL, user_defaults,
             finish_user);

/* ---- services ---- */
static int service_scalar(struct bctx *c, const struct ynode *v, void *obj)
{
        struct service_spec *s = obj;

        if (check_simple_name(c, v) < 0)
                return -EINVAL;
        s->name = strdup(v->value);
        return s->name ? 0 : -ENOMEM;
}

static const struct field service_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct service_spec, name), 0, NULL, check_simple_name },
        { "command", bind_str, false, offsetof(struct service_spec, command), 0, NULL, NULL },
};
static TABLE(service_schema, "service", struct service_spec, offsetof(struct service_spec, mark),
             service_scalar, NULL, NULL);

/* ---- kernel (its keys land directly in struct role) ---- */
static const struct field kernel_schema_fields[] = {
        { "cmdline", bind_str, false, offsetof(struct role, cmdline), 0, NULL, NULL },
        { "image", bind_path, false, offsetof(struct role, kernel), 0, NULL, NULL },
        { "modules", bind_strlist, false, offsetof(struct role, kernel_modules),
          offsetof(struct role, n_kernel_modules), NULL, NULL },
};
static TABLE(kernel_schema, "kernel", struct role, NO_MARK, NULL, NULL, NULL);

/* ---- vm ---- */
static int finish_nic(struct bctx *c, const struct ynode *n, void *obj)
{
        struct nic_spec *nic = obj;

        if (!nic->model && !(nic->model = strdup("virtio")))
                return -ENOMEM;
        return finish_nic_net(c, n, nic);
}

static const struct field nic_schema_fields[] = {
        { "network", bind_str, true, offsetof(struct nic_spec, network), 0, NULL, check_network_ref },
        { "mac", bind_str, false, offsetof(struct nic_spec, mac), 0, NULL, check_mac },
        { "model", bind_str, false, offsetof(struct nic_spec, model), 0, NULL, check_nic_model },
        { "address", bind_str, false, offsetof(struct nic_spec, address), 0, NULL, NULL },
        { "gateway", bind_str, false, offsetof(struct nic_spec, gateway), 0, NULL, NULL },
};
static TABLE(nic_schema, "nic", struct nic_spec, offsetof(struct nic_spec, mark), NULL, NULL, finish_nic);

static const struct field vmdisk_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct vmdisk_spec, name), 0, NULL, check_simple_name },
        { "size", bind_size, true, offsetof(struct vmdisk_spec, size), 0, NULL, NULL },
};
static TABLE(vmdisk_schema, "vm disk", struct vmdisk_spec, offsetof(struct vmdisk_spec, mark), NULL, NULL, NULL);

static void vm_defaults(void *obj)
{
        struct vm_spec *vm = obj;

        vm->vcpus = 1;
        vm->memory = UINT64_C(512) << 20;
}

static const struct field vm_schema_fields[] = {
        { "vcpus", bind_uint, false, offsetof(struct vm_spec, vcpus), 0, &vcpu_range, NULL },
        { "memory", bind_size, false, offsetof(struct vm_spec, memory), 0, NULL, NULL },
        { "nics", bind_array, false, offsetof(struct vm_spec, nics), offsetof(struct vm_spec, n_nics), &nic_schema,
          NULL },
        { "disks", bind_array, false, offsetof(struct vm_spec, disks), offsetof(struct vm_spec, n_disks),
          &vmdisk_schema, NULL },
};
static TABLE(vm_schema, "vm", struct vm_spec, NO_MARK, NULL, vm_defaults, finish_vm);

/* ---- disk ---- */
static int bind_part_size(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        struct partition_spec *p = obj;

        if (v->kind == YNODE_SCALAR && !v->quoted && !strcmp(v->value, "rest")) {
                p->size_rest = true;
                return 0;
        }
        return bind_size(c, v, obj, f);
}

static const struct field partition_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct partition_spec, name), 0, NULL, check_simple_name },
        { "type", bind_enum, false, offsetof(struct partition_spec, type), 0, &part_types, NULL },
        { "size", bind_part_size, true, offsetof(struct partition_spec, size), 0, NULL, NULL },
        { "fs", bind_str, false, offsetof(struct partition_spec, fs), 0, NULL, check_fs },
        { "label", bind_str, false, offsetof(struct partition_spec, label), 0, NULL, NULL },
        { "mountpoint", bind_str, false, offsetof(struct partition_spec, mountpoint), 0, NULL, check_abs_path },
};
static TABLE(partition_schema, "partition", struct partition_spec, offsetof(struct partition_spec, mark), NULL,
             NULL, finish_partition);

static const struct field disk_schema_fields[] = {
        { "size", bind_size, false, offsetof(struct disk_spec, size), 0, NULL, NULL },
        { "partitions", bind_array, true, offsetof(struct disk_spec, partitions),
          offsetof(struct disk_spec, n_partitions), &partition_schema, NULL },
};
static TABLE(disk_schema, "disk", struct disk_spec, offsetof(struct disk_spec, mark), NULL, NULL, finish_disk);

/* ---- storage ---- */
static int bind_volume_size(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        struct volume_spec *vol = obj;

        if (v->kind == YNODE_SCALAR && !v->quoted && !strcmp(v->value, "rest")) {
                vol->size_rest = true;
                return 0;
        }
        return bind_size(c, v, obj, f);
}

static const struct field volume_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct volume_spec, name), 0, NULL, check_simple_name },
        { "size", bind_volume_size, true, offsetof(struct volume_spec, size), 0, NULL, NULL },
        { "fs", bind_str, true, offsetof(struct volume_spec, fs), 0, NULL, check_volume_fs },
        { "mountpoint", bind_str, true, offsetof(struct volume_spec, mountpoint), 0, NULL, check_abs_path },
        { "purpose", bind_str, false, offsetof(struct volume_spec, purpose), 0, NULL, check_purpose },
};
static TABLE(volume_schema, "volume", struct volume_spec, offsetof(struct volume_spec, mark), NULL, NULL,
             finish_volume);

static const struct field pool_schema_fields[] = {
        { "partition", bind_str, true, offsetof(struct pool_spec, partition), 0, NULL, check_simple_name },
        { "vg", bind_str, true, offsetof(struct pool_spec, vg), 0, NULL, check_simple_name },
        { "grow", bind_bool, false, offsetof(struct pool_spec, grow), 0, NULL, NULL },
        { "extra_disks", bind_strlist, false, offsetof(struct pool_spec, extra_disks),
          offsetof(struct pool_spec, n_extra_disks), NULL, NULL },
};
static TABLE(pool_schema, "pool", struct pool_spec, offsetof(struct pool_spec, mark), NULL, NULL, NULL);

static const struct field storage_schema_fields[] = {
        { "pool", bind_struct, true, offsetof(struct storage_spec, pool), 0, &pool_schema, NULL },
        { "volumes", bind_array, false, offsetof(struct storage_spec, volumes),
          offsetof(struct storage_spec, n_volumes), &volume_schema, NULL },
};
static TABLE(storage_schema, "storage", struct storage_spec, offsetof(struct storage_spec, mark), NULL, NULL,
             finish_storage);

/* ---- check ---- */
static void check_defaults(void *obj)
{
        ((struct check_spec *)obj)->timeout = 120;
}

static const struct field check_schema_fields[] = {
        { "command", bind_str, true, offsetof(struct check_spec, command), 0, NULL, NULL },
        { "expect", bind_str, false, offsetof(struct check_spec, expect), 0, NULL, NULL },
        { "timeout", bind_uint, false, offsetof(struct check_spec, timeout), 0, &timeout_range, NULL },
};
static TABLE(check_schema, "check", struct check_spec, offsetof(struct check_spec, mark), NULL, check_defaults,
             NULL);

/* ---- role ---- */
static void role_defaults(void *obj)
{
        struct role *r = obj;

        vm_defaults(&r->vm);
        check_defaults(&r->check);
        r->outputs = OUT_RAW;
}

#define ROLE_FIELDS(role_required)                                                                           \
        { "role", bind_str, role_required, offsetof(struct role, name), 0, NULL, check_role_name },         \
        { "description", bind_str, false, offsetof(struct role, description), 0, NULL, NULL },              \
        { "hostname", bind_str, false, offsetof(struct role, hostname), 0, NULL, check_hostname },          \
        { "disabled", bind_bool, false, offsetof(struct role, disabled), 0, NULL, NULL },                   \
        { "base", bind_base, true, offsetof(struct role, base), 0, NULL, NULL },                            \
        { "overlays", bind_array, false, offsetof(struct role, overlays), offsetof(struct role, n_overlays), \
          &overlay_schema, NULL },                                                                          \
        { "files", bind_array, false, offsetof(struct role, files), offsetof(struct role, n_files),         \
          &file_schema, NULL },                                                                             \
        { "groups", bind_array, false, offsetof(struct role, groups), offsetof(struct role, n_groups),      \
          &group_schema, NULL },                                                                            \
        { "users", bind_array, false, offsetof(struct role, users), offsetof(struct role, n_users),         \
          &user_schema, NULL },                                                                             \
        { "services", bind_array, false, offsetof(struct role, services), offsetof(struct role, n_services), \
          &service_schema, NULL },                                                                          \
        { "kernel", bind_struct, false, 0, 0, &kernel_schema, NULL },                                       \
        { "vm", bind_struct, false, offsetof(struct role, vm), 0, &vm_schema, NULL },                       \
        { "disk", bind_struct, false, offsetof(struct role, disk), 0, &disk_schema, NULL },                 \
        { "storage", bind_struct, false, offsetof(struct role, storage), 0, &storage_schema, NULL },        \
        { "outputs", bind_outputs, false, offsetof(struct role, outputs), 0, NULL, NULL },                  \
        { "check", bind_struct, false, offsetof(struct role, check), 0, &check_schema, NULL },

static const struct field role_schema_fields[] = { ROLE_FIELDS(true) };
TABLE(role_schema, "role", struct role, NO_MARK, NULL, role_defaults, finish_role);
static const struct field host_schema_fields[] = { ROLE_FIELDS(false) };
TABLE(host_schema, "host", struct role, NO_MARK, NULL, role_defaults, finish_role);

/* ---- base ---- */
static const struct field mmdebstrap_schema_fields[] = {
        { "suite", bind_str, true, offsetof(struct base_spec, suite), 0, NULL, NULL },
        { "variant", bind_str, false, offsetof(struct base_spec, variant), 0, NULL, NULL },
        { "mirror", bind_str, false, offsetof(struct base_spec, mirror), 0, NULL, NULL },
        { "packages", bind_strlist, false, offsetof(struct base_spec, packages),
          offsetof(struct base_spec, n_packages), NULL, NULL },
};
static TABLE(mmdebstrap_schema, "mmdebstrap", struct base_spec, NO_MARK, NULL, NULL, NULL);

/* The base kinds: base_kinds[i] is the kind of base_kind_fields[i]. */
static const struct field base_kind_fields[] = {
        { "busybox", NULL, false, 0, 0, NULL, NULL },
        { "tarball", bind_path, false, offsetof(struct base_spec, path), 0, NULL, NULL },
        { "debs", bind_pathlist, false, offsetof(struct base_spec, debs), offsetof(struct base_spec, n_debs), NULL,
          NULL },
        { "mmdebstrap", bind_struct, false, 0, 0, &mmdebstrap_schema, NULL },
        { "image", bind_path, false, offsetof(struct base_spec, path), 0, NULL, NULL },
};
static const enum base_kind base_kinds[] = { BASE_BUSYBOX, BASE_TARBALL, BASE_DEBS, BASE_MMDEBSTRAP, BASE_IMAGE };

static int bind_base_kind(struct bctx *c, size_t i, const struct ynode *v, struct base_spec *b)
{
        const struct field *f = &base_kind_fields[i];

        b->kind = base_kinds[i];
        if (b->kind == BASE_BUSYBOX) {
                if (v->kind != YNODE_MAP)
                        return bind_error(c, &v->mark, "busybox is %s (expected a mapping, e.g. busybox: {})",
                                          ynode_kind_name(v));
                if (v->n)
                        return bind_error(c, &v->keys[0]->mark, "unknown key \"%s\" in busybox (expected no keys)",
                                          v->keys[0]->value);
                return 0;
        }
        if (b->kind == BASE_DEBS && v->kind == YNODE_SEQ && v->n == 0)
                return bind_error(c, &v->mark, "debs is empty (expected at least one .deb file)");
        return f->bind(c, v, b, f);
}

static int base_kind_index(const char *key)
{
        for (size_t i = 0; i < ARRAY_SIZE(base_kind_fields); i++)
                if (!strcmp(base_kind_fields[i].key, key))
                        return (int)i;
        return -1;
}

int bind_base(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        struct base_spec *b = AT(obj, f->off);
        const struct ynode *first = NULL;
        int ret = 0;

        b->mark = v->mark;
        if (v->kind != YNODE_MAP || v->n == 0)
                return bind_error(c, &v->mark,
                                  "base is %s (expected one of: busybox, tarball, debs, mmdebstrap, image)",
                                  v->kind == YNODE_MAP ? "empty" : ynode_kind_name(v));
        for (size_t i = 0; i < v->n; i++) {
                int k = base_kind_index(v->keys[i]->value);

                if (k < 0) {
                        ret = bind_error(c, &v->keys[i]->mark,
                                         "unknown base kind \"%s\" (expected one of: busybox, tarball, debs, mmdebstrap, image)",
                                         v->keys[i]->value);
                } else if (first) {
                        ret = bind_error(c, &v->keys[i]->mark,
                                         "base has two kinds, \"%s\" and \"%s\" (expected exactly one)", first->value,
                                         v->keys[i]->value);
                } else {
                        first = v->keys[i];
                        if (bind_base_kind(c, (size_t)k, v->items[i], b) < 0)
                                ret = -EINVAL;
                }
        }
        return ret;
}

/* ---- appliance ---- */
static int bind_role_list(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        int ret = 0;

        if (v->kind != YNODE_SEQ)
                return bind_error(c, &v->mark, "roles is %s (expected a list of role files)", ynode_kind_name(v));
        for (size_t i = 0; i < v->n; i++)
                if (!scalar_of(c, v->items[i], "roles", "a list of role files"))
                        ret = -EINVAL;
        return ret;
}

/* The host section is bound by the loader once networks are known. */
static int bind_later(struct bctx *c, const struct ynode *v, void *obj, const struct field *f)
{
        if (v->kind != YNODE_MAP)
                return bind_error(c, &v->mark, "%s is %s (expected a mapping of keys)", f->key, ynode_kind_name(v));
        return 0;
}

static const struct field network_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct network_spec, name), 0, NULL, check_simple_name },
        { "bridge", bind_str, false, offsetof(struct network_spec, bridge), 0, NULL, check_bridge },
        { "cidr", bind_str, false, offsetof(struct network_spec, cidr), 0, NULL, check_cidr },
        { "nat", bind_bool, false, offsetof(struct network_spec, nat), 0, NULL, NULL },
};
static TABLE(network_schema, "network", struct network_spec, offsetof(struct network_spec, mark), NULL, NULL,
             NULL);

static void app_check_defaults(void *obj)
{
        ((struct app_check *)obj)->timeout = 300;
}

static const struct field app_check_schema_fields[] = {
        { "name", bind_str, true, offsetof(struct app_check, name), 0, NULL, check_simple_name },
        { "from", bind_str, true, offsetof(struct app_check, from), 0, NULL, NULL },
        { "command", bind_str, true, offsetof(struct app_check, command), 0, NULL, NULL },
        { "expect", bind_str, false, offsetof(struct app_check, expect), 0, NULL, NULL },
        { "timeout", bind_uint, false, offsetof(struct app_check, timeout), 0, &timeout_range, NULL },
};
static TABLE(app_check_schema, "check", struct app_check, offsetof(struct app_check, mark), NULL,
             app_check_defaults, NULL);

static void appliance_defaults(void *obj)
{
        ((struct appliance *)obj)->outputs = OUT_RAW;
}

static const struct field appliance_schema_fields[] = {
        { "appliance", bind_str, true, offsetof(struct appliance, name), 0, NULL, check_role_name },
        { "description", bind_str, false, offsetof(struct appliance, description), 0, NULL, NULL },
        { "roles", bind_role_list, false, 0, 0, NULL, NULL },
        { "networks", bind_array, false, offsetof(struct appliance, networks),
          offsetof(struct appliance, n_networks), &network_schema, NULL },
        { "host", bind_later, false, 0, 0, NULL, NULL },
        { "outputs", bind_outputs, false, offsetof(struct appliance, outputs), 0, NULL, NULL },
        { "checks", bind_array, false, offsetof(struct appliance, checks), offsetof(struct appliance, n_checks),
          &app_check_schema, NULL },
};
TABLE(appliance_schema, "appliance", struct appliance, NO_MARK, NULL, appliance_defaults, NULL);
/* clang-format on */
