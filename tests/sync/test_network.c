/* drivers/network: NetworkManager absent -> AUTO falls back to the HTTP probe
 * cleanly; the probe follows the real pk-central going away and coming back on
 * the same port; the fake backend drives the callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/network.h"
#include "tests/central/harness.h"

struct seen {
        int ups, downs;
};

static void on_change(void *ud, bool online)
{
        struct seen *s = ud;
        if (online)
                __atomic_add_fetch(&s->ups, 1, __ATOMIC_SEQ_CST);
        else
                __atomic_add_fetch(&s->downs, 1, __ATOMIC_SEQ_CST);
}

static bool wait_for(struct drv_net *n, bool want, int ms)
{
        for (int i = 0; i < ms / 20; i++) {
                if (drv_net_online(n) == want)
                        return true;
                usleep(20000);
        }
        return drv_net_online(n) == want;
}

static void test_auto_falls_back_to_probe_without_networkmanager(void **state)
{
        struct drv_net *n = NULL;
        struct drv_errbuf err = {""};
        (void)state;
        if (drv_net_nm_running()) {
                /* on a machine with NM the same call must pick it */
                struct drv_net_config c = {.backend = DRV_NET_AUTO, .probe_url = "http://127.0.0.1:9"};
                assert_int_equal(drv_net_new(&c, &n, &err), 0);
                assert_string_equal(drv_net_backend_name(n), "nm");
                drv_net_free(n);
                return;
        }
        struct drv_net_config nm = {.backend = DRV_NET_NM};
        assert_int_equal(drv_net_new(&nm, &n, &err), DRV_E_UNAVAILABLE);
        assert_null(n);
        struct drv_net_config c = {.backend = DRV_NET_AUTO, .probe_url = "http://127.0.0.1:9",
                                   .probe_interval_ms = 50};
        assert_int_equal(drv_net_new(&c, &n, &err), 0);
        assert_string_equal(drv_net_backend_name(n), "probe");
        assert_true(wait_for(n, false, 500));  /* nothing listens on port 9 */
        drv_net_free(n);
}

static void test_probe_follows_pk_central_stop_and_start(void **state)
{
        struct seen s = {0};
        struct drv_net *n = NULL;
        char url[64], listen[64];
        (void)state;
        struct pc_harness *h = pc_harness_start(NULL);
        assert_non_null(h);
        unsigned port = pc_harness_port(h);
        snprintf(url, sizeof(url), "%s/", pc_harness_url(h));
        struct drv_net_config c = {.backend = DRV_NET_PROBE, .probe_url = url, .probe_interval_ms = 50,
                                   .probe_max_interval_ms = 200, .on_change = on_change, .ud = &s};
        assert_int_equal(drv_net_new(&c, &n, NULL), 0);
        bool up = wait_for(n, true, 3000);
        assert_int_equal(pc_harness_stop(h), 0);
        if (!up) {
                drv_net_free(n);
                fail_msg("probe never saw pk-central");
        }
        bool down = wait_for(n, false, 3000);
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        h = pc_harness_start((const char *[]){"--listen", listen, NULL});
        bool again = h && wait_for(n, true, 3000);
        drv_net_free(n);
        if (h)
                assert_int_equal(pc_harness_stop(h), 0);
        assert_true(down);
        assert_true(again);
        assert_true(s.ups >= 2);
        assert_true(s.downs >= 1);
}

static void test_fake_backend_reports_changes_only(void **state)
{
        struct seen s = {0};
        struct drv_net *n = NULL;
        (void)state;
        struct drv_net_config c = {.backend = DRV_NET_FAKE, .on_change = on_change, .ud = &s};
        assert_int_equal(drv_net_new(&c, &n, NULL), 0);
        assert_false(drv_net_online(n));
        drv_net_fake_set(n, true);
        drv_net_fake_set(n, true);
        drv_net_fake_set(n, false);
        assert_int_equal(s.ups, 1);
        assert_int_equal(s.downs, 1);
        drv_net_free(n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_auto_falls_back_to_probe_without_networkmanager),
                cmocka_unit_test(test_probe_follows_pk_central_stop_and_start),
                cmocka_unit_test(test_fake_backend_reports_changes_only),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
