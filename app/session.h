/* app/session: one customer's session clock.
 *
 * A session starts when the customer leaves the attract screen and ends on
 * "start over", after an order, or after `timeout_ms` without activity. The
 * last `warning_ms` before the timeout are the warning countdown the UI shows
 * ("Still there? 20 s"); any activity cancels it. Ending calls the end hook
 * once (app/kiosk wipes the session's photos, selections and jobs there).
 *
 * Pure logic with the time passed in (monotonic ms), so tests need no sleep.
 * Not thread-safe: owned by app/kiosk under its state lock.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum app_session_state {
        APP_SESSION_IDLE = 0, /* no customer */
        APP_SESSION_ACTIVE,
        APP_SESSION_WARNING,  /* countdown running */
        _APP_SESSION_STATE_MAX,
};

enum app_session_end_reason {
        APP_SESSION_END_START_OVER = 0,
        APP_SESSION_END_TIMEOUT,
        APP_SESSION_END_ORDER_DONE,
};

typedef void (*app_session_end_fn)(enum app_session_end_reason why, void *userdata);

struct app_session {
        enum app_session_state state;
        int64_t timeout_ms, warning_ms; /* defaults 120 000 and 20 000 */
        int64_t last_activity_ms;
        uint64_t id;                    /* increments per session; 0 before the first */
        app_session_end_fn on_end;
        void *on_end_userdata;
};

void app_session_init(struct app_session *s, int64_t timeout_ms, int64_t warning_ms,
                      app_session_end_fn on_end, void *userdata);
void app_session_start(struct app_session *s, int64_t now_ms);
/* Customer touched something: back to ACTIVE (no effect when IDLE). */
void app_session_activity(struct app_session *s, int64_t now_ms);
/* Advance the clock: moves to WARNING or ends the session (calling the hook
 * with APP_SESSION_END_TIMEOUT). Returns the state after the tick; sets
 * *ret_seconds_left (may be NULL) during WARNING. */
enum app_session_state app_session_tick(struct app_session *s, int64_t now_ms,
                                        int *ret_seconds_left);
/* End now (hook called once if a session was running). */
void app_session_end(struct app_session *s, enum app_session_end_reason why);
