/* The C harness and sync/sign against the running pk-central: requests signed
 * by sync_sign_header are accepted, a wrong key is 401 bad-signature, an upload
 * and an order made through the harness land in /admin/store, and the server
 * stops cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "sync/sign.h"
#include "tests/central/harness.h"

static int setup(void **state)
{
        struct pc_harness *h = pc_harness_start(NULL);
        *state = h;
        return h ? 0 : -1;
}

static int teardown(void **state)
{
        return pc_harness_stop(*state) == 0 ? 0 : -1;
}

static void c_signer_is_accepted_and_wrong_key_refused(void **state)
{
        struct pc_harness *h = *state;
        uint8_t key[32];
        char *body = NULL;

        pc_harness_key(1, key);
        assert_int_equal(pc_harness_request(h, "k1", key, "GET", "/v1/kiosks/k1/pickups?after=c0", NULL, 0,
                                            NULL, &body, NULL), 200);
        assert_non_null(strstr(body, "\"cursor\""));
        free(body);
        key[0] ^= 1;
        assert_int_equal(pc_harness_request(h, "k1", key, "GET", "/v1/kiosks/k1/pickups", NULL, 0, NULL,
                                            &body, NULL), 401);
        assert_non_null(strstr(body, "bad-signature"));
        free(body);
}

static void upload_and_order_land_in_the_store(void **state)
{
        struct pc_harness *h = *state;
        uint8_t key[32], data[5000], digest[32];
        char sha[65], b64sha[128], b64sum[64], meta[512], sum[96], loc[128] = "", *body = NULL;
        json_t *store, *order;

        pc_harness_key(1, key);
        randombytes_buf(data, sizeof(data));
        sync_sha256_hex(data, sizeof(data), sha);
        sodium_bin2base64(b64sha, sizeof(b64sha), (const uint8_t *)sha, 64, sodium_base64_VARIANT_ORIGINAL);
        snprintf(meta, sizeof(meta), "Upload-Metadata: sha256 %s,kind cGhvdG8=,content-type aW1hZ2UvanBlZw==",
                 b64sha);
        const char *create[] = {"Tus-Resumable: 1.0.0", "Upload-Length: 5000", meta, NULL};
        assert_int_equal(pc_harness_request(h, "k1", key, "POST", "/v1/uploads", NULL, 0, create, &body, NULL),
                         201);
        free(body);
        assert_non_null(pc_harness_last_header(h, "Location", loc, sizeof(loc)));
        assert_string_equal(pc_harness_last_header(h, "Tus-Resumable", sum, sizeof(sum)), "1.0.0");
        assert_true(loc[0] != '\0');
        crypto_hash_sha256(digest, data, sizeof(data));
        sodium_bin2base64(b64sum, sizeof(b64sum), digest, 32, sodium_base64_VARIANT_ORIGINAL);
        snprintf(sum, sizeof(sum), "Upload-Checksum: sha256 %s", b64sum);
        const char *patch[] = {"Tus-Resumable: 1.0.0", "Content-Type: application/offset+octet-stream",
                               "Upload-Offset: 0", sum, NULL};
        assert_int_equal(pc_harness_request(h, "k1", key, "PATCH", loc, data, sizeof(data), patch, NULL, NULL),
                         204);
        assert_string_equal(pc_harness_last_header(h, "X-Asset-Id", meta, sizeof(meta)), sha);

        order = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:[{s:s, s:s, s:s, s:s,"
                          " s:i, s:{s:f, s:f, s:f, s:f}, s:i}]}",
                          "order_id", "o-harness-1", "kiosk_id", "k1", "store_id", "s1", "code", "K7Q-4RM",
                          "created_at", "2026-11-25T10:00:00Z", "locked_at", "2026-11-25T10:01:00Z",
                          "channel", "kiosk", "currency", "GBP", "total_minor", 1299, "price_list", "2026-11",
                          "state", "locked", "items", "item_id", "i1", "asset_id", sha, "sku", "PRINT-6X4",
                          "paper", "glossy", "quantity", 1, "crop", "x", 0.0, "y", 0.0, "w", 1.0, "h", 1.0,
                          "rotate", 0);
        assert_non_null(order);
        char *txt = json_dumps(order, JSON_COMPACT);
        const char *oh[] = {"Idempotency-Key: o-harness-1", "Content-Type: application/json", NULL};
        assert_int_equal(pc_harness_request(h, "k1", key, "POST", "/v1/orders", txt, strlen(txt), oh, NULL, NULL),
                         201);
        assert_int_equal(pc_harness_request(h, "k1", key, "POST", "/v1/orders", txt, strlen(txt), oh, NULL, NULL),
                         200);
        free(txt);
        json_decref(order);

        assert_int_equal(pc_harness_admin(h, "GET", "/admin/store", NULL, &body), 200);
        store = json_loads(body, 0, NULL);
        free(body);
        assert_non_null(store);
        json_t *a = json_array_get(json_object_get(store, "assets"), 0);
        json_t *o = json_array_get(json_object_get(store, "orders"), 0);
        assert_string_equal(json_string_value(json_object_get(a, "sha256")), sha);
        assert_int_equal(json_integer_value(json_object_get(a, "size")), 5000);
        assert_string_equal(json_string_value(json_object_get(o, "order_id")), "o-harness-1");
        assert_int_equal(json_integer_value(json_object_get(o, "received")), 2);
        assert_int_equal(json_integer_value(json_object_get(o, "applied")), 1);
        json_decref(store);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(c_signer_is_accepted_and_wrong_key_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(upload_and_order_land_in_the_store, setup, teardown),
        };
        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
