/* app/print_queue: submit an order's print jobs through drivers/printer,
 * follow them to a final state, and reconcile them after a crash.
 *
 * Invariants: see print_queue.h. In short, the order of durable steps is
 *   order queued -> printing | job row pending | CUPS Create-Job+Send-Document
 *   | CUPS id stored, job submitted | ... job final | order printed / failed
 * and every step can be the last one before a crash: each function here starts
 * from what the store says and asks CUPS (by CUPS id, else by job-uuid) before
 * it submits anything, so a rerun finishes the work without a second print.
 */
#include "app/print_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/order_state.h"
#include "sync/outbox.h"

/* ---- small helpers -------------------------------------------------------------- */

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int store_err(struct app_order_errbuf *err, const char *what, int rc,
                     const struct store_errbuf *se)
{
        return app_order_fail(err, APP_ORDER_E_STORE, "%s: %s: %s", what, store_strerror(rc),
                              se->msg);
}

static int load_order(const struct app_print_ctx *ctx, const char *order_id,
                      struct store_order **ret, struct app_order_errbuf *err)
{
        struct store_errbuf se = {{0}};
        int rc = store_order_get(ctx->store, order_id, ret, &se);
        if (rc == STORE_E_NOT_FOUND)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no order %s", order_id);
        if (rc < 0)
                return store_err(err, "reading order", rc, &se);
        return 0;
}

static const struct store_item *find_item(const struct store_order *o, const char *item_id)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (strcmp(o->items[i].id, item_id) == 0)
                        return &o->items[i];
        return NULL;
}

/* Move the order to TO unless it is there already; "illegal" is reported. */
static int transition(const struct app_print_ctx *ctx, const char *order_id, enum order_state to,
                      const char *reason, struct app_order_errbuf *err)
{
        struct store_errbuf se = {{0}};
        int rc = store_order_transition(ctx->store, order_id, to, ctx->actor, reason, &se);
        if (rc == STORE_E_ILLEGAL)
                return app_order_fail(err, APP_ORDER_E_STATE, "order %s: %s", order_id, se.msg);
        if (rc < 0)
                return store_err(err, "order transition", rc, &se);
        return 0;
}

/* ---- one job -------------------------------------------------------------------- */

/* What following one job concluded. */
struct job_view {
        enum store_job_state state; /* after the update */
        bool waiting;               /* blocked on the printer: staff */
        char reason[256];
};

static void job_uuid(const char *job_id, char out[DRV_JOB_UUID_MAX])
{
        snprintf(out, DRV_JOB_UUID_MAX, "urn:uuid:%s", job_id);
}

static void staff_reason(const char *keyword, const char *media, char *out, size_t outsz)
{
        struct drv_reason_info info;
        if (keyword && *keyword && drv_reason_map(keyword, media, &info) == 0)
                snprintf(out, outsz, "printer: %s: %s", info.keyword, info.staff);
        else
                snprintf(out, outsz, "printer: %s", keyword && *keyword ? keyword : "unknown");
}

static int set_job_state(const struct app_print_ctx *ctx, struct store_job *j,
                         enum store_job_state to, const char *reason,
                         struct app_order_errbuf *err)
{
        if (j->state == to)
                return 0;
        struct store_errbuf se = {{0}};
        int rc = store_job_set_state(ctx->store, j->id, to, reason, &se);
        if (rc < 0)
                return store_err(err, "job state", rc, &se);
        j->state = to;
        if (reason)
                snprintf(j->reason, sizeof j->reason, "%.*s", (int)sizeof j->reason - 1, reason);
        return 0;
}

/* The master to print for an item, and its type. */
static int master_of(const struct app_print_ctx *ctx, const struct store_item *it, char *path,
                     size_t pathsz, char *mime, size_t mimesz, struct app_order_errbuf *err)
{
        if (!it->master_sha256[0])
                return app_order_fail(err, APP_ORDER_E_STATE, "item %s has no print master",
                                      it->id);
        struct store_asset a;
        struct store_errbuf se = {{0}};
        int rc = store_asset_get(ctx->store, it->master_sha256, &a, &se);
        if (rc < 0)
                return store_err(err, "master asset", rc, &se);
        if (a.wiped_at)
                return app_order_fail(err, APP_ORDER_E_STATE, "item %s: master was wiped",
                                      it->id);
        snprintf(path, pathsz, "%s", a.path[0] ? a.path : it->master_path);
        snprintf(mime, mimesz, "%s", a.content_type[0] ? a.content_type : "image/jpeg");
        return 0;
}

/* Send job J (pending, CUPS never saw it) to CUPS once. */
static int submit_job(const struct app_print_ctx *ctx, struct store_job *j,
                      const struct store_item *it, struct app_print_summary *sum,
                      struct app_order_errbuf *err)
{
        const struct img_product *prod = img_catalogue_find(ctx->catalogue, it->sku);
        if (!prod)
                return set_job_state(ctx, j, STORE_JOB_FAILED, "unknown product", err) ?:
                       app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no product %s", it->sku);
        char path[512], mime[64];
        int rc = master_of(ctx, it, path, sizeof path, mime, sizeof mime, err);
        if (rc < 0)
                return rc;
        struct drv_print_spec spec = {
                .queue = j->queue,
                .path = path,
                .mime = mime,
                .job_id = j->id,
                .copies = j->copies,
                .media = prod->media,
                .borderless = prod->borderless,
                .colour = ctx->colour,
        };
        int cups_id = 0;
        struct drv_errbuf de = {{0}};
        rc = drv_printer_submit(ctx->printer, &spec, &cups_id, &de);
        if (rc == DRV_E_UNAVAILABLE || rc == DRV_E_IO || rc == DRV_E_TIMEOUT)
                /* CUPS may or may not have the job: leave it pending, a rerun asks
                 * CUPS for its job-uuid before submitting again. */
                return app_order_fail(err, APP_ORDER_E_PRINTER, "queue %s: %s: %s", j->queue,
                                      drv_strerror(rc), de.msg);
        if (rc < 0) {
                /* Refused before printing (bad spec, no queue, not accepting). */
                char why[512];
                snprintf(why, sizeof why, "submit refused: %s: %s", drv_strerror(rc), de.msg);
                return set_job_state(ctx, j, STORE_JOB_FAILED, why, err);
        }
        app_test_crash_point("after-submit");
        struct store_errbuf se = {{0}};
        rc = store_job_set_cups_id(ctx->store, j->id, cups_id, &se);
        if (rc < 0)
                return store_err(err, "storing CUPS job id", rc, &se);
        j->cups_job_id = cups_id;
        rc = set_job_state(ctx, j, STORE_JOB_SUBMITTED, NULL, err);
        if (rc < 0)
                return rc;
        app_test_crash_point("after-cups-id");
        sum->submitted++;
        return 0;
}

/* Bring job J up to date with CUPS (submitting it if CUPS never saw it). */
static int follow_job(const struct app_print_ctx *ctx, struct store_job *j,
                      const struct store_item *it, struct app_print_summary *sum,
                      struct job_view *v, struct app_order_errbuf *err)
{
        memset(v, 0, sizeof *v);
        v->state = j->state;
        if (store_job_state_is_final(j->state)) {
                snprintf(v->reason, sizeof v->reason, "%s", j->reason);
                return 0;
        }
        const struct img_product *prod = it ? img_catalogue_find(ctx->catalogue, it->sku) : NULL;
        const char *media = prod ? prod->media : NULL;
        char uuid[DRV_JOB_UUID_MAX];
        job_uuid(j->id, uuid);
        struct drv_job_status js;
        struct drv_errbuf de = {{0}};
        struct store_errbuf se = {{0}};
        int rc;

        if (j->cups_job_id > 0) {
                rc = drv_printer_job_status(ctx->printer, j->cups_job_id, &js, &de);
                if (rc == DRV_E_NOT_FOUND)
                        rc = drv_printer_find_job(ctx->printer, uuid, 0, &js, &de);
                if (rc == DRV_E_NOT_FOUND) {
                        /* CUPS accepted it once but forgot it (history purged):
                         * nobody can say whether it printed. Staff decide. */
                        rc = set_job_state(ctx, j, STORE_JOB_FAILED,
                                           "CUPS no longer knows this job", err);
                        v->state = j->state;
                        snprintf(v->reason, sizeof v->reason, "CUPS no longer knows job %d",
                                 j->cups_job_id);
                        return rc;
                }
        } else {
                rc = drv_printer_find_job(ctx->printer, uuid, 0, &js, &de);
                if (rc == DRV_E_NOT_FOUND) {
                        if (j->state != STORE_JOB_PENDING) {
                                rc = set_job_state(ctx, j, STORE_JOB_FAILED,
                                                   "job lost: no CUPS id and unknown to CUPS",
                                                   err);
                                v->state = j->state;
                                return rc;
                        }
                        if (!it)
                                return app_order_fail(err, APP_ORDER_E_NOT_FOUND,
                                                      "job %s: item not in order", j->id);
                        rc = submit_job(ctx, j, it, sum, err);
                        v->state = j->state;
                        if (rc == 0 && j->state == STORE_JOB_FAILED)
                                snprintf(v->reason, sizeof v->reason, "submit refused");
                        return rc;
                }
                if (rc == 0) {
                        /* CUPS has it: our process died after Create-Job. Adopt. */
                        rc = store_job_set_cups_id(ctx->store, j->id, js.id, &se);
                        if (rc < 0)
                                return store_err(err, "adopting CUPS job", rc, &se);
                        j->cups_job_id = js.id;
                        sum->adopted++;
                        bool incoming = false;
                        for (size_t r = 0; r < js.n_reasons; r++)
                                if (strcmp(js.reasons[r], "job-incoming") == 0)
                                        incoming = true;
                        if (incoming && (js.state == DRV_JOB_PENDING ||
                                         js.state == DRV_JOB_HELD)) {
                                /* Created but its document never arrived: it cannot
                                 * print. Cancel it and send the job again, once. */
                                drv_printer_cancel(ctx->printer, js.id, NULL);
                                sum->resubmitted_incoming++;
                                if (!it)
                                        return app_order_fail(err, APP_ORDER_E_NOT_FOUND,
                                                              "job %s: item not in order",
                                                              j->id);
                                rc = submit_job(ctx, j, it, sum, err);
                                v->state = j->state;
                                return rc;
                        }
                        rc = set_job_state(ctx, j, STORE_JOB_SUBMITTED, NULL, err);
                        if (rc < 0)
                                return rc;
                }
        }
        if (rc < 0)
                return app_order_fail(err, APP_ORDER_E_PRINTER, "job %d on %s: %s: %s",
                                      j->cups_job_id, j->queue, drv_strerror(rc), de.msg);

        struct drv_printer_status st;
        bool have_status = drv_printer_status(ctx->printer, j->queue, &st, NULL) == 0;
        char keyword[DRV_REASON_KEYWORD_MAX] = "";
        enum drv_job_verdict verdict = drv_job_verdict(&js, have_status ? &st : NULL, keyword);
        /* "Failed" because the queue is stopped while CUPS still holds the job:
         * enabling the queue prints it, so it must stay open (waiting for
         * staff), never be replaced by a second attempt. */
        if (verdict == DRV_VERDICT_FAILED && js.state != DRV_JOB_ABORTED &&
            js.state != DRV_JOB_CANCELED && js.state != DRV_JOB_COMPLETED)
                verdict = DRV_VERDICT_WAITING;
        switch (verdict) {
        case DRV_VERDICT_ACTIVE:
                if (js.state == DRV_JOB_PROCESSING)
                        rc = set_job_state(ctx, j, STORE_JOB_PROCESSING, NULL, err);
                break;
        case DRV_VERDICT_WAITING:
                v->waiting = true;
                staff_reason(keyword, media, v->reason, sizeof v->reason);
                if (js.state == DRV_JOB_PROCESSING)
                        rc = set_job_state(ctx, j, STORE_JOB_PROCESSING, NULL, err);
                break;
        case DRV_VERDICT_COMPLETED:
                rc = set_job_state(ctx, j, STORE_JOB_COMPLETED, NULL, err);
                break;
        case DRV_VERDICT_CANCELLED:
                snprintf(v->reason, sizeof v->reason, "job cancelled%s%.200s",
                         js.message[0] ? ": " : " in CUPS", js.message);
                rc = set_job_state(ctx, j, STORE_JOB_CANCELLED, v->reason, err);
                break;
        case DRV_VERDICT_FAILED:
        default:
                staff_reason(keyword[0] ? keyword : "job-aborted", media, v->reason,
                             sizeof v->reason);
                rc = set_job_state(ctx, j, STORE_JOB_FAILED, v->reason, err);
                break;
        }
        v->state = j->state;
        return rc;
}

/* Create a pending job row for IT on QUEUE and submit it. */
static int new_job(const struct app_print_ctx *ctx, const struct store_order *o,
                   const struct store_item *it, const char *queue,
                   struct app_print_summary *sum, struct job_view *v,
                   struct app_order_errbuf *err)
{
        char job_id[STORE_ID_SIZE];
        struct store_errbuf se = {{0}};
        int rc = store_job_create(ctx->store, it->id, queue, it->quantity, job_id, &se);
        if (rc < 0)
                return store_err(err, "creating job row", rc, &se);
        app_test_crash_point("after-job-row");
        struct store_job j;
        rc = store_job_get(ctx->store, job_id, &j, &se);
        if (rc < 0)
                return store_err(err, "reading job row", rc, &se);
        (void)o;
        memset(v, 0, sizeof *v);
        rc = submit_job(ctx, &j, it, sum, err);
        v->state = j.state;
        if (j.state == STORE_JOB_FAILED)
                snprintf(v->reason, sizeof v->reason, "%s", "submit refused by CUPS");
        return rc;
}

/* ---- one order ------------------------------------------------------------------ */

enum submit_mode {
        SUBMIT_NONE = 0,    /* follow only */
        SUBMIT_MISSING,     /* items without any job */
        SUBMIT_RETRY,       /* items without a job or whose latest job failed */
};

/* One pass: follow every open job of the order, submit per MODE, then decide
 * the order's state (only while it is printing). */
static int order_pass(const struct app_print_ctx *ctx, const char *order_id, const char *queue,
                      enum submit_mode mode, bool fail_on_waiting,
                      struct app_print_summary *sum, struct app_order_errbuf *err)
{
        struct store_order *o = NULL;
        struct store_job *jobs = NULL;
        size_t n_jobs = 0;
        struct store_errbuf se = {{0}};
        struct app_order_errbuf e1 = {{0}};
        int first_err = 0;
        bool any_failed = false, any_waiting = false, all_done = false;
        char reason[256] = "";
        enum order_state st;
        int rc = load_order(ctx, order_id, &o, err);
        if (rc < 0)
                return rc;
        rc = store_job_list(ctx->store, order_id, false, &jobs, &n_jobs, &se);
        if (rc < 0) {
                rc = store_err(err, "listing jobs", rc, &se);
                goto out;
        }
        /* Counters of submissions survive from the caller's earlier passes. */
        {
                int keep = sum->submitted, keep_ad = sum->adopted;
                int keep_inc = sum->resubmitted_incoming;
                memset(sum, 0, sizeof *sum);
                sum->submitted = keep, sum->adopted = keep_ad;
                sum->resubmitted_incoming = keep_inc;
        }
        snprintf(sum->order_id, sizeof sum->order_id, "%s", o->id);
        snprintf(sum->code, sizeof sum->code, "%s", o->code);
        sum->items = (int)o->n_items;
        all_done = o->n_items > 0;
        for (size_t i = 0; i < o->n_items; i++) {
                const struct store_item *it = &o->items[i];
                /* The item's latest job decides; older attempts are history. */
                struct store_job *latest = NULL;
                for (size_t k = 0; k < n_jobs; k++) {
                        if (strcmp(jobs[k].item_id, it->id) != 0)
                                continue;
                        struct job_view v;
                        /* Follow every open job (an older attempt still queued
                         * in CUPS must still be tracked), latest attempt wins. */
                        if (!store_job_state_is_final(jobs[k].state)) {
                                int r = follow_job(ctx, &jobs[k], it, sum, &v, &e1);
                                if (r < 0 && !first_err) {
                                        first_err = r;
                                        if (err)
                                                *err = e1;
                                }
                                if (v.waiting) {
                                        any_waiting = true;
                                        sum->waiting++;
                                        if (!reason[0])
                                                snprintf(reason, sizeof reason, "%s", v.reason);
                                }
                        }
                        if (!latest || jobs[k].attempt > latest->attempt)
                                latest = &jobs[k];
                }
                bool need_new = !latest ||
                                (mode == SUBMIT_RETRY && (latest->state == STORE_JOB_FAILED ||
                                                          latest->state == STORE_JOB_CANCELLED));
                if (need_new && mode != SUBMIT_NONE && queue && queue[0]) {
                        struct job_view v;
                        int r = new_job(ctx, o, it, queue, sum, &v, &e1);
                        if (r < 0) {
                                if (!first_err) {
                                        first_err = r;
                                        if (err)
                                                *err = e1;
                                }
                                all_done = false;
                                continue;
                        }
                        if (v.state == STORE_JOB_FAILED) {
                                any_failed = true;
                                sum->failed++;
                                all_done = false;
                                if (!reason[0])
                                        snprintf(reason, sizeof reason, "%s", v.reason);
                        } else {
                                sum->open++;
                                all_done = false;
                        }
                        continue;
                }
                if (!latest) {
                        all_done = false;
                        continue;
                }
                switch (latest->state) {
                case STORE_JOB_COMPLETED:
                        sum->completed++;
                        break;
                case STORE_JOB_FAILED:
                case STORE_JOB_CANCELLED:
                        any_failed = true;
                        sum->failed++;
                        all_done = false;
                        if (!reason[0])
                                snprintf(reason, sizeof reason, "%s",
                                         latest->reason[0] ? latest->reason : "job failed");
                        break;
                default:
                        sum->open++;
                        all_done = false;
                        break;
                }
        }

        st = o->state;
        if (st == ORDER_PRINTING) {
                if (all_done) {
                        rc = transition(ctx, order_id, ORDER_PRINTED, "all jobs completed", err);
                        if (rc == 0)
                                st = ORDER_PRINTED;
                } else if (any_failed || (any_waiting && fail_on_waiting)) {
                        rc = transition(ctx, order_id, ORDER_FAILED, reason, err);
                        if (rc == 0)
                                st = ORDER_FAILED;
                }
                if (rc < 0)
                        goto out;
        }
        sum->state = st;
        snprintf(sum->reason, sizeof sum->reason, "%s", reason);
        rc = first_err;
out:
        free(jobs);
        store_order_free(o);
        return rc;
}

int app_print_poll(const struct app_print_ctx *ctx, const char *order_id,
                   struct app_print_summary *ret, struct app_order_errbuf *err)
{
        struct app_print_summary sum = {.items = 0};
        int rc = order_pass(ctx, order_id, NULL, SUBMIT_NONE, true, &sum, err);
        if (ret)
                *ret = sum;
        return rc;
}

int app_print_order(const struct app_print_ctx *ctx, const char *order_id, const char *queue,
                    struct app_print_summary *ret, struct app_order_errbuf *err)
{
        if (!ctx || !order_id || !queue || !queue[0] || strlen(queue) >= DRV_PRINTER_NAME_MAX)
                return app_order_fail(err, APP_ORDER_E_INVALID, "order and queue required");
        struct store_order *o = NULL;
        int rc = load_order(ctx, order_id, &o, err);
        if (rc < 0)
                return rc;
        enum order_state st = o->state;
        for (size_t i = 0; i < o->n_items; i++)
                if (!o->items[i].master_sha256[0] &&
                    (st == ORDER_QUEUED || st == ORDER_RECEIVED || st == ORDER_FAILED)) {
                        store_order_free(o);
                        return app_order_fail(err, APP_ORDER_E_STATE,
                                              "order %s: item %zu has no print master",
                                              order_id, i + 1);
                }
        store_order_free(o);

        enum submit_mode mode = SUBMIT_NONE;
        switch (st) {
        case ORDER_FAILED:
                /* Staff retry: failed -> queued, then as a fresh queued order. */
                rc = transition(ctx, order_id, ORDER_QUEUED, "retry printing", err);
                if (rc < 0)
                        return rc;
                /* fall through */
        case ORDER_RECEIVED:
        case ORDER_QUEUED:
                if (st == ORDER_RECEIVED) {
                        rc = transition(ctx, order_id, ORDER_QUEUED, NULL, err);
                        if (rc < 0)
                                return rc;
                }
                rc = transition(ctx, order_id, ORDER_PRINTING, NULL, err);
                if (rc < 0)
                        return rc;
                app_test_crash_point("after-printing");
                mode = SUBMIT_RETRY;
                break;
        case ORDER_PRINTING:
                mode = SUBMIT_MISSING; /* a rerun after a crash */
                break;
        case ORDER_PRINTED:
        case ORDER_READY:
        case ORDER_COLLECTED:
                mode = SUBMIT_NONE; /* only open reprint jobs */
                break;
        default:
                return app_order_fail(err, APP_ORDER_E_STATE, "order %s is %s, not ready to print",
                                      order_id, store_order_state_name(st));
        }
        struct app_print_summary sum = {.items = 0};
        /* Just submitted: a printer reason left over from before the retry
         * (CUPS clears queue reasons lazily) must not fail the order yet. */
        rc = order_pass(ctx, order_id, queue, mode, false, &sum, err);
        if (ret)
                *ret = sum;
        return rc;
}

int app_print_wait(const struct app_print_ctx *ctx, const char *order_id, int64_t timeout_ms,
                   struct app_print_summary *ret, struct app_order_errbuf *err)
{
        int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
        struct app_print_summary sum = {.items = 0};
        int rc = 0;
        /* Bounded: one pass per APP_PRINT_POLL_MS until the deadline. */
        int64_t waiting_since = -1;
        for (int64_t pass = 0; pass < INT32_MAX; pass++) {
                /* A job blocked on the printer fails the order (staff) once the
                 * condition has lasted APP_PRINT_WAITING_GRACE_MS: queue reasons
                 * lag behind the printer, so a fault just cleared may still show. */
                int64_t now = mono_ms();
                bool fail_waiting = waiting_since >= 0 &&
                                    now - waiting_since >= APP_PRINT_WAITING_GRACE_MS;
                struct app_print_summary prev = sum;
                rc = order_pass(ctx, order_id, NULL, SUBMIT_NONE, fail_waiting, &sum, err);
                sum.submitted = prev.submitted, sum.adopted = prev.adopted;
                sum.resubmitted_incoming = prev.resubmitted_incoming;
                if (sum.waiting == 0)
                        waiting_since = -1;
                else if (waiting_since < 0)
                        waiting_since = now;
                if (rc < 0 && rc != APP_ORDER_E_PRINTER)
                        break;
                if (sum.state == ORDER_FAILED) {
                        rc = app_order_fail(err, APP_ORDER_E_FAILED, "%s", sum.reason);
                        break;
                }
                if (sum.state != ORDER_PRINTING && sum.open == 0 && rc == 0)
                        break;
                if (mono_ms() >= deadline) {
                        rc = app_order_fail(err, APP_ORDER_E_TIMEOUT,
                                            "order %s still %s after %lld ms (%d open jobs)",
                                            order_id, store_order_state_name(sum.state),
                                            (long long)timeout_ms, sum.open);
                        break;
                }
                sleep_ms(APP_PRINT_POLL_MS);
        }
        if (ret)
                *ret = sum;
        return rc;
}

/* ---- recovery, reprint, cancel ------------------------------------------------- */

static bool id_in(char (*ids)[STORE_ID_SIZE], size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(ids[i], id) == 0)
                        return true;
        return false;
}

static int cancel_open_jobs(const struct app_print_ctx *ctx, const char *order_id,
                            struct app_order_errbuf *err)
{
        struct store_job *jobs = NULL;
        size_t n = 0;
        struct store_errbuf se = {{0}};
        int rc = store_job_list(ctx->store, order_id, false, &jobs, &n, &se);
        if (rc < 0)
                return store_err(err, "listing jobs", rc, &se);
        int first = 0;
        for (size_t i = 0; i < n; i++) {
                struct store_job *j = &jobs[i];
                if (store_job_state_is_final(j->state))
                        continue;
                int cups_id = j->cups_job_id;
                if (cups_id <= 0) {
                        char uuid[DRV_JOB_UUID_MAX];
                        struct drv_job_status js;
                        job_uuid(j->id, uuid);
                        if (drv_printer_find_job(ctx->printer, uuid, 0, &js, NULL) == 0)
                                cups_id = js.id;
                }
                struct drv_errbuf de = {{0}};
                int r = cups_id > 0 ? drv_printer_cancel(ctx->printer, cups_id, &de) : 0;
                if (r == DRV_E_REFUSED) {
                        /* Already final in CUPS: record what it became. */
                        struct app_print_summary s = {.items = 0};
                        struct job_view v;
                        r = follow_job(ctx, j, NULL, &s, &v, err);
                        if (r == 0 && !store_job_state_is_final(j->state))
                                r = set_job_state(ctx, j, STORE_JOB_CANCELLED,
                                                  "order cancelled", err);
                } else if (r == 0 || r == DRV_E_NOT_FOUND) {
                        r = set_job_state(ctx, j, STORE_JOB_CANCELLED, "order cancelled", err);
                } else {
                        r = app_order_fail(err, APP_ORDER_E_PRINTER, "cancel job %d: %s: %s",
                                           cups_id, drv_strerror(r), de.msg);
                }
                if (r < 0 && !first)
                        first = r;
        }
        free(jobs);
        return first;
}

int app_print_recover(const struct app_print_ctx *ctx, const char *default_queue,
                      void (*cb)(void *user, const struct app_print_summary *s), void *user,
                      int *ret_orders, int *ret_unqueued, struct app_order_errbuf *err)
{
        struct store_job *open = NULL;
        size_t n_open = 0;
        struct store_order_summary *printing = NULL;
        size_t n_printing = 0;
        char (*ids)[STORE_ID_SIZE] = NULL;
        char (*queues)[DRV_PRINTER_NAME_MAX] = NULL;
        size_t n_ids = 0;
        int orders = 0, unqueued = 0, last = 0;
        size_t cap = 0;
        struct store_errbuf se = {{0}};

        int rc = store_job_list(ctx->store, NULL, true, &open, &n_open, &se);
        if (rc < 0)
                return store_err(err, "listing open jobs", rc, &se);
        struct store_order_filter f = {.states = 1u << ORDER_PRINTING, .limit = 10000};
        rc = store_order_list(ctx->store, &f, &printing, &n_printing, &se);
        if (rc < 0) {
                rc = store_err(err, "listing printing orders", rc, &se);
                goto out;
        }
        cap = n_open + n_printing;
        if (cap > APP_PRINT_RECOVER_MAX)
                cap = APP_PRINT_RECOVER_MAX;
        ids = calloc(cap ? cap : 1, sizeof *ids);
        queues = calloc(cap ? cap : 1, sizeof *queues);
        if (!ids || !queues) {
                rc = app_order_fail(err, APP_ORDER_E_STORE, "out of memory");
                goto out;
        }
        /* Oldest open jobs first, then printing orders without open jobs. */
        for (size_t i = 0; i < n_open && n_ids < cap; i++)
                if (!id_in(ids, n_ids, open[i].order_id)) {
                        snprintf(ids[n_ids], STORE_ID_SIZE, "%s", open[i].order_id);
                        snprintf(queues[n_ids], DRV_PRINTER_NAME_MAX, "%s", open[i].queue);
                        n_ids++;
                }
        for (size_t i = 0; i < n_printing && n_ids < cap; i++)
                if (!id_in(ids, n_ids, printing[i].id)) {
                        snprintf(ids[n_ids], STORE_ID_SIZE, "%s", printing[i].id);
                        queues[n_ids][0] = '\0';
                        n_ids++;
                }

        for (size_t i = 0; i < n_ids; i++) {
                struct app_order_errbuf e1 = {{0}};
                struct store_order *o = NULL;
                int r = load_order(ctx, ids[i], &o, &e1);
                if (r < 0) {
                        last = r;
                        if (err)
                                *err = e1;
                        continue;
                }
                enum order_state st = o->state;
                store_order_free(o);
                struct app_print_summary sum = {.items = 0};
                if (st == ORDER_CANCELLED) {
                        r = cancel_open_jobs(ctx, ids[i], &e1);
                        if (r == 0)
                                r = app_print_poll(ctx, ids[i], &sum, &e1);
                } else if (st == ORDER_PRINTING) {
                        /* The queue of the order's jobs, else the default. */
                        const char *q = queues[i][0] ? queues[i] : NULL;
                        struct store_job *oj = NULL;
                        size_t n_oj = 0;
                        char qbuf[DRV_PRINTER_NAME_MAX] = "";
                        if (!q && store_job_list(ctx->store, ids[i], false, &oj, &n_oj, NULL) == 0 &&
                            n_oj > 0) {
                                snprintf(qbuf, sizeof qbuf, "%s", oj[n_oj - 1].queue);
                                q = qbuf;
                        }
                        free(oj);
                        if (!q)
                                q = default_queue;
                        r = order_pass(ctx, ids[i], q, q ? SUBMIT_MISSING : SUBMIT_NONE, true,
                                       &sum, &e1);
                        if (!q)
                                unqueued++;
                } else {
                        r = app_print_poll(ctx, ids[i], &sum, &e1);
                }
                orders++;
                if (r < 0) {
                        last = r;
                        if (err)
                                *err = e1;
                }
                if (cb)
                        cb(user, &sum);
        }
        rc = last;
out:
        free(ids);
        free(queues);
        free(printing);
        free(open);
        if (ret_orders)
                *ret_orders = orders;
        if (ret_unqueued)
                *ret_unqueued = unqueued;
        return rc;
}

int app_print_reprint(const struct app_print_ctx *ctx, const char *order_id, const char *item_id,
                      const char *queue, const char *reason, const char *staff_actor,
                      char ret_job_id[STORE_ID_SIZE], struct app_order_errbuf *err)
{
        if (!reason || !reason[0] || !staff_actor)
                return app_order_fail(err, APP_ORDER_E_INVALID, "reprint needs a reason and staff");
        struct store_order *o = NULL;
        struct store_job *jobs = NULL;
        size_t n_jobs = 0;
        int rc = load_order(ctx, order_id, &o, err);
        if (rc < 0)
                return rc;
        const struct store_item *it = find_item(o, item_id);
        struct store_errbuf se = {{0}};
        char q[DRV_PRINTER_NAME_MAX] = "";
        char job_id[STORE_ID_SIZE];
        struct store_job j;
        struct app_print_summary sum = {.items = 0};
        if (!it) {
                rc = app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no item %s in order", item_id);
                goto out;
        }
        if (queue && queue[0]) {
                snprintf(q, sizeof q, "%s", queue);
        } else {
                rc = store_job_list(ctx->store, order_id, false, &jobs, &n_jobs, &se);
                if (rc < 0) {
                        rc = store_err(err, "listing jobs", rc, &se);
                        goto out;
                }
                for (size_t k = 0; k < n_jobs; k++)
                        if (strcmp(jobs[k].item_id, item_id) == 0)
                                snprintf(q, sizeof q, "%s", jobs[k].queue);
        }
        if (!q[0]) {
                rc = app_order_fail(err, APP_ORDER_E_INVALID, "no queue known: give --printer");
                goto out;
        }
        rc = store_job_reprint(ctx->store, item_id, q, it->quantity, reason, staff_actor, job_id,
                               &se);
        if (rc == STORE_E_ILLEGAL) {
                rc = app_order_fail(err, APP_ORDER_E_STATE, "%s", se.msg);
                goto out;
        }
        if (rc < 0) {
                rc = store_err(err, "reprint", rc, &se);
                goto out;
        }
        app_test_crash_point("after-job-row");
        rc = store_job_get(ctx->store, job_id, &j, &se);
        if (rc < 0) {
                rc = store_err(err, "reading job", rc, &se);
                goto out;
        }
        rc = submit_job(ctx, &j, it, &sum, err);
        if (rc == 0 && ret_job_id)
                snprintf(ret_job_id, STORE_ID_SIZE, "%s", job_id);
out:
        free(jobs);
        store_order_free(o);
        return rc;
}

int app_print_cancel(const struct app_print_ctx *ctx, const char *order_id, const char *actor,
                     const char *reason, struct app_print_summary *ret,
                     struct app_order_errbuf *err)
{
        struct store_errbuf se = {{0}};
        int rc = store_order_transition(ctx->store, order_id, ORDER_CANCELLED, actor, reason, &se);
        if (rc == STORE_E_ILLEGAL)
                return app_order_fail(err, APP_ORDER_E_STATE, "%s", se.msg);
        if (rc == STORE_E_NOT_FOUND)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no order %s", order_id);
        if (rc < 0)
                return store_err(err, "cancel", rc, &se);
        rc = cancel_open_jobs(ctx, order_id, err);
        struct app_print_summary sum = {.items = 0};
        int r2 = app_print_poll(ctx, order_id, &sum, rc < 0 ? NULL : err);
        if (ret)
                *ret = sum;
        return rc < 0 ? rc : r2;
}
