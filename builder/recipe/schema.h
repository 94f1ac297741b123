/* schema.h: table-driven binding of ynode trees to recipe structs (private to recipe/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "recipe.h"

/* State shared by every binder while one role or appliance is bound. */
struct bctx {
        struct diag *d;
        int errors;
        const struct appliance *app; /* networks for nic checks; NULL for a lone role */
        unsigned allowed_outputs;    /* OUT_* bits this recipe kind may ask for */
        const char *outputs_for;     /* "roles" or "appliances": for messages */
        const struct load_opts *o;   /* its deliverables: names an appliance may ask for */
        bool deliverables;           /* this recipe kind may ask for them */
        const struct confine *cf;    /* where its paths may lead */
};

struct field;
struct confine;
typedef int (*bind_fn)(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);

/* One row: key -> binder writing at obj + off (obj is the struct being bound);
 * n_off locates the count of an array field; aux is the element schema, enum table or range. check
 * sees the raw value node after a successful bind. */
struct field {
        const char *key;
        bind_fn bind;
        bool required;
        size_t off;
        size_t n_off;
        const void *aux;
        int (*check)(struct bctx *c, const struct ynode *v);
};

struct schema {
        const char *what; /* "partition": for messages */
        const struct field *fields;
        size_t n_fields;
        size_t size;     /* struct size, for arrays of this schema */
        size_t mark_off; /* where struct mark lives, or NO_MARK */
        /* The short form of an array element ("- dnsd" for a service), or NULL. */
        int (*scalar)(struct bctx *c, const struct ynode *v, void *obj);
        void (*defaults)(void *obj);
        int (*finish)(struct bctx *c, const struct ynode *n, void *obj);
};
#define NO_MARK ((size_t)-1)

struct enum_name {
        const char *name;
        int value;
};
struct enum_table {
        const char *what;
        const struct enum_name *names;
        size_t n;
};
/* Partition types by name (part_types.c); part_type_name reads the same rows. */
extern const struct enum_table part_types;

struct urange {
        unsigned long long min, max;
};

/* Record one error (counted in c) and return -EINVAL. */
int bind_error(struct bctx *c, const struct mark *m, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Bind every key of map v into obj (defaults first, finish last). */
int bind_map(struct bctx *c, const struct ynode *v, void *obj, const struct schema *s);

/* Binders usable in rows (schema.c). */
int bind_str(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_path(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_bool(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_uint(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_id(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_size(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_mode(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_enum(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_strlist(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_pathlist(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_struct(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_array(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
int bind_outputs(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);

/* A relative path resolved against the directory of the file that wrote v. */
char *resolve_path(const struct ynode *v);
/* The same, checked against c->cf: *out is set, or an error names key (-EINVAL,
 * counted) or -ENOMEM. */
int bind_resolve(struct bctx *c, const struct ynode *v, const char *key, char **out);
/* Scalar text of v, or an error naming key and expected type. */
const char *scalar_of(struct bctx *c, const struct ynode *v, const char *key, const char *expected);

/* Row checks (check.c). */
int check_role_name(struct bctx *c, const struct ynode *v);
int check_account_name(struct bctx *c, const struct ynode *v);
int check_owner(struct bctx *c, const struct ynode *v);
int check_abs_path(struct bctx *c, const struct ynode *v);
int check_mac(struct bctx *c, const struct ynode *v);
int check_fs(struct bctx *c, const struct ynode *v);
int check_hostname(struct bctx *c, const struct ynode *v);
int check_nic_model(struct bctx *c, const struct ynode *v);
int check_network_ref(struct bctx *c, const struct ynode *v);
int check_cidr(struct bctx *c, const struct ynode *v);
int check_bridge(struct bctx *c, const struct ynode *v);
int check_simple_name(struct bctx *c, const struct ynode *v);
int check_volume_fs(struct bctx *c, const struct ynode *v);
int check_purpose(struct bctx *c, const struct ynode *v);

/* Struct finishers (finish.c): defaults that depend on other keys, cross-key checks. */
int finish_file(struct bctx *c, const struct ynode *n, void *obj);
int finish_partition(struct bctx *c, const struct ynode *n, void *obj);
int finish_disk(struct bctx *c, const struct ynode *n, void *obj);
int finish_vm(struct bctx *c, const struct ynode *n, void *obj);
int finish_user(struct bctx *c, const struct ynode *n, void *obj);
int finish_role(struct bctx *c, const struct ynode *n, void *obj);
int finish_volume(struct bctx *c, const struct ynode *n, void *obj);
int finish_storage(struct bctx *c, const struct ynode *n, void *obj);
int finish_networks(struct bctx *c, const struct appliance *a);

/* The appliance's wiring (net.c): a NIC's address and gateway against its
 * network; once every role is loaded, addresses used once and checks run from a
 * role of the appliance. */
int finish_nic_net(struct bctx *c, const struct ynode *n, struct nic_spec *nic);
int finish_appliance_net(struct bctx *c, const struct appliance *a);

/* The role and appliance schemas, and the base binder (tables.c). */
extern const struct schema role_schema;
extern const struct schema host_schema;
extern const struct schema appliance_schema;
int bind_base(struct bctx *c, const struct ynode *v, void *obj, const struct field *f);
