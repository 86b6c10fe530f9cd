/* sync/backoff: exponential backoff with FULL jitter and the circuit breaker of
 * the contract's retry table (base 1 s, cap 5 min; the circuit opens after 5
 * consecutive failures and half-opens after the cap).
 *
 * Full jitter: delay = uniform(0, min(cap, base * 2^(attempt-1))), so many
 * kiosks that lost the network together do not come back in lock step. The
 * random source is injectable for tests. Pure functions and a plain struct: the
 * owner (the worker thread) serialises access. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define SYNC_BACKOFF_BASE_MS 1000
#define SYNC_BACKOFF_CAP_MS (5 * 60 * 1000)
#define SYNC_CIRCUIT_THRESHOLD 5

/* Uniform 64-bit random numbers; NULL = getrandom-backed default. */
typedef uint64_t (*sync_rng_fn)(void *userdata);

/* Ceiling of the backoff window for the attempt-th failure (1-based). */
int64_t sync_backoff_ceiling_ms(int attempt, int64_t base_ms, int64_t cap_ms);
/* Full-jitter delay in [0, ceiling]. */
int64_t sync_backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, sync_rng_fn rng,
                              void *rng_ud);
uint64_t sync_rng_default(void *userdata);

enum sync_circuit_state { SYNC_CIRCUIT_CLOSED = 0, SYNC_CIRCUIT_OPEN, SYNC_CIRCUIT_HALF_OPEN };
const char *sync_circuit_name(enum sync_circuit_state s);

struct sync_circuit {
        enum sync_circuit_state state;
        int consecutive_failures;
        int64_t open_until_ms;       /* when OPEN: the moment it half-opens */
        int64_t threshold, open_ms;  /* 0 = defaults */
};

/* May a request go now? Moves OPEN -> HALF_OPEN once open_until_ms has passed. */
bool sync_circuit_allow(struct sync_circuit *c, int64_t now_ms);
/* Record an answer: success closes; a transient failure counts and may open
 * (a failure while HALF_OPEN re-opens at once). */
void sync_circuit_success(struct sync_circuit *c);
void sync_circuit_failure(struct sync_circuit *c, int64_t now_ms);
