/* app/order_error: keywords and detail for enum app_order_error, and the
 * test-only SIGKILL crash points (see order_error.h). The crash hook reads the
 * environment only; with PK_TEST_CRASH_AT unset it does nothing. */
#include "app/order_error.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *app_order_strerror(int err)
{
        switch (err) {
        case APP_ORDER_OK: return "ok";
        case APP_ORDER_E_INVALID: return "invalid";
        case APP_ORDER_E_REJECTED: return "rejected";
        case APP_ORDER_E_NOT_FOUND: return "not-found";
        case APP_ORDER_E_STATE: return "illegal-state";
        case APP_ORDER_E_STORE: return "store";
        case APP_ORDER_E_PRINTER: return "printer";
        case APP_ORDER_E_RENDER: return "render";
        case APP_ORDER_E_FAILED: return "failed";
        case APP_ORDER_E_TIMEOUT: return "timeout";
        case APP_ORDER_E_CONFIG: return "config";
        default: return "unknown";
        }
}

int app_order_fail(struct app_order_errbuf *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof err->msg, fmt, ap);
                va_end(ap);
        }
        return code;
}

void app_test_crash_point(const char *name)
{
        static unsigned hits;
        const char *at = getenv("PK_TEST_CRASH_AT");
        if (!at || !name || strcmp(at, name) != 0)
                return;
        unsigned nth = 1;
        const char *n = getenv("PK_TEST_CRASH_NTH");
        if (n && *n) {
                char *end = NULL;
                unsigned long v = strtoul(n, &end, 10);
                if (end && *end == '\0' && v >= 1 && v <= 100000)
                        nth = (unsigned)v;
        }
        if (++hits < nth)
                return;
        fflush(NULL);
        raise(SIGKILL);
        _exit(137); /* not reached */
}
