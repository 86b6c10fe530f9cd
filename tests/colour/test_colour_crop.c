/* image/crop: cover crops, rotation, customer rectangles and resolution
 * warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/crop.h"

#include <math.h>

static const struct img_product p6x4 = {.sku = "PRINT-6X4", .long_in = 6, .short_in = 4, .dpi = 300,
                                        .borderless = true, .up = 1, .warn_dpi = 150,
                                        .strong_dpi = 100};

static void landscape_photo_gets_centred_landscape_cover_crop(void **state)
{
        (void)state;
        struct img_crop c;
        /* 4000x2000 (2:1) into 3:2: full height, width 3000, centred. */
        assert_int_equal(img_crop_compute(&p6x4, 4000, 2000, 0, NULL, &c, NULL), 0);
        assert_true(c.landscape);
        assert_int_equal(c.src_w, 3000);
        assert_int_equal(c.src_h, 2000);
        assert_int_equal(c.src_x, 500);
        assert_int_equal(c.src_y, 0);
        assert_float_equal(c.print_w_in, 6, 1e-9);
        assert_float_equal(c.effective_dpi, 500, 1e-9);
        assert_int_equal(c.warning, IMG_RES_OK);
}

static void portrait_photo_turns_the_print(void **state)
{
        (void)state;
        struct img_crop c;
        assert_int_equal(img_crop_compute(&p6x4, 2000, 4000, 0, NULL, &c, NULL), 0);
        assert_false(c.landscape);
        assert_float_equal(c.print_w_in, 4, 1e-9);
        assert_float_equal(c.print_h_in, 6, 1e-9);
        assert_int_equal(c.src_w, 2000);
        assert_int_equal(c.src_h, 3000);
        assert_int_equal(c.src_y, 500);
}

static void orientation_and_rotation_swap_the_display_size(void **state)
{
        (void)state;
        int w, h;
        for (int o = 1; o <= 8; o++) {
                img_crop_display_size(4000, 3000, o, 0, &w, &h);
                assert_int_equal(w, o >= 5 ? 3000 : 4000);
                img_crop_display_size(4000, 3000, o, 90, &w, &h);
                assert_int_equal(w, o >= 5 ? 4000 : 3000);
                img_crop_display_size(4000, 3000, o, 180, &w, &h);
                assert_int_equal(w, o >= 5 ? 3000 : 4000);
        }
        struct img_crop c;
        assert_int_equal(img_crop_compute(&p6x4, 3000, 4000, 270, NULL, &c, NULL), 0);
        assert_int_equal(c.rotate, 270);
        assert_int_equal(img_crop_compute(&p6x4, 3000, 4000, 45, NULL, &c, NULL), IMG_E_INVALID);
}

static void customer_rectangle_is_clamped_and_trimmed_to_the_print_aspect(void **state)
{
        (void)state;
        struct img_crop c;
        /* Reaches past the right edge: clamped to the image, then trimmed to 3:2. */
        struct img_rect r = {0.5, 0.0, 0.8, 1.0};
        assert_int_equal(img_crop_compute(&p6x4, 3000, 2000, 0, &r, &c, NULL), 0);
        assert_true(c.src_x >= 0 && c.src_x + c.src_w <= 3000);
        assert_true(c.src_y >= 0 && c.src_y + c.src_h <= 2000);
        assert_true(fabs((double)c.src_w / c.src_h - 1.5) < 0.01);
        assert_true(c.rect.x >= 0.5 - 1e-9);
        struct img_rect tiny = {0.2, 0.2, 0.001, 0.5};
        assert_int_equal(img_crop_compute(&p6x4, 3000, 2000, 0, &tiny, &c, NULL), IMG_E_INVALID);
        struct img_rect nan = {NAN, 0, 1, 1};
        assert_int_equal(img_crop_compute(&p6x4, 3000, 2000, 0, &nan, &c, NULL), IMG_E_INVALID);
}

static void effective_dpi_sets_warning_levels(void **state)
{
        (void)state;
        struct img_crop c;
        assert_int_equal(img_crop_compute(&p6x4, 1200, 800, 0, NULL, &c, NULL), 0);
        assert_float_equal(c.effective_dpi, 200, 1e-9);
        assert_int_equal(c.warning, IMG_RES_OK);
        assert_int_equal(img_crop_compute(&p6x4, 720, 480, 0, NULL, &c, NULL), 0);
        assert_float_equal(c.effective_dpi, 120, 1e-9);
        assert_int_equal(c.warning, IMG_RES_WARN);
        assert_string_equal(img_res_warning_name(c.warning), "warn");
        assert_int_equal(img_crop_compute(&p6x4, 480, 320, 0, NULL, &c, NULL), 0);
        assert_int_equal(c.warning, IMG_RES_STRONG);
        /* A quarter crop of a fine photo can fall below the threshold. */
        struct img_rect q = {0.25, 0.25, 0.25, 0.25};
        assert_int_equal(img_crop_compute(&p6x4, 3000, 2000, 0, &q, &c, NULL), 0);
        assert_float_equal(c.effective_dpi, 125, 1e-9);
        assert_int_equal(c.warning, IMG_RES_WARN);
}

static void border_and_bleed_change_the_photo_extent(void **state)
{
        (void)state;
        struct img_product b = p6x4;
        b.borderless = false, b.border_mm = 12.7; /* half an inch each side */
        struct img_crop c;
        assert_int_equal(img_crop_compute(&b, 3000, 2000, 0, NULL, &c, NULL), 0);
        assert_float_equal(c.print_w_in, 5, 1e-9);
        assert_float_equal(c.print_h_in, 3, 1e-9);
        struct img_product bl = p6x4;
        bl.bleed_mm = 2.54;
        assert_int_equal(img_crop_compute(&bl, 3000, 2000, 0, NULL, &c, NULL), 0);
        assert_float_equal(c.print_w_in, 6.2, 1e-9);
}

static void rect_parser_takes_four_fractions_only(void **state)
{
        (void)state;
        struct img_rect r;
        assert_true(img_rect_parse("0.1,0.2,0.5,0.25", &r));
        assert_float_equal(r.y, 0.2, 1e-12);
        assert_false(img_rect_parse("0.1,0.2,0.5", &r));
        assert_false(img_rect_parse("0.1,0.2,0.5,0.5,0.1", &r));
        assert_false(img_rect_parse("0.1,0.2,1.5,0.5", &r));
        assert_false(img_rect_parse("a,b,c,d", &r));
        assert_false(img_rect_parse("", &r));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(landscape_photo_gets_centred_landscape_cover_crop),
                cmocka_unit_test(portrait_photo_turns_the_print),
                cmocka_unit_test(orientation_and_rotation_swap_the_display_size),
                cmocka_unit_test(customer_rectangle_is_clamped_and_trimmed_to_the_print_aspect),
                cmocka_unit_test(effective_dpi_sets_warning_levels),
                cmocka_unit_test(border_and_bleed_change_the_photo_extent),
                cmocka_unit_test(rect_parser_takes_four_fractions_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
