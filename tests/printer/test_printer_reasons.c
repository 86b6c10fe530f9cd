/* Unit tests (no peers): printer-state-reasons mapping and the job verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "drivers/printer.h"
#include "drivers/printer_reasons.h"

static void suffix_does_not_change_meaning(void **state)
{
        (void)state;
        /* CUPS re-reports a printer's -error as -warning on the queue. */
        static const char *const kws[] = {"media-empty", "media-jam", "cover-open",
                                          "marker-supply-low", "offline", "paused"};
        for (size_t i = 0; i < sizeof(kws) / sizeof(*kws); i++) {
                struct drv_reason_info a, b, c;
                char w[80], e[80];
                snprintf(w, sizeof(w), "%s-warning", kws[i]);
                snprintf(e, sizeof(e), "%s-error", kws[i]);
                assert_int_equal(drv_reason_map(kws[i], NULL, &a), 0);
                assert_int_equal(drv_reason_map(w, NULL, &b), 0);
                assert_int_equal(drv_reason_map(e, NULL, &c), 0);
                assert_int_equal(a.severity, b.severity);
                assert_int_equal(a.severity, c.severity);
                assert_string_equal(a.keyword, kws[i]);
                assert_string_equal(b.keyword, kws[i]);
                assert_string_equal(a.staff, b.staff);
                assert_string_equal(a.customer_key, c.customer_key);
        }
}

static void paper_and_jam_need_staff(void **state)
{
        (void)state;
        static const char *const kws[] = {"media-empty-warning", "media-needed", "media-jam-error",
                                          "door-open", "marker-supply-empty", "input-tray-missing",
                                          "output-area-full", "marker-waste-full"};
        for (size_t i = 0; i < sizeof(kws) / sizeof(*kws); i++) {
                struct drv_reason_info r;
                assert_int_equal(drv_reason_map(kws[i], NULL, &r), 0);
                assert_int_equal(r.severity, DRV_SEVERITY_ERROR);
                assert_string_equal(r.customer_key, DRV_CUSTOMER_ATTENTION);
                assert_true(strlen(r.staff) > 10);
        }
}

static void low_supplies_only_warn(void **state)
{
        (void)state;
        struct drv_reason_info r;
        assert_int_equal(drv_reason_map("marker-supply-low-report", NULL, &r), 0);
        assert_int_equal(r.severity, DRV_SEVERITY_WARNING);
        assert_string_equal(r.customer_key, DRV_CUSTOMER_READY);
        assert_int_equal(drv_reason_map("none", NULL, &r), 0);
        assert_int_equal(r.severity, DRV_SEVERITY_NONE);
        assert_int_equal(drv_reason_map("offline-report", NULL, &r), 0);
        assert_string_equal(r.customer_key, DRV_CUSTOMER_UNAVAILABLE);
}

static void media_reason_names_the_paper_to_load(void **state)
{
        (void)state;
        struct drv_reason_info r;
        assert_int_equal(drv_reason_map("media-empty-error", "na_index-4x6_4x6in", &r), 0);
        assert_non_null(strstr(r.staff, "4x6in"));
        assert_int_equal(drv_reason_map("media-empty", NULL, &r), 0);
        assert_null(strstr(r.staff, "%"));
        /* A hostile media name cannot inject text. */
        assert_int_equal(drv_reason_map("media-needed", "x_<b>evil</b> %n", &r), 0);
        assert_null(strchr(r.staff, '<'));
        assert_null(strchr(r.staff, '%'));
}

static void unknown_keyword_is_sanitised_and_uses_its_suffix(void **state)
{
        (void)state;
        struct drv_reason_info r;
        assert_int_equal(drv_reason_map("com.vendor.Weird\"<x>-error", NULL, &r), 0);
        assert_string_equal(r.keyword, "unknown");
        assert_int_equal(r.severity, DRV_SEVERITY_ERROR);
        assert_null(strchr(r.staff, '<'));
        assert_null(strchr(r.staff, '"'));
        assert_non_null(strstr(r.staff, "com.vendor."));
        assert_int_equal(drv_reason_map("vendor-thing-report", NULL, &r), 0);
        assert_int_equal(r.severity, DRV_SEVERITY_REPORT);
        assert_int_equal(drv_reason_map("vendor-thing", NULL, &r), 0);
        assert_int_equal(r.severity, DRV_SEVERITY_WARNING);
}

static void long_keyword_is_cut_and_never_matches(void **state)
{
        (void)state;
        char big[1000];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        struct drv_reason_info r;
        assert_int_equal(drv_reason_map(big, NULL, &r), 0);
        assert_string_equal(r.keyword, "unknown");
        assert_true(strlen(r.staff) < DRV_REASON_STAFF_MAX);
        char out[DRV_REASON_KEYWORD_MAX];
        drv_reason_strip(big, out, sizeof(out));
        assert_int_equal(strlen(out), DRV_REASON_KEYWORD_MAX - 1);
        assert_string_equal(out + strlen(out) - 3, "...");
}

static void worst_reason_wins(void **state)
{
        (void)state;
        const char *list[] = {"marker-supply-low-report", "media-jam-warning", "toner-low"};
        struct drv_reason_info r;
        assert_int_equal(drv_reasons_worst(list, 3, NULL, &r), 0);
        assert_string_equal(r.keyword, "media-jam");
        assert_int_equal(drv_reasons_worst(NULL, 0, NULL, &r), 0);
        assert_string_equal(r.customer_key, DRV_CUSTOMER_READY);
        assert_int_equal(drv_reason_map(NULL, NULL, &r), DRV_E_INVALID);
}

static void verdict_follows_job_and_queue(void **state)
{
        (void)state;
        struct drv_job_status j = {.id = 1, .state = DRV_JOB_PROCESSING};
        struct drv_printer_status p = {.state = DRV_PRINTER_PROCESSING};
        char why[DRV_REASON_KEYWORD_MAX];

        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_ACTIVE);
        assert_string_equal(why, "");

        p.n_reasons = 1;
        snprintf(p.reasons[0], sizeof(p.reasons[0]), "media-empty-warning");
        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_WAITING);
        assert_string_equal(why, "media-empty");

        p.state = DRV_PRINTER_STOPPED;
        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_FAILED);
        assert_string_equal(why, "media-empty");
        p.n_reasons = 0;
        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_FAILED);
        assert_string_equal(why, "printer-stopped");

        p.state = DRV_PRINTER_IDLE;
        j.state = DRV_JOB_HELD;
        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_WAITING);
        j.state = DRV_JOB_ABORTED;
        assert_int_equal(drv_job_verdict(&j, &p, why), DRV_VERDICT_FAILED);
        j.state = DRV_JOB_CANCELED;
        j.n_reasons = 1;
        snprintf(j.reasons[0], sizeof(j.reasons[0]), "job-canceled-by-user");
        assert_int_equal(drv_job_verdict(&j, NULL, why), DRV_VERDICT_CANCELLED);
        /* How CUPS 2.4 reports a job the printer aborted. */
        snprintf(j.reasons[0], sizeof(j.reasons[0]), "processing-to-stop-point");
        assert_int_equal(drv_job_verdict(&j, NULL, why), DRV_VERDICT_FAILED);
        assert_string_equal(why, "canceled-at-printer");
        j.n_reasons = 0;
        j.state = DRV_JOB_COMPLETED;
        assert_int_equal(drv_job_verdict(&j, NULL, why), DRV_VERDICT_COMPLETED);
        assert_string_equal(drv_job_verdict_name(DRV_VERDICT_WAITING), "waiting");
        assert_string_equal(drv_job_state_name(DRV_JOB_HELD), "pending-held");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(suffix_does_not_change_meaning),
                cmocka_unit_test(paper_and_jam_need_staff),
                cmocka_unit_test(low_supplies_only_warn),
                cmocka_unit_test(media_reason_names_the_paper_to_load),
                cmocka_unit_test(unknown_keyword_is_sanitised_and_uses_its_suffix),
                cmocka_unit_test(long_keyword_is_cut_and_never_matches),
                cmocka_unit_test(worst_reason_wins),
                cmocka_unit_test(verdict_follows_job_and_queue),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
