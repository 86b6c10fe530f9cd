/* The sync worker against the real reference server pk-central (started per
 * test on a free loopback port, stopped on every path): exactly once at HQ
 * (GET /admin/store), the contract's error table from the client's side
 * (faults via POST /admin/faults), resumable uploads, clock skew, bad
 * responses, pickups with a cursor, and the worker thread's offline/online
 * behaviour. Time is a fake clock the test advances, so backoff never sleeps. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "sync/backoff.h"
#include "sync/central.h"
#include "sync/fsutil.h"
#include "sync/http.h"
#include "sync/outbox.h"
#include "sync/store.h"
#include "sync/tus.h"
#include "sync/worker.h"
#include "tests/central/harness.h"
#include "tests/sync/sync_fixture.h"
#include "tests/testutil.h"

struct t {
        struct pc_harness *h;
        char *dir, *spool;
        struct store *s;          /* the test's own connection (UI-core side) */
        struct sync_worker *w;
        int64_t clock_ms;         /* the worker's fake clock */
        int alerts;
        char last_alert[200];
};

static int64_t fake_now(void *ud)
{
        return ((struct t *)ud)->clock_ms;
}

static int64_t real_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_alert(void *ud, const char *reason)
{
        struct t *t = ud;
        t->alerts++;
        snprintf(t->last_alert, sizeof(t->last_alert), "%s", reason);
}

static void start_worker(struct t *t, int key_n, bool fake_clock, size_t chunk)
{
        uint8_t key[32];
        struct store_errbuf err = {""};
        pc_harness_key(key_n, key);
        struct sync_worker_config c = {.db_path = t->dir, .spool_dir = t->spool,
                                       .central_url = pc_harness_url(t->h), .kiosk_id = "k1",
                                       .key = key, .poll_interval_s = 0, .chunk_size = chunk,
                                       .now_ms = fake_clock ? fake_now : NULL, .clock_ud = t,
                                       .on_alert = on_alert, .alert_ud = t, .start_online = true};
        if (t->clock_ms < real_ms())  /* rows made so far are due */
                t->clock_ms = real_ms();
        int r = sync_worker_new(&c, &t->w, &err);
        if (r != 0)
                fail_msg("sync_worker_new: %s", err.msg);
}

static int setup_args(void **state, const char *const *args)
{
        struct t *t = calloc(1, sizeof(*t));
        struct store_errbuf err = {""};
        assert_non_null(t);
        t->h = pc_harness_start(args);
        assert_non_null(t->h);
        t->dir = pk_test_mkdtemp("sync");
        t->spool = pk_test_strdupf("%s/spool", t->dir);
        assert_int_equal(sync_fs_mkdir_p(t->spool, 0700, &err), 0);
        assert_int_equal(store_open(t->dir, &t->s, &err), 0);
        assert_int_equal(sf_identity(t->s, "k1", "store-1"), 0);
        t->clock_ms = real_ms();
        *state = t;
        return 0;
}

static int setup(void **state)
{
        return setup_args(state, (const char *[]){"--seed", "7", NULL});
}

static int setup_skewed(void **state)
{
        return setup_args(state, (const char *[]){"--clock-offset", "3600", NULL});
}

static int teardown(void **state)
{
        struct t *t = *state;
        sync_worker_free(t->w);
        store_close(t->s);
        int rc = pc_harness_stop(t->h);
        pk_test_rmtree(t->dir);
        free(t->dir);
        free(t->spool);
        free(t);
        assert_int_equal(rc, 0);
        return 0;
}

static void faults(struct t *t, const char *json)
{
        assert_int_equal(pc_harness_admin(t->h, "POST", "/admin/faults", json, NULL), 200);
}

static json_t *hq_store(struct t *t)
{
        char *body = NULL;
        assert_int_equal(pc_harness_admin(t->h, "GET", "/admin/store", NULL, &body), 200);
        json_t *j = json_loads(body, 0, NULL);
        free(body);
        assert_non_null(j);
        return j;
}

static struct store_outbox_stats obx(struct t *t)
{
        struct store_outbox_stats st;
        assert_int_equal(store_outbox_stats(t->s, &st, NULL), 0);
        return st;
}

/* Run the worker in this thread until nothing is pending, advancing the fake
 * clock past each retry; bounded. */
static void drain(struct t *t, int max_rounds)
{
        for (int i = 0; i < max_rounds; i++) {
                int64_t dead = 0;
                struct store_errbuf e = {""};
                int r = sync_worker_run_once(t->w, &dead, &e);
                if (r != 0)
                        fail_msg("run_once: %d %s", r, e.msg);
                struct store_outbox_stats st = obx(t);
                if (st.pending == 0)
                        return;
                if (getenv("PK_SYNC_TEST_DEBUG")) {
                        struct sync_worker_stats ws;
                        sync_worker_get_stats(t->w, &ws);
                        fprintf(stderr, "round %d: pending %lld next_due %lld clock %lld sent %lld retried %lld dead %lld req %lld\n", i,
                                (long long)st.pending, (long long)st.next_due_at, (long long)t->clock_ms,
                                (long long)ws.sent, (long long)ws.retried, (long long)ws.dead, (long long)ws.requests);
                }
                t->clock_ms = st.next_due_at > t->clock_ms ? st.next_due_at : t->clock_ms;
                t->clock_ms += SYNC_BACKOFF_CAP_MS + 1; /* also past an open circuit */
        }
        {
                struct store_outbox_row *rows = NULL;
                size_t n = 0;
                if (store_outbox_list(t->s, NULL, &rows, &n, NULL) == 0) {
                        for (size_t k = 0; k < n; k++)
                                fprintf(stderr, "row %lld %s: %s\n", (long long)rows[k].id,
                                        store_outbox_state_name(rows[k].state), rows[k].last_error);
                        store_outbox_rows_free(rows, n);
                }
        }
        fail_msg("outbox not drained after %d rounds (pending %lld)", max_rounds,
                 (long long)obx(t).pending);
}

/* Every order/event/asset at HQ applied exactly once; returns counts. */
static void assert_exactly_once(struct t *t, size_t want_orders, size_t want_events, size_t want_assets)
{
        json_t *j = hq_store(t), *v;
        size_t i;
        const char *sections[] = {"orders", "events", "assets"};
        size_t want[] = {want_orders, want_events, want_assets};
        for (int k = 0; k < 3; k++) {
                json_t *arr = json_object_get(j, sections[k]);
                assert_int_equal(json_array_size(arr), want[k]);
                json_array_foreach(arr, i, v)
                {
                        assert_int_equal(json_integer_value(json_object_get(v, "applied")) >= 1, 1);
                        if (k < 2)
                                assert_int_equal(json_integer_value(json_object_get(v, "applied")), 1);
                }
        }
        json_decref(j);
}

/* ---- pure parts ---------------------------------------------------------- */

static uint64_t rng_max(void *ud)
{
        (void)ud;
        return UINT64_MAX;
}

static uint64_t rng_seq(void *ud)
{
        uint64_t *x = ud;
        *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
        return *x >> 11;
}

static void test_backoff_full_jitter_stays_within_exponential_window(void **state)
{
        uint64_t x = 42;
        (void)state;
        assert_int_equal(sync_backoff_ceiling_ms(1, 1000, 300000), 1000);
        assert_int_equal(sync_backoff_ceiling_ms(4, 1000, 300000), 8000);
        assert_int_equal(sync_backoff_ceiling_ms(30, 1000, 300000), 300000);
        assert_int_equal(sync_backoff_ceiling_ms(100000, 1000, 300000), 300000);
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = 0; i < 2000; i++) {
                int64_t d = sync_backoff_delay_ms(5, 1000, 300000, rng_seq, &x);
                assert_true(d >= 0 && d <= 16000);
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
        }
        /* full jitter spreads over the whole window, not just its top */
        assert_true(lo < 2000);
        assert_true(hi > 14000);
        assert_int_equal(sync_backoff_delay_ms(3, 1000, 300000, rng_max, NULL) <= 4000, 1);
}

static void test_circuit_opens_after_five_failures_and_half_opens_after_cap(void **state)
{
        struct sync_circuit c = {0};
        (void)state;
        for (int i = 0; i < 4; i++) {
                sync_circuit_failure(&c, 1000);
                assert_int_equal(c.state, SYNC_CIRCUIT_CLOSED);
        }
        sync_circuit_failure(&c, 1000);
        assert_int_equal(c.state, SYNC_CIRCUIT_OPEN);
        assert_false(sync_circuit_allow(&c, 1000 + SYNC_BACKOFF_CAP_MS - 1));
        assert_true(sync_circuit_allow(&c, 1000 + SYNC_BACKOFF_CAP_MS));
        assert_int_equal(c.state, SYNC_CIRCUIT_HALF_OPEN);
        sync_circuit_failure(&c, 500000);  /* one failure while half-open re-opens */
        assert_int_equal(c.state, SYNC_CIRCUIT_OPEN);
        assert_true(sync_circuit_allow(&c, 500000 + SYNC_BACKOFF_CAP_MS));
        sync_circuit_success(&c);
        assert_int_equal(c.state, SYNC_CIRCUIT_CLOSED);
}

static void test_classify_follows_the_contract_table(void **state)
{
        struct sync_http_resp r;
        struct sync_outcome o;
        (void)state;
        struct {
                long status;
                const char *code;
                enum sync_verdict v;
        } rows[] = {{200, "", SYNC_OK},           {201, "", SYNC_OK},
                    {408, "", SYNC_RETRY},        {429, "", SYNC_RETRY},
                    {500, "", SYNC_RETRY},        {503, "", SYNC_RETRY},
                    {409, "request-in-progress", SYNC_RETRY},
                    {401, "clock-skew", SYNC_RETRY},
                    {422, "missing-asset", SYNC_MISSING_ASSET},
                    {400, "bad-request", SYNC_DEAD},  {401, "bad-signature", SYNC_DEAD},
                    {403, "wrong-kiosk", SYNC_DEAD},  {404, "unknown-order", SYNC_DEAD},
                    {422, "invalid-order", SYNC_DEAD},{422, "idempotency-key-reused", SYNC_DEAD}};
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                memset(&r, 0, sizeof(r));
                r.status = rows[i].status;
                r.retry_after_s = -1;
                snprintf(r.error_code, sizeof(r.error_code), "%s", rows[i].code);
                sync_http_classify(0, &r, "t", &o);
                if (o.verdict != rows[i].v)
                        fail_msg("%ld %s: verdict %d, want %d", rows[i].status, rows[i].code, o.verdict, rows[i].v);
        }
        memset(&r, 0, sizeof(r));
        sync_http_classify(STORE_E_NET, &r, "t", &o);
        assert_int_equal(o.verdict, SYNC_RETRY);
        sync_http_classify(STORE_E_PROTOCOL, &r, "t", &o);
        assert_int_equal(o.verdict, SYNC_RETRY);
        r.status = 401;
        snprintf(r.error_code, sizeof(r.error_code), "bad-signature");
        sync_http_classify(0, &r, "t", &o);
        assert_true(o.credentials);
}

/* ---- against pk-central ---------------------------------------------------- */

static void test_orders_events_and_photos_reach_hq_exactly_once(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        for (int i = 0; i < 3; i++) {
                assert_int_equal(sf_locked_order(t->s, t->spool, 100 + (uint64_t)i, 2, 5000, id), 0);
                assert_int_equal(sf_advance(t->s, id), 0);
        }
        start_worker(t, 1, true, 0);
        drain(t, 5);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 3, 12, 6);
        /* the orders reached their last state through events */
        json_t *j = hq_store(t), *v;
        size_t i;
        json_array_foreach(json_object_get(j, "orders"), i, v)
                assert_string_equal(json_string_value(json_object_get(v, "state")), "collected");
        json_decref(j);
}

static void test_same_photo_in_two_orders_is_uploaded_once(void **state)
{
        struct t *t = *state;
        char sha[STORE_SHA256_SIZE], a[STORE_ID_SIZE], b[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        static const struct store_price p[] = {{"PRINT-6X4", "glossy", 35}};
        static const struct store_price_list pl = {"2026-11", "GBP", p, 1};
        assert_int_equal(sf_photo(t->s, t->spool, 9, 300000, sha), 0);
        for (int k = 0; k < 2; k++) {
                char *id = k ? b : a;
                struct store_item_spec sp = {.asset_sha256 = sha, .sku = "PRINT-6X4", .paper = "glossy",
                                             .quantity = 1, .crop_w = 1, .crop_h = 1};
                assert_int_equal(store_order_create(t->s, NULL, id, code, NULL), 0);
                assert_int_equal(store_order_add_item(t->s, id, &sp, item, NULL), 0);
                assert_int_equal(store_order_lock(t->s, id, &pl, "customer", NULL), 0);
        }
        start_worker(t, 1, true, 64 * 1024);
        drain(t, 5);
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_int_equal(st.upload_bytes, 300000);
        assert_exactly_once(t, 2, 0, 1);
}

static void test_dropped_answers_and_5xx_still_apply_each_order_once(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        for (int i = 0; i < 6; i++) {
                assert_int_equal(sf_locked_order(t->s, t->spool, 200 + (uint64_t)i, 2, 40000, id), 0);
                assert_int_equal(sf_advance(t->s, id), 0);
        }
        faults(t, "[{\"route\":\"POST /v1/orders\",\"p\":0.4,\"action\":\"drop-after\"},"
                  "{\"route\":\"POST /v1/orders/*/events\",\"p\":0.3,\"action\":\"drop-after\"},"
                  "{\"route\":\"PATCH /v1/uploads/*\",\"p\":0.3,\"action\":\"drop-after\"},"
                  "{\"route\":\"POST /v1/uploads\",\"p\":0.2,\"action\":\"drop-before\"},"
                  "{\"route\":\"HEAD /v1/uploads/*\",\"p\":0.2,\"action\":\"status\",\"status\":500}]");
        start_worker(t, 1, true, 16 * 1024);
        drain(t, 400);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 6, 24, 12);
        json_t *j = hq_store(t), *v;
        size_t i;
        int64_t received = 0;
        json_array_foreach(json_object_get(j, "orders"), i, v)
                received += json_integer_value(json_object_get(v, "received"));
        json_decref(j);
        assert_true(received > 6); /* the drops really forced repeats */
}

static void test_upload_resumes_from_head_in_a_new_worker(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        const size_t size = 1000000;
        assert_int_equal(sf_locked_order(t->s, t->spool, 300, 1, size, id), 0);
        /* every third PATCH is dropped after being applied: the attempt ends and
         * the next one (in a NEW worker, as after a crash) must ask HEAD */
        faults(t, "[{\"route\":\"PATCH /v1/uploads/*\",\"p\":0.34,\"action\":\"drop-after\"}]");
        start_worker(t, 1, true, 100000);
        for (int round = 0; round < 200 && obx(t).pending > 0; round++) {
                struct sync_worker_stats st;
                assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
                sync_worker_get_stats(t->w, &st);
                t->w = sync_worker_free(t->w);
                t->clock_ms += SYNC_BACKOFF_CAP_MS + 1;
                start_worker(t, 1, true, 100000);
        }
        assert_int_equal(obx(t).pending, 0);
        assert_exactly_once(t, 1, 0, 1);
        /* resumed, not restarted: a few resent chunks at most, never the whole file again */
        json_t *j = hq_store(t);
        json_t *a = json_array_get(json_object_get(j, "assets"), 0);
        assert_int_equal(json_integer_value(json_object_get(a, "size")), (json_int_t)size);
        assert_true(json_integer_value(json_object_get(a, "applied")) <= 11 + 1);
        json_decref(j);
}

static void test_chunk_checksum_mismatch_is_resent(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 310, 1, 200000, id), 0);
        faults(t, "[{\"route\":\"PATCH /v1/uploads/*\",\"p\":0.3,\"action\":\"status\",\"status\":460}]");
        start_worker(t, 1, true, 50000);
        drain(t, 50);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
}

static void test_expired_upload_starts_a_new_one(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 320, 1, 200000, id), 0);
        faults(t, "[{\"route\":\"PATCH /v1/uploads/*\",\"p\":0.3,\"action\":\"status\",\"status\":410}]");
        start_worker(t, 1, true, 50000);
        drain(t, 100);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
}

/* HQ says an upload is complete but names no asset (a server that lost its
 * asset row to a crash between the offset and the asset; the contract puts
 * X-Asset-Id on every complete upload). The kiosk must not ask HEAD forever:
 * it gives that upload up, POSTs again and the order still lands once. */
static void test_complete_upload_without_asset_id_starts_a_new_one(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 330, 1, 120000, id), 0);
        /* One whole-file PATCH, applied, then the connection is cut: the
         * kiosk keeps the upload's URL for the next attempt. */
        faults(t, "[{\"route\":\"PATCH /v1/uploads/*\",\"action\":\"drop-after\"}]");
        start_worker(t, 1, true, 200000);
        assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
        assert_int_equal(obx(t).pending, 1);
        faults(t, "[]");
        /* HQ loses the asset but keeps the upload complete. */
        char db[1024];
        snprintf(db, sizeof(db), "%s/central.db", pc_harness_data_dir(t->h));
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        sqlite3_busy_timeout(h, 5000);
        assert_int_equal(sqlite3_exec(h, "UPDATE uploads SET asset_id = '' WHERE off = length;"
                                         "DELETE FROM assets;", NULL, NULL, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_changes(h), 1);
        sqlite3_close(h);
        drain(t, 20);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
}

static int64_t pending_next_at(struct t *t)
{
        struct store_outbox_stats st = obx(t);
        assert_int_equal(st.pending, 1);
        return st.next_due_at;
}

static void test_retry_after_on_503_and_429_is_honoured(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 400, 1, 1000, id), 0);
        start_worker(t, 1, true, 0);
        const char *f[] = {"[{\"route\":\"POST /v1/orders\",\"action\":\"status\",\"status\":503,\"retry_after\":700}]",
                           "[{\"route\":\"POST /v1/orders\",\"action\":\"status\",\"status\":429,\"retry_after\":650}]"};
        for (int k = 0; k < 2; k++) {
                faults(t, f[k]);
                assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
                /* far beyond the backoff window of an early attempt: Retry-After won */
                assert_true(pending_next_at(t) >= t->clock_ms + (k ? 650000 : 700000));
                t->clock_ms = pending_next_at(t);
        }
        faults(t, "[]");
        drain(t, 5);
        assert_exactly_once(t, 1, 0, 1);
}

static void test_network_5xx_and_408_back_off_and_open_the_circuit(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        for (int i = 0; i < 8; i++)
                assert_int_equal(sf_locked_order(t->s, t->spool, 500 + (uint64_t)i, 1, 1000, id), 0);
        /* uploads fine, orders fail transiently */
        faults(t, "[{\"route\":\"POST /v1/orders\",\"p\":0.5,\"action\":\"status\",\"status\":500},"
                  "{\"route\":\"POST /v1/orders\",\"p\":0.5,\"action\":\"status\",\"status\":408},"
                  "{\"route\":\"POST /v1/orders\",\"action\":\"drop-before\"}]");
        start_worker(t, 1, true, 0);
        assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_int_equal(st.circuit, SYNC_CIRCUIT_OPEN);
        assert_int_equal(st.retried, 5);   /* stopped at the 5th failure, no storm */
        char *c = NULL;
        assert_int_equal(store_kv_get(t->s, STORE_KV_SYNC, "circuit", &c, NULL), 0);
        assert_string_equal(c, "open");
        free(c);
        /* backoff windows: each retried row is due within its window (attempt 1: <= 1 s) */
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(t->s, NULL, &rows, &n, NULL), 0);
        store_outbox_rows_free(rows, n);
        faults(t, "[]");
        drain(t, 10);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 8, 0, 8);
}

static void dead_case(struct t *t, const char *fault, bool wrong_key, const char *want_in_reason)
{
        char id[STORE_ID_SIZE], id2[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 600, 1, 1000, id), 0);
        assert_int_equal(sf_locked_order(t->s, t->spool, 601, 1, 1000, id2), 0);
        if (fault)
                faults(t, fault);
        start_worker(t, wrong_key ? 2 : 1, true, 0);
        int64_t dead = 0;
        assert_int_equal(sync_worker_run_once(t->w, &dead, NULL), 0);
        assert_true(dead >= 1);
        assert_true(t->alerts >= 1);
        char *al = NULL;
        assert_int_equal(store_kv_get(t->s, STORE_KV_SYNC, "alert", &al, NULL), 0);
        if (!strstr(al, want_in_reason))
                fail_msg("alert %s lacks %s", al, want_in_reason);
        free(al);
        /* dead, not retried: nothing stays pending for these rows, no storm */
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_int_equal(st.retried, 0);
        assert_int_equal(obx(t).pending, 0);
}

static void test_bad_signature_dead_letters_and_alerts_the_technician(void **state)
{
        dead_case(*state, NULL, true, "credentials");
}

static void test_400_403_404_and_other_422_dead_letter_with_reason(void **state)
{
        struct t *t = *state;
        const long codes[] = {400, 403, 404, 422};
        for (int k = 0; k < 4; k++) {
                char f[200], want[32];
                snprintf(f, sizeof(f), "[{\"route\":\"POST /v1/orders\",\"action\":\"status\",\"status\":%ld}]",
                         codes[k]);
                snprintf(want, sizeof(want), "HTTP %ld", codes[k]);
                t->alerts = 0;
                t->w = sync_worker_free(t->w);
                dead_case(t, f, false, want);
        }
        /* the assets of those orders still went up (other rows go on) */
        json_t *j = hq_store(t);
        assert_true(json_array_size(json_object_get(j, "assets")) >= 2);
        assert_int_equal(json_array_size(json_object_get(j, "orders")), 0);
        json_decref(j);
}

static void test_missing_asset_is_uploaded_again_then_same_key(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        assert_int_equal(sf_locked_order(t->s, t->spool, 700, 2, 3000, id), 0);
        start_worker(t, 1, true, 0);
        drain(t, 5);
        assert_exactly_once(t, 1, 0, 2);
        /* HQ loses everything; our store still says the assets are uploaded */
        assert_int_equal(pc_harness_admin(t->h, "POST", "/admin/reset", "", NULL), 200);
        char id2[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(t->s, id, &o, NULL), 0);
        static const struct store_price p[] = {{"PRINT-6X4", "glossy", 35}};
        static const struct store_price_list pl = {"2026-11", "GBP", p, 1};
        assert_int_equal(store_order_create(t->s, NULL, id2, code, NULL), 0);
        struct store_item_spec sp = {.asset_sha256 = o->items[0].asset_sha256, .sku = "PRINT-6X4",
                                     .paper = "glossy", .quantity = 1, .crop_w = 1, .crop_h = 1};
        assert_int_equal(store_order_add_item(t->s, id2, &sp, item, NULL), 0);
        store_order_free(o);
        assert_int_equal(store_order_lock(t->s, id2, &pl, "customer", NULL), 0);
        drain(t, 5);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
}

static void test_clock_skew_is_corrected_stored_and_retried_once(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE], *v = NULL;
        assert_int_equal(sf_locked_order(t->s, t->spool, 800, 1, 1000, id), 0);
        start_worker(t, 1, true, 0);
        drain(t, 3);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
        assert_int_equal(store_kv_get(t->s, STORE_KV_SYNC, "clock_offset", &v, NULL), 0);
        long off = strtol(v, NULL, 10);
        free(v);
        assert_true(off > 3590 && off < 3610);
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_int_equal(st.retried, 0);  /* corrected inside the attempt */
}

static void test_garbage_truncated_and_oversize_answers_are_failed_attempts(void **state)
{
        struct t *t = *state;
        const char *acts[] = {"garbage", "truncate", "oversize"};
        char id[STORE_ID_SIZE];
        for (int k = 0; k < 3; k++)
                assert_int_equal(sf_locked_order(t->s, t->spool, 900 + (uint64_t)k, 1, 1000, id), 0);
        start_worker(t, 1, true, 0);
        for (int k = 0; k < 3; k++) {
                char f[400];
                snprintf(f, sizeof(f),
                         "[{\"route\":\"POST /v1/orders\",\"action\":\"%s\"},"
                         "{\"route\":\"POST /v1/uploads\",\"p\":0.5,\"action\":\"%s\"}]", acts[k], acts[k]);
                faults(t, f);
                assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
                t->clock_ms += SYNC_BACKOFF_CAP_MS + 1;
        }
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_true(st.retried >= 3);
        faults(t, "[]");
        drain(t, 10);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 3, 0, 3);
}

static void place_pickup(struct t *t, int n, const char *asset_id)
{
        char oid[64], iid[64], *body;
        snprintf(oid, sizeof(oid), "a0000000-0000-4000-8000-%012d", n);
        snprintf(iid, sizeof(iid), "b0000000-0000-4000-8000-%012d", n);
        body = pk_test_strdupf(
                "{\"kiosk_id\":\"k1\",\"order\":{\"order_id\":\"%s\",\"kiosk_id\":\"k1\",\"store_id\":\"s1\","
                "\"code\":\"APP-%03d\",\"created_at\":\"2026-11-25T10:00:00Z\",\"locked_at\":\"2026-11-25T10:01:00Z\","
                "\"channel\":\"app\",\"currency\":\"GBP\",\"total_minor\":35,\"price_list\":\"2026-11\","
                "\"items\":[{\"item_id\":\"%s\",\"asset_id\":\"%s\",\"sku\":\"PRINT-6X4\",\"paper\":\"glossy\","
                "\"quantity\":1,\"crop\":{\"x\":0.0,\"y\":0.0,\"w\":1.0,\"h\":1.0},\"rotate\":0}],"
                "\"state\":\"queued\"}}", oid, n, iid, asset_id);
        char *ans = NULL;
        int st = pc_harness_admin(t->h, "POST", "/admin/pickups", body, &ans);
        if (st != 201)
                fail_msg("place pickup: %d %s", st, ans ? ans : "");
        free(ans);
        free(body);
}

static void test_pickups_over_two_pages_are_stored_once_with_their_photo(void **state)
{
        struct t *t = *state;
        char sha[STORE_SHA256_SIZE], *cur = NULL;
        /* HQ gets a photo from another kiosk's upload (k2), not from us */
        struct store *s2 = NULL;
        char *d2 = pk_test_mkdtemp("sync-k2");
        assert_int_equal(store_open(d2, &s2, NULL), 0);
        assert_int_equal(sf_photo(s2, d2, 42, 2500000, sha), 0);
        struct store_asset a;
        assert_int_equal(store_asset_get(s2, sha, &a, NULL), 0);
        uint8_t key[32];
        pc_harness_key(2, key);
        struct sync_http *h2 = NULL;
        struct sync_http_config hc = {.base_url = pc_harness_url(t->h), .kiosk_id = "k2", .key = key};
        assert_int_equal(sync_http_new(&hc, &h2, NULL), 0);
        struct sync_tus_asset ta = {.path = a.path, .sha256 = sha, .size = a.size, .kind = "photo",
                                    .content_type = "image/jpeg"};
        struct sync_outcome out;
        char rid[128];
        assert_int_equal(sync_tus_upload(h2, &ta, 0, NULL, rid, NULL, &out), 0);
        sync_http_free(h2);
        store_close(s2);
        pk_test_rmtree(d2);
        free(d2);

        for (int i = 0; i < 55; i++)
                place_pickup(t, i, rid);
        /* the first download attempt of each piece may be cut short */
        faults(t, "[{\"route\":\"GET /v1/assets/*\",\"p\":0.3,\"action\":\"truncate\"}]");
        start_worker(t, 1, true, 0);
        int rounds = 0;
        for (; rounds < 30; rounds++) {
                if (sync_worker_poll_pickups(t->w, NULL) == 0)
                        break;
        }
        assert_true(rounds < 30);
        assert_int_equal(store_kv_get(t->s, STORE_KV_SYNC, "pickup_cursor", &cur, NULL), 0);
        assert_true(strlen(cur) > 0);
        free(cur);
        struct store_order_filter f = {.states = 1u << ORDER_RECEIVED};
        struct store_order_summary *list = NULL;
        size_t n = 0;
        assert_int_equal(store_order_list(t->s, &f, &list, &n, NULL), 0);
        free(list);
        assert_int_equal(n, 55);
        /* polling again stores nothing new */
        faults(t, "[]");
        assert_int_equal(sync_worker_poll_pickups(t->w, NULL), 0);
        assert_int_equal(store_order_list(t->s, &f, &list, &n, NULL), 0);
        free(list);
        assert_int_equal(n, 55);
        /* the photo is in our spool with the right hash and linked */
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(t->s, "a0000000-0000-4000-8000-000000000007", &o, NULL), 0);
        assert_string_equal(o->items[0].asset_sha256, sha);
        char got[65];
        struct store_asset la;
        assert_int_equal(store_asset_get(t->s, sha, &la, NULL), 0);
        assert_int_equal(sync_fs_sha256_file(la.path, got, NULL, NULL), 0);
        assert_string_equal(got, sha);
        store_order_free(o);
        /* each stored order queued its accepted event: they go up once */
        drain(t, 5);
        json_t *j = hq_store(t), *v;
        size_t i, accepted = 0;
        json_array_foreach(json_object_get(j, "events"), i, v)
        {
                if (strcmp(json_string_value(json_object_get(v, "type")), "accepted") == 0)
                        accepted++;
                assert_int_equal(json_integer_value(json_object_get(v, "applied")), 1);
        }
        json_decref(j);
        assert_int_equal(accepted, 55);
}

static void test_worker_thread_sleeps_offline_and_drains_when_online(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        uint8_t key[32];
        pc_harness_key(1, key);
        struct sync_worker_config c = {.db_path = t->dir, .spool_dir = t->spool,
                                       .central_url = pc_harness_url(t->h), .kiosk_id = "k1",
                                       .key = key, .start_online = false};
        assert_int_equal(sync_worker_new(&c, &t->w, NULL), 0);
        assert_int_equal(sync_worker_start(t->w, NULL), 0);
        assert_int_equal(sf_locked_order(t->s, t->spool, 1000, 1, 2000, id), 0);
        sync_worker_wake(t->w);
        usleep(300000);
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        assert_int_equal(st.requests, 0);   /* offline: nothing tried */
        assert_int_equal(obx(t).pending, 1);
        sync_worker_set_online(t->w, true);
        for (int i = 0; i < 200 && obx(t).pending > 0; i++)
                usleep(20000);
        assert_int_equal(obx(t).pending, 0);
        /* new rows while online: a wake sends them at once */
        assert_int_equal(sf_advance(t->s, id), 0);
        sync_worker_wake(t->w);
        for (int i = 0; i < 200 && obx(t).pending > 0; i++)
                usleep(20000);
        assert_int_equal(obx(t).pending, 0);
        sync_worker_stop(t->w);
        assert_exactly_once(t, 1, 4, 1);
}


struct racer {
        struct t *t;
        char order_id[STORE_ID_SIZE];
        char *body;
        int status;
};

static void *race_post(void *arg)
{
        struct racer *r = arg;
        uint8_t key[32];
        char key_h[120];
        pc_harness_key(1, key);
        snprintf(key_h, sizeof(key_h), "Idempotency-Key: %s", r->order_id);
        const char *hdr[] = {"Content-Type: application/json", key_h, NULL};
        r->status = pc_harness_request(r->t->h, "k1", key, "POST", "/v1/orders", r->body, strlen(r->body), hdr,
                                       NULL, NULL);
        return NULL;
}

static void test_request_in_progress_409_waits_for_retry_after(void **state)
{
        struct t *t = *state;
        struct racer rc = {.t = t};
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        pthread_t th;
        assert_int_equal(sf_locked_order(t->s, t->spool, 1100, 1, 5000, rc.order_id), 0);
        /* first attempt: photo uploaded, final body stored, order POST fails */
        faults(t, "[{\"route\":\"POST /v1/orders\",\"action\":\"status\",\"status\":500}]");
        start_worker(t, 1, true, 0);
        assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
        assert_int_equal(store_outbox_list(t->s, rc.order_id, &rows, &n, NULL), 0);
        assert_int_equal(n, 1);
        rc.body = strdup(rows[0].payload);
        store_outbox_rows_free(rows, n);
        /* another sender holds the key (its answer is delayed): we must get 409 */
        faults(t, "[{\"route\":\"POST /v1/orders\",\"action\":\"delay\",\"ms\":1500}]");
        assert_int_equal(pthread_create(&th, NULL, race_post, &rc), 0);
        usleep(400000);
        t->clock_ms = obx(t).next_due_at + 1;
        int64_t before = t->clock_ms;
        assert_int_equal(sync_worker_run_once(t->w, NULL, NULL), 0);
        pthread_join(th, NULL);
        free(rc.body);
        assert_true(rc.status == 201 || rc.status == 200);
        assert_int_equal(store_outbox_list(t->s, rc.order_id, &rows, &n, NULL), 0);
        bool in_progress = strstr(rows[0].last_error, "409") != NULL;
        int64_t next = rows[0].next_attempt_at;
        enum store_outbox_state st = rows[0].state;
        store_outbox_rows_free(rows, n);
        assert_int_equal(st, STORE_OUTBOX_PENDING);
        assert_true(in_progress);
        /* pk-central's Retry-After for a key in progress is 1 s: honoured */
        assert_true(next >= before + 1000);
        faults(t, "[]");
        drain(t, 5);
        assert_int_equal(obx(t).dead, 0);
        assert_exactly_once(t, 1, 0, 1);
}

static double cpu_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_rows_behind_a_backing_off_order_do_not_spin_the_thread(void **state)
{
        struct t *t = *state;
        char id[STORE_ID_SIZE];
        uint8_t key[32];
        pc_harness_key(1, key);
        assert_int_equal(sf_locked_order(t->s, t->spool, 1200, 1, 2000, id), 0);
        assert_int_equal(sf_advance(t->s, id), 0);  /* 4 events wait behind the order */
        faults(t, "[{\"route\":\"POST /v1/orders\",\"action\":\"status\",\"status\":503,\"retry_after\":30}]");
        struct sync_worker_config c = {.db_path = t->dir, .spool_dir = t->spool,
                                       .central_url = pc_harness_url(t->h), .kiosk_id = "k1",
                                       .key = key, .start_online = true};
        assert_int_equal(sync_worker_new(&c, &t->w, NULL), 0);
        assert_int_equal(sync_worker_start(t->w, NULL), 0);
        usleep(500000);
        struct sync_worker_stats st;
        sync_worker_get_stats(t->w, &st);
        int64_t loops0 = st.loops;
        double c0 = cpu_s();
        usleep(1500000);
        double used = cpu_s() - c0;
        sync_worker_get_stats(t->w, &st);
        sync_worker_stop(t->w);
        assert_int_equal(st.retried, 1);      /* the order, once: Retry-After 30 s holds */
        assert_true(st.requests <= 4);        /* tus POST + PATCH + the order */
        /* backing-off pauses of 250 ms .. 5 s: a handful of looks, not a spin */
        if (st.loops - loops0 > 10)
                fail_msg("worker woke %lld times in 1.5 s while rows were blocked",
                         (long long)(st.loops - loops0));
        if (used > 0.3)
                fail_msg("worker used %.3f s CPU in 1.5 s while rows were blocked", used);
        assert_int_equal(obx(t).pending, 5);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_backoff_full_jitter_stays_within_exponential_window),
                cmocka_unit_test(test_circuit_opens_after_five_failures_and_half_opens_after_cap),
                cmocka_unit_test(test_classify_follows_the_contract_table),
                cmocka_unit_test_setup_teardown(test_orders_events_and_photos_reach_hq_exactly_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_same_photo_in_two_orders_is_uploaded_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropped_answers_and_5xx_still_apply_each_order_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_upload_resumes_from_head_in_a_new_worker, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chunk_checksum_mismatch_is_resent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expired_upload_starts_a_new_one, setup, teardown),
                cmocka_unit_test_setup_teardown(test_complete_upload_without_asset_id_starts_a_new_one, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry_after_on_503_and_429_is_honoured, setup, teardown),
                cmocka_unit_test_setup_teardown(test_network_5xx_and_408_back_off_and_open_the_circuit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_signature_dead_letters_and_alerts_the_technician, setup, teardown),
                cmocka_unit_test_setup_teardown(test_400_403_404_and_other_422_dead_letter_with_reason, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_asset_is_uploaded_again_then_same_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_clock_skew_is_corrected_stored_and_retried_once, setup_skewed, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_truncated_and_oversize_answers_are_failed_attempts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pickups_over_two_pages_are_stored_once_with_their_photo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_request_in_progress_409_waits_for_retry_after, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rows_behind_a_backing_off_order_do_not_spin_the_thread, setup, teardown),
                cmocka_unit_test_setup_teardown(test_worker_thread_sleeps_offline_and_drains_when_online, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
