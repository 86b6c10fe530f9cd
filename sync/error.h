/* sync/ error codes: 0 or a negative enum store_error; numbers never change.
 * Detail goes into an optional caller-owned struct store_errbuf. */
#pragma once

enum store_error {
        STORE_OK = 0,
        STORE_E_IO = -1,          /* SQLite or file-system failure */
        STORE_E_NOT_FOUND = -2,   /* no such order, item, job, asset */
        STORE_E_ILLEGAL = -3,     /* transition not allowed from the current state */
        STORE_E_INVALID = -4,     /* bad argument */
        STORE_E_BUSY = -5,        /* database locked past the busy timeout */
        STORE_E_CORRUPT = -6,     /* integrity check failed / schema newer than code */
        STORE_E_CONFLICT = -7,    /* unique key already used with other data */
        STORE_E_NET = -8,         /* network error talking to central (sync client) */
        STORE_E_PROTOCOL = -9,    /* central answered something outside the contract */
        STORE_E_REJECTED = -10,   /* central refused permanently (dead letter) */
        STORE_E_RETRY = -11,      /* transient: try again later */
        _STORE_E_MIN = -12,
};

struct store_errbuf {
        char msg[256];
};

/* Stable keyword for an error code ("illegal-transition", ...). */
const char *store_strerror(int err);
/* Fill err->msg when err != NULL; returns code. */
int store_fail(struct store_errbuf *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
