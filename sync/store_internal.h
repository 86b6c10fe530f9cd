/* sync/store_internal.h: what store.c, migrations.c, order_state.c and outbox.c
 * share. Not part of the interface. */
#pragma once
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "sync/store.h"

#define STORE_STMT_CACHE 64     /* distinct SQL statements the store uses (< 64) */
#define STORE_BUSY_TIMEOUT_MS 5000

struct store_stmt_slot {
        const char *sql;        /* a string literal: compared by address, then text */
        sqlite3_stmt *stmt;
};

struct store {
        sqlite3 *db;
        int tx_depth;           /* 0 = autocommit; >0 = nested store_tx_begin */
        int schema_version;
        int64_t (*clock)(void *userdata);
        void *clock_userdata;
        struct store_stmt_slot stmts[STORE_STMT_CACHE];
        int n_stmts;
};

/* A cached prepared statement for sql, reset and with bindings cleared. */
int store_stmt(struct store *s, const char *sql, sqlite3_stmt **ret, struct store_errbuf *err);

/* sqlite3_reset on scope exit so no read transaction stays open. */
static inline void store_stmt_resetp(sqlite3_stmt **st)
{
        if (*st)
                sqlite3_reset(*st);
}
#define _cleanup_reset_ __attribute__((cleanup(store_stmt_resetp)))

/* Map an SQLite result code to an enum store_error and fill err. */
int store_sqlite_fail(struct store *s, int rc, struct store_errbuf *err, const char *what);
/* Run one statement without results (sqlite3_exec). */
int store_exec(struct store *s, const char *sql, struct store_errbuf *err);

/* Bind helpers: text NULL binds NULL. Return an SQLite code. */
int store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Copy column i as text into buf (size n), "" for NULL; truncates safely. */
void store_col_text(sqlite3_stmt *st, int i, char *buf, size_t n);
/* Column i as malloc'd text, NULL for NULL (transfer full). */
char *store_col_strdup(sqlite3_stmt *st, int i);

/* Run a stepped write statement to completion (SQLITE_DONE). */
int store_step_done(struct store *s, sqlite3_stmt *st, struct store_errbuf *err, const char *what);
/* Step a lookup to its first row: 0 on a row, STORE_E_NOT_FOUND ("no WHAT KEY")
 * when there is none, else the SQLite failure ("read WHAT"). */
int store_step_row(struct store *s, sqlite3_stmt *st, struct store_errbuf *err, const char *what,
                   const char *key);

/* Migrations (migrations.c). */
int store_migrate(struct store *s, struct store_errbuf *err);

/* "YYYY-MM-DDTHH:MM:SSZ" for Unix ms; buf >= 21 bytes. */
void store_format_time(int64_t ms, char buf[32]);

/* Order state machine internals (order_state.c): performs an allowed transition
 * inside the caller's transaction: UPDATE + audit + outbox (if any). */
int store_order_apply(struct store *s, const char *order_id, enum order_state from,
                      enum order_state to, const char *actor, const char *reason,
                      struct store_errbuf *err);
/* Insert one audit row. from may be NULL. */
/* Make room for element n of a malloc'd array of `elem`-byte elements with
 * capacity *cap (doubling from 8): 0, or -1 on overflow / out of memory (the
 * array is left as it was). */
int store_grow(void **rows, size_t *cap, size_t n, size_t elem);
int store_audit_insert(struct store *s, const char *order_id, const char *kind, const char *from,
                       const char *to, const char *actor, const char *reason,
                       struct store_errbuf *err);
/* Current state of an order (inside or outside a transaction). */
int store_order_state_get(struct store *s, const char *order_id, enum order_state *ret,
                          struct store_errbuf *err);

/* Outbox internals (outbox.c): insert an event row with a fresh event_id and the
 * contract body; detail_json may be NULL ({}). */
int store_outbox_insert_event(struct store *s, const char *order_id, const char *type,
                              const char *actor, const char *detail_json, struct store_errbuf *err);
/* Insert an outbox row of any kind (payload owned by the caller). */
int store_outbox_insert(struct store *s, const char *order_id, const char *kind,
                        const char *event_id, const char *key, const char *payload,
                        int64_t *ret_id, struct store_errbuf *err);
