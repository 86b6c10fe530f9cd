/* app/bus: many producers, one consumer; strings are copied and owned; the
 * wakeup fires once per drain; droppable messages yield to important ones;
 * closed buses refuse posts; refused pixel buffers are freed (LeakSanitizer). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app/bus.h"
#include "tests/testutil.h"

#define PRODUCERS 4
#define PER_PRODUCER 3000

static int wakeups;
static void count_wakeup(void *ud)
{
        (void)ud;
        __atomic_add_fetch(&wakeups, 1, __ATOMIC_SEQ_CST);
}

struct prod { struct app_bus *bus; int id; };

static void *producer(void *arg)
{
        struct prod *p = arg;
        for (int i = 0; i < PER_PRODUCER; i++) {
                char kw[32];
                snprintf(kw, sizeof(kw), "p%d-%d", p->id, i);
                struct app_msg m = {.type = APP_MSG_ERROR, .generation = (uint64_t)p->id};
                m.u.error.code = i;
                m.u.error.keyword = kw; /* stack buffer: the bus must copy it */
                while (app_bus_post(p->bus, &m) == -ENOSPC)
                        sched_yield();
        }
        return NULL;
}

static void bus_delivers_every_message_in_per_producer_order(void **state)
{
        (void)state;
        struct app_bus *bus = app_bus_new(256);
        assert_non_null(bus);
        wakeups = 0;
        app_bus_set_wakeup(bus, count_wakeup, NULL);
        pthread_t t[PRODUCERS];
        struct prod p[PRODUCERS];
        for (int i = 0; i < PRODUCERS; i++) {
                p[i] = (struct prod){bus, i};
                assert_int_equal(pthread_create(&t[i], NULL, producer, &p[i]), 0);
        }
        int next[PRODUCERS] = {0}, total = 0, drains = 0;
        while (total < PRODUCERS * PER_PRODUCER) {
                app_bus_wait(bus, 1000);
                drains++;
                struct app_msg m;
                while (app_bus_pop(bus, &m)) {
                        int id = (int)m.generation;
                        assert_in_range(id, 0, PRODUCERS - 1);
                        assert_int_equal(m.u.error.code, next[id]);
                        char kw[32];
                        snprintf(kw, sizeof(kw), "p%d-%d", id, next[id]);
                        assert_string_equal(m.u.error.keyword, kw);
                        next[id]++;
                        total++;
                        app_msg_done(&m);
                }
        }
        for (int i = 0; i < PRODUCERS; i++)
                pthread_join(t[i], NULL);
        /* one wakeup per emptying drain at most (plus the one in flight) */
        assert_true(wakeups >= 1);
        assert_true(wakeups <= drains + 1);
        app_bus_free(bus);
}

static void bus_wakeup_fires_once_until_drained(void **state)
{
        (void)state;
        struct app_bus *bus = app_bus_new(64);
        wakeups = 0;
        app_bus_set_wakeup(bus, count_wakeup, NULL);
        struct app_msg m = {.type = APP_MSG_WALK_DONE};
        for (int i = 0; i < 10; i++)
                assert_int_equal(app_bus_post(bus, &m), 0);
        assert_int_equal(wakeups, 1);
        struct app_msg out;
        while (app_bus_pop(bus, &out))
                app_msg_done(&out);
        assert_int_equal(app_bus_post(bus, &m), 0);
        assert_int_equal(wakeups, 2);
        app_bus_free(bus); /* frees the queued message */
}

static void bus_keeps_room_for_important_messages(void **state)
{
        (void)state;
        struct app_bus *bus = app_bus_new(16);
        int accepted = 0;
        for (int i = 0; i < 32; i++) {
                struct app_msg m = {.type = APP_MSG_THUMB_READY};
                m.u.thumb.pixels = malloc(64); /* the bus owns it from here */
                if (app_bus_post(bus, &m) == 0)
                        accepted++;
        }
        assert_int_equal(accepted, 12); /* 3/4 of 16 */
        assert_int_equal(app_bus_post_error(bus, -1, "still-fits"), 0);
        struct app_msg q = {.type = APP_MSG_QUIT};
        for (int i = 0; i < 3; i++)
                assert_int_equal(app_bus_post(bus, &q), 0);
        assert_int_equal(app_bus_post(bus, &q), -ENOSPC);
        assert_int_equal(app_bus_length(bus), 16);
        app_bus_close(bus);
        struct app_msg out;
        assert_true(app_bus_pop(bus, &out));
        app_msg_done(&out);
        assert_int_equal(app_bus_post(bus, &q), -EPIPE);
        assert_true(app_bus_wait(bus, -1)); /* closed: returns at once */
        app_bus_free(bus);
}

static void bus_rejects_bad_arguments(void **state)
{
        (void)state;
        assert_null(app_bus_new(1));
        struct app_bus *bus = app_bus_new(16);
        struct app_msg m = {.type = _APP_MSG_MAX};
        assert_int_equal(app_bus_post(bus, &m), -EINVAL);
        assert_false(app_bus_wait(bus, 10));
        app_bus_free(bus);
        assert_null(app_bus_free(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(bus_delivers_every_message_in_per_producer_order),
                cmocka_unit_test(bus_wakeup_fires_once_until_drained),
                cmocka_unit_test(bus_keeps_room_for_important_messages),
                cmocka_unit_test(bus_rejects_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
