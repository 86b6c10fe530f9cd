/* The order state machine: every (state, target) pair against the table in this
 * test (written from DESIGN.md independently of sync/order_state.c), on real
 * orders in a real store: legal pairs write exactly one audit row and the right
 * outbox row; illegal pairs and repeats write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/order_state.h"
#include "tests/store/store_fixture.h"

enum { D, L, RN, Q, PG, PD, RY, C, X, F, RC, NS };
/* expected[from][to]: NULL = illegal; "" = legal, no event; else the event type. */
static const char *const expected[NS][NS] = {
        [D] = { [L] = "order", [X] = "" },
        [L] = { [RN] = "", [X] = "cancelled", [F] = "failed" },
        [RN] = { [Q] = "", [F] = "failed", [X] = "cancelled" },
        [Q] = { [PG] = "printing", [F] = "failed", [X] = "cancelled" },
        [PG] = { [PD] = "printed", [F] = "failed", [X] = "cancelled" },
        [PD] = { [RY] = "ready", [C] = "collected" },
        [RY] = { [C] = "collected" },
        [C] = { 0 },
        [X] = { 0 },
        [F] = { [Q] = "", [RN] = "", [X] = "cancelled" },
        [RC] = { [Q] = "", [F] = "failed", [X] = "cancelled" },
};

static void enum_order_matches_test_table(void **state)
{
        assert_int_equal(_ORDER_STATE_MAX, NS);
        assert_int_equal(ORDER_DRAFT, D);
        assert_int_equal(ORDER_RECEIVED, RC);
        assert_int_equal(ORDER_FAILED, F);
}

static void transition_table_matches_design_for_every_pair(void **state)
{
        for (int from = 0; from < NS; from++) {
                for (int to = 0; to < NS; to++) {
                        bool want = expected[from][to] != NULL;
                        bool got = store_order_transition_allowed(from, to);
                        if (want != got)
                                fail_msg("%s -> %s: table says %d, code says %d",
                                         store_order_state_name(from), store_order_state_name(to), want, got);
                        const char *ev = store_order_transition_event(from, to);
                        const char *want_ev = want && expected[from][to][0] ? expected[from][to] : NULL;
                        if ((ev == NULL) != (want_ev == NULL) || (ev && strcmp(ev, want_ev) != 0))
                                fail_msg("%s -> %s: event %s, expected %s", store_order_state_name(from),
                                         store_order_state_name(to), ev ? ev : "none",
                                         want_ev ? want_ev : "none");
                }
        }
}

static void every_pair_on_a_real_order_writes_audit_and_outbox_or_nothing(void **state)
{
        struct fixture *f = *state;
        for (int from = 0; from < NS; from++) {
                for (int to = 0; to < NS; to++) {
                        char id[STORE_ID_SIZE];
                        fx_order_in(f, from, id);
                        size_t a0 = fx_audit_count(f, id), o0 = fx_outbox_count(f, id);
                        struct store_errbuf err = { "" };
                        int r;
                        if (to == ORDER_LOCKED)
                                r = store_order_lock(f->s, id, fx_prices(), "customer", &err);
                        else
                                r = store_order_transition(f->s, id, to, "staff:0042", "because", &err);
                        struct store_order *o = NULL;
                        assert_int_equal(store_order_get(f->s, id, &o, NULL), 0);
                        enum order_state now = o->state;
                        store_order_free(o);
                        size_t a1 = fx_audit_count(f, id), o1 = fx_outbox_count(f, id);
                        const char *pair_from = store_order_state_name(from);
                        const char *pair_to = store_order_state_name(to);
                        if (from == to) {
                                if (r != 0 || a1 != a0 || o1 != o0 || (int)now != from)
                                        fail_msg("repeat %s: r=%d audit %zu->%zu outbox %zu->%zu", pair_from, r,
                                                 a0, a1, o0, o1);
                        } else if (expected[from][to] == NULL) {
                                if (r != STORE_E_ILLEGAL || a1 != a0 || o1 != o0 || (int)now != from)
                                        fail_msg("illegal %s -> %s: r=%d (%s) audit %zu->%zu outbox %zu->%zu",
                                                 pair_from, pair_to, r, err.msg, a0, a1, o0, o1);
                                if (!strstr(err.msg, pair_from) || !strstr(err.msg, pair_to))
                                        fail_msg("error message lacks the pair: %s", err.msg);
                        } else {
                                bool event = expected[from][to][0] != '\0';
                                if (r != 0 || (int)now != to || a1 != a0 + 1 || o1 != o0 + (event ? 1 : 0))
                                        fail_msg("legal %s -> %s: r=%d (%s) state %s audit %zu->%zu outbox %zu->%zu",
                                                 pair_from, pair_to, r, err.msg, store_order_state_name(now),
                                                 a0, a1, o0, o1);
                                if (event) {
                                        char *type = fx_last_outbox_type(f, id);
                                        assert_non_null(type);
                                        if (strcmp(type, expected[from][to]) != 0)
                                                fail_msg("%s -> %s: outbox %s, expected %s", pair_from, pair_to,
                                                         type, expected[from][to]);
                                        free(type);
                                }
                                struct store_audit *rows = NULL;
                                size_t n = 0;
                                assert_int_equal(store_audit_list(f->s, id, &rows, &n, NULL), 0);
                                assert_string_equal(rows[n - 1].from, pair_from);
                                assert_string_equal(rows[n - 1].to, pair_to);
                                free(rows);
                        }
                }
        }
}

static void repeated_transition_is_a_noop_without_audit(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE];
        fx_order_in(f, ORDER_QUEUED, id);
        assert_int_equal(store_order_transition(f->s, id, ORDER_PRINTING, "system", NULL, NULL), 0);
        size_t a = fx_audit_count(f, id), o = fx_outbox_count(f, id);
        for (int i = 0; i < 3; i++)
                assert_int_equal(store_order_transition(f->s, id, ORDER_PRINTING, "system", NULL, NULL), 0);
        assert_int_equal(fx_audit_count(f, id), a);
        assert_int_equal(fx_outbox_count(f, id), o);
        /* lock repeated too */
        char d[STORE_ID_SIZE];
        fx_order_in(f, ORDER_LOCKED, d);
        a = fx_audit_count(f, d), o = fx_outbox_count(f, d);
        assert_int_equal(store_order_lock(f->s, d, fx_prices(), "customer", NULL), 0);
        assert_int_equal(fx_audit_count(f, d), a);
        assert_int_equal(fx_outbox_count(f, d), o);
}

static void bad_actor_and_unknown_order_are_refused(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE];
        fx_order_in(f, ORDER_QUEUED, id);
        struct store_errbuf err;
        const char *bad[] = { "", "staff:", "staff:a b", "root", "staff:0123456789012345678901234567890123" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(store_order_transition(f->s, id, ORDER_PRINTING, bad[i], NULL, &err),
                                 STORE_E_INVALID);
        assert_int_equal(store_order_transition(f->s, "00000000-0000-4000-8000-000000000000",
                                                ORDER_PRINTING, "system", NULL, &err),
                         STORE_E_NOT_FOUND);
        assert_int_equal(store_order_transition(f->s, id, ORDER_LOCKED, "system", NULL, &err),
                         STORE_E_INVALID);
}

static void state_names_round_trip(void **state)
{
        for (int i = 0; i < NS; i++) {
                enum order_state back;
                assert_int_equal(store_order_state_parse(store_order_state_name(i), &back), 0);
                assert_int_equal(back, i);
        }
        enum order_state x;
        assert_int_equal(store_order_state_parse("shipped", &x), STORE_E_INVALID);
        assert_true(store_order_state_is_final(ORDER_COLLECTED));
        assert_true(store_order_state_is_final(ORDER_CANCELLED));
        assert_false(store_order_state_is_final(ORDER_FAILED));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(enum_order_matches_test_table),
                cmocka_unit_test(transition_table_matches_design_for_every_pair),
                cmocka_unit_test(state_names_round_trip),
                cmocka_unit_test_setup_teardown(every_pair_on_a_real_order_writes_audit_and_outbox_or_nothing,
                                                fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(repeated_transition_is_a_noop_without_audit, fx_setup,
                                                fx_teardown),
                cmocka_unit_test_setup_teardown(bad_actor_and_unknown_order_are_refused, fx_setup,
                                                fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
