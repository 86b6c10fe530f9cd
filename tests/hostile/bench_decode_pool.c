/* bench_decode_pool MODE JOBS FILE...: grid thumbnails (256 px, to memory) of
 * FILE... with JOBS threads, either in this process (MODE inproc,
 * img_thumb_to_pixels) or through the sandboxed decode pool with JOBS helpers
 * (MODE sandbox, app_decode_thumb). Timed from outside by
 * tests/bench/sandbox.sh; prints "ok N failed M" on stderr. Not a test. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/decode_pool.h"
#include "image/thumb.h"

static char **files;
static int n_files, next, ok, failed, sandbox;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct app_decode_pool *pool;

static void *worker(void *arg)
{
        (void)arg;
        for (;;) {
                pthread_mutex_lock(&lock);
                int i = next < n_files ? next++ : -1;
                pthread_mutex_unlock(&lock);
                if (i < 0)
                        return NULL;
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                struct img_pixels px = {0};
                struct img_errbuf err = {{0}};
                int rc = sandbox ? app_decode_thumb(pool, files[i], &spec, &px, NULL, &err)
                                 : img_thumb_to_pixels(files[i], &spec, &px, NULL, &err);
                img_pixels_free(&px);
                pthread_mutex_lock(&lock);
                if (rc == 0)
                        ok++;
                else
                        failed++;
                pthread_mutex_unlock(&lock);
        }
}

int main(int argc, char **argv)
{
        if (argc < 4)
                return 2;
        sandbox = strcmp(argv[1], "sandbox") == 0;
        int jobs = (int)strtol(argv[2], NULL, 10);
        if (jobs < 1 || jobs > 16)
                return 2;
        files = argv + 3;
        n_files = argc - 3;
        img_init(argv[0], NULL);
        if (sandbox) {
                struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
                cfg.helpers = jobs;
                struct img_errbuf err = {{0}};
                if (app_decode_pool_new(&cfg, &pool, &err) != 0) {
                        fprintf(stderr, "pool: %s\n", err.msg);
                        return 1;
                }
        }
        pthread_t t[16];
        for (int i = 0; i < jobs; i++)
                pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < jobs; i++)
                pthread_join(t[i], NULL);
        pool = app_decode_pool_free(pool);
        fprintf(stderr, "ok %d failed %d\n", ok, failed);
        img_shutdown();
        return failed ? 1 : 0;
}
