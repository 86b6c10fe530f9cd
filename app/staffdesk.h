/* app/staffdesk: the staff and technician core behind the kiosk's staff
 * screens, driven like app/kiosk: commands in (app_staffdesk_*), events out
 * (APP_MSG_STAFFDESK on the app/bus), results read as snapshots that the
 * getters copy under the desk's lock.
 *
 * Every command only queues work and returns at once: the store (SQLite),
 * CUPS, the doctor checks and the log export run on the desk's own worker
 * thread, so the UI thread never blocks on disk, database or printers. Each
 * command returns a request id (> 0); when the worker is done it updates the
 * snapshot and posts APP_MSG_STAFFDESK with generation = that id and
 * u.desk = {op, result (0 or a negative enum app_staffdesk_error), wait_ms}.
 *
 * The order actions reuse the CLI's functions: app/orders (find), app/print_queue
 * (app_print_reprint, app_print_cancel, app_print_poll) and sync/order_state
 * (store_order_transition for printed -> ready -> collected, as `collect`).
 * Every staff action is audited by the store with actor "staff:<id>" (the id
 * the staff member typed after the PIN, app_staffdesk_begin); technician
 * actions with "technician". A reprint is followed (app_print_poll every
 * APP_PRINT_POLL_MS on the worker between commands) until its job is final,
 * so the store knows whether it printed.
 *
 * The technician PIN is a second app/staff_pin hash file, checked on the
 * worker with the same Argon2id and growing lockout; technician commands are
 * refused (APP_DESK_E_DENIED) until it was accepted.
 *
 * Threads: app_staffdesk_* are called from one thread (the UI's). `snap_lock`
 * protects the snapshot (orders, current order, printers, tech status, last
 * message) and the signed-in flags; `cmd_lock` protects the command queue.
 * Everything else (store, printer, PIN state) belongs to the worker.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/bus.h"

struct app_staffdesk;

enum app_staffdesk_error {
        APP_DESK_OK = 0,
        APP_DESK_E_INVALID = -1,     /* bad argument (code, reason, item) */
        APP_DESK_E_UNAVAILABLE = -2, /* no data folder / printer queue configured */
        APP_DESK_E_BUSY = -3,        /* command queue full: try again */
        APP_DESK_E_DENIED = -4,      /* not signed in (staff id / technician PIN) */
        APP_DESK_E_NOT_FOUND = -5,   /* no such order, item or queue */
        APP_DESK_E_STATE = -6,       /* not allowed in the order's state */
        APP_DESK_E_FAILED = -7,      /* store, printer or export failed: see message */
        APP_DESK_E_WRONG_PIN = -8,   /* technician PIN wrong or locked (wait_ms) */
        APP_DESK_E_NOMEM = -9,
        _APP_DESK_E_MIN = -10,
};
/* Stable keyword ("denied", ...): the UI translates by keyword. */
const char *app_staffdesk_strerror(int err);

enum app_staffdesk_op {
        APP_DESK_OP_REFRESH = 1,  /* today's orders + pickups, the printer */
        APP_DESK_OP_SEARCH,       /* one order by pickup code, opened */
        APP_DESK_OP_OPEN,         /* one order's items and jobs */
        APP_DESK_OP_REPRINT,
        APP_DESK_OP_COLLECT,
        APP_DESK_OP_CANCEL,
        APP_DESK_OP_FOLLOWED,     /* a reprint's job reached a final state */
        APP_DESK_OP_TECH_PIN,
        APP_DESK_OP_TECH_REFRESH, /* printers + papers, sync, doctor, disk, version */
        APP_DESK_OP_TEST_PRINT,
        APP_DESK_OP_EXPORT,
        _APP_DESK_OP_MAX,
};

#define APP_DESK_MAX_ORDERS 48     /* a screenful or two of today's orders */
#define APP_DESK_MAX_ITEMS 12      /* items shown for one order */
#define APP_DESK_MAX_PRINTERS 4    /* a kiosk has one to four printers */
#define APP_DESK_MAX_MARKERS 8
#define APP_DESK_MAX_PAPERS 4
#define APP_DESK_MAX_CHECKS 12     /* doctor checks shown */
#define APP_DESK_MAX_TARGETS 6     /* export folders (USB sticks) offered */
#define APP_DESK_QUEUE 16          /* queued commands; more is a stuck worker */
#define APP_DESK_FOLLOW_MAX 8      /* reprint orders followed at once */
#define APP_DESK_FOLLOW_TIMEOUT_MS (10 * 60 * 1000)
#define APP_DESK_REASON_MAX 120    /* reprint / cancel reason */
#define APP_DESK_STAFF_ID_MAX 8    /* digits typed after the PIN */
/* Staff or technician mode left open ends by itself after this long without a
 * touch: an unattended signed-in desk would let a customer reprint or cancel. */
#define APP_DESK_IDLE_TIMEOUT_MS (120 * 1000)
#define APP_DESK_IDLE_TIMEOUT_MIN_MS (5 * 1000)

struct app_staffdesk_config {
        const char *data_dir;      /* store + spool; NULL: every command is UNAVAILABLE */
        const char *config_path;   /* printkiosk.conf; NULL: defaults */
        const char *printer_queue; /* reprints and test prints; NULL: the configured one */
        const char *tech_pin_path; /* technician Argon2id hash file; NULL: no technician */
        const char *export_root;   /* folder whose sub-folders are USB sticks (/media/usb);
                                      NULL: "/media" */
        const char *journalctl;    /* for the log export; NULL: "journalctl" from PATH */
        int64_t idle_timeout_ms;   /* staff mode inactivity; <= 0: APP_DESK_IDLE_TIMEOUT_MS,
                                      else at least APP_DESK_IDLE_TIMEOUT_MIN_MS */
};

struct app_staffdesk *app_staffdesk_new(const struct app_staffdesk_config *cfg,
                                        struct app_bus *bus, char *errbuf, size_t errlen);
/* Stops and joins the worker (a running CUPS or export call finishes first),
 * frees everything. NULL-safe; returns NULL. */
struct app_staffdesk *app_staffdesk_free(struct app_staffdesk *d);

/* --- sign in / out (no I/O: called on the UI thread) ------------------------ */
/* Start staff mode for staff member `staff_id` (1..APP_DESK_STAFF_ID_MAX
 * digits), after the staff PIN was accepted. APP_DESK_E_INVALID otherwise. */
int app_staffdesk_begin(struct app_staffdesk *d, const char *staff_id);
/* Leave staff and technician mode; clears the snapshot. Idempotent. */
void app_staffdesk_end(struct app_staffdesk *d);
bool app_staffdesk_signed_in(struct app_staffdesk *d);
bool app_staffdesk_technician(struct app_staffdesk *d);
/* Staff touched the screen at now_ms (a monotonic clock, app_kiosk_now_ms). */
void app_staffdesk_activity(struct app_staffdesk *d, int64_t now_ms);
/* Ends staff and technician mode when nobody touched the screen for the idle
 * timeout (since the sign-in or the last activity) and returns true once for
 * that end; false otherwise. Every staff session's start and end (signed out,
 * inactivity) is written to the log as an audit line with its actor. */
bool app_staffdesk_idle_check(struct app_staffdesk *d, int64_t now_ms);
/* The idle timeout in force (ms). */
int64_t app_staffdesk_idle_timeout_ms(struct app_staffdesk *d);

/* --- commands: each returns a request id (> 0) or a negative error ---------- */
int64_t app_staffdesk_refresh(struct app_staffdesk *d);
int64_t app_staffdesk_search(struct app_staffdesk *d, const char *code);
int64_t app_staffdesk_open(struct app_staffdesk *d, const char *order_id);
/* item: 0-based index in the open order; reason: 1..APP_DESK_REASON_MAX bytes. */
int64_t app_staffdesk_reprint(struct app_staffdesk *d, const char *order_id, int item,
                              const char *reason);
int64_t app_staffdesk_collect(struct app_staffdesk *d, const char *order_id);
int64_t app_staffdesk_cancel(struct app_staffdesk *d, const char *order_id, const char *reason);
/* Technician. */
int64_t app_staffdesk_tech_pin_submit(struct app_staffdesk *d, const char *pin);
int64_t app_staffdesk_tech_refresh(struct app_staffdesk *d);
/* A colour target rendered through the paper profile of `paper` (image/render,
 * the same path as a customer's master) on PRINT-6X4, sent to `queue` (NULL:
 * the desk's queue) as job pk-<uuid>. Nothing is written to the store. */
int64_t app_staffdesk_test_print(struct app_staffdesk *d, const char *queue, const char *paper);
/* app/export_logs into <target>/printkiosk-logs-<UTC time>; target is one of
 * the folders app_staffdesk_tech() lists (index). */
int64_t app_staffdesk_export_logs(struct app_staffdesk *d, int target);

/* --- snapshots (copied under snap_lock; never block on I/O) ----------------- */
struct app_staffdesk_order {
        char id[40];
        char code[8];            /* pickup code "K7Q-4RM" */
        char state[16];          /* order state name */
        bool remote;             /* placed on the phone app */
        int n_items;
        int64_t total_minor;
        char currency[4];
        int64_t created_at;      /* ms since the epoch */
};
int app_staffdesk_orders(struct app_staffdesk *d, struct app_staffdesk_order *ret, int max);

struct app_staffdesk_item {
        char sku[32], paper[32];
        int quantity;
        int jobs;                /* print jobs of this item (first + reprints) */
        char last_job[16];       /* state of the latest job, "" when none */
};
struct app_staffdesk_detail {
        bool valid;              /* an order is open */
        struct app_staffdesk_order order;
        int n_items;
        struct app_staffdesk_item items[APP_DESK_MAX_ITEMS];
        int audit_rows;
        char reason[128];        /* why it failed / was cancelled, "" otherwise */
        bool can_reprint, can_collect, can_cancel;
};
void app_staffdesk_detail(struct app_staffdesk *d, struct app_staffdesk_detail *ret);

struct app_staffdesk_printer {
        char queue[128];
        char model[128];
        char state[16];          /* idle, processing, stopped, unknown, unreachable */
        bool accepting;
        char reasons[160];       /* printer-state-reasons, comma separated, "" = none */
        char media[160];         /* media loaded (or supported), comma separated */
        int n_markers;
        struct { char name[32]; int level; } markers[APP_DESK_MAX_MARKERS]; /* level as IPP */
        int n_papers;            /* technician: papers and their profiles */
        struct { char paper[32]; char profile[64]; char intent[16]; } papers[APP_DESK_MAX_PAPERS];
};
int app_staffdesk_printers(struct app_staffdesk *d, struct app_staffdesk_printer *ret, int max);

struct app_staffdesk_tech {
        bool valid;
        char version[32];
        int64_t disk_free_bytes, disk_total_bytes;
        bool sync_configured;    /* a central URL is set */
        int64_t outbox_pending, outbox_dead, outbox_sent;
        int64_t oldest_pending_at; /* ms, 0 = none */
        int64_t last_success_at;   /* ms, 0 = never */
        int n_checks;
        struct { char check[16]; char status[8]; char message[120]; } checks[APP_DESK_MAX_CHECKS];
        int n_targets;
        char targets[APP_DESK_MAX_TARGETS][64]; /* export folder names under export_root */
        char last_export[256];   /* folder written by the last export, "" = none */
        char last_test_job[40];  /* job id (pk-<id>) of the last test print */
};
void app_staffdesk_tech(struct app_staffdesk *d, struct app_staffdesk_tech *ret);

/* Detail of the last command's result (English, for staff; no customer data). */
void app_staffdesk_message(struct app_staffdesk *d, char *ret, size_t len);
/* True while commands are queued or running (tests wait on this). */
bool app_staffdesk_busy(struct app_staffdesk *d);
