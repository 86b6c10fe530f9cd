/* Orders: pickup codes, ids, items, integer totals at lock, lookup, listing,
 * phone-app orders stored once, order JSON for headquarters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sync/order_state.h"
#include "sync/pickup_code.h"
#include "sync/uuid.h"
#include "tests/store/store_fixture.h"

static void pickup_codes_are_wellformed_and_unambiguous(void **state)
{
        for (int i = 0; i < 20000; i++) {
                char c[SYNC_PICKUP_CODE_SIZE];
                assert_int_equal(sync_pickup_code_new(c), 0);
                assert_true(sync_pickup_code_valid(c));
                assert_null(strpbrk(c, "0O1IL5S"));
        }
        char n[SYNC_PICKUP_CODE_SIZE];
        assert_int_equal(sync_pickup_code_normalize(" k7q4rm ", n), 0);
        assert_string_equal(n, "K7Q-4RM");
        assert_int_equal(sync_pickup_code_normalize("K7Q-4RM", n), 0);
        assert_string_equal(n, "K7Q-4RM");
        assert_int_equal(sync_pickup_code_normalize("K0Q-4RM", n), STORE_E_INVALID);
        assert_int_equal(sync_pickup_code_normalize("K7Q-4R", n), STORE_E_INVALID);
        assert_int_equal(sync_pickup_code_normalize("K7Q-4RMM", n), STORE_E_INVALID);
        assert_false(sync_pickup_code_valid("k7q-4rm"));
}

static void uuids_are_v4_and_distinct(void **state)
{
        char a[SYNC_UUID_SIZE], b[SYNC_UUID_SIZE];
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(sync_uuid_v4(a), 0);
                assert_int_equal(sync_uuid_v4(b), 0);
                assert_true(sync_uuid_valid(a));
                assert_int_equal(a[14], '4');
                assert_non_null(strchr("89ab", a[19]));
                assert_string_not_equal(a, b);
        }
        assert_false(sync_uuid_valid("0F8E2A9C-3B7D-4D11-8C2E-6A5B4C3D2E1F"));
}

static void orders_get_unique_codes_and_are_found_by_code(void **state)
{
        struct fixture *f = *state;
        enum { N = 300 };
        char (*codes)[STORE_CODE_SIZE] = calloc(N, STORE_CODE_SIZE);
        assert_int_equal(store_tx_begin(f->s, NULL), 0); /* one commit: fast */
        for (int i = 0; i < N; i++) {
                char id[STORE_ID_SIZE];
                assert_int_equal(store_order_create(f->s, NULL, id, codes[i], NULL), 0);
                assert_true(sync_pickup_code_valid(codes[i]));
        }
        assert_int_equal(store_tx_commit(f->s, NULL), 0);
        for (int i = 0; i < N; i++)
                for (int j = i + 1; j < N; j++)
                        assert_string_not_equal(codes[i], codes[j]);
        char lower[STORE_CODE_SIZE + 2];
        snprintf(lower, sizeof(lower), " %s", codes[7]);
        for (char *p = lower; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        struct store_order *o = NULL;
        assert_int_equal(store_order_get_by_code(f->s, lower, &o, NULL), 0);
        assert_string_equal(o->code, codes[7]);
        store_order_free(o);
        assert_int_equal(store_order_get_by_code(f->s, "ZZZ-ZZZ", &o, NULL), STORE_E_NOT_FOUND);
        free(codes);
}

static void lock_totals_are_integer_sums_and_stored_with_the_price_list(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        assert_int_equal(store_order_create(f->s, NULL, id, code, NULL), 0);
        char sha2[STORE_SHA256_SIZE];
        fx_photo(f, 2, sha2);
        struct { const char *sha, *sku, *paper; int q; int64_t unit; } lines[] = {
                { f->photo_sha, "PRINT-6X4", "glossy", 3, 35 },
                { sha2, "PRINT-6X4", "lustre", 7, 45 },
                { sha2, "PRINT-8X6", "glossy", 999, 149 },
        };
        int64_t want = 0;
        for (size_t i = 0; i < 3; i++) {
                struct store_item_spec sp = { .asset_sha256 = lines[i].sha, .sku = lines[i].sku,
                                              .paper = lines[i].paper, .quantity = lines[i].q,
                                              .crop_x = 0.1, .crop_y = 0.05, .crop_w = 0.8, .crop_h = 0.9 };
                assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), 0);
                want += lines[i].q * lines[i].unit;
        }
        struct store_errbuf err = { "" };
        assert_int_equal(store_order_lock(f->s, id, fx_prices(), "customer", &err), 0);
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(f->s, id, &o, NULL), 0);
        assert_int_equal(o->state, ORDER_LOCKED);
        assert_int_equal(o->total_minor, want);
        assert_string_equal(o->currency, "GBP");
        assert_string_equal(o->price_list, "2026-11");
        assert_true(o->locked_at > 0);
        assert_int_equal(o->n_items, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(o->items[i].unit_price_minor, lines[i].unit);
                assert_int_equal(o->items[i].quantity, lines[i].q);
        }
        store_order_free(o);
        /* Items are frozen once locked. */
        struct store_item_spec sp = { .asset_sha256 = f->photo_sha, .sku = "PRINT-6X4", .paper = "glossy",
                                      .quantity = 1, .crop_w = 1, .crop_h = 1 };
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_ILLEGAL);
}

static void lock_without_a_price_changes_nothing(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        assert_int_equal(store_order_create(f->s, NULL, id, code, NULL), 0);
        struct store_errbuf err = { "" };
        assert_int_equal(store_order_lock(f->s, id, fx_prices(), "customer", &err), STORE_E_INVALID);
        struct store_item_spec sp = { .asset_sha256 = f->photo_sha, .sku = "PRINT-10X8", .paper = "glossy",
                                      .quantity = 1, .crop_w = 1, .crop_h = 1 };
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), 0);
        assert_int_equal(store_order_lock(f->s, id, fx_prices(), "customer", &err), STORE_E_INVALID);
        assert_non_null(strstr(err.msg, "PRINT-10X8"));
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(f->s, id, &o, NULL), 0);
        assert_int_equal(o->state, ORDER_DRAFT);
        assert_int_equal(o->total_minor, 0);
        store_order_free(o);
        assert_int_equal(fx_audit_count(f, id), 0);
        assert_int_equal(fx_outbox_count(f, id), 0);
        /* overflow is refused, never wrapped */
        struct store_price huge[] = { { "PRINT-10X8", "glossy", INT64_MAX / 2 } };
        struct store_price_list hl = { "v1", "GBP", huge, 1 };
        assert_int_equal(store_order_remove_item(f->s, id, item, NULL), 0);
        sp.quantity = 999;
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), 0);
        assert_int_equal(store_order_lock(f->s, id, &hl, "customer", &err), STORE_E_INVALID);
        assert_non_null(strstr(err.msg, "overflow"));
}

static void bad_items_are_refused(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        assert_int_equal(store_order_create(f->s, NULL, id, code, NULL), 0);
        struct store_item_spec ok = { .asset_sha256 = f->photo_sha, .sku = "PRINT-6X4", .paper = "glossy",
                                      .quantity = 1, .crop_w = 1, .crop_h = 1 };
        struct store_item_spec sp = ok;
        sp.quantity = 0;
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_INVALID);
        sp = ok, sp.quantity = 1000;
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_INVALID);
        sp = ok, sp.rotate = 45;
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_INVALID);
        sp = ok, sp.crop_x = 0.5;
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_INVALID);
        sp = ok, sp.sku = "PRINT 6X4; DROP";
        assert_int_equal(store_order_add_item(f->s, id, &sp, item, NULL), STORE_E_INVALID);
        assert_int_equal(store_order_add_item(f->s, "nope", &ok, item, NULL), STORE_E_NOT_FOUND);
}

static void remote_order_delivered_twice_is_stored_once(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE];
        char *j = fx_remote_json("APP-7Q2", id);
        bool inserted = false;
        struct store_errbuf err = { "" };
        assert_int_equal(store_order_insert_remote(f->s, j, strlen(j), &inserted, &err), 0);
        assert_true(inserted);
        assert_int_equal(store_order_insert_remote(f->s, j, strlen(j), &inserted, &err), 0);
        assert_false(inserted);
        struct store_order_filter flt = { .states = 1u << ORDER_RECEIVED };
        struct store_order_summary *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_order_list(f->s, &flt, &rows, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(rows[0].id, id);
        assert_int_equal(rows[0].channel, STORE_CHANNEL_APP);
        free(rows);
        assert_int_equal(fx_audit_count(f, id), 1);
        assert_int_equal(fx_outbox_count(f, id), 1);
        char *type = fx_last_outbox_type(f, id);
        assert_string_equal(type, "accepted");
        free(type);
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(f->s, id, &o, NULL), 0);
        assert_int_equal(o->n_items, 1);
        assert_string_equal(o->items[0].asset_remote_id, "a1");
        assert_string_equal(o->items[0].master_remote_id, "m1");
        assert_int_equal(o->total_minor, 70);
        store_order_free(o);
        free(j);

        /* Another order reusing that code is a conflict, not a silent merge. */
        char id2[STORE_ID_SIZE];
        j = fx_remote_json("APP-7Q2", id2);
        assert_int_equal(store_order_insert_remote(f->s, j, strlen(j), &inserted, &err), STORE_E_CONFLICT);
        free(j);
        const char *bad[] = { "", "[]", "{\"order_id\":\"x\"}", "{not json" };
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(store_order_insert_remote(f->s, bad[i], strlen(bad[i]) ? strlen(bad[i]) : 0,
                                                           &inserted, &err),
                                 STORE_E_INVALID);
}

static void order_json_follows_the_contract(void **state)
{
        struct fixture *f = *state;
        assert_int_equal(store_kv_set(f->s, STORE_KV_SETTINGS, "kiosk_id", "k1", NULL), 0);
        char id[STORE_ID_SIZE];
        fx_order_in(f, ORDER_LOCKED, id);
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(f->s, id, &rows, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_int_equal(rows[0].kind, STORE_OUTBOX_ORDER);
        assert_string_equal(rows[0].idempotency_key, id);
        json_error_t je;
        json_t *j = json_loads(rows[0].payload, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "order_id")), id);
        assert_string_equal(json_string_value(json_object_get(j, "kiosk_id")), "k1");
        assert_string_equal(json_string_value(json_object_get(j, "state")), "locked");
        assert_string_equal(json_string_value(json_object_get(j, "channel")), "kiosk");
        assert_string_equal(json_string_value(json_object_get(j, "currency")), "GBP");
        assert_int_equal(json_integer_value(json_object_get(j, "total_minor")), 35);
        json_t *it = json_array_get(json_object_get(j, "items"), 0);
        assert_string_equal(json_string_value(json_object_get(it, "asset_id")), f->photo_sha);
        assert_true(json_is_null(json_object_get(it, "master_asset_id")));
        assert_int_equal(json_integer_value(json_object_get(it, "quantity")), 1);
        assert_non_null(json_object_get(json_object_get(it, "crop"), "w"));
        const char *locked = json_string_value(json_object_get(j, "locked_at"));
        assert_int_equal(strlen(locked), 20);
        assert_int_equal(locked[19], 'Z');
        json_decref(j);
        store_outbox_rows_free(rows, n);
}

static void listing_filters_by_state_and_day(void **state)
{
        struct fixture *f = *state;
        char a[STORE_ID_SIZE], b[STORE_ID_SIZE], c[STORE_ID_SIZE];
        fx_order_in(f, ORDER_DRAFT, a);
        fx_order_in(f, ORDER_QUEUED, b);
        fx_order_in(f, ORDER_FAILED, c);
        struct store_order_summary *rows = NULL;
        size_t n = 0;
        struct store_order_filter flt = { .states = (1u << ORDER_QUEUED) | (1u << ORDER_FAILED) };
        assert_int_equal(store_order_list(f->s, &flt, &rows, &n, NULL), 0);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < n; i++)
                assert_true(rows[i].state == ORDER_QUEUED || rows[i].state == ORDER_FAILED);
        free(rows);
        flt = (struct store_order_filter){ .since_ms = store_now_ms(f->s) + 3600 * 1000 };
        assert_int_equal(store_order_list(f->s, &flt, &rows, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(rows);
        assert_int_equal(store_order_list(f->s, NULL, &rows, &n, NULL), 0);
        assert_int_equal(n, 3);
        assert_int_equal(rows[0].n_items, 1);
        free(rows);
}

static void assets_are_idempotent_by_hash(void **state)
{
        struct fixture *f = *state;
        struct store_asset a;
        assert_int_equal(store_asset_get(f->s, f->photo_sha, &a, NULL), 0);
        assert_int_equal(store_asset_put(f->s, &a, NULL), 0);
        struct store_asset b = a;
        b.size += 1;
        assert_int_equal(store_asset_put(f->s, &b, NULL), STORE_E_CONFLICT);
        assert_int_equal(store_asset_mark_wiped(f->s, a.sha256, NULL), 0);
        assert_int_equal(store_asset_get(f->s, f->photo_sha, &b, NULL), 0);
        assert_true(b.wiped_at > 0);
        assert_int_equal(store_asset_put(f->s, &a, NULL), 0);
        assert_int_equal(store_asset_get(f->s, f->photo_sha, &b, NULL), 0);
        assert_int_equal(b.wiped_at, 0);
        assert_int_equal(store_asset_set_remote_id(f->s, a.sha256, "asset-9", NULL), 0);
        assert_int_equal(store_asset_get(f->s, f->photo_sha, &b, NULL), 0);
        assert_string_equal(b.remote_id, "asset-9");
        char sid[STORE_ID_SIZE];
        assert_int_equal(store_session_begin(f->s, sid, NULL), 0);
        assert_int_equal(store_session_end(f->s, sid, "wiped", NULL), 0);
        assert_int_equal(store_session_end(f->s, sid, "gone", NULL), STORE_E_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(pickup_codes_are_wellformed_and_unambiguous),
                cmocka_unit_test(uuids_are_v4_and_distinct),
#define T(x) cmocka_unit_test_setup_teardown(x, fx_setup, fx_teardown)
                T(orders_get_unique_codes_and_are_found_by_code),
                T(lock_totals_are_integer_sums_and_stored_with_the_price_list),
                T(lock_without_a_price_changes_nothing),
                T(bad_items_are_refused),
                T(remote_order_delivered_twice_is_stored_once),
                T(order_json_follows_the_contract),
                T(listing_filters_by_state_and_day),
                T(assets_are_idempotent_by_hash),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
