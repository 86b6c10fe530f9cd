/* sync/outbox: the store side of the outbox towards headquarters.
 *
 * Rows are written by the same transaction as the local change they announce
 * (store_order_lock → kind "order"; store_order_transition / store_job_reprint /
 * store_order_insert_remote → kind "event"), or by store_outbox_enqueue() for
 * asset uploads. The sync worker (its own struct store, its own thread) then:
 *
 *   for (;;) { store_outbox_claim(...)  → send → store_outbox_mark_sent
 *                                               | store_outbox_retry
 *                                               | store_outbox_dead }
 *
 * Ordering: rows of one order are delivered oldest first and never overtake each
 * other: a row is claimable only when no older PENDING row of the same order
 * exists (a dead row does not block the ones after it: the contract says "other
 * events go on"). Rows of different orders, and rows with no order (asset
 * uploads), are independent. Among claimable rows, the earliest due goes first.
 *
 * Delivery is at least once: a claim leases the row (next_attempt_at = now +
 * lease) and counts the attempt, so a worker that crashes mid-send retries it
 * after the lease; the server de-duplicates by idempotency key / event_id.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"
#include "sync/store.h"

enum store_outbox_kind {
        STORE_OUTBOX_ORDER = 0,   /* POST /v1/orders, Idempotency-Key = order_id */
        STORE_OUTBOX_EVENT,       /* POST /v1/orders/<id>/events, key = event_id */
        STORE_OUTBOX_ASSET,       /* tus upload of an asset; key = "asset:<sha256>" */
        _STORE_OUTBOX_KIND_MAX,
};
enum store_outbox_state {
        STORE_OUTBOX_PENDING = 0,
        STORE_OUTBOX_SENT,
        STORE_OUTBOX_DEAD,
        _STORE_OUTBOX_STATE_MAX,
};
/* "order", "event", "asset-upload" / "pending", "sent", "dead" */
const char *store_outbox_kind_name(enum store_outbox_kind k);
const char *store_outbox_state_name(enum store_outbox_state s);

#define STORE_OUTBOX_MAX_PAYLOAD (1024 * 1024) /* contract: bodies stay well under 1 MiB */

struct store_outbox_row {
        int64_t id;                       /* monotonic: the delivery order */
        char order_id[STORE_ID_SIZE];     /* "" for rows not tied to an order */
        enum store_outbox_kind kind;
        char event_id[STORE_ID_SIZE];     /* events only, else "" */
        char idempotency_key[80];
        char *payload;                    /* JSON body (asset rows: {"sha256","kind","content_type","size","path"}) (transfer full: free()) */
        enum store_outbox_state state;
        int attempts;                     /* claims so far, including this one */
        int64_t created_at;
        int64_t next_attempt_at;
        char last_error[256];
        int64_t sent_at;                  /* 0 unless sent */
};

/* Queue an asset upload (idempotent per sha256: queuing it again while a row for
 * it exists returns 0 and writes nothing; ret_id gets the existing row's id). The
 * asset must exist. order_id may be NULL (independent of any order's events) or an
 * order whose later rows must wait for this upload. ret_id may be NULL. */
int store_outbox_enqueue_asset(struct store *s, const char *sha256, const char *order_id,
                               int64_t *ret_id, struct store_errbuf *err);

/* Claim the next due row (see ordering above) at time now_ms: attempts += 1,
 * next_attempt_at = now_ms + lease_ms. STORE_E_NOT_FOUND when nothing is due.
 * Free ret->payload with free(). */
int store_outbox_claim(struct store *s, int64_t now_ms, int64_t lease_ms,
                       struct store_outbox_row *ret, struct store_errbuf *err);
/* Fill *ret from row id (payload transfer full). */
int store_outbox_get(struct store *s, int64_t id, struct store_outbox_row *ret,
                     struct store_errbuf *err);
/* Replace a pending row's payload, e.g. the exact order body the worker is about
 * to send with HQ's asset ids filled in, so every retry sends identical bytes. */
int store_outbox_set_payload(struct store *s, int64_t id, const char *payload,
                             struct store_errbuf *err);
/* 2xx: state sent, sent_at = now. Idempotent. To record local state the answer
 * implies (e.g. store_asset_set_remote_id) in the same transaction, wrap both in
 * store_tx_begin / store_tx_commit. */
int store_outbox_mark_sent(struct store *s, int64_t id, struct store_errbuf *err);
/* Transient failure: next_attempt_at = at_ms (the worker computes the backoff
 * with jitter), last_error = error (no customer data). */
int store_outbox_retry(struct store *s, int64_t id, int64_t at_ms, const char *error,
                       struct store_errbuf *err);
/* Permanent failure: state dead, last_error = reason. Later rows of the order go on. */
int store_outbox_dead(struct store *s, int64_t id, const char *reason, struct store_errbuf *err);
/* Put a dead row back to pending, due now (technician, after fixing the cause). */
int store_outbox_revive(struct store *s, int64_t id, struct store_errbuf *err);

/* For `sync status` and `doctor`. */
struct store_outbox_stats {
        int64_t pending, sent, dead;
        int64_t oldest_pending_at;        /* created_at of the oldest pending row, 0 = none */
        int64_t next_due_at;              /* smallest next_attempt_at of pending rows, 0 = none */
        int max_attempts;                 /* highest attempts among pending rows */
};
int store_outbox_stats(struct store *s, struct store_outbox_stats *ret, struct store_errbuf *err);

/* Rows of one order (all states), oldest first; order_id NULL = rows with no
 * order. (transfer full: free each payload, then the array; or use
 * store_outbox_rows_free) */
int store_outbox_list(struct store *s, const char *order_id, struct store_outbox_row **ret,
                      size_t *ret_n, struct store_errbuf *err);
void store_outbox_rows_free(struct store_outbox_row *rows, size_t n);
