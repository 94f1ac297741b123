/* free.c: releasing the typed recipe tree. */
#include "recipe.h"

#include <stdlib.h>

static void free_strv(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

static void base_release(struct base_spec *b)
{
        free(b->path);
        free_strv(b->debs, b->n_debs);
        free(b->suite);
        free(b->mirror);
        free(b->variant);
        free_strv(b->packages, b->n_packages);
}

static void files_free(struct file_spec *f, size_t n)
{
        for (size_t i = 0; f && i < n; i++) {
                free(f[i].path);
                free(f[i].owner);
                free(f[i].group);
                free(f[i].content);
                free(f[i].source);
                free(f[i].target);
        }
        free(f);
}

static void accounts_free(struct role *r)
{
        for (size_t i = 0; r->groups && i < r->n_groups; i++) {
                free(r->groups[i].name);
                free_strv(r->groups[i].members, r->groups[i].n_members);
        }
        free(r->groups);
        for (size_t i = 0; r->users && i < r->n_users; i++) {
                struct user_spec *u = &r->users[i];

                free(u->name);
                free(u->group);
                free_strv(u->groups, u->n_groups);
                free(u->home);
                free(u->shell);
                free(u->password_hash);
                free_strv(u->ssh_keys, u->n_ssh_keys);
        }
        free(r->users);
}

static void vm_release(struct vm_spec *vm)
{
        for (size_t i = 0; vm->nics && i < vm->n_nics; i++) {
                free(vm->nics[i].network);
                free(vm->nics[i].mac);
                free(vm->nics[i].model);
                free(vm->nics[i].address);
                free(vm->nics[i].gateway);
        }
        free(vm->nics);
        for (size_t i = 0; vm->disks && i < vm->n_disks; i++)
                free(vm->disks[i].name);
        free(vm->disks);
}

static void disk_release(struct disk_spec *d)
{
        for (size_t i = 0; d->partitions && i < d->n_partitions; i++) {
                free(d->partitions[i].name);
                free(d->partitions[i].fs);
                free(d->partitions[i].label);
                free(d->partitions[i].mountpoint);
        }
        free(d->partitions);
}

static void storage_release(struct storage_spec *s)
{
        free(s->pool.partition);
        free(s->pool.vg);
        free_strv(s->pool.extra_disks, s->pool.n_extra_disks);
        for (size_t i = 0; s->volumes && i < s->n_volumes; i++) {
                free(s->volumes[i].name);
                free(s->volumes[i].fs);
                free(s->volumes[i].mountpoint);
                free(s->volumes[i].purpose);
        }
        free(s->volumes);
}

void role_free(struct role *r)
{
        if (!r)
                return;
        free(r->name);
        free(r->description);
        free(r->file);
        free(r->hostname);
        base_release(&r->base);
        for (size_t i = 0; r->overlays && i < r->n_overlays; i++)
                free(r->overlays[i].path);
        free(r->overlays);
        files_free(r->files, r->n_files);
        accounts_free(r);
        for (size_t i = 0; r->services && i < r->n_services; i++) {
                free(r->services[i].name);
                free(r->services[i].command);
        }
        free(r->services);
        free(r->cmdline);
        free_strv(r->kernel_modules, r->n_kernel_modules);
        free(r->kernel);
        vm_release(&r->vm);
        disk_release(&r->disk);
        storage_release(&r->storage);
        free(r->check.command);
        free(r->check.expect);
        ynode_free(r->tree);
        free(r);
}

void appliance_free(struct appliance *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_roles; i++)
                role_free(a->roles[i]);
        free(a->roles);
        role_free(a->host);
        for (size_t i = 0; a->networks && i < a->n_networks; i++) {
                free(a->networks[i].name);
                free(a->networks[i].bridge);
                free(a->networks[i].cidr);
        }
        free(a->networks);
        for (size_t i = 0; a->checks && i < a->n_checks; i++) {
                free(a->checks[i].name);
                free(a->checks[i].from);
                free(a->checks[i].command);
                free(a->checks[i].expect);
        }
        free(a->checks);
        free(a->name);
        free(a->description);
        free(a->file);
        ynode_free(a->tree);
        /* Last: every mark above points into these names. */
        free_strv(a->files, a->n_files);
        free_strv(a->profiles, a->n_profiles);
        free(a);
}
