/* tests/bus_testutil.h: waiting for a message on the app/bus in tests that
 * link the app library (header-only, so tests without app/ need nothing). */
#pragma once
#include <stdbool.h>

#include "app/bus.h"

/* Pop messages until one of `type` arrives (returned, owned by the caller:
 * app_msg_done it) or about timeout_ms pass; other messages are dropped. */
static inline bool pk_bus_wait_for(struct app_bus *bus, enum app_msg_type type, int timeout_ms,
                                   struct app_msg *ret)
{
        for (int waited = 0; waited < timeout_ms; waited += 50) {
                app_bus_wait(bus, 50);
                struct app_msg m;
                while (app_bus_pop(bus, &m)) {
                        if (m.type == type) {
                                *ret = m;
                                return true;
                        }
                        app_msg_done(&m);
                }
        }
        return false;
}
