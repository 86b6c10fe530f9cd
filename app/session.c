/* app/session: inactivity timeout with a warning countdown.
 *   IDLE --start--> ACTIVE --(timeout-warning idle)--> WARNING --(timeout)--> IDLE
 *                     ^------------activity-------------'
 * Every path to IDLE goes through app_session_end, which calls the hook once. */
#include "app/session.h"

#include <string.h>

void app_session_init(struct app_session *s, int64_t timeout_ms, int64_t warning_ms,
                      app_session_end_fn on_end, void *userdata)
{
        memset(s, 0, sizeof(*s));
        s->timeout_ms = timeout_ms > 0 ? timeout_ms : 120000;
        s->warning_ms = warning_ms >= 0 ? warning_ms : 20000;
        if (s->warning_ms > s->timeout_ms)
                s->warning_ms = s->timeout_ms;
        s->on_end = on_end;
        s->on_end_userdata = userdata;
}

void app_session_start(struct app_session *s, int64_t now_ms)
{
        if (s->state != APP_SESSION_IDLE)
                app_session_end(s, APP_SESSION_END_START_OVER);
        s->state = APP_SESSION_ACTIVE;
        s->last_activity_ms = now_ms;
        s->id++;
}

void app_session_activity(struct app_session *s, int64_t now_ms)
{
        if (s->state == APP_SESSION_IDLE)
                return;
        s->state = APP_SESSION_ACTIVE;
        if (now_ms > s->last_activity_ms)
                s->last_activity_ms = now_ms;
}

enum app_session_state app_session_tick(struct app_session *s, int64_t now_ms,
                                        int *ret_seconds_left)
{
        if (s->state == APP_SESSION_IDLE)
                return s->state;
        int64_t idle = now_ms - s->last_activity_ms;
        if (idle >= s->timeout_ms) {
                app_session_end(s, APP_SESSION_END_TIMEOUT);
                return s->state;
        }
        if (idle >= s->timeout_ms - s->warning_ms) {
                s->state = APP_SESSION_WARNING;
                if (ret_seconds_left)
                        *ret_seconds_left = (int)((s->timeout_ms - idle + 999) / 1000);
        }
        return s->state;
}

void app_session_end(struct app_session *s, enum app_session_end_reason why)
{
        if (s->state == APP_SESSION_IDLE)
                return;
        s->state = APP_SESSION_IDLE;
        if (s->on_end)
                s->on_end(why, s->on_end_userdata);
}
