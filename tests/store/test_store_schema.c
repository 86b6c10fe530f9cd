/* Opening the store: migrations from empty, re-open, WAL + FULL + foreign keys,
 * refusal of a newer schema (file left untouched), a file that is not a
 * database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sync/store.h"
#include "tests/testutil.h"

static char *raw_query(const char *db, const char *sql)
{
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
        char *out = NULL;
        if (sqlite3_step(st) == SQLITE_ROW)
                out = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(h);
        return out;
}

static void fresh_store_is_migrated_in_wal_and_reopens(void **state)
{
        char *dir = pk_test_mkdtemp("schema");
        struct store *s = NULL;
        struct store_errbuf err = { "" };
        assert_int_equal(store_open(dir, &s, &err), 0);
        assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
        assert_int_equal(store_check(s, &err), 0);
        assert_int_equal(store_kv_set(s, STORE_KV_SETTINGS, "kiosk_id", "k1", &err), 0);
        store_close(s);

        char *db = pk_test_strdupf("%s/%s", dir, STORE_DB_NAME);
        char *mode = raw_query(db, "PRAGMA journal_mode");
        assert_string_equal(mode, "wal");
        free(mode);
        char *v = raw_query(db, "PRAGMA user_version");
        assert_int_equal(atoi(v), STORE_SCHEMA_VERSION);
        free(v);
        char *tables = raw_query(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                                     "WHERE type = 'table' ORDER BY name)");
        const char *want[] = { "assets", "audit", "order_items", "orders", "outbox", "print_jobs",
                               "sessions", "settings", "sync_state" };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(tables, want[i]))
                        fail_msg("table %s missing from %s", want[i], tables);
        free(tables);

        /* Re-open: no migration runs again, data is still there. */
        assert_int_equal(store_open(db, &s, &err), 0);
        char *val = NULL;
        assert_int_equal(store_kv_get(s, STORE_KV_SETTINGS, "kiosk_id", &val, &err), 0);
        assert_string_equal(val, "k1");
        free(val);
        store_close(s);
        free(db);
        pk_test_rmtree(dir);
        free(dir);
}

static void connection_uses_full_sync_and_foreign_keys(void **state)
{
        /* Checked through behaviour: an item naming an unknown asset is refused
         * (foreign keys on). synchronous=FULL is set by store_open; SQLite has no
         * way to read another connection's setting, so the benchmark's fsync
         * timing is the evidence for FULL. */
        char *dir = pk_test_mkdtemp("fk");
        struct store *s = NULL;
        assert_int_equal(store_open(dir, &s, NULL), 0);
        char id[STORE_ID_SIZE], code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
        assert_int_equal(store_order_create(s, NULL, id, code, NULL), 0);
        struct store_item_spec sp = { .asset_sha256 = "0000000000000000000000000000000000000000000000000000000000000000",
                                      .sku = "PRINT-6X4", .paper = "glossy", .quantity = 1, .crop_w = 1,
                                      .crop_h = 1 };
        assert_int_equal(store_order_add_item(s, id, &sp, item, NULL), STORE_E_NOT_FOUND);
        store_close(s);
        pk_test_rmtree(dir);
        free(dir);
}

static void newer_schema_is_refused_and_left_untouched(void **state)
{
        char *dir = pk_test_mkdtemp("newer");
        char *db = pk_test_strdupf("%s/%s", dir, STORE_DB_NAME);
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
        char sql[128];
        snprintf(sql, sizeof(sql), "CREATE TABLE future(x); PRAGMA user_version = %d;", STORE_SCHEMA_VERSION + 1);
        assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
        size_t len0 = 0, len1 = 0;
        char *before = pk_test_read_file(db, &len0);

        struct store *s = NULL;
        struct store_errbuf err = { "" };
        assert_int_equal(store_open(db, &s, &err), STORE_E_CORRUPT);
        assert_null(s);
        assert_non_null(strstr(err.msg, "newer"));

        char *after = pk_test_read_file(db, &len1);
        assert_int_equal(len0, len1);
        assert_memory_equal(before, after, len0);
        char *mode = raw_query(db, "PRAGMA journal_mode");
        assert_string_equal(mode, "delete"); /* not switched to WAL either */
        free(mode);
        free(before);
        free(after);
        free(db);
        pk_test_rmtree(dir);
        free(dir);
}

static void garbage_file_is_reported_corrupt(void **state)
{
        char *dir = pk_test_mkdtemp("garbage");
        char *db = pk_test_strdupf("%s/not.db", dir);
        char junk[4096];
        memset(junk, 'x', sizeof(junk));
        assert_int_equal(pk_test_write_file(db, junk, sizeof(junk)), 0);
        struct store *s = NULL;
        struct store_errbuf err = { "" };
        assert_int_equal(store_open(db, &s, &err), STORE_E_CORRUPT);
        assert_null(s);
        free(db);
        pk_test_rmtree(dir);
        free(dir);
}

static void nested_transactions_roll_back_as_one(void **state)
{
        char *dir = pk_test_mkdtemp("tx");
        struct store *s = NULL;
        assert_int_equal(store_open(dir, &s, NULL), 0);
        assert_int_equal(store_tx_begin(s, NULL), 0);
        assert_int_equal(store_kv_set(s, STORE_KV_SYNC, "cursor", "c1", NULL), 0);
        assert_int_equal(store_tx_begin(s, NULL), 0);
        assert_int_equal(store_kv_set(s, STORE_KV_SYNC, "clock_offset", "3", NULL), 0);
        assert_int_equal(store_tx_commit(s, NULL), 0);
        store_tx_rollback(s);
        char *v = NULL;
        assert_int_equal(store_kv_get(s, STORE_KV_SYNC, "cursor", &v, NULL), STORE_E_NOT_FOUND);
        assert_int_equal(store_kv_get(s, STORE_KV_SYNC, "clock_offset", &v, NULL), STORE_E_NOT_FOUND);
        assert_int_equal(store_kv_set(s, STORE_KV_SYNC, "cursor", "c2", NULL), 0);
        assert_int_equal(store_kv_get(s, STORE_KV_SYNC, "cursor", &v, NULL), 0);
        assert_string_equal(v, "c2");
        free(v);
        assert_int_equal(store_kv_set(s, STORE_KV_SYNC, "cursor", NULL, NULL), 0);
        assert_int_equal(store_kv_get(s, STORE_KV_SYNC, "cursor", &v, NULL), STORE_E_NOT_FOUND);
        store_close(s);
        pk_test_rmtree(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(fresh_store_is_migrated_in_wal_and_reopens),
                cmocka_unit_test(connection_uses_full_sync_and_foreign_keys),
                cmocka_unit_test(newer_schema_is_refused_and_left_untouched),
                cmocka_unit_test(garbage_file_is_reported_corrupt),
                cmocka_unit_test(nested_transactions_roll_back_as_one),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
