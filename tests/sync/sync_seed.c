/* pk-sync-seed: fill a kiosk data folder with locked orders for the sync
 * torture and benchmark scripts.
 *   pk-sync-seed DATA_DIR KIOSK_ID N_ORDERS PHOTOS_PER_ORDER PHOTO_BYTES [SEED] [--events]
 * Creates DATA_DIR/spool; prints {"orders":N,"photos":M,"bytes":B,"enqueue_s":T}. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sync/fsutil.h"
#include "tests/sync/sync_fixture.h"

static long num(const char *s)
{
        char *end = NULL;
        long v = strtol(s, &end, 10);
        return end && *end == '\0' && v >= 0 ? v : -1;
}

int main(int argc, char **argv)
{
        char spool[600], id[STORE_ID_SIZE];
        struct store *s = NULL;
        struct store_errbuf err = {""};
        struct timespec t0, t1;
        bool events = argc > 7 && strcmp(argv[7], "--events") == 0;

        if (argc < 6) {
                fprintf(stderr, "usage: %s DATA_DIR KIOSK_ID N PHOTOS BYTES [SEED] [--events]\n", argv[0]);
                return 2;
        }
        long n = num(argv[3]), photos = num(argv[4]), bytes = num(argv[5]);
        long seed = argc > 6 ? num(argv[6]) : 1;
        if (n < 0 || photos < 1 || bytes < 1 || seed < 0)
                return 2;
        snprintf(spool, sizeof(spool), "%s/spool", argv[1]);
        if (sync_fs_mkdir_p(spool, 0700, &err) != 0 || store_open(argv[1], &s, &err) != 0 ||
            sf_identity(s, argv[2], "store-1") != 0) {
                fprintf(stderr, "pk-sync-seed: %s\n", err.msg);
                store_close(s);
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < n; i++) {
                if (sf_locked_order(s, spool, (uint64_t)(seed * 1000003 + i), (int)photos, (size_t)bytes, id) != 0 ||
                    (events && sf_advance(s, id) != 0)) {
                        fprintf(stderr, "pk-sync-seed: order %ld failed\n", i);
                        store_close(s);
                        return 1;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("{\"orders\":%ld,\"photos\":%ld,\"bytes\":%lld,\"enqueue_s\":%.3f}\n", n, n * photos,
               (long long)n * photos * bytes,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        store_close(s);
        return 0;
}
