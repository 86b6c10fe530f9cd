/* image/thumb: size and square, every EXIF orientation gives the same upright
 * picture, EXIF thumbnails used only when big enough and the right shape,
 * output is 8-bit sRGB (Adobe RGB converted, alpha on white, grey as RGB),
 * hostile files fail with probe's reasons, files are written whole, and two
 * threads at once give the same results as one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/probe.h"
#include "image/thumb.h"
#include "tests/image/corpus_util.h"
#include "tests/testutil.h"

#include <lcms2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

static struct img_pixels thumb_ok(const char *file, const struct img_thumb_spec *spec,
                                  struct img_thumb_info *info)
{
        char *path = corpus_path(file);
        struct img_pixels px = {0};
        struct img_errbuf eb = {.msg = ""};
        int rc = img_thumb_to_pixels(path, spec, &px, info, &eb);
        if (rc != 0)
                print_error("%s: %s %s\n", file, img_strerror(rc), eb.msg);
        assert_int_equal(rc, 0);
        assert_non_null(px.data);
        assert_int_equal(px.stride, px.width * 3);
        free(path);
        return px;
}

static const uint8_t *at(const struct img_pixels *px, int x, int y)
{
        return px->data + (size_t)y * (size_t)px->stride + (size_t)x * 3;
}

/* Mean absolute difference per sample of two same-size thumbnails. */
static double mean_abs_diff(const struct img_pixels *a, const struct img_pixels *b)
{
        assert_int_equal(a->width, b->width);
        assert_int_equal(a->height, b->height);
        double sum = 0;
        for (int y = 0; y < a->height; y++)
                for (int x = 0; x < a->width * 3; x++)
                        sum += abs((int)a->data[(size_t)y * a->stride + x] - (int)b->data[(size_t)y * b->stride + x]);
        return sum / ((double)a->width * a->height * 3);
}

static void fit_keeps_the_aspect_and_square_crops_the_centre(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_thumb_info info;
        spec.size = 150;
        struct img_pixels px = thumb_ok("noprofile.jpg", &spec, &info);
        assert_int_equal(px.width, 150);
        assert_int_equal(px.height, 100); /* 600x400 */
        assert_int_equal(info.width, 150);
        assert_int_equal(info.src_width, 600);
        assert_int_equal(info.src_height, 400);
        img_pixels_free(&px);
        assert_null(px.data);
        spec.square = true;
        px = thumb_ok("orient-6.jpg", &spec, &info);
        assert_int_equal(px.width, 150);
        assert_int_equal(px.height, 150);
        img_pixels_free(&px);
        img_pixels_free(NULL);
}

static void all_eight_orientations_give_the_same_upright_picture(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 96;
        struct img_pixels ref = thumb_ok("orient-1.jpg", &spec, NULL);
        assert_int_equal(ref.width, 96); /* landscape once upright */
        /* Top-left is red, top-right green: a wrong rotation or mirror moves them. */
        const uint8_t *tl = at(&ref, 8, 8), *tr = at(&ref, ref.width - 8, 8);
        assert_true(tl[0] > 150 && tl[1] < 100);
        assert_true(tr[1] > 150 && tr[0] < 100);
        for (int o = 2; o <= 8; o++) {
                char name[32];
                snprintf(name, sizeof(name), "orient-%d.jpg", o);
                struct img_thumb_info info;
                struct img_pixels px = thumb_ok(name, &spec, &info);
                double d = mean_abs_diff(&ref, &px);
                if (d > 4.0)
                        print_error("%s differs from orientation 1 by %.2f\n", name, d);
                assert_true(d <= 4.0);
                assert_int_equal(info.src_width, 600);
                img_pixels_free(&px);
        }
        img_pixels_free(&ref);
}

static void exif_thumbnail_is_used_only_when_big_enough_and_same_shape(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_thumb_info info;
        spec.size = 256; /* the big EXIF thumbnail is 300x200, the small one 160x107 */
        struct img_pixels px = thumb_ok("exifthumb-big.jpg", &spec, &info);
        assert_true(info.from_exif);
        assert_int_equal(px.width, 256);
        struct img_pixels full;
        spec.allow_exif_thumbnail = false;
        full = thumb_ok("exifthumb-big.jpg", &spec, &info);
        assert_false(info.from_exif);
        assert_true(mean_abs_diff(&px, &full) < 6.0); /* same picture */
        img_pixels_free(&px);
        img_pixels_free(&full);
        spec.allow_exif_thumbnail = true;
        px = thumb_ok("exifthumb-small.jpg", &spec, &info);
        assert_false(info.from_exif);
        img_pixels_free(&px);
        px = thumb_ok("exifthumb-square.jpg", &spec, &info);
        assert_false(info.from_exif); /* 300x300 for a 3:2 photo */
        img_pixels_free(&px);
        spec.size = 200; /* the small one (160 px) is still too small */
        px = thumb_ok("exifthumb-small.jpg", &spec, &info);
        assert_false(info.from_exif);
        img_pixels_free(&px);
        spec.size = 128;
        px = thumb_ok("exifthumb-small.jpg", &spec, &info);
        assert_true(info.from_exif);
        assert_int_equal(px.width, 128);
        img_pixels_free(&px);
}

/* The sRGB value lcms2 gives for an Adobe RGB colour. */
static void adobe_to_srgb(const uint8_t in[3], uint8_t out[3])
{
        char *icc = pk_test_strdupf("%s", "/usr/share/color/argyll/ref/ClayRGB1998.icm");
        cmsHPROFILE src = cmsOpenProfileFromFile(icc, "r");
        assert_non_null(src);
        cmsHPROFILE dst = cmsCreate_sRGBProfile();
        cmsHTRANSFORM t = cmsCreateTransform(src, TYPE_RGB_8, dst, TYPE_RGB_8, INTENT_RELATIVE_COLORIMETRIC, 0);
        assert_non_null(t);
        cmsDoTransform(t, in, out, 1);
        cmsDeleteTransform(t);
        cmsCloseProfile(src);
        cmsCloseProfile(dst);
        free(icc);
}

static void adobe_rgb_photos_come_out_as_srgb(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 32;
        /* The flat patch was written as Adobe RGB (40, 200, 60). */
        const uint8_t adobe[3] = {40, 200, 60};
        uint8_t want[3];
        adobe_to_srgb(adobe, want);
        struct img_pixels px = thumb_ok("adobergb-patch.jpg", &spec, NULL);
        const uint8_t *got = at(&px, px.width / 2, px.height / 2);
        print_message("patch: sRGB want %d,%d,%d got %d,%d,%d\n", want[0], want[1], want[2], got[0], got[1], got[2]);
        for (int c = 0; c < 3; c++)
                assert_true(abs((int)got[c] - (int)want[c]) <= 6);
        /* And it really changed: sRGB (40,200,60) would be a different green. */
        assert_true(abs((int)got[0] - 40) + abs((int)got[2] - 60) > 10);
        img_pixels_free(&px);

        /* EXIF-only Adobe RGB is converted too: its red quadrant is redder
         * than the same bytes read as sRGB. */
        spec.size = 96;
        struct img_pixels exif = thumb_ok("exif-adobergb.jpg", &spec, NULL);
        struct img_pixels plain = thumb_ok("noprofile.jpg", &spec, NULL);
        const uint8_t *e = at(&exif, 10, 10), *p = at(&plain, 10, 10);
        uint8_t w2[3];
        adobe_to_srgb(p, w2);
        for (int c = 0; c < 3; c++)
                assert_true(abs((int)e[c] - (int)w2[c]) <= 8);
        img_pixels_free(&exif);
        img_pixels_free(&plain);
}

static void alpha_grey_and_sixteen_bit_become_rgb8(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 96;
        struct img_pixels plain = thumb_ok("noprofile.jpg", &spec, NULL);
        /* alpha.png: the source at alpha 128 over white. */
        struct img_pixels a = thumb_ok("alpha.png", &spec, NULL);
        const uint8_t *src = at(&plain, 10, 10), *got = at(&a, 10, 10);
        for (int c = 0; c < 3; c++) {
                int want = (src[c] * 128 + 255 * 127) / 255;
                assert_true(abs((int)got[c] - want) <= 8);
        }
        struct img_pixels g = thumb_ok("grey.jpg", &spec, NULL);
        for (int y = 0; y < g.height; y += 7)
                for (int x = 0; x < g.width; x += 7) {
                        const uint8_t *q = at(&g, x, y);
                        assert_true(abs(q[0] - q[1]) <= 1 && abs(q[1] - q[2]) <= 1);
                }
        struct img_pixels s = thumb_ok("sixteen-bit.png", &spec, NULL);
        assert_true(mean_abs_diff(&plain, &s) < 4.0);
        struct img_pixels cm = thumb_ok("cmyk.jpg", &spec, NULL);
        assert_int_equal(cm.width, 96);
        struct img_pixels h = thumb_ok("photo.heic", &spec, NULL);
        assert_true(mean_abs_diff(&plain, &h) < 8.0);
        struct img_pixels wp = thumb_ok("photo.webp", &spec, NULL);
        assert_true(mean_abs_diff(&plain, &wp) < 8.0);
        img_pixels_free(&plain);
        img_pixels_free(&a);
        img_pixels_free(&g);
        img_pixels_free(&s);
        img_pixels_free(&cm);
        img_pixels_free(&h);
        img_pixels_free(&wp);
}

static void hostile_files_fail_with_the_probe_reasons(void **state)
{
        (void)state;
        static struct corpus_row rows[CORPUS_MAX_ROWS];
        int n = corpus_load(rows, CORPUS_MAX_ROWS);
        assert_true(n > 0);
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        int checked = 0;
        for (int i = 0; i < n; i++) {
                if (strcmp(rows[i].verdict, "ok") == 0)
                        continue;
                char *path = corpus_path(rows[i].file);
                struct img_pixels px = {0};
                struct img_errbuf eb;
                int rc = img_thumb_to_pixels(path, &spec, &px, NULL, &eb);
                if (strcmp(img_strerror(rc), rows[i].verdict) != 0)
                        print_error("%s: %s, want %s\n", rows[i].file, img_strerror(rc), rows[i].verdict);
                assert_string_equal(img_strerror(rc), rows[i].verdict);
                assert_null(px.data);
                free(path);
                checked++;
        }
        assert_true(checked >= 10);
}

static void bad_specs_are_refused(void **state)
{
        (void)state;
        char *path = corpus_path("noprofile.jpg");
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_pixels px = {0};
        spec.size = 8;
        assert_int_equal(img_thumb_to_pixels(path, &spec, &px, NULL, NULL), IMG_E_INVALID);
        spec.size = 5000;
        assert_int_equal(img_thumb_to_pixels(path, &spec, &px, NULL, NULL), IMG_E_INVALID);
        spec = (struct img_thumb_spec)IMG_THUMB_SPEC_DEFAULT;
        spec.quality = 0;
        assert_int_equal(img_thumb_to_pixels(path, &spec, &px, NULL, NULL), IMG_E_INVALID);
        assert_int_equal(img_thumb_to_pixels(path, NULL, &px, NULL, NULL), IMG_E_INVALID);
        free(path);
}

static void thumb_file_is_an_srgb_jpeg_written_whole(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("thumb");
        char *out = pk_test_strdupf("%s/t.jpg", dir);
        char *path = corpus_path("orient-8.jpg");
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_thumb_info info;
        assert_int_equal(img_thumb_file(path, &spec, out, &info, NULL), 0);
        VipsImage *im = vips_image_new_from_file(out, NULL);
        assert_non_null(im);
        assert_int_equal(vips_image_get_width(im), info.width);
        assert_int_equal(vips_image_get_height(im), info.height);
        assert_int_equal(info.width, 256);
        assert_int_equal(vips_image_get_bands(im), 3);
        assert_false(vips_image_get_typeof(im, VIPS_META_ICC_NAME)); /* stripped: sRGB by convention */
        g_object_unref(im);
        /* Only the output is left: no temporary files. */
        char *listing = pk_test_strdupf("ls -A %s | wc -l", dir);
        FILE *f = popen(listing, "r");
        int count = -1;
        assert_int_equal(fscanf(f, "%d", &count), 1);
        pclose(f);
        assert_int_equal(count, 1);
        /* A failing input leaves nothing behind. */
        char *bad = corpus_path("truncated.jpg");
        char *out2 = pk_test_strdupf("%s/bad.jpg", dir);
        assert_int_equal(img_thumb_file(bad, &spec, out2, NULL, NULL), IMG_E_TRUNCATED);
        assert_int_not_equal(access(out2, F_OK), 0);
        char *unwritable = pk_test_strdupf("%s/no/such/dir/x.jpg", dir);
        assert_int_equal(img_thumb_file(path, &spec, unwritable, NULL, NULL), IMG_E_IO);
        pk_test_rmtree(dir);
        free(unwritable);
        free(out2);
        free(bad);
        free(listing);
        free(path);
        free(out);
        free(dir);
}

/* libvips caches loads by file name: the next customer's photo at the same
 * path (same USB stick layout) must never get the previous one's header. */
static void a_new_photo_at_the_same_path_is_not_served_from_a_cache(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("thumb-same-path");
        char *p = pk_test_strdupf("%s/IMG_0001.JPG", dir);
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 96;
        const char *files[2] = {"noprofile.jpg", "orient-6.jpg"};
        struct img_pixels px[2] = {{0}};
        for (int i = 0; i < 2; i++) {
                char *src = corpus_path(files[i]);
                size_t len = 0;
                char *bytes = pk_test_read_file(src, &len);
                assert_non_null(bytes);
                unlink(p);
                assert_int_equal(pk_test_write_file(p, bytes, len), 0);
                struct img_probe pr;
                assert_int_equal(img_probe_file(p, IMG_PROBE_NO_HASH, &pr, NULL), 0);
                assert_int_equal(pr.orientation, i == 0 ? 1 : 6);
                px[i] = (struct img_pixels){0};
                assert_int_equal(img_thumb_to_pixels(p, &spec, &px[i], NULL, NULL), 0);
                free(bytes);
                free(src);
        }
        /* Both are the same upright picture, so the second one (stored rotated)
         * came out upright only if its own orientation was applied. */
        assert_int_equal(px[1].width, 96);
        assert_true(mean_abs_diff(&px[0], &px[1]) <= 4.0);
        img_pixels_free(&px[0]);
        img_pixels_free(&px[1]);
        pk_test_rmtree(dir);
        free(p);
        free(dir);
}

#define THREAD_FILES 6
static const char *const thread_files[THREAD_FILES] = {"orient-3.jpg", "progressive.jpg", "alpha.png",
                                                      "photo.webp", "adobergb-icc.jpg", "photo.heic"};
struct thread_run {
        struct img_pixels px[THREAD_FILES];
        int rc[THREAD_FILES];
};

static void *thread_main(void *arg)
{
        struct thread_run *r = arg;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 64;
        for (int i = 0; i < THREAD_FILES; i++) {
                char *path = corpus_path(thread_files[i]);
                r->rc[i] = img_thumb_to_pixels(path, &spec, &r->px[i], NULL, NULL);
                free(path);
        }
        vips_thread_shutdown();
        return NULL;
}

static void two_threads_get_the_same_thumbnails_as_one(void **state)
{
        (void)state;
        static struct thread_run one, a, b;
        thread_main(&one);
        pthread_t ta, tb;
        assert_int_equal(pthread_create(&ta, NULL, thread_main, &a), 0);
        assert_int_equal(pthread_create(&tb, NULL, thread_main, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        for (int i = 0; i < THREAD_FILES; i++) {
                assert_int_equal(one.rc[i], 0);
                assert_int_equal(a.rc[i], 0);
                assert_int_equal(b.rc[i], 0);
                assert_true(mean_abs_diff(&one.px[i], &a.px[i]) == 0.0);
                assert_true(mean_abs_diff(&one.px[i], &b.px[i]) == 0.0);
                img_pixels_free(&one.px[i]);
                img_pixels_free(&a.px[i]);
                img_pixels_free(&b.px[i]);
        }
}

static int setup(void **state)
{
        (void)state;
        return img_init(NULL, NULL);
}

static int teardown(void **state)
{
        (void)state;
        img_shutdown();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(fit_keeps_the_aspect_and_square_crops_the_centre),
                cmocka_unit_test(all_eight_orientations_give_the_same_upright_picture),
                cmocka_unit_test(exif_thumbnail_is_used_only_when_big_enough_and_same_shape),
                cmocka_unit_test(adobe_rgb_photos_come_out_as_srgb),
                cmocka_unit_test(alpha_grey_and_sixteen_bit_become_rgb8),
                cmocka_unit_test(hostile_files_fail_with_the_probe_reasons),
                cmocka_unit_test(bad_specs_are_refused),
                cmocka_unit_test(thumb_file_is_an_srgb_jpeg_written_whole),
                cmocka_unit_test(two_threads_get_the_same_thumbnails_as_one),
                cmocka_unit_test(a_new_photo_at_the_same_path_is_not_served_from_a_cache),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
