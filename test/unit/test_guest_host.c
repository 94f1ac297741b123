/* test_guest_host.c: drives the libguestfs steps (host pool + payloads, customize) on images the
 * TAP tests build. */
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

/* Each step costs a libguestfs launch (15-30 s under TCG): the TAP scripts
 * t0600 and t0610 build the images with pocbake and pass them here:
 *   test_guest_host host APP.yaml HOST.raw ROLE.qcow2...   (one per role, in recipe order)
 *   test_guest_host customize ROLE.yaml SRC-IMAGE OUT.raw
 *   test_guest_host bad-pool APP.yaml HOST.raw             (a pool that cannot fit)
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

static void test_host(void **state)
{
        struct appliance *a;
        struct diag d = {0};
        int r;

        if (!mode_is("host"))
                skip();
        assert_true(g_argc >= 4);
        a = load(g_argv[2]);
        assert_non_null(a->host);
        assert_int_equal((size_t)(g_argc - 4), a->n_roles);
        r = guest_make_host(g_argv[3], a, (const char *const *)(g_argv + 4), &d);
        diag_print(&d, "host: ");
        diag_release(&d);
        assert_int_equal(r, 0);
        appliance_free(a);
}

/* A failing step names the image and the step with libguestfs' reason. */
static void test_bad_pool(void **state)
{
        struct appliance *a;
        struct diag d = {0};
        int r;

        if (!mode_is("bad-pool"))
                skip();
        a = load(g_argv[2]);
        r = guest_make_pool(g_argv[3], a->host, &d);
        assert_true(r < 0);
        assert_int_equal(d.n, 1);
        diag_print(&d, "bad-pool: ");
        assert_non_null(strstr(d.msgs[0], ".raw: "));
        diag_release(&d);
        appliance_free(a);
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
                cmocka_unit_test(test_host),
                cmocka_unit_test(test_bad_pool),
                cmocka_unit_test(test_customize),
        };

        g_argc = argc;
        g_argv = argv;
        if (argc == 1)
                printf("# test_guest_host: skipped: needs images; run by "
                       "test/t/t0600-host-image.sh and t0610-customize.sh\n");
        return cmocka_run_group_tests(tests, NULL, NULL);
}
