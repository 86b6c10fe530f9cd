/* app/staff_pin: staff PIN check with Argon2id and a growing lockout.
 *
 * The PIN is stored only as a libsodium crypto_pwhash_str() string (Argon2id,
 * "interactive" limits: ~64 MiB, a fraction of a second), in a file the
 * technician writes with app_staff_pin_write_hash. Each wrong PIN counts; from
 * the APP_PIN_FREE_TRIES-th failure on, every further try must wait a delay that
 * doubles per failure (APP_PIN_BASE_DELAY_MS .. APP_PIN_MAX_DELAY_MS). A correct
 * PIN resets the count. Time is passed in by the caller (monotonic ms) so the
 * policy is testable without sleeping.
 *
 * Not thread-safe: one owner (app/kiosk runs checks on its worker thread,
 * because Argon2id must not block the UI thread).
 */
#pragma once
#include <stdint.h>

#define APP_PIN_MIN_LEN 4
#define APP_PIN_MAX_LEN 12
#define APP_PIN_FREE_TRIES 3            /* failures before any delay */
#define APP_PIN_BASE_DELAY_MS 30000     /* first lockout: 30 s */
#define APP_PIN_MAX_DELAY_MS 3600000    /* never more than an hour */
#define APP_PIN_HASH_MAX 128            /* crypto_pwhash_STRBYTES */

enum app_pin_result {
        APP_PIN_OK = 0,
        APP_PIN_E_WRONG = -1,     /* wrong PIN (counted) */
        APP_PIN_E_LOCKED = -2,    /* locked out: *ret_wait_ms says how long; not checked */
        APP_PIN_E_NOT_SET = -3,   /* no hash configured */
        APP_PIN_E_INVALID = -4,   /* not 4..12 digits (not counted) */
        APP_PIN_E_INTERNAL = -5,  /* libsodium init or allocation failed */
};

struct app_staff_pin;

/* Load the hash from `hash_path` (NULL or missing file: no PIN set). */
struct app_staff_pin *app_staff_pin_new(const char *hash_path);
struct app_staff_pin *app_staff_pin_free(struct app_staff_pin *p);
/* Check `pin` at time now_ms. On APP_PIN_E_LOCKED and APP_PIN_E_WRONG,
 * *ret_wait_ms (may be NULL) is the wait before the next try is accepted. */
int app_staff_pin_check(struct app_staff_pin *p, const char *pin, int64_t now_ms,
                        int64_t *ret_wait_ms);
/* Failures since the last success. */
int app_staff_pin_failures(const struct app_staff_pin *p);
/* Hash `pin` and write it durably to `hash_path` (temp + fsync + rename). */
int app_staff_pin_write_hash(const char *hash_path, const char *pin);
/* Delay imposed after `failures` consecutive failures (0 below the free tries). */
int64_t app_staff_pin_delay_ms(int failures);
