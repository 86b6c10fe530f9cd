/* sync/order_state: the order state machine. Every change of an order's state
 * after creation goes through here, so the table below is the whole truth.
 *
 *                      store_order_lock()
 *        ┌───────┐  ──────────────────►  ┌────────┐  render start  ┌───────────┐
 *        │ draft │                       │ locked │ ─────────────► │ rendering │
 *        └───┬───┘                       └───┬────┘                └─────┬─────┘
 *            │ abandon                       │                           │ masters done
 *            ▼                               │                           ▼
 *      ┌───────────┐ ◄───────────────────────┴──── (cancel) ──────  ┌────────┐ ◄── received
 *      │ cancelled │ ◄─────────── (cancel) ──────────────────────── │ queued │     (accept,
 *      └───────────┘                                                └───┬────┘      assets in)
 *            ▲                                                          │ first job submitted
 *            │ (cancel)  ┌────────┐  staff retry  ◄─ failed ◄─ (any     ▼ of locked..printing)
 *            └───────────┤ failed │ ──────────────► queued / rendering  printing
 *                        └────────┘                                     │ all jobs completed
 *                                                                       ▼
 *                            collected ◄── handover ── ready ◄─ shelf ─ printed
 *                                ▲                                      │
 *                                └────────────── handover at once ──────┘
 *
 * Transitions (from → to: who performs it, via which function; event sent to HQ):
 *   draft     → locked     customer confirms: store_order_lock()            "order" (the order itself)
 *   draft     → cancelled  customer abandons / session wipe                 none (HQ never knew it)
 *   locked    → rendering  render worker starts masters                     none
 *   locked    → cancelled  staff/customer before printing                   cancelled
 *   locked    → failed     render cannot start (missing photo)              failed
 *   rendering → queued     all masters durable                              none
 *   rendering → failed     render error                                     failed
 *   rendering → cancelled  staff                                            cancelled
 *   received  → queued     app order's assets downloaded (sync worker)      none ("accepted" was
 *                                                                           queued on insert)
 *   received  → failed     assets cannot be fetched                         failed
 *   received  → cancelled  staff                                            cancelled
 *   queued    → printing   print path submits the first job                 printing
 *   queued    → failed     no usable printer/paper                          failed
 *   queued    → cancelled  staff/customer                                   cancelled
 *   printing  → printed    every job completed                              printed
 *   printing  → failed     a job failed (media-empty, aborted...)           failed
 *   printing  → cancelled  staff (a cancelled CUPS job may still print)     cancelled
 *   printed   → ready      put on the pickup shelf                          ready
 *   printed   → collected  handed over at once                              collected
 *   ready     → collected  staff hands over                                 collected
 *   failed    → queued     staff retry (masters exist)                      none (printing follows)
 *   failed    → rendering  staff retry from rendering                       none
 *   failed    → cancelled  staff gives up                                   cancelled
 * All other pairs are illegal. collected and cancelled are final. A reprint
 * (store_job_reprint in store.c) from printed/ready/collected does not change the
 * state; it writes a "reprint" audit row and a "reprinted" event.
 * Every transition is idempotent: asking for the state the order is already in
 * returns 0 and writes nothing.
 */
#include "sync/order_state.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/store_internal.h"

static const char *const names[_ORDER_STATE_MAX] = {
        [ORDER_DRAFT] = "draft",         [ORDER_LOCKED] = "locked",
        [ORDER_RENDERING] = "rendering", [ORDER_QUEUED] = "queued",
        [ORDER_PRINTING] = "printing",   [ORDER_PRINTED] = "printed",
        [ORDER_READY] = "ready",         [ORDER_COLLECTED] = "collected",
        [ORDER_CANCELLED] = "cancelled", [ORDER_FAILED] = "failed",
        [ORDER_RECEIVED] = "received",
};

#define T(s) (1u << (s))
/* allowed[from] = set of states reachable in one step. */
static const unsigned allowed[_ORDER_STATE_MAX] = {
        [ORDER_DRAFT] = T(ORDER_LOCKED) | T(ORDER_CANCELLED),
        [ORDER_LOCKED] = T(ORDER_RENDERING) | T(ORDER_CANCELLED) | T(ORDER_FAILED),
        [ORDER_RENDERING] = T(ORDER_QUEUED) | T(ORDER_FAILED) | T(ORDER_CANCELLED),
        [ORDER_RECEIVED] = T(ORDER_QUEUED) | T(ORDER_FAILED) | T(ORDER_CANCELLED),
        [ORDER_QUEUED] = T(ORDER_PRINTING) | T(ORDER_FAILED) | T(ORDER_CANCELLED),
        [ORDER_PRINTING] = T(ORDER_PRINTED) | T(ORDER_FAILED) | T(ORDER_CANCELLED),
        [ORDER_PRINTED] = T(ORDER_READY) | T(ORDER_COLLECTED),
        [ORDER_READY] = T(ORDER_COLLECTED),
        [ORDER_COLLECTED] = 0,
        [ORDER_CANCELLED] = 0,
        [ORDER_FAILED] = T(ORDER_QUEUED) | T(ORDER_RENDERING) | T(ORDER_CANCELLED),
};
#undef T

const char *store_order_state_name(enum order_state s)
{
        return (unsigned)s < _ORDER_STATE_MAX ? names[s] : "invalid";
}

int store_order_state_parse(const char *name, enum order_state *ret_state)
{
        for (int i = 0; name && i < _ORDER_STATE_MAX; i++) {
                if (strcmp(names[i], name) == 0) {
                        *ret_state = (enum order_state)i;
                        return 0;
                }
        }
        return STORE_E_INVALID;
}

bool store_order_transition_allowed(enum order_state from, enum order_state to)
{
        if ((unsigned)from >= _ORDER_STATE_MAX || (unsigned)to >= _ORDER_STATE_MAX)
                return false;
        return (allowed[from] & (1u << to)) != 0;
}

const char *store_order_transition_event(enum order_state from, enum order_state to)
{
        if (!store_order_transition_allowed(from, to))
                return NULL;
        switch (to) {
        case ORDER_LOCKED:
                return "order";
        case ORDER_PRINTING:
                return "printing";
        case ORDER_PRINTED:
                return "printed";
        case ORDER_READY:
                return "ready";
        case ORDER_COLLECTED:
                return "collected";
        case ORDER_CANCELLED:
                /* A draft was never sent: nothing to cancel at headquarters. */
                return from == ORDER_DRAFT ? NULL : "cancelled";
        case ORDER_FAILED:
                return "failed";
        default:
                return NULL; /* rendering, queued: internal progress */
        }
}

bool store_order_state_is_final(enum order_state s)
{
        return s == ORDER_COLLECTED || s == ORDER_CANCELLED;
}

bool store_actor_valid(const char *actor)
{
        if (!actor)
                return false;
        if (strcmp(actor, "customer") == 0 || strcmp(actor, "system") == 0 ||
            strcmp(actor, "technician") == 0)
                return true;
        if (strncmp(actor, "staff:", 6) != 0)
                return false;
        const char *id = actor + 6;
        size_t n = strnlen(id, 33);
        if (n < 1 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return false;
        }
        return true;
}

int store_order_apply(struct store *s, const char *order_id, enum order_state from,
                      enum order_state to, const char *actor, const char *reason,
                      struct store_errbuf *err)
{
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                int r = store_stmt(s, "UPDATE orders SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                                   &st, err);
                if (r < 0)
                        return r;
                store_bind_text(st, 1, names[to]);
                sqlite3_bind_int64(st, 2, store_now_ms(s));
                store_bind_text(st, 3, order_id);
                store_bind_text(st, 4, names[from]);
                r = store_step_done(s, st, err, "update order state");
                if (r < 0)
                        return r;
                if (sqlite3_changes(s->db) != 1)
                        return store_fail(err, STORE_E_CONFLICT, "order %s changed state meanwhile",
                                          order_id);
        }
        int r = store_audit_insert(s, order_id, "transition", names[from], names[to], actor, reason, err);
        if (r < 0)
                return r;
        const char *event = store_order_transition_event(from, to);
        if (!event)
                return 0;
        if (strcmp(event, "order") == 0) {
                char *body = NULL;
                r = store_order_json(s, order_id, &body, err);
                if (r < 0)
                        return r;
                r = store_outbox_insert(s, order_id, "order", NULL, order_id, body, NULL, err);
                free(body);
                return r;
        }
        char *detail = NULL;
        if (reason && *reason) {
                json_t *d = json_pack("{s:s}", "reason", reason);
                detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
                json_decref(d);
                if (!detail)
                        return store_fail(err, STORE_E_INVALID, "reason is not valid UTF-8");
        }
        r = store_outbox_insert_event(s, order_id, event, actor, detail, err);
        free(detail);
        return r;
}

int store_order_transition(struct store *s, const char *order_id, enum order_state to,
                           const char *actor, const char *reason, struct store_errbuf *err)
{
        if (!order_id || (unsigned)to >= _ORDER_STATE_MAX)
                return store_fail(err, STORE_E_INVALID, "bad order id or state");
        if (!store_actor_valid(actor))
                return store_fail(err, STORE_E_INVALID, "bad actor");
        if (reason && strlen(reason) > 200)
                return store_fail(err, STORE_E_INVALID, "reason longer than 200 bytes");
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        enum order_state from;
        r = store_order_state_get(s, order_id, &from, err);
        if (r < 0)
                goto fail;
        if (from == to) {
                store_tx_rollback(s); /* idempotent repeat: nothing written */
                return 0;
        }
        if (to == ORDER_LOCKED) {
                r = store_fail(err, STORE_E_INVALID, "use store_order_lock() to lock an order");
                goto fail;
        }
        if (!store_order_transition_allowed(from, to)) {
                r = store_fail(err, STORE_E_ILLEGAL, "order %s: from %s to %s is not allowed", order_id,
                               names[from], names[to]);
                goto fail;
        }
        r = store_order_apply(s, order_id, from, to, actor, reason, err);
        if (r < 0)
                goto fail;
        return store_tx_commit(s, err);
fail:
        store_tx_rollback(s);
        return r;
}
