/* test_guest_host.c: drives the libguestfs customize step on images the TAP tests build. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guest/guest.h"
#include "plan/plan.h"
#include "recipe/recipe.h"

/* Each step costs a libguestfs launch (15-30 s under TCG): the TAP script
 * t0610 builds the images with pocbake and passes them here:
 *   test_guest_host customize ROLE.yaml SRC-IMAGE OUT.raw
 * With no arguments (make check's unit run) every test is skipped. */
static int g_argc;
static char **g_argv;

static struct appliance *load(const char *path)
{
        const char *names[OUT_DELIVERABLES_MAX];
        struct load_opts o = {.deliverables = names,
                              .n_deliverables = plan_output_names(names, OUT_DELIVERABLES_MAX)};
        struct appliance *a = NULL;
        struct diag d = {0};
        int r = recipe_load(path, &o, &a, &d);

        diag_print(&d, "recipe: ");
        diag_release(&d);
        assert_int_equal(r, 0);
        return a;
}

static bool mode_is(const char *mode)
{
        return g_argc > 1 && !strcmp(g_argv[1], mode);
}

static void test_customize(void **state)
{
        struct appliance *a;
        struct diag d = {0};
        int r;

        if (!mode_is("customize"))
                skip();
        assert_int_equal(g_argc, 5);
        a = load(g_argv[2]);
        assert_int_equal(a->n_roles, 1);
        r = guest_customize(g_argv[3], g_argv[4], a->roles[0], 1700000000, &d);
        diag_print(&d, "customize: ");
        diag_release(&d);
        assert_int_equal(r, 0);
        appliance_free(a);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_customize),
        };

        g_argc = argc;
        g_argv = argv;
        if (argc == 1)
                printf("# test_guest_host: skipped: needs images; run by "
                       "test/t/t0610-customize.sh\n");
        return cmocka_run_group_tests(tests, NULL, NULL);
}
