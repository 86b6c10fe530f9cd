/* app/order_error: error codes of the order flow and the print path
 * (app/orders.h, app/print_queue.h). 0 or a negative enum app_order_error;
 * numbers never change. Detail (which order, printer or file, and why) goes
 * into an optional caller-owned struct app_order_errbuf. Messages never hold
 * customer file names or photo data. */
#pragma once

enum app_order_error {
        APP_ORDER_OK = 0,
        APP_ORDER_E_INVALID = -1,     /* bad argument (usage) */
        APP_ORDER_E_REJECTED = -2,    /* a photo was refused by image/probe */
        APP_ORDER_E_NOT_FOUND = -3,   /* no such order, item, queue or product */
        APP_ORDER_E_STATE = -4,       /* not allowed in the order's current state */
        APP_ORDER_E_STORE = -5,       /* sync/store failed (I/O, busy, corrupt) */
        APP_ORDER_E_PRINTER = -6,     /* CUPS unavailable or refused the job */
        APP_ORDER_E_RENDER = -7,      /* a print master could not be made */
        APP_ORDER_E_FAILED = -8,      /* a job failed or waits for staff: order failed */
        APP_ORDER_E_TIMEOUT = -9,     /* --wait gave up before a final state */
        APP_ORDER_E_CONFIG = -10,     /* configuration, price list, catalogue unusable */
        _APP_ORDER_E_MIN = -11,
};

struct app_order_errbuf {
        char msg[256];
};

/* Stable keyword ("invalid", "rejected", ...). */
const char *app_order_strerror(int err);
/* Fill err->msg (printf-style) when err != NULL; returns code. */
int app_order_fail(struct app_order_errbuf *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Test-only crash points (always compiled, inert unless PK_TEST_CRASH_AT is set):
 * when $PK_TEST_CRASH_AT equals NAME, the Nth time this point is reached
 * ($PK_TEST_CRASH_NTH, default 1) the process raises SIGKILL, as a power cut or
 * OOM kill would. Names: "after-job-row" (pending job row durable, CUPS not yet
 * called), "after-submit" (CUPS accepted the job, its id not yet stored),
 * "after-cups-id" (id stored), "after-printing" (order moved to printing, no
 * job row yet), "after-lock" (order locked, masters not rendered). */
void app_test_crash_point(const char *name);
