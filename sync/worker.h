/* sync/worker: the sync worker thread. It drains the durable outbox to
 * headquarters (exactly once as HQ sees it, thanks to idempotency keys and
 * event ids), uploads assets with tus, and polls the phone-app pickups.
 *
 * Retry rules are the contract's table: full-jitter backoff (base 1 s, cap
 * 5 min) or Retry-After, whichever is later; a circuit breaker that opens after
 * 5 consecutive transient failures and half-opens after the cap; permanent
 * answers dead-letter the row with the reason and raise a technician alert
 * (kv key "alert" + optional callback), never a retry storm.
 *
 * Threading: the worker owns its own struct store (opened in sync_worker_new,
 * used only by the worker thread, or by the caller of sync_worker_run_once when
 * no thread runs). `lock` protects stop/wake/online and the public counters; the
 * thread sleeps on `cond` while offline or while nothing is due, and wakes at
 * once on sync_worker_wake() (new outbox rows committed) or
 * sync_worker_set_online(true) (connectivity came back). No busy polling.
 *
 * Kv keys (STORE_KV_SYNC): clock_offset, pickup_cursor, last_success_at,
 * circuit, online, alert, tus:<first 48 hex of sha256> ("<sha256> <upload URL>"
 * of an unfinished upload). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/backoff.h"
#include "sync/error.h"

#define SYNC_WORKER_LEASE_MS (120 * 1000)  /* a claim outlives any single attempt */

struct sync_worker;

struct sync_worker_config {
        const char *db_path;          /* store (data folder or kiosk.db) */
        const char *spool_dir;        /* where pickup assets are written */
        const char *central_url;
        const char *kiosk_id;
        const uint8_t *key;           /* 32 bytes */
        const char *ca_bundle;        /* NULL = system default */
        int poll_interval_s;          /* pickups; 0 = never poll */
        size_t chunk_size;            /* tus PATCH size; 0 = 1 MiB */
        int64_t lease_ms;             /* 0 = SYNC_WORKER_LEASE_MS */
        int64_t backoff_base_ms;      /* 0 = 1 s */
        int64_t backoff_cap_ms;       /* 0 = 5 min (also the circuit's open time) */
        sync_rng_fn rng;              /* NULL = getrandom */
        void *rng_ud;
        int64_t (*now_ms)(void *ud);  /* NULL = real clock (also given to the store) */
        void *clock_ud;
        void (*on_alert)(void *ud, const char *reason); /* from the worker's thread */
        void *alert_ud;
        bool start_online;            /* initial connectivity */
};

struct sync_worker_stats {
        int64_t sent, retried, dead, pickups_stored;
        int64_t upload_bytes;         /* PATCH bodies sent */
        int64_t download_bytes;
        int64_t requests;
        int64_t loops;                /* worker thread wake-ups (no-spin checks) */
        enum sync_circuit_state circuit;
        bool online;
};

/* (transfer full) Opens the worker's own store and HTTP client. */
int sync_worker_new(const struct sync_worker_config *cfg, struct sync_worker **ret,
                    struct store_errbuf *err);
/* Stops the thread if running; accepts NULL; returns NULL. */
struct sync_worker *sync_worker_free(struct sync_worker *w);

int sync_worker_start(struct sync_worker *w, struct store_errbuf *err);
void sync_worker_stop(struct sync_worker *w);
/* New outbox rows were committed: look now. Safe from any thread. */
void sync_worker_wake(struct sync_worker *w);
/* Connectivity changed (drivers/network callback). Safe from any thread. */
void sync_worker_set_online(struct sync_worker *w, bool online);

/* In the caller's thread (no worker thread running): send every row due now,
 * then poll pickups once (when configured). Stops early when the circuit opens.
 * Returns 0, or a negative store error for a local failure; *ret_dead gets the
 * number of rows dead-lettered in this call. */
int sync_worker_run_once(struct sync_worker *w, int64_t *ret_dead, struct store_errbuf *err);
/* Poll the pickups once now (caller's thread). */
int sync_worker_poll_pickups(struct sync_worker *w, struct store_errbuf *err);

void sync_worker_get_stats(struct sync_worker *w, struct sync_worker_stats *ret);
