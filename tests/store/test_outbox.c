/* Outbox: per-order ordering, independence across orders, leases, retry with
 * backoff fields, dead letters that do not block, idempotent asset uploads,
 * counts for `sync status`. A fake clock makes "due" exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/order_state.h"
#include "tests/store/store_fixture.h"

static int64_t fake_now = 1000000;
static int64_t fake_clock(void *u)
{
        return fake_now;
}

static int setup(void **state)
{
        fx_setup(state);
        struct fixture *f = *state;
        fake_now = 1000000;
        store_set_clock(f->s, fake_clock, NULL);
        return 0;
}

/* An order with rows: order, printing, printed (3 rows). */
static void order_with_three_rows(struct fixture *f, char id[STORE_ID_SIZE])
{
        fx_order_in(f, ORDER_QUEUED, id);
        assert_int_equal(store_order_transition(f->s, id, ORDER_PRINTING, "system", NULL, NULL), 0);
        fake_now += 10;
        assert_int_equal(store_order_transition(f->s, id, ORDER_PRINTED, "system", NULL, NULL), 0);
        assert_int_equal(fx_outbox_count(f, id), 3);
}

static int64_t claim(struct fixture *f, char order_out[STORE_ID_SIZE])
{
        struct store_outbox_row r;
        int rc = store_outbox_claim(f->s, fake_now, 30000, &r, NULL);
        if (rc == STORE_E_NOT_FOUND)
                return 0;
        assert_int_equal(rc, 0);
        if (order_out)
                memcpy(order_out, r.order_id, STORE_ID_SIZE);
        free(r.payload);
        return r.id;
}

static void rows_of_one_order_never_overtake_each_other(void **state)
{
        struct fixture *f = *state;
        char a[STORE_ID_SIZE];
        order_with_three_rows(f, a);
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(f->s, a, &rows, &n, NULL), 0);
        int64_t first = rows[0].id, second = rows[1].id;
        store_outbox_rows_free(rows, n);

        assert_int_equal(claim(f, NULL), first);
        /* leased: not due, and the next row of the order waits behind it */
        assert_int_equal(claim(f, NULL), 0);
        /* even when the first is rescheduled far away, the second still waits */
        assert_int_equal(store_outbox_retry(f->s, first, fake_now + 60000, "HTTP 503", NULL), 0);
        fake_now += 50000;
        assert_int_equal(claim(f, NULL), 0);
        fake_now += 10000;
        assert_int_equal(claim(f, NULL), first);
        assert_int_equal(store_outbox_mark_sent(f->s, first, NULL), 0);
        assert_int_equal(store_outbox_mark_sent(f->s, first, NULL), 0); /* idempotent */
        assert_int_equal(claim(f, NULL), second);
        struct store_outbox_row r;
        assert_int_equal(store_outbox_get(f->s, first, &r, NULL), 0);
        assert_int_equal(r.state, STORE_OUTBOX_SENT);
        assert_int_equal(r.attempts, 2);
        assert_string_equal(r.last_error, "");
        free(r.payload);
}

static void different_orders_are_independent(void **state)
{
        struct fixture *f = *state;
        char a[STORE_ID_SIZE], b[STORE_ID_SIZE];
        order_with_three_rows(f, a);
        fake_now += 10;
        order_with_three_rows(f, b);
        char got[STORE_ID_SIZE];
        int64_t ra = claim(f, got);
        assert_string_equal(got, a);
        /* a is blocked by its leased head; b goes on */
        int64_t rb = claim(f, got);
        assert_true(rb > 0);
        assert_string_equal(got, b);
        assert_int_equal(store_outbox_dead(f->s, ra, "422 invalid-order", NULL), 0);
        /* a's dead head does not block the rest of a */
        int64_t next = claim(f, got);
        assert_string_equal(got, a);
        assert_true(next > ra);
        struct store_outbox_stats st;
        assert_int_equal(store_outbox_stats(f->s, &st, NULL), 0);
        assert_int_equal(st.dead, 1);
        assert_int_equal(st.sent, 0);
        assert_int_equal(st.pending, 5);
        assert_true(st.oldest_pending_at > 0 && st.oldest_pending_at <= fake_now);
        assert_int_equal(st.max_attempts, 1);
        assert_int_equal(store_outbox_mark_sent(f->s, ra, NULL), STORE_E_ILLEGAL);
        assert_int_equal(store_outbox_revive(f->s, ra, NULL), 0);
        struct store_outbox_row r;
        assert_int_equal(store_outbox_get(f->s, ra, &r, NULL), 0);
        assert_int_equal(r.state, STORE_OUTBOX_PENDING);
        assert_string_equal(r.last_error, "422 invalid-order");
        free(r.payload);
}

static void event_rows_carry_contract_bodies(void **state)
{
        struct fixture *f = *state;
        char a[STORE_ID_SIZE];
        order_with_three_rows(f, a);
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(f->s, a, &rows, &n, NULL), 0);
        for (size_t i = 1; i < n; i++) {
                assert_int_equal(rows[i].kind, STORE_OUTBOX_EVENT);
                assert_string_equal(rows[i].idempotency_key, rows[i].event_id);
                char want[80];
                snprintf(want, sizeof(want), "\"event_id\":\"%s\"", rows[i].event_id);
                assert_non_null(strstr(rows[i].payload, want));
                assert_non_null(strstr(rows[i].payload, "\"actor\":\"system\""));
                assert_non_null(strstr(rows[i].payload, "\"detail\":{}"));
        }
        assert_string_not_equal(rows[1].event_id, rows[2].event_id);
        assert_int_equal(store_outbox_set_payload(f->s, rows[0].id, "{\"x\":1}", NULL), 0);
        store_outbox_rows_free(rows, n);
}

static void asset_uploads_are_queued_once_and_independent(void **state)
{
        struct fixture *f = *state;
        int64_t id1 = 0, id2 = 0;
        assert_int_equal(store_outbox_enqueue_asset(f->s, f->photo_sha, NULL, &id1, NULL), 0);
        assert_int_equal(store_outbox_enqueue_asset(f->s, f->photo_sha, NULL, &id2, NULL), 0);
        assert_int_equal(id1, id2);
        assert_int_equal(fx_outbox_count(f, NULL), 1);
        assert_int_equal(store_outbox_enqueue_asset(f->s, "00000000000000000000000000000000"
                                                          "00000000000000000000000000000000",
                                                    NULL, NULL, NULL),
                         STORE_E_NOT_FOUND);
        struct store_outbox_row r;
        assert_int_equal(store_outbox_claim(f->s, fake_now, 1000, &r, NULL), 0);
        assert_int_equal(r.kind, STORE_OUTBOX_ASSET);
        assert_non_null(strstr(r.payload, f->photo_sha));
        free(r.payload);
        /* mark sent and record HQ's id in one transaction */
        assert_int_equal(store_tx_begin(f->s, NULL), 0);
        assert_int_equal(store_outbox_mark_sent(f->s, id1, NULL), 0);
        assert_int_equal(store_asset_set_remote_id(f->s, f->photo_sha, "hq-1", NULL), 0);
        assert_int_equal(store_tx_commit(f->s, NULL), 0);
        struct store_asset a;
        assert_int_equal(store_asset_get(f->s, f->photo_sha, &a, NULL), 0);
        assert_string_equal(a.remote_id, "hq-1");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, fx_teardown)
                T(rows_of_one_order_never_overtake_each_other),
                T(different_orders_are_independent),
                T(event_rows_carry_contract_bodies),
                T(asset_uploads_are_queued_once_and_independent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
