/* app/watchdog: READY=1 once with a STATUS= that says why, WATCHDOG=1
 * rate-limited to a quarter of systemd's interval, sent to a real NOTIFY_SOCKET
 * (a unix datagram socket this test binds, as systemd does); and the decision
 * of when READY is due (the price list drawn, the core up without prices, or
 * the bound after the first frame). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/watchdog.h"
#include "tests/testutil.h"

static int sock = -1;
static char *dir;

/* Next datagram, or "" when none is waiting. */
static void recv_msg(char *buf, size_t size)
{
        ssize_t n = recv(sock, buf, size - 1, MSG_DONTWAIT);
        buf[n > 0 ? n : 0] = 0;
}

static void ready_once_and_pings_at_a_quarter_interval(void **state)
{
        (void)state;
        char buf[256];
        assert_int_equal(app_watchdog_ready(APP_READY_WAIT), 0); /* not a reason: nothing sent */
        recv_msg(buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_int_equal(app_watchdog_ready(APP_READY_PRICES), 1);
        assert_int_equal(app_watchdog_ready(APP_READY_FALLBACK), 0);
        recv_msg(buf, sizeof(buf));
        assert_non_null(strstr(buf, "READY=1\n"));
        char want[200];
        snprintf(want, sizeof(want), "STATUS=%s", app_watchdog_ready_status(APP_READY_PRICES));
        assert_non_null(strstr(buf, want));
        assert_non_null(strstr(buf, "price list"));
        recv_msg(buf, sizeof(buf));
        assert_string_equal(buf, ""); /* the second call sent nothing */

        /* WATCHDOG_USEC=400000: at most one ping per 100 ms. */
        assert_int_equal(app_watchdog_ping(1000000), 1);
        recv_msg(buf, sizeof(buf));
        assert_string_equal(buf, "WATCHDOG=1");
        assert_int_equal(app_watchdog_ping(1050000), 0);
        recv_msg(buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_int_equal(app_watchdog_ping(1100000), 1);
        recv_msg(buf, sizeof(buf));
        assert_string_equal(buf, "WATCHDOG=1");
}

static void ready_waits_for_the_price_list_within_the_bound(void **state)
{
        (void)state;
        struct app_ready_facts f = {.fallback_ms = 3000};
        /* nothing presented yet: never ready, whatever else is true */
        f.prices_drawn = true;
        f.since_first_ms = 10000;
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_WAIT);
        assert_int_equal(app_watchdog_ready_decide(NULL), APP_READY_WAIT);
        /* the first attract frame, without prices (the core is still starting) */
        f = (struct app_ready_facts){.first_frame = true, .since_first_ms = 0, .fallback_ms = 3000};
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_WAIT);
        f.since_first_ms = 2999;
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_WAIT);
        /* a frame with the price list: ready, and prices win over the bound */
        f.prices_drawn = true;
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_PRICES);
        f.since_first_ms = 3000;
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_PRICES);
        /* the core is up and prices nothing: ready at once, says so */
        f = (struct app_ready_facts){.first_frame = true, .core_no_prices = true, .since_first_ms = 5};
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_NO_PRICES);
        /* neither: ready at the bound (0 = the default bound) */
        f = (struct app_ready_facts){.first_frame = true, .since_first_ms = 3000, .fallback_ms = 3000};
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_FALLBACK);
        f = (struct app_ready_facts){.first_frame = true, .since_first_ms = APP_WATCHDOG_READY_FALLBACK_MS - 1};
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_WAIT);
        f.since_first_ms = APP_WATCHDOG_READY_FALLBACK_MS;
        assert_int_equal(app_watchdog_ready_decide(&f), APP_READY_FALLBACK);
        /* each reason has its own STATUS text */
        assert_string_equal(app_watchdog_ready_status(APP_READY_WAIT), "");
        assert_string_not_equal(app_watchdog_ready_status(APP_READY_PRICES),
                                app_watchdog_ready_status(APP_READY_NO_PRICES));
        assert_string_not_equal(app_watchdog_ready_status(APP_READY_PRICES),
                                app_watchdog_ready_status(APP_READY_FALLBACK));
        assert_string_not_equal(app_watchdog_ready_status(APP_READY_NO_PRICES),
                                app_watchdog_ready_status(APP_READY_FALLBACK));
}

int main(void)
{
        dir = pk_test_mkdtemp("watchdog");
        char *path = pk_test_strdupf("%s/notify", dir);
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
                perror("notify socket");
                return 1;
        }
        char pid[32];
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        setenv("NOTIFY_SOCKET", path, 1);
        setenv("WATCHDOG_USEC", "400000", 1);
        setenv("WATCHDOG_PID", pid, 1);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(ready_waits_for_the_price_list_within_the_bound),
                cmocka_unit_test(ready_once_and_pings_at_a_quarter_interval),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        close(sock);
        pk_test_rmtree(dir);
        free(path);
        free(dir);
        return r;
}
