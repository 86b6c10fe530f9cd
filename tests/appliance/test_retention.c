/* Retention purge (app/retention.c) against a real store in a temp folder:
 * files of finished orders past retention leave the disk, their asset rows are
 * marked wiped and each purged order gets one audit row; photos shared with an
 * active or recent order stay; re-running and dry runs change nothing; a path
 * outside the data folder is never deleted. Time is the store's fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/retention.h"
#include "sync/fsutil.h"
#include "sync/order_state.h"
#include "sync/store.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS (24LL * 3600 * 1000)
static int64_t fake_now;
static int64_t fake_clock(void *ud)
{
        (void)ud;
        return fake_now;
}

struct fx {
        char *dir;
        char *spool;
        struct store *s;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->dir = pk_test_mkdtemp("retention");
        f->spool = pk_test_strdupf("%s/spool", f->dir);
        mkdir(f->spool, 0700);
        struct store_errbuf err = {{0}};
        assert_int_equal(store_open(f->dir, &f->s, &err), 0);
        fake_now = 1700000000000LL;
        store_set_clock(f->s, fake_clock, NULL);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        store_close(f->s);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f->spool);
        free(f);
        return 0;
}

/* A durable file in DIR registered as an asset; sha into ret. */
static void put_asset(struct fx *f, const char *dir, const char *content,
                      enum store_asset_kind kind, char ret[STORE_SHA256_SIZE])
{
        struct store_errbuf err = {{0}};
        char *path = NULL;
        assert_int_equal(sync_fs_store_buffer(dir, content, strlen(content), ".jpg", ret, &path, &err), 0);
        struct store_asset a = {.size = (int64_t)strlen(content), .kind = kind};
        snprintf(a.sha256, sizeof a.sha256, "%s", ret);
        snprintf(a.path, sizeof a.path, "%s", path);
        snprintf(a.content_type, sizeof a.content_type, "image/jpeg");
        assert_int_equal(store_asset_put(f->s, &a, &err), 0);
        free(path);
}

static const struct store_price price = {.sku = "PRINT-6X4", .paper = "glossy", .unit_minor = 30};
static const struct store_price_list prices = {
        .version = "t", .currency = "GBP", .prices = &price, .n_prices = 1};

/* A locked order with one item per photo; the first item gets MASTER if given. */
static void make_order(struct fx *f, const char *const *photos, size_t n, const char *master,
                       char ret_id[STORE_ID_SIZE])
{
        struct store_errbuf err = {{0}};
        char code[STORE_CODE_SIZE];
        assert_int_equal(store_order_create(f->s, NULL, ret_id, code, &err), 0);
        char first_item[STORE_ID_SIZE] = "";
        for (size_t i = 0; i < n; i++) {
                struct store_item_spec sp = {.asset_sha256 = photos[i], .sku = "PRINT-6X4",
                                             .paper = "glossy", .quantity = 1, .crop_w = 1,
                                             .crop_h = 1};
                char item[STORE_ID_SIZE];
                assert_int_equal(store_order_add_item(f->s, ret_id, &sp, item, &err), 0);
                if (i == 0)
                        memcpy(first_item, item, sizeof item);
        }
        assert_int_equal(store_order_lock(f->s, ret_id, &prices, "customer", &err), 0);
        if (master)
                assert_int_equal(store_item_set_master(f->s, first_item, master, "{}", &err), 0);
}

static void walk(struct fx *f, const char *id, const enum order_state *path, size_t n)
{
        struct store_errbuf err = {{0}};
        for (size_t i = 0; i < n; i++) {
                int r = store_order_transition(f->s, id, path[i], "system", NULL, &err);
                if (r != 0)
                        fail_msg("transition to %s: %s", store_order_state_name(path[i]), err.msg);
        }
}

static const enum order_state to_collected[] = {ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                               ORDER_PRINTED, ORDER_COLLECTED};
static const enum order_state to_ready[] = {ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                           ORDER_PRINTED, ORDER_READY};
static const enum order_state to_cancelled[] = {ORDER_CANCELLED};

static bool file_exists(struct fx *f, const char *sha)
{
        struct store_asset a;
        struct store_errbuf err = {{0}};
        assert_int_equal(store_asset_get(f->s, sha, &a, &err), 0);
        return access(a.path, F_OK) == 0;
}

static int64_t wiped_at(struct fx *f, const char *sha)
{
        struct store_asset a;
        struct store_errbuf err = {{0}};
        assert_int_equal(store_asset_get(f->s, sha, &a, &err), 0);
        return a.wiped_at;
}

static size_t purge_audit_rows(struct fx *f, const char *order_id)
{
        struct store_audit *rows = NULL;
        size_t n = 0, hits = 0;
        struct store_errbuf err = {{0}};
        assert_int_equal(store_audit_list(f->s, order_id, &rows, &n, &err), 0);
        for (size_t i = 0; i < n; i++)
                if (strstr(rows[i].reason, "retention purge")) {
                        assert_string_equal(rows[i].actor, "system");
                        assert_string_equal(rows[i].from, rows[i].to);
                        hits++;
                }
        free(rows);
        return hits;
}

static void test_purge_removes_finished_orders_files_and_keeps_shared_and_recent(void **state)
{
        struct fx *f = *state;
        struct store_errbuf err = {{0}};
        char a[65], b[65], c[65], d[65], mb[65];
        put_asset(f, f->spool, "photo A shared", STORE_ASSET_PHOTO, a);
        put_asset(f, f->spool, "photo B", STORE_ASSET_PHOTO, b);
        put_asset(f, f->spool, "photo C", STORE_ASSET_PHOTO, c);
        put_asset(f, f->spool, "photo D recent", STORE_ASSET_PHOTO, d);
        put_asset(f, f->spool, "master of B", STORE_ASSET_MASTER, mb);

        char o1[STORE_ID_SIZE], o2[STORE_ID_SIZE], o3[STORE_ID_SIZE], o4[STORE_ID_SIZE];
        make_order(f, (const char *const[]){b, a}, 2, mb, o1);
        walk(f, o1, to_collected, 5);
        make_order(f, (const char *const[]){c}, 1, NULL, o2);
        walk(f, o2, to_cancelled, 1);
        make_order(f, (const char *const[]){a}, 1, NULL, o3);
        walk(f, o3, to_ready, 5);
        make_order(f, (const char *const[]){d}, 1, NULL, o4);
        fake_now += 25 * DAY_MS; /* o4 is collected 25 days after the others */
        walk(f, o4, to_collected, 5);
        fake_now += 6 * DAY_MS;  /* o1, o2: 31 days ago; o4: 6 days ago */

        /* C's file vanished already (e.g. a crash after unlink): still recorded. */
        struct store_asset ca;
        assert_int_equal(store_asset_get(f->s, c, &ca, &err), 0);
        assert_int_equal(unlink(ca.path), 0);

        struct app_retention_result dry;
        assert_int_equal(app_retention_purge(f->s, f->dir, 30, fake_now, true, &dry, &err), 0);
        assert_int_equal(dry.orders_purged, 2);
        assert_true(file_exists(f, b) && file_exists(f, mb));
        assert_int_equal(wiped_at(f, b), 0);
        assert_int_equal(purge_audit_rows(f, o1), 0);

        struct app_retention_holdings h;
        assert_int_equal(app_retention_report(f->s, f->dir, 30, fake_now, &h, &err), 0);
        assert_int_equal(h.photos_held, 4);
        assert_int_equal(h.masters_held, 1);
        assert_int_equal(h.due_for_purge, 3); /* B, master of B, C (A is shared) */
        assert_int_equal(h.orders_total, 4);
        assert_int_equal(h.orders_finished, 3);
        assert_int_equal(h.spool_files, 4);   /* C's file is gone */

        struct app_retention_result res;
        assert_int_equal(app_retention_purge(f->s, f->dir, 30, fake_now, false, &res, &err), 0);
        assert_int_equal(res.orders_examined, 2);
        assert_int_equal(res.orders_purged, 2);
        assert_int_equal(res.photos_purged, 2);
        assert_int_equal(res.masters_purged, 1);
        assert_int_equal(res.files_missing, 1);
        assert_int_equal(res.kept_shared, 1);
        assert_int_equal(res.bytes_freed, (int64_t)(strlen("photo B") + strlen("master of B")));

        assert_false(file_exists(f, b));
        assert_false(file_exists(f, mb));
        assert_true(wiped_at(f, b) > 0 && wiped_at(f, mb) > 0 && wiped_at(f, c) > 0);
        assert_true(file_exists(f, a)); /* still needed by o3 (ready) */
        assert_int_equal(wiped_at(f, a), 0);
        assert_true(file_exists(f, d)); /* o4 finished only 6 days ago */
        assert_int_equal(purge_audit_rows(f, o1), 1);
        assert_int_equal(purge_audit_rows(f, o2), 1);
        assert_int_equal(purge_audit_rows(f, o3), 0);
        assert_int_equal(purge_audit_rows(f, o4), 0);

        /* Again: nothing left to do, no new audit rows. */
        assert_int_equal(app_retention_purge(f->s, f->dir, 30, fake_now, false, &res, &err), 0);
        assert_int_equal(res.orders_purged + res.photos_purged + res.masters_purged, 0);
        assert_int_equal(purge_audit_rows(f, o1), 1);

        /* Once o3 is collected and old too, the shared photo goes. */
        walk(f, o3, (const enum order_state[]){ORDER_COLLECTED}, 1);
        fake_now += 31 * DAY_MS;
        assert_int_equal(app_retention_purge(f->s, f->dir, 30, fake_now, false, &res, &err), 0);
        assert_false(file_exists(f, a));
        assert_false(file_exists(f, d));
        /* The shared photo is audited on both orders that held it. */
        assert_int_equal(purge_audit_rows(f, o1), 2);
        assert_int_equal(purge_audit_rows(f, o3), 1);
        assert_int_equal(purge_audit_rows(f, o4), 1);
        assert_int_equal(app_retention_report(f->s, f->dir, 30, fake_now, &h, &err), 0);
        assert_int_equal(h.photos_held + h.masters_held, 0);
        assert_int_equal(h.photos_wiped, 4);
        assert_int_equal(h.spool_files, 0);
}

static void test_purge_never_deletes_outside_the_data_folder(void **state)
{
        struct fx *f = *state;
        struct store_errbuf err = {{0}};
        char *outside = pk_test_mkdtemp("retention-outside");
        char x[65];
        put_asset(f, outside, "not ours", STORE_ASSET_PHOTO, x);
        char o[STORE_ID_SIZE];
        make_order(f, (const char *const[]){x}, 1, NULL, o);
        walk(f, o, to_cancelled, 1);
        fake_now += 40 * DAY_MS;
        struct app_retention_result res;
        assert_int_equal(app_retention_purge(f->s, f->dir, 30, fake_now, false, &res, &err),
                         STORE_E_INVALID);
        assert_true(file_exists(f, x));
        assert_int_equal(wiped_at(f, x), 0);
        assert_int_equal(purge_audit_rows(f, o), 0);
        pk_test_rmtree(outside);
        free(outside);
}

static void test_purge_refuses_days_out_of_range(void **state)
{
        struct fx *f = *state;
        struct store_errbuf err = {{0}};
        struct app_retention_result res;
        assert_int_equal(app_retention_purge(f->s, f->dir, -1, fake_now, false, &res, &err),
                         STORE_E_INVALID);
        assert_int_equal(app_retention_purge(f->s, f->dir, APP_RETENTION_MAX_DAYS + 1, fake_now,
                                             false, &res, &err),
                         STORE_E_INVALID);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        test_purge_removes_finished_orders_files_and_keeps_shared_and_recent, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(test_purge_never_deletes_outside_the_data_folder,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_purge_refuses_days_out_of_range, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
