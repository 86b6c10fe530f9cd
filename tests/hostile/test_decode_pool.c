/* Tests for app/decode_pool + printkiosk-decode: answers match the in-process
 * decoder, and a helper that crashes, hangs, burns CPU, blows memory, lies,
 * or tries the network or a write costs one request while the pool recovers.
 * Uses the corpus fixture ($PK_BUILD_DIR/corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "app/decode_pool.h"
#include "image/probe.h"
#include "image/thumb.h"
#include "tests/testutil.h"

static char *corpus_file(const char *name)
{
        return pk_test_strdupf("%s/corpus/%s", pk_test_build_dir(), name);
}

static struct app_decode_pool *pool_with(int timeout_ms, int cpu, uint64_t mem)
{
        struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
        cfg.helpers = 1;
        cfg.timeout_ms = timeout_ms;
        cfg.cpu_seconds = cpu;
        cfg.mem_bytes = mem;
        cfg.test_hooks = true;
        struct app_decode_pool *p = NULL;
        struct img_errbuf err = {{0}};
        int rc = app_decode_pool_new(&cfg, &p, &err);
        if (rc != 0)
                fail_msg("pool: %s", err.msg);
        return p;
}

/* The pool still answers a good photo correctly after whatever went before. */
static void assert_pool_recovers(struct app_decode_pool *p)
{
        char *f = corpus_file("srgb-icc.jpg");
        struct img_probe pr;
        struct img_errbuf err = {{0}};
        int rc = app_decode_probe(p, f, 0, &pr, &err);
        if (rc != 0)
                fail_msg("probe after failure: %s (%s)", app_decode_strerror(rc), err.msg);
        assert_int_equal(pr.width, 600);
        free(f);
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void probe_answers_match_in_process_for_every_corpus_file(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(10000, 8, 1ull << 30);
        char *tsv = pk_test_strdupf("%s/corpus/expected.tsv", pk_test_build_dir());
        FILE *f = fopen(tsv, "re");
        assert_non_null(f);
        char line[512];
        int n = 0;
        for (int guard = 0; guard < 1000 && fgets(line, sizeof(line), f); guard++) {
                if (line[0] == '#' || line[0] == '\n')
                        continue;
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                *tab = 0;
                char *path = corpus_file(line);
                struct img_probe a, b;
                struct img_errbuf ea = {{0}}, eb = {{0}};
                int ra = img_probe_file(path, 0, &a, &ea);
                int rb = app_decode_probe(p, path, 0, &b, &eb);
                /* TIFF is refused by both (no ALLOW_TIFF for customer files). */
                if (ra != rb)
                        fail_msg("%s: in-process %s, sandbox %s (%s)", line, img_strerror(ra),
                                 app_decode_strerror(rb), eb.msg);
                if (ra == 0) {
                        assert_int_equal(a.format, b.format);
                        assert_int_equal(a.width, b.width);
                        assert_int_equal(a.height, b.height);
                        assert_int_equal(a.orientation, b.orientation);
                        assert_int_equal(a.colour_source, b.colour_source);
                        assert_string_equal(a.colour_name, b.colour_name);
                        assert_string_equal(a.sha256, b.sha256);
                        assert_string_equal(a.captured_at, b.captured_at);
                }
                free(path);
                n++;
        }
        fclose(f);
        assert_true(n >= 20);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.crashed + st.timeouts + st.protocol_errors, 0);
        free(tsv);
        app_decode_pool_free(p);
}

static void thumb_pixels_match_in_process(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(10000, 8, 1ull << 30);
        const char *names[] = {"srgb-icc.jpg", "orient-6.jpg", "photo.heic", "photo.webp", "alpha.png"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char *path = corpus_file(names[i]);
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                spec.size = 200;
                struct img_pixels a = {0}, b = {0};
                struct img_thumb_info ia, ib;
                struct img_errbuf err = {{0}};
                assert_int_equal(img_thumb_to_pixels(path, &spec, &a, &ia, &err), 0);
                int rc = app_decode_thumb(p, path, &spec, &b, &ib, &err);
                if (rc != 0)
                        fail_msg("%s: %s (%s)", names[i], app_decode_strerror(rc), err.msg);
                assert_int_equal(a.width, b.width);
                assert_int_equal(a.height, b.height);
                assert_int_equal(b.stride, b.width * 3);
                assert_int_equal(ia.from_exif, ib.from_exif);
                for (int y = 0; y < a.height; y++)
                        assert_memory_equal(a.data + (size_t)y * a.stride, b.data + (size_t)y * b.stride,
                                            (size_t)a.width * 3);
                img_pixels_free(&a);
                img_pixels_free(&b);
                free(path);
        }
        app_decode_pool_free(p);
}

static void crash_costs_one_request_and_helper_restarts(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(5000, 8, 1ull << 30);
        assert_pool_recovers(p);
        int pid1 = app_decode_pool_helper_pid(p, 0);
        assert_true(pid1 > 0);
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_test(p, APP_DECODE_TEST_CRASH, &err), APP_DECODE_E_CRASHED);
        assert_true(strstr(err.msg, "signal") != NULL);
        assert_int_equal(app_decode_pool_helper_pid(p, 0), 0);
        assert_pool_recovers(p);
        int pid2 = app_decode_pool_helper_pid(p, 0);
        assert_true(pid2 > 0 && pid2 != pid1);
        app_decode_pool_free(p);
}

static void hang_is_killed_by_the_wall_clock_timeout(void **state)
{
        (void)state;
        /* 3 s: the recovery probe on the same pool includes starting a
         * helper, which takes over a second under ASan on a loaded machine. */
        struct app_decode_pool *p = pool_with(3000, 8, 1ull << 30);
        struct img_errbuf err = {{0}};
        double t0 = now_s();
        assert_int_equal(app_decode_test(p, APP_DECODE_TEST_HANG, &err), APP_DECODE_E_TIMEOUT);
        double dt = now_s() - t0;
        assert_true(dt >= 2.9 && dt < 10.0);
        assert_pool_recovers(p);
        app_decode_pool_free(p);
}

static void cpu_burn_is_stopped_by_rlimit_cpu(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(8000, 1, 1ull << 30);
        struct img_errbuf err = {{0}};
        double t0 = now_s();
        int rc = app_decode_test(p, APP_DECODE_TEST_CPU, &err);
        double dt = now_s() - t0;
        if (rc != APP_DECODE_E_CPU)
                fail_msg("expected cpu-limit, got %s (%s) after %.1f s", app_decode_strerror(rc), err.msg, dt);
        assert_true(dt < 7.0); /* the CPU limit, not the 8 s wall clock */
        assert_pool_recovers(p);
        app_decode_pool_free(p);
}

static void memory_blowup_is_stopped_by_the_memory_limit(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(20000, 8, 256ull << 20);
        struct img_errbuf err = {{0}};
        int rc = app_decode_test(p, APP_DECODE_TEST_MEMORY, &err);
        if (rc != APP_DECODE_E_CRASHED)
                fail_msg("expected crashed, got %s (%s)", app_decode_strerror(rc), err.msg);
        assert_pool_recovers(p);
        app_decode_pool_free(p);
}

static void malformed_answer_is_refused_and_helper_killed(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(5000, 8, 1ull << 30);
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_test(p, APP_DECODE_TEST_BAD_REPLY, &err), APP_DECODE_E_PROTOCOL);
        assert_int_equal(app_decode_pool_helper_pid(p, 0), 0);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.protocol_errors, 1);
        assert_pool_recovers(p);
        app_decode_pool_free(p);
}

static void network_is_denied_to_the_helper(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(5000, 8, 1ull << 30);
        struct img_errbuf err = {{0}};
        /* seccomp kills the helper at socket() (SIGSYS). */
        int rc = app_decode_test(p, APP_DECODE_TEST_NETWORK, &err);
        if (rc != APP_DECODE_E_CRASHED)
                fail_msg("socket() in the helper: %s (%s)", app_decode_strerror(rc), err.msg);
        assert_non_null(strstr(err.msg, "signal 31"));
        assert_pool_recovers(p);
        app_decode_pool_free(p);
}

static void file_writes_are_denied_to_the_helper(void **state)
{
        (void)state;
        struct app_decode_pool *p = pool_with(5000, 8, 1ull << 30);
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_test(p, APP_DECODE_TEST_WRITE, &err), IMG_E_IO);
        assert_int_not_equal(access("/tmp/pk-decode-write-probe", F_OK), 0);
        app_decode_pool_free(p);
}

static void test_hooks_are_off_by_default_and_tiff_is_refused(void **state)
{
        (void)state;
        struct app_decode_pool *p = NULL;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_pool_new(NULL, &p, &err), 0);
        assert_int_equal(app_decode_test(p, APP_DECODE_TEST_CRASH, &err), APP_DECODE_E_INVALID);
        char *tif = corpus_file("photo.tif");
        struct img_probe pr;
        assert_int_equal(app_decode_probe(p, tif, IMG_PROBE_ALLOW_TIFF, &pr, &err), APP_DECODE_E_INVALID);
        assert_int_equal(app_decode_probe(p, tif, 0, &pr, &err), IMG_E_UNSUPPORTED);
        free(tif);
        assert_int_equal(app_decode_pool_helper_pid(p, 0) > 0, 1);
        app_decode_pool_free(p);
}

static void helper_uses_the_kiosks_limits(void **state)
{
        (void)state;
        struct img_limits low = *img_get_limits();
        low.max_pixels = 100000; /* below the 600x400 corpus photos */
        img_init(NULL, &low);
        struct app_decode_pool *p = pool_with(5000, 8, 1ull << 30);
        img_init(NULL, NULL);
        char *f = corpus_file("srgb-icc.jpg");
        struct img_probe pr;
        struct img_errbuf err = {{0}};
        int rc = app_decode_probe(p, f, 0, &pr, &err);
        if (rc != IMG_E_TOO_MANY_PIXELS)
                fail_msg("want too-many-pixels, got %s (%s)", app_decode_strerror(rc), err.msg);
        free(f);
        app_decode_pool_free(p);
}

struct thread_arg {
        struct app_decode_pool *pool;
        int ok;
};

static void *worker(void *v)
{
        struct thread_arg *a = v;
        char *f = corpus_file("noprofile.jpg");
        for (int i = 0; i < 6; i++) {
                struct img_pixels px = {0};
                struct img_errbuf err = {{0}};
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                int rc = app_decode_thumb(a->pool, f, &spec, &px, NULL, &err);
                if (rc == 0 && px.width == 256)
                        a->ok++;
                else
                        print_message("thumb %d: %s (%s) width %d\n", i, app_decode_strerror(rc), err.msg, px.width);
                img_pixels_free(&px);
        }
        free(f);
        return NULL;
}

static void four_threads_share_two_helpers(void **state)
{
        (void)state;
        struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
        cfg.helpers = 2;
        struct app_decode_pool *p = NULL;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_pool_new(&cfg, &p, &err), 0);
        pthread_t t[4];
        struct thread_arg a[4];
        for (int i = 0; i < 4; i++) {
                a[i] = (struct thread_arg){.pool = p};
                assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(a[i].ok, 6);
        }
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.requests, 24);
        assert_true(st.spawned <= 2);
        app_decode_pool_free(p);
}

int main(void)
{
        img_init(NULL, NULL);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(probe_answers_match_in_process_for_every_corpus_file),
                cmocka_unit_test(thumb_pixels_match_in_process),
                cmocka_unit_test(crash_costs_one_request_and_helper_restarts),
                cmocka_unit_test(hang_is_killed_by_the_wall_clock_timeout),
                cmocka_unit_test(cpu_burn_is_stopped_by_rlimit_cpu),
                cmocka_unit_test(memory_blowup_is_stopped_by_the_memory_limit),
                cmocka_unit_test(malformed_answer_is_refused_and_helper_killed),
                cmocka_unit_test(network_is_denied_to_the_helper),
                cmocka_unit_test(file_writes_are_denied_to_the_helper),
                cmocka_unit_test(test_hooks_are_off_by_default_and_tiff_is_refused),
                cmocka_unit_test(four_threads_share_two_helpers),
                cmocka_unit_test(helper_uses_the_kiosks_limits),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        img_shutdown();
        return rc;
}
