/* outputs.c: the table of deliverables, and what every deliverable file shares. */
#include "outputs.h"

#include "plan.h"
#include "util/cleanup.h"

extern const struct output_type out_iso, out_pxe, out_bundle, out_bundle_gz, out_sha256sums,
        out_report;

/* In planning order: a row may carry what the rows above it export. The i-th
 * is OUT_DELIVERABLE(i) in a loaded appliance's outputs. */
static const struct output_type *const outputs[] = {
        &out_iso, &out_pxe, &out_bundle, &out_bundle_gz, &out_sha256sums, &out_report,
};

size_t plan_output_names(const char **names, size_t max)
{
        size_t n = 0;

        for (; n < ARRAY_SIZE(outputs) && n < max && n < OUT_DELIVERABLES_MAX; n++)
                names[n] = outputs[n]->name;
        return n;
}

int outputs_check(const struct appliance *a, const struct boot_config *b, struct diag *d)
{
        const struct output_type *signed_one = NULL;
        int rc = 0, rc2;

        for (size_t i = 0; i < ARRAY_SIZE(outputs); i++) {
                if (!(a->outputs & OUT_DELIVERABLE(i)))
                        continue;
                if (outputs[i]->needs_keys && !signed_one)
                        signed_one = outputs[i];
                if (b && outputs[i]->check && (rc2 = outputs[i]->check(a, b, d)) < 0)
                        rc = rc2;
        }
        if (signed_one && (!b || !b->keys))
                return diag_at(d, &a->mark,
                               "output %s is signed: it needs keys (expected --keys DIR from "
                               "'pocbake keys init')",
                               signed_one->name);
        if (signed_one && b && b->keys && (rc2 = codesign_check(b, d)) < 0)
                rc = rc2;
        return rc;
}

int outputs_plan(struct graph *g, struct diag *d)
{
        for (size_t i = 0; i < ARRAY_SIZE(outputs); i++) {
                int rc;

                if ((g->app->outputs & OUT_DELIVERABLE(i)) && (rc = outputs[i]->plan(g, d)) < 0)
                        return rc;
        }
        return 0;
}
