/* sync/worker: the outbox drain, asset uploads and pickup polling (see
 * worker.h for the threading model and the kv keys).
 *
 * One attempt of a row:
 *   asset row   -> already has HQ's id? sent. Else tus upload -> remote id +
 *                  sent in one transaction.
 *   order row   -> upload the order's photos, then masters, that HQ lacks; put
 *                  HQ's ids into the body and store it (store_outbox_set_payload)
 *                  so every retry sends identical bytes; POST with the key.
 *                  422 missing-asset -> upload that order's assets again, retry.
 *   event row   -> POST as stored.
 * Invariants: a row leaves pending only through mark_sent (2xx), retry
 * (transient) or dead (permanent); the pickup cursor moves only after the whole
 * page (orders, assets, accepted events) is stored. */
#include "sync/worker.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sync/central.h"
#include "sync/fsutil.h"
#include "sync/http.h"
#include "sync/outbox.h"
#include "sync/store.h"
#include "sync/tus.h"

#define WORKER_MAX_ROWS_ONCE 1000000   /* bound of one run_once drain */
#define WORKER_MAX_PAGES 1000          /* bound of one pickup poll */
#define WORKER_MAX_WAIT_MS 60000       /* re-check at least this often */

struct sync_worker {
        struct sync_worker_config cfg;
        char *db_path, *spool_dir, *central_url, *kiosk_id, *ca_bundle;
        uint8_t key[32];
        struct store *store;          /* worker thread only */
        struct sync_http *http;       /* worker thread only */
        struct sync_circuit circuit;  /* worker thread only */
        int64_t next_poll_ms;         /* worker thread only */
        int online_saved;             /* worker thread only: last "online" kv value */
        int64_t blocked_wait_ms;      /* worker thread only: see worker_main */

        pthread_mutex_t lock;         /* protects the fields below */
        pthread_cond_t cond;
        bool stop, wake, online, running;
        struct sync_worker_stats stats;
        pthread_t thread;
};

static int64_t now_ms(struct sync_worker *w)
{
        if (w->cfg.now_ms)
                return w->cfg.now_ms(w->cfg.clock_ud);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t store_clock(void *ud)
{
        return now_ms(ud);
}

static void stat_add(struct sync_worker *w, int64_t *field, int64_t n)
{
        pthread_mutex_lock(&w->lock);
        *field += n;
        pthread_mutex_unlock(&w->lock);
}

static void kv_put(struct sync_worker *w, const char *k, const char *v)
{
        store_kv_set(w->store, STORE_KV_SYNC, k, v, NULL);
}

static void save_circuit(struct sync_worker *w, enum sync_circuit_state before)
{
        if (w->circuit.state != before)
                kv_put(w, "circuit", sync_circuit_name(w->circuit.state));
        pthread_mutex_lock(&w->lock);
        w->stats.circuit = w->circuit.state;
        pthread_mutex_unlock(&w->lock);
}

static void persist_offset(struct sync_worker *w, int64_t before)
{
        int64_t off = sync_http_clock_offset(w->http);
        char v[32];
        if (off == before)
                return;
        snprintf(v, sizeof(v), "%lld", (long long)off);
        kv_put(w, "clock_offset", v);
}

static void alert(struct sync_worker *w, const char *reason)
{
        json_t *j = json_pack("{s:s, s:I}", "reason", reason, "at", (json_int_t)now_ms(w));
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s)
                kv_put(w, "alert", s);
        free(s);
        json_decref(j);
        if (w->cfg.on_alert)
                w->cfg.on_alert(w->cfg.alert_ud, reason);
}

/* ---- tus hooks: the unfinished upload's URL lives in kv "tus:<sha>" ---------- */

/* kv keys are at most 64 bytes: "tus:" + 48 hex digits names the upload, and
 * the value "<full sha256> <url>" is checked on load. */
static void tus_key(const char *sha, char k[64])
{
        snprintf(k, 64, "tus:%.48s", sha);
}

static int hook_load(void *ud, const char *sha, char *out, size_t outsz)
{
        struct sync_worker *w = ud;
        char k[64], *v = NULL;
        int r = -1;
        tus_key(sha, k);
        if (store_kv_get(w->store, STORE_KV_SYNC, k, &v, NULL) != 0)
                return -1;
        if (strlen(v) > 65 && strncmp(v, sha, 64) == 0 && v[64] == ' ') {
                snprintf(out, outsz, "%s", v + 65);
                r = 0;
        }
        free(v);
        return r;
}

static int hook_save(void *ud, const char *sha, const char *url)
{
        struct sync_worker *w = ud;
        char k[64], v[700];
        tus_key(sha, k);
        if (!url)
                return store_kv_set(w->store, STORE_KV_SYNC, k, NULL, NULL);
        snprintf(v, sizeof(v), "%s %s", sha, url);
        return store_kv_set(w->store, STORE_KV_SYNC, k, v, NULL);
}

static bool is_sha(const char *s)
{
        if (!s || strlen(s) != 64)
                return false;
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* Upload one local asset unless HQ's id is known (force: ask HQ again). 0 = ok. */
static int ensure_asset(struct sync_worker *w, const char *sha, bool force, struct sync_outcome *out)
{
        struct store_asset a;
        struct sync_tus_stats st = {0};
        struct sync_tus_hooks hk = {.load_url = hook_load, .save_url = hook_save, .ud = w};
        char id[128];
        int64_t off = sync_http_clock_offset(w->http);
        int r;

        if (store_asset_get(w->store, sha, &a, NULL) != 0)
                return 0;  /* not ours: an id HQ already gave */
        if (a.remote_id[0] && !force)
                return 0;
        if (a.wiped_at) {
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_DEAD;
                out->retry_after_s = -1;
                snprintf(out->reason, sizeof(out->reason), "asset file wiped before upload");
                return -1;
        }
        struct sync_tus_asset ta = {.path = a.path, .sha256 = a.sha256, .size = a.size,
                                    .kind = a.kind == STORE_ASSET_MASTER ? "master" : "photo",
                                    .content_type = a.content_type[0] ? a.content_type : "application/octet-stream"};
        r = sync_tus_upload(w->http, &ta, w->cfg.chunk_size, &hk, id, &st, out);
        persist_offset(w, off);
        stat_add(w, &w->stats.upload_bytes, st.bytes_sent);
        stat_add(w, &w->stats.requests, st.requests);
        if (r != 0)
                return -1;
        if (store_asset_set_remote_id(w->store, sha, id, NULL) != 0) {
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_RETRY;
                out->retry_after_s = -1;
                snprintf(out->reason, sizeof(out->reason), "cannot record the asset id");
                return -1;
        }
        return 0;
}

/* Photos first, then masters, of an order body; then HQ's ids into the body. */
static int prepare_order(struct sync_worker *w, struct store_outbox_row *row, bool force,
                         struct sync_outcome *out)
{
        json_t *root = json_loads(row->payload, 0, NULL), *items;
        static const char *const fields[] = {"asset_id", "master_asset_id"};
        char *body = NULL;
        int r = 0;

        if (!root || !json_is_array(items = json_object_get(root, "items"))) {
                json_decref(root);
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_DEAD;
                out->retry_after_s = -1;
                snprintf(out->reason, sizeof(out->reason), "order payload does not parse");
                return -1;
        }
        /* The store writes "render":{} and "master_asset_id":null before an item
         * is rendered; the contract has both optional and typed when present, so
         * an unknown value is left out rather than sent empty. */
        for (size_t i = 0; i < json_array_size(items); i++) {
                json_t *it = json_array_get(items, i), *rd = json_object_get(it, "render");
                if (json_is_null(json_object_get(it, "master_asset_id")))
                        json_object_del(it, "master_asset_id");
                if (rd && (json_is_null(rd) || (json_is_object(rd) && json_object_size(rd) == 0)))
                        json_object_del(it, "render");
        }
        for (int f = 0; f < 2 && r == 0; f++) {
                for (size_t i = 0; i < json_array_size(items) && r == 0; i++) {
                        json_t *it = json_array_get(items, i);
                        const char *id = json_string_value(json_object_get(it, fields[f]));
                        struct store_asset a;
                        if (!is_sha(id))
                                continue;
                        r = ensure_asset(w, id, force, out);
                        if (r == 0 && store_asset_get(w->store, id, &a, NULL) == 0 && a.remote_id[0] &&
                            strcmp(a.remote_id, id) != 0)
                                json_object_set_new(it, fields[f], json_string(a.remote_id));
                }
        }
        if (r == 0) {
                body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
                if (body && strcmp(body, row->payload) != 0) {
                        if (store_outbox_set_payload(w->store, row->id, body, NULL) == 0) {
                                free(row->payload);
                                row->payload = body;
                                body = NULL;
                        }
                }
        }
        free(body);
        json_decref(root);
        return r;
}

static void attempt_row(struct sync_worker *w, struct store_outbox_row *row, struct sync_outcome *out)
{
        int64_t off = sync_http_clock_offset(w->http);

        switch (row->kind) {
        case STORE_OUTBOX_ASSET: {
                json_t *p = json_loads(row->payload, 0, NULL);
                const char *sha = json_string_value(json_object_get(p, "sha256"));
                if (!is_sha(sha)) {
                        memset(out, 0, sizeof(*out));
                        out->verdict = SYNC_DEAD;
                        snprintf(out->reason, sizeof(out->reason), "asset row without sha256");
                } else if (ensure_asset(w, sha, false, out) == 0) {
                        memset(out, 0, sizeof(*out));
                        out->verdict = SYNC_OK;
                }
                json_decref(p);
                return;
        }
        case STORE_OUTBOX_ORDER:
                if (prepare_order(w, row, false, out) != 0)
                        return;
                sync_central_post_order(w->http, row->order_id, row->payload, strlen(row->payload), out);
                stat_add(w, &w->stats.requests, 1);
                if (out->verdict == SYNC_MISSING_ASSET) {
                        /* HQ lost (or never had) an asset: send them again, then the same key. */
                        if (prepare_order(w, row, true, out) != 0)
                                break;
                        sync_central_post_order(w->http, row->order_id, row->payload,
                                                strlen(row->payload), out);
                        stat_add(w, &w->stats.requests, 1);
                        if (out->verdict == SYNC_MISSING_ASSET)
                                out->verdict = SYNC_RETRY;
                }
                break;
        case STORE_OUTBOX_EVENT:
                sync_central_post_event(w->http, row->order_id, row->payload, strlen(row->payload), out);
                stat_add(w, &w->stats.requests, 1);
                break;
        default:
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_DEAD;
                snprintf(out->reason, sizeof(out->reason), "unknown outbox kind");
        }
        persist_offset(w, off);
}

/* Claim and send one due row. 1 = a row was handled, 0 = none due, <0 = store error. */
static int process_one(struct sync_worker *w, int64_t *dead, struct store_errbuf *err)
{
        struct store_outbox_row row;
        struct sync_outcome out;
        enum sync_circuit_state before = w->circuit.state;
        int64_t t = now_ms(w);
        int r;

        if (!sync_circuit_allow(&w->circuit, t))
                return 0;
        r = store_outbox_claim(w->store, t, w->cfg.lease_ms, &row, err);
        if (r == STORE_E_NOT_FOUND)
                return 0;
        if (r != 0)
                return r;
        memset(&out, 0, sizeof(out));
        attempt_row(w, &row, &out);
        t = now_ms(w);
        if (out.verdict == SYNC_OK) {
                char v[32];
                snprintf(v, sizeof(v), "%lld", (long long)t);
                if (store_tx_begin(w->store, NULL) == 0) {
                        if (store_outbox_mark_sent(w->store, row.id, NULL) == 0 &&
                            store_kv_set(w->store, STORE_KV_SYNC, "last_success_at", v, NULL) == 0)
                                store_tx_commit(w->store, NULL);
                        else
                                store_tx_rollback(w->store);
                }
                sync_circuit_success(&w->circuit);
                stat_add(w, &w->stats.sent, 1);
        } else if (out.verdict == SYNC_DEAD) {
                store_outbox_dead(w->store, row.id, out.reason, NULL);
                alert(w, out.credentials ? "credentials rejected (401 bad-signature)" : out.reason);
                /* a permanent answer proves the link works */
                sync_circuit_success(&w->circuit);
                stat_add(w, &w->stats.dead, 1);
                if (dead)
                        (*dead)++;
        } else {
                int64_t delay = sync_backoff_delay_ms(row.attempts, w->cfg.backoff_base_ms,
                                                      w->cfg.backoff_cap_ms, w->cfg.rng, w->cfg.rng_ud);
                if (out.retry_after_s >= 0 && out.retry_after_s * 1000 > delay)
                        delay = out.retry_after_s * 1000;
                store_outbox_retry(w->store, row.id, t + delay, out.reason, NULL);
                /* 409 in progress is HQ working, not HQ failing */
                if (!(out.status == 409))
                        sync_circuit_failure(&w->circuit, t);
                stat_add(w, &w->stats.retried, 1);
        }
        save_circuit(w, before);
        free(row.payload);
        return 1;
}

/* ---- pickups ----------------------------------------------------------------- */

static const char *ext_for(const char *ct)
{
        if (strncmp(ct, "image/jpeg", 10) == 0)
                return ".jpg";
        if (strncmp(ct, "image/tiff", 10) == 0)
                return ".tif";
        if (strncmp(ct, "image/png", 9) == 0)
                return ".png";
        return "";
}

/* Make sure HQ asset `id` is a durable local asset; ret_sha its sha256. */
static int fetch_asset(struct sync_worker *w, const char *id, enum store_asset_kind kind,
                       char ret_sha[65], struct sync_outcome *out)
{
        struct store_asset a;
        char part[600], sha[65], ct[64], *path = NULL, sha2[65];
        int64_t size = 0, got = 0;

        if (is_sha(id) && store_asset_get(w->store, id, &a, NULL) == 0 && a.wiped_at == 0 &&
            access(a.path, R_OK) == 0) {
                memcpy(ret_sha, a.sha256, 65);
                return 0;
        }
        snprintf(part, sizeof(part), "%s/.part-%.100s", w->spool_dir, id);
        if (sync_central_download_asset(w->http, id, SYNC_DOWNLOAD_MAX, part, sha, &size, ct, &got,
                                        out) != 0) {
                stat_add(w, &w->stats.download_bytes, got);
                return -1;
        }
        stat_add(w, &w->stats.download_bytes, got);
        if (sync_fs_store_file(w->spool_dir, part, ext_for(ct), sha2, &path, NULL, NULL) != 0 ||
            strcmp(sha2, sha) != 0) {
                free(path);
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_RETRY;
                out->retry_after_s = -1;
                snprintf(out->reason, sizeof(out->reason), "pickup asset: cannot store in the spool");
                return -1;
        }
        unlink(part);
        memset(&a, 0, sizeof(a));
        memcpy(a.sha256, sha, 65);
        a.size = size;
        a.kind = kind;
        snprintf(a.path, sizeof(a.path), "%s", path);
        snprintf(a.content_type, sizeof(a.content_type), "%s", ct);
        free(path);
        if (store_asset_put(w->store, &a, NULL) != 0 ||
            store_asset_set_remote_id(w->store, sha, id, NULL) != 0) {
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_RETRY;
                out->retry_after_s = -1;
                snprintf(out->reason, sizeof(out->reason), "pickup asset: store refused it");
                return -1;
        }
        memcpy(ret_sha, sha, 65);
        return 0;
}

static int store_pickup(struct sync_worker *w, json_t *o, struct sync_outcome *out)
{
        json_t *items = json_object_get(o, "items");
        size_t n = json_array_size(items);
        char (*photo)[65] = calloc(n ? n : 1, 65), (*master)[65] = calloc(n ? n : 1, 65);
        char *js = NULL;
        bool inserted = false;
        int r = -1;

        if (!photo || !master)
                goto done;
        for (size_t i = 0; i < n; i++) {
                json_t *it = json_array_get(items, i);
                const char *a = json_string_value(json_object_get(it, "asset_id"));
                const char *m = json_string_value(json_object_get(it, "master_asset_id"));
                if (a && fetch_asset(w, a, STORE_ASSET_PHOTO, photo[i], out) != 0)
                        goto done;
                if (m && fetch_asset(w, m, STORE_ASSET_MASTER, master[i], out) != 0)
                        goto done;
        }
        js = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!js || store_order_insert_remote(w->store, js, strlen(js), &inserted, NULL) != 0) {
                memset(out, 0, sizeof(*out));
                out->verdict = SYNC_DEAD;
                snprintf(out->reason, sizeof(out->reason), "pickup order refused by the store");
                goto done;
        }
        for (size_t i = 0; i < n; i++) {
                const char *item_id = json_string_value(json_object_get(json_array_get(items, i), "item_id"));
                if (item_id && (photo[i][0] || master[i][0]))
                        store_item_set_assets(w->store, item_id, photo[i][0] ? photo[i] : NULL,
                                              master[i][0] ? master[i] : NULL, NULL);
        }
        if (inserted)
                stat_add(w, &w->stats.pickups_stored, 1);
        r = 0;
done:
        free(js);
        free(photo);
        free(master);
        return r;
}

int sync_worker_poll_pickups(struct sync_worker *w, struct store_errbuf *err)
{
        char *cur = NULL, next[SYNC_PICKUP_MAX_CURSOR];
        int64_t off = sync_http_clock_offset(w->http);
        struct sync_outcome out;
        int r = 0;

        for (int page = 0; page < WORKER_MAX_PAGES; page++) {
                json_t *orders = NULL;
                bool ok = true;
                free(cur);
                cur = NULL;
                store_kv_get(w->store, STORE_KV_SYNC, "pickup_cursor", &cur, NULL);
                if (sync_central_get_pickups(w->http, w->kiosk_id, cur, &orders, next, &out) != 0) {
                        r = store_fail(err, out.verdict == SYNC_DEAD ? STORE_E_REJECTED : STORE_E_RETRY,
                                       "%s", out.reason);
                        break;
                }
                stat_add(w, &w->stats.requests, 1);
                for (size_t i = 0; i < json_array_size(orders) && ok; i++) {
                        if (store_pickup(w, json_array_get(orders, i), &out) != 0) {
                                ok = false;
                                r = store_fail(err, STORE_E_RETRY, "%s", out.reason);
                        }
                }
                /* Only a whole stored page moves the cursor. */
                if (ok && (!cur || strcmp(cur, next) != 0))
                        store_kv_set(w->store, STORE_KV_SYNC, "pickup_cursor", next, NULL);
                bool more = ok && json_array_size(orders) > 0 && (!cur || strcmp(cur, next) != 0);
                json_decref(orders);
                if (!more)
                        break;
        }
        free(cur);
        persist_offset(w, off);
        return r;
}

/* ---- life cycle ------------------------------------------------------------- */

int sync_worker_new(const struct sync_worker_config *cfg, struct sync_worker **ret,
                    struct store_errbuf *err)
{
        struct sync_worker *w;
        char *v = NULL;
        int r;

        if (!cfg || !cfg->db_path || !cfg->central_url || !cfg->kiosk_id || !cfg->key || !ret)
                return store_fail(err, STORE_E_INVALID, "sync worker: store, url, kiosk id and key required");
        w = calloc(1, sizeof(*w));
        if (!w)
                return store_fail(err, STORE_E_IO, "out of memory");
        w->cfg = *cfg;
        w->db_path = strdup(cfg->db_path);
        w->spool_dir = strdup(cfg->spool_dir ? cfg->spool_dir : cfg->db_path);
        w->central_url = strdup(cfg->central_url);
        w->kiosk_id = strdup(cfg->kiosk_id);
        w->ca_bundle = cfg->ca_bundle ? strdup(cfg->ca_bundle) : NULL;
        memcpy(w->key, cfg->key, 32);
        w->cfg.key = w->key;
        w->cfg.db_path = w->db_path;
        w->cfg.spool_dir = w->spool_dir;
        w->cfg.central_url = w->central_url;
        w->cfg.kiosk_id = w->kiosk_id;
        w->cfg.ca_bundle = w->ca_bundle;
        if (w->cfg.lease_ms <= 0)
                w->cfg.lease_ms = SYNC_WORKER_LEASE_MS;
        if (w->cfg.backoff_base_ms <= 0)
                w->cfg.backoff_base_ms = SYNC_BACKOFF_BASE_MS;
        if (w->cfg.backoff_cap_ms <= 0)
                w->cfg.backoff_cap_ms = SYNC_BACKOFF_CAP_MS;
        w->circuit.open_ms = w->cfg.backoff_cap_ms;
        w->online = cfg->start_online;
        w->stats.online = w->online;
        pthread_mutex_init(&w->lock, NULL);
        {
                pthread_condattr_t ca;
                pthread_condattr_init(&ca);
                pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
                pthread_cond_init(&w->cond, &ca);
                pthread_condattr_destroy(&ca);
        }
        if (!w->db_path || !w->spool_dir || !w->central_url || !w->kiosk_id) {
                sync_worker_free(w);
                return store_fail(err, STORE_E_IO, "out of memory");
        }
        r = store_open(w->db_path, &w->store, err);
        if (r != 0) {
                sync_worker_free(w);
                return r;
        }
        store_set_clock(w->store, store_clock, w);
        struct sync_http_config hc = {.base_url = w->central_url, .kiosk_id = w->kiosk_id, .key = w->key,
                                      .ca_bundle = w->ca_bundle};
        if (store_kv_get(w->store, STORE_KV_SYNC, "clock_offset", &v, NULL) == 0) {
                char *end = NULL;
                long long o = strtoll(v, &end, 10);
                if (end && *end == '\0' && o > -(100LL * 365 * 86400) && o < 100LL * 365 * 86400)
                        hc.clock_offset_s = o;
                free(v);
        }
        r = sync_http_new(&hc, &w->http, err);
        if (r != 0) {
                sync_worker_free(w);
                return r;
        }
        kv_put(w, "online", w->online ? "1" : "0");
        w->online_saved = w->online ? 1 : 0;
        kv_put(w, "circuit", sync_circuit_name(w->circuit.state));
        *ret = w;
        return 0;
}

int sync_worker_run_once(struct sync_worker *w, int64_t *ret_dead, struct store_errbuf *err)
{
        int64_t dead = 0;
        int r = 0;

        for (int64_t i = 0; i < WORKER_MAX_ROWS_ONCE; i++) {
                r = process_one(w, &dead, err);
                if (r <= 0)
                        break;
                if (w->circuit.state == SYNC_CIRCUIT_OPEN)
                        break;
        }
        if (r > 0)
                r = 0;
        if (r == 0 && w->cfg.poll_interval_s > 0 && w->circuit.state != SYNC_CIRCUIT_OPEN)
                sync_worker_poll_pickups(w, NULL);
        if (ret_dead)
                *ret_dead = dead;
        return r;
}

static void timed_wait(struct sync_worker *w, int64_t ms)
{
        struct timespec ts;
        if (ms > WORKER_MAX_WAIT_MS)
                ms = WORKER_MAX_WAIT_MS;
        if (ms < 1)
                ms = 1;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

static void *worker_main(void *arg)
{
        struct sync_worker *w = arg;

        pthread_mutex_lock(&w->lock);
        while (!w->stop) {
                if (!w->online) {
                        /* Offline: sleep until connectivity returns or we are stopped. */
                        pthread_cond_wait(&w->cond, &w->lock);
                        continue;
                }
                w->wake = false;
                w->stats.loops++;
                bool on = w->online;
                pthread_mutex_unlock(&w->lock);
                if (w->online_saved != (on ? 1 : 0)) {
                        w->online_saved = on ? 1 : 0;
                        kv_put(w, "online", on ? "1" : "0");
                }

                int r = process_one(w, NULL, NULL);
                if (r > 0)
                        w->blocked_wait_ms = 0;
                int64_t t = now_ms(w), wait_ms = WORKER_MAX_WAIT_MS;
                if (r == 0 && w->cfg.poll_interval_s > 0 && t >= w->next_poll_ms &&
                    w->circuit.state != SYNC_CIRCUIT_OPEN) {
                        sync_worker_poll_pickups(w, NULL);
                        w->next_poll_ms = now_ms(w) + (int64_t)w->cfg.poll_interval_s * 1000;
                }
                if (r == 0) {
                        struct store_outbox_stats os;
                        t = now_ms(w);
                        if (store_outbox_stats(w->store, &os, NULL) == 0 && os.pending > 0 && os.next_due_at > 0) {
                                wait_ms = os.next_due_at - t;
                                /* Due but not claimable: a row waits behind an older row of
                                 * its order that is backing off. The stats cannot say when
                                 * that one is due, so look again after a growing pause
                                 * (250 ms .. 5 s) instead of spinning. */
                                if (wait_ms <= 0) {
                                        w->blocked_wait_ms = w->blocked_wait_ms ? w->blocked_wait_ms * 2 : 250;
                                        if (w->blocked_wait_ms > 5000)
                                                w->blocked_wait_ms = 5000;
                                        wait_ms = w->blocked_wait_ms;
                                }
                        }
                        if (w->circuit.state == SYNC_CIRCUIT_OPEN && w->circuit.open_until_ms - t > wait_ms)
                                wait_ms = w->circuit.open_until_ms - t;
                        if (w->cfg.poll_interval_s > 0 && w->next_poll_ms - t < wait_ms)
                                wait_ms = w->next_poll_ms - t;
                }
                pthread_mutex_lock(&w->lock);
                if (r == 0 && !w->stop && !w->wake && w->online)
                        timed_wait(w, wait_ms);
                else if (r < 0 && !w->stop && !w->wake)
                        timed_wait(w, 1000);  /* the store is busy: do not spin */
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

int sync_worker_start(struct sync_worker *w, struct store_errbuf *err)
{
        int r;
        pthread_mutex_lock(&w->lock);
        if (w->running) {
                pthread_mutex_unlock(&w->lock);
                return 0;
        }
        w->stop = false;
        r = pthread_create(&w->thread, NULL, worker_main, w);
        if (r == 0)
                w->running = true;
        pthread_mutex_unlock(&w->lock);
        return r == 0 ? 0 : store_fail(err, STORE_E_IO, "cannot start the sync thread: %s", strerror(r));
}

void sync_worker_stop(struct sync_worker *w)
{
        bool join;
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        join = w->running;
        w->running = false;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        if (join)
                pthread_join(w->thread, NULL);
}

void sync_worker_wake(struct sync_worker *w)
{
        pthread_mutex_lock(&w->lock);
        w->wake = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

void sync_worker_set_online(struct sync_worker *w, bool online)
{
        bool changed;
        pthread_mutex_lock(&w->lock);
        changed = w->online != online;
        w->online = online;
        w->stats.online = online;
        if (online) {
                w->wake = true;
                /* connectivity just came back: the circuit's reason is gone */
        }
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        (void)changed;
}

void sync_worker_get_stats(struct sync_worker *w, struct sync_worker_stats *ret)
{
        pthread_mutex_lock(&w->lock);
        *ret = w->stats;
        pthread_mutex_unlock(&w->lock);
}

struct sync_worker *sync_worker_free(struct sync_worker *w)
{
        if (!w)
                return NULL;
        sync_worker_stop(w);
        sync_http_free(w->http);
        store_close(w->store);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        memset(w->key, 0, sizeof(w->key));
        free(w->db_path);
        free(w->spool_dir);
        free(w->central_url);
        free(w->kiosk_id);
        free(w->ca_bundle);
        free(w);
        return NULL;
}
