/* bench_decode_pool MODE JOBS FILE...: grid thumbnails (256 px, to memory) of
 * FILE... with JOBS threads, either in this process (MODE inproc,
 * img_thumb_to_pixels) or through the sandboxed decode pool with JOBS helpers
 * (MODE sandbox, app_decode_thumb); or review-screen soft proofs (960 x 720,
 * the glossy paper, gamut warning on) in this process (MODE proof-inproc:
 * img_probe_file + img_proof_to_pixels, as the kiosk did before) or in the
 * helpers (MODE proof-sandbox, app_decode_proof); the proof modes need
 * $PK_PROFILES_DIR. Timed from outside by tests/bench/sandbox.sh; prints
 * "ok N failed M" on stderr and "seconds S" (the photos alone, after one
 * untimed photo per thread when PK_BENCH_WARM=1) on stdout. Not a test. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/decode_pool.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/proof.h"
#include "image/thumb.h"

static char **files;
static int n_files, next, ok, failed, sandbox, proof;
static const char *profiles;
static struct img_paper paper;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct app_decode_pool *pool;

/* One photo through the chosen path; 0 or its error. */
static int do_one(int i)
{
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_proof_spec ps = {.width = 960, .height = 720, .gamut_warning = true,
                                    .profiles_dir = profiles};
        struct img_pixels px = {0};
        struct img_errbuf err = {{0}};
        struct img_probe pr;
        int rc;
        if (proof && sandbox)
                rc = app_decode_proof(pool, files[i], &paper, &ps, &px, NULL, &err);
        else if (proof && (rc = img_probe_file(files[i], IMG_PROBE_NO_HASH, &pr, &err)) == 0)
                rc = img_proof_to_pixels(files[i], &pr, &paper, &ps, &px, NULL, &err);
        else if (!proof)
                rc = sandbox ? app_decode_thumb(pool, files[i], &spec, &px, NULL, &err)
                             : img_thumb_to_pixels(files[i], &spec, &px, NULL, &err);
        img_pixels_free(&px);
        return rc;
}

/* Warm-up: one untimed photo per thread (helpers started and libvips,
 * loaders and the colour cache warm, as in a kiosk that has been up). */
static void *warm(void *arg)
{
        (void)arg;
        (void)do_one(0);
        return NULL;
}

static void *worker(void *arg)
{
        (void)arg;
        for (;;) {
                pthread_mutex_lock(&lock);
                int i = next < n_files ? next++ : -1;
                pthread_mutex_unlock(&lock);
                if (i < 0)
                        return NULL;
                int rc = do_one(i);
                pthread_mutex_lock(&lock);
                if (rc == 0)
                        ok++;
                else
                        failed++;
                pthread_mutex_unlock(&lock);
        }
}

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
        sandbox = strcmp(argv[1], "sandbox") == 0 || strcmp(argv[1], "proof-sandbox") == 0;
        proof = strncmp(argv[1], "proof-", 6) == 0;
        profiles = getenv("PK_PROFILES_DIR");
        if (proof && !profiles)
                return 2;
        if (proof) {
                snprintf(paper.name, sizeof(paper.name), "glossy");
                snprintf(paper.profile_path, sizeof(paper.profile_path), "%s/pk-glossy.icc", profiles);
                paper.intent = IMG_INTENT_PERCEPTUAL;
                paper.bpc = true;
        }
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
        const char *w = getenv("PK_BENCH_WARM");
        if (w && strcmp(w, "1") == 0) {
                for (int i = 0; i < jobs; i++)
                        pthread_create(&t[i], NULL, warm, NULL);
                for (int i = 0; i < jobs; i++)
                        pthread_join(t[i], NULL);
        }
        double t0 = now_s();
        for (int i = 0; i < jobs; i++)
                pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < jobs; i++)
                pthread_join(t[i], NULL);
        double dt = now_s() - t0;
        pool = app_decode_pool_free(pool);
        fprintf(stderr, "ok %d failed %d\n", ok, failed);
        /* The work alone (after the warm-up when PK_BENCH_WARM=1). */
        printf("seconds %.4f\n", dt);
        img_shutdown();
        return failed ? 1 : 0;
}
