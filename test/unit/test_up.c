/* test_up.c: unit tests of the appliance checks' disk, the up state file and console results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "up/checks.h"
#include "up/state.h"
#include "util/fsutil.h"

static char dir[] = "/tmp/pocbake-test-up.XXXXXX";

static int setup(void **state)
{
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        return rm_rf(dir);
}

static void test_checks_disk(void **state)
{
        struct app_check checks[] = {
                {.name = "web",
                 .from = "client",
                 .command = "wget -qO- http://x/",
                 .expect = "it's up",
                 .timeout = 60},
                {.name = "other", .from = "web", .command = "true", .timeout = 5},
                {.name = "lease", .from = "client", .command = "cat /run/l", .timeout = 7},
        };
        struct appliance a = {.checks = checks, .n_checks = 3};
        char *path = path_join(dir, "client.checks"), *text = NULL;
        size_t len = 0, n = 0;
        int head = 0;

        assert_int_equal(checks_count(&a, "client"), 2);
        assert_int_equal(checks_count(&a, "web"), 1);
        assert_int_equal(checks_count(&a, "nobody"), 0);
        assert_int_equal(checks_disk(&a, "client", path), 0);
        assert_int_equal(read_file(path, &text, &len), 0);
        /* whole sectors; the first line counts the script, itself included */
        assert_int_equal(len % 512, 0);
        assert_int_equal(sscanf(text, "# pocbake-checks %zu\n%n", &n, &head), 1);
        assert_true(head > 0 && n > (size_t)head && n <= len);
        assert_int_equal(strlen(text), n);
        for (size_t i = n; i < len; i++)
                assert_int_equal(text[i], 0);
        /* only this VM's checks, their words quoted for sh */
        assert_non_null(strstr(text, "run 'web' 60 'it'\\''s up' 'wget -qO- http://x/' &\n"));
        assert_non_null(strstr(text, "run 'lease' 7 '' 'cat /run/l' &\n"));
        assert_null(strstr(text, "'other'"));
        assert_non_null(strstr(text, "\nwait\nexit 0\n"));
        free(text);
        free(path);
}

/* The count in the first line is right when adding it changes its own length. */
static void test_checks_disk_lengths(void **state)
{
        char cmd[1200];
        struct app_check k = {.name = "c", .from = "v", .command = cmd, .timeout = 1};
        struct appliance a = {.checks = &k, .n_checks = 1};
        char *path = path_join(dir, "v.checks");

        for (size_t c = 0; c < 1100; c += 7) {
                char *text = NULL;
                size_t len = 0, n = 0;

                memset(cmd, 'x', c);
                cmd[c] = 0;
                assert_int_equal(checks_disk(&a, "v", path), 0);
                assert_int_equal(read_file(path, &text, &len), 0);
                assert_int_equal(sscanf(text, "# pocbake-checks %zu", &n), 1);
                assert_int_equal(strlen(text), n);
                free(text);
        }
        free(path);
}

static void test_state_round_trip(void **state)
{
        struct state_vm vms[] = {{"host", 1234}, {"MAS-DC01", 99999}};
        struct state_check cs[] = {{"dhcp-lease", "MAS-CON01"}};
        struct up_state s = {
                .netns = "pocbake-0123abcd", .vms = vms, .n_vms = 2, .checks = cs, .n_checks = 1};
        struct up_state r;
        struct diag d = {0};
        char *up = path_join(dir, "up");

        assert_int_equal(state_read(dir, &r, &d), -ENOENT);
        assert_int_equal(mkdir_p(up, 0755), 0);
        assert_int_equal(state_write(dir, &s), 0);
        assert_int_equal(state_read(dir, &r, &d), 0);
        assert_string_equal(r.netns, "pocbake-0123abcd");
        assert_int_equal(r.n_vms, 2);
        assert_string_equal(r.vms[1].name, "MAS-DC01");
        assert_int_equal(r.vms[1].pid, 99999);
        assert_int_equal(r.n_checks, 1);
        assert_string_equal(r.checks[0].from, "MAS-CON01");
        state_release(&r);
        /* our own pid is not a QEMU */
        assert_false(state_vm_alive(getpid()));
        assert_int_equal(state_remove(dir), 0);
        assert_int_equal(state_read(dir, &r, &d), -ENOENT);
        diag_release(&d);
        free(up);
}

static void test_log_result(void **state)
{
        assert_int_equal(log_result("x\nPOCBAKE-CHECK web ok\n", "web"), 1);
        assert_int_equal(log_result("POCBAKE-CHECK web failed\n", "web"), -1);
        assert_int_equal(log_result("POCBAKE-CHECK webx ok\nPOCBAKE-CHECK aweb ok\n", "web"), 0);
        assert_int_equal(log_result(NULL, "web"), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_checks_disk),
                cmocka_unit_test(test_checks_disk_lengths),
                cmocka_unit_test(test_state_round_trip),
                cmocka_unit_test(test_log_result),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
