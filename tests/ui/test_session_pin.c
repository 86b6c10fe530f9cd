/* app/session timeout with warning, and app/staff_pin Argon2id + lockout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/session.h"
#include "app/staff_pin.h"
#include "tests/testutil.h"

static int ends;
static enum app_session_end_reason last_reason;
static void on_end(enum app_session_end_reason why, void *ud)
{
        (void)ud;
        ends++;
        last_reason = why;
}

static void session_warns_then_times_out_and_activity_resets(void **state)
{
        (void)state;
        struct app_session s;
        ends = 0;
        app_session_init(&s, 60000, 20000, on_end, NULL);
        assert_int_equal(app_session_tick(&s, 1000, NULL), APP_SESSION_IDLE);
        app_session_start(&s, 0);
        int left = 0;
        assert_int_equal(app_session_tick(&s, 39999, &left), APP_SESSION_ACTIVE);
        assert_int_equal(app_session_tick(&s, 40000, &left), APP_SESSION_WARNING);
        assert_int_equal(left, 20);
        app_session_activity(&s, 45000);
        assert_int_equal(app_session_tick(&s, 50000, &left), APP_SESSION_ACTIVE);
        assert_int_equal(app_session_tick(&s, 104000, &left), APP_SESSION_WARNING);
        assert_int_equal(left, 1);
        assert_int_equal(ends, 0);
        assert_int_equal(app_session_tick(&s, 105000, &left), APP_SESSION_IDLE);
        assert_int_equal(ends, 1);
        assert_int_equal(last_reason, APP_SESSION_END_TIMEOUT);
        app_session_end(&s, APP_SESSION_END_START_OVER); /* already idle: no second call */
        assert_int_equal(ends, 1);
}

static void session_start_over_ends_once(void **state)
{
        (void)state;
        struct app_session s;
        ends = 0;
        app_session_init(&s, 0, 0, on_end, NULL);
        app_session_start(&s, 0);
        uint64_t id = s.id;
        app_session_start(&s, 10); /* a new customer ends the old session */
        assert_int_equal(ends, 1);
        assert_true(s.id == id + 1);
        app_session_end(&s, APP_SESSION_END_START_OVER);
        app_session_end(&s, APP_SESSION_END_START_OVER);
        assert_int_equal(ends, 2);
}

static void staff_pin_lockout_grows_and_success_resets(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("pin");
        char *path = pk_test_strdupf("%s/staff-pin", dir);
        assert_int_equal(app_staff_pin_write_hash(path, "4711"), APP_PIN_OK);
        size_t len = 0;
        char *stored = pk_test_read_file(path, &len);
        assert_non_null(stored);
        assert_null(strstr(stored, "4711")); /* only the hash is stored */
        assert_non_null(strstr(stored, "$argon2id$"));
        free(stored);

        struct app_staff_pin *p = app_staff_pin_new(path);
        assert_non_null(p);
        int64_t wait = -1, t = 1000;
        assert_int_equal(app_staff_pin_check(p, "4711", t, &wait), APP_PIN_OK);
        /* free tries: no delay */
        for (int i = 1; i < APP_PIN_FREE_TRIES; i++) {
                assert_int_equal(app_staff_pin_check(p, "0000", t, &wait), APP_PIN_E_WRONG);
                assert_int_equal(wait, 0);
        }
        assert_int_equal(app_staff_pin_check(p, "0000", t, &wait), APP_PIN_E_WRONG);
        assert_int_equal(wait, APP_PIN_BASE_DELAY_MS);
        /* locked: even the right PIN is refused, and not counted */
        int fails = app_staff_pin_failures(p);
        assert_int_equal(app_staff_pin_check(p, "4711", t + 1000, &wait), APP_PIN_E_LOCKED);
        assert_int_equal(wait, APP_PIN_BASE_DELAY_MS - 1000);
        assert_int_equal(app_staff_pin_failures(p), fails);
        /* the next failure doubles the delay */
        t += APP_PIN_BASE_DELAY_MS;
        assert_int_equal(app_staff_pin_check(p, "1111", t, &wait), APP_PIN_E_WRONG);
        assert_int_equal(wait, 2 * APP_PIN_BASE_DELAY_MS);
        t += wait;
        assert_int_equal(app_staff_pin_check(p, "4711", t, &wait), APP_PIN_OK);
        assert_int_equal(app_staff_pin_failures(p), 0);
        /* malformed PINs are refused without counting */
        assert_int_equal(app_staff_pin_check(p, "12", t, &wait), APP_PIN_E_INVALID);
        assert_int_equal(app_staff_pin_check(p, "12ab", t, &wait), APP_PIN_E_INVALID);
        assert_int_equal(app_staff_pin_failures(p), 0);
        app_staff_pin_free(p);
        /* the delay is capped */
        assert_true(app_staff_pin_delay_ms(1000) == APP_PIN_MAX_DELAY_MS);
        pk_test_rmtree(dir);
        free(path);
        free(dir);
}

static void staff_pin_not_set_is_reported(void **state)
{
        (void)state;
        struct app_staff_pin *p = app_staff_pin_new("/nonexistent/staff-pin");
        assert_non_null(p);
        assert_int_equal(app_staff_pin_check(p, "1234", 0, NULL), APP_PIN_E_NOT_SET);
        app_staff_pin_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(session_warns_then_times_out_and_activity_resets),
                cmocka_unit_test(session_start_over_ends_once),
                cmocka_unit_test(staff_pin_lockout_grows_and_success_resets),
                cmocka_unit_test(staff_pin_not_set_is_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
