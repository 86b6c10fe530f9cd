/* Landlock in printkiosk-decode (app/decode/): where the kernel has Landlock,
 * a sandboxed helper can neither open /etc/passwd nor list "/", yet still
 * decodes the photos it is handed (through its input memfd); with the sandbox
 * switched off (PK_DECODE_NO_SECCOMP=1, debugging only) the same hook does
 * open /etc/passwd, so the check can fail. Skips, saying why, where the
 * kernel has no Landlock. Uses the corpus fixture ($PK_BUILD_DIR/corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/decode/decode_helper_test.h"
#include "app/decode_pool.h"
#include "image/probe.h"
#include "image/thumb.h"
#include "tests/hostile/decode_fixture.h"
#include "tests/testutil.h"

/* true when the helper runs under Landlock; prints why not otherwise */
static bool landlock_in_force(struct app_decode_pool *p)
{
        struct img_errbuf err = {{0}};
        int rc = app_decode_test(p, (enum app_decode_test_op)APP_DECODE_TEST_LANDLOCK, &err);
        if (rc == 0)
                return true;
        printf("SKIP: no Landlock for the decode helper on this kernel (%s): seccomp and rlimits only\n",
               err.msg);
        return false;
}

static void sandboxed_helper_cannot_open_etc_passwd_or_list_root(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(0);
        if (!landlock_in_force(p)) {
                app_decode_pool_free(p);
                skip();
        }
        struct img_errbuf err = {{0}};
        int rc = app_decode_test(p, (enum app_decode_test_op)APP_DECODE_TEST_READ_OUTSIDE, &err);
        printf("helper outside the sandbox: %s\n", err.msg[0] ? err.msg : "(no message)");
        if (rc == 0)
                fail_msg("the sandboxed helper opened /etc/passwd or listed /");
        assert_string_equal(err.msg, "/etc/passwd: refused; /: refused");
        app_decode_pool_free(p);
}

static void sandboxed_helper_still_decodes_the_photos_it_is_handed(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(0);
        bool ll = landlock_in_force(p);
        char *f = pk_test_strdupf("%s/corpus/srgb-icc.jpg", pk_test_build_dir());
        struct img_probe pool_pr, local_pr;
        struct img_errbuf err = {{0}};
        int rc = app_decode_probe(p, f, 0, &pool_pr, &err);
        if (rc != 0)
                fail_msg("probe through the %s helper: %s (%s)", ll ? "Landlocked" : "seccomp",
                         app_decode_strerror(rc), err.msg);
        assert_int_equal(img_probe_file(f, 0, &local_pr, &err), 0);
        assert_int_equal(pool_pr.width, local_pr.width);
        assert_int_equal(pool_pr.height, local_pr.height);
        assert_string_equal(pool_pr.sha256, local_pr.sha256);
        struct img_thumb_spec spec = {.size = 256, .quality = 85};
        struct img_pixels px = {0};
        rc = app_decode_thumb(p, f, &spec, &px, NULL, &err);
        if (rc != 0)
                fail_msg("thumbnail through the helper: %s (%s)", app_decode_strerror(rc), err.msg);
        assert_true(px.width == 256 || px.height == 256);
        img_pixels_free(&px);
        free(f);
        app_decode_pool_free(p);
}

static void without_the_sandbox_the_same_hook_reads_etc_passwd(void **state)
{
        (void)state;
        setenv("PK_DECODE_NO_SECCOMP", "1", 1);
        struct app_decode_pool *p = hostile_decode_pool(0);
        struct img_errbuf err = {{0}};
        int rc = app_decode_test(p, (enum app_decode_test_op)APP_DECODE_TEST_READ_OUTSIDE, &err);
        unsetenv("PK_DECODE_NO_SECCOMP");
        assert_int_equal(rc, 0); /* opened: the probe sees a missing sandbox */
        app_decode_pool_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sandboxed_helper_cannot_open_etc_passwd_or_list_root),
                cmocka_unit_test(sandboxed_helper_still_decodes_the_photos_it_is_handed),
                cmocka_unit_test(without_the_sandbox_the_same_hook_reads_etc_passwd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
