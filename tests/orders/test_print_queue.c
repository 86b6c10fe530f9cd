/* app/print_queue against the real CUPS peer (fixture "cups", queue pk2), with
 * faults injected by wrapping the real driver (drv_printer_fault_new): a submit
 * that fails as "cupsd unavailable" leaves the job row pending and a rerun
 * submits it exactly once; a recover whose job-uuid lookup fails submits
 * nothing; a failed status poll changes nothing. Every CUPS job is counted by
 * job-uuid through the driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/orders.h"
#include "app/print_queue.h"
#include "drivers/printer.h"
#include "sync/store.h"
#include "tests/testutil.h"

#define QUEUE "pk2"

struct fx {
        char *dir;
        struct app_orders *orders;
        char order_id[STORE_ID_SIZE];
};

static int read_cups_server(void)
{
        char *path = pk_test_strdupf("%s/cups-peer/env", pk_test_build_dir());
        char *env = pk_test_read_file(path, NULL);
        free(path);
        if (!env)
                return -1;
        const char *key = "export CUPS_SERVER=";
        char *p = strstr(env, key);
        if (p) {
                p += strlen(key);
                char *end = strchr(p, '\n');
                if (end)
                        *end = '\0';
                setenv("CUPS_SERVER", p, 1);
        }
        free(env);
        return p ? 0 : -1;
}

static int setup(void **state)
{
        if (read_cups_server() < 0)
                return -1;
        struct fx *f = calloc(1, sizeof *f);
        f->dir = pk_test_mkdtemp("orders-pq");
        char *photo = pk_test_strdupf("%s/p.jpg", f->dir);
        char *base = pk_test_strdupf("%s/base.v", f->dir);
        char *cmd = pk_test_strdupf("vips black '%s' 600 400 --bands 3 && vips linear '%s' '%s' "
                              "'1 1 1' '90 60 30'", base, base, photo);
        int rc = system(cmd);
        free(cmd);
        free(base);
        char *data = pk_test_strdupf("%s/data", f->dir);
        struct app_order_errbuf err = {{0}};
        if (rc == 0)
                rc = app_orders_open(data, NULL, &f->orders, &err);
        free(data);
        const char *files[] = {photo};
        struct app_order_request req = {.sku = "PRINT-6X4", .paper = "glossy", .quantity = 2,
                                        .files = files, .n_files = 1};
        struct app_order_created out;
        if (rc == 0)
                rc = app_order_create(f->orders, &req, &out, NULL, NULL, &err);
        if (rc == 0)
                snprintf(f->order_id, sizeof f->order_id, "%s", out.order_id);
        else
                fprintf(stderr, "setup: %s\n", err.msg);
        free(photo);
        *state = f;
        return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        if (!f)
                return 0;
        app_orders_free(f->orders);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

/* A print context on a fresh real CUPS driver, optionally wrapped in a fault. */
static struct drv_printer *printer(enum drv_printer_op op, unsigned nth, int error, bool sticky)
{
        struct drv_printer *real = NULL, *p = NULL;
        assert_int_equal(drv_printer_cups_new(NULL, &real, NULL), 0);
        if (nth == 0)
                return real;
        assert_int_equal(drv_printer_fault_new(real, op, nth, error, sticky, &p, NULL), 0);
        return p;
}

static struct app_print_ctx ctx_for(struct fx *f, struct drv_printer *p)
{
        struct app_print_ctx c;
        assert_int_equal(app_orders_print_ctx(f->orders, "technician", &c, NULL), 0);
        c.printer = p;
        return c;
}

static struct store_job only_job(struct fx *f)
{
        struct store_job *jobs = NULL;
        size_t n = 0;
        assert_int_equal(store_job_list(app_orders_store(f->orders), f->order_id, false, &jobs, &n,
                                        NULL),
                         0);
        assert_int_equal(n, 1);
        struct store_job j = jobs[0];
        free(jobs);
        return j;
}

/* How many CUPS jobs carry this job's uuid: 0 or 1 (find_job returns the
 * newest; an older duplicate would have a different CUPS id than the store's). */
static int cups_jobs_for(const struct store_job *j)
{
        struct drv_printer *p = printer(0, 0, 0, false);
        char uuid[DRV_JOB_UUID_MAX];
        snprintf(uuid, sizeof uuid, "urn:uuid:%s", j->id);
        struct drv_job_status js;
        int rc = drv_printer_find_job(p, uuid, 0, &js, NULL);
        drv_printer_free(p);
        if (rc == DRV_E_NOT_FOUND)
                return 0;
        assert_int_equal(rc, 0);
        assert_int_equal(js.id, j->cups_job_id);
        assert_int_equal(js.copies, j->copies);
        return 1;
}

static void test_submit_unavailable_leaves_pending_row_and_rerun_submits_once(void **state)
{
        struct fx *f = *state;
        struct drv_printer *p = printer(DRV_PRINTER_OP_SUBMIT, 1, DRV_E_UNAVAILABLE, true);
        struct app_print_ctx c = ctx_for(f, p);
        struct app_print_summary sum;
        struct app_order_errbuf err = {{0}};
        assert_int_equal(app_print_order(&c, f->order_id, QUEUE, &sum, &err), APP_ORDER_E_PRINTER);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 1);
        drv_printer_free(p);
        struct store_job j = only_job(f);
        assert_int_equal(j.state, STORE_JOB_PENDING);
        assert_int_equal(j.cups_job_id, 0);
        assert_int_equal(cups_jobs_for(&j), 0);

        /* Recovery whose job-uuid lookup fails must not submit blindly. */
        p = printer(DRV_PRINTER_OP_FIND_JOB, 1, DRV_E_UNAVAILABLE, true);
        c = ctx_for(f, p);
        int orders = 0;
        assert_int_not_equal(app_print_recover(&c, QUEUE, NULL, NULL, &orders, NULL, &err), 0);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 0);
        drv_printer_free(p);
        j = only_job(f);
        assert_int_equal(j.state, STORE_JOB_PENDING);

        /* CUPS back: the rerun asks for the job-uuid, then submits once. */
        p = printer(DRV_PRINTER_OP_LIST, 1000, DRV_E_IO, false); /* pass-through counter */
        c = ctx_for(f, p);
        assert_int_equal(app_print_order(&c, f->order_id, QUEUE, &sum, &err), 0);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 1);
        assert_int_equal(sum.submitted, 1);
        j = only_job(f);
        assert_true(j.cups_job_id > 0);
        assert_int_equal(cups_jobs_for(&j), 1);

        /* A failed status poll changes nothing; the next one finishes. */
        drv_printer_free(p);
        p = printer(DRV_PRINTER_OP_JOB_STATUS, 1, DRV_E_UNAVAILABLE, false);
        c = ctx_for(f, p);
        assert_int_equal(app_print_poll(&c, f->order_id, &sum, &err), APP_ORDER_E_PRINTER);
        assert_int_equal(sum.state, ORDER_PRINTING);
        assert_int_equal(app_print_wait(&c, f->order_id, 60000, &sum, &err), 0);
        assert_int_equal(sum.state, ORDER_PRINTED);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 0);
        drv_printer_free(p);
        j = only_job(f);
        assert_int_equal(j.state, STORE_JOB_COMPLETED);
        assert_int_equal(cups_jobs_for(&j), 1);

        /* Printing a printed order again sends nothing. */
        p = printer(DRV_PRINTER_OP_LIST, 1000, DRV_E_IO, false);
        c = ctx_for(f, p);
        assert_int_equal(app_print_order(&c, f->order_id, QUEUE, &sum, &err), 0);
        assert_int_equal(drv_printer_fault_calls(p, DRV_PRINTER_OP_SUBMIT), 0);
        drv_printer_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(
                        test_submit_unavailable_leaves_pending_row_and_rerun_submits_once, setup,
                        teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
