/* sync/outbox: the store side of the outbox (see outbox.h for the delivery
 * rules).
 *
 * Invariants:
 *   - Rows are never deleted; id order is creation order (INTEGER PRIMARY KEY).
 *   - Within one order, only the oldest pending row is claimable.
 *   - Event rows carry a fresh UUIDv4 event_id, which is also their idempotency
 *     key; order rows use the order id; asset rows "asset:<sha256>".
 *   - Payloads are at most STORE_OUTBOX_MAX_PAYLOAD bytes.
 */
#include "sync/outbox.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/store_internal.h"
#include "sync/uuid.h"

static const char *const kinds[] = { [STORE_OUTBOX_ORDER] = "order",
                                     [STORE_OUTBOX_EVENT] = "event",
                                     [STORE_OUTBOX_ASSET] = "asset-upload" };
static const char *const states[] = { [STORE_OUTBOX_PENDING] = "pending",
                                      [STORE_OUTBOX_SENT] = "sent",
                                      [STORE_OUTBOX_DEAD] = "dead" };

const char *store_outbox_kind_name(enum store_outbox_kind k)
{
        return (unsigned)k < _STORE_OUTBOX_KIND_MAX ? kinds[k] : "invalid";
}

const char *store_outbox_state_name(enum store_outbox_state st)
{
        return (unsigned)st < _STORE_OUTBOX_STATE_MAX ? states[st] : "invalid";
}

int store_outbox_insert(struct store *s, const char *order_id, const char *kind,
                        const char *event_id, const char *key, const char *payload,
                        int64_t *ret_id, struct store_errbuf *err)
{
        if (!payload || strlen(payload) > STORE_OUTBOX_MAX_PAYLOAD)
                return store_fail(err, STORE_E_INVALID, "outbox payload missing or over 1 MiB");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s,
                           "INSERT INTO outbox(order_id, kind, event_id, idempotency_key, payload, "
                           "created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                           &st, err);
        if (r < 0)
                return r;
        int64_t now = store_now_ms(s);
        store_bind_text(st, 1, order_id);
        store_bind_text(st, 2, kind);
        store_bind_text(st, 3, event_id);
        store_bind_text(st, 4, key);
        store_bind_text(st, 5, payload);
        sqlite3_bind_int64(st, 6, now);
        r = store_step_done(s, st, err, "insert outbox row");
        if (r == 0 && ret_id)
                *ret_id = sqlite3_last_insert_rowid(s->db);
        return r;
}

int store_outbox_insert_event(struct store *s, const char *order_id, const char *type,
                              const char *actor, const char *detail_json, struct store_errbuf *err)
{
        char event_id[SYNC_UUID_SIZE], at[32];
        if (sync_uuid_v4(event_id) < 0)
                return store_fail(err, STORE_E_IO, "no random source for an event id");
        store_format_time(store_now_ms(s), at);
        json_t *detail = detail_json ? json_loads(detail_json, 0, NULL) : json_object();
        if (!json_is_object(detail)) {
                json_decref(detail);
                return store_fail(err, STORE_E_INVALID, "event detail must be a JSON object");
        }
        json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:o}", "event_id", event_id, "type", type, "at",
                                 at, "actor", actor, "detail", detail);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        if (!text)
                return store_fail(err, STORE_E_IO, "cannot build event body");
        int r = store_outbox_insert(s, order_id, "event", event_id, event_id, text, NULL, err);
        free(text);
        return r;
}

int store_outbox_enqueue_asset(struct store *s, const char *sha256, const char *order_id,
                               int64_t *ret_id, struct store_errbuf *err)
{
        struct store_asset a;
        char key[80];
        json_t *p = NULL;
        char *payload = NULL;
        int64_t id = 0;
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        r = store_asset_get(s, sha256, &a, err);
        if (r < 0)
                goto fail;
        snprintf(key, sizeof(key), "asset:%s", a.sha256);
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "SELECT id FROM outbox WHERE idempotency_key = ? AND kind = 'asset-upload' "
                                  "ORDER BY id LIMIT 1",
                               &st, err);
                if (r < 0)
                        goto fail;
                store_bind_text(st, 1, key);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        int64_t found = sqlite3_column_int64(st, 0);
                        sqlite3_reset(st);
                        store_tx_rollback(s);
                        if (ret_id)
                                *ret_id = found;
                        return 0;
                }
                if (rc != SQLITE_DONE) {
                        r = store_sqlite_fail(s, rc, err, "find asset upload");
                        goto fail;
                }
        }
        p = json_pack("{s:s, s:s, s:s, s:I, s:s}", "sha256", a.sha256, "kind",
                              a.kind == STORE_ASSET_MASTER ? "master" : "photo", "content_type",
                              a.content_type, "size", (json_int_t)a.size, "path", a.path);
        payload = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        if (!payload) {
                r = store_fail(err, STORE_E_IO, "cannot build asset payload");
                goto fail;
        }
        r = store_outbox_insert(s, order_id, "asset-upload", NULL, key, payload, &id, err);
        free(payload);
        if (r < 0)
                goto fail;
        r = store_tx_commit(s, err);
        if (r == 0 && ret_id)
                *ret_id = id;
        return r;
fail:
        store_tx_rollback(s);
        return r;
}

#define ROW_COLUMNS                                                                         \
        "SELECT id, coalesce(order_id, ''), kind, coalesce(event_id, ''), idempotency_key, " \
        "payload, state, attempts, created_at, next_attempt_at, last_error, "               \
        "coalesce(sent_at, 0) FROM outbox "

static int parse_kind(const char *k)
{
        for (int i = 0; k && i < _STORE_OUTBOX_KIND_MAX; i++)
                if (strcmp(kinds[i], k) == 0)
                        return i;
        return STORE_OUTBOX_EVENT;
}

static int parse_state(const char *k)
{
        for (int i = 0; k && i < _STORE_OUTBOX_STATE_MAX; i++)
                if (strcmp(states[i], k) == 0)
                        return i;
        return STORE_OUTBOX_DEAD;
}

static int read_row(sqlite3_stmt *st, struct store_outbox_row *x, struct store_errbuf *err)
{
        memset(x, 0, sizeof(*x));
        x->id = sqlite3_column_int64(st, 0);
        store_col_text(st, 1, x->order_id, sizeof(x->order_id));
        x->kind = (enum store_outbox_kind)parse_kind((const char *)sqlite3_column_text(st, 2));
        store_col_text(st, 3, x->event_id, sizeof(x->event_id));
        store_col_text(st, 4, x->idempotency_key, sizeof(x->idempotency_key));
        x->payload = store_col_strdup(st, 5);
        if (!x->payload)
                return store_fail(err, STORE_E_IO, "out of memory");
        x->state = (enum store_outbox_state)parse_state((const char *)sqlite3_column_text(st, 6));
        x->attempts = sqlite3_column_int(st, 7);
        x->created_at = sqlite3_column_int64(st, 8);
        x->next_attempt_at = sqlite3_column_int64(st, 9);
        store_col_text(st, 10, x->last_error, sizeof(x->last_error));
        x->sent_at = sqlite3_column_int64(st, 11);
        return 0;
}

int store_outbox_get(struct store *s, int64_t id, struct store_outbox_row *ret,
                     struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, ROW_COLUMNS "WHERE id = ?", &st, err);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        char key[24];
        snprintf(key, sizeof(key), "%lld", (long long)id);
        r = store_step_row(s, st, err, "outbox row", key);
        if (r < 0)
                return r;
        struct store_outbox_row x;
        r = read_row(st, &x, err);
        if (r < 0)
                return r;
        *ret = x;
        return 0;
}

int store_outbox_claim(struct store *s, int64_t now_ms, int64_t lease_ms,
                       struct store_outbox_row *ret, struct store_errbuf *err)
{
        if (lease_ms < 0)
                return store_fail(err, STORE_E_INVALID, "negative lease");
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        int64_t id = 0;
        {
                /* Head of line per order: no older pending row of the same order.
                 * NULL order_id compares unequal, so order-less rows never wait. */
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s,
                               "SELECT o.id FROM outbox o WHERE o.state = 'pending' AND "
                               "o.next_attempt_at <= ?1 AND NOT EXISTS (SELECT 1 FROM outbox p "
                               "WHERE p.order_id = o.order_id AND p.state = 'pending' AND p.id < o.id) "
                               "ORDER BY o.next_attempt_at, o.id LIMIT 1",
                               &st, err);
                if (r < 0)
                        goto fail;
                sqlite3_bind_int64(st, 1, now_ms);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_DONE) {
                        sqlite3_reset(st);
                        store_tx_rollback(s);
                        return store_fail(err, STORE_E_NOT_FOUND, "nothing due");
                }
                if (rc != SQLITE_ROW) {
                        r = store_sqlite_fail(s, rc, err, "claim outbox row");
                        goto fail;
                }
                id = sqlite3_column_int64(st, 0);
        }
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? "
                                  "WHERE id = ?",
                               &st, err);
                if (r < 0)
                        goto fail;
                sqlite3_bind_int64(st, 1, now_ms + lease_ms);
                sqlite3_bind_int64(st, 2, id);
                r = store_step_done(s, st, err, "lease outbox row");
                if (r < 0)
                        goto fail;
        }
        struct store_outbox_row x;
        r = store_outbox_get(s, id, &x, err);
        if (r < 0)
                goto fail;
        r = store_tx_commit(s, err);
        if (r < 0) {
                free(x.payload);
                return r;
        }
        *ret = x;
        return 0;
fail:
        store_tx_rollback(s);
        return r;
}

static int update_row(struct store *s, const char *sql, int64_t id, int64_t t, const char *text,
                      struct store_errbuf *err, const char *what)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, sql, &st, err);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, t);
        store_bind_text(st, 3, text);
        r = store_step_done(s, st, err, what);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) == 0) {
                /* Distinguish "no such row" from "row in another state". */
                struct store_outbox_row x;
                sqlite3_reset(st);
                r = store_outbox_get(s, id, &x, err);
                if (r < 0)
                        return r;
                enum store_outbox_state cur = x.state;
                free(x.payload);
                return store_fail(err, STORE_E_ILLEGAL, "%s: outbox row %lld is %s", what,
                                  (long long)id, states[cur]);
        }
        return 0;
}

int store_outbox_set_payload(struct store *s, int64_t id, const char *payload,
                             struct store_errbuf *err)
{
        if (!payload || strlen(payload) > STORE_OUTBOX_MAX_PAYLOAD)
                return store_fail(err, STORE_E_INVALID, "payload missing or over 1 MiB");
        return update_row(s, "UPDATE outbox SET payload = ?3 WHERE id = ?1 AND state = 'pending' AND ?2 = ?2",
                          id, 0, payload, err, "set payload");
}

int store_outbox_mark_sent(struct store *s, int64_t id, struct store_errbuf *err)
{
        int r = update_row(s, "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = '' "
                              "WHERE id = ?1 AND state = 'pending' AND ?3 IS NULL",
                           id, store_now_ms(s), NULL, err, "mark sent");
        if (r == STORE_E_ILLEGAL) {
                /* Already sent: idempotent. Dead stays an error. */
                struct store_outbox_row x;
                if (store_outbox_get(s, id, &x, NULL) == 0) {
                        bool sent = x.state == STORE_OUTBOX_SENT;
                        free(x.payload);
                        if (sent)
                                return 0;
                }
        }
        return r;
}

int store_outbox_retry(struct store *s, int64_t id, int64_t at_ms, const char *error,
                       struct store_errbuf *err)
{
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", error ? error : "");
        return update_row(s, "UPDATE outbox SET next_attempt_at = ?2, last_error = ?3 "
                             "WHERE id = ?1 AND state = 'pending'",
                          id, at_ms, msg, err, "schedule retry");
}

int store_outbox_dead(struct store *s, int64_t id, const char *reason, struct store_errbuf *err)
{
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", reason ? reason : "");
        return update_row(s, "UPDATE outbox SET state = 'dead', last_error = ?3 "
                             "WHERE id = ?1 AND state = 'pending' AND ?2 = ?2",
                          id, 0, msg, err, "dead-letter");
}

int store_outbox_revive(struct store *s, int64_t id, struct store_errbuf *err)
{
        return update_row(s, "UPDATE outbox SET state = 'pending', next_attempt_at = ?2 "
                             "WHERE id = ?1 AND state = 'dead' AND ?3 IS NULL",
                          id, store_now_ms(s), NULL, err, "revive");
}

int store_outbox_stats(struct store *s, struct store_outbox_stats *ret, struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s,
                           "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'sent'), 0), "
                           "coalesce(sum(state = 'dead'), 0), "
                           "coalesce(min(CASE WHEN state = 'pending' THEN created_at END), 0), "
                           "coalesce(min(CASE WHEN state = 'pending' THEN next_attempt_at END), 0), "
                           "coalesce(max(CASE WHEN state = 'pending' THEN attempts END), 0) FROM outbox",
                           &st, err);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return store_sqlite_fail(s, rc, err, "outbox stats");
        struct store_outbox_stats x = {
                .pending = sqlite3_column_int64(st, 0),
                .sent = sqlite3_column_int64(st, 1),
                .dead = sqlite3_column_int64(st, 2),
                .oldest_pending_at = sqlite3_column_int64(st, 3),
                .next_due_at = sqlite3_column_int64(st, 4),
                .max_attempts = sqlite3_column_int(st, 5),
        };
        *ret = x;
        return 0;
}

void store_outbox_rows_free(struct store_outbox_row *rows, size_t n)
{
        for (size_t i = 0; rows && i < n; i++)
                free(rows[i].payload);
        free(rows);
}

int store_outbox_list(struct store *s, const char *order_id, struct store_outbox_row **ret,
                      size_t *ret_n, struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, ROW_COLUMNS "WHERE order_id IS ?1 ORDER BY id LIMIT 100000", &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, order_id);
        struct store_outbox_row *rows = NULL;
        size_t n = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (store_grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                r = read_row(st, &rows[n], err);
                if (r < 0) {
                        store_outbox_rows_free(rows, n);
                        return r;
                }
                n++;
        }
        if (rc != SQLITE_DONE) {
                store_outbox_rows_free(rows, n);
                return store_sqlite_fail(s, rc, err, "list outbox");
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}
