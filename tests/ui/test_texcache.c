/* ui/texcache: thumbnails scaled once to the grid cell look like the per-frame
 * stretch they replace; evicted textures are reused, not re-created; the byte
 * bound holds; idle prewarm fills the pool to its count; queued thumbnails
 * that scrolled away are dropped. Runs SDL's software renderer on the dummy
 * video driver (no display needed). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/testutil.h"
#include "ui/ui.h"

#define CELL 371 /* the 1920x1080 grid's cell */
#define TW 448   /* APP_KIOSK_THUMB_SIZE, 4:3 */
#define TH 336

static SDL_Window *win;
static SDL_Renderer *ren;

static int setup(void **state)
{
        (void)state;
        setenv("SDL_VIDEODRIVER", "dummy", 1);
        if (SDL_Init(SDL_INIT_VIDEO) != 0)
                return -1;
        win = SDL_CreateWindow("t", 0, 0, CELL, CELL, 0);
        ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE) : NULL;
        return ren ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        SDL_DestroyRenderer(ren);
        SDL_DestroyWindow(win);
        SDL_Quit();
        return 0;
}

/* A smooth photo-like RGB24 image (gradients and slow waves), malloc'd. */
static uint8_t *smooth_rgb(int w, int h, int seed)
{
        uint8_t *px = malloc((size_t)w * h * 3);
        assert_non_null(px);
        for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                        uint8_t *p = px + ((size_t)y * w + x) * 3;
                        p[0] = (uint8_t)(255.0 * x / (w - 1));
                        p[1] = (uint8_t)(127.5 + 120 * sin((x + seed) / 23.0) * cos(y / 31.0));
                        p[2] = (uint8_t)(255.0 * y / (h - 1));
                }
        return px;
}

/* The renderer's CELL x CELL output as XRGB. */
static void read_cell(uint32_t *out)
{
        SDL_Rect r = {0, 0, CELL, CELL};
        assert_int_equal(SDL_RenderReadPixels(ren, &r, SDL_PIXELFORMAT_RGB888, out, CELL * 4), 0);
}

static void fit_size_scales_the_short_side_to_the_cell_and_never_down(void **state)
{
        (void)state;
        int w, h;
        ui_texcache_fit_size(TW, TH, CELL, &w, &h);
        assert_int_equal(h, CELL);
        assert_int_equal(w, (TW * CELL + TH / 2) / TH);
        ui_texcache_fit_size(TH, TW, CELL, &w, &h); /* portrait */
        assert_int_equal(w, CELL);
        assert_int_equal(h, (TW * CELL + TH / 2) / TH);
        ui_texcache_fit_size(TW, TH, 247, &w, &h); /* a 1280x720 cell: kept as it is */
        assert_int_equal(w, TW);
        assert_int_equal(h, TH);
        ui_texcache_fit_size(TW, TH, 0, &w, &h);
        assert_int_equal(w, TW);
        assert_int_equal(h, TH);
}

static void cell_scaled_at_upload_matches_the_per_frame_stretch(void **state)
{
        (void)state;
        uint8_t *px = smooth_rgb(TW, TH, 0);
        /* before: the RGB24 texture stretched bilinearly into the cell every frame */
        SDL_Texture *old = SDL_CreateTexture(ren, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STATIC, TW, TH);
        assert_non_null(old);
        assert_int_equal(SDL_UpdateTexture(old, NULL, px, TW * 3), 0);
        SDL_SetTextureScaleMode(old, SDL_ScaleModeLinear);
        SDL_Rect src = {(TW - TH) / 2, 0, TH, TH}, dst = {0, 0, CELL, CELL};
        SDL_RenderClear(ren);
        SDL_RenderCopy(ren, old, &src, &dst);
        uint32_t *a = malloc(CELL * CELL * 4), *b = malloc(CELL * CELL * 4);
        assert_non_null(a);
        assert_non_null(b);
        read_cell(a);
        SDL_DestroyTexture(old);
        /* now: scaled once at upload, drawn as a 1:1 centre crop */
        struct ui_texcache *c = ui_texcache_new(64u << 20);
        assert_true(ui_texcache_set_fit(c, CELL));
        uint8_t *copy = malloc((size_t)TW * TH * 3);
        assert_non_null(copy);
        memcpy(copy, px, (size_t)TW * TH * 3);
        ui_texcache_offer(c, 7, copy, TW, TH, TW * 3);
        assert_int_equal(ui_texcache_upload(c, ren, 4, 100), 1);
        int tw, th;
        SDL_Texture *t = ui_texcache_get(c, 7, &tw, &th);
        assert_non_null(t);
        assert_int_equal(th, CELL);
        SDL_Rect s2 = {(tw - CELL) / 2, (th - CELL) / 2, CELL, CELL};
        SDL_RenderClear(ren);
        SDL_RenderCopy(ren, t, &s2, &dst);
        read_cell(b);
        double sum = 0;
        int worst = 0;
        for (int i = 0; i < CELL * CELL; i++)
                for (int k = 0; k < 3; k++) {
                        int d = abs((int)((a[i] >> (8 * k)) & 255) - (int)((b[i] >> (8 * k)) & 255));
                        sum += d;
                        if (d > worst)
                                worst = d;
                }
        double mae = sum / (CELL * CELL * 3.0);
        printf("per-frame stretch vs scaled once: mean abs difference %.3f levels, max %d\n", mae, worst);
        assert_true(mae < 0.5); /* measured 0.055 with SDL 2.26 */
        assert_true(worst <= 8);
        struct ui_texcache_stats st;
        ui_texcache_stats(c, &st);
        assert_int_equal(st.scaled, 1);
        ui_texcache_free(c);
        free(a);
        free(b);
        free(px);
}

static void evicted_textures_are_reused_and_bytes_stay_bounded(void **state)
{
        (void)state;
        int w, h;
        ui_texcache_fit_size(TW, TH, CELL, &w, &h);
        size_t one = (size_t)w * h * 4;
        struct ui_texcache *c = ui_texcache_new(4 * one); /* room for 4 */
        ui_texcache_set_fit(c, CELL);
        for (int i = 0; i < 20; i++) {
                ui_texcache_offer(c, i, smooth_rgb(TW, TH, i), TW, TH, TW * 3);
                assert_int_equal(ui_texcache_upload(c, ren, 1, 100), 1);
                assert_true(ui_texcache_bytes(c) <= 4 * one);
                assert_non_null(ui_texcache_get(c, i, NULL, NULL)); /* the newest is in */
        }
        assert_int_equal(ui_texcache_count(c), 4);
        assert_null(ui_texcache_get(c, 0, NULL, NULL)); /* the oldest went */
        struct ui_texcache_stats st;
        ui_texcache_stats(c, &st);
        printf("20 uploads into room for 4: %llu created, %llu reused\n",
               (unsigned long long)st.created, (unsigned long long)st.reused);
        assert_int_equal(st.uploaded, 20);
        assert_int_equal(st.created, 4);
        assert_int_equal(st.reused, 16);
        /* a start over keeps the textures for the next customer */
        ui_texcache_clear(c);
        assert_int_equal(ui_texcache_count(c), 0);
        ui_texcache_offer(c, 3, smooth_rgb(TW, TH, 3), TW, TH, TW * 3);
        ui_texcache_upload(c, ren, 1, 100);
        ui_texcache_stats(c, &st);
        assert_int_equal(st.created, 4);
        assert_int_equal(st.reused, 17);
        ui_texcache_free(c);
}

static void prewarm_fills_the_pool_to_its_count_then_uploads_create_nothing(void **state)
{
        (void)state;
        struct ui_texcache *c = ui_texcache_new(64u << 20);
        assert_false(ui_texcache_prewarm(c, ren, 3)); /* no fit yet: nothing to make */
        ui_texcache_set_fit(c, CELL);
        int made = 0;
        for (int i = 0; i < 10 && ui_texcache_prewarm(c, ren, 3); i++)
                made++;
        assert_int_equal(made, 3);
        for (int i = 0; i < 3; i++) {
                ui_texcache_offer(c, i, smooth_rgb(TW, TH, i), TW, TH, TW * 3);
                ui_texcache_upload(c, ren, 1, 100);
        }
        struct ui_texcache_stats st;
        ui_texcache_stats(c, &st);
        assert_int_equal(st.created, 3);
        assert_int_equal(st.prewarmed, 3);
        assert_int_equal(st.reused, 3);
        assert_int_equal(st.pooled, 0);
        ui_texcache_free(c);
}

static void queued_thumbnails_outside_the_window_are_dropped(void **state)
{
        (void)state;
        struct ui_texcache *c = ui_texcache_new(64u << 20);
        for (int i = 0; i < 10; i++)
                ui_texcache_offer(c, i, smooth_rgb(8, 6, i), 8, 6, 24);
        assert_int_equal(ui_texcache_queued(c), 10);
        assert_int_equal(ui_texcache_drop_queued_outside(c, 3, 5), 7);
        assert_int_equal(ui_texcache_queued(c), 3);
        assert_false(ui_texcache_known(c, 0)); /* asked for again when it comes back */
        assert_true(ui_texcache_known(c, 4));
        assert_int_equal(ui_texcache_upload(c, ren, 10, 100), 3);
        for (int i = 3; i <= 5; i++)
                assert_non_null(ui_texcache_get(c, i, NULL, NULL));
        ui_texcache_free(c);
}

/* A phone's preview is forgotten, texture or queued, when the photo's own
 * thumbnail is due; the others stay. */
static void forgotten_preview_leaves_nothing_and_keeps_the_rest(void **state)
{
        (void)state;
        struct ui_texcache *c = ui_texcache_new(64u << 20);
        for (int i = 0; i < 4; i++) {
                ui_texcache_set_preview(c, i, true);
                ui_texcache_offer(c, i, smooth_rgb(8, 6, i), 8, 6, 24);
        }
        assert_int_equal(ui_texcache_upload(c, ren, 2, 100), 2); /* 0, 1 textures; 2, 3 queued */
        ui_texcache_forget(c, 1);
        ui_texcache_forget(c, 2);
        assert_false(ui_texcache_known(c, 1));
        assert_false(ui_texcache_known(c, 2));
        assert_false(ui_texcache_is_preview(c, 1));
        assert_true(ui_texcache_is_preview(c, 0));
        assert_int_equal(ui_texcache_count(c), 1);
        assert_int_equal(ui_texcache_queued(c), 1);
        assert_non_null(ui_texcache_get(c, 0, NULL, NULL));
        /* the real thumbnail is taken again, and the queued one still uploads */
        ui_texcache_offer(c, 1, smooth_rgb(8, 6, 9), 8, 6, 24);
        assert_int_equal(ui_texcache_upload(c, ren, 10, 100), 2);
        assert_non_null(ui_texcache_get(c, 1, NULL, NULL));
        assert_non_null(ui_texcache_get(c, 3, NULL, NULL));
        assert_null(ui_texcache_get(c, 2, NULL, NULL));
        /* a refused preview is asked for again with the file */
        ui_texcache_set_preview(c, 7, true);
        ui_texcache_mark_failed(c, 7);
        assert_true(ui_texcache_failed(c, 7));
        ui_texcache_forget(c, 7);
        assert_false(ui_texcache_failed(c, 7));
        assert_false(ui_texcache_known(c, 7));
        ui_texcache_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(fit_size_scales_the_short_side_to_the_cell_and_never_down),
                cmocka_unit_test(cell_scaled_at_upload_matches_the_per_frame_stretch),
                cmocka_unit_test(evicted_textures_are_reused_and_bytes_stay_bounded),
                cmocka_unit_test(prewarm_fills_the_pool_to_its_count_then_uploads_create_nothing),
                cmocka_unit_test(queued_thumbnails_outside_the_window_are_dropped),
                cmocka_unit_test(forgotten_preview_leaves_nothing_and_keeps_the_rest),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
