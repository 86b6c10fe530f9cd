/* Crash atomicity: a child process drives orders through the state machine
 * (lock, transitions, reprints) on its own connection and is SIGKILLed at a
 * random moment; the parent re-opens the store and checks, for every order, that
 * state change <=> audit row <=> outbox row hold all together or not at all:
 *   - the audit rows chain (each from = previous to) and end at the order's state;
 *   - the outbox holds exactly one row per audit row that implies one, in order
 *     and of the matching type;
 *   - a locked order's total is the integer sum of its priced items;
 *   - PRAGMA quick_check passes.
 * SIGKILL tests atomicity of the transaction, not power loss (the page cache
 * survives); power loss is what synchronous=FULL covers.
 * Usage: test_store_kill [ITERATIONS] (default 50; the torture script runs more). */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "sync/order_state.h"
#include "tests/store/store_fixture.h"

static int iterations = 50;

/* The child: run orders through their whole life until killed. */
static int progress_fd = -1;

/* One byte per finished step, so the parent can kill at a random step whatever
 * the disk's speed (a loaded CI disk makes each commit 1-20 ms). */
static int step_done(int r)
{
        if (r == 0) {
                char b = 1;
                ssize_t w = write(progress_fd, &b, 1);
                (void)w;
        }
        return r;
}

static void child_main(const char *dir, const char *photo_sha) __attribute__((noreturn));
static void child_main(const char *dir, const char *photo_sha)
{
        struct store *s = NULL;
        if (step_done(store_open(dir, &s, NULL)) != 0)
                _exit(3);
        static const enum order_state path[] = { ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                                 ORDER_PRINTED, ORDER_READY, ORDER_COLLECTED };
        for (unsigned n = 0; n < 100000; n++) {
                char id[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE], job[STORE_ID_SIZE];
                if (step_done(store_order_create(s, NULL, id, code, NULL)) != 0)
                        _exit(4);
                struct store_item_spec sp = { .asset_sha256 = photo_sha, .sku = "PRINT-6X4",
                                              .paper = n % 2 ? "glossy" : "lustre", .quantity = 1 + (int)(n % 5),
                                              .crop_w = 1, .crop_h = 1 };
                if (step_done(store_order_add_item(s, id, &sp, item, NULL)) != 0 ||
                    step_done(store_order_lock(s, id, fx_prices(), "customer", NULL)) != 0)
                        _exit(5);
                for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
                        if (n % 7 == 3 && path[i] == ORDER_PRINTING) {
                                /* some orders fail and are retried by staff */
                                if (store_order_transition(s, id, ORDER_FAILED, "system", "media-empty", NULL) ||
                                    store_order_transition(s, id, ORDER_QUEUED, "staff:7", "paper loaded", NULL))
                                        _exit(6);
                        }
                        if (step_done(store_order_transition(s, id, path[i], "system", NULL, NULL)) != 0)
                                _exit(7);
                        if (path[i] == ORDER_PRINTED && n % 3 == 0 &&
                            step_done(store_job_reprint(s, item, "pk-q", 1, "smudge", "staff:9", job, NULL)) != 0)
                                _exit(8);
                }
        }
        store_close(s);
        _exit(0);
}

static const char *event_for_audit(const struct store_audit *a)
{
        if (strcmp(a->kind, "reprint") == 0)
                return "reprinted";
        if (strcmp(a->kind, "insert") == 0)
                return "accepted";
        enum order_state from = ORDER_DRAFT, to = ORDER_DRAFT;
        if (store_order_state_parse(a->from, &from) < 0 || store_order_state_parse(a->to, &to) < 0)
                fail_msg("audit row with unknown states %s -> %s", a->from, a->to);
        return store_order_transition_event(from, to);
}

static char *row_type(const struct store_outbox_row *r)
{
        if (r->kind == STORE_OUTBOX_ORDER)
                return strdup("order");
        json_t *j = json_loads(r->payload, 0, NULL);
        const char *t = json_string_value(json_object_get(j, "type"));
        char *out = t ? strdup(t) : NULL;
        json_decref(j);
        return out;
}

static size_t check_invariants(const char *dir)
{
        struct store *s = NULL;
        struct store_errbuf err = { "" };
        if (store_open(dir, &s, &err) != 0)
                fail_msg("reopen after kill: %s", err.msg);
        if (store_check(s, &err) != 0)
                fail_msg("quick_check: %s", err.msg);
        struct store_order_summary *orders = NULL;
        size_t n = 0;
        struct store_order_filter all = { .limit = 10000 };
        assert_int_equal(store_order_list(s, &all, &orders, &n, NULL), 0);
        for (size_t i = 0; i < n; i++) {
                const char *id = orders[i].id;
                struct store_audit *audit = NULL;
                size_t na = 0;
                struct store_outbox_row *out = NULL;
                size_t no = 0;
                assert_int_equal(store_audit_list(s, id, &audit, &na, NULL), 0);
                assert_int_equal(store_outbox_list(s, id, &out, &no, NULL), 0);
                const char *cur = "draft";
                size_t k = 0;
                for (size_t a = 0; a < na; a++) {
                        if (strcmp(audit[a].kind, "transition") == 0) {
                                if (strcmp(audit[a].from, cur) != 0)
                                        fail_msg("order %s: audit %zu from %s, expected %s", id, a, audit[a].from, cur);
                                cur = audit[a].to;
                        }
                        const char *ev = event_for_audit(&audit[a]);
                        if (!ev)
                                continue;
                        if (k >= no)
                                fail_msg("order %s: audit %s->%s has no outbox row", id, audit[a].from, audit[a].to);
                        char *t = row_type(&out[k]);
                        if (!t || strcmp(t, ev) != 0)
                                fail_msg("order %s: outbox row %zu is %s, audit wants %s", id, k, t ? t : "?", ev);
                        free(t);
                        k++;
                }
                if (k != no)
                        fail_msg("order %s: %zu outbox rows but %zu audit rows imply rows", id, no, k);
                if (strcmp(cur, store_order_state_name(orders[i].state)) != 0)
                        fail_msg("order %s: state %s but audit ends at %s", id,
                                 store_order_state_name(orders[i].state), cur);
                if (orders[i].state != ORDER_DRAFT && orders[i].state != ORDER_CANCELLED) {
                        struct store_order *o = NULL;
                        assert_int_equal(store_order_get(s, id, &o, NULL), 0);
                        int64_t sum = 0;
                        for (size_t x = 0; x < o->n_items; x++) {
                                assert_true(o->items[x].unit_price_minor > 0);
                                sum += o->items[x].quantity * o->items[x].unit_price_minor;
                        }
                        assert_int_equal(o->total_minor, sum);
                        store_order_free(o);
                }
                free(audit);
                store_outbox_rows_free(out, no);
        }
        free(orders);
        store_close(s);
        return n;
}

static void transitions_are_all_or_nothing_under_sigkill(void **state)
{
        struct fixture *f = *state;
        char photo[STORE_SHA256_SIZE];
        memcpy(photo, f->photo_sha, sizeof(photo));
        f->s = store_close(f->s); /* the parent never shares a connection with a child */
        size_t orders = 0;
        for (int it = 0; it < iterations; it++) {
                unsigned r = 0;
                assert_int_equal(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
                int pfd[2];
                assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        close(pfd[0]);
                        progress_fd = pfd[1];
                        child_main(f->dir, photo);
                }
                close(pfd[1]);
                /* Wait for 0..15 finished steps (an order's life is ~10), then kill
                 * 0..8 ms later: kills land before, inside and between the
                 * transactions of every phase, on a fast or a loaded disk. */
                unsigned steps = r % 16;
                for (unsigned k = 0; k < steps; k++) {
                        char b;
                        if (read(pfd[0], &b, 1) != 1)
                                break; /* the child ended: caught below */
                }
                struct timespec ts = { 0, (long)((r >> 8) % 9) * 1000000L };
                nanosleep(&ts, NULL);
                kill(pid, SIGKILL);
                int status = 0;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                close(pfd[0]);
                if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
                        fail_msg("child ended on its own (status %d): it failed before the kill", status);
                orders = check_invariants(f->dir);
        }
        print_message("%d kills, %zu orders checked\n", iterations, orders);
        /* The children must have got somewhere, or the test proved nothing. */
        if (orders == 0)
                fail_msg("only %zu orders after %d kills: children made no progress", orders, iterations);
        assert_int_equal(store_open(f->dir, &f->s, NULL), 0);
}

int main(int argc, char **argv)
{
        if (argc > 1)
                iterations = atoi(argv[1]) > 0 ? atoi(argv[1]) : 50;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(transitions_are_all_or_nothing_under_sigkill, fx_setup,
                                                fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
