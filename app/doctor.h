/* app/doctor: the technician's health check behind `printkioskctl doctor`.
 *
 * Runs every check in a fixed order and describes each as one JSON object
 * {"check": NAME, "status": "ok"|"warn"|"fail", "message": TEXT, ...details}.
 * Checks: versions, config, store, disk, clock, printers, papers, network,
 * central, outbox. A check never stops the others; every network or printer
 * call is bounded (timeout), so doctor always finishes.
 *
 * Invariants: nothing here writes to the store or the spool (the store is
 * opened, read and closed); no secret, photo or customer data is ever put in
 * the output (the central key is only used to sign the probe request).
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>

enum app_doctor_status { APP_DOCTOR_OK = 0, APP_DOCTOR_WARN, APP_DOCTOR_FAIL };

/* Thresholds, each with its reason. */
#define APP_DOCTOR_DISK_FAIL_BYTES (256LL << 20)  /* one session's spool + masters */
#define APP_DOCTOR_DISK_WARN_BYTES (1LL << 30)     /* a busy day of prints */
#define APP_DOCTOR_CLOCK_FLOOR_S 1735689600LL      /* 2025-01-01: earlier = no RTC/NTP */
#define APP_DOCTOR_OUTBOX_STALE_MS (3600LL * 1000) /* headquarters should hear within 1 h */
#define APP_DOCTOR_CENTRAL_TIMEOUT_S 5
#define APP_DOCTOR_SKEW_WARN_S 120                 /* the API refuses large skews */

struct app_doctor_opts {
        const char *config_path; /* NULL = built-in defaults */
        const char *data_dir;    /* store + spool; NULL = the config's data_dir */
        const char *cups_server; /* NULL = libcups default (CUPS_SERVER) */
        bool skip_printers;      /* do not talk to CUPS (reported as "warn") */
};

/* Run the checks. *ret_checks: a JSON array of check objects (transfer full).
 * Returns the worst status; never fails (a check that cannot run is "fail"). */
enum app_doctor_status app_doctor_run(const struct app_doctor_opts *o, json_t **ret_checks);
const char *app_doctor_status_name(enum app_doctor_status s);
