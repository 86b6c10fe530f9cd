/* Price list: the shipped assets/prices.ini is valid and covers the catalogue;
 * bad files are refused with the line of the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/prices.h"
#include "tests/testutil.h"

static void shipped_price_list_covers_every_sku_and_paper(void **state)
{
        char *path = pk_test_strdupf("%s/assets/prices.ini", pk_test_source_dir());
        struct app_prices *p = NULL;
        struct app_prices_error err = { 0 };
        if (app_prices_load(path, &p, &err) != 0)
                fail_msg("line %d: %s", err.line, err.message);
        assert_string_equal(app_prices_currency(p), "GBP");
        assert_true(strlen(app_prices_version(p)) > 0);
        const char *skus[] = { "PRINT-6X4", "PRINT-7X5", "PRINT-8X6", "PRINT-10X8", "PRINT-6X6", "PRINT-3X4-2UP" };
        const char *papers[] = { "glossy", "lustre" };
        for (size_t i = 0; i < 6; i++)
                for (size_t k = 0; k < 2; k++) {
                        int64_t unit = -1;
                        if (app_prices_lookup(p, skus[i], papers[k], &unit) != 0)
                                fail_msg("no price for %s %s", skus[i], papers[k]);
                        assert_true(unit > 0 && unit <= APP_PRICES_MAX_UNIT);
                }
        int64_t unit;
        assert_int_equal(app_prices_lookup(p, "PRINT-6X4", "matte", &unit), -1);
        struct store_price_list l;
        app_prices_store_list(p, &l);
        assert_int_equal(l.n_prices, 12);
        assert_string_equal(l.currency, "GBP");
        app_prices_free(p);
        free(path);
}

static void bad_files_name_their_line(void **state)
{
        static const char head[] = "[prices]\nversion=2026-11\ncurrency=GBP\n";
        struct {
                const char *body;
                int line;
                const char *what;
        } cases[] = {
                { "[PRINT-6X4]\nglossy=0.35\n", 5, "decimals" },
                { "[PRINT-6X4]\nglossy=-35\n", 5, "negative" },
                { "[PRINT-6X4]\nglossy=+35\n", 5, "sign" },
                { "[PRINT-6X4]\nglossy=1e3\n", 5, "exponent" },
                { "[PRINT-6X4]\nglossy=035\n", 5, "leading zero" },
                { "[PRINT-6X4]\nglossy=99999999\n", 5, "too large" },
                { "[PRINT-6X4]\nglossy=\n", 5, "empty" },
                { "[PRINT-6X4]\nglossy=35\nglossy=36\n", 6, "duplicate key" },
                { "[PRINT-6X4]\nthis is not a key\n", 5, "not key=value" },
                { "[print-6x4]\nglossy=35\n", 4, "lower-case SKU" },
                { "[PRINT-6X4]\nGlossy=35\n", 5, "upper-case paper" },
                { "[PRINT-6X4\nglossy=35\n", 4, "unclosed group" },
                { "[PRINT-6X4]\n", 4, "no papers" },
                { "[PRINT-6X4]\nglossy=35\n[PRINT-6X4]\nlustre=1\n", 6, "group twice" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *text = pk_test_strdupf("%s%s", head, cases[i].body);
                struct app_prices *p = NULL;
                struct app_prices_error err = { 0 };
                int r = app_prices_parse(text, strlen(text), &p, &err);
                if (r != -1 || p)
                        fail_msg("%s: accepted", cases[i].what);
                if (err.line != cases[i].line)
                        fail_msg("%s: line %d, expected %d (%s)", cases[i].what, err.line, cases[i].line,
                                 err.message);
                assert_true(strlen(err.message) > 0);
                free(text);
        }
        const char *whole[] = { "[PRINT-6X4]\nglossy=35\n", "[prices]\nversion=1\ncurrency=gbp\n[A]\nb=1\n",
                                "[prices]\nversion=1\n[A]\nb=1\n", "[prices]\nversion=1\ncurrency=GBP\n" };
        for (size_t i = 0; i < 4; i++) {
                struct app_prices *p = NULL;
                assert_int_equal(app_prices_parse(whole[i], strlen(whole[i]), &p, NULL), -1);
                assert_null(p);
        }
        char nul[] = "[prices]\nversion=1\0\ncurrency=GBP\n";
        struct app_prices *p = NULL;
        assert_int_equal(app_prices_parse(nul, sizeof(nul) - 1, &p, NULL), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(shipped_price_list_covers_every_sku_and_paper),
                cmocka_unit_test(bad_files_name_their_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
