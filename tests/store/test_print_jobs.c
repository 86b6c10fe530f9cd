/* Print job rows: written before CUPS, lifecycle moves, open jobs for recovery,
 * reprints audited with staff and reason and announced as "reprinted". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync/order_state.h"
#include "tests/store/store_fixture.h"

static void first_item(struct fixture *f, const char *order_id, char item[STORE_ID_SIZE])
{
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(f->s, order_id, &o, NULL), 0);
        assert_true(o->n_items > 0);
        memcpy(item, o->items[0].id, STORE_ID_SIZE);
        store_order_free(o);
}

static void job_lifecycle_and_recovery_list(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE], item[STORE_ID_SIZE], job[STORE_ID_SIZE], job2[STORE_ID_SIZE];
        fx_order_in(f, ORDER_QUEUED, id);
        first_item(f, id, item);
        assert_int_equal(store_job_create(f->s, item, "pk-dyesub", 2, job, NULL), 0);
        assert_int_equal(store_job_create(f->s, item, "pk-dyesub", 1, job2, NULL), 0);
        struct store_job j;
        assert_int_equal(store_job_get(f->s, job, &j, NULL), 0);
        assert_int_equal(j.state, STORE_JOB_PENDING);
        assert_int_equal(j.cups_job_id, 0);
        assert_int_equal(j.copies, 2);
        assert_int_equal(j.attempt, 1);
        assert_string_equal(j.order_id, id);

        assert_int_equal(store_job_set_cups_id(f->s, job, 17, NULL), 0);
        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_SUBMITTED, NULL, NULL), 0);
        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_SUBMITTED, NULL, NULL), 0);
        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_PENDING, NULL, NULL), STORE_E_ILLEGAL);
        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_PROCESSING, NULL, NULL), 0);
        assert_int_equal(store_job_set_state(f->s, job2, STORE_JOB_FAILED, "media-empty", NULL), 0);

        struct store_job *open = NULL;
        size_t n = 0;
        assert_int_equal(store_job_list(f->s, NULL, true, &open, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(open[0].id, job);
        assert_int_equal(open[0].cups_job_id, 17);
        free(open);

        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_COMPLETED, NULL, NULL), 0);
        assert_int_equal(store_job_set_state(f->s, job, STORE_JOB_FAILED, "late", NULL), STORE_E_ILLEGAL);
        assert_int_equal(store_job_get(f->s, job2, &j, NULL), 0);
        assert_string_equal(j.reason, "media-empty");
        assert_int_equal(j.attempt, 2);
        assert_int_equal(store_job_list(f->s, NULL, true, &open, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(open);
        assert_int_equal(store_job_list(f->s, id, false, &open, &n, NULL), 0);
        assert_int_equal(n, 2);
        free(open);
        assert_int_equal(store_job_create(f->s, "missing", "pk-dyesub", 1, job, NULL), STORE_E_NOT_FOUND);
        assert_int_equal(store_job_create(f->s, item, "pk-dyesub", 0, job, NULL), STORE_E_INVALID);
}

static void reprint_is_audited_and_announced_without_changing_state(void **state)
{
        struct fixture *f = *state;
        char id[STORE_ID_SIZE], item[STORE_ID_SIZE], job[STORE_ID_SIZE];
        fx_order_in(f, ORDER_READY, id);
        first_item(f, id, item);
        size_t a0 = fx_audit_count(f, id), o0 = fx_outbox_count(f, id);
        struct store_errbuf err = { "" };
        assert_int_equal(store_job_reprint(f->s, item, "pk-dyesub", 1, "colour cast", "staff:0042", job, &err), 0);
        assert_int_equal(fx_audit_count(f, id), a0 + 1);
        assert_int_equal(fx_outbox_count(f, id), o0 + 1);
        char *type = fx_last_outbox_type(f, id);
        assert_string_equal(type, "reprinted");
        free(type);
        struct store_audit *rows = NULL;
        size_t n = 0;
        assert_int_equal(store_audit_list(f->s, id, &rows, &n, NULL), 0);
        assert_string_equal(rows[n - 1].kind, "reprint");
        assert_string_equal(rows[n - 1].actor, "staff:0042");
        assert_string_equal(rows[n - 1].reason, "colour cast");
        assert_string_equal(rows[n - 1].from, "ready");
        assert_string_equal(rows[n - 1].to, "ready");
        free(rows);
        struct store_job j;
        assert_int_equal(store_job_get(f->s, job, &j, NULL), 0);
        assert_int_equal(j.state, STORE_JOB_PENDING);
        assert_string_equal(j.reprint_reason, "colour cast");
        assert_string_equal(j.staff_id, "staff:0042");
        struct store_order *o = NULL;
        assert_int_equal(store_order_get(f->s, id, &o, NULL), 0);
        assert_int_equal(o->state, ORDER_READY);
        store_order_free(o);

        /* no reason, a customer, or an order not yet printed: refused, nothing written */
        assert_int_equal(store_job_reprint(f->s, item, "pk-dyesub", 1, "", "staff:0042", job, &err), STORE_E_INVALID);
        assert_int_equal(store_job_reprint(f->s, item, "pk-dyesub", 1, "x", "customer", job, &err), STORE_E_INVALID);
        char q[STORE_ID_SIZE], qitem[STORE_ID_SIZE];
        fx_order_in(f, ORDER_QUEUED, q);
        first_item(f, q, qitem);
        a0 = fx_audit_count(f, q);
        assert_int_equal(store_job_reprint(f->s, qitem, "pk-dyesub", 1, "x", "staff:1", job, &err), STORE_E_ILLEGAL);
        assert_int_equal(fx_audit_count(f, q), a0);
        struct store_job *all = NULL;
        assert_int_equal(store_job_list(f->s, q, false, &all, &n, NULL), 0);
        assert_int_equal(n, 0);
        free(all);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(job_lifecycle_and_recovery_list, fx_setup, fx_teardown),
                cmocka_unit_test_setup_teardown(reprint_is_audited_and_announced_without_changing_state, fx_setup,
                                                fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
