/* Request signing for the central order API (contract: ../shared/api/
 * central-order-api.md, "Identity and signing"), shared by the kiosk's client
 * and the reference server tests/central/.
 *
 * Signature = lowercase hex HMAC-SHA256(key, METHOD "\n" PATH_AND_QUERY "\n"
 * TIMESTAMP "\n" lowercase hex SHA-256(body)), sent as "X-Signature: v1=<hex>".
 * Invariants: functions never read past the lengths given, write their outputs
 * only on success, and compare signatures in constant time. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SYNC_SIGN_KEY_LEN 32        /* HMAC key = the kiosk's 32 secret bytes */
#define SYNC_SIGN_HEX_LEN 64        /* hex of a 32-byte digest, without NUL */
#define SYNC_TIMESTAMP_LEN 20       /* "YYYY-MM-DDTHH:MM:SSZ", without NUL */
#define SYNC_SIGN_HEADER_PREFIX "v1="
#define SYNC_SIGN_HEADER_LEN (3 + SYNC_SIGN_HEX_LEN) /* "v1=" + hex, without NUL */
/* Longest METHOD or PATH_AND_QUERY we sign: bounds the input, not a buffer. */
#define SYNC_SIGN_MAX_TARGET 8192

/* Lowercase hex of SHA-256(data[0..len)) into out (65 bytes, NUL-terminated). */
void sync_sha256_hex(const void *data, size_t len, char out[SYNC_SIGN_HEX_LEN + 1]);

/* Lowercase hex encoding of in[0..n) into out (2n+1 bytes, NUL-terminated). */
void sync_hex_encode(const uint8_t *in, size_t n, char *out);

/* Strictly decode 64 lowercase hex digits (nothing before or after) into 32
 * bytes. Returns 0, or STORE_E_INVALID (ret_key untouched). */
int sync_hex_decode_key(const char *hex, uint8_t ret_key[SYNC_SIGN_KEY_LEN]);

/* Compute the signature hex (without "v1=") for one request. body may be NULL
 * when body_len is 0 (hashes the empty string). Returns 0, or STORE_E_INVALID
 * for a NULL/empty/over-long method, path or timestamp. */
int sync_sign_request(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                      const char *path_and_query, const char *timestamp,
                      const void *body, size_t body_len,
                      char out_hex_sig[SYNC_SIGN_HEX_LEN + 1]);

/* Same, formatted as the X-Signature header value "v1=<hex>" (68 bytes). */
int sync_sign_header(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                     const char *path_and_query, const char *timestamp,
                     const void *body, size_t body_len,
                     char out_header[SYNC_SIGN_HEADER_LEN + 1]);

/* Check an X-Signature header value against the request, in constant time.
 * Returns 0 when it matches, STORE_E_REJECTED when it does not or is malformed,
 * STORE_E_INVALID for bad arguments. */
int sync_verify_header(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                       const char *path_and_query, const char *timestamp,
                       const void *body, size_t body_len, const char *header);

/* The same two for a body already hashed (body_sha256_hex: 64 lowercase hex
 * digits of SHA-256(body)), for bodies streamed through an incremental hash. */
int sync_sign_request_hashed(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                             const char *path_and_query, const char *timestamp,
                             const char *body_sha256_hex, char out_hex_sig[SYNC_SIGN_HEX_LEN + 1]);
int sync_verify_header_hashed(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                              const char *path_and_query, const char *timestamp,
                              const char *body_sha256_hex, const char *header);

/* Format t (UTC) as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). Returns 0, or
 * STORE_E_INVALID for a time outside years 0000-9999. */
int sync_format_timestamp(time_t t, char out[SYNC_TIMESTAMP_LEN + 1]);

/* Parse exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fraction, real calendar date,
 * seconds 00-59) into ret_t. Returns 0, or STORE_E_INVALID (ret_t untouched). */
int sync_parse_timestamp(const char *s, time_t *ret_t);
