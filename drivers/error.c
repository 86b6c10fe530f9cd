/* drivers/ error strings (see error.h). */
#include "drivers/error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[] = {
        [0] = "ok",
        [-DRV_E_IO] = "io-error",
        [-DRV_E_NOT_FOUND] = "not-found",
        [-DRV_E_UNAVAILABLE] = "unavailable",
        [-DRV_E_PERMISSION] = "permission",
        [-DRV_E_GONE] = "gone",
        [-DRV_E_INVALID] = "invalid-argument",
        [-DRV_E_REFUSED] = "refused",
        [-DRV_E_TIMEOUT] = "timeout",
        [-DRV_E_LIMIT] = "limit",
};

const char *drv_strerror(int err)
{
        if (err > 0 || err <= _DRV_E_MIN)
                return "unknown-error";
        return names[-err];
}

int drv_fail(struct drv_errbuf *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return code;
}
