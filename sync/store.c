/* sync/store: opening the SQLite store, statement cache, transactions, and the
 * rows that are not the state machine or the outbox: sessions, assets, orders and
 * items, print jobs, audit reads, key/value tables.
 *
 * Invariants:
 *   - One connection per struct store, used by one thread at a time (NOMUTEX).
 *   - Every write that spans more than one row runs in one transaction (tx_begin:
 *     BEGIN IMMEDIATE at depth 0, so a writer never has to upgrade a read lock and
 *     busy_timeout applies; a SAVEPOINT when nested inside a caller's
 *     store_tx_begin).
 *   - Every cached statement is reset when the function using it returns
 *     (_cleanup_reset_), so no read snapshot outlives a call and WAL
 *     checkpoints can always complete.
 *   - ret_* are written only on success.
 */
#include "sync/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sync/outbox.h"
#include "sync/pickup_code.h"
#include "sync/store_internal.h"
#include "sync/uuid.h"

#define CODE_TRIES 32            /* pickup code collisions tolerated before giving up */

/* ---- helpers shared with the other store files ------------------------------------ */

int store_sqlite_fail(struct store *s, int rc, struct store_errbuf *err, const char *what)
{
        int code;
        switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                code = STORE_E_BUSY;
                break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                code = STORE_E_CORRUPT;
                break;
        case SQLITE_CONSTRAINT:
                code = STORE_E_CONFLICT;
                break;
        default:
                code = STORE_E_IO;
        }
        return store_fail(err, code, "%s: %s", what,
                          s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int store_exec(struct store *s, const char *sql, struct store_errbuf *err)
{
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_fail(s, rc, err, "sql");
        return 0;
}

int store_stmt(struct store *s, const char *sql, sqlite3_stmt **ret, struct store_errbuf *err)
{
        for (int i = 0; i < s->n_stmts; i++) {
                if (s->stmts[i].sql == sql || strcmp(s->stmts[i].sql, sql) == 0) {
                        sqlite3_reset(s->stmts[i].stmt);
                        sqlite3_clear_bindings(s->stmts[i].stmt);
                        *ret = s->stmts[i].stmt;
                        return 0;
                }
        }
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_fail(s, rc, err, "prepare");
        if (s->n_stmts < STORE_STMT_CACHE) {
                s->stmts[s->n_stmts].sql = sql;
                s->stmts[s->n_stmts].stmt = st;
                s->n_stmts++;
        } else {
                /* The store uses fewer statements than the cache holds; a full
                 * cache is a programming error, but stay correct: never leak. */
                sqlite3_finalize(st);
                return store_fail(err, STORE_E_IO, "statement cache full");
        }
        *ret = st;
        return 0;
}

int store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
        return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

void store_col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        if (!t) {
                buf[0] = '\0';
                return;
        }
        snprintf(buf, n, "%s", (const char *)t);
}

char *store_col_strdup(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *)t) : NULL;
}

int store_step_done(struct store *s, sqlite3_stmt *st, struct store_errbuf *err, const char *what)
{
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
                return store_sqlite_fail(s, rc, err, what);
        return 0;
}

int store_step_row(struct store *s, sqlite3_stmt *st, struct store_errbuf *err, const char *what,
                   const char *key)
{
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return store_fail(err, STORE_E_NOT_FOUND, "no %s %.64s", what, key ? key : "");
        if (rc != SQLITE_ROW) {
                char buf[64];
                snprintf(buf, sizeof(buf), "read %s", what);
                return store_sqlite_fail(s, rc, err, buf);
        }
        return 0;
}

void store_format_time(int64_t ms, char buf[32])
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

static int64_t real_clock(void *userdata)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t store_now_ms(const struct store *s)
{
        if (s && s->clock)
                return s->clock(s->clock_userdata);
        return real_clock(NULL);
}

void store_set_clock(struct store *s, int64_t (*now_ms)(void *userdata), void *userdata)
{
        s->clock = now_ms;
        s->clock_userdata = userdata;
}

/* ---- open / close ------------------------------------------------------------------ */

static int pragma_text(struct store *s, const char *sql, char *buf, size_t n,
                       struct store_errbuf *err)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        store_col_text(st, 0, buf, n);
                        rc = SQLITE_OK;
                } else if (rc == SQLITE_DONE) {
                        buf[0] = '\0';
                        rc = SQLITE_OK;
                }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
                return store_sqlite_fail(s, rc, err, sql);
        return 0;
}

int store_open(const char *path, struct store **ret_store, struct store_errbuf *err)
{
        if (!path || !*path || !ret_store)
                return store_fail(err, STORE_E_INVALID, "no store path");
        char file[4096];
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, STORE_DB_NAME) >= sizeof(file))
                        return store_fail(err, STORE_E_INVALID, "store path too long");
        } else if ((size_t)snprintf(file, sizeof(file), "%s", path) >= sizeof(file)) {
                return store_fail(err, STORE_E_INVALID, "store path too long");
        }

        struct store *s = calloc(1, sizeof(*s));
        if (!s)
                return store_fail(err, STORE_E_IO, "out of memory");
        int rc = sqlite3_open_v2(file, &s->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 NULL);
        int r;
        char buf[64];
        long v;
        if (rc != SQLITE_OK) {
                r = store_sqlite_fail(s, rc, err, "open store");
                goto fail;
        }
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

        /* Read the version BEFORE any pragma that writes (journal_mode=WAL changes
         * the file header), so a newer database is left byte for byte untouched. */
        r = pragma_text(s, "PRAGMA user_version", buf, sizeof(buf), err);
        if (r < 0)
                goto fail;
        v = strtol(buf, NULL, 10);
        if (v > STORE_SCHEMA_VERSION) {
                r = store_fail(err, STORE_E_CORRUPT,
                               "database schema version %ld is newer than this software (knows "
                               "%d): refusing to open it; install the newer software again, "
                               "orders are untouched",
                               v, STORE_SCHEMA_VERSION);
                goto fail;
        }
        r = pragma_text(s, "PRAGMA journal_mode=WAL", buf, sizeof(buf), err);
        if (r < 0)
                goto fail;
        if (strcmp(buf, "wal") != 0) {
                r = store_fail(err, STORE_E_IO, "cannot switch the store to WAL (got %s)", buf);
                goto fail;
        }
        /* FULL: in WAL mode NORMAL may lose the last commits on power loss; an
         * order or outbox row must never be lost once the caller saw 0. */
        /* wal_autocheckpoint: a lock writes ~10 pages (order, items, audit,
         * outbox, indexes), so the default 1000-page checkpoint would run (and
         * fsync the database file) every ~100 orders; 4000 pages (16 MiB of WAL
         * at most between checkpoints) keeps that off the customer's path. */
        r = store_exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                          "PRAGMA wal_autocheckpoint=4000;",
                       err);
        if (r < 0)
                goto fail;
        r = store_migrate(s, err);
        if (r < 0)
                goto fail;
        *ret_store = s;
        return 0;
fail:
        store_close(s);
        return r;
}

struct store *store_close(struct store *s)
{
        if (!s)
                return NULL;
        for (int i = 0; i < s->n_stmts; i++)
                sqlite3_finalize(s->stmts[i].stmt);
        if (s->db)
                sqlite3_close(s->db);
        free(s);
        return NULL;
}

int store_schema_version(struct store *s)
{
        return s->schema_version;
}

int store_check(struct store *s, struct store_errbuf *err)
{
        char buf[256];
        int r = pragma_text(s, "PRAGMA quick_check", buf, sizeof(buf), err);
        if (r < 0)
                return r;
        if (strcmp(buf, "ok") != 0)
                return store_fail(err, STORE_E_CORRUPT, "quick_check: %s", buf);
        return 0;
}

/* ---- transactions ----------------------------------------------------------------- */

int store_tx_begin(struct store *s, struct store_errbuf *err)
{
        int r = store_exec(s, s->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT pk", err);
        if (r == 0)
                s->tx_depth++;
        return r;
}

int store_tx_commit(struct store *s, struct store_errbuf *err)
{
        if (s->tx_depth <= 0)
                return store_fail(err, STORE_E_INVALID, "commit without begin");
        int r = store_exec(s, s->tx_depth == 1 ? "COMMIT" : "RELEASE pk", err);
        if (r < 0) {
                /* A failed COMMIT (e.g. I/O error on fsync) leaves nothing half
                 * applied: roll back so the connection is usable again. */
                store_tx_rollback(s);
                return r;
        }
        s->tx_depth--;
        return 0;
}

void store_tx_rollback(struct store *s)
{
        if (s->tx_depth <= 0)
                return;
        if (s->tx_depth == 1)
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        else
                sqlite3_exec(s->db, "ROLLBACK TO pk; RELEASE pk", NULL, NULL, NULL);
        s->tx_depth--;
}

/* ---- sessions ---------------------------------------------------------------------- */

int store_session_begin(struct store *s, char ret_id[STORE_ID_SIZE], struct store_errbuf *err)
{
        char id[STORE_ID_SIZE];
        if (sync_uuid_v4(id) < 0)
                return store_fail(err, STORE_E_IO, "no random source for a session id");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "INSERT INTO sessions(id, started_at, state) VALUES (?, ?, 'active')",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, store_now_ms(s));
        r = store_step_done(s, st, err, "insert session");
        if (r < 0)
                return r;
        memcpy(ret_id, id, STORE_ID_SIZE);
        return 0;
}

int store_session_end(struct store *s, const char *session_id, const char *state,
                      struct store_errbuf *err)
{
        if (!session_id || !state || (strcmp(state, "ended") != 0 && strcmp(state, "wiped") != 0))
                return store_fail(err, STORE_E_INVALID, "session end state must be ended or wiped");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "UPDATE sessions SET state = ?, ended_at = coalesce(ended_at, ?) "
                              "WHERE id = ?",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, state);
        sqlite3_bind_int64(st, 2, store_now_ms(s));
        store_bind_text(st, 3, session_id);
        r = store_step_done(s, st, err, "end session");
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) == 0)
                return store_fail(err, STORE_E_NOT_FOUND, "no session %s", session_id);
        return 0;
}

/* ---- assets ------------------------------------------------------------------------ */

static const char *const asset_kinds[] = { [STORE_ASSET_PHOTO] = "photo",
                                           [STORE_ASSET_MASTER] = "master" };

static bool sha256_hex_valid(const char *h)
{
        if (!h)
                return false;
        for (int i = 0; i < 64; i++)
                if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
                        return false;
        return h[64] == '\0';
}

int store_asset_put(struct store *s, const struct store_asset *a, struct store_errbuf *err)
{
        if (!a || !sha256_hex_valid(a->sha256) || a->size < 0 || (unsigned)a->kind >= _STORE_ASSET_KIND_MAX ||
            !a->path[0])
                return store_fail(err, STORE_E_INVALID, "asset needs a sha256, size, kind and path");
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "SELECT size, kind FROM assets WHERE sha256 = ?", &st, err);
                if (r < 0)
                        goto out;
                store_bind_text(st, 1, a->sha256);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        const char *kind = (const char *)sqlite3_column_text(st, 1);
                        if (sqlite3_column_int64(st, 0) != a->size || !kind ||
                            strcmp(kind, asset_kinds[a->kind]) != 0) {
                                r = store_fail(err, STORE_E_CONFLICT,
                                               "asset %.12s… already stored with another size or kind",
                                               a->sha256);
                                goto out;
                        }
                } else if (rc != SQLITE_DONE) {
                        r = store_sqlite_fail(s, rc, err, "read asset");
                        goto out;
                }
        }
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s,
                               "INSERT INTO assets(sha256, size, kind, path, content_type, created_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO UPDATE SET "
                               "path = excluded.path, wiped_at = NULL, "
                               "content_type = excluded.content_type",
                               &st, err);
                if (r < 0)
                        goto out;
                store_bind_text(st, 1, a->sha256);
                sqlite3_bind_int64(st, 2, a->size);
                store_bind_text(st, 3, asset_kinds[a->kind]);
                store_bind_text(st, 4, a->path);
                store_bind_text(st, 5, a->content_type);
                sqlite3_bind_int64(st, 6, store_now_ms(s));
                r = store_step_done(s, st, err, "put asset");
        }
out:
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        return store_tx_commit(s, err);
}

int store_asset_get(struct store *s, const char *sha256, struct store_asset *ret,
                    struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "SELECT sha256, size, kind, path, content_type, remote_id, created_at, "
                              "coalesce(wiped_at, 0) FROM assets WHERE sha256 = ?",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, sha256);
        r = store_step_row(s, st, err, "asset", sha256);
        if (r < 0)
                return r;
        struct store_asset a = { 0 };
        store_col_text(st, 0, a.sha256, sizeof(a.sha256));
        a.size = sqlite3_column_int64(st, 1);
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        a.kind = kind && strcmp(kind, "master") == 0 ? STORE_ASSET_MASTER : STORE_ASSET_PHOTO;
        store_col_text(st, 3, a.path, sizeof(a.path));
        store_col_text(st, 4, a.content_type, sizeof(a.content_type));
        store_col_text(st, 5, a.remote_id, sizeof(a.remote_id));
        a.created_at = sqlite3_column_int64(st, 6);
        a.wiped_at = sqlite3_column_int64(st, 7);
        *ret = a;
        return 0;
}

static int update_one(struct store *s, const char *sql, const char *a, const char *b,
                      struct store_errbuf *err, const char *what)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, sql, &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, a);
        store_bind_text(st, 2, b);
        sqlite3_bind_int64(st, 3, store_now_ms(s));
        r = store_step_done(s, st, err, what);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) == 0)
                return store_fail(err, STORE_E_NOT_FOUND, "%s: not found", what);
        return 0;
}

int store_asset_set_remote_id(struct store *s, const char *sha256, const char *remote_id,
                              struct store_errbuf *err)
{
        if (!remote_id || !*remote_id || strlen(remote_id) >= 128)
                return store_fail(err, STORE_E_INVALID, "remote asset id must be 1..127 bytes");
        return update_one(s, "UPDATE assets SET remote_id = ?1 WHERE sha256 = ?2 AND ?3 = ?3",
                          remote_id, sha256, err, "set asset remote id");
}

int store_asset_mark_wiped(struct store *s, const char *sha256, struct store_errbuf *err)
{
        return update_one(s, "UPDATE assets SET wiped_at = coalesce(wiped_at, ?3) "
                             "WHERE sha256 = ?2 AND ?1 IS NULL",
                          NULL, sha256, err, "mark asset wiped");
}

/* ---- orders ------------------------------------------------------------------------ */

static const char *const channels[] = { [STORE_CHANNEL_KIOSK] = "kiosk",
                                        [STORE_CHANNEL_APP] = "app" };

int store_order_state_get(struct store *s, const char *order_id, enum order_state *ret,
                          struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "SELECT state FROM orders WHERE id = ?", &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, order_id);
        r = store_step_row(s, st, err, "order", order_id);
        if (r < 0)
                return r;
        enum order_state state;
        if (store_order_state_parse((const char *)sqlite3_column_text(st, 0), &state) < 0)
                return store_fail(err, STORE_E_CORRUPT, "order %s has an unknown state", order_id);
        *ret = state;
        return 0;
}

int store_order_create(struct store *s, const char *session_id, char ret_id[STORE_ID_SIZE],
                       char ret_code[STORE_CODE_SIZE], struct store_errbuf *err)
{
        char id[STORE_ID_SIZE], code[STORE_CODE_SIZE];
        if (sync_uuid_v4(id) < 0)
                return store_fail(err, STORE_E_IO, "no random source for an order id");
        int64_t now = store_now_ms(s);
        for (int tries = 0; tries < CODE_TRIES; tries++) {
                if (sync_pickup_code_new(code) < 0)
                        return store_fail(err, STORE_E_IO, "no random source for a pickup code");
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                int r = store_stmt(s,
                                   "INSERT INTO orders(id, code, channel, state, session_id, "
                                   "created_at, updated_at) VALUES (?1, ?2, 'kiosk', 'draft', ?3, ?4, ?4)",
                                   &st, err);
                if (r < 0)
                        return r;
                store_bind_text(st, 1, id);
                store_bind_text(st, 2, code);
                store_bind_text(st, 3, session_id);
                sqlite3_bind_int64(st, 4, now);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_DONE) {
                        memcpy(ret_id, id, STORE_ID_SIZE);
                        memcpy(ret_code, code, STORE_CODE_SIZE);
                        return 0;
                }
                /* Only a code collision is retried; a bad session id is not. */
                if (rc != SQLITE_CONSTRAINT_UNIQUE)
                        return store_sqlite_fail(s, rc, err, "create order");
        }
        return store_fail(err, STORE_E_CONFLICT, "no free pickup code after %d tries", CODE_TRIES);
}

static bool short_token(const char *v, size_t max)
{
        if (!v || !*v)
                return false;
        size_t n = strnlen(v, max + 1);
        if (n > max)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = v[i];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}

static int item_spec_check(const struct store_item_spec *sp, struct store_errbuf *err)
{
        if (!sp || !sha256_hex_valid(sp->asset_sha256))
                return store_fail(err, STORE_E_INVALID, "item needs a photo sha256");
        if (!short_token(sp->sku, 31) || !short_token(sp->paper, 31))
                return store_fail(err, STORE_E_INVALID, "item sku/paper must be 1..31 of [A-Za-z0-9._-]");
        if (sp->quantity < 1 || sp->quantity > STORE_MAX_QUANTITY)
                return store_fail(err, STORE_E_INVALID, "quantity %d outside 1..%d", sp->quantity,
                                  STORE_MAX_QUANTITY);
        if (sp->rotate != 0 && sp->rotate != 90 && sp->rotate != 180 && sp->rotate != 270)
                return store_fail(err, STORE_E_INVALID, "rotate must be 0, 90, 180 or 270");
        /* NaN fails every comparison, so !(x >= 0) also rejects it. */
        if (!(sp->crop_x >= 0 && sp->crop_y >= 0 && sp->crop_w > 0 && sp->crop_h > 0 &&
              sp->crop_x + sp->crop_w <= 1.000001 && sp->crop_y + sp->crop_h <= 1.000001))
                return store_fail(err, STORE_E_INVALID, "crop must lie inside the photo (fractions 0..1)");
        return 0;
}

int store_order_add_item(struct store *s, const char *order_id, const struct store_item_spec *spec,
                         char ret_item_id[STORE_ID_SIZE], struct store_errbuf *err)
{
        int r = item_spec_check(spec, err);
        if (r < 0)
                return r;
        char id[STORE_ID_SIZE];
        if (sync_uuid_v4(id) < 0)
                return store_fail(err, STORE_E_IO, "no random source for an item id");
        r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        enum order_state state;
        r = store_order_state_get(s, order_id, &state, err);
        if (r == 0 && state != ORDER_DRAFT)
                r = store_fail(err, STORE_E_ILLEGAL, "order is %s: items can only be added to a draft",
                               store_order_state_name(state));
        int n = 0;
        if (r == 0) {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "SELECT count(*), coalesce(max(pos), 0) + 1, "
                                  "(SELECT count(*) FROM assets WHERE sha256 = ?2) "
                                  "FROM order_items WHERE order_id = ?1",
                               &st, err);
                if (r == 0) {
                        store_bind_text(st, 1, order_id);
                        store_bind_text(st, 2, spec->asset_sha256);
                        if (sqlite3_step(st) != SQLITE_ROW)
                                r = store_sqlite_fail(s, SQLITE_ERROR, err, "count items");
                        else if (sqlite3_column_int(st, 0) >= STORE_MAX_ITEMS)
                                r = store_fail(err, STORE_E_INVALID, "order has %d items already",
                                               STORE_MAX_ITEMS);
                        else if (sqlite3_column_int(st, 2) == 0)
                                r = store_fail(err, STORE_E_NOT_FOUND, "photo asset %.12s… not in the store",
                                               spec->asset_sha256);
                        else
                                n = sqlite3_column_int(st, 1);
                }
        }
        if (r == 0) {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s,
                               "INSERT INTO order_items(id, order_id, pos, asset_sha256, sku, paper, "
                               "quantity, crop_x, crop_y, crop_w, crop_h, rotate, border) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               &st, err);
                if (r == 0) {
                        store_bind_text(st, 1, id);
                        store_bind_text(st, 2, order_id);
                        sqlite3_bind_int(st, 3, n);
                        store_bind_text(st, 4, spec->asset_sha256);
                        store_bind_text(st, 5, spec->sku);
                        store_bind_text(st, 6, spec->paper);
                        sqlite3_bind_int(st, 7, spec->quantity);
                        sqlite3_bind_double(st, 8, spec->crop_x);
                        sqlite3_bind_double(st, 9, spec->crop_y);
                        sqlite3_bind_double(st, 10, spec->crop_w);
                        sqlite3_bind_double(st, 11, spec->crop_h);
                        sqlite3_bind_int(st, 12, spec->rotate);
                        sqlite3_bind_int(st, 13, spec->border ? 1 : 0);
                        r = store_step_done(s, st, err, "insert item");
                }
        }
        if (r == 0)
                r = update_one(s, "UPDATE orders SET updated_at = ?3 WHERE id = ?1 AND ?2 IS NULL",
                               order_id, NULL, err, "touch order");
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        r = store_tx_commit(s, err);
        if (r == 0)
                memcpy(ret_item_id, id, STORE_ID_SIZE);
        return r;
}

int store_order_remove_item(struct store *s, const char *order_id, const char *item_id,
                            struct store_errbuf *err)
{
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        enum order_state state;
        r = store_order_state_get(s, order_id, &state, err);
        if (r == 0 && state != ORDER_DRAFT)
                r = store_fail(err, STORE_E_ILLEGAL, "order is %s: items can only be removed from a draft",
                               store_order_state_name(state));
        if (r == 0)
                r = update_one(s, "DELETE FROM order_items WHERE order_id = ?1 AND id = ?2 AND ?3 = ?3",
                               order_id, item_id, err, "remove item");
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        return store_tx_commit(s, err);
}

static bool currency_valid(const char *c)
{
        return c && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] >= 'A' &&
               c[2] <= 'Z' && c[3] == '\0';
}

int store_order_lock(struct store *s, const char *order_id, const struct store_price_list *prices,
                     const char *actor, struct store_errbuf *err)
{
        if (!prices || !currency_valid(prices->currency) || !short_token(prices->version, 31) ||
            (prices->n_prices && !prices->prices))
                return store_fail(err, STORE_E_INVALID, "price list needs a currency and a version");
        if (!store_actor_valid(actor))
                return store_fail(err, STORE_E_INVALID, "bad actor");
        struct lock_item {
                char id[STORE_ID_SIZE];
                int64_t unit;
                int quantity;
        } *items = NULL;
        size_t n = 0;
        int64_t total = 0;
        enum order_state state;
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        r = store_order_state_get(s, order_id, &state, err);
        if (r < 0)
                goto fail;
        if (state == ORDER_LOCKED) {
                store_tx_rollback(s); /* nothing written: idempotent repeat */
                return 0;
        }
        if (!store_order_transition_allowed(state, ORDER_LOCKED)) {
                r = store_fail(err, STORE_E_ILLEGAL, "order %s: from %s to locked is not allowed",
                               order_id, store_order_state_name(state));
                goto fail;
        }

        /* Collect the items first, then update them (no writes under an open
         * SELECT on the same table). */
        {
                items = calloc(STORE_MAX_ITEMS, sizeof(*items));
                if (!items) {
                        r = store_fail(err, STORE_E_IO, "out of memory");
                        goto fail;
                }
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "SELECT id, sku, paper, quantity FROM order_items WHERE order_id = ? "
                                  "ORDER BY pos",
                               &st, err);
                if (r < 0)
                        goto fail_items;
                store_bind_text(st, 1, order_id);
                int rc;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < STORE_MAX_ITEMS) {
                        const char *sku = (const char *)sqlite3_column_text(st, 1);
                        const char *paper = (const char *)sqlite3_column_text(st, 2);
                        int q = sqlite3_column_int(st, 3);
                        bool found = false;
                        for (size_t i = 0; i < prices->n_prices && !found; i++) {
                                const struct store_price *p = &prices->prices[i];
                                if (p->sku && p->paper && sku && paper && strcmp(p->sku, sku) == 0 &&
                                    strcmp(p->paper, paper) == 0) {
                                        found = true;
                                        items[n].unit = p->unit_minor;
                                }
                        }
                        if (!found) {
                                r = store_fail(err, STORE_E_INVALID, "no price for %s on %s",
                                               sku ? sku : "?", paper ? paper : "?");
                                goto fail_items;
                        }
                        int64_t line;
                        if (items[n].unit < 0 || __builtin_mul_overflow(items[n].unit, (int64_t)q, &line) ||
                            __builtin_add_overflow(total, line, &total)) {
                                r = store_fail(err, STORE_E_INVALID, "price overflow");
                                goto fail_items;
                        }
                        store_col_text(st, 0, items[n].id, sizeof(items[n].id));
                        items[n].quantity = q;
                        n++;
                }
                if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                        r = store_sqlite_fail(s, rc, err, "read items");
                        goto fail_items;
                }
        }
        if (n == 0) {
                r = store_fail(err, STORE_E_INVALID, "order has no items");
                goto fail_items;
        }
        for (size_t i = 0; i < n; i++) {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "UPDATE order_items SET unit_price_minor = ? WHERE id = ?", &st, err);
                if (r < 0)
                        goto fail_items;
                sqlite3_bind_int64(st, 1, items[i].unit);
                store_bind_text(st, 2, items[i].id);
                r = store_step_done(s, st, err, "price item");
                if (r < 0)
                        goto fail_items;
        }
        free(items);
        items = NULL;
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "UPDATE orders SET currency = ?, total_minor = ?, price_list = ?, "
                                  "locked_at = ? WHERE id = ?",
                               &st, err);
                if (r < 0)
                        goto fail;
                store_bind_text(st, 1, prices->currency);
                sqlite3_bind_int64(st, 2, total);
                store_bind_text(st, 3, prices->version);
                sqlite3_bind_int64(st, 4, store_now_ms(s));
                store_bind_text(st, 5, order_id);
                r = store_step_done(s, st, err, "lock order");
                if (r < 0)
                        goto fail;
        }
        r = store_order_apply(s, order_id, state, ORDER_LOCKED, actor, NULL, err);
        if (r < 0)
                goto fail;
        return store_tx_commit(s, err);
fail_items:
fail:
        free(items);
        store_tx_rollback(s);
        return r;
}

int store_item_set_master(struct store *s, const char *item_id, const char *master_sha256,
                          const char *transform_json, struct store_errbuf *err)
{
        if (!sha256_hex_valid(master_sha256))
                return store_fail(err, STORE_E_INVALID, "master needs a sha256");
        if (transform_json && strlen(transform_json) > 256 * 1024)
                return store_fail(err, STORE_E_INVALID, "transform record too large");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "UPDATE order_items SET master_sha256 = ?, transform_json = ? WHERE id = ?",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, master_sha256);
        store_bind_text(st, 2, transform_json);
        store_bind_text(st, 3, item_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
                return store_fail(err, STORE_E_NOT_FOUND, "master asset %.12s… not in the store",
                                  master_sha256);
        if (rc != SQLITE_DONE)
                return store_sqlite_fail(s, rc, err, "set master");
        if (sqlite3_changes(s->db) == 0)
                return store_fail(err, STORE_E_NOT_FOUND, "no item %s", item_id ? item_id : "");
        return 0;
}

int store_item_set_assets(struct store *s, const char *item_id, const char *asset_sha256,
                          const char *master_sha256, struct store_errbuf *err)
{
        if ((asset_sha256 && !sha256_hex_valid(asset_sha256)) ||
            (master_sha256 && !sha256_hex_valid(master_sha256)))
                return store_fail(err, STORE_E_INVALID, "bad sha256");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "UPDATE order_items SET asset_sha256 = coalesce(?1, asset_sha256), "
                              "master_sha256 = coalesce(?2, master_sha256) WHERE id = ?3",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, asset_sha256);
        store_bind_text(st, 2, master_sha256);
        store_bind_text(st, 3, item_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
                return store_fail(err, STORE_E_NOT_FOUND, "asset not in the store");
        if (rc != SQLITE_DONE)
                return store_sqlite_fail(s, rc, err, "set item assets");
        if (sqlite3_changes(s->db) == 0)
                return store_fail(err, STORE_E_NOT_FOUND, "no item %s", item_id ? item_id : "");
        return 0;
}

struct store_order *store_order_free(struct store_order *o)
{
        if (!o)
                return NULL;
        for (size_t i = 0; i < o->n_items; i++)
                free(o->items[i].transform_json);
        free(o->items);
        free(o);
        return NULL;
}

static int order_load(struct store *s, sqlite3_stmt *st, struct store_order **ret,
                      struct store_errbuf *err, const char *key)
{
        int r = store_step_row(s, st, err, "order", key);
        if (r < 0)
                return r;
        struct store_order *o = calloc(1, sizeof(*o));
        if (!o)
                return store_fail(err, STORE_E_IO, "out of memory");
        store_col_text(st, 0, o->id, sizeof(o->id));
        store_col_text(st, 1, o->code, sizeof(o->code));
        const char *ch = (const char *)sqlite3_column_text(st, 2);
        o->channel = ch && strcmp(ch, "app") == 0 ? STORE_CHANNEL_APP : STORE_CHANNEL_KIOSK;
        if (store_order_state_parse((const char *)sqlite3_column_text(st, 3), &o->state) < 0) {
                store_order_free(o);
                return store_fail(err, STORE_E_CORRUPT, "order %s has an unknown state", key);
        }
        store_col_text(st, 4, o->currency, sizeof(o->currency));
        o->total_minor = sqlite3_column_int64(st, 5);
        store_col_text(st, 6, o->price_list, sizeof(o->price_list));
        store_col_text(st, 7, o->session_id, sizeof(o->session_id));
        o->created_at = sqlite3_column_int64(st, 8);
        o->locked_at = sqlite3_column_int64(st, 9);
        o->updated_at = sqlite3_column_int64(st, 10);
        sqlite3_reset(st);

        _cleanup_reset_ sqlite3_stmt *it = NULL;
        r = store_stmt(s,
                       "SELECT i.id, coalesce(i.asset_sha256, ''), "
                       "  coalesce(nullif(i.asset_remote_id, ''), a.remote_id, ''), "
                       "  i.sku, i.paper, i.quantity, i.crop_x, i.crop_y, i.crop_w, i.crop_h, "
                       "  i.rotate, i.border, i.unit_price_minor, coalesce(i.master_sha256, ''), "
                       "  coalesce(nullif(i.master_remote_id, ''), m.remote_id, ''), "
                       "  coalesce(m.path, ''), i.transform_json "
                       "FROM order_items i LEFT JOIN assets a ON a.sha256 = i.asset_sha256 "
                       "  LEFT JOIN assets m ON m.sha256 = i.master_sha256 "
                       "WHERE i.order_id = ? ORDER BY i.pos",
                       &it, err);
        if (r < 0) {
                store_order_free(o);
                return r;
        }
        store_bind_text(it, 1, o->id);
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(it)) == SQLITE_ROW) {
                if (o->n_items >= STORE_MAX_ITEMS)
                        break;
                if (store_grow((void **)&o->items, &cap, o->n_items, sizeof(*o->items)) < 0) {
                        store_order_free(o);
                        return store_fail(err, STORE_E_IO, "out of memory");
                }
                struct store_item *x = &o->items[o->n_items];
                memset(x, 0, sizeof(*x));
                store_col_text(it, 0, x->id, sizeof(x->id));
                store_col_text(it, 1, x->asset_sha256, sizeof(x->asset_sha256));
                store_col_text(it, 2, x->asset_remote_id, sizeof(x->asset_remote_id));
                store_col_text(it, 3, x->sku, sizeof(x->sku));
                store_col_text(it, 4, x->paper, sizeof(x->paper));
                x->quantity = sqlite3_column_int(it, 5);
                x->crop_x = sqlite3_column_double(it, 6);
                x->crop_y = sqlite3_column_double(it, 7);
                x->crop_w = sqlite3_column_double(it, 8);
                x->crop_h = sqlite3_column_double(it, 9);
                x->rotate = sqlite3_column_int(it, 10);
                x->border = sqlite3_column_int(it, 11) != 0;
                x->unit_price_minor = sqlite3_column_int64(it, 12);
                store_col_text(it, 13, x->master_sha256, sizeof(x->master_sha256));
                store_col_text(it, 14, x->master_remote_id, sizeof(x->master_remote_id));
                store_col_text(it, 15, x->master_path, sizeof(x->master_path));
                x->transform_json = store_col_strdup(it, 16);
                o->n_items++;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
                store_order_free(o);
                return store_sqlite_fail(s, rc, err, "read items");
        }
        *ret = o;
        return 0;
}

#define ORDER_COLUMNS                                                                       \
        "SELECT id, code, channel, state, currency, total_minor, price_list, "              \
        "coalesce(session_id, ''), created_at, coalesce(locked_at, 0), updated_at FROM orders "

int store_order_get(struct store *s, const char *order_id, struct store_order **ret,
                    struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, ORDER_COLUMNS "WHERE id = ?", &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, order_id);
        return order_load(s, st, ret, err, order_id ? order_id : "");
}

int store_order_get_by_code(struct store *s, const char *code, struct store_order **ret,
                            struct store_errbuf *err)
{
        char norm[STORE_CODE_SIZE];
        if (sync_pickup_code_normalize(code, norm) < 0) {
                /* Codes from headquarters may use another alphabet: exact match. */
                if (!code || strlen(code) >= sizeof(norm))
                        return store_fail(err, STORE_E_NOT_FOUND, "no order with that code");
                snprintf(norm, sizeof(norm), "%s", code);
        }
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, ORDER_COLUMNS "WHERE code = ?", &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, norm);
        return order_load(s, st, ret, err, norm);
}

static int kv_get_or_empty(struct store *s, const char *key, char *buf, size_t n)
{
        char *v = NULL;
        if (store_kv_get(s, STORE_KV_SETTINGS, key, &v, NULL) < 0) {
                buf[0] = '\0';
                return 0;
        }
        snprintf(buf, n, "%s", v);
        free(v);
        return 0;
}

/* Pick the contract's render fields out of the transform record. */
static json_t *render_json(const struct store_item *x)
{
        json_t *render = json_object();
        if (x->transform_json) {
                json_t *rec = json_loads(x->transform_json, 0, NULL);
                static const char *const keys[] = { "profile", "intent", "bpc", "dpi" };
                for (size_t k = 0; rec && json_is_object(rec) && k < 4; k++) {
                        json_t *v = json_object_get(rec, keys[k]);
                        if (v)
                                json_object_set(render, keys[k], v);
                }
                json_decref(rec);
        }
        if (x->master_sha256[0])
                json_object_set_new(render, "master_sha256", json_string(x->master_sha256));
        return render;
}

int store_order_json(struct store *s, const char *order_id, char **ret_json,
                     struct store_errbuf *err)
{
        struct store_order *o = NULL;
        int r = store_order_get(s, order_id, &o, err);
        if (r < 0)
                return r;
        char kiosk[128], storeid[128], t1[32], t2[32];
        kv_get_or_empty(s, "kiosk_id", kiosk, sizeof(kiosk));
        kv_get_or_empty(s, "store_id", storeid, sizeof(storeid));
        store_format_time(o->created_at, t1);
        store_format_time(o->locked_at, t2);
        json_t *items = json_array();
        for (size_t i = 0; i < o->n_items; i++) {
                const struct store_item *x = &o->items[i];
                const char *asset = x->asset_remote_id[0] ? x->asset_remote_id : x->asset_sha256;
                const char *master = x->master_remote_id[0] ? x->master_remote_id : x->master_sha256;
                json_array_append_new(
                        items,
                        json_pack("{s:s, s:s, s:o, s:s, s:s, s:i, s:{s:f, s:f, s:f, s:f}, s:i, s:o}",
                                  "item_id", x->id, "asset_id", asset, "master_asset_id",
                                  master[0] ? json_string(master) : json_null(), "sku", x->sku,
                                  "paper", x->paper, "quantity", x->quantity, "crop", "x", x->crop_x,
                                  "y", x->crop_y, "w", x->crop_w, "h", x->crop_h, "rotate", x->rotate,
                                  "render", render_json(x)));
        }
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:o, s:s}",
                              "order_id", o->id, "kiosk_id", kiosk, "store_id", storeid, "code",
                              o->code, "created_at", t1, "locked_at",
                              o->locked_at ? json_string(t2) : json_null(), "channel",
                              channels[o->channel], "currency", o->currency, "total_minor",
                              (json_int_t)o->total_minor, "price_list", o->price_list, "items",
                              items, "state", store_order_state_name(o->state));
        store_order_free(o);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text)
                return store_fail(err, STORE_E_IO, "cannot build order JSON");
        *ret_json = text;
        return 0;
}

int store_order_list(struct store *s, const struct store_order_filter *f,
                     struct store_order_summary **ret, size_t *ret_n, struct store_errbuf *err)
{
        uint32_t states = f ? f->states : 0;
        int64_t since = f ? f->since_ms : 0;
        int limit = f && f->limit > 0 ? f->limit : 1000;
        if (limit > 10000)
                limit = 10000;
        /* The IN list is built from our own state names only, never from input. */
        char in[512] = "";
        if (states) {
                size_t o = 0;
                for (int i = 0; i < _ORDER_STATE_MAX; i++) {
                        if (!(states & (1u << i)))
                                continue;
                        o += (size_t)snprintf(in + o, sizeof(in) - o, "%s'%s'", o ? "," : "",
                                              store_order_state_name((enum order_state)i));
                }
        }
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT o.id, o.code, o.channel, o.state, o.currency, o.total_minor, o.created_at, "
                 "o.updated_at, (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) "
                 "FROM orders o WHERE o.created_at >= ?1 %s%s%s "
                 "ORDER BY o.created_at DESC, o.id LIMIT ?2",
                 states ? "AND o.state IN (" : "", in, states ? ")" : "");
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_fail(s, rc, err, "list orders");
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int(st, 2, limit);
        struct store_order_summary *rows = NULL;
        size_t n = 0, cap = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct store_order_summary *nr = realloc(rows, ncap * sizeof(*nr));
                        if (!nr) {
                                rc = SQLITE_NOMEM;
                                break;
                        }
                        rows = nr;
                        cap = ncap;
                }
                struct store_order_summary *x = &rows[n];
                memset(x, 0, sizeof(*x));
                store_col_text(st, 0, x->id, sizeof(x->id));
                store_col_text(st, 1, x->code, sizeof(x->code));
                const char *ch = (const char *)sqlite3_column_text(st, 2);
                x->channel = ch && strcmp(ch, "app") == 0 ? STORE_CHANNEL_APP : STORE_CHANNEL_KIOSK;
                if (store_order_state_parse((const char *)sqlite3_column_text(st, 3), &x->state) < 0)
                        x->state = _ORDER_STATE_INVALID;
                store_col_text(st, 4, x->currency, sizeof(x->currency));
                x->total_minor = sqlite3_column_int64(st, 5);
                x->created_at = sqlite3_column_int64(st, 6);
                x->updated_at = sqlite3_column_int64(st, 7);
                x->n_items = sqlite3_column_int(st, 8);
                n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
                free(rows);
                return store_sqlite_fail(s, rc, err, "list orders");
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* ---- remote (phone-app) orders ------------------------------------------------------ */

/* Strict "YYYY-MM-DDTHH:MM:SS[.fff]Z" → Unix ms; false when malformed. */
static bool parse_time(const char *t, int64_t *ret)
{
        if (!t)
                return false;
        int v[6] = { 0 };
        static const int len[6] = { 4, 2, 2, 2, 2, 2 };
        static const char sep[6] = { '-', '-', 'T', ':', ':', '\0' };
        const char *p = t;
        for (int f = 0; f < 6; f++) {
                for (int i = 0; i < len[f]; i++, p++) {
                        if (*p < '0' || *p > '9')
                                return false;
                        v[f] = v[f] * 10 + (*p - '0');
                }
                if (sep[f]) {
                        if (*p != sep[f])
                                return false;
                        p++;
                }
        }
        int ms = 0;
        if (*p == '.') {
                p++;
                int digits = 0;
                for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
                        if (digits < 3)
                                ms = ms * 10 + (*p - '0');
                for (int d = digits; d < 3; d++)
                        ms *= 10;
        }
        if (p[0] != 'Z' || p[1] != '\0')
                return false;
        if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
                return false;
        struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                         .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5] };
        time_t secs = timegm(&tm);
        if (secs == (time_t)-1)
                return false;
        *ret = (int64_t)secs * 1000 + ms;
        return true;
}

static const char *jstr(json_t *o, const char *key, size_t max)
{
        const char *v = json_string_value(json_object_get(o, key));
        return v && strlen(v) <= max ? v : NULL;
}

struct remote_item {
        char id[STORE_ID_SIZE];
        const char *asset_id, *master_id, *sku, *paper;
        int quantity, rotate;
        double cx, cy, cw, ch;
        char *render;
};

static int remote_parse_item(json_t *it, struct remote_item *x, struct store_errbuf *err)
{
        const char *id = jstr(it, "item_id", 36);
        if (!id || !sync_uuid_valid(id))
                return store_fail(err, STORE_E_INVALID, "remote item: bad item_id");
        snprintf(x->id, sizeof(x->id), "%s", id);
        x->asset_id = jstr(it, "asset_id", 127);
        x->sku = jstr(it, "sku", 31);
        x->paper = jstr(it, "paper", 31);
        json_t *m = json_object_get(it, "master_asset_id");
        x->master_id = m && json_is_string(m) && strlen(json_string_value(m)) <= 127
                               ? json_string_value(m) : "";
        json_t *q = json_object_get(it, "quantity");
        if (!x->asset_id || !*x->asset_id || !short_token(x->sku, 31) || !short_token(x->paper, 31) ||
            !json_is_integer(q) || json_integer_value(q) < 1 ||
            json_integer_value(q) > STORE_MAX_QUANTITY)
                return store_fail(err, STORE_E_INVALID, "remote item: asset_id, sku, paper, quantity");
        x->quantity = (int)json_integer_value(q);
        json_t *rot = json_object_get(it, "rotate");
        x->rotate = rot ? (int)json_integer_value(rot) : 0;
        if (rot && (!json_is_integer(rot) ||
                    (x->rotate != 0 && x->rotate != 90 && x->rotate != 180 && x->rotate != 270)))
                return store_fail(err, STORE_E_INVALID, "remote item: rotate");
        x->cx = 0, x->cy = 0, x->cw = 1, x->ch = 1;
        json_t *crop = json_object_get(it, "crop");
        if (crop) {
                json_t *cv[4] = { json_object_get(crop, "x"), json_object_get(crop, "y"),
                                  json_object_get(crop, "w"), json_object_get(crop, "h") };
                for (int k = 0; k < 4; k++)
                        if (!json_is_number(cv[k]))
                                return store_fail(err, STORE_E_INVALID, "remote item: crop");
                x->cx = json_number_value(cv[0]);
                x->cy = json_number_value(cv[1]);
                x->cw = json_number_value(cv[2]);
                x->ch = json_number_value(cv[3]);
                if (!(x->cx >= 0 && x->cy >= 0 && x->cw > 0 && x->ch > 0 && x->cx + x->cw <= 1.000001 &&
                      x->cy + x->ch <= 1.000001))
                        return store_fail(err, STORE_E_INVALID, "remote item: crop outside the photo");
        }
        json_t *render = json_object_get(it, "render");
        x->render = json_is_object(render) ? json_dumps(render, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        return 0;
}

int store_order_insert_remote(struct store *s, const char *json, size_t len, bool *ret_inserted,
                              struct store_errbuf *err)
{
        if (!json || len == 0 || len > STORE_OUTBOX_MAX_PAYLOAD)
                return store_fail(err, STORE_E_INVALID, "remote order: empty or larger than 1 MiB");
        json_error_t jerr;
        json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(o)) {
                json_decref(o);
                return store_fail(err, STORE_E_INVALID, "remote order: not a JSON object (line %d)",
                                  jerr.line);
        }
        int r = 0;
        struct remote_item *items = NULL;
        size_t n_items = 0;
        const char *id = jstr(o, "order_id", 36);
        /* Codes share the orders.code column and STORE_CODE_SIZE: 1..7 characters. */
        const char *code = jstr(o, "code", STORE_CODE_SIZE - 1);
        const char *currency = jstr(o, "currency", 3);
        const char *price_list = jstr(o, "price_list", 31);
        const char *channel = jstr(o, "channel", 8);
        json_t *total = json_object_get(o, "total_minor");
        json_t *jitems = json_object_get(o, "items");
        int64_t created = 0, locked = 0, now = 0;
        enum order_state existing;
        if (!id || !sync_uuid_valid(id) || !short_token(code, STORE_CODE_SIZE - 1) || !currency_valid(currency) ||
            !json_is_integer(total) || json_integer_value(total) < 0 || !json_is_array(jitems) ||
            json_array_size(jitems) == 0 || json_array_size(jitems) > STORE_MAX_ITEMS ||
            (channel && strcmp(channel, "app") != 0)) {
                r = store_fail(err, STORE_E_INVALID,
                               "remote order: order_id, code, currency, total_minor, items or channel");
                goto out;
        }
        if (!parse_time(jstr(o, "created_at", 40), &created))
                created = store_now_ms(s);
        if (!parse_time(jstr(o, "locked_at", 40), &locked))
                locked = created;
        n_items = json_array_size(jitems);
        items = calloc(n_items, sizeof(*items));
        if (!items) {
                r = store_fail(err, STORE_E_IO, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < n_items && r == 0; i++)
                r = remote_parse_item(json_array_get(jitems, i), &items[i], err);
        if (r < 0)
                goto out;

        r = store_tx_begin(s, err);
        if (r < 0)
                goto out;
        r = store_order_state_get(s, id, &existing, NULL);
        if (r == 0) {
                /* Delivered again: stored once. */
                store_tx_rollback(s);
                if (ret_inserted)
                        *ret_inserted = false;
                goto out;
        }
        if (r != STORE_E_NOT_FOUND) {
                store_tx_rollback(s);
                r = store_fail(err, r, "remote order: cannot read the store");
                goto out;
        }
        now = store_now_ms(s);
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s,
                               "INSERT INTO orders(id, code, channel, state, currency, total_minor, "
                               "price_list, created_at, locked_at, updated_at, remote_json) "
                               "VALUES (?1, ?2, 'app', 'received', ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                               &st, err);
                if (r == 0) {
                        store_bind_text(st, 1, id);
                        store_bind_text(st, 2, code);
                        store_bind_text(st, 3, currency);
                        sqlite3_bind_int64(st, 4, json_integer_value(total));
                        store_bind_text(st, 5, price_list ? price_list : "");
                        sqlite3_bind_int64(st, 6, created);
                        sqlite3_bind_int64(st, 7, locked);
                        sqlite3_bind_int64(st, 8, now);
                        sqlite3_bind_text(st, 9, json, (int)len, SQLITE_TRANSIENT);
                        int rc = sqlite3_step(st);
                        if (rc == SQLITE_CONSTRAINT_UNIQUE)
                                r = store_fail(err, STORE_E_CONFLICT,
                                               "remote order: pickup code %s already used", code);
                        else if (rc != SQLITE_DONE)
                                r = store_sqlite_fail(s, rc, err, "insert remote order");
                }
        }
        for (size_t i = 0; i < n_items && r == 0; i++) {
                struct remote_item *x = &items[i];
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s,
                               "INSERT INTO order_items(id, order_id, pos, asset_remote_id, sku, paper, "
                               "quantity, crop_x, crop_y, crop_w, crop_h, rotate, transform_json, "
                               "master_remote_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               &st, err);
                if (r < 0)
                        break;
                store_bind_text(st, 1, x->id);
                store_bind_text(st, 2, id);
                sqlite3_bind_int(st, 3, (int)i + 1);
                store_bind_text(st, 4, x->asset_id);
                store_bind_text(st, 5, x->sku);
                store_bind_text(st, 6, x->paper);
                sqlite3_bind_int(st, 7, x->quantity);
                sqlite3_bind_double(st, 8, x->cx);
                sqlite3_bind_double(st, 9, x->cy);
                sqlite3_bind_double(st, 10, x->cw);
                sqlite3_bind_double(st, 11, x->ch);
                sqlite3_bind_int(st, 12, x->rotate);
                store_bind_text(st, 13, x->render);
                store_bind_text(st, 14, x->master_id);
                int rc = sqlite3_step(st);
                if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                        r = store_fail(err, STORE_E_CONFLICT, "remote order: item id already used");
                else if (rc != SQLITE_DONE)
                        r = store_sqlite_fail(s, rc, err, "insert remote item");
        }
        if (r == 0)
                r = store_audit_insert(s, id, "insert", NULL, "received", "system",
                                       "pulled from headquarters", err);
        if (r == 0)
                r = store_outbox_insert_event(s, id, "accepted", "system", NULL, err);
        if (r < 0) {
                store_tx_rollback(s);
                goto out;
        }
        r = store_tx_commit(s, err);
        if (r == 0 && ret_inserted)
                *ret_inserted = true;
out:
        for (size_t i = 0; items && i < n_items; i++)
                free(items[i].render);
        free(items);
        json_decref(o);
        return r;
}

int store_grow(void **rows, size_t *cap, size_t n, size_t elem)
{
        if (n < *cap)
                return 0;
        size_t ncap = *cap ? *cap * 2 : 8;
        if (ncap > SIZE_MAX / elem)
                return -1;
        void *nr = realloc(*rows, ncap * elem);
        if (!nr)
                return -1;
        *rows = nr;
        *cap = ncap;
        return 0;
}

/* ---- audit -------------------------------------------------------------------------- */

int store_audit_insert(struct store *s, const char *order_id, const char *kind, const char *from,
                       const char *to, const char *actor, const char *reason,
                       struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "INSERT INTO audit(at, actor, order_id, kind, from_state, to_state, reason) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st, err);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, store_now_ms(s));
        store_bind_text(st, 2, actor);
        store_bind_text(st, 3, order_id);
        store_bind_text(st, 4, kind);
        store_bind_text(st, 5, from);
        store_bind_text(st, 6, to);
        store_bind_text(st, 7, reason ? reason : "");
        return store_step_done(s, st, err, "insert audit");
}

int store_audit_note(struct store *s, const char *order_id, const char *actor, const char *reason,
                     struct store_errbuf *err)
{
        if (!order_id || !reason || !reason[0] || !store_actor_valid(actor))
                return store_fail(err, STORE_E_INVALID, "audit note needs an order, an actor and a reason");
        struct store_order *o = NULL;
        int r = store_order_get(s, order_id, &o, err);
        if (r < 0)
                return r;
        const char *st = store_order_state_name(o->state);
        r = store_audit_insert(s, order_id, "transition", st, st, actor, reason, err);
        store_order_free(o);
        return r;
}

int store_audit_list(struct store *s, const char *order_id, struct store_audit **ret,
                     size_t *ret_n, struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "SELECT id, at, actor, order_id, kind, coalesce(from_state, ''), to_state, "
                              "reason FROM audit WHERE order_id = ? ORDER BY id LIMIT 100000",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, order_id);
        struct store_audit *rows = NULL;
        size_t n = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (store_grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                struct store_audit *x = &rows[n++];
                memset(x, 0, sizeof(*x));
                x->id = sqlite3_column_int64(st, 0);
                x->at = sqlite3_column_int64(st, 1);
                store_col_text(st, 2, x->actor, sizeof(x->actor));
                store_col_text(st, 3, x->order_id, sizeof(x->order_id));
                store_col_text(st, 4, x->kind, sizeof(x->kind));
                store_col_text(st, 5, x->from, sizeof(x->from));
                store_col_text(st, 6, x->to, sizeof(x->to));
                store_col_text(st, 7, x->reason, sizeof(x->reason));
        }
        if (rc != SQLITE_DONE) {
                free(rows);
                return store_sqlite_fail(s, rc, err, "list audit");
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* ---- print jobs ------------------------------------------------------------------------ */

static const char *const job_states[] = {
        [STORE_JOB_PENDING] = "pending",     [STORE_JOB_SUBMITTED] = "submitted",
        [STORE_JOB_PROCESSING] = "processing", [STORE_JOB_COMPLETED] = "completed",
        [STORE_JOB_FAILED] = "failed",       [STORE_JOB_CANCELLED] = "cancelled",
};

const char *store_job_state_name(enum store_job_state st)
{
        return (unsigned)st < _STORE_JOB_STATE_MAX ? job_states[st] : "invalid";
}

bool store_job_state_is_final(enum store_job_state st)
{
        return st == STORE_JOB_COMPLETED || st == STORE_JOB_FAILED || st == STORE_JOB_CANCELLED;
}

static enum store_job_state job_state_parse(const char *name)
{
        for (int i = 0; name && i < _STORE_JOB_STATE_MAX; i++)
                if (strcmp(job_states[i], name) == 0)
                        return (enum store_job_state)i;
        return STORE_JOB_FAILED;
}

/* Forward only along pending < submitted < processing < completed (a recovering
 * kiosk may find a job already further on in CUPS); failed and cancelled from
 * any state that is not final. */
static bool job_move_allowed(enum store_job_state from, enum store_job_state to)
{
        if (store_job_state_is_final(from))
                return false;
        if (to == STORE_JOB_FAILED || to == STORE_JOB_CANCELLED)
                return true;
        return to > from && to <= STORE_JOB_COMPLETED;
}

static int job_insert(struct store *s, const char *item_id, const char *queue, int copies,
                      const char *reprint_reason, const char *staff, char ret_order_id[STORE_ID_SIZE],
                      char ret_job_id[STORE_ID_SIZE], struct store_errbuf *err)
{
        if (!short_token(queue, 127))
                return store_fail(err, STORE_E_INVALID, "bad printer queue name");
        if (copies < 1 || copies > 999)
                return store_fail(err, STORE_E_INVALID, "copies %d outside 1..999", copies);
        char order_id[STORE_ID_SIZE];
        int attempt;
        {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                int r = store_stmt(s, "SELECT order_id, (SELECT count(*) FROM print_jobs j WHERE "
                                      "j.item_id = i.id) FROM order_items i WHERE id = ?",
                                   &st, err);
                if (r < 0)
                        return r;
                store_bind_text(st, 1, item_id);
                r = store_step_row(s, st, err, "item", item_id);
                if (r < 0)
                        return r;
                store_col_text(st, 0, order_id, sizeof(order_id));
                attempt = sqlite3_column_int(st, 1) + 1;
        }
        char id[STORE_ID_SIZE];
        if (sync_uuid_v4(id) < 0)
                return store_fail(err, STORE_E_IO, "no random source for a job id");
        int64_t now = store_now_ms(s);
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s,
                           "INSERT INTO print_jobs(id, item_id, order_id, queue, state, copies, attempt, "
                           "reprint_reason, staff_id, created_at, updated_at) "
                           "VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?9)",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, item_id);
        store_bind_text(st, 3, order_id);
        store_bind_text(st, 4, queue);
        sqlite3_bind_int(st, 5, copies);
        sqlite3_bind_int(st, 6, attempt);
        store_bind_text(st, 7, reprint_reason ? reprint_reason : "");
        store_bind_text(st, 8, staff ? staff : "");
        sqlite3_bind_int64(st, 9, now);
        r = store_step_done(s, st, err, "insert print job");
        if (r < 0)
                return r;
        memcpy(ret_job_id, id, STORE_ID_SIZE);
        if (ret_order_id)
                memcpy(ret_order_id, order_id, STORE_ID_SIZE);
        return 0;
}

int store_job_create(struct store *s, const char *item_id, const char *queue, int copies,
                     char ret_job_id[STORE_ID_SIZE], struct store_errbuf *err)
{
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        char id[STORE_ID_SIZE];
        r = job_insert(s, item_id, queue, copies, NULL, NULL, NULL, id, err);
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        r = store_tx_commit(s, err);
        if (r == 0)
                memcpy(ret_job_id, id, STORE_ID_SIZE);
        return r;
}

int store_job_set_cups_id(struct store *s, const char *job_id, int cups_job_id,
                          struct store_errbuf *err)
{
        if (cups_job_id <= 0)
                return store_fail(err, STORE_E_INVALID, "CUPS job ids are positive");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, "UPDATE print_jobs SET cups_job_id = ?, updated_at = ? WHERE id = ?", &st,
                           err);
        if (r < 0)
                return r;
        sqlite3_bind_int(st, 1, cups_job_id);
        sqlite3_bind_int64(st, 2, store_now_ms(s));
        store_bind_text(st, 3, job_id);
        r = store_step_done(s, st, err, "set CUPS job id");
        if (r == 0 && sqlite3_changes(s->db) == 0)
                r = store_fail(err, STORE_E_NOT_FOUND, "no print job %s", job_id ? job_id : "");
        return r;
}

#define JOB_COLUMNS                                                                          \
        "SELECT id, item_id, order_id, queue, coalesce(cups_job_id, 0), state, copies, attempt, " \
        "reason, reprint_reason, staff_id, created_at, updated_at FROM print_jobs "

static void job_row(sqlite3_stmt *st, struct store_job *j)
{
        memset(j, 0, sizeof(*j));
        store_col_text(st, 0, j->id, sizeof(j->id));
        store_col_text(st, 1, j->item_id, sizeof(j->item_id));
        store_col_text(st, 2, j->order_id, sizeof(j->order_id));
        store_col_text(st, 3, j->queue, sizeof(j->queue));
        j->cups_job_id = sqlite3_column_int(st, 4);
        j->state = job_state_parse((const char *)sqlite3_column_text(st, 5));
        j->copies = sqlite3_column_int(st, 6);
        j->attempt = sqlite3_column_int(st, 7);
        store_col_text(st, 8, j->reason, sizeof(j->reason));
        store_col_text(st, 9, j->reprint_reason, sizeof(j->reprint_reason));
        store_col_text(st, 10, j->staff_id, sizeof(j->staff_id));
        j->created_at = sqlite3_column_int64(st, 11);
        j->updated_at = sqlite3_column_int64(st, 12);
}

int store_job_get(struct store *s, const char *job_id, struct store_job *ret,
                  struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, JOB_COLUMNS "WHERE id = ?", &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, job_id);
        r = store_step_row(s, st, err, "print job", job_id);
        if (r < 0)
                return r;
        job_row(st, ret);
        return 0;
}

int store_job_set_state(struct store *s, const char *job_id, enum store_job_state to,
                        const char *reason, struct store_errbuf *err)
{
        if ((unsigned)to >= _STORE_JOB_STATE_MAX)
                return store_fail(err, STORE_E_INVALID, "bad job state");
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        struct store_job j;
        r = store_job_get(s, job_id, &j, err);
        if (r == 0 && j.state == to) {
                store_tx_rollback(s);
                return 0;
        }
        if (r == 0 && !job_move_allowed(j.state, to))
                r = store_fail(err, STORE_E_ILLEGAL, "print job from %s to %s is not allowed",
                               store_job_state_name(j.state), store_job_state_name(to));
        if (r == 0) {
                _cleanup_reset_ sqlite3_stmt *st = NULL;
                r = store_stmt(s, "UPDATE print_jobs SET state = ?, reason = coalesce(?, reason), "
                                  "updated_at = ? WHERE id = ?",
                               &st, err);
                if (r == 0) {
                        store_bind_text(st, 1, store_job_state_name(to));
                        store_bind_text(st, 2, reason);
                        sqlite3_bind_int64(st, 3, store_now_ms(s));
                        store_bind_text(st, 4, job_id);
                        r = store_step_done(s, st, err, "update print job");
                }
        }
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        return store_tx_commit(s, err);
}

int store_job_list(struct store *s, const char *order_id, bool open_only, struct store_job **ret,
                   size_t *ret_n, struct store_errbuf *err)
{
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, JOB_COLUMNS "WHERE (?1 IS NULL OR order_id = ?1) AND (?2 = 0 OR state IN "
                                          "('pending','submitted','processing')) "
                                          "ORDER BY created_at, id LIMIT 100000",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, order_id);
        sqlite3_bind_int(st, 2, open_only ? 1 : 0);
        struct store_job *rows = NULL;
        size_t n = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (store_grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                job_row(st, &rows[n++]);
        }
        if (rc != SQLITE_DONE) {
                free(rows);
                return store_sqlite_fail(s, rc, err, "list print jobs");
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

int store_job_reprint(struct store *s, const char *item_id, const char *queue, int copies,
                      const char *reason, const char *staff_actor, char ret_job_id[STORE_ID_SIZE],
                      struct store_errbuf *err)
{
        if (!staff_actor || !store_actor_valid(staff_actor) ||
            (strncmp(staff_actor, "staff:", 6) != 0 && strcmp(staff_actor, "technician") != 0))
                return store_fail(err, STORE_E_INVALID, "a reprint needs staff:<id> or technician");
        if (!reason || !*reason || strlen(reason) > 200)
                return store_fail(err, STORE_E_INVALID, "a reprint needs a reason (1..200 bytes)");
        int r = store_tx_begin(s, err);
        if (r < 0)
                return r;
        char order_id[STORE_ID_SIZE], id[STORE_ID_SIZE];
        enum order_state state = ORDER_DRAFT;
        r = job_insert(s, item_id, queue, copies, reason, staff_actor, order_id, id, err);
        if (r == 0)
                r = store_order_state_get(s, order_id, &state, err);
        if (r == 0 && state != ORDER_PRINTED && state != ORDER_READY && state != ORDER_COLLECTED)
                r = store_fail(err, STORE_E_ILLEGAL, "order is %s: only printed, ready or collected "
                                                     "orders are reprinted",
                               store_order_state_name(state));
        if (r == 0)
                r = store_audit_insert(s, order_id, "reprint", store_order_state_name(state),
                                       store_order_state_name(state), staff_actor, reason, err);
        if (r == 0) {
                json_t *d = json_pack("{s:s, s:s, s:s}", "item_id", item_id, "job_id", id, "reason",
                                      reason);
                char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
                json_decref(d);
                r = detail ? store_outbox_insert_event(s, order_id, "reprinted", staff_actor, detail, err)
                           : store_fail(err, STORE_E_IO, "cannot build event");
                free(detail);
        }
        if (r < 0) {
                store_tx_rollback(s);
                return r;
        }
        r = store_tx_commit(s, err);
        if (r == 0)
                memcpy(ret_job_id, id, STORE_ID_SIZE);
        return r;
}

/* ---- key/value --------------------------------------------------------------------------- */

int store_kv_get(struct store *s, enum store_kv table, const char *key, char **ret_value,
                 struct store_errbuf *err)
{
        if ((unsigned)table >= _STORE_KV_MAX || !key)
                return store_fail(err, STORE_E_INVALID, "bad key/value table or key");
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, table == STORE_KV_SYNC ? "SELECT value FROM sync_state WHERE key = ?"
                                                     : "SELECT value FROM settings WHERE key = ?",
                           &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, key);
        r = store_step_row(s, st, err, "setting", key);
        if (r < 0)
                return r;
        char *v = store_col_strdup(st, 0);
        if (!v)
                return store_fail(err, STORE_E_IO, "out of memory");
        *ret_value = v;
        return 0;
}

int store_kv_set(struct store *s, enum store_kv table, const char *key, const char *value,
                 struct store_errbuf *err)
{
        if ((unsigned)table >= _STORE_KV_MAX || !key || !*key || strlen(key) > 64 ||
            (value && strlen(value) > 64 * 1024))
                return store_fail(err, STORE_E_INVALID, "key 1..64 bytes, value up to 64 KiB");
        const char *sql;
        if (table == STORE_KV_SYNC)
                sql = value ? "INSERT INTO sync_state(key, value) VALUES (?1, ?2) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                            : "DELETE FROM sync_state WHERE key = ?1";
        else
                sql = value ? "INSERT INTO settings(key, value) VALUES (?1, ?2) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                            : "DELETE FROM settings WHERE key = ?1";
        _cleanup_reset_ sqlite3_stmt *st = NULL;
        int r = store_stmt(s, sql, &st, err);
        if (r < 0)
                return r;
        store_bind_text(st, 1, key);
        if (value)
                store_bind_text(st, 2, value);
        return store_step_done(s, st, err, "write setting");
}
