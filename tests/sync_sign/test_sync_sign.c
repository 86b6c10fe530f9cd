/* sync/sign: the contract's worked example reproduced byte for byte, plus the
 * strictness of the key, timestamp and header parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync/error.h"
#include "sync/sign.h"

static const char example_body[] =
        "{\"event_id\":\"5b1c7a2e-0d7e-4c56-9a65-1f3f7b2f4e01\",\"type\":\"printed\","
        "\"at\":\"2026-11-25T10:15:00Z\",\"actor\":\"system\",\"detail\":{}}";
static const char example_path[] = "/v1/orders/0f8e2a9c-3b7d-4d11-8c2e-6a5b4c3d2e1f/events";

static void example_key(uint8_t key[32])
{
        char hex[65];
        for (int i = 0; i < 32; i++)
                key[i] = (uint8_t)i;
        sync_hex_encode(key, 32, hex);
        assert_string_equal(hex, "000102030405060708090a0b0c0d0e0f"
                                 "101112131415161718191a1b1c1d1e1f");
}

static void worked_example_body_hash_matches_contract(void **state)
{
        char hex[65];
        sync_sha256_hex(example_body, strlen(example_body), hex);
        assert_string_equal(hex, "a15a0c83b70f5a74e05f3e24c00672235b7d64c1d2c7d08dfa08d3827e84dcaa");
}

static void worked_example_signature_matches_contract(void **state)
{
        uint8_t key[32];
        char hdr[SYNC_SIGN_HEADER_LEN + 1];
        example_key(key);
        assert_int_equal(sync_sign_header(key, "POST", example_path, "2026-11-25T10:15:02Z",
                                          example_body, strlen(example_body), hdr), 0);
        assert_string_equal(hdr, "v1=a00a52a906869af52b37401e2c9eb663d5a9c2f6c25ea67e8565e51a3cc54b73");
        assert_int_equal(sync_verify_header(key, "POST", example_path, "2026-11-25T10:15:02Z",
                                            example_body, strlen(example_body), hdr), 0);
}

static void hashed_variant_matches_the_worked_example(void **state)
{
        uint8_t key[32];
        char body_hex[65], sig[65];
        example_key(key);
        sync_sha256_hex(example_body, strlen(example_body), body_hex);
        assert_int_equal(sync_sign_request_hashed(key, "POST", example_path, "2026-11-25T10:15:02Z",
                                                  body_hex, sig), 0);
        assert_string_equal(sig, "a00a52a906869af52b37401e2c9eb663d5a9c2f6c25ea67e8565e51a3cc54b73");
        assert_int_equal(sync_verify_header_hashed(key, "POST", example_path, "2026-11-25T10:15:02Z", body_hex,
                                                   "v1=a00a52a906869af52b37401e2c9eb663d5a9c2f6c25ea67e8565e51a3cc54b73"),
                         0);
        assert_int_equal(sync_sign_request_hashed(key, "POST", example_path, "2026-11-25T10:15:02Z",
                                                  "a15a", sig), STORE_E_INVALID);
}

static void verify_rejects_any_changed_part(void **state)
{
        uint8_t key[32];
        char hdr[SYNC_SIGN_HEADER_LEN + 1];
        const char *ts = "2026-11-25T10:15:02Z";
        size_t n = strlen(example_body);
        example_key(key);
        assert_int_equal(sync_sign_header(key, "POST", example_path, ts, example_body, n, hdr), 0);
        assert_int_equal(sync_verify_header(key, "PUT", example_path, ts, example_body, n, hdr),
                         STORE_E_REJECTED);
        assert_int_equal(sync_verify_header(key, "POST", "/v1/orders/x/events", ts, example_body, n, hdr),
                         STORE_E_REJECTED);
        assert_int_equal(sync_verify_header(key, "POST", example_path, "2026-11-25T10:15:03Z",
                                            example_body, n, hdr), STORE_E_REJECTED);
        assert_int_equal(sync_verify_header(key, "POST", example_path, ts, example_body, n - 1, hdr),
                         STORE_E_REJECTED);
        key[31] ^= 1;
        assert_int_equal(sync_verify_header(key, "POST", example_path, ts, example_body, n, hdr),
                         STORE_E_REJECTED);
        key[31] ^= 1;
        hdr[0] = 'V';
        assert_int_equal(sync_verify_header(key, "POST", example_path, ts, example_body, n, hdr),
                         STORE_E_REJECTED);
        assert_int_equal(sync_verify_header(key, "POST", example_path, ts, example_body, n, "v1=ab"),
                         STORE_E_REJECTED);
        assert_int_equal(sync_verify_header(key, "POST", example_path, ts, example_body, n, NULL),
                         STORE_E_REJECTED);
}

static void empty_body_hashes_the_empty_string(void **state)
{
        char a[65];
        uint8_t key[32];
        char s1[65], s2[65];
        sync_sha256_hex(NULL, 0, a);
        assert_string_equal(a, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        example_key(key);
        assert_int_equal(sync_sign_request(key, "GET", "/v1/kiosks/k1/pickups?after=c9",
                                           "2026-11-25T10:15:02Z", NULL, 0, s1), 0);
        assert_int_equal(sync_sign_request(key, "GET", "/v1/kiosks/k1/pickups?after=c9",
                                           "2026-11-25T10:15:02Z", "", 0, s2), 0);
        assert_string_equal(s1, s2);
}

static void sign_refuses_missing_parts(void **state)
{
        uint8_t key[32] = {0};
        char s[65];
        assert_int_equal(sync_sign_request(key, "", "/v1/x", "2026-11-25T10:15:02Z", NULL, 0, s),
                         STORE_E_INVALID);
        assert_int_equal(sync_sign_request(key, "GET", NULL, "2026-11-25T10:15:02Z", NULL, 0, s),
                         STORE_E_INVALID);
        assert_int_equal(sync_sign_request(key, "GET", "/v1/x", "2026-11-25T10:15:02Z", NULL, 3, s),
                         STORE_E_INVALID);
}

static void key_decoding_is_strict(void **state)
{
        uint8_t key[32], want[32];
        example_key(want);
        assert_int_equal(sync_hex_decode_key("000102030405060708090a0b0c0d0e0f"
                                             "101112131415161718191a1b1c1d1e1f", key), 0);
        assert_memory_equal(key, want, 32);
        memset(key, 0xee, sizeof(key));
        /* uppercase, short, long, non-hex, NULL: refused and output untouched */
        assert_int_equal(sync_hex_decode_key("000102030405060708090A0B0C0D0E0F"
                                             "101112131415161718191a1b1c1d1e1f", key), STORE_E_INVALID);
        assert_int_equal(sync_hex_decode_key("00010203", key), STORE_E_INVALID);
        assert_int_equal(sync_hex_decode_key("000102030405060708090a0b0c0d0e0f"
                                             "101112131415161718191a1b1c1d1e1f00", key), STORE_E_INVALID);
        assert_int_equal(sync_hex_decode_key("000102030405060708090a0b0c0d0e0f"
                                             "101112131415161718191a1b1c1d1e1g", key), STORE_E_INVALID);
        assert_int_equal(sync_hex_decode_key(NULL, key), STORE_E_INVALID);
        for (int i = 0; i < 32; i++)
                assert_int_equal(key[i], 0xee);
}

static void timestamp_round_trips(void **state)
{
        char buf[SYNC_TIMESTAMP_LEN + 1];
        time_t t = 0;
        assert_int_equal(sync_parse_timestamp("2026-11-25T10:15:02Z", &t), 0);
        assert_int_equal(sync_format_timestamp(t, buf), 0);
        assert_string_equal(buf, "2026-11-25T10:15:02Z");
        assert_int_equal(sync_parse_timestamp("1970-01-01T00:00:00Z", &t), 0);
        assert_int_equal((long long)t, 0);
        assert_int_equal(sync_parse_timestamp("2024-02-29T23:59:59Z", &t), 0);
        assert_int_equal(sync_format_timestamp(t, buf), 0);
        assert_string_equal(buf, "2024-02-29T23:59:59Z");
}

static void timestamp_parser_is_strict(void **state)
{
        static const char *bad[] = {
                "", "2026-11-25T10:15:02", "2026-11-25T10:15:02.5Z", "2026-11-25 10:15:02Z",
                "2026-11-25t10:15:02Z", "2026-13-25T10:15:02Z", "2026-11-31T10:15:02Z",
                "2025-02-29T10:15:02Z", "2026-11-25T24:00:00Z", "2026-11-25T10:60:02Z",
                "2026-11-25T10:15:60Z", "+026-11-25T10:15:02Z", "2026-11-25T10:15:02+00:00",
                "2026-1a-25T10:15:02Z", " 2026-11-25T10:15:02Z", "2026-11-25T10:15:02Z ",
                "2026-00-25T10:15:02Z", "2026-11-00T10:15:02Z",
        };
        time_t t = 42;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(sync_parse_timestamp(bad[i], &t), STORE_E_INVALID);
                assert_int_equal((long long)t, 42);
        }
        assert_int_equal(sync_parse_timestamp(NULL, &t), STORE_E_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(worked_example_body_hash_matches_contract),
                cmocka_unit_test(worked_example_signature_matches_contract),
                cmocka_unit_test(hashed_variant_matches_the_worked_example),
                cmocka_unit_test(verify_rejects_any_changed_part),
                cmocka_unit_test(empty_body_hashes_the_empty_string),
                cmocka_unit_test(sign_refuses_missing_parts),
                cmocka_unit_test(key_decoding_is_strict),
                cmocka_unit_test(timestamp_round_trips),
                cmocka_unit_test(timestamp_parser_is_strict),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
