/* app/staffdesk: staff and technician commands on one worker thread (see
 * staffdesk.h).
 *
 * Invariants:
 *   - The UI thread only queues commands and copies snapshots: every store,
 *     CUPS, doctor and export call runs on `worker`, which alone owns `orders`
 *     (app/orders: store + printer handles), `tech_pin` and the follow list.
 *   - The command ring holds at most APP_DESK_QUEUE commands (cmd_lock); the
 *     snapshot, the signed-in flags and the staff actor are under snap_lock.
 *   - A command that needs a signed-in staff member or technician checks the
 *     flag on the worker, when it runs: app_staffdesk_end() before it runs
 *     makes it APP_DESK_E_DENIED, so nothing is done after staff left.
 *   - Every command posts exactly one APP_MSG_STAFFDESK with its request id.
 *   - Nothing here logs or keeps customer data: snapshot orders carry codes,
 *     states, SKUs and counts, never file names.
 */
#include "app/staffdesk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "app/config.h"
#include "app/doctor.h"
#include "app/export_logs.h"
#include "app/log.h"
#include "app/orders.h"
#include "app/print_queue.h"
#include "app/staff_pin.h"
#include "image/catalogue.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/render.h"
#include "sync/order_state.h"
#include "sync/outbox.h"
#include "sync/store.h"

#ifndef PK_VERSION
#define PK_VERSION "unknown"
#endif

#define TEST_SKU "PRINT-6X4"          /* the commonest paper in every kiosk */
#define TARGET_W 1800                 /* 6x4 at 300 dpi: patches large enough to measure */
#define TARGET_H 1200

struct cmd {
        int op;
        int64_t id;
        char a[64];                   /* order id, code, queue, PIN */
        char b[APP_DESK_REASON_MAX + 1]; /* reason, paper */
        int n;                        /* item index, export target */
};

struct follow {
        char order_id[STORE_ID_SIZE];
        char job_id[STORE_ID_SIZE];
        int64_t started_ms;
        int64_t request;              /* the reprint's request id */
};

struct app_staffdesk {
        struct app_bus *bus;
        char *data_dir, *config_path, *queue, *tech_pin_path, *export_root, *journalctl;

        pthread_t worker;
        bool worker_started;
        pthread_mutex_t cmd_lock;     /* protects ring, head, count, stop, running */
        pthread_cond_t cmd_cond;
        struct cmd ring[APP_DESK_QUEUE];
        int head, count;
        bool stop, running;
        int64_t next_id;              /* UI thread only */

        pthread_mutex_t snap_lock;    /* protects everything in this block */
        bool signed_in, tech_ok;
        char actor[48];               /* "staff:<id>" */
        struct app_staffdesk_order orders_snap[APP_DESK_MAX_ORDERS];
        int n_orders;
        struct app_staffdesk_detail detail;
        struct app_staffdesk_printer printers[APP_DESK_MAX_PRINTERS];
        int n_printers;
        struct app_staffdesk_tech tech;
        char message[256];

        /* UI thread only (begin, end, activity, idle_check) */
        int64_t idle_timeout_ms;
        int64_t last_activity_ms;     /* CLOCK_MONOTONIC ms; sign-in or last touch */

        /* worker only */
        struct app_orders *orders;
        struct app_staff_pin *tech_pin;
        struct app_config cfg;
        struct follow follows[APP_DESK_FOLLOW_MAX];
        int n_follows;
};

static const char *const error_names[] = {
        "ok", "invalid", "unavailable", "busy", "denied", "not-found", "state", "failed",
        "wrong-pin", "no-memory",
};

const char *app_staffdesk_strerror(int err)
{
        if (err > 0 || err <= _APP_DESK_E_MIN)
                return "unknown";
        return error_names[-err];
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Truncating copy (snapshot fields are shorter than the store's). */
static void copy_str(char *dst, size_t n, const char *src)
{
        /* Byte by byte up to the NUL, not strnlen(src, n - 1): some sources
         * are shorter arrays than n (store ids), and gcc -O3 refuses a bound
         * past them. */
        size_t i = 0;
        for (; src && i + 1 < n && src[i]; i++)
                dst[i] = src[i];
        dst[i] = '\0';
}

static char *dup_opt(const char *s, bool *ok)
{
        if (!s)
                return NULL;
        char *r = strdup(s);
        if (!r)
                *ok = false;
        return r;
}

/* ---- snapshot helpers (worker side) ---------------------------------------- */

static void set_message(struct app_staffdesk *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void set_message(struct app_staffdesk *d, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        pthread_mutex_lock(&d->snap_lock);
        copy_str(d->message, sizeof(d->message), buf);
        pthread_mutex_unlock(&d->snap_lock);
}

static void post(struct app_staffdesk *d, int op, int64_t id, int result, int64_t wait_ms)
{
        struct app_msg m = {.type = APP_MSG_STAFFDESK, .generation = (uint64_t)id};
        m.u.desk.op = op;
        m.u.desk.result = result;
        m.u.desk.wait_ms = wait_ms;
        (void)app_bus_post(d->bus, &m);
}

static int map_order_error(int rc)
{
        switch (rc) {
        case APP_ORDER_OK: return APP_DESK_OK;
        case APP_ORDER_E_INVALID: return APP_DESK_E_INVALID;
        case APP_ORDER_E_NOT_FOUND: return APP_DESK_E_NOT_FOUND;
        case APP_ORDER_E_STATE: return APP_DESK_E_STATE;
        default: return APP_DESK_E_FAILED;
        }
}

/* The store and printer handles, opened on first use (on the worker). */
static int ensure_orders(struct app_staffdesk *d)
{
        if (d->orders)
                return 0;
        if (!d->data_dir) {
                set_message(d, "no data folder: orders are not available");
                return APP_DESK_E_UNAVAILABLE;
        }
        struct app_order_errbuf err = {{0}};
        if (app_orders_open(d->data_dir, d->config_path, &d->orders, &err) < 0) {
                set_message(d, "store: %s", err.msg);
                return APP_DESK_E_FAILED;
        }
        return 0;
}

static const char *queue_of(struct app_staffdesk *d)
{
        if (d->queue)
                return d->queue;
        return d->orders ? app_orders_default_queue(d->orders) : NULL;
}

/* Copy the actor under the lock; false when nobody is signed in. */
static bool staff_actor(struct app_staffdesk *d, char out[48])
{
        pthread_mutex_lock(&d->snap_lock);
        bool ok = d->signed_in;
        copy_str(out, 48, d->actor);
        pthread_mutex_unlock(&d->snap_lock);
        return ok;
}

static bool tech_signed_in(struct app_staffdesk *d)
{
        pthread_mutex_lock(&d->snap_lock);
        bool ok = d->signed_in && d->tech_ok;
        pthread_mutex_unlock(&d->snap_lock);
        return ok;
}

static void order_row(struct app_staffdesk_order *r, const char *id, const char *code,
                      enum order_state st, enum store_channel ch, int n_items, int64_t total,
                      const char *currency, int64_t created)
{
        memset(r, 0, sizeof(*r));
        copy_str(r->id, sizeof(r->id), id);
        copy_str(r->code, sizeof(r->code), code);
        copy_str(r->state, sizeof(r->state), store_order_state_name(st));
        r->remote = ch == STORE_CHANNEL_APP;
        r->n_items = n_items;
        r->total_minor = total;
        copy_str(r->currency, sizeof(r->currency), currency);
        r->created_at = created;
}

/* ---- printer status --------------------------------------------------------- */

static void join(char *dst, size_t n, const char *add)
{
        size_t l = strlen(dst);
        if (l + 3 >= n)
                return;
        snprintf(dst + l, n - l, "%s%s", l ? ", " : "", add);
}

static void printer_row(struct app_staffdesk_printer *p, const struct drv_printer_status *st)
{
        memset(p, 0, sizeof(*p));
        copy_str(p->queue, sizeof(p->queue), st->name);
        copy_str(p->model, sizeof(p->model), st->make_model);
        copy_str(p->state, sizeof(p->state), drv_printer_state_name(st->state));
        p->accepting = st->accepting;
        for (size_t i = 0; i < st->n_reasons; i++)
                join(p->reasons, sizeof(p->reasons), st->reasons[i]);
        if (st->n_media_ready > 0)
                for (size_t i = 0; i < st->n_media_ready; i++)
                        join(p->media, sizeof(p->media), st->media_ready[i]);
        for (size_t i = 0; i < st->n_markers && p->n_markers < APP_DESK_MAX_MARKERS; i++) {
                copy_str(p->markers[p->n_markers].name, sizeof(p->markers[0].name),
                         st->markers[i].name);
                p->markers[p->n_markers++].level = st->markers[i].level;
        }
}

/* Every configured printer (the desk's queue first, then the configuration's
 * [printer] sections, receipt printers included): state, reasons, media,
 * supplies. Never fails the caller: an unreachable CUPS is a row with state
 * "unreachable". */
static void refresh_printer(struct app_staffdesk *d)
{
        const char *queues[APP_DESK_MAX_PRINTERS];
        int nq = 0;
        const char *q = queue_of(d);
        if (q && q[0])
                queues[nq++] = q;
        for (int i = 0; i < d->cfg.n_printers && nq < APP_DESK_MAX_PRINTERS; i++) {
                const char *cq = d->cfg.printers[i].queue;
                bool dup = !cq[0];
                for (int k = 0; k < nq && !dup; k++)
                        dup = strcmp(queues[k], cq) == 0;
                if (!dup)
                        queues[nq++] = cq;
        }
        struct app_staffdesk_printer rows[APP_DESK_MAX_PRINTERS];
        struct app_print_ctx pc;
        struct app_order_errbuf oe = {{0}};
        bool ctx = nq > 0 && app_orders_print_ctx(d->orders, "system", &pc, &oe) == 0;
        for (int i = 0; i < nq; i++) {
                memset(&rows[i], 0, sizeof(rows[i]));
                copy_str(rows[i].queue, sizeof(rows[i].queue), queues[i]);
                copy_str(rows[i].state, sizeof(rows[i].state), "unreachable");
                if (!ctx)
                        continue;
                struct drv_printer_status st;
                struct drv_errbuf de = {{0}};
                if (drv_printer_status(pc.printer, queues[i], &st, &de) == 0)
                        printer_row(&rows[i], &st);
                else
                        copy_str(rows[i].reasons, sizeof(rows[i].reasons), de.msg);
        }
        pthread_mutex_lock(&d->snap_lock);
        if (nq > 0)
                memcpy(d->printers, rows, (size_t)nq * sizeof(rows[0]));
        d->n_printers = nq;
        pthread_mutex_unlock(&d->snap_lock);
}

/* ---- orders ------------------------------------------------------------------ */

static int64_t start_of_today_ms(void)
{
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        return (int64_t)mktime(&tm) * 1000;
}

static int cmp_order_newest(const void *a, const void *b)
{
        const struct app_staffdesk_order *x = a, *y = b;
        return (x->created_at < y->created_at) - (x->created_at > y->created_at);
}

/* Today's orders plus every order waiting for pickup (printed or ready, any
 * day), newest first, at most APP_DESK_MAX_ORDERS. */
static int refresh_orders(struct app_staffdesk *d)
{
        struct store *s = app_orders_store(d->orders);
        struct store_order_filter filters[2] = {
                {.states = 0, .since_ms = start_of_today_ms(), .limit = APP_DESK_MAX_ORDERS},
                {.states = (1u << ORDER_PRINTED) | (1u << ORDER_READY), .since_ms = 0,
                 .limit = APP_DESK_MAX_ORDERS},
        };
        struct app_staffdesk_order rows[2 * APP_DESK_MAX_ORDERS];
        int n = 0;
        for (int f = 0; f < 2; f++) {
                struct store_order_summary *list = NULL;
                size_t nl = 0;
                struct store_errbuf se = {{0}};
                if (store_order_list(s, &filters[f], &list, &nl, &se) < 0) {
                        set_message(d, "orders: %s", se.msg);
                        return APP_DESK_E_FAILED;
                }
                for (size_t i = 0; i < nl && n < 2 * APP_DESK_MAX_ORDERS; i++) {
                        bool dup = false;
                        for (int k = 0; k < n && !dup; k++)
                                dup = strcmp(rows[k].id, list[i].id) == 0;
                        if (!dup)
                                order_row(&rows[n++], list[i].id, list[i].code, list[i].state,
                                          list[i].channel, list[i].n_items, list[i].total_minor,
                                          list[i].currency, list[i].created_at);
                }
                free(list);
        }
        qsort(rows, (size_t)n, sizeof(rows[0]), cmp_order_newest);
        if (n > APP_DESK_MAX_ORDERS)
                n = APP_DESK_MAX_ORDERS;
        pthread_mutex_lock(&d->snap_lock);
        memcpy(d->orders_snap, rows, (size_t)n * sizeof(rows[0]));
        d->n_orders = n;
        pthread_mutex_unlock(&d->snap_lock);
        return 0;
}

/* Load one order into the detail snapshot (and refresh its list row). */
static int open_order(struct app_staffdesk *d, const struct store_order *ord)
{
        struct store *s = app_orders_store(d->orders);
        struct app_staffdesk_detail det;
        memset(&det, 0, sizeof(det));
        det.valid = true;
        order_row(&det.order, ord->id, ord->code, ord->state, ord->channel, (int)ord->n_items,
                  ord->total_minor, ord->currency, ord->created_at);
        det.n_items = ord->n_items < APP_DESK_MAX_ITEMS ? (int)ord->n_items : APP_DESK_MAX_ITEMS;
        for (int i = 0; i < det.n_items; i++) {
                copy_str(det.items[i].sku, sizeof(det.items[i].sku), ord->items[i].sku);
                copy_str(det.items[i].paper, sizeof(det.items[i].paper), ord->items[i].paper);
                det.items[i].quantity = ord->items[i].quantity;
        }
        struct store_job *jobs = NULL;
        size_t nj = 0;
        if (store_job_list(s, ord->id, false, &jobs, &nj, NULL) == 0) {
                for (size_t k = 0; k < nj; k++) /* oldest first: the last one wins */
                        for (int i = 0; i < det.n_items; i++)
                                if (strcmp(ord->items[i].id, jobs[k].item_id) == 0) {
                                        det.items[i].jobs++;
                                        copy_str(det.items[i].last_job,
                                                 sizeof(det.items[i].last_job),
                                                 store_job_state_name(jobs[k].state));
                                }
                free(jobs);
        }
        struct store_audit *audit = NULL;
        size_t na = 0;
        if (store_audit_list(s, ord->id, &audit, &na, NULL) == 0) {
                det.audit_rows = (int)na;
                if (ord->state == ORDER_FAILED || ord->state == ORDER_CANCELLED)
                        for (size_t k = 0; k < na; k++)
                                if (strcmp(audit[k].to, "failed") == 0 ||
                                    strcmp(audit[k].to, "cancelled") == 0)
                                        copy_str(det.reason, sizeof(det.reason), audit[k].reason);
                free(audit);
        }
        det.can_reprint = ord->state == ORDER_PRINTED || ord->state == ORDER_READY ||
                          ord->state == ORDER_COLLECTED;
        det.can_collect = ord->state == ORDER_PRINTED || ord->state == ORDER_READY;
        det.can_cancel = store_order_transition_allowed(ord->state, ORDER_CANCELLED);
        pthread_mutex_lock(&d->snap_lock);
        d->detail = det;
        for (int i = 0; i < d->n_orders; i++)
                if (strcmp(d->orders_snap[i].id, ord->id) == 0)
                        d->orders_snap[i] = det.order;
        pthread_mutex_unlock(&d->snap_lock);
        return 0;
}

static int load_and_open(struct app_staffdesk *d, const char *code_or_id,
                         struct store_order **ret)
{
        struct app_order_errbuf err = {{0}};
        struct store_order *ord = NULL;
        int rc = app_order_find(d->orders, code_or_id, &ord, &err);
        if (rc < 0) {
                set_message(d, "%s", err.msg);
                return map_order_error(rc);
        }
        open_order(d, ord);
        if (ret)
                *ret = ord;
        else
                store_order_free(ord);
        return 0;
}

static int do_search(struct app_staffdesk *d, const char *code)
{
        struct store_order *ord = NULL;
        int rc = load_and_open(d, code, &ord);
        if (rc < 0)
                return rc;
        pthread_mutex_lock(&d->snap_lock);
        d->orders_snap[0] = d->detail.order; /* the list shows the one match */
        d->n_orders = 1;
        pthread_mutex_unlock(&d->snap_lock);
        store_order_free(ord);
        return 0;
}

static int do_reprint(struct app_staffdesk *d, const struct cmd *c, const char *actor)
{
        struct store_order *ord = NULL;
        int rc = load_and_open(d, c->a, &ord);
        if (rc < 0)
                return rc;
        if (c->n < 0 || (size_t)c->n >= ord->n_items) {
                store_order_free(ord);
                set_message(d, "no item %d in the order", c->n + 1);
                return APP_DESK_E_NOT_FOUND;
        }
        struct app_order_errbuf err = {{0}};
        struct app_print_ctx pc;
        char job_id[STORE_ID_SIZE] = "";
        rc = app_orders_print_ctx(d->orders, actor, &pc, &err);
        if (rc == 0)
                rc = app_print_reprint(&pc, ord->id, ord->items[c->n].id, NULL, c->b, actor,
                                       job_id, &err);
        if (job_id[0] && d->n_follows < APP_DESK_FOLLOW_MAX) {
                /* Written to the store even when CUPS refused: follow it so its
                 * final state is known (pending jobs are left to recovery). */
                struct follow *f = &d->follows[d->n_follows++];
                copy_str(f->order_id, sizeof(f->order_id), ord->id);
                copy_str(f->job_id, sizeof(f->job_id), job_id);
                f->started_ms = now_ms();
                f->request = c->id;
        }
        if (rc < 0)
                set_message(d, "reprint: %s", err.msg);
        else
                set_message(d, "reprint of item %d sent", c->n + 1);
        open_order(d, ord);
        store_order_free(ord);
        return map_order_error(rc);
}

/* The customer took the order: printed -> ready -> collected, each audited
 * with the staff actor (the same transitions as `printkioskctl collect`). */
static int do_collect(struct app_staffdesk *d, const char *order_id, const char *actor)
{
        struct store_order *ord = NULL;
        int rc = load_and_open(d, order_id, &ord);
        if (rc < 0)
                return rc;
        struct store *s = app_orders_store(d->orders);
        struct store_errbuf se = {{0}};
        int r = 0;
        if (ord->state == ORDER_PRINTED)
                r = store_order_transition(s, ord->id, ORDER_READY, actor,
                                           "handed over at the counter", &se);
        else if (ord->state != ORDER_READY && ord->state != ORDER_COLLECTED)
                r = STORE_E_ILLEGAL;
        if (r == 0)
                r = store_order_transition(s, ord->id, ORDER_COLLECTED, actor, NULL, &se);
        if (r < 0) {
                rc = r == STORE_E_ILLEGAL ? APP_DESK_E_STATE : APP_DESK_E_FAILED;
                set_message(d, "collect: %s", se.msg[0] ? se.msg
                                                        : "the order is not printed yet");
        } else {
                set_message(d, "order %s collected", ord->code);
        }
        store_order_free(ord);
        load_and_open(d, order_id, NULL);
        return rc;
}

static int do_cancel(struct app_staffdesk *d, const struct cmd *c, const char *actor)
{
        struct store_order *ord = NULL;
        int rc = load_and_open(d, c->a, &ord);
        if (rc < 0)
                return rc;
        struct app_order_errbuf err = {{0}};
        struct app_print_ctx pc;
        struct app_print_summary sum;
        memset(&sum, 0, sizeof(sum));
        rc = app_orders_print_ctx(d->orders, actor, &pc, &err);
        if (rc == 0)
                rc = app_print_cancel(&pc, ord->id, actor, c->b, &sum, &err);
        if (rc < 0)
                set_message(d, "cancel: %s", err.msg);
        else
                set_message(d, "order %s cancelled", ord->code);
        store_order_free(ord);
        load_and_open(d, c->a, NULL);
        return map_order_error(rc);
}

/* One poll of every followed reprint; a job that reached a final state (or
 * waited too long) leaves the list with an APP_DESK_OP_FOLLOWED message. */
static void follow_pass(struct app_staffdesk *d)
{
        struct app_print_ctx pc;
        struct app_order_errbuf err = {{0}};
        if (app_orders_print_ctx(d->orders, "system", &pc, &err) < 0)
                return;
        struct store *s = app_orders_store(d->orders);
        for (int i = 0; i < d->n_follows;) {
                struct follow *f = &d->follows[i];
                struct app_print_summary sum;
                (void)app_print_poll(&pc, f->order_id, &sum, &err);
                struct store_job j;
                bool done = false;
                int result = 0;
                if (store_job_get(s, f->job_id, &j, NULL) == 0 && store_job_state_is_final(j.state)) {
                        done = true;
                        result = j.state == STORE_JOB_COMPLETED ? 0 : APP_DESK_E_FAILED;
                        set_message(d, "reprint %s", store_job_state_name(j.state));
                } else if (now_ms() - f->started_ms > APP_DESK_FOLLOW_TIMEOUT_MS) {
                        done = true; /* the next start's recovery follows it */
                        result = APP_DESK_E_FAILED;
                }
                if (!done) {
                        i++;
                        continue;
                }
                pthread_mutex_lock(&d->snap_lock);
                bool is_open = d->detail.valid && strcmp(d->detail.order.id, f->order_id) == 0;
                pthread_mutex_unlock(&d->snap_lock);
                if (is_open)
                        load_and_open(d, f->order_id, NULL);
                post(d, APP_DESK_OP_FOLLOWED, f->request, result, 0);
                d->follows[i] = d->follows[--d->n_follows];
        }
}

/* ---- technician ---------------------------------------------------------------- */

static int do_tech_pin(struct app_staffdesk *d, const char *pin, int64_t *ret_wait)
{
        if (!d->tech_pin)
                d->tech_pin = app_staff_pin_new(d->tech_pin_path);
        if (!d->tech_pin)
                return APP_DESK_E_NOMEM;
        int r = app_staff_pin_check(d->tech_pin, pin, now_ms(), ret_wait);
        switch (r) {
        case APP_PIN_OK:
                pthread_mutex_lock(&d->snap_lock);
                d->tech_ok = d->signed_in; /* staff left meanwhile: no technician either */
                pthread_mutex_unlock(&d->snap_lock);
                return d->tech_ok ? 0 : APP_DESK_E_DENIED;
        case APP_PIN_E_NOT_SET: return APP_DESK_E_UNAVAILABLE;
        case APP_PIN_E_INVALID: return APP_DESK_E_INVALID;
        case APP_PIN_E_WRONG:
        case APP_PIN_E_LOCKED: return APP_DESK_E_WRONG_PIN;
        default: return APP_DESK_E_FAILED;
        }
}

static const char *first_printer_model(const struct app_config *cfg)
{
        for (int i = 0; i < cfg->n_printers; i++)
                if (!cfg->printers[i].receipt && cfg->printers[i].model[0])
                        return cfg->printers[i].model;
        return NULL;
}

/* Papers of one queue: the configured printer's "papers", else every paper
 * of the manifest; each with its profile file and intent. */
static void printer_papers(struct app_staffdesk *d, struct app_staffdesk_printer *p)
{
        char names[APP_DESK_MAX_PAPERS][32];
        int n = 0;
        for (int i = 0; i < d->cfg.n_printers && n == 0; i++) {
                if (strcmp(d->cfg.printers[i].queue, p->queue) != 0)
                        continue;
                char buf[128];
                copy_str(buf, sizeof(buf), d->cfg.printers[i].papers);
                char *save = NULL;
                for (char *t = strtok_r(buf, ";, ", &save); t && n < APP_DESK_MAX_PAPERS;
                     t = strtok_r(NULL, ";, ", &save))
                        copy_str(names[n++], sizeof(names[0]), t);
        }
        if (n == 0) {
                struct img_manifest *m = NULL;
                struct img_errbuf ie = {{0}};
                if (img_manifest_load(app_orders_profiles_dir(d->orders), &m, &ie) == 0) {
                        size_t np = img_manifest_paper_count(m);
                        for (size_t i = 0; i < np && n < APP_DESK_MAX_PAPERS; i++)
                                copy_str(names[n++], sizeof(names[0]),
                                         img_manifest_paper_name(m, i));
                        img_manifest_free(m);
                }
        }
        for (int i = 0; i < n; i++) {
                struct img_paper paper;
                struct app_order_errbuf err = {{0}};
                copy_str(p->papers[i].paper, sizeof(p->papers[i].paper), names[i]);
                if (app_orders_paper(d->orders, names[i], &paper, &err) == 0) {
                        const char *base = strrchr(paper.profile_path, '/');
                        copy_str(p->papers[i].profile, sizeof(p->papers[i].profile),
                                 base ? base + 1 : paper.profile_path);
                        copy_str(p->papers[i].intent, sizeof(p->papers[i].intent),
                                 img_intent_name(paper.intent));
                } else {
                        copy_str(p->papers[i].profile, sizeof(p->papers[i].profile), "missing");
                }
        }
        p->n_papers = n;
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(a, b);
}

static void list_targets(struct app_staffdesk *d, struct app_staffdesk_tech *t)
{
        DIR *dir = opendir(d->export_root ? d->export_root : "/media");
        if (!dir)
                return;
        struct dirent *e;
        for (int guard = 0; guard < 4096 && (e = readdir(dir)) && t->n_targets < APP_DESK_MAX_TARGETS;
             guard++) {
                if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(t->targets[0]))
                        continue;
                struct stat st;
                if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISDIR(st.st_mode))
                        copy_str(t->targets[t->n_targets++], sizeof(t->targets[0]), e->d_name);
        }
        closedir(dir);
        qsort(t->targets, (size_t)t->n_targets, sizeof(t->targets[0]), cmp_name);
}

static int do_tech_refresh(struct app_staffdesk *d)
{
        struct app_staffdesk_tech t;
        memset(&t, 0, sizeof(t));
        t.valid = true;
        copy_str(t.version, sizeof(t.version), PK_VERSION);
        struct statvfs vfs;
        if (statvfs(d->data_dir, &vfs) == 0) {
                t.disk_free_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
                t.disk_total_bytes = (int64_t)vfs.f_blocks * (int64_t)vfs.f_frsize;
        }
        t.sync_configured = d->cfg.central_url[0] != '\0';
        struct store *s = app_orders_store(d->orders);
        struct store_outbox_stats os;
        if (store_outbox_stats(s, &os, NULL) == 0) {
                t.outbox_pending = os.pending;
                t.outbox_dead = os.dead;
                t.outbox_sent = os.sent;
                t.oldest_pending_at = os.oldest_pending_at;
        }
        char *v = NULL;
        if (store_kv_get(s, STORE_KV_SYNC, "last_success_at", &v, NULL) == 0 && v) {
                char *end = NULL;
                long long x = strtoll(v, &end, 10);
                if (end && *end == '\0' && x > 0)
                        t.last_success_at = x;
        }
        free(v);
        /* The doctor's checks (bounded timeouts each), as `printkioskctl doctor`. */
        json_t *checks = NULL;
        struct app_doctor_opts dopt = {.config_path = d->config_path, .data_dir = d->data_dir};
        app_doctor_run(&dopt, &checks);
        size_t i;
        json_t *c;
        json_array_foreach(checks, i, c) {
                if (t.n_checks >= APP_DESK_MAX_CHECKS)
                        break;
                copy_str(t.checks[t.n_checks].check, sizeof(t.checks[0].check),
                         json_string_value(json_object_get(c, "check")));
                copy_str(t.checks[t.n_checks].status, sizeof(t.checks[0].status),
                         json_string_value(json_object_get(c, "status")));
                copy_str(t.checks[t.n_checks].message, sizeof(t.checks[0].message),
                         json_string_value(json_object_get(c, "message")));
                t.n_checks++;
        }
        json_decref(checks);
        list_targets(d, &t);

        /* Every CUPS queue with its papers. */
        struct app_staffdesk_printer rows[APP_DESK_MAX_PRINTERS];
        int n = 0;
        struct app_print_ctx pc;
        struct app_order_errbuf oe = {{0}};
        if (app_orders_print_ctx(d->orders, "technician", &pc, &oe) == 0) {
                struct drv_printer_status *list = calloc(DRV_PRINTER_QUEUES_MAX, sizeof(*list));
                size_t nl = 0;
                struct drv_errbuf de = {{0}};
                if (list && drv_printer_list(pc.printer, list, DRV_PRINTER_QUEUES_MAX, &nl, &de) == 0) {
                        /* The desk's queue first: it is the one that prints. */
                        const char *q = queue_of(d);
                        for (int pass = 0; pass < 2; pass++)
                                for (size_t k = 0; k < nl && n < APP_DESK_MAX_PRINTERS; k++) {
                                        bool mine = q && strcmp(list[k].name, q) == 0;
                                        if (mine != (pass == 0))
                                                continue;
                                        printer_row(&rows[n], &list[k]);
                                        printer_papers(d, &rows[n]);
                                        n++;
                                }
                }
                free(list);
        }
        pthread_mutex_lock(&d->snap_lock);
        copy_str(t.last_export, sizeof(t.last_export), d->tech.last_export);
        copy_str(t.last_test_job, sizeof(t.last_test_job), d->tech.last_test_job);
        d->tech = t;
        if (n > 0) {
                memcpy(d->printers, rows, (size_t)n * sizeof(rows[0]));
                d->n_printers = n;
        }
        pthread_mutex_unlock(&d->snap_lock);
        return 0;
}

/* fsync a file or a folder (durability of the technician's files). */
static int fsync_path(const char *path, bool dir)
{
        int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        int r = fsync(fd);
        close(fd);
        return r;
}

/* A colour target: primaries, secondaries, a 12-step grey ramp, skin, sky and
 * foliage patches, and a smooth hue sweep; written as an sRGB PNG (temp +
 * fsync + rename + fsync dir). */
static int write_target(const char *dir, const char *path, char *msg, size_t msglen)
{
        static const uint8_t patches[][3] = {
                {255, 0, 0},     {0, 255, 0},     {0, 0, 255},     {0, 255, 255},
                {255, 0, 255},   {255, 255, 0},   {194, 150, 130}, {224, 172, 138},
                {141, 85, 36},   {98, 122, 157},  {87, 108, 67},   {133, 128, 177},
        };
        uint8_t *px = malloc((size_t)TARGET_W * TARGET_H * 3);
        if (!px) {
                snprintf(msg, msglen, "out of memory");
                return -1;
        }
        const int pw = TARGET_W / 6, ph = TARGET_H / 4;
        for (int y = 0; y < TARGET_H; y++) {
                for (int x = 0; x < TARGET_W; x++) {
                        uint8_t *p = px + ((size_t)y * TARGET_W + x) * 3;
                        int row = y / ph, col = x / pw;
                        if (row < 2) {
                                const uint8_t *c = patches[row * 6 + col];
                                p[0] = c[0], p[1] = c[1], p[2] = c[2];
                        } else if (row == 2) { /* grey ramp, 12 steps */
                                int step = x * 12 / TARGET_W;
                                uint8_t g = (uint8_t)(step * 255 / 11);
                                p[0] = p[1] = p[2] = g;
                        } else { /* hue sweep, full saturation */
                                int h = x * 1536 / TARGET_W, f = h % 256;
                                int seg = h / 256;
                                int r = 0, g = 0, b = 0;
                                switch (seg) {
                                case 0: r = 255, g = f; break;
                                case 1: r = 255 - f, g = 255; break;
                                case 2: g = 255, b = f; break;
                                case 3: g = 255 - f, b = 255; break;
                                case 4: r = f, b = 255; break;
                                default: r = 255, b = 255 - f; break;
                                }
                                p[0] = (uint8_t)r, p[1] = (uint8_t)g, p[2] = (uint8_t)b;
                        }
                        /* thin white lines between patches, for the eye */
                        if (row < 3 && (x % pw < 3 || y % ph < 3))
                                p[0] = p[1] = p[2] = 255;
                }
        }
        char tmp[PATH_MAX + 16];
        snprintf(tmp, sizeof(tmp), "%s.tmp.png", path);
        VipsImage *im = vips_image_new_from_memory(px, (size_t)TARGET_W * TARGET_H * 3, TARGET_W,
                                                   TARGET_H, 3, VIPS_FORMAT_UCHAR);
        int r = im ? vips_image_write_to_file(im, tmp, NULL) : -1;
        if (im)
                g_object_unref(im);
        free(px);
        if (r != 0) {
                snprintf(msg, msglen, "colour target: %s", vips_error_buffer());
                vips_error_clear();
                unlink(tmp);
                return -1;
        }
        if (fsync_path(tmp, false) != 0 || rename(tmp, path) != 0 || fsync_path(dir, true) != 0) {
                snprintf(msg, msglen, "colour target: %s", strerror(errno));
                unlink(tmp);
                return -1;
        }
        return 0;
}

static void uuid_v4(char out[STORE_ID_SIZE])
{
        uint8_t b[16] = {0};
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
                /* getrandom on Linux >= 3.17 does not fail for 16 bytes; keep the id unique anyway */
                int64_t t = now_ms();
                memcpy(b, &t, sizeof(t));
        }
        b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
        b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
        snprintf(out, STORE_ID_SIZE,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                 b[15]);
}

/* <dir>/last-test-print.json: which job the last test print was, so a
 * technician (or a test) can find it in CUPS and on the printer. Durable
 * (temp + fsync + rename + fsync dir); a failure only loses this note. */
static void write_test_record(const char *dir, const char *job_id, const char *queue,
                              const char *paper, int cups_id)
{
        json_t *j = json_pack("{s:s, s:s, s:s, s:i}", "job_id", job_id, "queue", queue, "paper",
                              paper, "cups_job_id", cups_id);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        char path[PATH_MAX + 32], tmp[PATH_MAX + 48];
        snprintf(path, sizeof(path), "%s/last-test-print.json", dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
        if (fd >= 0) {
                size_t len = strlen(text);
                bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
                ok = close(fd) == 0 && ok;
                if (ok && rename(tmp, path) == 0)
                        (void)fsync_path(dir, true);
                else
                        unlink(tmp);
        }
        free(text);
}

/* Send the rendered target as one job pk-<uuid> (no store row: not an order). */
static int submit_target(struct app_staffdesk *d, const char *q, const char *master,
                         const struct img_product *prod, char job_id[STORE_ID_SIZE], int *ret_cups)
{
        struct app_print_ctx pc;
        struct app_order_errbuf oe = {{0}};
        if (app_orders_print_ctx(d->orders, "technician", &pc, &oe) < 0) {
                set_message(d, "test print: %s", oe.msg);
                return -1;
        }
        uuid_v4(job_id);
        struct drv_print_spec ps = {
                .queue = q, .path = master, .mime = "image/png", .job_id = job_id, .copies = 1,
                .media = prod->media, .borderless = prod->borderless, .colour = DRV_COLOUR_AUTO,
        };
        struct drv_errbuf de = {{0}};
        if (drv_printer_submit(pc.printer, &ps, ret_cups, &de) < 0) {
                set_message(d, "test print: %s", de.msg);
                return -1;
        }
        return 0;
}

static int do_test_print(struct app_staffdesk *d, const struct cmd *c)
{
        const char *q = c->a[0] ? c->a : queue_of(d);
        const char *paper_name = c->b[0] ? c->b : "glossy";
        const struct img_catalogue *cat = app_orders_catalogue(d->orders);
        const struct img_product *prod = img_catalogue_find(cat, TEST_SKU);
        struct img_render_spec *spec = NULL;
        struct img_probe probe;
        struct img_paper paper;
        struct img_render_result res;
        struct img_errbuf ie = {{0}};
        struct app_order_errbuf oe = {{0}};
        char dir[PATH_MAX], target[PATH_MAX], master[PATH_MAX], msg[200] = "";
        char job_id[STORE_ID_SIZE] = "";
        int cups_id = 0, rc = APP_DESK_E_FAILED;
        if (!q) {
                set_message(d, "no printer queue configured");
                return APP_DESK_E_UNAVAILABLE;
        }
        if (!prod)
                prod = img_catalogue_at(cat, 0);
        if (!prod) {
                set_message(d, "test print: empty catalogue");
                return APP_DESK_E_FAILED;
        }
        if ((size_t)snprintf(dir, sizeof(dir), "%s/techprint", d->data_dir) >= sizeof(dir) - 48) {
                set_message(d, "test print: data folder path too long");
                return APP_DESK_E_FAILED;
        }
        /* dir leaves 48 bytes: the two names below always fit */
        snprintf(target, sizeof(target), "%.*s/target.png", (int)(sizeof(dir) - 48), dir);
        snprintf(master, sizeof(master), "%.*s/target-%.32s.png", (int)(sizeof(dir) - 48), dir,
                 paper_name);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                set_message(d, "test print: %s", strerror(errno));
                return APP_DESK_E_FAILED;
        }
        if (write_target(dir, target, msg, sizeof(msg)) != 0) {
                set_message(d, "%s", msg);
                return APP_DESK_E_FAILED;
        }
        if (app_orders_paper(d->orders, paper_name, &paper, &oe) < 0) {
                set_message(d, "test print: %s", oe.msg);
                return APP_DESK_E_NOT_FOUND;
        }
        spec = calloc(1, sizeof(*spec));
        if (!spec) {
                set_message(d, "test print: out of memory");
                return APP_DESK_E_NOMEM;
        }
        /* In process on purpose: target.png is the chart write_target() just
         * drew from a fixed pattern in our own data folder, not a customer's
         * photo (those are probed in the decode helpers, app/orders.c). */
        if (img_probe_file(target, 0, &probe, &ie) < 0 ||
            img_render_spec_init_from(target, &probe, prod, &paper, first_printer_model(&d->cfg), 0,
                                      NULL, IMG_OUT_PNG, app_orders_profiles_dir(d->orders), spec,
                                      NULL, &ie) < 0 ||
            img_render_master(spec, master, 0, &res, &ie) < 0)
                set_message(d, "test print: %s", ie.msg);
        else if (submit_target(d, q, master, prod, job_id, &cups_id) == 0)
                rc = 0;
        free(spec);
        if (rc < 0)
                return rc;
        write_test_record(dir, job_id, q, paper_name, cups_id);
        pthread_mutex_lock(&d->snap_lock);
        snprintf(d->tech.last_test_job, sizeof(d->tech.last_test_job), "pk-%.36s", job_id);
        pthread_mutex_unlock(&d->snap_lock);
        set_message(d, "test print sent to %s (job %d, %s)", q, cups_id, paper_name);
        return 0;
}

static int do_export(struct app_staffdesk *d, int target)
{
        char name[64] = "";
        pthread_mutex_lock(&d->snap_lock);
        if (target >= 0 && target < d->tech.n_targets)
                copy_str(name, sizeof(name), d->tech.targets[target]);
        pthread_mutex_unlock(&d->snap_lock);
        if (!name[0])
                return APP_DESK_E_NOT_FOUND;
        char stamp[32], out[PATH_MAX];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(out, sizeof(out), "%s/%s/printkiosk-logs-%s", d->export_root ? d->export_root : "/media",
                 name, stamp);
        struct app_export_opts o = {
                .config_path = d->config_path, .data_dir = d->data_dir, .journalctl = d->journalctl,
        };
        struct app_export_result res;
        struct store_errbuf se = {{0}};
        if (app_export_logs(&o, out, &res, &se) < 0) {
                set_message(d, "export: %s", se.msg);
                return APP_DESK_E_FAILED;
        }
        pthread_mutex_lock(&d->snap_lock);
        snprintf(d->tech.last_export, sizeof(d->tech.last_export), "%s/printkiosk-logs-%s", name,
                 stamp);
        pthread_mutex_unlock(&d->snap_lock);
        set_message(d, "%d files, %lld bytes written%s", res.files, (long long)res.bytes,
                    res.journal_ok ? "" : " (no journal)");
        return 0;
}

/* ---- the worker ----------------------------------------------------------------- */

static bool needs_staff(int op)
{
        return op != APP_DESK_OP_TECH_PIN;
}

static bool needs_tech(int op)
{
        return op == APP_DESK_OP_TECH_REFRESH || op == APP_DESK_OP_TEST_PRINT ||
               op == APP_DESK_OP_EXPORT;
}

static void run_cmd(struct app_staffdesk *d, const struct cmd *c)
{
        char actor[48];
        int64_t wait = 0;
        int rc = 0;
        bool staff = staff_actor(d, actor);
        if ((needs_staff(c->op) && !staff) || (needs_tech(c->op) && !tech_signed_in(d)))
                rc = APP_DESK_E_DENIED;
        else if (c->op != APP_DESK_OP_TECH_PIN)
                rc = ensure_orders(d);
        if (rc == 0) {
                switch (c->op) {
                case APP_DESK_OP_REFRESH:
                        rc = refresh_orders(d);
                        refresh_printer(d);
                        break;
                case APP_DESK_OP_SEARCH: rc = do_search(d, c->a); break;
                case APP_DESK_OP_OPEN: rc = load_and_open(d, c->a, NULL); break;
                case APP_DESK_OP_REPRINT: rc = do_reprint(d, c, actor); break;
                case APP_DESK_OP_COLLECT: rc = do_collect(d, c->a, actor); break;
                case APP_DESK_OP_CANCEL: rc = do_cancel(d, c, actor); break;
                case APP_DESK_OP_TECH_PIN: rc = do_tech_pin(d, c->a, &wait); break;
                case APP_DESK_OP_TECH_REFRESH: rc = do_tech_refresh(d); break;
                case APP_DESK_OP_TEST_PRINT: rc = do_test_print(d, c); break;
                case APP_DESK_OP_EXPORT: rc = do_export(d, c->n); break;
                default: rc = APP_DESK_E_INVALID; break;
                }
        }
        post(d, c->op, c->id, rc, wait);
}

static void *worker_main(void *arg)
{
        struct app_staffdesk *d = arg;
        for (;;) {
                pthread_mutex_lock(&d->cmd_lock);
                while (d->count == 0 && !d->stop) {
                        if (d->n_follows > 0) {
                                struct timespec ts;
                                clock_gettime(CLOCK_REALTIME, &ts);
                                ts.tv_nsec += (long)APP_PRINT_POLL_MS * 1000000L;
                                ts.tv_sec += ts.tv_nsec / 1000000000L;
                                ts.tv_nsec %= 1000000000L;
                                if (pthread_cond_timedwait(&d->cmd_cond, &d->cmd_lock, &ts) ==
                                    ETIMEDOUT)
                                        break;
                        } else {
                                pthread_cond_wait(&d->cmd_cond, &d->cmd_lock);
                        }
                }
                if (d->stop) {
                        pthread_mutex_unlock(&d->cmd_lock);
                        break;
                }
                struct cmd c;
                bool have = d->count > 0;
                if (have) {
                        c = d->ring[d->head];
                        d->head = (d->head + 1) % APP_DESK_QUEUE;
                        d->count--;
                }
                d->running = true;
                pthread_mutex_unlock(&d->cmd_lock);
                if (have)
                        run_cmd(d, &c);
                else if (d->orders)
                        follow_pass(d);
                pthread_mutex_lock(&d->cmd_lock);
                d->running = false;
                pthread_mutex_unlock(&d->cmd_lock);
        }
        return NULL;
}

static int64_t enqueue(struct app_staffdesk *d, int op, const char *a, const char *b, int n)
{
        if (!d)
                return APP_DESK_E_INVALID;
        if ((a && strlen(a) >= sizeof(((struct cmd *)0)->a)) ||
            (b && strlen(b) >= sizeof(((struct cmd *)0)->b)))
                return APP_DESK_E_INVALID;
        pthread_mutex_lock(&d->cmd_lock);
        if (d->count >= APP_DESK_QUEUE) {
                pthread_mutex_unlock(&d->cmd_lock);
                return APP_DESK_E_BUSY;
        }
        struct cmd *c = &d->ring[(d->head + d->count) % APP_DESK_QUEUE];
        memset(c, 0, sizeof(*c));
        c->op = op;
        c->id = ++d->next_id;
        copy_str(c->a, sizeof(c->a), a);
        copy_str(c->b, sizeof(c->b), b);
        c->n = n;
        d->count++;
        int64_t id = c->id;
        pthread_cond_signal(&d->cmd_cond);
        pthread_mutex_unlock(&d->cmd_lock);
        return id;
}

/* ---- public API -------------------------------------------------------------------- */

struct app_staffdesk *app_staffdesk_new(const struct app_staffdesk_config *cfg,
                                        struct app_bus *bus, char *errbuf, size_t errlen)
{
        if (!cfg || !bus) {
                snprintf(errbuf, errlen, "staffdesk: no configuration or bus");
                return NULL;
        }
        struct app_staffdesk *d = calloc(1, sizeof(*d));
        if (!d) {
                snprintf(errbuf, errlen, "staffdesk: out of memory");
                return NULL;
        }
        d->bus = bus;
        d->idle_timeout_ms = cfg->idle_timeout_ms <= 0 ? APP_DESK_IDLE_TIMEOUT_MS
                             : cfg->idle_timeout_ms < APP_DESK_IDLE_TIMEOUT_MIN_MS
                                     ? APP_DESK_IDLE_TIMEOUT_MIN_MS
                                     : cfg->idle_timeout_ms;
        pthread_mutex_init(&d->cmd_lock, NULL);
        pthread_cond_init(&d->cmd_cond, NULL);
        pthread_mutex_init(&d->snap_lock, NULL);
        bool ok = true;
        d->data_dir = dup_opt(cfg->data_dir, &ok);
        d->config_path = dup_opt(cfg->config_path, &ok);
        d->queue = dup_opt(cfg->printer_queue, &ok);
        d->tech_pin_path = dup_opt(cfg->tech_pin_path, &ok);
        d->export_root = dup_opt(cfg->export_root, &ok);
        d->journalctl = dup_opt(cfg->journalctl, &ok);
        if (!ok) {
                snprintf(errbuf, errlen, "staffdesk: out of memory");
                return app_staffdesk_free(d);
        }
        /* The configuration is read here, before the worker starts, so printer
         * papers and the central URL are known without a file read later. */
        app_config_defaults(&d->cfg);
        if (d->config_path && app_config_load(d->config_path, &d->cfg, NULL) < 0)
                app_config_defaults(&d->cfg); /* `config check` reports it; use defaults */
        if (pthread_create(&d->worker, NULL, worker_main, d) != 0) {
                snprintf(errbuf, errlen, "staffdesk: cannot start its worker");
                return app_staffdesk_free(d);
        }
        d->worker_started = true;
        return d;
}

struct app_staffdesk *app_staffdesk_free(struct app_staffdesk *d)
{
        if (!d)
                return NULL;
        if (d->worker_started) {
                pthread_mutex_lock(&d->cmd_lock);
                d->stop = true;
                pthread_cond_signal(&d->cmd_cond);
                pthread_mutex_unlock(&d->cmd_lock);
                pthread_join(d->worker, NULL);
        }
        app_orders_free(d->orders);
        app_staff_pin_free(d->tech_pin);
        free(d->data_dir);
        free(d->config_path);
        free(d->queue);
        free(d->tech_pin_path);
        free(d->export_root);
        free(d->journalctl);
        pthread_mutex_destroy(&d->cmd_lock);
        pthread_cond_destroy(&d->cmd_cond);
        pthread_mutex_destroy(&d->snap_lock);
        free(d);
        return NULL;
}

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int app_staffdesk_begin(struct app_staffdesk *d, const char *staff_id)
{
        size_t n = staff_id ? strlen(staff_id) : 0;
        if (!d || n < 1 || n > APP_DESK_STAFF_ID_MAX)
                return APP_DESK_E_INVALID;
        for (size_t i = 0; i < n; i++)
                if (staff_id[i] < '0' || staff_id[i] > '9')
                        return APP_DESK_E_INVALID;
        pthread_mutex_lock(&d->snap_lock);
        snprintf(d->actor, sizeof(d->actor), "staff:%s", staff_id);
        d->signed_in = true;
        d->tech_ok = false;
        pthread_mutex_unlock(&d->snap_lock);
        d->last_activity_ms = mono_ms();
        /* Audit line (the store's audit rows belong to orders): who opened
         * staff mode; the staff number identifies an employee, no customer. */
        app_log(APP_LOG_INFO, "audit: staff session started by staff:%s", staff_id);
        return 0;
}

/* Leave staff mode; `why` is logged with the actor when someone was signed in. */
static void end_session(struct app_staffdesk *d, const char *why)
{
        pthread_mutex_lock(&d->snap_lock);
        bool was = d->signed_in;
        bool tech = d->tech_ok;
        char actor[48];
        snprintf(actor, sizeof(actor), "%s", d->actor);
        d->signed_in = d->tech_ok = false;
        d->actor[0] = '\0';
        d->n_orders = 0;
        d->n_printers = 0;
        memset(&d->detail, 0, sizeof(d->detail));
        memset(&d->tech, 0, sizeof(d->tech));
        d->message[0] = '\0';
        pthread_mutex_unlock(&d->snap_lock);
        if (was)
                app_log(APP_LOG_INFO, "audit: staff session of %s ended (%s%s)", actor, why,
                        tech ? ", technician mode" : "");
}

void app_staffdesk_end(struct app_staffdesk *d)
{
        if (!d)
                return;
        end_session(d, "signed out");
}

void app_staffdesk_activity(struct app_staffdesk *d, int64_t now_ms)
{
        if (d && now_ms > d->last_activity_ms)
                d->last_activity_ms = now_ms;
}

bool app_staffdesk_idle_check(struct app_staffdesk *d, int64_t now_ms)
{
        if (!d || !app_staffdesk_signed_in(d))
                return false;
        if (now_ms - d->last_activity_ms < d->idle_timeout_ms)
                return false;
        char why[64];
        snprintf(why, sizeof(why), "inactivity, %lld s", (long long)(d->idle_timeout_ms / 1000));
        end_session(d, why);
        return true;
}

int64_t app_staffdesk_idle_timeout_ms(struct app_staffdesk *d)
{
        return d ? d->idle_timeout_ms : APP_DESK_IDLE_TIMEOUT_MS;
}

bool app_staffdesk_signed_in(struct app_staffdesk *d)
{
        pthread_mutex_lock(&d->snap_lock);
        bool r = d->signed_in;
        pthread_mutex_unlock(&d->snap_lock);
        return r;
}

bool app_staffdesk_technician(struct app_staffdesk *d)
{
        return tech_signed_in(d);
}

int64_t app_staffdesk_refresh(struct app_staffdesk *d)
{
        return enqueue(d, APP_DESK_OP_REFRESH, NULL, NULL, 0);
}

/* A pickup code as typed: 1..7 of the code alphabet and '-'. */
static bool code_ok(const char *code)
{
        size_t n = code ? strlen(code) : 0;
        if (n < 1 || n > 7)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((code[i] >= '0' && code[i] <= '9') || (code[i] >= 'A' && code[i] <= 'Z') ||
                      (code[i] >= 'a' && code[i] <= 'z') || code[i] == '-'))
                        return false;
        return true;
}

int64_t app_staffdesk_search(struct app_staffdesk *d, const char *code)
{
        if (!code_ok(code))
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_SEARCH, code, NULL, 0);
}

int64_t app_staffdesk_open(struct app_staffdesk *d, const char *order_id)
{
        if (!order_id || !order_id[0])
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_OPEN, order_id, NULL, 0);
}

int64_t app_staffdesk_reprint(struct app_staffdesk *d, const char *order_id, int item,
                              const char *reason)
{
        if (!order_id || !order_id[0] || item < 0 || item >= STORE_MAX_ITEMS || !reason ||
            !reason[0] || strlen(reason) > APP_DESK_REASON_MAX)
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_REPRINT, order_id, reason, item);
}

int64_t app_staffdesk_collect(struct app_staffdesk *d, const char *order_id)
{
        if (!order_id || !order_id[0])
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_COLLECT, order_id, NULL, 0);
}

int64_t app_staffdesk_cancel(struct app_staffdesk *d, const char *order_id, const char *reason)
{
        if (!order_id || !order_id[0] || !reason || !reason[0] ||
            strlen(reason) > APP_DESK_REASON_MAX)
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_CANCEL, order_id, reason, 0);
}

int64_t app_staffdesk_tech_pin_submit(struct app_staffdesk *d, const char *pin)
{
        if (!pin || strlen(pin) > APP_PIN_MAX_LEN)
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_TECH_PIN, pin, NULL, 0);
}

int64_t app_staffdesk_tech_refresh(struct app_staffdesk *d)
{
        return enqueue(d, APP_DESK_OP_TECH_REFRESH, NULL, NULL, 0);
}

int64_t app_staffdesk_test_print(struct app_staffdesk *d, const char *queue, const char *paper)
{
        if (paper) {
                for (const char *p = paper; *p; p++)
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                              *p == '_'))
                                return APP_DESK_E_INVALID; /* it names a file */
        }
        return enqueue(d, APP_DESK_OP_TEST_PRINT, queue, paper, 0);
}

int64_t app_staffdesk_export_logs(struct app_staffdesk *d, int target)
{
        if (target < 0 || target >= APP_DESK_MAX_TARGETS)
                return APP_DESK_E_INVALID;
        return enqueue(d, APP_DESK_OP_EXPORT, NULL, NULL, target);
}

int app_staffdesk_orders(struct app_staffdesk *d, struct app_staffdesk_order *ret, int max)
{
        pthread_mutex_lock(&d->snap_lock);
        int n = d->n_orders < max ? d->n_orders : max;
        if (n > 0)
                memcpy(ret, d->orders_snap, (size_t)n * sizeof(*ret));
        int all = d->n_orders;
        pthread_mutex_unlock(&d->snap_lock);
        return all;
}

void app_staffdesk_detail(struct app_staffdesk *d, struct app_staffdesk_detail *ret)
{
        pthread_mutex_lock(&d->snap_lock);
        *ret = d->detail;
        pthread_mutex_unlock(&d->snap_lock);
}

int app_staffdesk_printers(struct app_staffdesk *d, struct app_staffdesk_printer *ret, int max)
{
        pthread_mutex_lock(&d->snap_lock);
        int n = d->n_printers < max ? d->n_printers : max;
        if (n > 0)
                memcpy(ret, d->printers, (size_t)n * sizeof(*ret));
        int all = d->n_printers;
        pthread_mutex_unlock(&d->snap_lock);
        return all;
}

void app_staffdesk_tech(struct app_staffdesk *d, struct app_staffdesk_tech *ret)
{
        pthread_mutex_lock(&d->snap_lock);
        *ret = d->tech;
        pthread_mutex_unlock(&d->snap_lock);
}

void app_staffdesk_message(struct app_staffdesk *d, char *ret, size_t len)
{
        pthread_mutex_lock(&d->snap_lock);
        copy_str(ret, len, d->message);
        pthread_mutex_unlock(&d->snap_lock);
}

bool app_staffdesk_busy(struct app_staffdesk *d)
{
        pthread_mutex_lock(&d->cmd_lock);
        bool r = d->count > 0 || d->running;
        pthread_mutex_unlock(&d->cmd_lock);
        return r;
}
