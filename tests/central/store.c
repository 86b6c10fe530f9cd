/* pk-central store: one SQLite database DIR/central.db, uploads in DIR/uploads/
 * (one file per unfinished upload, named by upload id) and assets in
 * DIR/assets/<sha256>. Every function here runs under store_lock. Counters in
 * `stats` (kind 'o' order, 'e' event, 'a' asset by sha256) survive rejected
 * attempts, so /admin/store can count requests that never created a row. */
#include "tests/central/central.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS assets(asset_id TEXT PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL,"
        " size INTEGER NOT NULL, kind TEXT NOT NULL, content_type TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, length INTEGER NOT NULL,"
        " off INTEGER NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL, content_type TEXT NOT NULL,"
        " created INTEGER NOT NULL, asset_id TEXT);"
        "CREATE TABLE IF NOT EXISTS orders(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " order_id TEXT UNIQUE NOT NULL, kiosk_id TEXT NOT NULL, channel TEXT NOT NULL,"
        " state TEXT NOT NULL, state_at INTEGER NOT NULL, body TEXT NOT NULL, sha256 TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " event_id TEXT UNIQUE NOT NULL, order_id TEXT NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL,"
        " body TEXT NOT NULL, sha256 TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS stats(kind TEXT NOT NULL, id TEXT NOT NULL,"
        " received INTEGER NOT NULL DEFAULT 0, applied INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY(kind, id));";

static char *path_join(const char *a, const char *b)
{
        size_t n = strlen(a) + strlen(b) + 2;
        char *p = malloc(n);
        if (p)
                snprintf(p, n, "%s/%s", a, b);
        return p;
}

char *pc_upload_path(struct pc_server *s, const char *upload_id)
{
        return path_join(s->uploads_dir, upload_id);
}

char *pc_asset_path(struct pc_server *s, const char *sha256)
{
        return path_join(s->assets_dir, sha256);
}

int pc_store_open(struct pc_server *s, char *msg, size_t msgsz)
{
        char *dbpath = NULL;
        int r = -1;

        s->uploads_dir = path_join(s->data_dir, "uploads");
        s->assets_dir = path_join(s->data_dir, "assets");
        dbpath = path_join(s->data_dir, "central.db");
        if (!s->uploads_dir || !s->assets_dir || !dbpath) {
                snprintf(msg, msgsz, "out of memory");
                goto out;
        }
        if ((mkdir(s->data_dir, 0700) < 0 && errno != EEXIST) ||
            (mkdir(s->uploads_dir, 0700) < 0 && errno != EEXIST) ||
            (mkdir(s->assets_dir, 0700) < 0 && errno != EEXIST)) {
                snprintf(msg, msgsz, "cannot create data directories in %s: %s", s->data_dir,
                         strerror(errno));
                goto out;
        }
        if (sqlite3_open_v2(dbpath, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
                snprintf(msg, msgsz, "cannot open %s: %s", dbpath,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
                goto out;
        }
        sqlite3_busy_timeout(s->db, 5000);
        if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
                snprintf(msg, msgsz, "schema: %s", sqlite3_errmsg(s->db));
                goto out;
        }
        r = 0;
out:
        free(dbpath);
        return r;
}

void pc_store_close(struct pc_server *s)
{
        if (s->db)
                sqlite3_close(s->db);
        s->db = NULL;
        free(s->uploads_dir);
        free(s->assets_dir);
        s->uploads_dir = s->assets_dir = NULL;
}

static void empty_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
                return;
        /* Bounded by the directory's entries; names are ours (hex ids). */
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
}

int pc_store_reset(struct pc_server *s)
{
        int r = sqlite3_exec(s->db,
                             "BEGIN; DELETE FROM assets; DELETE FROM uploads; DELETE FROM orders;"
                             " DELETE FROM events; DELETE FROM stats;"
                             " DELETE FROM sqlite_sequence; COMMIT;",
                             NULL, NULL, NULL);
        if (r != SQLITE_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return -1;
        }
        empty_dir(s->uploads_dir);
        empty_dir(s->assets_dir);
        return 0;
}

sqlite3_stmt *pc_sql(struct pc_server *s, const char *sql, const char *types, ...)
{
        sqlite3_stmt *st = NULL;
        va_list ap;

        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
                return NULL;
        va_start(ap, types);
        for (int i = 0; types && types[i]; i++) {
                int rc;
                if (types[i] == 's')
                        rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
                else
                        rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
                if (rc != SQLITE_OK) {
                        va_end(ap);
                        sqlite3_finalize(st);
                        return NULL;
                }
        }
        va_end(ap);
        return st;
}

int pc_sql_run(sqlite3_stmt *st)
{
        int rc;

        if (!st)
                return -1;
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

void pc_stat(struct pc_server *s, char kind, const char *id, int received, int applied)
{
        char k[2] = {kind, 0};

        pc_sql_run(pc_sql(s,
                          "INSERT INTO stats(kind, id, received, applied) VALUES(?1, ?2, ?3, ?4)"
                          " ON CONFLICT(kind, id) DO UPDATE SET received = received + ?3,"
                          " applied = applied + ?4",
                          "ssii", k, id, (int64_t)received, (int64_t)applied));
}

static void ip_key(char kind, const char *id, char out[PC_MAX_ID + 3])
{
        snprintf(out, PC_MAX_ID + 3, "%c:%s", kind, id);
}

int pc_inprogress_has(struct pc_server *s, char kind, const char *id)
{
        char k[PC_MAX_ID + 3];

        ip_key(kind, id, k);
        for (size_t i = 0; i < PC_MAX_INPROGRESS; i++)
                if (strcmp(s->inprogress[i], k) == 0)
                        return 1;
        return 0;
}

int pc_inprogress_add(struct pc_server *s, char kind, const char *id)
{
        char k[PC_MAX_ID + 3];

        if (pc_inprogress_has(s, kind, id))
                return -1;
        ip_key(kind, id, k);
        for (size_t i = 0; i < PC_MAX_INPROGRESS; i++)
                if (s->inprogress[i][0] == '\0') {
                        memcpy(s->inprogress[i], k, sizeof(k));
                        return 0;
                }
        return -1;
}

void pc_inprogress_del(struct pc_server *s, char kind, const char *id)
{
        char k[PC_MAX_ID + 3];

        ip_key(kind, id, k);
        for (size_t i = 0; i < PC_MAX_INPROGRESS; i++)
                if (strcmp(s->inprogress[i], k) == 0)
                        s->inprogress[i][0] = '\0';
}

int pc_asset_held(struct pc_server *s, const char *asset_id)
{
        sqlite3_stmt *st = pc_sql(s, "SELECT 1 FROM assets WHERE asset_id = ?1", "s", asset_id);
        int held = st && sqlite3_step(st) == SQLITE_ROW;

        sqlite3_finalize(st);
        return held;
}
