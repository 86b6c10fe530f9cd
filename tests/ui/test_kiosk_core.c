/* app/kiosk, the facade the UI drives: folder walk (regular image files only,
 * no symlinks, sanitised names), thumbnails through the worker pool as bus
 * messages, selection and totals in integer minor units, and honest
 * "unavailable" for what has not been wired in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/kiosk.h"
#include "app/prices.h"
#include "tests/bus_testutil.h"
#include "tests/testutil.h"

struct fx {
        char *dir, *prices;
        struct app_bus *bus;
        struct app_kiosk *k;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->dir = pk_test_mkdtemp("kiosk");
        /* three demo photos, one symlink to a photo, one non-image, one hostile name */
        const char *src = pk_test_source_dir();
        for (int i = 1; i <= 3; i++) {
                char *from = pk_test_strdupf("%s/assets/demo/photos/IMG_000%d.jpg", src, i);
                char *to = pk_test_strdupf("%s/IMG_000%d.jpg", f->dir, i);
                size_t len;
                char *data = pk_test_read_file(from, &len);
                assert_non_null(data);
                assert_int_equal(pk_test_write_file(to, data, len), 0);
                free(data);
                free(from);
                free(to);
        }
        char *link = pk_test_strdupf("%s/link.jpg", f->dir);
        char *target = pk_test_strdupf("%s/IMG_0001.jpg", f->dir);
        assert_int_equal(symlink(target, link), 0);
        free(link);
        free(target);
        char *txt = pk_test_strdupf("%s/notes.txt", f->dir);
        pk_test_write_file(txt, "x", 1);
        free(txt);
        char *odd = pk_test_strdupf("%s/z\x1b[31m.jpg", f->dir);
        size_t len;
        char *p1 = pk_test_strdupf("%s/assets/demo/photos/IMG_0007.jpg", src);
        char *data = pk_test_read_file(p1, &len);
        pk_test_write_file(odd, data, len);
        free(data);
        free(p1);
        free(odd);
        f->prices = pk_test_strdupf("%s/assets/prices.ini", src);
        f->bus = app_bus_new(1024);
        struct app_kiosk_config cfg = {.prices_path = f->prices, .thumb_size = 128};
        char err[256];
        f->k = app_kiosk_new(&cfg, f->bus, err, sizeof(err));
        assert_non_null(f->k);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        app_kiosk_free(f->k);
        app_bus_free(f->bus);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f->prices);
        free(f);
        return 0;
}

static bool wait_for(struct app_bus *bus, enum app_msg_type type, struct app_msg *ret)
{
        return pk_bus_wait_for(bus, type, 20000, ret);
}

static void kiosk_walk_lists_only_regular_image_files(void **state)
{
        struct fx *f = *state;
        assert_int_equal(app_kiosk_open_folder(f->k, f->dir), APP_KIOSK_E_STATE); /* no session */
        assert_int_equal(app_kiosk_session_start(f->k), 0);
        assert_int_equal(app_kiosk_open_folder(f->k, f->dir), 0);
        struct app_msg m = {0};
        assert_true(wait_for(f->bus, APP_MSG_WALK_DONE, &m));
        assert_int_equal(m.u.walk.found, 4); /* 3 + the hostile name; no symlink, no txt */
        assert_int_equal(app_kiosk_photo_count(f->k), 4);
        for (int i = 0; i < 4; i++) {
                struct app_kiosk_photo p;
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                for (const char *c = p.name; *c; c++)
                        assert_true(*c >= 0x20 && *c < 0x7f);
                assert_null(strstr(p.name, "link"));
        }
        if (app_kiosk_has(f->k, APP_KIOSK_HAS_PROBE)) {
                /* Probed dates and sizes. Photos come newest first per batch
                 * (app/kiosk.h: a slow walk publishes in several batches), so
                 * IMG_0001 is looked up by name, not by index. */
                int dated_0601 = 0;
                for (int i = 0; i < 4; i++) {
                        struct app_kiosk_photo p;
                        assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                        if (strstr(p.name, "IMG_0001")) {
                                assert_string_equal(p.date, "2024-06-01");
                                assert_int_equal(p.width, 1500);
                                dated_0601++;
                        }
                }
                assert_int_equal(dated_0601, 1);
        }
}

static void kiosk_thumbnails_arrive_as_pixels_on_the_bus(void **state)
{
        struct fx *f = *state;
        app_kiosk_session_start(f->k);
        app_kiosk_open_folder(f->k, f->dir);
        struct app_msg m = {0};
        assert_true(wait_for(f->bus, APP_MSG_WALK_DONE, &m));
        int idx[3] = {0, 1, 2};
        int64_t gen = app_kiosk_request_thumbs(f->k, idx, 3);
        assert_true(gen > 0);
        bool seen[3] = {false};
        for (int n = 0; n < 3; n++) {
                struct app_msg t;
                bool got = false;
                for (int i = 0; i < 400 && !got; i++) {
                        app_bus_wait(f->bus, 50);
                        while (!got && app_bus_pop(f->bus, &t)) {
                                if (t.type == APP_MSG_THUMB_READY || t.type == APP_MSG_THUMB_FAILED)
                                        got = true;
                                else
                                        app_msg_done(&t);
                        }
                }
                assert_true(got);
                assert_int_equal((int64_t)t.generation, gen);
                assert_in_range(t.u.thumb.index, 0, 2);
                seen[t.u.thumb.index] = true;
                if (app_kiosk_has(f->k, APP_KIOSK_HAS_THUMBS)) {
                        assert_int_equal(t.type, APP_MSG_THUMB_READY);
                        int longest = t.u.thumb.width > t.u.thumb.height ? t.u.thumb.width : t.u.thumb.height;
                        assert_int_equal(longest, 128);
                        assert_true(t.u.thumb.stride >= t.u.thumb.width * 3);
                        assert_non_null(t.u.thumb.pixels);
                } else {
                        assert_int_equal(t.type, APP_MSG_THUMB_FAILED);
                        assert_int_equal(t.u.thumb.error, APP_KIOSK_E_UNAVAILABLE);
                }
                app_msg_done(&t);
        }
        assert_true(seen[0] && seen[1] && seen[2]);
}

static void kiosk_totals_are_integer_minor_units(void **state)
{
        struct fx *f = *state;
        app_kiosk_session_start(f->k);
        app_kiosk_open_synthetic(f->k, 10);
        struct app_kiosk_product prods[APP_KIOSK_MAX_PRODUCTS];
        int n = app_kiosk_products(f->k, prods, APP_KIOSK_MAX_PRODUCTS);
        assert_true(n >= 1);
        /* every offered product and paper is priced exactly as the price list
         * that store_order_lock uses */
        struct app_prices *pl = NULL;
        assert_int_equal(app_prices_load(f->prices, &pl, NULL), 0);
        for (int i = 0; i < n && i < APP_KIOSK_MAX_PRODUCTS; i++) {
                for (int j = 0; j < prods[i].n_papers; j++) {
                        int64_t unit = -1;
                        assert_int_equal(app_prices_lookup(pl, prods[i].sku, prods[i].papers[j].id, &unit), 0);
                        assert_int_equal(unit, prods[i].papers[j].price_minor);
                }
        }
        char cur[4];
        app_kiosk_currency(f->k, cur);
        assert_string_equal(cur, app_prices_currency(pl));
        app_prices_free(pl);
        assert_int_equal(app_kiosk_choose_product(f->k, prods[0].sku, "no-such-paper"), APP_KIOSK_E_NOT_FOUND);
        assert_int_equal(app_kiosk_choose_product(f->k, prods[0].sku, prods[0].papers[0].id), 0);
        assert_int_equal(app_kiosk_set_quantity(f->k, 1, 3), 0);
        assert_int_equal(app_kiosk_set_quantity(f->k, 4, 2), 0);
        assert_int_equal(app_kiosk_set_quantity(f->k, 5, 100), APP_KIOSK_E_INVALID);
        assert_int_equal(app_kiosk_set_quantity(f->k, 50, 1), APP_KIOSK_E_NOT_FOUND);
        struct app_kiosk_summary s;
        app_kiosk_summary(f->k, &s);
        assert_int_equal(s.photos, 2);
        assert_int_equal(s.prints, 5);
        assert_int_equal(s.unit_minor, prods[0].papers[0].price_minor);
        assert_int_equal(s.total_minor, 5 * prods[0].papers[0].price_minor);
        /* synthetic photo 3 is 640x480: below 150 dpi on a 6x4, photo 1 is not */
        assert_true(app_kiosk_effective_dpi(f->k, 3) < APP_KIOSK_LOW_RES_DPI);
        assert_true(app_kiosk_effective_dpi(f->k, 1) >= APP_KIOSK_LOW_RES_DPI);
        /* zooming the crop lowers the effective resolution */
        int before = app_kiosk_effective_dpi(f->k, 1);
        assert_int_equal(app_kiosk_set_crop(f->k, 1, 0.5, 0.5, 2.0, 0, false), 0);
        assert_int_equal(app_kiosk_effective_dpi(f->k, 1), (before + 1) / 2);
        assert_int_equal(app_kiosk_set_crop(f->k, 1, 0.5, 0.5, 0.5, 0, false), APP_KIOSK_E_INVALID);
        /* what is not wired in says so, and no order is pretended */
        if (!app_kiosk_has(f->k, APP_KIOSK_HAS_ORDERS))
                assert_int_equal(app_kiosk_place_order(f->k, false), APP_KIOSK_E_UNAVAILABLE);
        if (!app_kiosk_has(f->k, APP_KIOSK_HAS_PREVIEW))
                assert_int_equal(app_kiosk_request_preview(f->k, 1, false, 1), APP_KIOSK_E_UNAVAILABLE);
        /* start over wipes the session */
        app_kiosk_session_end(f->k);
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        app_kiosk_summary(f->k, &s);
        assert_int_equal(s.prints, 0);
        assert_string_equal(s.sku, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(kiosk_walk_lists_only_regular_image_files, setup, teardown),
                cmocka_unit_test_setup_teardown(kiosk_thumbnails_arrive_as_pixels_on_the_bus, setup, teardown),
                cmocka_unit_test_setup_teardown(kiosk_totals_are_integer_minor_units, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
