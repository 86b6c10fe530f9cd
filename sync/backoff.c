/* sync/backoff: full-jitter backoff and the circuit breaker (see backoff.h).
 * Invariants: delays never exceed the cap; the ceiling computation never
 * overflows (the exponent is clamped before shifting). */
#include "sync/backoff.h"

#include <sys/random.h>
#include <time.h>

int64_t sync_backoff_ceiling_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
        int64_t c = base_ms;

        if (attempt < 1)
                attempt = 1;
        for (int i = 1; i < attempt && i < 40 && c < cap_ms; i++)
                c *= 2;
        return c > cap_ms ? cap_ms : c;
}

uint64_t sync_rng_default(void *userdata)
{
        uint64_t v = 0;

        (void)userdata;
        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                v = (uint64_t)ts.tv_nsec * 6364136223846793005ULL + (uint64_t)ts.tv_sec;
        }
        return v;
}

int64_t sync_backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, sync_rng_fn rng,
                              void *rng_ud)
{
        int64_t ceil = sync_backoff_ceiling_ms(attempt, base_ms, cap_ms);
        uint64_t v = rng ? rng(rng_ud) : sync_rng_default(NULL);

        return (int64_t)(v % (uint64_t)(ceil + 1));
}

const char *sync_circuit_name(enum sync_circuit_state s)
{
        switch (s) {
        case SYNC_CIRCUIT_CLOSED: return "closed";
        case SYNC_CIRCUIT_OPEN: return "open";
        case SYNC_CIRCUIT_HALF_OPEN: return "half-open";
        }
        return "?";
}

bool sync_circuit_allow(struct sync_circuit *c, int64_t now_ms)
{
        if (c->state == SYNC_CIRCUIT_OPEN) {
                if (now_ms < c->open_until_ms)
                        return false;
                c->state = SYNC_CIRCUIT_HALF_OPEN;
        }
        return true;
}

void sync_circuit_success(struct sync_circuit *c)
{
        c->state = SYNC_CIRCUIT_CLOSED;
        c->consecutive_failures = 0;
}

void sync_circuit_failure(struct sync_circuit *c, int64_t now_ms)
{
        int64_t threshold = c->threshold > 0 ? c->threshold : SYNC_CIRCUIT_THRESHOLD;
        int64_t open_ms = c->open_ms > 0 ? c->open_ms : SYNC_BACKOFF_CAP_MS;

        if (c->consecutive_failures < 1000000)
                c->consecutive_failures++;
        if (c->state == SYNC_CIRCUIT_HALF_OPEN || c->consecutive_failures >= threshold) {
                c->state = SYNC_CIRCUIT_OPEN;
                c->open_until_ms = now_ms + open_ms;
        }
}
