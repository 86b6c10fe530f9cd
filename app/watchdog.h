/* app/watchdog: tell systemd the kiosk is up and alive (sd_notify).
 *
 * printkiosk.service is Type=notify with WatchdogSec. READY=1 means "a
 * customer can use the kiosk": it is sent at the first frame whose attract
 * screen shows the price list (the core delivers the prices on its boot
 * thread, after the first frame), or at once when the core is up with no
 * price list (the screen then says "ask staff"), or, as a bound,
 * APP_WATCHDOG_READY_FALLBACK_MS after the first frame whatever the core
 * does, so a kiosk whose core is slow still becomes READY. STATUS= says
 * which (app_watchdog_ready_status). The decision is the pure function
 * app_watchdog_ready_decide, so the UI's loop only feeds it facts.
 *
 * WATCHDOG=1 comes from the UI thread's loop, so a UI thread that stalls (a
 * blocking call, a deadlock, SIGSTOP) stops the pings and systemd restarts
 * the kiosk. Pings are rate-limited to a quarter of the interval systemd asks
 * for (sd_watchdog_enabled), so calling app_watchdog_ping() every loop
 * iteration costs nothing. Outside systemd (no NOTIFY_SOCKET) every call is a
 * no-op. Call from one thread (the UI's).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* The bound on READY after the first frame: the attract screen is up and
 * usable (Start is honoured once the core is up) even without its prices;
 * the core is normally up 0.1-0.5 s after the first frame (ui/README.md). */
#define APP_WATCHDOG_READY_FALLBACK_MS 3000

/* Why READY=1 is (to be) sent. Numbers never change. */
enum app_ready_reason {
        APP_READY_WAIT = 0,      /* not yet */
        APP_READY_PRICES = 1,    /* a presented attract frame showed the price list */
        APP_READY_NO_PRICES = 2, /* the core is up with no price list ("ask staff" shown) */
        APP_READY_FALLBACK = 3,  /* the bound after the first frame passed without either */
        _APP_READY_MAX
};

/* The facts the UI knows after presenting a frame (or at any loop turn). */
struct app_ready_facts {
        bool first_frame;        /* a frame has been presented */
        bool prices_drawn;       /* the last presented frame was the attract screen with
                                  * at least one price line */
        bool core_no_prices;     /* the core is up and prices nothing */
        uint64_t since_first_ms; /* time since the first frame was presented */
        uint64_t fallback_ms;    /* 0 = APP_WATCHDOG_READY_FALLBACK_MS */
};

/* Pure: whether READY=1 is due, and why. Prices win over the other reasons
 * (a frame that shows them and the fallback's moment coincide: say prices). */
enum app_ready_reason app_watchdog_ready_decide(const struct app_ready_facts *f);
/* The STATUS= text for a reason (static string; "" for APP_READY_WAIT). */
const char *app_watchdog_ready_status(enum app_ready_reason why);
/* READY=1 and STATUS=<reason> once; later calls (and APP_READY_WAIT) do
 * nothing. Returns 1 when this call sent it (or would have, outside systemd),
 * 0 otherwise. */
int app_watchdog_ready(enum app_ready_reason why);
/* WATCHDOG=1 when the watchdog is enabled and a quarter interval has passed
 * since the last ping. now_us: a monotonic clock in microseconds. Returns 1 when
 * a ping was sent, 0 otherwise. */
int app_watchdog_ping(uint64_t now_us);
