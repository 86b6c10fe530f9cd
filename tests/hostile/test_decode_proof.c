/* Tests for soft-proof previews in the sandboxed decode helper
 * (app_decode_proof, printkiosk-decode's APP_DECODE_OP_PROOF): the helper's
 * pixels match the in-process img_proof_to_pixels on the corpus; a hostile
 * photo, a crash, a hang or a forged answer costs that one preview and the
 * pool carries on. Uses the corpus fixture ($PK_BUILD_DIR/corpus) and the
 * shipped profiles (profiles/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "app/decode_pool.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/proof.h"
#include "tests/hostile/decode_fixture.h"
#include "tests/testutil.h"

static char profiles[1024];

static char *corpus_file(const char *name)
{
        return pk_test_strdupf("%s/corpus/%s", pk_test_build_dir(), name);
}

static struct img_paper paper_of(const char *icc, enum img_intent intent, bool bpc)
{
        struct img_paper p;
        memset(&p, 0, sizeof(p));
        snprintf(p.name, sizeof(p.name), "test");
        snprintf(p.profile_path, sizeof(p.profile_path), "%s/%s", profiles, icc);
        p.intent = intent;
        p.bpc = bpc;
        return p;
}

static struct img_proof_spec spec_of(int w, int h, int rotate, bool gamut)
{
        struct img_proof_spec s = IMG_PROOF_SPEC_DEFAULT;
        s.width = w;
        s.height = h;
        s.rotate = rotate;
        s.gamut_warning = gamut;
        s.profiles_dir = profiles;
        return s;
}

/* Largest difference of any channel between two previews of equal size. */
static int max_diff(const struct img_pixels *a, const struct img_pixels *b)
{
        int m = 0;
        for (int y = 0; y < a->height; y++) {
                const uint8_t *ra = a->data + (size_t)y * a->stride;
                const uint8_t *rb = b->data + (size_t)y * b->stride;
                for (int x = 0; x < a->width * 3; x++) {
                        int d = abs((int)ra[x] - (int)rb[x]);
                        m = d > m ? d : m;
                }
        }
        return m;
}

/* One photo through both paths; returns the largest channel difference. */
static int compare(struct app_decode_pool *p, const char *name, const struct img_paper *paper,
                   const struct img_proof_spec *spec)
{
        char *path = corpus_file(name);
        struct img_probe pr;
        struct img_pixels a = {0}, b = {0};
        struct img_proof_info ia = {0}, ib = {0};
        struct img_errbuf ea = {{0}}, eb = {{0}};
        assert_int_equal(img_probe_file(path, IMG_PROBE_NO_HASH, &pr, &ea), 0);
#if defined(__SANITIZE_ADDRESS__)
        /* render.c's img__load_rgb (the in-process reference) leaks its
         * flatten background array for photos with alpha; LeakSanitizer would
         * fail this test on it. Under ASan such a photo is checked in the
         * helper only (the plain build compares it). */
        if (pr.has_alpha) {
                int r = app_decode_proof(p, path, paper, spec, &b, &ib, &eb);
                if (r != 0)
                        fail_msg("%s in the helper: %s (%s)", name, app_decode_strerror(r), eb.msg);
                assert_true(b.width <= spec->width && b.height <= spec->height && b.width > 0);
                img_pixels_free(&b);
                free(path);
                return 0;
        }
#endif
        int ra = img_proof_to_pixels(path, &pr, paper, spec, &a, &ia, &ea);
        if (ra != 0)
                fail_msg("%s in process: %s (%s)", name, img_strerror(ra), ea.msg);
        int rb = app_decode_proof(p, path, paper, spec, &b, &ib, &eb);
        if (rb != 0)
                fail_msg("%s in the helper: %s (%s)", name, app_decode_strerror(rb), eb.msg);
        assert_int_equal(a.width, b.width);
        assert_int_equal(a.height, b.height);
        assert_int_equal(ia.width, ib.width);
        assert_int_equal(ia.height, ib.height);
        assert_int_equal(b.stride, b.width * 3);
        assert_true(b.width <= spec->width && b.height <= spec->height);
        int m = max_diff(&a, &b);
        if (spec->gamut_warning && m == 0)
                assert_true(ia.out_of_gamut == ib.out_of_gamut);
        img_pixels_free(&a);
        img_pixels_free(&b);
        free(path);
        return m;
}

static void rgb_photos_preview_the_same_in_the_helper_as_in_process(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(20000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_paper lustre = paper_of("pk-lustre.icc", IMG_INTENT_RELATIVE, false);
        /* Embedded sRGB / Adobe / P3, EXIF Adobe, untagged, orientation,
         * alpha, 16-bit, progressive, WebP, HEIF: every source-profile rule
         * and every loader the fd path repeats from render.c. */
        const char *names[] = {"srgb-icc.jpg",   "adobergb-icc.jpg", "displayp3-icc.jpg",
                               "exif-adobergb.jpg", "noprofile.jpg", "orient-6.jpg",
                               "orient-3.jpg",   "alpha.png",        "sixteen-bit.png",
                               "progressive.jpg", "photo.webp",      "photo.heic"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct img_proof_spec s = spec_of(960, 720, (int)(i % 4) * 90, i % 2 == 0);
                int m = compare(p, names[i], i % 3 ? &glossy : &lustre, &s);
                if (m != 0)
                        fail_msg("%s: previews differ by %d levels", names[i], m);
        }
        /* A box smaller than the photo: shrink-on-load and resize. */
        struct img_proof_spec small = spec_of(200, 150, 90, true);
        assert_int_equal(compare(p, "srgb-icc.jpg", &glossy, &small), 0);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.crashed + st.timeouts + st.protocol_errors, 0);
        app_decode_pool_free(p);
}

static void grey_and_cmyk_previews_stay_within_two_levels(void **state)
{
        (void)state;
        /* The helper converts them with libvips' built-in sRGB profile, the
         * path entry point with profiles/sRGB.icc (proof.h). */
        struct app_decode_pool *p = hostile_decode_pool(20000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 0, false);
        int g = compare(p, "grey.jpg", &glossy, &s);
        int c = compare(p, "cmyk.jpg", &glossy, &s);
        print_message("grey: %d levels, cmyk: %d levels\n", g, c);
        assert_true(g <= 2);
        assert_true(c <= 2);
        app_decode_pool_free(p);
}

static void good_preview(struct app_decode_pool *p)
{
        char *path = corpus_file("orient-6.jpg");
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 0, true);
        struct img_pixels px = {0};
        struct img_proof_info info = {0};
        struct img_errbuf err = {{0}};
        int rc = app_decode_proof(p, path, &glossy, &s, &px, &info, &err);
        if (rc != 0)
                fail_msg("good preview after a failure: %s (%s)", app_decode_strerror(rc), err.msg);
        assert_true(px.width > 0 && px.width <= 960 && px.height > 0 && px.height <= 720);
        assert_int_equal(info.width, px.width);
        img_pixels_free(&px);
        free(path);
}

static void hostile_photos_cost_their_preview_and_the_pool_carries_on(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(10000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 0, false);
        const char *names[] = {"truncated.jpg", "corrupt.jpg",   "bomb-30000.jpg", "empty.jpg",
                               "zero-size.jpg", "truncated.png", "truncated.heic", "photo.tif",
                               "unsupported.gif", "garbage-icc.jpg"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char *path = corpus_file(names[i]);
                struct img_pixels px = {0};
                struct img_errbuf err = {{0}};
                int rc = app_decode_proof(p, path, &glossy, &s, &px, NULL, &err);
                if (rc == 0 || !app_decode_error_is_photo(rc))
                        fail_msg("%s: %s (%s)", names[i], app_decode_strerror(rc), err.msg);
                assert_null(px.data);
                free(path);
                good_preview(p);
        }
        app_decode_pool_free(p);
}

static void crash_or_hang_while_proofing_costs_one_preview(void **state)
{
        (void)state;
        /* 6 s: the recovery preview includes starting a helper, which takes
         * seconds under ASan on a loaded machine. */
        struct app_decode_pool *p = hostile_decode_pool(6000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 0, false);
        char *path = corpus_file("srgb-icc.jpg");
        struct img_pixels px = {0};
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_pool_fault_next_proof(p, APP_DECODE_PROOF_CRASH), 0);
        assert_int_equal(app_decode_proof(p, path, &glossy, &s, &px, NULL, &err), APP_DECODE_E_CRASHED);
        assert_null(px.data);
        good_preview(p);
        assert_int_equal(app_decode_pool_fault_next_proof(p, APP_DECODE_PROOF_HANG), 0);
        assert_int_equal(app_decode_proof(p, path, &glossy, &s, &px, NULL, &err), APP_DECODE_E_TIMEOUT);
        assert_null(px.data);
        good_preview(p);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.crashed, 1);
        assert_int_equal(st.timeouts, 1);
        free(path);
        app_decode_pool_free(p);
}

static void forged_preview_answers_are_refused(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(10000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 90, false);
        char *path = corpus_file("srgb-icc.jpg");
        const enum app_decode_proof_fault forged[] = {APP_DECODE_PROOF_WIDER, APP_DECODE_PROOF_HUGE,
                                                      APP_DECODE_PROOF_STRIDE,
                                                      APP_DECODE_PROOF_PHOTO_SIZE};
        for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
                struct img_pixels px = {0};
                struct img_errbuf err = {{0}};
                assert_int_equal(app_decode_pool_fault_next_proof(p, forged[i]), 0);
                int rc = app_decode_proof(p, path, &glossy, &s, &px, NULL, &err);
                if (rc != APP_DECODE_E_PROTOCOL)
                        fail_msg("forgery %d: %s (%s)", (int)forged[i], app_decode_strerror(rc), err.msg);
                assert_null(px.data);
                assert_int_equal(app_decode_pool_helper_pid(p, 0), 0); /* killed */
                good_preview(p);
        }
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.protocol_errors, 4);
        free(path);
        app_decode_pool_free(p);
}

static void bad_requests_are_refused_before_the_helper(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(10000);
        struct img_paper glossy = paper_of("pk-glossy.icc", IMG_INTENT_PERCEPTUAL, true);
        char *path = corpus_file("srgb-icc.jpg");
        struct img_pixels px = {0};
        struct img_errbuf err = {{0}};
        /* A box whose pixels could not fit the shared buffer. */
        struct img_proof_spec big = spec_of(4096, 4096, 0, false);
        assert_int_equal(app_decode_proof(p, path, &glossy, &big, &px, NULL, &err), APP_DECODE_E_INVALID);
        struct img_proof_spec odd = spec_of(960, 720, 45, false);
        assert_int_equal(app_decode_proof(p, path, &glossy, &odd, &px, NULL, &err), APP_DECODE_E_INVALID);
        /* A paper profile that is not there: the pool says so itself. */
        struct img_paper missing = paper_of("no-such.icc", IMG_INTENT_PERCEPTUAL, true);
        struct img_proof_spec s = spec_of(960, 720, 0, false);
        assert_int_equal(app_decode_proof(p, path, &missing, &s, &px, NULL, &err), IMG_E_UNREADABLE);
        assert_non_null(strstr(err.msg, "paper profile"));
        /* Faults need test hooks. */
        struct app_decode_pool *plain = NULL;
        assert_int_equal(app_decode_pool_new(NULL, &plain, &err), 0);
        assert_int_equal(app_decode_pool_fault_next_proof(plain, APP_DECODE_PROOF_CRASH),
                         APP_DECODE_E_INVALID);
        app_decode_pool_free(plain);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.requests, 0);
        free(path);
        app_decode_pool_free(p);
}

int main(void)
{
        img_init(NULL, NULL);
        snprintf(profiles, sizeof(profiles), "%s/profiles", pk_test_source_dir());
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(rgb_photos_preview_the_same_in_the_helper_as_in_process),
                cmocka_unit_test(grey_and_cmyk_previews_stay_within_two_levels),
                cmocka_unit_test(hostile_photos_cost_their_preview_and_the_pool_carries_on),
                cmocka_unit_test(crash_or_hang_while_proofing_costs_one_preview),
                cmocka_unit_test(forged_preview_answers_are_refused),
                cmocka_unit_test(bad_requests_are_refused_before_the_helper),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        img_shutdown();
        return rc;
}
