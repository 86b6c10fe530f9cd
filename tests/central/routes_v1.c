/* pk-central /v1/ routes: signature check, tus uploads, asset downloads,
 * orders, events, pickups. Checks run in the contract's order: timestamp,
 * signature, then the request. Handlers take store_lock for each store step
 * and never sleep while holding it; the fault "delay" on an order or event is
 * served after the idempotency key is marked in progress, so a second request
 * with the same key meanwhile sees 409 request-in-progress. */
#include "tests/central/central.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sync/sign.h"

#define TUS_VERSION "1.0.0"

static const char *hdr(struct MHD_Connection *c, const char *name)
{
        return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int authenticate(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                        struct pc_reply *r)
{
        const char *ts = hdr(c, "X-Timestamp"), *kid = hdr(c, "X-Kiosk-Id");
        const char *sig = hdr(c, "X-Signature");
        time_t t, now = pc_now(s);
        const struct pc_kiosk *k = NULL;

        if (!ts || sync_parse_timestamp(ts, &t) < 0 || t > now + PC_CLOCK_SKEW ||
            t < now - PC_CLOCK_SKEW) {
                /* send_reply adds the server's Date to every answer. */
                pc_reply_error(r, 401, "clock-skew", "X-Timestamp missing, malformed or more than %d s off",
                               PC_CLOCK_SKEW);
                return -1;
        }
        for (size_t i = 0; kid && i < s->n_kiosks; i++)
                if (strcmp(s->kiosks[i].id, kid) == 0)
                        k = &s->kiosks[i];
        if (!k || sync_verify_header_hashed(k->key, q->method, q->raw_target, ts, q->body_sha, sig) != 0) {
                pc_reply_error(r, 401, "bad-signature", "unknown kiosk or wrong signature");
                return -1;
        }
        q->kiosk_id = k->id;
        return 0;
}

/* Path segments after a prefix: "/v1/uploads/<id>" -> id. Returns NULL unless
 * the rest is one segment that is a valid identifier. */
static const char *one_segment(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);

        if (strncmp(path, prefix, n) != 0 || strchr(path + n, '/') || !pc_id_ok(path + n))
                return NULL;
        return path + n;
}

/* ---- tus ---- */

static int tus_version_ok(struct MHD_Connection *c, struct pc_reply *r)
{
        const char *v = hdr(c, "Tus-Resumable");

        if (v && strcmp(v, TUS_VERSION) == 0)
                return 1;
        pc_reply_error(r, 412, "unsupported-version", "Tus-Resumable must be %s", TUS_VERSION);
        pc_reply_header(r, "Tus-Version", TUS_VERSION);
        return 0;
}

static void tus_options(struct pc_server *s, struct pc_reply *r)
{
        r->status = 204;
        pc_reply_header(r, "Tus-Version", TUS_VERSION);
        pc_reply_header(r, "Tus-Extension", "creation,checksum");
        pc_reply_header(r, "Tus-Checksum-Algorithm", "sha1,sha256");
        pc_reply_header(r, "Tus-Max-Size", "%llu", (unsigned long long)s->max_upload);
}

static void tus_create(struct pc_server *s, struct MHD_Connection *c, struct pc_reply *r)
{
        struct pc_tus_meta m;
        char msg[256], id[33], *path = NULL;
        uint8_t rnd[16];
        uint64_t len;
        sqlite3_stmt *st;
        int fd;

        if (hdr(c, "Upload-Defer-Length")) {
                pc_reply_error(r, 400, "invalid-upload", "Upload-Defer-Length is not supported");
                return;
        }
        if (pc_parse_u64(hdr(c, "Upload-Length"), &len) < 0 || len < 1) {
                pc_reply_error(r, 400, "invalid-upload", "Upload-Length must be an integer >= 1");
                return;
        }
        if (len > s->max_upload) {
                pc_reply_error(r, 413, "upload-too-large", "Upload-Length over Tus-Max-Size %llu",
                               (unsigned long long)s->max_upload);
                pc_reply_header(r, "Tus-Max-Size", "%llu", (unsigned long long)s->max_upload);
                return;
        }
        if (pc_parse_upload_metadata(hdr(c, "Upload-Metadata"), &m, msg, sizeof(msg)) < 0) {
                pc_reply_error(r, 400, "invalid-metadata", "%s", msg);
                return;
        }
        pthread_mutex_lock(&s->store_lock);
        pc_stat(s, 'a', m.sha256, 1, 0);
        st = pc_sql(s, "SELECT asset_id FROM assets WHERE sha256 = ?1", "s", m.sha256);
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                const char *aid = (const char *)sqlite3_column_text(st, 0);
                pc_reply_header(r, "X-Asset-Id", "%s", aid);
                pc_reply_json(r, 200, json_pack("{s:s}", "asset_id", aid));
                sqlite3_finalize(st);
                goto out;
        }
        sqlite3_finalize(st);
        randombytes_buf(rnd, sizeof(rnd));
        sync_hex_encode(rnd, sizeof(rnd), id);
        path = pc_upload_path(s, id);
        fd = path ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
        if (fd < 0) {
                pc_reply_error(r, 500, "storage", "cannot create upload file");
                goto out;
        }
        close(fd);
        if (pc_sql_run(pc_sql(s,
                              "INSERT INTO uploads(upload_id, length, off, sha256, kind, content_type,"
                              " created) VALUES(?1, ?2, 0, ?3, ?4, ?5, ?6)",
                              "sisssi", id, (int64_t)len, m.sha256, m.kind, m.content_type,
                              (int64_t)time(NULL))) < 0) {
                unlink(path);
                pc_reply_error(r, 500, "storage", "cannot record upload");
                goto out;
        }
        pc_stat(s, 'a', m.sha256, 0, 1);
        r->status = 201;
        pc_reply_header(r, "Location", "/v1/uploads/%s", id);
        pc_reply_header(r, "Upload-Offset", "0");
out:
        pthread_mutex_unlock(&s->store_lock);
        free(path);
}

struct upload {
        int64_t length, off, created;
        char sha256[65], kind[8], content_type[PC_MAX_CONTENT_TYPE + 1], asset_id[65];
};

/* Under store_lock. 0 found, 404 unknown, 410 expired (then deleted). */
static int upload_get(struct pc_server *s, const char *id, struct upload *u)
{
        sqlite3_stmt *st = pc_sql(s,
                                  "SELECT length, off, created, sha256, kind, content_type,"
                                  " coalesce(asset_id, '') FROM uploads WHERE upload_id = ?1",
                                  "s", id);
        int rc = 404;

        memset(u, 0, sizeof(*u));
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                u->length = sqlite3_column_int64(st, 0);
                u->off = sqlite3_column_int64(st, 1);
                u->created = sqlite3_column_int64(st, 2);
                snprintf(u->sha256, sizeof(u->sha256), "%s", (const char *)sqlite3_column_text(st, 3));
                snprintf(u->kind, sizeof(u->kind), "%s", (const char *)sqlite3_column_text(st, 4));
                snprintf(u->content_type, sizeof(u->content_type), "%s",
                         (const char *)sqlite3_column_text(st, 5));
                snprintf(u->asset_id, sizeof(u->asset_id), "%s", (const char *)sqlite3_column_text(st, 6));
                rc = 0;
        }
        sqlite3_finalize(st);
        if (rc == 0 && !u->asset_id[0] && time(NULL) - u->created > s->upload_ttl) {
                char *p = pc_upload_path(s, id);
                if (p)
                        unlink(p);
                free(p);
                pc_sql_run(pc_sql(s, "DELETE FROM uploads WHERE upload_id = ?1", "s", id));
                rc = 410;
        }
        return rc;
}

static void upload_missing(struct pc_reply *r, int rc)
{
        if (rc == 410)
                pc_reply_error(r, 410, "upload-expired", "upload expired; start a new one");
        else
                pc_reply_error(r, 404, "unknown-upload", "no such upload");
}

static void tus_head(struct pc_server *s, const char *id, struct pc_reply *r)
{
        struct upload u;
        struct pc_tus_meta m;
        char meta[600];
        int rc;

        pthread_mutex_lock(&s->store_lock);
        rc = upload_get(s, id, &u);
        if (rc == 0)
                pc_stat(s, 'a', u.sha256, 1, 0);
        pthread_mutex_unlock(&s->store_lock);
        if (rc) {
                upload_missing(r, rc);
                return;
        }
        memset(&m, 0, sizeof(m));
        memcpy(m.sha256, u.sha256, sizeof(m.sha256));
        memcpy(m.kind, u.kind, sizeof(m.kind));
        memcpy(m.content_type, u.content_type, sizeof(m.content_type));
        pc_format_upload_metadata(&m, meta, sizeof(meta));
        r->status = 200;
        pc_reply_header(r, "Upload-Offset", "%lld", (long long)u.off);
        pc_reply_header(r, "Upload-Length", "%lld", (long long)u.length);
        pc_reply_header(r, "Upload-Metadata", "%s", meta);
        pc_reply_header(r, "Cache-Control", "no-store");
        if (u.asset_id[0])
                pc_reply_header(r, "X-Asset-Id", "%s", u.asset_id);
}

static int file_sha256(const char *path, char out[65])
{
        crypto_hash_sha256_state st;
        uint8_t buf[65536], d[32];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        crypto_hash_sha256_init(&st);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                crypto_hash_sha256_update(&st, buf, (size_t)n);
        close(fd);
        if (n < 0)
                return -1;
        crypto_hash_sha256_final(&st, d);
        sync_hex_encode(d, sizeof(d), out);
        return 0;
}

static int fsync_dir(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0)
                return -1;
        r = fsync(fd);
        close(fd);
        return r;
}

static void tus_patch(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                      const char *id, struct pc_reply *r)
{
        const char *ct = hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
        struct upload u;
        uint64_t off;
        enum pc_checksum_algo algo;
        uint8_t want[32], got[32];
        char *path = NULL, *apath = NULL, whole[65];
        int rc, fd, sumrc;

        pthread_mutex_lock(&s->store_lock);
        rc = upload_get(s, id, &u);
        if (rc) {
                upload_missing(r, rc);
                goto out;
        }
        pc_stat(s, 'a', u.sha256, 1, 0);
        if (!ct || strcmp(ct, "application/offset+octet-stream") != 0) {
                pc_reply_error(r, 415, "unsupported-media-type",
                               "Content-Type must be application/offset+octet-stream");
                goto out;
        }
        if (pc_parse_u64(hdr(c, "Upload-Offset"), &off) < 0) {
                pc_reply_error(r, 400, "invalid-upload", "Upload-Offset must be an integer");
                goto out;
        }
        sumrc = pc_parse_upload_checksum(hdr(c, "Upload-Checksum"), &algo, want);
        if (sumrc < 0) {
                pc_reply_error(r, 400, sumrc == -2 ? "unsupported-checksum" : "invalid-checksum",
                               "Upload-Checksum must be \"sha256 <base64>\" or \"sha1 <base64>\"");
                goto out;
        }
        if (q->too_big) {
                pc_reply_error(r, 413, "chunk-too-large", "a PATCH body may hold at most %llu bytes",
                               (unsigned long long)s->max_chunk);
                goto out;
        }
        if ((int64_t)off != u.off) {
                pc_reply_error(r, 409, "offset-mismatch", "upload is at offset %lld", (long long)u.off);
                pc_reply_header(r, "Upload-Offset", "%lld", (long long)u.off);
                goto out;
        }
        if (u.asset_id[0] || (uint64_t)u.off + q->len > (uint64_t)u.length) {
                pc_reply_error(r, 400, "upload-length-exceeded", "chunk goes past Upload-Length");
                goto out;
        }
        if (algo == PC_SUM_SHA256) {
                crypto_hash_sha256(got, q->body ? q->body : (const uint8_t *)"", q->len);
        } else {
                gsize dl = 20;
                GChecksum *g = g_checksum_new(G_CHECKSUM_SHA1);
                g_checksum_update(g, q->body ? q->body : (const uint8_t *)"", (gssize)q->len);
                g_checksum_get_digest(g, got, &dl);
                g_checksum_free(g);
        }
        if (sodium_memcmp(got, want, algo == PC_SUM_SHA256 ? 32 : 20) != 0) {
                pc_reply_error(r, 460, "checksum-mismatch", "chunk digest does not match Upload-Checksum");
                goto out;
        }
        path = pc_upload_path(s, id);
        fd = path ? open(path, O_WRONLY | O_CLOEXEC) : -1;
        if (fd < 0 || (q->len && pwrite(fd, q->body, q->len, (off_t)off) != (ssize_t)q->len) ||
            fsync(fd) < 0) {
                if (fd >= 0)
                        close(fd);
                pc_reply_error(r, 500, "storage", "cannot write upload");
                goto out;
        }
        close(fd);
        pc_stat(s, 'a', u.sha256, 0, 1);
        if (u.off + (int64_t)q->len < u.length) {
                u.off += (int64_t)q->len;
                pc_sql_run(pc_sql(s, "UPDATE uploads SET off = ?2 WHERE upload_id = ?1", "si", id, u.off));
                r->status = 204;
                pc_reply_header(r, "Upload-Offset", "%lld", (long long)u.off);
                goto out;
        }
        /* The last chunk. The whole file must match the metadata's sha256.
         * A crash anywhere below leaves either the old offset with the
         * upload file in place (the client's HEAD says resend the last
         * chunk, which repeats these steps) or a complete upload with its
         * asset: the offset reaches the length in the same transaction that
         * records the asset, never before (a complete upload without an
         * asset id was a server that lost its asset to a kill). */
        if (file_sha256(path, whole) < 0 || strcmp(whole, u.sha256) != 0) {
                unlink(path);
                pc_sql_run(pc_sql(s, "DELETE FROM uploads WHERE upload_id = ?1", "s", id));
                pc_reply_error(r, 460, "file-checksum-mismatch",
                               "the uploaded file does not match its sha256; upload deleted");
                goto out;
        }
        apath = pc_asset_path(s, u.sha256);
        /* A link, not a rename: until the transaction commits, a resent last
         * chunk still finds its upload file. EEXIST: the same bytes (the
         * asset file is named by their sha256, checked above) from an
         * earlier try or another upload. */
        if (!apath || (link(path, apath) < 0 && errno != EEXIST) || fsync_dir(s->assets_dir) < 0) {
                pc_reply_error(r, 500, "storage", "cannot store asset");
                goto out;
        }
        u.off = u.length;
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            pc_sql_run(pc_sql(s,
                              "INSERT OR IGNORE INTO assets(asset_id, sha256, size, kind, content_type)"
                              " VALUES(?1, ?1, ?2, ?3, ?4)",
                              "siss", u.sha256, u.length, u.kind, u.content_type)) != 0 ||
            pc_sql_run(pc_sql(s, "UPDATE uploads SET off = ?2, asset_id = ?3 WHERE upload_id = ?1", "sis",
                              id, u.off, u.sha256)) != 0 ||
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                pc_reply_error(r, 500, "storage", "cannot record asset");
                goto out;
        }
        unlink(path);
        r->status = 204;
        pc_reply_header(r, "Upload-Offset", "%lld", (long long)u.off);
        pc_reply_header(r, "X-Asset-Id", "%s", u.sha256);
out:
        pthread_mutex_unlock(&s->store_lock);
        free(path);
        free(apath);
}

/* ---- assets ---- */

static void asset_get(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q, const char *id,
                      struct pc_reply *r)
{
        uint64_t first = 0, last = 0, size;
        char *path = NULL;
        enum pc_range rg;
        int fd = -1, held;
        struct stat stt;

        pthread_mutex_lock(&s->store_lock);
        held = pc_asset_held(s, id);
        path = held ? pc_asset_path(s, id) : NULL;
        fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        pthread_mutex_unlock(&s->store_lock);
        free(path);
        if (!held || fd < 0 || fstat(fd, &stt) < 0) {
                pc_reply_error(r, 404, "unknown-asset", "no such asset");
                goto out;
        }
        size = (uint64_t)stt.st_size;
        pc_reply_header(r, "ETag", "\"%s\"", id);
        pc_reply_header(r, "Accept-Ranges", "bytes");
        rg = pc_parse_range(hdr(c, "Range"), size, &first, &last);
        if (rg == PC_RANGE_UNSATISFIABLE) {
                pc_reply_error(r, 416, "range-not-satisfiable", "asset has %llu bytes",
                               (unsigned long long)size);
                pc_reply_header(r, "Content-Range", "bytes */%llu", (unsigned long long)size);
                goto out;
        }
        if (rg == PC_RANGE_NONE) {
                first = 0;
                last = size ? size - 1 : 0;
        }
        r->len = size ? (size_t)(last - first + 1) : 0;
        r->content_type = "application/octet-stream";
        r->status = rg == PC_RANGE_OK ? 206 : 200;
        if (rg == PC_RANGE_OK)
                pc_reply_header(r, "Content-Range", "bytes %llu-%llu/%llu", (unsigned long long)first,
                                (unsigned long long)last, (unsigned long long)size);
        if (q->fault.action != PC_FAULT_TRUNCATE && q->fault.action != PC_FAULT_TRICKLE &&
            q->fault.action != PC_FAULT_OVERSIZE) {
                /* Stream from the file; faults that reshape the body need it in memory. */
                r->has_fd = 1;
                r->fd = fd;
                r->fd_off = first;
                fd = -1;
                goto out;
        }
        r->body = malloc(r->len ? r->len : 1);
        if (!r->body || (r->len && pread(fd, r->body, r->len, (off_t)first) != (ssize_t)r->len)) {
                free(r->body);
                r->body = NULL;
                r->len = 0;
                r->nh = 0;
                pc_reply_error(r, 500, "storage", "cannot read asset");
                goto out;
        }
out:
        if (fd >= 0)
                close(fd);
}

/* ---- orders ---- */

static json_t *parse_body(struct pc_request *q)
{
        if (!q->body || q->too_big)
                return NULL;
        return json_loadb((const char *)q->body, q->len, JSON_REJECT_DUPLICATES, NULL);
}

/* Under store_lock: the first item asset the server does not hold, or NULL. */
static const char *missing_asset(struct pc_server *s, const json_t *order)
{
        const json_t *items = json_object_get(order, "items");

        for (size_t i = 0; i < json_array_size(items); i++) {
                const json_t *it = json_array_get(items, i);
                const char *a = json_string_value(json_object_get(it, "asset_id"));
                const char *m = json_string_value(json_object_get(it, "master_asset_id"));
                if (a && !pc_asset_held(s, a))
                        return a;
                if (m && !pc_asset_held(s, m))
                        return m;
        }
        return NULL;
}

static int64_t order_state_at(const json_t *o)
{
        time_t t;

        if (sync_parse_timestamp(json_string_value(json_object_get(o, "locked_at")), &t) == 0 ||
            sync_parse_timestamp(json_string_value(json_object_get(o, "created_at")), &t) == 0)
                return (int64_t)t;
        return 0;
}

int pc_order_insert(struct pc_server *s, const json_t *o, const char *kiosk_id, const char *body_sha)
{
        char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        int r;

        if (!txt)
                return -1;
        r = pc_sql_run(pc_sql(s,
                              "INSERT INTO orders(order_id, kiosk_id, channel, state, state_at, body,"
                              " sha256) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              "ssssiss", json_string_value(json_object_get(o, "order_id")), kiosk_id,
                              json_string_value(json_object_get(o, "channel")),
                              json_string_value(json_object_get(o, "state")), order_state_at(o), txt,
                              body_sha));
        free(txt);
        return r;
}

static void order_post(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                       struct pc_reply *r)
{
        json_t *o = parse_body(q), *stored;
        const char *oid, *kid, *key = hdr(c, "Idempotency-Key"), *miss;
        char msg[256];
        sqlite3_stmt *st;
        int marked = 0;

        oid = json_string_value(json_object_get(o, "order_id"));
        if (!o || !pc_id_ok(oid)) {
                pc_reply_error(r, 422, "invalid-order", "body is not an order (JSON object with order_id)");
                goto out;
        }
        pthread_mutex_lock(&s->store_lock);
        pc_stat(s, 'o', oid, 1, 0);
        pthread_mutex_unlock(&s->store_lock);
        kid = json_string_value(json_object_get(o, "kiosk_id"));
        if (kid && strcmp(kid, q->kiosk_id) != 0) {
                pc_reply_error(r, 403, "wrong-kiosk", "order kiosk_id is not X-Kiosk-Id");
                goto out;
        }
        if (pc_validate_order(o, msg, sizeof(msg)) < 0) {
                pc_reply_error(r, 422, "invalid-order", "%s", msg);
                goto out;
        }
        if (!key || strcmp(key, oid) != 0) {
                pc_reply_error(r, 422, "invalid-order", "Idempotency-Key must equal order_id");
                goto out;
        }
        pthread_mutex_lock(&s->store_lock);
        if (pc_inprogress_has(s, 'o', oid)) {
                pthread_mutex_unlock(&s->store_lock);
                pc_reply_error(r, 409, "request-in-progress", "this order is being applied");
                pc_reply_header(r, "Retry-After", PC_RETRY_AFTER_IN_PROGRESS);
                goto out;
        }
        st = pc_sql(s, "SELECT body FROM orders WHERE order_id = ?1", "s", oid);
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                stored = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
                sqlite3_finalize(st);
                pthread_mutex_unlock(&s->store_lock);
                if (stored && json_equal(stored, o))
                        pc_reply_json(r, 200, stored);
                else {
                        json_decref(stored);
                        pc_reply_error(r, 422, "idempotency-key-reused",
                                       "this key was used with a different order");
                }
                goto out;
        }
        sqlite3_finalize(st);
        marked = pc_inprogress_add(s, 'o', oid) == 0;
        pthread_mutex_unlock(&s->store_lock);
        if (!marked) {
                pc_reply_error(r, 409, "request-in-progress", "this order is being applied");
                pc_reply_header(r, "Retry-After", PC_RETRY_AFTER_IN_PROGRESS);
                goto out;
        }
        if (q->fault.action == PC_FAULT_DELAY)
                pc_sleep_ms(q->fault.ms);
        pthread_mutex_lock(&s->store_lock);
        miss = missing_asset(s, o);
        if (miss) {
                pc_reply_error(r, 422, "missing-asset", "asset %s is not held; upload it first", miss);
        } else {
                if (pc_order_insert(s, o, q->kiosk_id, q->body_sha) < 0) {
                        pc_reply_error(r, 500, "storage", "cannot store order");
                } else {
                        pc_stat(s, 'o', oid, 0, 1);
                        pc_reply_json(r, 201, json_incref(o));
                }
        }
        pc_inprogress_del(s, 'o', oid);
        pthread_mutex_unlock(&s->store_lock);
out:
        json_decref(o);
}

/* ---- events ---- */

static int state_rank(const char *st)
{
        static const struct {
                const char *name;
                int rank;
        } ranks[] = {{"locked", 0},    {"queued", 0},    {"accepted", 1}, {"printing", 2},
                     {"reprinted", 3}, {"printed", 3},   {"failed", 3},   {"ready", 4},
                     {"collected", 5}, {"cancelled", 5}};
        for (size_t i = 0; i < sizeof(ranks) / sizeof(ranks[0]); i++)
                if (strcmp(st, ranks[i].name) == 0)
                        return ranks[i].rank;
        return 0;
}

static void event_post(struct pc_server *s, struct pc_request *q, const char *oid, struct pc_reply *r)
{
        json_t *e = parse_body(q), *stored;
        const char *eid, *type, *kid;
        char msg[256], okiosk[PC_MAX_ID + 1] = "", state[32] = "";
        int64_t state_at = 0;
        time_t at = 0;
        sqlite3_stmt *st;
        int marked = 0;

        eid = json_string_value(json_object_get(e, "event_id"));
        if (eid && pc_id_ok(eid)) {
                pthread_mutex_lock(&s->store_lock);
                pc_stat(s, 'e', eid, 1, 0);
                pthread_mutex_unlock(&s->store_lock);
        }
        pthread_mutex_lock(&s->store_lock);
        st = pc_sql(s, "SELECT kiosk_id, state, state_at FROM orders WHERE order_id = ?1", "s", oid);
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                snprintf(okiosk, sizeof(okiosk), "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(st, 1));
                state_at = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->store_lock);
        if (!okiosk[0]) {
                pc_reply_error(r, 404, "unknown-order", "no such order");
                goto out;
        }
        kid = json_string_value(json_object_get(e, "kiosk_id"));
        if (strcmp(okiosk, q->kiosk_id) != 0 || (kid && strcmp(kid, q->kiosk_id) != 0)) {
                pc_reply_error(r, 403, "wrong-kiosk", "the order belongs to another kiosk");
                goto out;
        }
        if (!e || pc_validate_event(e, msg, sizeof(msg)) < 0) {
                pc_reply_error(r, 422, "invalid-event", "%s", e ? msg : "body is not a JSON object");
                goto out;
        }
        type = json_string_value(json_object_get(e, "type"));
        sync_parse_timestamp(json_string_value(json_object_get(e, "at")), &at);
        pthread_mutex_lock(&s->store_lock);
        if (pc_inprogress_has(s, 'e', eid)) {
                pthread_mutex_unlock(&s->store_lock);
                pc_reply_error(r, 409, "request-in-progress", "this event is being applied");
                pc_reply_header(r, "Retry-After", PC_RETRY_AFTER_IN_PROGRESS);
                goto out;
        }
        st = pc_sql(s, "SELECT body FROM events WHERE event_id = ?1", "s", eid);
        if (st && sqlite3_step(st) == SQLITE_ROW) {
                stored = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
                sqlite3_finalize(st);
                pthread_mutex_unlock(&s->store_lock);
                pc_reply_json(r, 200, stored ? stored : json_object());
                goto out;
        }
        sqlite3_finalize(st);
        marked = pc_inprogress_add(s, 'e', eid) == 0;
        pthread_mutex_unlock(&s->store_lock);
        if (!marked) {
                pc_reply_error(r, 409, "request-in-progress", "this event is being applied");
                pc_reply_header(r, "Retry-After", PC_RETRY_AFTER_IN_PROGRESS);
                goto out;
        }
        if (q->fault.action == PC_FAULT_DELAY)
                pc_sleep_ms(q->fault.ms);
        pthread_mutex_lock(&s->store_lock);
        {
                char *txt = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
                int ok = txt && pc_sql_run(pc_sql(s,
                                                  "INSERT INTO events(event_id, order_id, type, at, body,"
                                                  " sha256) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                                                  "ssssss", eid, oid, type,
                                                  json_string_value(json_object_get(e, "at")), txt,
                                                  q->body_sha)) == 0;
                free(txt);
                if (!ok) {
                        pc_reply_error(r, 500, "storage", "cannot store event");
                } else {
                        /* State follows `at`: older events never move it back;
                         * accepted and reprinted never override a later state. */
                        int moves = (int64_t)at >= state_at;
                        if (moves && (strcmp(type, "accepted") == 0 || strcmp(type, "reprinted") == 0) &&
                            state_rank(state) >= state_rank(type))
                                moves = 0;
                        if (moves)
                                pc_sql_run(pc_sql(s,
                                                  "UPDATE orders SET state = ?2, state_at = ?3"
                                                  " WHERE order_id = ?1",
                                                  "ssi", oid, type, (int64_t)at));
                        pc_stat(s, 'e', eid, 0, 1);
                        pc_reply_json(r, 201, json_incref(e));
                }
        }
        pc_inprogress_del(s, 'e', eid);
        pthread_mutex_unlock(&s->store_lock);
out:
        json_decref(e);
}

/* ---- pickups ---- */

static void pickups_get(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                        const char *kiosk, struct pc_reply *r)
{
        const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
        int64_t cur = 0, last;
        size_t bytes = 0;
        json_t *orders, *o;
        sqlite3_stmt *st;
        char cursor[32];

        if (strcmp(kiosk, q->kiosk_id) != 0) {
                pc_reply_error(r, 403, "wrong-kiosk", "pickups of another kiosk");
                return;
        }
        if (after && pc_parse_cursor(after, &cur) < 0) {
                pc_reply_error(r, 400, "invalid-cursor", "cursor not issued by this server");
                return;
        }
        last = cur;
        orders = json_array();
        pthread_mutex_lock(&s->store_lock);
        st = pc_sql(s,
                    "SELECT seq, body, state FROM orders WHERE kiosk_id = ?1 AND channel = 'app'"
                    " AND seq > ?2 ORDER BY seq LIMIT ?3",
                    "sii", kiosk, cur, (int64_t)PC_PAGE_ORDERS);
        while (st && orders && sqlite3_step(st) == SQLITE_ROW) {
                size_t n = (size_t)sqlite3_column_bytes(st, 1);
                /* The page stays under 512 KiB, but always carries one order. */
                if (json_array_size(orders) > 0 && bytes + n + 1 > PC_PAGE_BYTES)
                        break;
                o = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
                if (!o)
                        continue;
                json_object_set_new(o, "state", json_string((const char *)sqlite3_column_text(st, 2)));
                json_array_append_new(orders, o);
                bytes += n + 1;
                last = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->store_lock);
        if (after && last == cur)
                snprintf(cursor, sizeof(cursor), "%s", after); /* empty page: the cursor given */
        else
                snprintf(cursor, sizeof(cursor), "c%lld", (long long)last);
        pc_reply_json(r, 200, json_pack("{s:o, s:s}", "orders", orders, "cursor", cursor));
}

/* ---- dispatch ---- */

void pc_route_v1(struct pc_server *s, struct MHD_Connection *c, struct pc_request *q,
                 struct pc_reply *r)
{
        const char *p = q->path, *m = q->method, *id;
        int is_order_write = strcmp(m, "POST") == 0 &&
                             (strcmp(p, "/v1/orders") == 0 ||
                              (strncmp(p, "/v1/orders/", 11) == 0 && strstr(p + 11, "/events")));

        /* Orders and events wait inside their handler (see top of file). */
        if (q->fault.action == PC_FAULT_DELAY && !is_order_write)
                pc_sleep_ms(q->fault.ms);
        if (authenticate(s, c, q, r) < 0)
                return;
        /* PATCH reports its own 413 after the upload checks (tus order). */
        if (q->too_big && strcmp(m, "PATCH") != 0) {
                pc_reply_error(r, 413, "body-too-large", "a JSON body may hold at most %d bytes",
                               PC_MAX_JSON_BODY);
                return;
        }
        if (strcmp(p, "/v1/uploads") == 0) {
                if (strcmp(m, "OPTIONS") == 0) {
                        tus_options(s, r);
                        return;
                }
                if (!tus_version_ok(c, r))
                        return;
                if (strcmp(m, "POST") == 0)
                        tus_create(s, c, r);
                else
                        pc_reply_error(r, 405, "method-not-allowed", "POST or OPTIONS");
                return;
        }
        if (strncmp(p, "/v1/uploads/", 12) == 0) {
                if (strcmp(m, "OPTIONS") == 0) {
                        tus_options(s, r);
                        return;
                }
                if (!tus_version_ok(c, r))
                        return;
                id = one_segment(p, "/v1/uploads/");
                if (!id)
                        pc_reply_error(r, 404, "unknown-upload", "no such upload");
                else if (strcmp(m, "HEAD") == 0)
                        tus_head(s, id, r);
                else if (strcmp(m, "PATCH") == 0)
                        tus_patch(s, c, q, id, r);
                else
                        pc_reply_error(r, 405, "method-not-allowed", "HEAD or PATCH");
                return;
        }
        if ((id = one_segment(p, "/v1/assets/"))) {
                if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
                        asset_get(s, c, q, id, r);
                else
                        pc_reply_error(r, 405, "method-not-allowed", "GET");
                return;
        }
        if (strcmp(p, "/v1/orders") == 0) {
                if (strcmp(m, "POST") == 0)
                        order_post(s, c, q, r);
                else
                        pc_reply_error(r, 405, "method-not-allowed", "POST");
                return;
        }
        if (strncmp(p, "/v1/orders/", 11) == 0) {
                const char *rest = p + 11, *slash = strchr(rest, '/');
                char oid[PC_MAX_ID + 1];
                if (slash && strcmp(slash, "/events") == 0 && (size_t)(slash - rest) <= PC_MAX_ID) {
                        memcpy(oid, rest, (size_t)(slash - rest));
                        oid[slash - rest] = '\0';
                        if (!pc_id_ok(oid))
                                pc_reply_error(r, 404, "unknown-order", "no such order");
                        else if (strcmp(m, "POST") == 0)
                                event_post(s, q, oid, r);
                        else
                                pc_reply_error(r, 405, "method-not-allowed", "POST");
                        return;
                }
        }
        if (strncmp(p, "/v1/kiosks/", 11) == 0) {
                const char *rest = p + 11, *slash = strchr(rest, '/');
                char kid[PC_MAX_ID + 1];
                if (slash && strcmp(slash, "/pickups") == 0 && (size_t)(slash - rest) <= PC_MAX_ID) {
                        memcpy(kid, rest, (size_t)(slash - rest));
                        kid[slash - rest] = '\0';
                        if (strcmp(m, "GET") == 0)
                                pickups_get(s, c, q, kid, r);
                        else
                                pc_reply_error(r, 405, "method-not-allowed", "GET");
                        return;
                }
        }
        pc_reply_error(r, 404, "not-found", "no such route");
}
