/* fuzz_recipe.c: libFuzzer target for the YAML tree builder and the recipe binding. */
#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "util/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* no_files: extends, include and roles named by the input are refused, so
         * the target never touches the file system. */
        static const char *const deliverables[] = {"iso", "pxe", "bundle", "sha256sums"};
        static const struct load_opts o = {.profile = "full",
                                           .no_files = true,
                                           .max_alias_nodes = 2000,
                                           .deliverables = deliverables,
                                           .n_deliverables = 4};
        struct diag d = {0};
        struct ynode *t = NULL;
        struct appliance *a = NULL;
        struct hasher h;

        if (yparse_buf((const char *)data, size, "fuzz.yaml", NULL, &t, &d) == 0 &&
            hasher_init(&h) == 0) {
                ynode_hash(t, &h);
                hasher_release(&h);
        }
        ynode_free(t);
        diag_release(&d);
        if (recipe_load_buf((const char *)data, size, "fuzz.yaml", &o, &a, &d) == 0 && a->n_roles &&
            hasher_init(&h) == 0) {
                ynode_hash(a->roles[0]->tree, &h);
                hasher_release(&h);
        }
        appliance_free(a);
        diag_release(&d);
        return 0;
}
