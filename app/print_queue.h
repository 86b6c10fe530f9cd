/* app/print_queue: the print path of an order, through drivers/printer (CUPS),
 * with crash recovery.
 *
 * Invariants (../shared/DESIGN.md "Orders"):
 *   - One CUPS job per item and attempt, copies = the item's quantity, media and
 *     borderless from the item's product (image/catalogue), colour management
 *     off in the driver (the master is already in the paper's colour space).
 *   - The job row (store_job_create, state pending) is durable BEFORE CUPS is
 *     called; the job carries job-uuid urn:uuid:<job id> and name pk-<job id>.
 *     After CUPS answers, the CUPS id is stored (store_job_set_cups_id) and the
 *     job moves to submitted.
 *   - Recovery never prints a job twice: a non-final job with a CUPS id is
 *     followed; without one, CUPS is asked for its job-uuid (Get-Jobs
 *     which-jobs=all, paged) and, if found, adopted and followed; only a job
 *     CUPS has never seen is submitted, once. A job CUPS holds without its
 *     document (our process died between Create-Job and Send-Document:
 *     job-state-reasons "job-incoming") is cancelled and submitted again; it
 *     cannot have printed.
 *   - Order states: queued -> printing (before the first job row) -> printed
 *     when the latest job of every item completed; -> failed (needs staff) when
 *     a job failed, was cancelled outside the kiosk, or waits on the printer
 *     (paper out, jam, stopped queue: the mapped staff reason is the audit
 *     reason). A job waiting on the printer is NOT cancelled: clearing the
 *     fault lets it print, and a retry follows it instead of submitting again.
 *   - Retry: `print` on a failed order moves it failed -> queued -> printing
 *     and submits a new attempt only for items whose latest job failed or was
 *     cancelled.
 *   - One printing process per kiosk at a time (the kiosk's printer monitor, or
 *     the technician's `print` / `recover` with the kiosk stopped): the
 *     "job-incoming" rule above would otherwise cancel a job another live
 *     process is still sending.
 *   - A failed order whose held job later completes stays failed until staff
 *     run `print` again (failed -> queued -> printing -> printed): staff confirm
 *     that paper really came out (CUPS "completed" is not proof, DESIGN.md).
 * One struct app_print_ctx is used by one thread at a time (its store and
 * printer handles are single-threaded).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "app/order_error.h"
#include "drivers/printer.h"
#include "image/catalogue.h"
#include "sync/store.h"

#define APP_PRINT_POLL_MS 250          /* --wait polls CUPS this often */
#define APP_PRINT_WAIT_DEFAULT_S 600   /* --wait gives up after this long */
#define APP_PRINT_RECOVER_MAX 10000    /* orders reconciled per recover call */
/* --wait fails an order whose job waits on the printer (paper out, jam) after
 * the condition has lasted this long: CUPS updates queue reasons a moment after
 * the printer, so a fault staff just cleared can still be reported briefly. */
#define APP_PRINT_WAITING_GRACE_MS 3000

struct app_print_ctx {
        struct store *store;                   /* borrowed */
        struct drv_printer *printer;           /* borrowed */
        const struct img_catalogue *catalogue; /* borrowed: media + borderless per SKU */
        const char *actor;                     /* audit actor of transitions ("technician") */
        enum drv_print_colour colour;          /* DRV_COLOUR_AUTO normally */
};

/* What one pass over an order found and did. */
struct app_print_summary {
        char order_id[STORE_ID_SIZE];
        char code[STORE_CODE_SIZE];
        enum order_state state;   /* after the pass */
        int items;
        int submitted;            /* jobs sent to CUPS in this pass */
        int adopted;              /* jobs found in CUPS by job-uuid (after a crash) */
        int resubmitted_incoming; /* jobs CUPS held without a document, sent again */
        int open;                 /* jobs not yet final */
        int completed;            /* items whose latest job completed */
        int failed;               /* items whose latest job failed or was cancelled */
        int waiting;              /* jobs blocked on the printer (staff) */
        char reason[256];         /* why the order failed / waits, "" otherwise */
};

/* Submit the order's jobs on QUEUE and do one follow pass (see invariants).
 * Orders in printed/ready/collected only have their open (reprint) jobs
 * followed. Errors: APP_ORDER_E_NOT_FOUND, APP_ORDER_E_STATE (not rendered
 * yet, cancelled), APP_ORDER_E_PRINTER (CUPS unreachable: jobs stay pending and
 * `recover` or a rerun finishes them), APP_ORDER_E_STORE. */
int app_print_order(const struct app_print_ctx *ctx, const char *order_id, const char *queue,
                    struct app_print_summary *ret, struct app_order_errbuf *err);
/* One follow pass over the order's open jobs; updates job and order states. */
int app_print_poll(const struct app_print_ctx *ctx, const char *order_id,
                   struct app_print_summary *ret, struct app_order_errbuf *err);
/* Poll until the order leaves printing (printed: 0; failed: APP_ORDER_E_FAILED)
 * or timeout_ms passes (APP_ORDER_E_TIMEOUT; nothing is cancelled). Orders
 * not in printing with open reprint jobs are polled until those are final. */
int app_print_wait(const struct app_print_ctx *ctx, const char *order_id, int64_t timeout_ms,
                   struct app_print_summary *ret, struct app_order_errbuf *err);

/* Reconcile every order with a non-final job or in state printing (as the
 * kiosk does at start): follow, adopt by job-uuid, or submit once. Items of a
 * printing order that have no job yet are submitted on the queue of the
 * order's other jobs, else on DEFAULT_QUEUE (may be NULL: they are left and
 * counted in *ret_unqueued). Open jobs of cancelled orders are cancelled in
 * CUPS. CB (may be NULL) receives each order's summary. Returns 0 when every
 * order could be reconciled, else the last error (the others went on). */
int app_print_recover(const struct app_print_ctx *ctx, const char *default_queue,
                      void (*cb)(void *user, const struct app_print_summary *s), void *user,
                      int *ret_orders, int *ret_unqueued, struct app_order_errbuf *err);

/* Staff reprint of ITEM_ID (order printed, ready or collected): the store
 * writes the new pending job with its audit row and "reprinted" event, then it
 * is submitted on QUEUE (NULL: the queue of the item's last job). */
int app_print_reprint(const struct app_print_ctx *ctx, const char *order_id, const char *item_id,
                      const char *queue, const char *reason, const char *staff_actor,
                      char ret_job_id[STORE_ID_SIZE], struct app_order_errbuf *err);

/* Cancel the order (actor audited), then cancel its open jobs in CUPS and
 * mark them cancelled. A job CUPS already finished keeps its state. */
int app_print_cancel(const struct app_print_ctx *ctx, const char *order_id, const char *actor,
                     const char *reason, struct app_print_summary *ret,
                     struct app_order_errbuf *err);
