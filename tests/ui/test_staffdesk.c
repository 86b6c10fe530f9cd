/* app/staffdesk: the staff/technician core the desk and technician screens
 * drive. Sign-in gates, argument checks, today's orders, search by pickup
 * code, state rules, a cancel audited with the staff id, the technician PIN,
 * the status page and the log export, all answered on the bus. CUPS is an
 * address nobody listens on (printer rows say "unreachable"); the printing
 * paths are covered by the end-to-end tests against the CUPS peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <cmocka.h>

#include "app/orders.h"
#include "app/staff_pin.h"
#include "app/staffdesk.h"
#include "sync/store.h"
#include "tests/testutil.h"

/* The template store, made once: app_orders_free() shuts libvips down when
 * its handle rendered, and libvips cannot start again in the same process. */
static char *tmpl_dir;
static char tmpl_code[STORE_CODE_SIZE], tmpl_order_id[STORE_ID_SIZE];

static int make_template(void **state)
{
        (void)state;
        tmpl_dir = pk_test_mkdtemp("staffdesk-tmpl");
        char *data = pk_test_strdupf("%s/data", tmpl_dir);
        struct app_orders *o = NULL;
        struct app_order_errbuf err = {{0}};
        assert_int_equal(app_orders_open(data, NULL, &o, &err), 0);
        char *prices = pk_test_strdupf("%s/assets/prices.ini", pk_test_source_dir());
        assert_int_equal(app_orders_set_price_list(o, prices, &err), 0);
        char *photo = pk_test_strdupf("%s/assets/demo/photos/IMG_0002.jpg", pk_test_source_dir());
        const char *files[1] = {photo};
        struct app_order_request req = {.sku = "PRINT-6X4", .paper = "glossy", .quantity = 1,
                                        .files = files, .n_files = 1};
        struct app_order_created out;
        size_t bad = 0;
        const char *why = NULL;
        if (app_order_create(o, &req, &out, &bad, &why, &err) != 0)
                fail_msg("order create: %s", err.msg);
        snprintf(tmpl_code, sizeof(tmpl_code), "%s", out.code);
        snprintf(tmpl_order_id, sizeof(tmpl_order_id), "%s", out.order_id);
        app_orders_free(o);
        free(photo);
        free(prices);
        free(data);
        return 0;
}

static int drop_template(void **state)
{
        (void)state;
        pk_test_rmtree(tmpl_dir);
        free(tmpl_dir);
        return 0;
}

struct fx {
        char *dir, *data, *pin, *usb;
        struct app_bus *bus;
        struct app_staffdesk *d;
        char code[STORE_CODE_SIZE];
        char order_id[STORE_ID_SIZE];
};

/* The answer to request `id` (other messages are dropped), within 60 s. */
static struct app_msg answer(struct fx *f, int64_t id)
{
        assert_true(id > 0);
        struct app_msg m = {.type = APP_MSG_NONE};
        for (int i = 0; i < 1200; i++) {
                app_bus_wait(f->bus, 50);
                while (app_bus_pop(f->bus, &m)) {
                        if (m.type == APP_MSG_STAFFDESK && (int64_t)m.generation == id)
                                return m;
                        app_msg_done(&m);
                }
        }
        fail_msg("no answer to request %lld", (long long)id);
        return m;
}

static int answer_result(struct fx *f, int64_t id)
{
        struct app_msg m = answer(f, id);
        return m.u.desk.result;
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->dir = pk_test_mkdtemp("staffdesk");
        f->data = pk_test_strdupf("%s/data", f->dir);
        f->pin = pk_test_strdupf("%s/tech-pin", f->dir);
        f->usb = pk_test_strdupf("%s/usb", f->dir);
        assert_int_equal(mkdir(f->usb, 0700), 0);
        char *stick = pk_test_strdupf("%s/STICK", f->usb);
        assert_int_equal(mkdir(stick, 0700), 0);
        free(stick);
        assert_int_equal(app_staff_pin_write_hash(f->pin, "5678"), 0);

        /* A copy of the template store: one order, locked and rendered. */
        char *cmd = pk_test_strdupf("cp -a '%s/data' '%s'", tmpl_dir, f->data);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        snprintf(f->code, sizeof(f->code), "%s", tmpl_code);
        snprintf(f->order_id, sizeof(f->order_id), "%s", tmpl_order_id);

        f->bus = app_bus_new(256);
        struct app_staffdesk_config cfg = {.data_dir = f->data, .printer_queue = "pk-nowhere",
                                           .tech_pin_path = f->pin, .export_root = f->usb,
                                           .journalctl = "/bin/false"};
        char e[256];
        f->d = app_staffdesk_new(&cfg, f->bus, e, sizeof(e));
        assert_non_null(f->d);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        app_staffdesk_free(f->d);
        app_bus_free(f->bus);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f->data);
        free(f->pin);
        free(f->usb);
        free(f);
        return 0;
}

static void staffdesk_refuses_commands_until_a_staff_member_signs_in(void **state)
{
        struct fx *f = *state;
        assert_false(app_staffdesk_signed_in(f->d));
        assert_int_equal(answer_result(f, app_staffdesk_refresh(f->d)), APP_DESK_E_DENIED);
        assert_int_equal(answer_result(f, app_staffdesk_collect(f->d, f->order_id)), APP_DESK_E_DENIED);
        /* staff numbers are 1..8 digits */
        assert_int_equal(app_staffdesk_begin(f->d, ""), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_begin(f->d, "4a"), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_begin(f->d, "123456789"), APP_DESK_E_INVALID);
        /* bad arguments never reach the worker */
        assert_int_equal(app_staffdesk_search(f->d, "K7Q;DROP"), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_reprint(f->d, f->order_id, 0, ""), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_cancel(f->d, f->order_id, NULL), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_test_print(f->d, NULL, "../../etc"), APP_DESK_E_INVALID);
        assert_int_equal(app_staffdesk_begin(f->d, "42"), 0);
        assert_true(app_staffdesk_signed_in(f->d));
        app_staffdesk_end(f->d);
        assert_false(app_staffdesk_signed_in(f->d));
        assert_int_equal(answer_result(f, app_staffdesk_refresh(f->d)), APP_DESK_E_DENIED);
}

static void staffdesk_lists_today_finds_by_code_and_cancels_audited(void **state)
{
        struct fx *f = *state;
        assert_int_equal(app_staffdesk_begin(f->d, "7"), 0);
        assert_int_equal(answer_result(f, app_staffdesk_refresh(f->d)), 0);
        struct app_staffdesk_order rows[APP_DESK_MAX_ORDERS];
        assert_int_equal(app_staffdesk_orders(f->d, rows, APP_DESK_MAX_ORDERS), 1);
        assert_string_equal(rows[0].code, f->code);
        assert_string_equal(rows[0].state, "queued");
        struct app_staffdesk_printer p[2];
        assert_int_equal(app_staffdesk_printers(f->d, p, 2), 1);
        assert_string_equal(p[0].queue, "pk-nowhere");
        assert_string_equal(p[0].state, "unreachable");

        /* typed without the dash, lower case: still found */
        char typed[8];
        snprintf(typed, sizeof(typed), "%c%c%c%c%c%c", f->code[0] | 0x20, f->code[1], f->code[2],
                 f->code[4], f->code[5], f->code[6]);
        assert_int_equal(answer_result(f, app_staffdesk_search(f->d, typed)), 0);
        struct app_staffdesk_detail det;
        app_staffdesk_detail(f->d, &det);
        assert_true(det.valid);
        assert_string_equal(det.order.id, f->order_id);
        assert_int_equal(det.n_items, 1);
        assert_int_equal(det.items[0].quantity, 1);
        assert_false(det.can_collect); /* not printed yet */
        assert_false(det.can_reprint);
        assert_true(det.can_cancel);
        assert_int_equal(answer_result(f, app_staffdesk_collect(f->d, f->order_id)), APP_DESK_E_STATE);
        assert_int_equal(answer_result(f, app_staffdesk_search(f->d, "ZZZZZZ")), APP_DESK_E_NOT_FOUND);

        assert_int_equal(answer_result(f, app_staffdesk_cancel(f->d, f->order_id, "Customer asked")), 0);
        app_staffdesk_detail(f->d, &det);
        assert_string_equal(det.order.state, "cancelled");
        assert_string_equal(det.reason, "Customer asked");
        assert_false(det.can_cancel);

        /* the store's audit: the cancel by staff:7, with the reason */
        struct store *s = NULL;
        char *db = pk_test_strdupf("%s/kiosk.db", f->data);
        assert_int_equal(store_open(db, &s, NULL), 0);
        struct store_audit *a = NULL;
        size_t n = 0;
        assert_int_equal(store_audit_list(s, f->order_id, &a, &n, NULL), 0);
        assert_true(n >= 1);
        assert_string_equal(a[n - 1].actor, "staff:7");
        assert_string_equal(a[n - 1].to, "cancelled");
        assert_string_equal(a[n - 1].reason, "Customer asked");
        free(a);
        store_close(s);
        free(db);
}

static void staffdesk_technician_pin_gates_status_and_export(void **state)
{
        struct fx *f = *state;
        assert_int_equal(app_staffdesk_begin(f->d, "7"), 0);
        assert_int_equal(answer_result(f, app_staffdesk_tech_refresh(f->d)), APP_DESK_E_DENIED);
        assert_int_equal(answer_result(f, app_staffdesk_export_logs(f->d, 0)), APP_DESK_E_DENIED);
        assert_int_equal(answer_result(f, app_staffdesk_tech_pin_submit(f->d, "1111")),
                         APP_DESK_E_WRONG_PIN);
        assert_false(app_staffdesk_technician(f->d));
        assert_int_equal(answer_result(f, app_staffdesk_tech_pin_submit(f->d, "5678")), 0);
        assert_true(app_staffdesk_technician(f->d));

        assert_int_equal(answer_result(f, app_staffdesk_tech_refresh(f->d)), 0);
        struct app_staffdesk_tech t;
        app_staffdesk_tech(f->d, &t);
        assert_true(t.valid);
        assert_true(t.version[0] != '\0');
        assert_true(t.disk_total_bytes > 0 && t.disk_free_bytes <= t.disk_total_bytes);
        assert_false(t.sync_configured);
        assert_true(t.outbox_pending >= 1); /* the locked order's "order" event */
        assert_true(t.n_checks > 0);
        assert_int_equal(t.n_targets, 1);
        assert_string_equal(t.targets[0], "STICK");

        assert_int_equal(answer_result(f, app_staffdesk_export_logs(f->d, 0)), 0);
        app_staffdesk_tech(f->d, &t);
        assert_non_null(strstr(t.last_export, "STICK/printkiosk-logs-"));
        char *manifest = pk_test_strdupf("%s/%s/manifest.json", f->usb, t.last_export);
        size_t len = 0;
        char *text = pk_test_read_file(manifest, &len);
        assert_non_null(text);
        assert_null(strstr(text, f->code)); /* no pickup code in the bundle's index */
        free(text);
        free(manifest);
        assert_int_equal(answer_result(f, app_staffdesk_export_logs(f->d, 5)), APP_DESK_E_NOT_FOUND);

        /* leaving staff mode also ends technician mode */
        app_staffdesk_end(f->d);
        assert_false(app_staffdesk_technician(f->d));
        assert_int_equal(app_staffdesk_begin(f->d, "7"), 0);
        assert_false(app_staffdesk_technician(f->d));
        assert_int_equal(answer_result(f, app_staffdesk_tech_refresh(f->d)), APP_DESK_E_DENIED);
}

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void staffdesk_idle_timeout_ends_staff_and_technician_mode_once(void **state)
{
        struct fx *f = *state;
        int64_t timeout = app_staffdesk_idle_timeout_ms(f->d);
        assert_int_equal(timeout, APP_DESK_IDLE_TIMEOUT_MS); /* the default */
        int64_t t = mono_ms();
        assert_false(app_staffdesk_idle_check(f->d, t + 2 * timeout)); /* nobody signed in */
        assert_int_equal(app_staffdesk_begin(f->d, "42"), 0);
        assert_int_equal(answer_result(f, app_staffdesk_tech_pin_submit(f->d, "5678")), 0);
        assert_true(app_staffdesk_technician(f->d));
        assert_false(app_staffdesk_idle_check(f->d, t + timeout / 2));
        /* a touch restarts the clock */
        app_staffdesk_activity(f->d, t + timeout / 2);
        assert_false(app_staffdesk_idle_check(f->d, t + timeout / 2 + timeout - 1));
        assert_true(app_staffdesk_signed_in(f->d));
        assert_true(app_staffdesk_idle_check(f->d, t + timeout / 2 + timeout));
        assert_false(app_staffdesk_signed_in(f->d));
        assert_false(app_staffdesk_technician(f->d));
        /* ended once; the desk refuses work until the next sign-in */
        assert_false(app_staffdesk_idle_check(f->d, t + 3 * timeout));
        assert_int_equal(answer_result(f, app_staffdesk_refresh(f->d)), APP_DESK_E_DENIED);
        assert_int_equal(answer_result(f, app_staffdesk_tech_refresh(f->d)), APP_DESK_E_DENIED);
}

static void staffdesk_idle_timeout_is_configurable_with_a_floor(void **state)
{
        struct fx *f = *state;
        struct app_staffdesk_config cfg = {.data_dir = f->data, .idle_timeout_ms = 30 * 1000};
        char e[256];
        struct app_staffdesk *d = app_staffdesk_new(&cfg, f->bus, e, sizeof(e));
        assert_non_null(d);
        assert_int_equal(app_staffdesk_idle_timeout_ms(d), 30 * 1000);
        app_staffdesk_free(d);
        cfg.idle_timeout_ms = 10; /* a typo must not make staff mode unusable */
        d = app_staffdesk_new(&cfg, f->bus, e, sizeof(e));
        assert_non_null(d);
        assert_int_equal(app_staffdesk_idle_timeout_ms(d), APP_DESK_IDLE_TIMEOUT_MIN_MS);
        app_staffdesk_free(d);
}

static void staffdesk_lists_every_configured_printer_desk_queue_first(void **state)
{
        struct fx *f = *state;
        char *conf = pk_test_strdupf("%s/printkiosk.conf", f->dir);
        FILE *c = fopen(conf, "we");
        assert_non_null(c);
        fputs("[kiosk]\nid = kiosk-0001\nstore = store-042\n"
              "[printer main]\nqueue = pk-main\npapers = glossy;lustre\n"
              "[printer second]\nqueue = pk-second\npapers = lustre\n"
              "[printer again]\nqueue = pk-nowhere\n", c);
        assert_int_equal(fclose(c), 0);
        struct app_staffdesk_config cfg = {.data_dir = f->data, .config_path = conf,
                                           .printer_queue = "pk-nowhere"};
        char e[256];
        struct app_staffdesk *d = app_staffdesk_new(&cfg, f->bus, e, sizeof(e));
        assert_non_null(d);
        struct app_staffdesk *keep = f->d;
        f->d = d; /* answer_result waits on f->d */
        assert_int_equal(app_staffdesk_begin(d, "5"), 0);
        assert_int_equal(answer_result(f, app_staffdesk_refresh(d)), 0);
        struct app_staffdesk_printer p[APP_DESK_MAX_PRINTERS];
        int n = app_staffdesk_printers(d, p, APP_DESK_MAX_PRINTERS);
        /* the desk's queue, then each configured queue once */
        assert_int_equal(n, 3);
        assert_string_equal(p[0].queue, "pk-nowhere");
        assert_string_equal(p[1].queue, "pk-main");
        assert_string_equal(p[2].queue, "pk-second");
        for (int i = 0; i < n; i++) /* CUPS_SERVER is a refused port */
                assert_string_equal(p[i].state, "unreachable");
        f->d = keep;
        app_staffdesk_free(d);
        free(conf);
}

int main(void)
{
        setenv("CUPS_SERVER", "127.0.0.1:9", 1); /* discard port: refused at once */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(staffdesk_refuses_commands_until_a_staff_member_signs_in,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(staffdesk_lists_today_finds_by_code_and_cancels_audited,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(staffdesk_technician_pin_gates_status_and_export,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(staffdesk_idle_timeout_ends_staff_and_technician_mode_once,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(staffdesk_idle_timeout_is_configurable_with_a_floor,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(staffdesk_lists_every_configured_printer_desk_queue_first,
                                                setup, teardown),
        };
        return cmocka_run_group_tests(tests, make_template, drop_template);
}
