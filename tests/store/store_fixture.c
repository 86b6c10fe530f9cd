/* See store_fixture.h. */
#include "tests/store/store_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sync/fsutil.h"
#include "sync/order_state.h"
#include "sync/uuid.h"
#include "tests/testutil.h"

int fx_setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->dir = pk_test_mkdtemp("store");
        assert_non_null(f->dir);
        struct store_errbuf err = { "" };
        int r = store_open(f->dir, &f->s, &err);
        if (r != 0)
                fail_msg("store_open: %s", err.msg);
        fx_photo(f, 1, f->photo_sha);
        *state = f;
        return 0;
}

int fx_teardown(void **state)
{
        struct fixture *f = *state;
        store_close(f->s);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

void fx_photo(struct fixture *f, int seed, char ret_sha[STORE_SHA256_SIZE])
{
        char buf[256];
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char)(seed * 31 + (int)i);
        char *path = NULL;
        struct store_errbuf err = { "" };
        assert_int_equal(sync_fs_store_buffer(f->dir, buf, sizeof(buf), ".jpg", ret_sha, &path, &err), 0);
        struct store_asset a = { .size = sizeof(buf), .kind = STORE_ASSET_PHOTO };
        memcpy(a.sha256, ret_sha, STORE_SHA256_SIZE);
        snprintf(a.path, sizeof(a.path), "%s", path);
        snprintf(a.content_type, sizeof(a.content_type), "image/jpeg");
        free(path);
        assert_int_equal(store_asset_put(f->s, &a, &err), 0);
}

void fx_draft(struct fixture *f, int q, char ret_id[STORE_ID_SIZE])
{
        char code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        struct store_errbuf err = { "" };
        assert_int_equal(store_order_create(f->s, NULL, ret_id, code, &err), 0);
        struct store_item_spec sp = { .asset_sha256 = f->photo_sha, .sku = "PRINT-6X4", .paper = "glossy",
                                      .quantity = q, .crop_w = 1, .crop_h = 1 };
        int r = store_order_add_item(f->s, ret_id, &sp, item, &err);
        if (r != 0)
                fail_msg("add item: %s", err.msg);
}

static const struct store_price test_prices[] = {
        { "PRINT-6X4", "glossy", 35 },
        { "PRINT-6X4", "lustre", 45 },
        { "PRINT-8X6", "glossy", 149 },
};
static const struct store_price_list test_list = { "2026-11", "GBP", test_prices, 3 };

const struct store_price_list *fx_prices(void)
{
        return &test_list;
}

char *fx_remote_json(const char *code, char ret_id[STORE_ID_SIZE])
{
        char item[STORE_ID_SIZE];
        assert_int_equal(sync_uuid_v4(ret_id), 0);
        assert_int_equal(sync_uuid_v4(item), 0);
        return pk_test_strdupf(
                "{\"order_id\":\"%s\",\"kiosk_id\":\"k1\",\"store_id\":\"s1\",\"code\":\"%s\","
                "\"created_at\":\"2026-11-25T10:00:00Z\",\"locked_at\":\"2026-11-25T10:01:00Z\","
                "\"channel\":\"app\",\"currency\":\"GBP\",\"total_minor\":70,\"price_list\":\"2026-11\","
                "\"items\":[{\"item_id\":\"%s\",\"asset_id\":\"a1\",\"master_asset_id\":\"m1\","
                "\"sku\":\"PRINT-6X4\",\"paper\":\"glossy\",\"quantity\":2,"
                "\"crop\":{\"x\":0.0,\"y\":0.0,\"w\":1.0,\"h\":1.0},\"rotate\":0,"
                "\"render\":{\"profile\":\"pk-glossy.icc\",\"intent\":\"relative\",\"bpc\":true,"
                "\"dpi\":300}}],\"state\":\"queued\"}",
                ret_id, code, item);
}

static void step(struct fixture *f, const char *id, enum order_state to)
{
        struct store_errbuf err = { "" };
        int r = store_order_transition(f->s, id, to, "system", "test", &err);
        if (r != 0)
                fail_msg("transition to %s: %s", store_order_state_name(to), err.msg);
}

void fx_order_in(struct fixture *f, enum order_state st, char ret_id[STORE_ID_SIZE])
{
        struct store_errbuf err = { "" };
        if (st == ORDER_RECEIVED) {
                char code[16];
                static int n;
                snprintf(code, sizeof(code), "AP-%04d", ++n);
                char *j = fx_remote_json(code, ret_id);
                bool inserted = false;
                assert_int_equal(store_order_insert_remote(f->s, j, strlen(j), &inserted, &err), 0);
                free(j);
                return;
        }
        fx_draft(f, 1, ret_id);
        if (st == ORDER_DRAFT)
                return;
        if (st == ORDER_CANCELLED) {
                step(f, ret_id, ORDER_CANCELLED);
                return;
        }
        assert_int_equal(store_order_lock(f->s, ret_id, fx_prices(), "customer", &err), 0);
        if (st == ORDER_LOCKED)
                return;
        if (st == ORDER_FAILED) {
                step(f, ret_id, ORDER_FAILED);
                return;
        }
        static const enum order_state path[] = { ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                                 ORDER_PRINTED, ORDER_READY, ORDER_COLLECTED };
        for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
                step(f, ret_id, path[i]);
                if (path[i] == st)
                        return;
        }
        fail_msg("unreachable state %d", st);
}

size_t fx_audit_count(struct fixture *f, const char *order_id)
{
        struct store_audit *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_audit_list(f->s, order_id, &rows, &n, NULL), 0);
        free(rows);
        return n;
}

size_t fx_outbox_count(struct fixture *f, const char *order_id)
{
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(f->s, order_id, &rows, &n, NULL), 0);
        store_outbox_rows_free(rows, n);
        return n;
}

char *fx_last_outbox_type(struct fixture *f, const char *order_id)
{
        struct store_outbox_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_outbox_list(f->s, order_id, &rows, &n, NULL), 0);
        char *type = NULL;
        if (n > 0) {
                struct store_outbox_row *last = &rows[n - 1];
                if (last->kind == STORE_OUTBOX_ORDER) {
                        type = strdup("order");
                } else {
                        json_t *j = json_loads(last->payload, 0, NULL);
                        const char *t = json_string_value(json_object_get(j, "type"));
                        type = t ? strdup(t) : NULL;
                        json_decref(j);
                }
        }
        store_outbox_rows_free(rows, n);
        return type;
}
