/* sync/ error strings (see error.h). */
#include "sync/error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[] = {
        [0] = "ok",
        [-STORE_E_IO] = "io-error",
        [-STORE_E_NOT_FOUND] = "not-found",
        [-STORE_E_ILLEGAL] = "illegal-transition",
        [-STORE_E_INVALID] = "invalid-argument",
        [-STORE_E_BUSY] = "busy",
        [-STORE_E_CORRUPT] = "corrupt",
        [-STORE_E_CONFLICT] = "conflict",
        [-STORE_E_NET] = "network-error",
        [-STORE_E_PROTOCOL] = "protocol-error",
        [-STORE_E_REJECTED] = "rejected",
        [-STORE_E_RETRY] = "retry-later",
};

const char *store_strerror(int err)
{
        if (err > 0 || err <= _STORE_E_MIN)
                return "unknown-error";
        return names[-err];
}

int store_fail(struct store_errbuf *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return code;
}
