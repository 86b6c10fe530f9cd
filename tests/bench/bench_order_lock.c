/* bench_order_lock: times the store's durable commits on this disk.
 *
 *   bench_order_lock DIR [LOCKS] [PREFILL]
 *
 * In a fresh store under DIR (removed by the caller):
 *   1. LOCKS draft orders (one item each) are prepared, then each is locked with
 *      store_order_lock(): one WAL + synchronous=FULL transaction that prices the
 *      items, updates the order, writes the audit row and the "order" outbox row.
 *      Each lock is timed alone; the median is printed.
 *   2. PREFILL (default 10000) orders are added (locked and progressed, with their
 *      audit and outbox rows, in batches), then step 1 is repeated.
 *   3. Outbox enqueue: LOCKS transitions queued -> printing, each one transaction
 *      writing one "event" outbox row (+ audit): events/s; then the same in
 *      batches of 100 per transaction.
 * Output: "key value" lines (ms, per-second rates) for tests/bench/order_lock.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/fsutil.h"
#include "sync/order_state.h"
#include "sync/outbox.h"
#include "sync/store.h"

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define CHECK(x)                                                                  \
        do {                                                                      \
                int r_ = (x);                                                     \
                if (r_ != 0) {                                                    \
                        fprintf(stderr, "%s failed: %s (%s)\n", #x, store_strerror(r_), err.msg); \
                        exit(1);                                                  \
                }                                                                 \
        } while (0)

static struct store_errbuf err;
static const struct store_price prices[] = { { "PRINT-6X4", "glossy", 35 } };
static const struct store_price_list plist = { "2026-11", "GBP", prices, 1 };

static void drafts(struct store *s, const char *sha, size_t n, char (*ids)[STORE_ID_SIZE])
{
        CHECK(store_tx_begin(s, &err));
        for (size_t i = 0; i < n; i++) {
                char code[STORE_CODE_SIZE], item[STORE_ID_SIZE];
                CHECK(store_order_create(s, NULL, ids[i], code, &err));
                struct store_item_spec sp = { .asset_sha256 = sha, .sku = "PRINT-6X4", .paper = "glossy",
                                              .quantity = 2, .crop_w = 1, .crop_h = 1 };
                CHECK(store_order_add_item(s, ids[i], &sp, item, &err));
        }
        CHECK(store_tx_commit(s, &err));
}

/* Median latency of one lock; *ret_rate = locks per second over the whole loop
 * (mean rate, comparable with the peer's N commits / elapsed time). */
static double time_locks(struct store *s, const char *sha, size_t n, double *ret_rate)
{
        char (*ids)[STORE_ID_SIZE] = calloc(n, STORE_ID_SIZE);
        double *t = calloc(n, sizeof(double));
        drafts(s, sha, n, ids);
        double start = now_ms();
        for (size_t i = 0; i < n; i++) {
                double t0 = now_ms();
                CHECK(store_order_lock(s, ids[i], &plist, "customer", &err));
                t[i] = now_ms() - t0;
        }
        *ret_rate = (double)n / ((now_ms() - start) / 1e3);
        double m = median(t, n);
        free(ids);
        free(t);
        return m;
}

static void prefill(struct store *s, const char *sha, size_t n)
{
        enum { BATCH = 500 };
        char(*ids)[STORE_ID_SIZE] = calloc(BATCH, STORE_ID_SIZE);
        static const enum order_state path[] = { ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                                 ORDER_PRINTED, ORDER_READY, ORDER_COLLECTED };
        for (size_t done = 0; done < n; done += BATCH) {
                size_t b = n - done < BATCH ? n - done : BATCH;
                drafts(s, sha, b, ids);
                CHECK(store_tx_begin(s, &err));
                for (size_t i = 0; i < b; i++) {
                        CHECK(store_order_lock(s, ids[i], &plist, "customer", &err));
                        /* most history is finished orders; a few stay open */
                        size_t steps = (done + i) % 10 == 0 ? 2 : 6;
                        for (size_t k = 0; k < steps; k++)
                                CHECK(store_order_transition(s, ids[i], path[k], "system", NULL, &err));
                }
                CHECK(store_tx_commit(s, &err));
        }
        free(ids);
}

static void queued_orders(struct store *s, const char *sha, size_t n, char (*ids)[STORE_ID_SIZE])
{
        drafts(s, sha, n, ids);
        CHECK(store_tx_begin(s, &err));
        for (size_t i = 0; i < n; i++) {
                CHECK(store_order_lock(s, ids[i], &plist, "customer", &err));
                CHECK(store_order_transition(s, ids[i], ORDER_RENDERING, "system", NULL, &err));
                CHECK(store_order_transition(s, ids[i], ORDER_QUEUED, "system", NULL, &err));
        }
        CHECK(store_tx_commit(s, &err));
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s DIR [LOCKS] [PREFILL]\n", argv[0]);
                return 2;
        }
        const char *dir = argv[1];
        size_t locks = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
        size_t fill = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
        if (locks < 5 || locks > 100000 || fill > 1000000) {
                fprintf(stderr, "LOCKS 5..100000, PREFILL <= 1000000\n");
                return 2;
        }
        struct store *s = NULL;
        CHECK(store_open(dir, &s, &err));
        char sha[65], *path = NULL;
        CHECK(sync_fs_store_buffer(dir, "photo bytes", 11, ".jpg", sha, &path, &err));
        struct store_asset a = { .size = 11, .kind = STORE_ASSET_PHOTO };
        memcpy(a.sha256, sha, 65);
        snprintf(a.path, sizeof(a.path), "%s", path);
        snprintf(a.content_type, sizeof(a.content_type), "image/jpeg");
        free(path);
        CHECK(store_asset_put(s, &a, &err));

        double rate = 0;
        double empty = time_locks(s, sha, locks, &rate);
        printf("lock_ms_empty %.3f\n", empty);
        printf("locks_per_s_empty %.1f\n", rate);
        double t0 = now_ms();
        prefill(s, sha, fill);
        printf("prefill_s %.2f\n", (now_ms() - t0) / 1e3);
        double full = time_locks(s, sha, locks, &rate);
        printf("lock_ms_prefilled %.3f\n", full);
        printf("locks_per_s_prefilled %.1f\n", rate);
        printf("prefilled_orders %zu\n", fill + 2 * locks);

        char(*ids)[STORE_ID_SIZE] = calloc(locks, STORE_ID_SIZE);
        queued_orders(s, sha, locks, ids);
        t0 = now_ms();
        for (size_t i = 0; i < locks; i++)
                CHECK(store_order_transition(s, ids[i], ORDER_PRINTING, "system", NULL, &err));
        printf("events_per_s_single %.1f\n", (double)locks / ((now_ms() - t0) / 1e3));
        queued_orders(s, sha, locks, ids);
        t0 = now_ms();
        for (size_t i = 0; i < locks; i += 100) {
                CHECK(store_tx_begin(s, &err));
                for (size_t k = i; k < locks && k < i + 100; k++)
                        CHECK(store_order_transition(s, ids[k], ORDER_PRINTING, "system", NULL, &err));
                CHECK(store_tx_commit(s, &err));
        }
        printf("events_per_s_batch100 %.1f\n", (double)locks / ((now_ms() - t0) / 1e3));
        free(ids);
        store_close(s);
        return 0;
}
