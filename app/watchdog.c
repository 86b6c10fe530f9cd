/* app/watchdog: sd_notify readiness and watchdog pings (see watchdog.h). */
#include "app/watchdog.h"

#include <stdbool.h>
#include <systemd/sd-daemon.h>

static bool ready_sent;
static int enabled = -1;     /* -1: not asked yet, 0: off, 1: on */
static uint64_t interval_us; /* from WATCHDOG_USEC */
static uint64_t last_ping_us;
static bool pinged;

void app_watchdog_ready(void)
{
        if (ready_sent)
                return;
        ready_sent = true;
        sd_notify(0, "READY=1\nSTATUS=attract screen shown");
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
