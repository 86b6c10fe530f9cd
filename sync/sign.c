/* Request signing (see sign.h): canonical string, HMAC-SHA256 via libsodium's
 * crypto_auth_hmacsha256, hex helpers and the contract's timestamp format.
 * The canonical string is fed to the HMAC piece by piece, so no buffer holds it
 * and its size needs no limit beyond SYNC_SIGN_MAX_TARGET on each part. */
#include "sync/sign.h"

#include <sodium.h>
#include <string.h>

#include "sync/error.h"

static const char hexdigits[] = "0123456789abcdef";

void sync_hex_encode(const uint8_t *in, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hexdigits[in[i] >> 4];
                out[2 * i + 1] = hexdigits[in[i] & 0x0f];
        }
        out[2 * n] = '\0';
}

void sync_sha256_hex(const void *data, size_t len, char out[SYNC_SIGN_HEX_LEN + 1])
{
        uint8_t d[crypto_hash_sha256_BYTES];
        static const uint8_t empty[1];

        crypto_hash_sha256(d, data && len ? data : empty, len);
        sync_hex_encode(d, sizeof(d), out);
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* uppercase is refused on purpose: the contract says lowercase */
}

int sync_hex_decode_key(const char *hex, uint8_t ret_key[SYNC_SIGN_KEY_LEN])
{
        uint8_t k[SYNC_SIGN_KEY_LEN];

        if (!hex || strnlen(hex, SYNC_SIGN_HEX_LEN + 1) != SYNC_SIGN_HEX_LEN)
                return STORE_E_INVALID;
        for (size_t i = 0; i < SYNC_SIGN_KEY_LEN; i++) {
                int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        sodium_memzero(k, sizeof(k));
                        return STORE_E_INVALID;
                }
                k[i] = (uint8_t)(hi << 4 | lo);
        }
        memcpy(ret_key, k, sizeof(k));
        sodium_memzero(k, sizeof(k));
        return 0;
}

static int part_ok(const char *s)
{
        if (!s)
                return 0;
        size_t n = strnlen(s, SYNC_SIGN_MAX_TARGET + 1);
        return n > 0 && n <= SYNC_SIGN_MAX_TARGET;
}

int sync_sign_request_hashed(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                             const char *path_and_query, const char *timestamp,
                             const char *body_sha256_hex, char out_hex_sig[SYNC_SIGN_HEX_LEN + 1])
{
        crypto_auth_hmacsha256_state st;
        uint8_t mac[crypto_auth_hmacsha256_BYTES];

        if (!key || !out_hex_sig || !part_ok(method) || !part_ok(path_and_query) ||
            !part_ok(timestamp) || !body_sha256_hex ||
            strnlen(body_sha256_hex, SYNC_SIGN_HEX_LEN + 1) != SYNC_SIGN_HEX_LEN)
                return STORE_E_INVALID;
        crypto_auth_hmacsha256_init(&st, key, SYNC_SIGN_KEY_LEN);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)method, strlen(method));
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)path_and_query,
                                      strlen(path_and_query));
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)timestamp, strlen(timestamp));
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)"\n", 1);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)body_sha256_hex, SYNC_SIGN_HEX_LEN);
        crypto_auth_hmacsha256_final(&st, mac);
        sodium_memzero(&st, sizeof(st));
        sync_hex_encode(mac, sizeof(mac), out_hex_sig);
        return 0;
}

int sync_sign_request(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                      const char *path_and_query, const char *timestamp,
                      const void *body, size_t body_len,
                      char out_hex_sig[SYNC_SIGN_HEX_LEN + 1])
{
        char body_hex[SYNC_SIGN_HEX_LEN + 1];

        if (!body && body_len)
                return STORE_E_INVALID;
        sync_sha256_hex(body, body_len, body_hex);
        return sync_sign_request_hashed(key, method, path_and_query, timestamp, body_hex,
                                        out_hex_sig);
}

int sync_sign_header(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                     const char *path_and_query, const char *timestamp,
                     const void *body, size_t body_len,
                     char out_header[SYNC_SIGN_HEADER_LEN + 1])
{
        char hex[SYNC_SIGN_HEX_LEN + 1];
        int r = sync_sign_request(key, method, path_and_query, timestamp, body, body_len, hex);

        if (r < 0)
                return r;
        memcpy(out_header, SYNC_SIGN_HEADER_PREFIX, 3);
        memcpy(out_header + 3, hex, SYNC_SIGN_HEX_LEN + 1);
        return 0;
}

static int verify_hex(const char *want_hex, const char *header)
{
        char want[SYNC_SIGN_HEADER_LEN + 1];

        if (!header || strnlen(header, SYNC_SIGN_HEADER_LEN + 1) != SYNC_SIGN_HEADER_LEN)
                return STORE_E_REJECTED;
        memcpy(want, SYNC_SIGN_HEADER_PREFIX, 3);
        memcpy(want + 3, want_hex, SYNC_SIGN_HEX_LEN + 1);
        /* Lengths are public; the digest comparison is constant time. */
        return sodium_memcmp(want, header, SYNC_SIGN_HEADER_LEN) == 0 ? 0 : STORE_E_REJECTED;
}

int sync_verify_header_hashed(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                              const char *path_and_query, const char *timestamp,
                              const char *body_sha256_hex, const char *header)
{
        char hex[SYNC_SIGN_HEX_LEN + 1];
        int r = sync_sign_request_hashed(key, method, path_and_query, timestamp, body_sha256_hex, hex);

        return r < 0 ? r : verify_hex(hex, header);
}

int sync_verify_header(const uint8_t key[SYNC_SIGN_KEY_LEN], const char *method,
                       const char *path_and_query, const char *timestamp,
                       const void *body, size_t body_len, const char *header)
{
        char hex[SYNC_SIGN_HEX_LEN + 1];
        int r = sync_sign_request(key, method, path_and_query, timestamp, body, body_len, hex);

        return r < 0 ? r : verify_hex(hex, header);
}

int sync_format_timestamp(time_t t, char out[SYNC_TIMESTAMP_LEN + 1])
{
        struct tm tm;

        if (!out || !gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
                return STORE_E_INVALID;
        if (strftime(out, SYNC_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != SYNC_TIMESTAMP_LEN)
                return STORE_E_INVALID;
        return 0;
}

/* n decimal digits at s, already known to be in bounds. */
static int digits(const char *s, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int sync_parse_timestamp(const char *s, time_t *ret_t)
{
        static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y, mo, d, h, mi, se;

        if (!s || !ret_t || strnlen(s, SYNC_TIMESTAMP_LEN + 1) != SYNC_TIMESTAMP_LEN)
                return STORE_E_INVALID;
        /* Fixed layout: YYYY-MM-DDTHH:MM:SSZ */
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
            s[19] != 'Z')
                return STORE_E_INVALID;
        if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
            digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
                return STORE_E_INVALID;
        if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
                return STORE_E_INVALID;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d > mdays[mo - 1] + (mo == 2 && leap))
                return STORE_E_INVALID;
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                        .tm_hour = h, .tm_min = mi, .tm_sec = se};
        time_t t = timegm(&tm);
        if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31 && h == 23 && mi == 59 && se == 59))
                return STORE_E_INVALID;
        *ret_t = t;
        return 0;
}
