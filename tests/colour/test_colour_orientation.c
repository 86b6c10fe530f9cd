/* All 8 EXIF orientations of one upright photo render the same upright master.
 * The stored variants are made here: for each orientation, the one of the 8
 * flips/rotations of the upright image that libvips' autorot turns back into
 * it, saved as JPEG with that orientation tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "colour_fixture.h"
#include "image/colour.h"
#include "image/probe.h"
#include "tests/testutil.h"

#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#define W 600
#define H 400

static VipsImage *upright(void)
{
        uint8_t *px = malloc((size_t)W * H * 3);
        for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                        uint8_t *p = px + ((size_t)y * W + x) * 3;
                        p[0] = (uint8_t)(x * 255 / W);
                        p[1] = (uint8_t)(y * 255 / H);
                        p[2] = (x < 150 && y < 100) ? 255 : 40; /* top-left marker */
                }
        VipsImage *v = vips_image_new_from_memory_copy(px, (size_t)W * H * 3, W, H, 3,
                                                        VIPS_FORMAT_UCHAR);
        free(px);
        return v;
}

static bool same_pixels(VipsImage *a, VipsImage *b)
{
        if (a->Xsize != b->Xsize || a->Ysize != b->Ysize)
                return false;
        double m = 1;
        VipsImage *d = NULL, *ab = NULL;
        if (vips_subtract(a, b, &d, NULL) || vips_abs(d, &ab, NULL) || vips_max(ab, &m, NULL))
                m = 1;
        if (d)
                g_object_unref(d);
        if (ab)
                g_object_unref(ab);
        return m == 0;
}

/* Stored form of `up` for orientation o (autorot of it gives up). */
static VipsImage *stored_for(VipsImage *up, int o)
{
        static const VipsAngle angles[] = {VIPS_ANGLE_D0, VIPS_ANGLE_D90, VIPS_ANGLE_D180,
                                           VIPS_ANGLE_D270};
        for (int flip = 0; flip < 2; flip++)
                for (int a = 0; a < 4; a++) {
                        VipsImage *r = NULL, *f = NULL, *back = NULL;
                        vips_rot(up, &r, angles[a], NULL);
                        if (flip)
                                vips_flip(r, &f, VIPS_DIRECTION_HORIZONTAL, NULL);
                        else
                                f = g_object_ref(r);
                        VipsImage *tagged = NULL;
                        vips_copy(f, &tagged, NULL);
                        vips_image_set_int(tagged, VIPS_META_ORIENTATION, o);
                        vips_autorot(tagged, &back, NULL);
                        bool ok = same_pixels(back, up);
                        g_object_unref(back);
                        g_object_unref(r);
                        g_object_unref(f);
                        if (ok)
                                return tagged;
                        g_object_unref(tagged);
                }
        return NULL;
}

static void all_eight_orientations_render_the_same_upright_master(void **state)
{
        (void)state;
        assert_int_equal(img_init("test", NULL), 0);
        char *dir = pk_test_mkdtemp("colour-orient");
        VipsImage *up = upright();
        uint8_t *ref = NULL;
        int rw = 0, rh = 0;
        for (int o = 1; o <= 8; o++) {
                VipsImage *st = stored_for(up, o);
                assert_non_null(st);
                char *in = pk_test_strdupf("%s/o%d.jpg", dir, o);
                char *out = pk_test_strdupf("%s/o%d.tif", dir, o);
                assert_int_equal(vips_jpegsave(st, in, "Q", 97, NULL), 0);
                g_object_unref(st);
                struct img_probe pr;
                struct img_errbuf eb = {""};
                assert_int_equal(img_probe_file(in, 0, &pr, &eb), 0);
                assert_int_equal(pr.orientation, o);
                assert_int_equal(pr.oriented_width, W);
                struct img_render_spec spec;
                struct img_render_result res;
                assert_int_equal(fx_render(in, "PRINT-6X4", "glossy", out, &spec, &res), 0);
                int w, h;
                char sha[65];
                uint8_t *px = fx_read_rgb8(out, &w, &h, sha);
                assert_non_null(px);
                assert_int_equal(w, 1800);
                assert_int_equal(h, 1200);
                if (!ref) {
                        ref = px, rw = w, rh = h;
                } else {
                        double sum = 0;
                        for (size_t i = 0; i < (size_t)w * h * 3; i++)
                                sum += abs((int)px[i] - (int)ref[i]);
                        double mad = sum / ((double)w * h * 3);
                        print_message("orientation %d: mean abs diff to orientation 1 = %.3f\n", o, mad);
                        assert_true(mad < 2.0); /* JPEG blocks differ when rotated; layout may not */
                        free(px);
                }
                free(in);
                free(out);
        }
        /* The marker is top-left in the master: upright, not mirrored. */
        assert_true(ref[((size_t)100 * rw + 100) * 3 + 2] > ref[((size_t)(rh - 100) * rw + rw - 100) * 3 + 2] + 60);
        free(ref);
        g_object_unref(up);
        pk_test_rmtree(dir);
        free(dir);
        img_colour_cache_clear();
        img_shutdown();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(all_eight_orientations_render_the_same_upright_master),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
