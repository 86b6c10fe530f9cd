/* app/watchdog: tell systemd the kiosk is up and alive (sd_notify).
 *
 * printkiosk.service is Type=notify with WatchdogSec: READY=1 is sent once the
 * attract screen has been drawn, and WATCHDOG=1 from the UI thread's loop, so
 * a UI thread that stalls (a blocking call, a deadlock, SIGSTOP) stops the pings
 * and systemd restarts the kiosk. Pings are rate-limited to a quarter of the
 * interval systemd asks for (sd_watchdog_enabled), so calling app_watchdog_ping()
 * every loop iteration costs nothing. Outside systemd (no NOTIFY_SOCKET) every
 * call is a no-op. Call from one thread (the UI's).
 */
#pragma once
#include <stdint.h>

/* READY=1 (once; later calls do nothing). */
void app_watchdog_ready(void);
/* WATCHDOG=1 when the watchdog is enabled and a quarter interval has passed
 * since the last ping. now_us: a monotonic clock in microseconds. Returns 1 when
 * a ping was sent, 0 otherwise. */
int app_watchdog_ping(uint64_t now_us);
