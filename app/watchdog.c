/* app/watchdog: sd_notify readiness and watchdog pings (see watchdog.h).
 * Invariants: READY=1 goes out at most once per process; the decision of
 * when is app_watchdog_ready_decide alone (pure, unit-tested). */
#include "app/watchdog.h"

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

static bool ready_sent;
static int enabled = -1;     /* -1: not asked yet, 0: off, 1: on */
static uint64_t interval_us; /* from WATCHDOG_USEC */
static uint64_t last_ping_us;
static bool pinged;

enum app_ready_reason app_watchdog_ready_decide(const struct app_ready_facts *f)
{
        if (!f || !f->first_frame)
                return APP_READY_WAIT;
        if (f->prices_drawn)
                return APP_READY_PRICES;
        if (f->core_no_prices)
                return APP_READY_NO_PRICES;
        uint64_t bound = f->fallback_ms ? f->fallback_ms : APP_WATCHDOG_READY_FALLBACK_MS;
        if (f->since_first_ms >= bound)
                return APP_READY_FALLBACK;
        return APP_READY_WAIT;
}

const char *app_watchdog_ready_status(enum app_ready_reason why)
{
        switch (why) {
        case APP_READY_PRICES: return "attract screen shown with its price list";
        case APP_READY_NO_PRICES: return "attract screen shown, no price list (it prices nothing in the catalogue)";
        case APP_READY_FALLBACK: return "attract screen shown, price list not loaded yet (core still starting)";
        case APP_READY_WAIT:
        case _APP_READY_MAX:
        default: return "";
        }
}

int app_watchdog_ready(enum app_ready_reason why)
{
        if (ready_sent || why <= APP_READY_WAIT || why >= _APP_READY_MAX)
                return 0;
        ready_sent = true;
        char msg[160];
        snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", app_watchdog_ready_status(why));
        sd_notify(0, msg);
        return 1;
}

int app_watchdog_ping(uint64_t now_us)
{
        if (enabled < 0) {
                uint64_t usec = 0;
                enabled = sd_watchdog_enabled(0, &usec) > 0 && usec > 0;
                interval_us = usec;
        }
        if (!enabled)
                return 0;
        if (pinged && now_us - last_ping_us < interval_us / 4)
                return 0;
        pinged = true;
        last_ping_us = now_us;
        sd_notify(0, "WATCHDOG=1");
        return 1;
}
