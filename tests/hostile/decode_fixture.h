/* tests/hostile: the decode pool the helper tests start: one helper, test
 * hooks on (forged answers, crash/hang faults), a wall-clock timeout per
 * request (0: the pool's default). Fails the running cmocka test when the
 * pool cannot start. Include after <cmocka.h>. */
#pragma once
#include "app/decode_pool.h"

static inline struct app_decode_pool *hostile_decode_pool(int timeout_ms)
{
        struct app_decode_config cfg = APP_DECODE_CONFIG_DEFAULT;
        cfg.helpers = 1;
        if (timeout_ms > 0)
                cfg.timeout_ms = timeout_ms;
        cfg.test_hooks = true;
        struct app_decode_pool *p = NULL;
        struct img_errbuf err = {{0}};
        if (app_decode_pool_new(&cfg, &p, &err) != 0)
                fail_msg("pool: %s", err.msg);
        return p;
}
