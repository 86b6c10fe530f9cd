/* sync/store: the kiosk's durable order store (SQLite).
 *
 * What it holds: customer sessions, assets (photos and print masters, files in the
 * spool named by SHA-256), orders and their items, print jobs, the audit trail, the
 * outbox towards headquarters (sync/outbox.h), and two small key/value tables
 * (sync state: pickup cursor, clock offset; settings).
 *
 * Invariants:
 *   - WAL journal, synchronous=FULL, foreign_keys=ON, busy_timeout: every function
 *     that returns 0 after a write has made it durable (survives power loss).
 *   - Schema migrations are numbered in code (PRAGMA user_version) and only ever
 *     add; a database written by NEWER software is refused with STORE_E_CORRUPT and
 *     left untouched, so rolling back the software never loses or corrupts orders.
 *   - A struct store is one SQLite connection and belongs to ONE thread at a time.
 *     Each thread that needs the store (UI core, print monitor, sync worker) opens
 *     its own; SQLite's locking and busy_timeout serialise writers across them.
 *   - Files are referenced only after they are durable: write them with
 *     sync/fsutil.h first, then call store_asset_put().
 *   - Times are Unix milliseconds (UTC) from the local clock; JSON for headquarters
 *     formats them as "YYYY-MM-DDTHH:MM:SSZ".
 *   - Every function returns 0 or a negative enum store_error (sync/error.h), with
 *     detail in the optional caller-owned errbuf. ret_* out-parameters are written
 *     only on success. Strings passed in are copied; nothing is retained.
 *   - Multi-step callers may group calls in one transaction with store_tx_begin /
 *     store_tx_commit (they nest: inner calls become savepoints).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"
#include "sync/order_state.h"

#define STORE_SCHEMA_VERSION 1   /* highest migration this code knows */
#define STORE_ID_SIZE 37         /* UUID text "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define STORE_CODE_SIZE 8        /* pickup code "K7Q-4RM" + NUL (sync/pickup_code.h) */
#define STORE_SHA256_SIZE 65     /* lowercase hex + NUL */
#define STORE_DB_NAME "kiosk.db" /* file name used when store_open() is given a folder */

struct store;

/* ---- opening ------------------------------------------------------------------ */

/* Open (creating if needed) the store at `path`: a database file, or an existing
 * folder, in which case STORE_DB_NAME inside it. Applies pending migrations.
 * Errors: STORE_E_CORRUPT (not a database, or schema newer than this code:
 * err says which versions), STORE_E_BUSY, STORE_E_IO. (transfer full) */
int store_open(const char *path, struct store **ret_store, struct store_errbuf *err);
/* Close; accepts NULL; returns NULL. */
struct store *store_close(struct store *s);
/* The schema version of the open database (== STORE_SCHEMA_VERSION after open). */
int store_schema_version(struct store *s);
/* PRAGMA quick_check; 0 or STORE_E_CORRUPT with the first problem (for `doctor`). */
int store_check(struct store *s, struct store_errbuf *err);

/* Group several calls in one IMMEDIATE transaction (nests as savepoints). Every
 * begin needs exactly one commit or rollback. */
int store_tx_begin(struct store *s, struct store_errbuf *err);
int store_tx_commit(struct store *s, struct store_errbuf *err);
void store_tx_rollback(struct store *s);

/* Current time in Unix ms; tests may replace the clock (NULL restores it). */
int64_t store_now_ms(const struct store *s);
void store_set_clock(struct store *s, int64_t (*now_ms)(void *userdata), void *userdata);

/* ---- sessions ----------------------------------------------------------------- */

/* A customer session (one visit). State "active", then "ended" or "wiped" (photos
 * removed). */
int store_session_begin(struct store *s, char ret_id[STORE_ID_SIZE], struct store_errbuf *err);
/* state: "ended" or "wiped". Errors: STORE_E_NOT_FOUND, STORE_E_INVALID. */
int store_session_end(struct store *s, const char *session_id, const char *state,
                      struct store_errbuf *err);

/* ---- assets ------------------------------------------------------------------- */

enum store_asset_kind { STORE_ASSET_PHOTO = 0, STORE_ASSET_MASTER, _STORE_ASSET_KIND_MAX };

struct store_asset {
        char sha256[STORE_SHA256_SIZE];
        int64_t size;
        enum store_asset_kind kind;
        char path[512];          /* spool path of the durable file */
        char content_type[64];   /* "image/jpeg", "image/tiff", ... */
        char remote_id[128];     /* headquarters' asset_id once uploaded, else "" */
        int64_t created_at;
        int64_t wiped_at;        /* 0 = file still present */
};

/* Insert, or accept again, an asset by sha256 (call after the file is durable).
 * Same sha256 with another size or kind: STORE_E_CONFLICT. A wiped asset that
 * comes back gets its path restored and wiped_at cleared. */
int store_asset_put(struct store *s, const struct store_asset *a, struct store_errbuf *err);
int store_asset_get(struct store *s, const char *sha256, struct store_asset *ret,
                    struct store_errbuf *err);
/* Record headquarters' asset_id after an upload (or a 200 "already held"). */
int store_asset_set_remote_id(struct store *s, const char *sha256, const char *remote_id,
                              struct store_errbuf *err);
/* The file was deleted (retention, session wipe). The row stays for the audit. */
int store_asset_mark_wiped(struct store *s, const char *sha256, struct store_errbuf *err);

/* ---- orders ------------------------------------------------------------------- */

enum store_channel { STORE_CHANNEL_KIOSK = 0, STORE_CHANNEL_APP, _STORE_CHANNEL_MAX };

/* One line of the price list, as app/prices gives it: integers only. */
struct store_price {
        const char *sku;
        const char *paper;
        int64_t unit_minor;      /* price of one print in minor units (pence) */
};
struct store_price_list {
        const char *version;     /* "2026-11" */
        const char *currency;    /* ISO 4217, 3 upper-case letters */
        const struct store_price *prices;
        size_t n_prices;
};

/* What a customer chose for one photo. */
struct store_item_spec {
        const char *asset_sha256;  /* must exist in assets */
        const char *sku;           /* "PRINT-6X4" */
        const char *paper;         /* "glossy" */
        int quantity;              /* 1..STORE_MAX_QUANTITY */
        double crop_x, crop_y, crop_w, crop_h; /* fractions of the oriented photo, 0..1 */
        int rotate;                /* 0, 90, 180, 270 */
        bool border;
};
#define STORE_MAX_QUANTITY 999
#define STORE_MAX_ITEMS 500        /* per order */

struct store_item {
        char id[STORE_ID_SIZE];
        char asset_sha256[STORE_SHA256_SIZE]; /* "" for a remote item not yet fetched */
        char asset_remote_id[128];            /* remote orders: HQ's asset_id */
        char sku[32];
        char paper[32];
        int quantity;
        double crop_x, crop_y, crop_w, crop_h;
        int rotate;
        bool border;
        int64_t unit_price_minor;             /* 0 until locked */
        char master_sha256[STORE_SHA256_SIZE]; /* "" until rendered */
        char master_remote_id[128];
        char master_path[512];
        char *transform_json;                 /* render record, NULL until rendered (owned by the order) */
};

struct store_order {
        char id[STORE_ID_SIZE];
        char code[STORE_CODE_SIZE];
        enum store_channel channel;
        enum order_state state;
        char currency[4];                     /* "" until locked */
        int64_t total_minor;
        char price_list[32];
        char session_id[STORE_ID_SIZE];       /* "" for remote orders */
        int64_t created_at, locked_at, updated_at; /* locked_at 0 = not locked */
        size_t n_items;
        struct store_item *items;             /* owned by the order */
};

/* A new draft order (channel kiosk) with a fresh uuid and a unique pickup code
 * (retried on collision). session_id may be NULL. */
int store_order_create(struct store *s, const char *session_id, char ret_id[STORE_ID_SIZE],
                       char ret_code[STORE_CODE_SIZE], struct store_errbuf *err);
/* Add an item to a DRAFT order (else STORE_E_ILLEGAL). The asset must exist
 * (STORE_E_NOT_FOUND); values out of range are STORE_E_INVALID. */
int store_order_add_item(struct store *s, const char *order_id,
                         const struct store_item_spec *spec, char ret_item_id[STORE_ID_SIZE],
                         struct store_errbuf *err);
/* Remove an item from a DRAFT order. */
int store_order_remove_item(struct store *s, const char *order_id, const char *item_id,
                            struct store_errbuf *err);
/* Lock a draft: in ONE transaction, price every item from `prices` (a missing
 * sku×paper is STORE_E_INVALID and nothing changes), total = Σ quantity × unit
 * (integer, overflow-checked), store currency + price list version + locked_at,
 * state draft → locked, audit row, and the "order" outbox row (payload: the order
 * JSON as store_order_json() makes it). An order with no items is STORE_E_INVALID.
 * Locking an already locked order is a no-op returning 0. */
int store_order_lock(struct store *s, const char *order_id, const struct store_price_list *prices,
                     const char *actor, struct store_errbuf *err);
/* After rendering an item's master: record its durable file (the master asset must
 * have been put first) and the transform record JSON. */
int store_item_set_master(struct store *s, const char *item_id, const char *master_sha256,
                          const char *transform_json, struct store_errbuf *err);

/* The order with its items. (transfer full: free with store_order_free) */
int store_order_get(struct store *s, const char *order_id, struct store_order **ret,
                    struct store_errbuf *err);
/* Same, found by pickup code (case-insensitive, dash optional). */
int store_order_get_by_code(struct store *s, const char *code, struct store_order **ret,
                            struct store_errbuf *err);
/* Accepts NULL; returns NULL. */
struct store_order *store_order_free(struct store_order *o);

/* The order as the central API's order body (see api/central-order-api.md):
 * kiosk_id/store_id from the settings keys "kiosk_id"/"store_id" ("" if unset);
 * asset_id/master_asset_id are HQ's ids when known, else the local sha256;
 * timestamps in UTC. NUL-terminated, compact. (transfer full: free()) */
int store_order_json(struct store *s, const char *order_id, char **ret_json,
                     struct store_errbuf *err);

/* Listing: one row per order, newest first. */
struct store_order_summary {
        char id[STORE_ID_SIZE];
        char code[STORE_CODE_SIZE];
        enum store_channel channel;
        enum order_state state;
        char currency[4];
        int64_t total_minor;
        int64_t created_at, updated_at;
        int n_items;
};
struct store_order_filter {
        uint32_t states;         /* bit (1u << state) per wanted state; 0 = all */
        int64_t since_ms;        /* created_at >= since_ms (start of "today"); 0 = all */
        int limit;               /* 0 = 1000; at most 10000 */
};
/* (transfer full: free() the array) */
int store_order_list(struct store *s, const struct store_order_filter *f,
                     struct store_order_summary **ret, size_t *ret_n, struct store_errbuf *err);

/* Store a phone-app order pulled from headquarters, idempotently by order_id:
 * `json` is one element of the pickups page's "orders" (contract order body,
 * channel "app"). New: inserted with state received (+ items, with HQ asset ids
 * and master fields as given), audit row, and an "accepted" event in the outbox,
 * all in one transaction; *ret_inserted = true. Already stored: nothing written,
 * *ret_inserted = false. Malformed (including a code longer than 7 characters):
 * STORE_E_INVALID; its code used by another order: STORE_E_CONFLICT. */
int store_order_insert_remote(struct store *s, const char *json, size_t len, bool *ret_inserted,
                              struct store_errbuf *err);
/* Link a remote item's downloaded files (photo and/or master; NULL leaves one
 * unchanged); the assets must have been put first. */
int store_item_set_assets(struct store *s, const char *item_id, const char *asset_sha256,
                          const char *master_sha256, struct store_errbuf *err);

/* ---- audit -------------------------------------------------------------------- */

struct store_audit {
        int64_t id;
        int64_t at;
        char actor[48];
        char order_id[STORE_ID_SIZE];
        char kind[16];           /* "transition", "insert", "reprint" */
        char from[16];           /* state name, "" for insert */
        char to[16];
        char reason[256];
};
/* Record something that happened to an order without changing its state (e.g.
 * the retention purge of its files): one audit row, kind "transition" with
 * from = to = the order's current state, so the audit trail's shape stays the
 * one the schema allows. actor as store_order_transition; reason must not be
 * empty and must hold no customer data. Errors: STORE_E_NOT_FOUND,
 * STORE_E_INVALID, STORE_E_IO. */
int store_audit_note(struct store *s, const char *order_id, const char *actor, const char *reason,
                     struct store_errbuf *err);
/* Audit rows of one order, oldest first. (transfer full: free() the array) */
int store_audit_list(struct store *s, const char *order_id, struct store_audit **ret,
                     size_t *ret_n, struct store_errbuf *err);

/* ---- print jobs ------------------------------------------------------------------ */

/* pending → submitted → processing → completed; failed and cancelled from any
 * non-final state; submitted → completed directly is allowed (fast printers). */
enum store_job_state {
        STORE_JOB_PENDING = 0,   /* row written, CUPS not yet called */
        STORE_JOB_SUBMITTED,     /* CUPS accepted it (cups_job_id set) */
        STORE_JOB_PROCESSING,
        STORE_JOB_COMPLETED,
        STORE_JOB_FAILED,
        STORE_JOB_CANCELLED,
        _STORE_JOB_STATE_MAX,
};
const char *store_job_state_name(enum store_job_state s);
bool store_job_state_is_final(enum store_job_state s);

struct store_job {
        char id[STORE_ID_SIZE];  /* also the CUPS job-uuid (urn:uuid:<id>) */
        char item_id[STORE_ID_SIZE];
        char order_id[STORE_ID_SIZE];
        char queue[128];
        int cups_job_id;         /* 0 = not yet known */
        enum store_job_state state;
        int copies;
        int attempt;             /* 1 for the first job of an item, +1 per reprint/retry */
        char reason[256];        /* last failure reason / printer keyword */
        char reprint_reason[256];/* "" unless a reprint */
        char staff_id[48];       /* actor who asked for the reprint */
        int64_t created_at, updated_at;
};

/* Write a pending job row for an item BEFORE calling CUPS. copies 1..999. */
int store_job_create(struct store *s, const char *item_id, const char *queue, int copies,
                     char ret_job_id[STORE_ID_SIZE], struct store_errbuf *err);
int store_job_set_cups_id(struct store *s, const char *job_id, int cups_job_id,
                          struct store_errbuf *err);
/* Move a job; same state again is a no-op; leaving a final state is STORE_E_ILLEGAL.
 * reason may be NULL. */
int store_job_set_state(struct store *s, const char *job_id, enum store_job_state to,
                        const char *reason, struct store_errbuf *err);
int store_job_get(struct store *s, const char *job_id, struct store_job *ret,
                  struct store_errbuf *err);
/* Jobs not in a final state (crash recovery), oldest first; order_id NULL = all
 * orders, else the jobs of that order (all states). (transfer full: free()) */
int store_job_list(struct store *s, const char *order_id, bool open_only, struct store_job **ret,
                   size_t *ret_n, struct store_errbuf *err);
/* Reprint an item of an order in printed, ready or collected (else
 * STORE_E_ILLEGAL): in one transaction a new pending job (attempt + 1, reason,
 * staff), an audit row (kind "reprint", actor = staff, from = to = current state)
 * and a "reprinted" event in the outbox. The order's state does not change.
 * staff_actor must be "staff:<id>" or "technician"; reason must not be empty. */
int store_job_reprint(struct store *s, const char *item_id, const char *queue, int copies,
                      const char *reason, const char *staff_actor,
                      char ret_job_id[STORE_ID_SIZE], struct store_errbuf *err);

/* ---- key/value ---------------------------------------------------------------- */

enum store_kv { STORE_KV_SYNC = 0, STORE_KV_SETTINGS, _STORE_KV_MAX };
/* Value of key (transfer full: free()); STORE_E_NOT_FOUND when unset. */
int store_kv_get(struct store *s, enum store_kv table, const char *key, char **ret_value,
                 struct store_errbuf *err);
/* Set (value NULL deletes). Keys 1..64 bytes, values up to 64 KiB. */
int store_kv_set(struct store *s, enum store_kv table, const char *key, const char *value,
                 struct store_errbuf *err);
