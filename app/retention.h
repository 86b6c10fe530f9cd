/* app/retention: what customer data the kiosk holds, and the retention purge.
 *
 * Customers' photos and print masters of FINISHED orders (collected or
 * cancelled) are deleted from the spool once the order has been finished for
 * longer than the configured number of days; the asset rows stay (wiped_at set)
 * and each purged order gets one audit row, so the audit trail says who removed
 * what and when. `printkioskctl privacy purge` (run daily by
 * printkiosk-retention.timer) calls app_retention_purge(); `privacy report`
 * calls app_retention_report().
 *
 * Invariants:
 *   - A file is deleted only if EVERY order that refers to it (as photo or
 *     master) is finished and older than the cut-off: photos are shared by
 *     content hash between orders, so an active order never loses its photo.
 *   - The file is unlinked (and its folder fsynced) BEFORE the store marks it
 *     wiped: a crash in between leaves a row that the next run completes
 *     (a missing file counts as already gone), never a photo the store claims
 *     to have deleted.
 *   - Only paths inside DATA_DIR are ever unlinked; anything else is refused.
 *   - Re-running is harmless: assets already wiped are skipped, and an order
 *     with nothing left to purge gets no new audit row.
 * Errors are 0 or a negative enum store_error with detail in err.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "sync/error.h"

struct store;

#define APP_RETENTION_MAX_ORDERS 10000 /* store_order_list's own ceiling per call */
#define APP_RETENTION_MAX_DAYS 3650

struct app_retention_result {
        int64_t cutoff_ms;        /* orders finished before this are purged */
        int64_t orders_examined;  /* finished orders older than the cut-off */
        int64_t orders_purged;    /* orders that had at least one file removed */
        int64_t photos_purged;
        int64_t masters_purged;
        int64_t files_missing;    /* marked wiped although the file was already gone */
        int64_t bytes_freed;
        int64_t kept_shared;      /* files kept because an unfinished/newer order uses them */
};

/* Purge as described above. days 0..APP_RETENTION_MAX_DAYS (0 = everything
 * finished before now_ms). dry_run: count only, change nothing. data_dir is the
 * folder that holds the store and the spool. */
int app_retention_purge(struct store *s, const char *data_dir, int days, int64_t now_ms,
                        bool dry_run, struct app_retention_result *ret, struct store_errbuf *err);

/* What is held, for `privacy report`. Times are Unix ms, 0 = none. */
struct app_retention_holdings {
        int64_t photos_held, masters_held;     /* assets whose file is still present */
        int64_t bytes_held;
        int64_t oldest_held_at;                /* created_at of the oldest held asset */
        int64_t photos_wiped, masters_wiped;   /* rows kept for the audit, file gone */
        int64_t orders_total;
        int64_t orders_finished;               /* collected or cancelled */
        int64_t oldest_order_at;
        int64_t due_for_purge;                 /* held files the purge would remove now */
        int64_t spool_files, spool_bytes;      /* what is on disk in DATA_DIR/spool */
        int64_t spool_unreferenced;            /* spool files no order refers to */
        int64_t oldest_spool_mtime;            /* Unix ms */
};
int app_retention_report(struct store *s, const char *data_dir, int days, int64_t now_ms,
                         struct app_retention_holdings *ret, struct store_errbuf *err);
