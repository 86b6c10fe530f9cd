/* image/: start-up and the stable error keywords the CLI's JSON relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/image.h"

static void strerror_gives_the_design_keywords(void **state)
{
        (void)state;
        assert_string_equal(img_strerror(IMG_E_EMPTY), "empty");
        assert_string_equal(img_strerror(IMG_E_TRUNCATED), "truncated");
        assert_string_equal(img_strerror(IMG_E_CORRUPT), "corrupt");
        assert_string_equal(img_strerror(IMG_E_UNSUPPORTED), "unsupported");
        assert_string_equal(img_strerror(IMG_E_TOO_MANY_PIXELS), "too-many-pixels");
        assert_string_equal(img_strerror(IMG_E_FILE_TOO_LARGE), "file-too-large");
        assert_string_equal(img_strerror(IMG_E_BAD_PROFILE), "bad-profile");
        assert_string_equal(img_strerror(IMG_E_UNREADABLE), "unreadable");
        assert_string_equal(img_strerror(_IMG_E_MIN), "unknown-error");
        assert_string_equal(img_strerror(5), "unknown-error");
}

static void init_rejects_zero_limits_and_keeps_defaults(void **state)
{
        (void)state;
        struct img_limits bad = {0};
        assert_int_equal(img_init(NULL, &bad), IMG_E_INVALID);
        assert_int_equal(img_get_limits()->max_pixels, 100000000ull);
        assert_int_equal(img_init(NULL, NULL), IMG_OK);
        assert_int_equal(img_init(NULL, NULL), IMG_OK); /* twice is fine */
        img_shutdown();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(strerror_gives_the_design_keywords),
                cmocka_unit_test(init_rejects_zero_limits_and_keeps_defaults),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
