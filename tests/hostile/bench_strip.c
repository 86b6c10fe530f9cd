/* bench_strip MODE OUTDIR FILE...: the upload copy of an order's photos, as
 * app/orders.c makes it, one photo after another: metadata stripped
 * (APP_STRIP_PRIVATE) and written durably (temp, fsync, rename, fsync dir)
 * to OUTDIR/<n>.out, either in this process (MODE inproc, app_strip_file) or
 * through a one-helper decode pool (MODE helper, app_decode_strip_file).
 * The first FILE is stripped once untimed (helper started, file cached, as
 * in a kiosk that is up); "start S" is that first photo, "seconds S" all
 * FILEs (the first again) after it, on stdout, "ok N failed M" on stderr. Driver for
 * tests/bench/strip.sh; not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/decode_pool.h"
#include "app/strip_metadata.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc < 4)
                return 2;
        bool helper = strcmp(argv[1], "helper") == 0;
        if (!helper && strcmp(argv[1], "inproc") != 0)
                return 2;
        img_init(argv[0], NULL);
        struct app_decode_pool *pool = NULL;
        struct img_errbuf err = {{0}};
        char out[4096];
        snprintf(out, sizeof(out), "%s/warm.out", argv[2]);
        double t0 = now_s();
        if (helper) {
                struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
                cfg.helpers = 1;
                if (app_decode_pool_new(&cfg, &pool, &err) != 0) {
                        fprintf(stderr, "pool: %s\n", err.msg);
                        return 1;
                }
        }
        /* One untimed photo: the helper started (libvips init), the file
         * cached, as for a kiosk that is up. */
        if ((helper ? app_decode_strip_file(pool, argv[3], out, APP_STRIP_PRIVATE, NULL, &err)
                    : app_strip_file(argv[3], out, APP_STRIP_PRIVATE, NULL, &err)) != 0) {
                fprintf(stderr, "first photo: %s\n", err.msg);
                return 1;
        }
        unlink(out);
        double first = now_s() - t0;
        int ok = 0, failed = 0;
        t0 = now_s();
        for (int i = 3; i < argc; i++) {
                snprintf(out, sizeof(out), "%s/%d.out", argv[2], i);
                int rc = helper ? app_decode_strip_file(pool, argv[i], out, APP_STRIP_PRIVATE, NULL, &err)
                                : app_strip_file(argv[i], out, APP_STRIP_PRIVATE, NULL, &err);
                if (rc == 0)
                        ok++;
                else
                        failed++;
                unlink(out);
        }
        double dt = now_s() - t0;
        app_decode_pool_free(pool);
        fprintf(stderr, "ok %d failed %d\n", ok, failed);
        printf("seconds %.4f\nstart %.4f\n", dt, first);
        img_shutdown();
        return failed ? 1 : 0;
}
