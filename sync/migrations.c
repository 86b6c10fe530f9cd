/* sync/migrations: the store's schema, as numbered migrations.
 *
 * Invariants:
 *   - PRAGMA user_version is the number of the last migration applied.
 *   - Migration N runs in one transaction with the user_version bump to N, so a
 *     crash leaves the database at N-1 or N, never in between.
 *   - Migrations only ever ADD (tables, columns with defaults, indexes). Software
 *     that knows fewer migrations must still read and write the database safely,
 *     but we do not let it: a database newer than STORE_SCHEMA_VERSION is refused
 *     (STORE_E_CORRUPT) and left untouched, so after a rollback of the software the
 *     technician sees a clear error instead of lost or mangled orders.
 *   - Never edit a released migration; append a new one.
 *
 * Times are Unix milliseconds (INTEGER). Ids are UUID text. States are names
 * (order_state.h), checked by CHECK constraints so a bug cannot store garbage.
 */
#include <stdio.h>

#include "sync/store_internal.h"

static const char *const migrations[] = {
        /* 1: initial schema */
        "CREATE TABLE sessions("
        "  id TEXT PRIMARY KEY,"
        "  started_at INTEGER NOT NULL,"
        "  ended_at INTEGER,"
        "  state TEXT NOT NULL CHECK (state IN ('active','ended','wiped')));"

        "CREATE TABLE assets("
        "  sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),"
        "  size INTEGER NOT NULL CHECK (size >= 0),"
        "  kind TEXT NOT NULL CHECK (kind IN ('photo','master')),"
        "  path TEXT NOT NULL,"
        "  content_type TEXT NOT NULL,"
        "  remote_id TEXT NOT NULL DEFAULT '',"
        "  created_at INTEGER NOT NULL,"
        "  wiped_at INTEGER);"

        "CREATE TABLE orders("
        "  id TEXT PRIMARY KEY,"
        "  code TEXT NOT NULL UNIQUE,"
        "  channel TEXT NOT NULL CHECK (channel IN ('kiosk','app')),"
        "  state TEXT NOT NULL CHECK (state IN ('draft','locked','rendering','queued',"
        "    'printing','printed','ready','collected','cancelled','failed','received')),"
        "  currency TEXT NOT NULL DEFAULT '',"
        "  total_minor INTEGER NOT NULL DEFAULT 0 CHECK (total_minor >= 0),"
        "  price_list TEXT NOT NULL DEFAULT '',"
        "  session_id TEXT REFERENCES sessions(id),"
        "  created_at INTEGER NOT NULL,"
        "  locked_at INTEGER,"
        "  updated_at INTEGER NOT NULL,"
        "  remote_json TEXT);"
        "CREATE INDEX orders_by_state ON orders(state, created_at);"
        "CREATE INDEX orders_by_created ON orders(created_at);"

        "CREATE TABLE order_items("
        "  id TEXT PRIMARY KEY,"
        "  order_id TEXT NOT NULL REFERENCES orders(id),"
        "  pos INTEGER NOT NULL,"
        "  asset_sha256 TEXT REFERENCES assets(sha256),"
        "  asset_remote_id TEXT NOT NULL DEFAULT '',"
        "  sku TEXT NOT NULL,"
        "  paper TEXT NOT NULL,"
        "  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 999),"
        "  crop_x REAL NOT NULL, crop_y REAL NOT NULL, crop_w REAL NOT NULL, crop_h REAL NOT NULL,"
        "  rotate INTEGER NOT NULL CHECK (rotate IN (0,90,180,270)),"
        "  border INTEGER NOT NULL DEFAULT 0,"
        "  unit_price_minor INTEGER NOT NULL DEFAULT 0 CHECK (unit_price_minor >= 0),"
        "  transform_json TEXT,"
        "  master_sha256 TEXT REFERENCES assets(sha256),"
        "  master_remote_id TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX order_items_by_order ON order_items(order_id, pos);"

        "CREATE TABLE print_jobs("
        "  id TEXT PRIMARY KEY,"
        "  item_id TEXT NOT NULL REFERENCES order_items(id),"
        "  order_id TEXT NOT NULL REFERENCES orders(id),"
        "  queue TEXT NOT NULL,"
        "  cups_job_id INTEGER,"
        "  state TEXT NOT NULL CHECK (state IN ('pending','submitted','processing',"
        "    'completed','failed','cancelled')),"
        "  copies INTEGER NOT NULL CHECK (copies BETWEEN 1 AND 999),"
        "  attempt INTEGER NOT NULL,"
        "  reason TEXT NOT NULL DEFAULT '',"
        "  reprint_reason TEXT NOT NULL DEFAULT '',"
        "  staff_id TEXT NOT NULL DEFAULT '',"
        "  created_at INTEGER NOT NULL,"
        "  updated_at INTEGER NOT NULL);"
        "CREATE INDEX print_jobs_by_order ON print_jobs(order_id, created_at);"
        "CREATE INDEX print_jobs_by_item ON print_jobs(item_id);"
        "CREATE INDEX print_jobs_open ON print_jobs(created_at)"
        "  WHERE state IN ('pending','submitted','processing');"

        "CREATE TABLE audit("
        "  id INTEGER PRIMARY KEY,"
        "  at INTEGER NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  order_id TEXT NOT NULL REFERENCES orders(id),"
        "  kind TEXT NOT NULL CHECK (kind IN ('transition','insert','reprint')),"
        "  from_state TEXT,"
        "  to_state TEXT NOT NULL,"
        "  reason TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX audit_by_order ON audit(order_id, id);"

        /* id is the delivery order (INTEGER PRIMARY KEY: max(id)+1, and rows are
         * never deleted, so ids only grow). */
        "CREATE TABLE outbox("
        "  id INTEGER PRIMARY KEY,"
        "  order_id TEXT REFERENCES orders(id),"
        "  kind TEXT NOT NULL CHECK (kind IN ('order','event','asset-upload')),"
        "  event_id TEXT,"
        "  idempotency_key TEXT NOT NULL,"
        "  payload TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  attempts INTEGER NOT NULL DEFAULT 0,"
        "  next_attempt_at INTEGER NOT NULL,"
        "  last_error TEXT NOT NULL DEFAULT '',"
        "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sent','dead')),"
        "  sent_at INTEGER);"
        "CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';"
        "CREATE INDEX outbox_by_order ON outbox(order_id, id);"
        /* Only asset uploads are looked up by key (dedupe); events carry fresh
         * UUIDs and orders their own id, so no index pages are spent on them:
         * every page a lock touches is written to the WAL and fsynced. */
        "CREATE INDEX outbox_asset_key ON outbox(idempotency_key) WHERE kind = 'asset-upload';"

        "CREATE TABLE sync_state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION must equal the number of migrations");

static int user_version(struct store *s, int *ret, struct store_errbuf *err)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_fail(s, rc, err, "read schema version");
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return store_sqlite_fail(s, rc, err, "read schema version");
        }
        *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
}

int store_migrate(struct store *s, struct store_errbuf *err)
{
        int v = 0;
        int r = user_version(s, &v, err);
        if (r < 0)
                return r;
        if (v > STORE_SCHEMA_VERSION)
                return store_fail(err, STORE_E_CORRUPT,
                                  "database schema version %d is newer than this software "
                                  "(knows %d): refusing to open it; install the newer "
                                  "software again, orders are untouched",
                                  v, STORE_SCHEMA_VERSION);
        if (v < 0)
                return store_fail(err, STORE_E_CORRUPT, "database schema version %d is invalid", v);
        for (int n = v + 1; n <= STORE_SCHEMA_VERSION; n++) {
                /* BEGIN IMMEDIATE: another process opening the same store at the
                 * same time waits, then re-reads the version below. */
                r = store_exec(s, "BEGIN IMMEDIATE", err);
                if (r < 0)
                        return r;
                int cur = 0;
                r = user_version(s, &cur, err);
                if (r == 0 && cur >= n) {
                        store_exec(s, "COMMIT", NULL);
                        continue; /* someone else migrated meanwhile */
                }
                if (r == 0)
                        r = store_exec(s, migrations[n - 1], err);
                char bump[64];
                snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", n);
                if (r == 0)
                        r = store_exec(s, bump, err);
                if (r == 0)
                        r = store_exec(s, "COMMIT", err);
                if (r < 0) {
                        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        s->schema_version = STORE_SCHEMA_VERSION;
        return 0;
}
