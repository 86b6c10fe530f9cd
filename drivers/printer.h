/* Printers: discover CUPS queues and their state, submit photo jobs, follow them
 * to a final state, find them again by job-uuid after a crash, cancel them.
 *
 * A printer driver is a struct drv_printer_ops (function pointers) behind the
 * opaque handle struct drv_printer. Implementations:
 *   - drv_printer_cups_new()  (printer_cups.c): libcups/IPP against the cupsd
 *     named by CUPS_SERVER (or the default one);
 *   - drv_printer_fault_new() (printer_fault.c): wraps any printer and fails the
 *     Nth call of one operation, for tests.
 * Every function returns 0 or a negative enum drv_error, with detail in the
 * optional caller-owned errbuf; out-parameters (ret_*) are written only on
 * success. A handle is used by one thread at a time.
 *
 * Facts about CUPS 2.4 this interface respects (../shared/DESIGN.md "Orders"):
 * "completed" is not proof that paper came out (read impressions and sheets,
 * and let staff confirm); printer -error reasons reach the queue as -warning
 * (see printer_reasons.h); a cancelled job may still print to the end. */
#pragma once
#include "drivers/error.h"
#include "drivers/printer_reasons.h"

#include <stdbool.h>
#include <stddef.h>

/* Limits (each with its reason). Lists longer than these are cut and
 * drv_printer_status.truncated is set. */
#define DRV_PRINTER_NAME_MAX 128      /* CUPS queue names are at most 127 bytes */
#define DRV_PRINTER_TEXT_MAX 256      /* make-and-model, state message */
#define DRV_PRINTER_REASONS_MAX 16    /* a printer rarely has more than 3 at once */
#define DRV_PRINTER_MEDIA_MAX 64      /* media-supported of photo printers: < 40 */
#define DRV_PRINTER_MEDIA_READY_MAX 8 /* trays */
#define DRV_PRINTER_MEDIA_NAME_MAX 64 /* PWG self-describing names: < 50 */
#define DRV_PRINTER_MARKERS_MAX 8     /* CMYK + light inks; ribbons: 1 */
#define DRV_PRINTER_QUEUES_MAX 64     /* a kiosk has one to four printers */
#define DRV_PRINT_COPIES_MAX 99       /* matches the catalogue's quantity limit */
#define DRV_JOB_UUID_MAX 48           /* "urn:uuid:" + 36 + NUL */
#define DRV_JOB_ID_TEXT_MAX 37        /* a print job id: a UUID, 36 + NUL */
#define DRV_JOBS_PAGE_MAX 500         /* cupsd answers Get-Jobs with at most 500 */
#define DRV_JOBS_SCAN_MAX 200000      /* find_job gives up after this many jobs */
#define DRV_PRINT_FILE_MAX (512L * 1024 * 1024) /* a rendered 8x10 at 600 dpi < 200 MB */

enum drv_printer_state {
        DRV_PRINTER_UNKNOWN = 0,
        DRV_PRINTER_IDLE = 3, /* IPP printer-state values */
        DRV_PRINTER_PROCESSING = 4,
        DRV_PRINTER_STOPPED = 5,
};

struct drv_printer_marker {
        char name[DRV_PRINTER_MEDIA_NAME_MAX]; /* marker-names, "Black", "Ribbon" */
        char type[32];                         /* marker-types, "ink-cartridge", "ink-ribbon" */
        int level; /* 0..100 percent; -1 unavailable, -2 unknown, -3 some remains (IPP) */
};

struct drv_printer_status {
        char name[DRV_PRINTER_NAME_MAX];
        char make_model[DRV_PRINTER_TEXT_MAX];
        char device_uri[DRV_PRINTER_TEXT_MAX]; /* "ipp://host:631/ipp/print", "usb://..." */
        enum drv_printer_state state;
        bool accepting;
        size_t n_reasons; /* printer-state-reasons, "none" left out */
        char reasons[DRV_PRINTER_REASONS_MAX][DRV_REASON_KEYWORD_MAX];
        char message[DRV_PRINTER_TEXT_MAX]; /* printer-state-message */
        size_t n_media_supported;
        char media_supported[DRV_PRINTER_MEDIA_MAX][DRV_PRINTER_MEDIA_NAME_MAX];
        /* Media loaded. cupsd reports its configured ReadyPaperSizes for a
         * queue, not what is in the trays, so for ipp/ipps queues this comes
         * from the printer itself (media-ready and the sizes of media-col-ready,
         * as PWG names) when it answers; media_from_device says so. */
        size_t n_media_ready;
        char media_ready[DRV_PRINTER_MEDIA_READY_MAX][DRV_PRINTER_MEDIA_NAME_MAX];
        bool media_from_device;
        size_t n_markers;
        struct drv_printer_marker markers[DRV_PRINTER_MARKERS_MAX];
        bool truncated; /* some list above was longer than its limit */
};

/* How colour management is switched off for the queue's driver. */
enum drv_print_colour {
        /* Decide from the queue's make-and-model: Gutenprint PPDs name themselves
         * "... CUPS+Gutenprint ..."; everything else is treated as driverless. */
        DRV_COLOUR_AUTO = 0,
        /* IPP Everywhere / driverless: print-color-mode=color and
         * print-content-optimize=photo; our file is already in the printer's
         * colour space (image/ does the ICC conversion). */
        DRV_COLOUR_DRIVERLESS,
        /* Gutenprint PPD: additionally StpColorCorrection=Raw (no Gutenprint
         * colour correction; the file was converted with the printer's
         * profile). */
        DRV_COLOUR_GUTENPRINT_RAW,
        _DRV_COLOUR_MAX,
};

/* One photo print job. All strings are borrowed for the call. */
struct drv_print_spec {
        const char *queue;  /* CUPS queue name */
        const char *path;   /* the rendered file, opened O_CLOEXEC, <= DRV_PRINT_FILE_MAX */
        const char *mime;   /* "image/jpeg", "image/png" or "image/tiff" */
        const char *job_id; /* the print job id: a lower-case UUID (36 chars); the job
                               is named "pk-<job_id>" with job-uuid "urn:uuid:<job_id>" */
        int copies;         /* 1..DRV_PRINT_COPIES_MAX */
        const char *media;  /* PWG media name, "na_index-4x6_4x6in" (required) */
        bool borderless;    /* media-col with all media-*-margin 0 */
        enum drv_print_colour colour;
};

enum drv_job_state {
        DRV_JOB_UNKNOWN = 0,
        DRV_JOB_PENDING = 3, /* IPP job-state values */
        DRV_JOB_HELD = 4,
        DRV_JOB_PROCESSING = 5,
        DRV_JOB_STOPPED = 6,
        DRV_JOB_CANCELED = 7,
        DRV_JOB_ABORTED = 8,
        DRV_JOB_COMPLETED = 9,
};

#define DRV_JOB_REASONS_MAX 8

struct drv_job_status {
        int id; /* CUPS job id */
        enum drv_job_state state;
        size_t n_reasons;
        char reasons[DRV_JOB_REASONS_MAX][DRV_REASON_KEYWORD_MAX]; /* job-state-reasons */
        char uuid[DRV_JOB_UUID_MAX];                               /* job-uuid */
        char name[DRV_PRINTER_NAME_MAX];                           /* job-name */
        char queue[DRV_PRINTER_NAME_MAX]; /* from job-printer-uri, "" if not given */
        char message[DRV_PRINTER_TEXT_MAX]; /* job-printer-state-message */
        int copies;                         /* copies, 1 if not given */
        int impressions_completed;          /* -1 if not given */
        int media_sheets_completed;         /* -1 if not given */
};

/* What the kiosk should conclude about a job. */
enum drv_job_verdict {
        DRV_VERDICT_ACTIVE = 0, /* pending or printing; nothing wrong seen */
        DRV_VERDICT_WAITING,    /* not final, but blocked: the printer or queue
                                   needs staff (paper, jam, held job) */
        DRV_VERDICT_COMPLETED,  /* CUPS says completed (not proof of paper) */
        DRV_VERDICT_CANCELLED,  /* cancelled through CUPS (job-canceled-by-user or
                                   -operator); it may still have printed. CUPS
                                   sometimes ends a cancel of a job being sent
                                   without that reason (then FAILED,
                                   "canceled-at-printer"): a caller that
                                   cancelled the job itself knows better. */
        DRV_VERDICT_FAILED,     /* aborted; canceled without such a reason (CUPS
                                   2.4 reports a printer abort that way, reason
                                   "canceled-at-printer"); or the queue is
                                   stopped: staff. A job failed because its
                                   queue is stopped is still queued in CUPS
                                   and prints when the queue is resumed:
                                   cancel it before submitting a retry. */
        _DRV_VERDICT_MAX,
};

/* Pure: the verdict for JOB given its queue's STATUS (may be NULL). REASON
 * (optional, size DRV_REASON_KEYWORD_MAX) receives the keyword that explains a
 * WAITING or FAILED verdict ("media-empty", "job-hold-until-specified",
 * "aborted-by-system"), or "" for the others. */
enum drv_job_verdict drv_job_verdict(const struct drv_job_status *job,
                                     const struct drv_printer_status *status, char *reason);
const char *drv_job_verdict_name(enum drv_job_verdict v); /* "active", "waiting", ... */
const char *drv_job_state_name(enum drv_job_state s);     /* IPP keyword, "pending", ... */
const char *drv_printer_state_name(enum drv_printer_state s); /* "idle", "processing", "stopped" */

/* Operations an implementation provides; IMPL is its private state. */
struct drv_printer_ops {
        const char *name; /* "cups", "fault" */
        int (*list)(void *impl, struct drv_printer_status *ret, size_t max, size_t *ret_n,
                    struct drv_errbuf *err);
        int (*status)(void *impl, const char *queue, struct drv_printer_status *ret,
                      struct drv_errbuf *err);
        int (*submit)(void *impl, const struct drv_print_spec *spec, int *ret_job_id,
                      struct drv_errbuf *err);
        int (*job_status)(void *impl, int job_id, struct drv_job_status *ret,
                          struct drv_errbuf *err);
        int (*find_job)(void *impl, const char *job_uuid, size_t page_size,
                        struct drv_job_status *ret, struct drv_errbuf *err);
        int (*cancel)(void *impl, int job_id, struct drv_errbuf *err);
        void (*free)(void *impl);
};

struct drv_printer;

/* Wrap IMPL (ownership taken: ops->free(impl) runs in drv_printer_free, also
 * when this fails). DRV_E_INVALID if OPS lacks an operation. */
int drv_printer_new(const struct drv_printer_ops *ops, void *impl, struct drv_printer **ret,
                    struct drv_errbuf *err);
/* Accepts NULL; returns NULL. */
struct drv_printer *drv_printer_free(struct drv_printer *p);
const char *drv_printer_impl_name(const struct drv_printer *p);

/* CUPS: SERVER is "host:port", "/path/to/socket" or NULL (libcups default:
 * CUPS_SERVER, client.conf, localhost). Connects lazily: DRV_E_UNAVAILABLE
 * comes from the first operation if cupsd does not answer. */
int drv_printer_cups_new(const char *server, struct drv_printer **ret, struct drv_errbuf *err);

/* Every queue (instances left out), up to MAX, into RET[0..*ret_n). Per-queue
 * failures leave that queue with state UNKNOWN and the error as its message.
 * DRV_E_UNAVAILABLE if cupsd does not answer. */
int drv_printer_list(struct drv_printer *p, struct drv_printer_status *ret, size_t max,
                     size_t *ret_n, struct drv_errbuf *err);
/* One queue. DRV_E_NOT_FOUND if there is no such queue. */
int drv_printer_status(struct drv_printer *p, const char *queue, struct drv_printer_status *ret,
                       struct drv_errbuf *err);
/* Submit (Create-Job + Send-Document); *ret_job_id = the CUPS job id.
 * DRV_E_INVALID for a bad spec (checked before any I/O), DRV_E_NOT_FOUND for a
 * missing file or queue, DRV_E_REFUSED if the queue refuses jobs (not
 * accepting, unsupported attributes), DRV_E_UNAVAILABLE if cupsd is down. */
int drv_printer_submit(struct drv_printer *p, const struct drv_print_spec *spec, int *ret_job_id,
                       struct drv_errbuf *err);
/* Job status by CUPS job id; DRV_E_NOT_FOUND if CUPS does not know it. */
int drv_printer_job_status(struct drv_printer *p, int job_id, struct drv_job_status *ret,
                           struct drv_errbuf *err);
/* Find the job whose job-uuid is JOB_UUID ("urn:uuid:..."), across all queues
 * and all states (Get-Jobs which-jobs=all, paged with first-job-id and
 * PAGE_SIZE jobs per request, 1..DRV_JOBS_PAGE_MAX; 0 = the maximum). If
 * several match (should not happen) the newest wins. DRV_E_NOT_FOUND if none;
 * DRV_E_LIMIT after DRV_JOBS_SCAN_MAX jobs. */
int drv_printer_find_job(struct drv_printer *p, const char *job_uuid, size_t page_size,
                         struct drv_job_status *ret, struct drv_errbuf *err);
/* Cancel a job. DRV_E_NOT_FOUND if unknown, DRV_E_REFUSED if it is already
 * final (completed, aborted, cancelled). The printer may still print it. */
int drv_printer_cancel(struct drv_printer *p, int job_id, struct drv_errbuf *err);

/* Test double: operations that can be failed. */
enum drv_printer_op {
        DRV_PRINTER_OP_LIST = 0,
        DRV_PRINTER_OP_STATUS,
        DRV_PRINTER_OP_SUBMIT,
        DRV_PRINTER_OP_JOB_STATUS,
        DRV_PRINTER_OP_FIND_JOB,
        DRV_PRINTER_OP_CANCEL,
        _DRV_PRINTER_OP_MAX,
};

/* Wrap INNER (ownership taken, also on failure): the NTH call (1-based) of OP
 * fails with ERROR (a negative drv_error) without reaching INNER; with STICKY,
 * every call from the Nth on fails. Other calls pass through. */
int drv_printer_fault_new(struct drv_printer *inner, enum drv_printer_op op, unsigned nth,
                          int error, bool sticky, struct drv_printer **ret,
                          struct drv_errbuf *err);
/* How many times OP was called on a fault wrapper (failed calls included); 0
 * for any other printer. */
unsigned drv_printer_fault_calls(const struct drv_printer *p, enum drv_printer_op op);
