/* app/config: printkiosk.conf is checked value by value, problems carry their
 * line numbers, and the secrets file must be private. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/config.h"
#include "tests/testutil.h"

static char *write_tmp(const char *dir, const char *name, const char *text)
{
        char *p = pk_test_strdupf("%s/%s", dir, name);
        assert_int_equal(pk_test_write_file(p, text, strlen(text)), 0);
        return p;
}

static void shipped_example_is_valid(void **state)
{
        (void)state;
        char *p = pk_test_strdupf("%s/app/deploy/printkiosk.conf.example", pk_test_source_dir());
        struct app_config cfg;
        struct app_config_report rep;
        app_config_defaults(&cfg);
        int r = app_config_load(p, &cfg, &rep);
        if (r != 0)
                print_message("first issue: line %d %s %s\n", rep.issues[0].line, rep.issues[0].key,
                              rep.issues[0].message);
        assert_int_equal(r, 0);
        assert_string_equal(cfg.kiosk_id, "kiosk-0001");
        assert_int_equal(cfg.n_languages, 2);
        assert_string_equal(cfg.languages[1], "de");
        assert_int_equal(cfg.n_printers, 1);
        assert_string_equal(cfg.printers[0].queue, "dyesub");
        free(p);
}

static void bad_values_are_reported_with_their_lines(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("config");
        char *p = write_tmp(dir, "bad.conf",
                            "[kiosk]\n"                 /* 1 */
                            "id = kiosk 1\n"            /* 2: space */
                            "session_timeout = 10x\n"   /* 3 */
                            "colour = blue\n"           /* 4: unknown key */
                            "[central]\n"               /* 5 */
                            "url = http://example.com\n" /* 6: plain http off loopback */
                            "[prices]\n"                /* 7 */
                            "currency = pounds\n"       /* 8 */
                            "[printer x]\n");           /* 9: no queue */
        struct app_config cfg;
        struct app_config_report rep;
        app_config_defaults(&cfg);
        assert_int_equal(app_config_load(p, &cfg, &rep), -1);
        int want_lines[] = {2, 3, 4, 6, 8, 9};
        for (size_t i = 0; i < sizeof(want_lines) / sizeof(want_lines[0]); i++) {
                int found = 0;
                for (int j = 0; j < rep.n_issues; j++)
                        found |= rep.issues[j].line == want_lines[i];
                if (!found)
                        print_message("no issue reported on line %d\n", want_lines[i]);
                assert_true(found);
        }
        assert_int_equal(cfg.session_timeout_s, 180); /* bad value keeps the default */
        pk_test_rmtree(dir);
        free(p);
        free(dir);
}

static void syntax_error_and_missing_file_fail_cleanly(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("config");
        char *p = write_tmp(dir, "syntax.conf", "[kiosk\nid=1\n");
        struct app_config cfg;
        struct app_config_report rep;
        app_config_defaults(&cfg);
        assert_int_equal(app_config_load(p, &cfg, &rep), -1);
        assert_true(rep.n_issues >= 1);
        assert_int_equal(app_config_load("/nonexistent/x.conf", &cfg, &rep), -1);
        pk_test_rmtree(dir);
        free(p);
        free(dir);
}

static void secret_must_be_private_and_hex(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("config");
        char *s = write_tmp(dir, "secret.conf",
                            "[central]\nsecret = "
                            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
        struct app_config cfg;
        app_config_defaults(&cfg);
        snprintf(cfg.secret_file, sizeof(cfg.secret_file), "%s", s);
        uint8_t key[32] = {0};
        chmod(s, 0644);
        assert_int_equal(app_config_load_secret(&cfg, key, NULL), -1);
        chmod(s, 0600);
        assert_int_equal(app_config_load_secret(&cfg, key, NULL), 0);
        for (int i = 0; i < 32; i++)
                assert_int_equal(key[i], i);
        free(s);
        s = write_tmp(dir, "secret2.conf", "[central]\nsecret = ABCD\n");
        chmod(s, 0600);
        snprintf(cfg.secret_file, sizeof(cfg.secret_file), "%s", s);
        assert_int_equal(app_config_load_secret(&cfg, key, NULL), -1);
        pk_test_rmtree(dir);
        free(s);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(shipped_example_is_valid),
                cmocka_unit_test(bad_values_are_reported_with_their_lines),
                cmocka_unit_test(syntax_error_and_missing_file_fail_cleanly),
                cmocka_unit_test(secret_must_be_private_and_hex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
