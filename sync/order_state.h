/* sync/order_state: the order state machine, checked in one place.
 *
 *   draft → locked → rendering → queued → printing → printed → ready → collected
 *   plus cancelled, failed (needs staff) and received (phone-app order pulled from
 *   headquarters, enters at queued).
 *
 * The full transition table, with the function that performs each transition, is
 * drawn at the top of sync/order_state.c. store_order_transition() is the only
 * function that changes an order's state after it is locked; it writes the state,
 * one audit row and (where headquarters must learn it) one outbox row in ONE
 * SQLite transaction, so after a crash either all three exist or none does.
 *
 * Actors (audit and event "actor"): "customer", "system", "technician" or
 * "staff:<id>" with <id> 1..32 of [A-Za-z0-9_-]. Anything else is STORE_E_INVALID.
 */
#pragma once
#include <stdbool.h>

#include "sync/error.h"

struct store;

/* Numbers are stored nowhere (the database keeps the names), but keep them stable. */
enum order_state {
        ORDER_DRAFT = 0,  /* customer is choosing; items may be added */
        ORDER_LOCKED,     /* confirmed and priced; sent to headquarters as an "order" */
        ORDER_RENDERING,  /* print masters being made */
        ORDER_QUEUED,     /* masters ready, waiting for the printer */
        ORDER_PRINTING,   /* at least one print job submitted */
        ORDER_PRINTED,    /* every job completed */
        ORDER_READY,      /* on the pickup shelf */
        ORDER_COLLECTED,  /* handed over: final */
        ORDER_CANCELLED,  /* final */
        ORDER_FAILED,     /* needs staff: retry (→ queued / rendering) or cancel */
        ORDER_RECEIVED,   /* phone-app order pulled from headquarters */
        _ORDER_STATE_MAX,
        _ORDER_STATE_INVALID = -1,
};

/* "draft", "locked", ... (static string); "invalid" for out-of-range values. */
const char *store_order_state_name(enum order_state s);
/* Parse a name as written by store_order_state_name(); returns 0 or STORE_E_INVALID. */
int store_order_state_parse(const char *name, enum order_state *ret_state);

/* True when from → to is in the transition table. from == to is NOT in the table
 * (store_order_transition() treats it as an idempotent no-op before asking). */
bool store_order_transition_allowed(enum order_state from, enum order_state to);

/* The central API event type HQ receives for a transition into `to` from `from`
 * ("printing", "printed", "ready", "collected", "cancelled", "failed"), "order"
 * for draft → locked (the order itself is sent), or NULL when HQ is told nothing
 * (e.g. rendering → queued, or draft → cancelled: HQ never knew the order). */
const char *store_order_transition_event(enum order_state from, enum order_state to);

/* True for collected and cancelled: nothing leaves them. */
bool store_order_state_is_final(enum order_state s);

/* Validate an actor string (see above). */
bool store_actor_valid(const char *actor);

/* Move order `order_id` to `to`, in one transaction:
 *   - reads the current state;
 *   - already in `to`: returns 0 and writes nothing (idempotent repeat);
 *   - not allowed: returns STORE_E_ILLEGAL, err says "from X to Y";
 *   - else updates the order (updated_at), writes one audit row (actor, from, to,
 *     reason) and, when store_order_transition_event() names one, one outbox row:
 *     kind "event" with a fresh event_id and the contract body
 *     {"event_id","type","at","actor","detail":{"reason":...}}.
 * to == ORDER_LOCKED is refused with STORE_E_INVALID: use store_order_lock(),
 * which also prices the order (see sync/store.h).
 * reason may be NULL (stored as ""); it is free text from staff or the system,
 * never customer data. Errors: STORE_E_NOT_FOUND (no such order), STORE_E_INVALID,
 * STORE_E_ILLEGAL, STORE_E_BUSY, STORE_E_IO. */
int store_order_transition(struct store *s, const char *order_id, enum order_state to,
                           const char *actor, const char *reason, struct store_errbuf *err);
