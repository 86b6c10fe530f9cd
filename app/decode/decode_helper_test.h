/* Test hooks of printkiosk-decode beyond enum app_decode_test_op (app/decode_pool.h):
 * passed through app_decode_test() as plain numbers, honoured only when the
 * pool runs the helper with test hooks on. Used by tests/hostile. */
#pragma once

/* Open /etc/passwd and list "/" after sandboxing: status 0 when either
 * succeeded (the sandbox failed), IMG_E_IO when both were refused. */
#define APP_DECODE_TEST_READ_OUTSIDE 100
/* status 0 when Landlock restricts this helper, IMG_E_UNSUPPORTED when the
 * kernel has no Landlock (seccomp alone then); errmsg says which ABI. */
#define APP_DECODE_TEST_LANDLOCK 101
