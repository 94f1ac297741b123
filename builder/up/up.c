/* up.c: bring a built appliance up: switches, VMs, their checks and the appliance's, reported as
 * they come. */
#include "up.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/qemu.h"
#include "checks.h"
#include "netns.h"
#include "state.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/html.h"
#include "util/json.h"

#define NIC_MAX 8

struct vm {
        const struct role *r;
        char *image, *checks;
        char taps[NIC_MAX][16], macs[NIC_MAX][18];
        struct boot_nic nics[NIC_MAX];
        struct boot_run b;
        struct boot_vm run;
        size_t order; /* its place in the recipe */
        bool started, exited;
        int result; /* 1 own check ok, -1 failed, 0 not yet */
        double boot_s, check_s;
};

struct check {
        const struct app_check *k;
        struct vm *from;
        int result;
        double s;
};

struct up {
        const struct appliance *a;
        const struct up_opts *o;
        char netns[NETNS_NAME_MAX];
        char *dir; /* OUT/up */
        struct vm *vms;
        size_t n_vms;
        struct check *checks;
        size_t n_checks;
        double t0;
        long peak_kib; /* the VMs' resident memory together, at its highest */
        unsigned jobs; /* VMs booting at once */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
        stop_signal = sig;
}

static bool wanted(const struct up_opts *o, const char *name)
{
        if (!o->n_roles)
                return true;
        for (size_t i = 0; i < o->n_roles; i++)
                if (!strcmp(o->roles[i], name))
                        return true;
        return false;
}

/* The role's disk as it was built: raw, else qcow2, else vhdx. */
static char *image_of(const char *out, const struct role *r)
{
        static const struct {
                unsigned bit;
                const char *ext;
        } order[] = {{OUT_RAW, "raw"}, {OUT_QCOW2, "qcow2"}, {OUT_VHDX, "vhdx"}};

        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                char *p = NULL;

                if (!(r->outputs & order[i].bit))
                        continue;
                if (asprintf(&p, "%s/%s/%s.%s", out, r->name, r->name, order[i].ext) < 0)
                        return NULL;
                return p;
        }
        return NULL;
}

static const struct network_spec *network(const struct appliance *a, const char *name)
{
        for (size_t i = 0; i < a->n_networks; i++)
                if (!strcmp(a->networks[i].name, name))
                        return &a->networks[i];
        return NULL;
}

/* A bridge name in the namespace: the recipe's, or "br-" and the network's name. */
static void bridge_of(const struct network_spec *n, char out[16])
{
        if (n->bridge)
                snprintf(out, 16, "%s", n->bridge);
        else
                snprintf(out, 16, "br-%.12s", n->name);
}

static int plan_vm(struct up *u, const struct role *r, struct diag *d)
{
        struct vm *v = &u->vms[u->n_vms];

        memset(v, 0, sizeof(*v));
        v->r = r;
        v->image = image_of(u->o->out, r);
        if (!v->image)
                return diag_err(d, -ENOENT, "%s: its recipe asks for no raw, qcow2 or vhdx disk",
                                r->name);
        if (access(v->image, R_OK) < 0)
                return diag_err(d, -ENOENT,
                                "%s: no %s (expected the appliance built into %s: pocbake build "
                                "--keys DIR, or pocbake up --keys DIR to build it first)",
                                r->name, v->image, u->o->out);
        if (r->vm.n_nics > NIC_MAX)
                return diag_err(d, -E2BIG, "%s: more than %d nics", r->name, NIC_MAX);
        for (size_t i = 0; i < r->vm.n_nics; i++) {
                const struct nic_spec *n = &r->vm.nics[i];

                if (!network(u->a, n->network))
                        return diag_err(d, -ENOENT, "%s: network \"%s\" is not the appliance's",
                                        r->name, n->network);
                /* at most 15 characters: NIC_MAX and the role count keep it short */
                snprintf(v->taps[i], sizeof(v->taps[i]), "t%u.%u", (unsigned)(u->n_vms % 10000),
                         (unsigned)(i % NIC_MAX));
                if (n->mac)
                        snprintf(v->macs[i], 18, "%s", n->mac);
                else
                        recipe_nic_mac(r->name, n->network, v->macs[i]);
        }
        /* every VM gets its checks disk, even an empty one: it also tells a host
         * that it runs beside its roles, not above them */
        if (asprintf(&v->checks, "%s/%s.checks", u->dir, r->name) < 0)
                return -ENOMEM;
        v->b = (struct boot_run){
                .image = v->image,
                .firmware = "ovmf-secboot",
                .accel = u->o->accel,
                .name = r->name,
                .memory_mb = (unsigned)(r->vm.memory >> 20),
                .cpus = r->vm.vcpus,
                .timeout = u->o->timeout,
                .n_nics = r->vm.n_nics,
                .netns = u->netns,
                .checks = v->checks,
                .state_dir = u->dir,
                .detach = u->o->detach,
        };
        if (asprintf((char **)&v->b.log, "%s/%s.log", u->dir, r->name) < 0)
                return -ENOMEM;
        u->n_vms++;
        return 0;
}

static struct vm *vm_named(struct up *u, const char *name)
{
        for (size_t i = 0; i < u->n_vms; i++)
                if (!strcmp(u->vms[i].r->name, name))
                        return &u->vms[i];
        return NULL;
}

/* The pointers a VM holds into itself (its NICs' tap names and MACs), set once the
 * VMs are in their final place: sorting moves them. */
static void wire_vm(struct vm *v)
{
        for (size_t i = 0; i < v->r->vm.n_nics; i++)
                v->nics[i] = (struct boot_nic){v->taps[i], v->macs[i], v->r->vm.nics[i].model};
        v->b.nics = v->nics;
}

static int by_order(const void *x, const void *y)
{
        const struct vm *a = x, *b = y;

        return a->order < b->order ? -1 : a->order > b->order;
}

static int plan(struct up *u, struct diag *d)
{
        const struct appliance *a = u->a;
        size_t n = a->n_roles + 1;
        int rc = 0;

        u->vms = calloc(n, sizeof(*u->vms));
        u->checks = calloc(a->n_checks + 1, sizeof(*u->checks));
        if (!u->vms || !u->checks)
                return -ENOMEM;
        if (a->host && wanted(u->o, a->host->name))
                rc = plan_vm(u, a->host, d);
        for (size_t i = 0; rc >= 0 && i < a->n_roles; i++)
                if (!a->roles[i]->disabled && wanted(u->o, a->roles[i]->name))
                        rc = plan_vm(u, a->roles[i], d);
        for (size_t i = 0; rc >= 0 && i < u->o->n_roles; i++)
                if (!vm_named(u, u->o->roles[i]))
                        rc = diag_err(d, -ENOENT, "--role %s: no such role or host in %s",
                                      u->o->roles[i], a->file);
        if (rc >= 0 && !u->n_vms)
                rc = diag_err(d, -ENOENT, "%s: no VM to start", a->file);
        /* the VMs that only serve boot first; those that run appliance checks
         * last, so that their peers are there when the checks start */
        for (size_t i = 0; i < u->n_vms; i++)
                u->vms[i].order = i + (checks_count(a, u->vms[i].r->name) ? u->n_vms : 0);
        if (rc >= 0)
                qsort(u->vms, u->n_vms, sizeof(*u->vms), by_order);
        for (size_t i = 0; i < u->n_vms; i++)
                wire_vm(&u->vms[i]);
        /* checks run from the VMs that are started; with --role, the others wait */
        for (size_t i = 0; rc >= 0 && i < a->n_checks; i++) {
                struct vm *from = vm_named(u, a->checks[i].from);

                if (from)
                        u->checks[u->n_checks++] = (struct check){&a->checks[i], from, 0, 0};
        }
        return rc;
}

static int state_of(struct up *u)
{
        _cleanup_free_ struct state_vm *vms = calloc(u->n_vms + 1, sizeof(*vms));
        _cleanup_free_ struct state_check *cs = calloc(u->n_checks + 1, sizeof(*cs));
        struct up_state s = {.vms = vms, .checks = cs, .n_checks = u->n_checks};

        if (!vms || !cs)
                return -ENOMEM;
        snprintf(s.netns, sizeof(s.netns), "%s", u->netns);
        for (size_t i = 0; i < u->n_vms; i++)
                if (u->vms[i].started) {
                        snprintf(vms[s.n_vms].name, STATE_NAME_MAX, "%s", u->vms[i].r->name);
                        vms[s.n_vms++].pid = u->vms[i].run.pid;
                }
        for (size_t i = 0; i < u->n_checks; i++) {
                snprintf(cs[i].name, STATE_NAME_MAX, "%s", u->checks[i].k->name);
                snprintf(cs[i].from, STATE_NAME_MAX, "%s", u->checks[i].from->r->name);
        }
        return state_write(u->o->out, &s);
}

/* The switches, the taps and the checks disks; the VMs start from watch(). */
static int prepare(struct up *u, struct diag *d)
{
        int rc = netns_create(u->netns, d);

        for (size_t i = 0; rc >= 0 && i < u->a->n_networks; i++) {
                char br[16];

                bridge_of(&u->a->networks[i], br);
                rc = netns_bridge(u->netns, br, d);
        }
        for (size_t i = 0; rc >= 0 && i < u->n_vms; i++) {
                struct vm *v = &u->vms[i];

                for (size_t k = 0; rc >= 0 && k < v->r->vm.n_nics; k++) {
                        char br[16];

                        bridge_of(network(u->a, v->r->vm.nics[k].network), br);
                        rc = netns_tap(u->netns, v->taps[k], br, d);
                }
                if (rc >= 0 && v->checks) {
                        rc = checks_disk(u->a, v->r->name, v->checks);
                        if (rc < 0)
                                diag_err(d, rc, "%s: %s", v->checks, strerror(-rc));
                }
        }
        return rc;
}

/* Start the next VMs while fewer than jobs are still booting (a VM boots until
 * its own check reported). */
static int start_more(struct up *u, struct diag *d)
{
        size_t booting = 0;
        bool any = false;
        int rc = 0;

        for (size_t i = 0; i < u->n_vms; i++)
                booting += u->vms[i].started && !u->vms[i].result;
        for (size_t i = 0; i < u->n_vms && booting < u->jobs; i++) {
                struct vm *v = &u->vms[i];

                if (v->started || v->result)
                        continue;
                rc = boot_start(&v->b, &v->run, d);
                if (rc < 0)
                        return rc;
                v->started = any = true;
                booting++;
                if (!u->o->json)
                        printf("%-14s started (pid %ld)\n", v->r->name, (long)v->run.pid);
        }
        fflush(stdout);
        return any ? state_of(u) : 0;
}

static long rss_kib(pid_t pid)
{
        _cleanup_free_ char *p = NULL, *text = NULL;
        const char *l;

        if (asprintf(&p, "/proc/%ld/status", (long)pid) < 0 || read_file(p, &text, NULL) < 0)
                return 0;
        l = strstr(text, "\nVmRSS:");
        return l ? strtol(l + 7, NULL, 10) : 0;
}

/* Console lines that start with prefix, each as a line of message or JSON. */
static void show_lines(const char *text, const char *prefix, FILE *f, bool json)
{
        size_t n = strlen(prefix);
        bool first = true;

        for (const char *l = text; l && *l;) {
                const char *e = strchr(l, '\n');
                size_t len = e ? (size_t)(e - l) : strlen(l);

                if (len >= n && !strncmp(l, prefix, n)) {
                        _cleanup_free_ char *line = strndup(l, len);

                        if (line && json) {
                                fputs(first ? "" : ",", f);
                                json_put_str(f, line);
                        } else if (line) {
                                fprintf(f, "    %s\n", line);
                        }
                        first = false;
                }
                l = e ? e + 1 : NULL;
        }
}

static const char *result_word(int r)
{
        return r > 0 ? "ok" : r < 0 ? "failed" : "pending";
}

/* The end of a JSON event: why it ended so, and a failure's last output lines. */
static void json_end(const char *why, int result, const char *text, const char *prefix)
{
        if (why) {
                printf(", \"why\": ");
                json_put_str(stdout, why);
        }
        if (result < 0) {
                printf(", \"output\": [");
                show_lines(text, prefix, stdout, true);
                printf("]");
        }
        printf("}\n");
}

static void report_vm(struct up *u, struct vm *v, const char *text, const char *why)
{
        _cleanup_free_ char *prefix = NULL;

        if (asprintf(&prefix, "pocbake-check:") < 0)
                return;
        if (u->o->json) {
                printf("{\"event\": \"vm\", \"name\": ");
                json_put_str(stdout, v->r->name);
                printf(", \"result\": \"%s\", \"boot_seconds\": %.1f, \"check_seconds\": %.1f",
                       result_word(v->result), v->boot_s, v->check_s);
                json_end(why, v->result, text, prefix);
        } else {
                printf("%-14s %s", v->r->name, v->result > 0 ? "up" : "FAILED");
                if (v->boot_s > 0)
                        printf(", booted in %.0f s", v->boot_s);
                printf(", own check %s in %.0f s%s%s\n", result_word(v->result), v->check_s,
                       why ? ": " : "", why ? why : "");
                if (v->result < 0)
                        show_lines(text, prefix, stdout, false);
        }
        fflush(stdout);
}

static void report_check(struct up *u, struct check *c, const char *text, const char *why)
{
        _cleanup_free_ char *prefix = NULL;

        if (asprintf(&prefix, "pocbake-check %s:", c->k->name) < 0)
                return;
        if (u->o->json) {
                printf("{\"event\": \"check\", \"name\": ");
                json_put_str(stdout, c->k->name);
                printf(", \"from\": ");
                json_put_str(stdout, c->from->r->name);
                printf(", \"result\": \"%s\", \"seconds\": %.1f", result_word(c->result), c->s);
                json_end(why, c->result, text, prefix);
        } else {
                printf("check %-20s %s from %s in %.0f s%s%s\n", c->k->name,
                       c->result > 0 ? "ok" : "FAILED", c->from->r->name, c->s, why ? ": " : "",
                       why ? why : "");
                if (c->result < 0)
                        show_lines(text, prefix, stdout, false);
        }
        fflush(stdout);
}

/* Fail what is still waiting on a VM that cannot report any more. */
static void give_up_on(struct up *u, struct vm *v, const char *text, const char *why)
{
        double now = boot_now() - u->t0;

        if (!v->result) {
                v->result = -1;
                v->check_s = v->started ? boot_now() - v->run.t0 : 0;
                report_vm(u, v, text, why);
        }
        for (size_t i = 0; i < u->n_checks; i++)
                if (u->checks[i].from == v && !u->checks[i].result) {
                        u->checks[i].result = -1;
                        u->checks[i].s = now;
                        report_check(u, &u->checks[i], text, why);
                }
}

static void poll_vm(struct up *u, struct vm *v)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *booted = NULL;
        double now = boot_now() - u->t0, own = boot_now() - v->run.t0;
        int status;

        if (!v->started || !(text = log_read(v->b.log, NULL)))
                return;
        /* booted: busybox init says so; a systemd root says multi-user.target, or with
         * a quiet kernel only shows getty's login prompt */
        if (!v->boot_s && asprintf(&booted, "pocbake: %s up", v->r->name) >= 0 &&
            (strstr(text, booted) || strstr(text, "Reached target multi-user.target") ||
             strstr(text, " login: ")))
                v->boot_s = own;
        if (!v->result && (v->result = log_result(text, v->r->name)) != 0) {
                v->check_s = own;
                report_vm(u, v, text, NULL);
                if (v->result < 0)
                        give_up_on(u, v, text, "its own check failed");
        }
        for (size_t i = 0; i < u->n_checks; i++) {
                struct check *c = &u->checks[i];

                if (c->from != v || c->result || !(c->result = log_result(text, c->k->name)))
                        continue;
                c->s = now;
                report_check(u, c, text, NULL);
        }
        if (!v->exited && waitpid(v->run.pid, &status, WNOHANG) == v->run.pid) {
                v->exited = true;
                give_up_on(u, v, text,
                           strstr(text, "Access Denied")
                                   ? "the firmware refused its image (Access Denied)"
                                   : "QEMU stopped");
        }
}

static bool done(const struct up *u)
{
        for (size_t i = 0; i < u->n_vms; i++)
                if (!u->vms[i].result)
                        return false;
        for (size_t i = 0; i < u->n_checks; i++)
                if (!u->checks[i].result)
                        return false;
        return true;
}

static int watch(struct up *u, struct diag *d)
{
        while (!done(u)) {
                long kib = 0;
                int rc;

                if (stop_signal)
                        return -EINTR;
                if ((rc = start_more(u, d)) < 0)
                        return rc;
                for (size_t i = 0; i < u->n_vms; i++) {
                        poll_vm(u, &u->vms[i]);
                        if (u->vms[i].started && !u->vms[i].exited)
                                kib += rss_kib(u->vms[i].run.pid);
                }
                if (kib > u->peak_kib)
                        u->peak_kib = kib;
                if (boot_now() - u->t0 > u->o->timeout) {
                        for (size_t i = 0; i < u->n_vms; i++) {
                                _cleanup_free_ char *text = log_read(u->vms[i].b.log, NULL);

                                give_up_on(u, &u->vms[i], text, "timed out");
                        }
                        return -ETIMEDOUT;
                }
                usleep(500000);
        }
        return 0;
}

static void table(struct up *u, int rc)
{
        size_t bad = 0;

        for (size_t i = 0; i < u->n_vms; i++)
                bad += u->vms[i].result <= 0;
        for (size_t i = 0; i < u->n_checks; i++)
                bad += u->checks[i].result <= 0;
        if (u->o->json) {
                printf("{\"event\": \"done\", \"result\": \"%s\", \"vms\": %zu, \"checks\": %zu, "
                       "\"failed\": %zu, \"seconds\": %.1f, \"peak_rss_mib\": %ld}\n",
                       rc == 0 ? "ok" : "failed", u->n_vms, u->n_checks, bad, boot_now() - u->t0,
                       u->peak_kib / 1024);
                return;
        }
        printf("\n%-14s %6s %6s  %s\n", "VM", "BOOT", "CHECK", "RESULT");
        for (size_t i = 0; i < u->n_vms; i++) {
                const struct vm *v = &u->vms[i];

                printf("%-14s %5.0fs %5.0fs  %s\n", v->r->name, v->boot_s, v->check_s,
                       v->started ? result_word(v->result) : "not started");
        }
        if (u->n_checks)
                printf("\n%-20s %-14s %6s  %s\n", "CHECK", "FROM", "TIME", "RESULT");
        for (size_t i = 0; i < u->n_checks; i++) {
                const struct check *c = &u->checks[i];

                printf("%-20s %-14s %5.0fs  %s\n", c->k->name, c->from->r->name, c->s,
                       result_word(c->result));
        }
        printf("\n%s: %zu VMs, %zu appliance checks, %zu failed, in %.0f s; the VMs' memory "
               "peaked at %ld MiB\n",
               bad ? "FAILED" : "all passed", u->n_vms, u->n_checks, bad, boot_now() - u->t0,
               u->peak_kib / 1024);
}

/* The appliance's report (OUT/APPLIANCE.html, outputs: [report]) gets this run's
 * results in its checks section; a warning when it cannot. */
static void report_results(struct up *u, int rc)
{
        _cleanup_free_ char *page = NULL, *buf = NULL;
        size_t len = 0, bad = 0;
        FILE *f;
        int r;

        for (size_t i = 0; i < u->n_vms; i++)
                bad += u->vms[i].result <= 0;
        for (size_t i = 0; i < u->n_checks; i++)
                bad += u->checks[i].result <= 0;
        if (asprintf(&page, "%s/%s.html", u->o->out, u->a->name) < 0 || access(page, F_OK) < 0)
                return;
        if (!(f = open_memstream(&buf, &len)))
                return;
        fprintf(f,
                "<section id=\"checks\"><h2>Checks</h2>\n<p>The last <code>pocbake up</code>: "
                "<strong>%s</strong>, %zu VMs and %zu appliance checks in %.0f s.</p>\n"
                "<table><tr><th>VM</th><th class=\"n\">Booted in</th><th class=\"n\">Its "
                "check in</th><th>Result</th></tr>\n",
                rc == 0 && !bad ? "every check passed" : "not every check passed", u->n_vms,
                u->n_checks, boot_now() - u->t0);
        for (size_t i = 0; i < u->n_vms; i++) {
                const struct vm *v = &u->vms[i];

                fputs("<tr><td>", f);
                html_put(f, v->r->name);
                fprintf(f,
                        "</td><td class=\"n\">%.0f s</td><td class=\"n\">%.0f "
                        "s</td><td>%s</td></tr>\n",
                        v->boot_s, v->check_s, v->started ? result_word(v->result) : "not started");
        }
        fputs("</table>\n", f);
        if (u->n_checks)
                fputs("<table><tr><th>Check</th><th>From</th><th>Command</th><th>Expects</th>"
                      "<th class=\"n\">Time</th><th>Result</th></tr>\n",
                      f);
        for (size_t i = 0; i < u->n_checks; i++) {
                const struct check *c = &u->checks[i];

                fputs("<tr><td>", f);
                html_put(f, c->k->name);
                fputs("</td><td>", f);
                html_put(f, c->from->r->name);
                fputs("</td><td><code>", f);
                html_put(f, c->k->command);
                fputs("</code></td><td><code>", f);
                html_put(f, c->k->expect);
                fprintf(f, "</code></td><td class=\"n\">%.0f s</td><td>%s</td></tr>\n", c->s,
                        result_word(c->result));
        }
        if (u->n_checks)
                fputs("</table>\n", f);
        fputs("</section>", f);
        if (fclose(f) != 0)
                return;
        if ((r = html_replace_section(page, "checks", buf, len)) < 0)
                fprintf(stderr, "pocbake up: warning: cannot put the results into %s: %s\n", page,
                        strerror(-r));
}

static void teardown(struct up *u, struct diag *d)
{
        for (size_t i = 0; i < u->n_vms; i++)
                if (u->vms[i].started && !u->vms[i].exited)
                        boot_kill_pid(u->vms[i].run.pid);
        for (size_t i = 0; i < u->n_vms; i++)
                if (u->vms[i].started)
                        boot_stop(&u->vms[i].run, false);
        netns_delete(u->netns, d);
        state_remove(u->o->out);
}

static void release(struct up *u)
{
        for (size_t i = 0; u->vms && i < u->n_vms; i++) {
                free(u->vms[i].image);
                free(u->vms[i].checks);
                free((char *)u->vms[i].b.log);
        }
        free(u->vms);
        free(u->checks);
        free(u->dir);
}

/* An appliance up from this directory already: refused while it runs; what a
 * killed `up` left behind is cleared. */
static int leftovers(const char *out, struct diag *d)
{
        struct up_state s;
        int rc = state_read(out, &s, d);

        if (rc == -ENOENT)
                return 0;
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < s.n_vms; i++)
                if (state_vm_alive(s.vms[i].pid)) {
                        state_release(&s);
                        return diag_err(d, -EEXIST,
                                        "an appliance is up from %s already (expected pocbake "
                                        "down -o %s first)",
                                        out, out);
                }
        state_release(&s);
        return up_down(out, d);
}

int up_run(const struct appliance *a, const struct up_opts *o, struct diag *d)
{
        struct up u = {.a = a, .o = o};
        struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_hup;
        int rc;

        if (geteuid() != 0)
                return diag_err(d, -EPERM,
                                "bringing an appliance up makes a network namespace with bridges "
                                "and taps: run as root");
        if (asprintf(&u.dir, "%s/up", o->out) < 0)
                return -ENOMEM;
        rc = mkdir_p(u.dir, 0755);
        if (rc < 0)
                diag_err(d, rc, "%s: %s", u.dir, strerror(-rc));
        if (rc >= 0)
                rc = leftovers(o->out, d);
        if (rc >= 0)
                rc = netns_name(o->out, u.netns);
        if (rc >= 0)
                rc = plan(&u, d);
        if (rc < 0) {
                release(&u);
                return rc;
        }
        /* under TCG a booting VM keeps a CPU busy: boot as many at once as there
         * are CPUs; with KVM all at once */
        u.jobs = o->jobs                                ? o->jobs
                 : !strcmp(boot_accel(o->accel), "kvm") ? (unsigned)u.n_vms
                                                        : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
        if (!u.jobs)
                u.jobs = 1;
        stop_signal = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        u.t0 = boot_now();
        if (!o->json)
                printf("bringing up %s: %zu VMs (%u booting at once), %zu appliance checks, "
                       "consoles in %s/\n",
                       a->name, u.n_vms, u.jobs, u.n_checks, u.dir);
        rc = prepare(&u, d);
        if (rc >= 0)
                rc = watch(&u, d);
        if (rc >= 0 || rc == -ETIMEDOUT || rc == -EINTR) {
                table(&u, rc);
                report_results(&u, rc);
        }
        if (rc >= 0 && !done(&u))
                rc = -EBADMSG;
        for (size_t i = 0; rc >= 0 && i < u.n_vms; i++)
                if (u.vms[i].result < 0)
                        rc = -EBADMSG;
        for (size_t i = 0; rc >= 0 && i < u.n_checks; i++)
                if (u.checks[i].result < 0)
                        rc = -EBADMSG;
        if (rc == -EINTR)
                diag_err(d, rc, "stopped by signal %d: the appliance is torn down",
                         (int)stop_signal);
        else if (rc == -EBADMSG)
                diag_err(d, rc, "a check failed (consoles in %s/)", u.dir);
        else if (rc == -ETIMEDOUT)
                diag_err(d, rc, "not every check reported in %u s (consoles in %s/)", o->timeout,
                         u.dir);
        if (o->detach && (rc >= 0 || rc == -EBADMSG || rc == -ETIMEDOUT)) {
                for (size_t i = 0; i < u.n_vms; i++)
                        if (u.vms[i].started)
                                boot_stop(&u.vms[i].run, false);
                if (!o->json)
                        printf("left running: pocbake status -o %s; pocbake down -o %s\n", o->out,
                               o->out);
        } else {
                teardown(&u, d);
        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        release(&u);
        return rc;
}

int up_down(const char *out, struct diag *d)
{
        struct up_state s;
        int rc = state_read(out, &s, d);

        if (rc == -ENOENT)
                return diag_err(d, rc, "no appliance is up from %s", out);
        if (rc < 0)
                return rc;
        for (size_t i = 0; i < s.n_vms; i++)
                if (state_vm_alive(s.vms[i].pid))
                        boot_kill_pid(s.vms[i].pid);
        rc = netns_delete(s.netns, d);
        if (rc >= 0)
                rc = state_remove(out);
        state_release(&s);
        return rc;
}

int up_status(const char *out, bool json, struct diag *d)
{
        struct up_state s;
        int rc = state_read(out, &s, d);
        size_t running = 0;

        if (rc == -ENOENT)
                return diag_err(d, rc, "no appliance is up from %s", out);
        if (rc < 0)
                return rc;
        if (!json)
                printf("%-14s %-8s %8s  %s\n", "VM", "STATE", "PID", "CHECK");
        for (size_t i = 0; i < s.n_vms; i++) {
                _cleanup_free_ char *log = NULL, *text = NULL;
                bool alive = state_vm_alive(s.vms[i].pid);

                running += alive;
                if (asprintf(&log, "%s/up/%s.log", out, s.vms[i].name) >= 0)
                        text = log_read(log, NULL);
                if (json) {
                        printf("{\"event\": \"vm\", \"name\": ");
                        json_put_str(stdout, s.vms[i].name);
                        printf(", \"state\": \"%s\", \"pid\": %ld, \"result\": \"%s\"}\n",
                               alive ? "running" : "stopped", (long)s.vms[i].pid,
                               result_word(log_result(text, s.vms[i].name)));
                } else {
                        printf("%-14s %-8s %8ld  %s\n", s.vms[i].name,
                               alive ? "running" : "stopped", (long)s.vms[i].pid,
                               result_word(log_result(text, s.vms[i].name)));
                }
        }
        if (!json && s.n_checks)
                printf("\n%-20s %-14s %s\n", "CHECK", "FROM", "RESULT");
        for (size_t i = 0; i < s.n_checks; i++) {
                _cleanup_free_ char *log = NULL, *text = NULL;
                int r;

                if (asprintf(&log, "%s/up/%s.log", out, s.checks[i].from) >= 0)
                        text = log_read(log, NULL);
                r = log_result(text, s.checks[i].name);
                if (json) {
                        printf("{\"event\": \"check\", \"name\": ");
                        json_put_str(stdout, s.checks[i].name);
                        printf(", \"from\": ");
                        json_put_str(stdout, s.checks[i].from);
                        printf(", \"result\": \"%s\"}\n", result_word(r));
                } else {
                        printf("%-20s %-14s %s\n", s.checks[i].name, s.checks[i].from,
                               result_word(r));
                }
        }
        if (!json)
                printf("\nnetwork namespace %s (%s); %zu of %zu VMs running\n", s.netns,
                       netns_exists(s.netns) ? "present" : "gone", running, s.n_vms);
        state_release(&s);
        return running ? 0 : diag_err(d, -ENOENT, "no VM of the appliance in %s runs", out);
}
