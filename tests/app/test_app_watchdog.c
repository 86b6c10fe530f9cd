/* app/watchdog: READY=1 once, WATCHDOG=1 rate-limited to a quarter of systemd's
 * interval, sent to a real NOTIFY_SOCKET (a unix datagram socket this test binds,
 * as systemd does). */
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
        app_watchdog_ready();
        app_watchdog_ready();
        recv_msg(buf, sizeof(buf));
        assert_non_null(strstr(buf, "READY=1"));
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
                cmocka_unit_test(ready_once_and_pings_at_a_quarter_interval),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        close(sock);
        pk_test_rmtree(dir);
        free(path);
        free(dir);
        return r;
}
