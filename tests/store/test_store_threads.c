/* One struct store per thread: two threads, each with its own connection to the
 * same database, move their own orders through the state machine at the same
 * time while a third claims outbox rows. Writers wait for each other (BEGIN
 * IMMEDIATE + busy timeout), nobody sees STORE_E_BUSY, and every transition's
 * audit and outbox rows are there afterwards. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/order_state.h"
#include "tests/store/store_fixture.h"

enum { ORDERS_PER_THREAD = 8 };

struct worker {
        const char *dir;
        const char *photo;
        int failures;
        char ids[ORDERS_PER_THREAD][STORE_ID_SIZE];
        char msg[400];
};

static void *drive(void *arg)
{
        struct worker *w = arg;
        struct store *s = NULL;
        struct store_errbuf err = { "" };
        if (store_open(w->dir, &s, &err) != 0) {
                snprintf(w->msg, sizeof(w->msg), "open: %s", err.msg);
                w->failures++;
                return NULL;
        }
        static const enum order_state path[] = { ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                                 ORDER_PRINTED, ORDER_READY, ORDER_COLLECTED };
        for (int i = 0; i < ORDERS_PER_THREAD; i++) {
                char code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
                struct store_item_spec sp = { .asset_sha256 = w->photo, .sku = "PRINT-6X4", .paper = "glossy",
                                              .quantity = 1, .crop_w = 1, .crop_h = 1 };
                int r = store_order_create(s, NULL, w->ids[i], code, &err);
                if (r == 0)
                        r = store_order_add_item(s, w->ids[i], &sp, item, &err);
                if (r == 0)
                        r = store_order_lock(s, w->ids[i], fx_prices(), "customer", &err);
                for (size_t k = 0; r == 0 && k < sizeof(path) / sizeof(path[0]); k++)
                        r = store_order_transition(s, w->ids[i], path[k], "system", NULL, &err);
                if (r != 0) {
                        snprintf(w->msg, sizeof(w->msg), "%s: %s", store_strerror(r), err.msg);
                        w->failures++;
                }
        }
        store_close(s);
        return NULL;
}

static void *claimer(void *arg)
{
        struct worker *w = arg;
        struct store *s = NULL;
        if (store_open(w->dir, &s, NULL) != 0) {
                w->failures++;
                return NULL;
        }
        for (int i = 0; i < 40; i++) {
                struct store_outbox_row row;
                struct store_errbuf err = { "" };
                int r = store_outbox_claim(s, store_now_ms(s), 0, &row, &err);
                if (r == 0) {
                        r = store_outbox_mark_sent(s, row.id, &err);
                        free(row.payload);
                }
                if (r != 0 && r != STORE_E_NOT_FOUND) {
                        snprintf(w->msg, sizeof(w->msg), "claim: %s %s", store_strerror(r), err.msg);
                        w->failures++;
                }
        }
        store_close(s);
        return NULL;
}

static void two_writers_and_a_claimer_each_with_their_own_connection(void **state)
{
        struct fixture *f = *state;
        struct worker w[3] = { { .dir = f->dir, .photo = f->photo_sha },
                               { .dir = f->dir, .photo = f->photo_sha },
                               { .dir = f->dir, .photo = f->photo_sha } };
        pthread_t t[3];
        assert_int_equal(pthread_create(&t[0], NULL, drive, &w[0]), 0);
        assert_int_equal(pthread_create(&t[1], NULL, drive, &w[1]), 0);
        assert_int_equal(pthread_create(&t[2], NULL, claimer, &w[2]), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        for (int i = 0; i < 3; i++)
                if (w[i].failures)
                        fail_msg("thread %d: %d failures, last: %s", i, w[i].failures, w[i].msg);
        for (int i = 0; i < 2; i++) {
                for (int k = 0; k < ORDERS_PER_THREAD; k++) {
                        struct store_order *o = NULL;
                        assert_int_equal(store_order_get(f->s, w[i].ids[k], &o, NULL), 0);
                        assert_int_equal(o->state, ORDER_COLLECTED);
                        store_order_free(o);
                        /* lock + 6 transitions; order + printing, printed, ready, collected */
                        assert_int_equal(fx_audit_count(f, w[i].ids[k]), 7);
                        assert_int_equal(fx_outbox_count(f, w[i].ids[k]), 5);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(two_writers_and_a_claimer_each_with_their_own_connection, fx_setup,
                                                fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
