/* image/catalogue + image/paper: the shipped files load, every field is
 * checked, and every error names its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/catalogue.h"
#include "image/paper.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void shipped_catalogue_has_the_products_with_pwg_media(void **state)
{
        (void)state;
        char *path = pk_test_strdupf("%s/assets/catalogue.ini", pk_test_source_dir());
        struct img_catalogue *c = NULL;
        struct img_errbuf eb = {""};
        assert_int_equal(img_catalogue_load(path, &c, &eb), 0);
        const char *skus[] = {"PRINT-6X4", "PRINT-7X5", "PRINT-8X6", "PRINT-10X8", "PRINT-6X6",
                              "PRINT-3X4-2UP"};
        for (size_t i = 0; i < 6; i++)
                assert_non_null(img_catalogue_find(c, skus[i]));
        const struct img_product *p = img_catalogue_find(c, "PRINT-6X4");
        assert_float_equal(p->long_in, 6.0, 1e-9);
        assert_float_equal(p->short_in, 4.0, 1e-9);
        assert_int_equal(p->dpi, 300);
        assert_string_equal(p->media, "na_index-4x6_4x6in");
        assert_true(p->strong_dpi < p->warn_dpi);
        assert_int_equal(img_catalogue_find(c, "PRINT-3X4-2UP")->up, 2);
        assert_null(img_catalogue_find(c, "NOPE"));
        img_catalogue_free(c);
        free(path);
}

static const char good[] = "# c\n[product A-1]\nname=x\nsize=152x102mm\ndpi=300\nbleed_mm=1\n"
                           "borderless=true\nborder_mm=0\nmedia=na_index-4x6_4x6in\nup=1\n"
                           "warn_dpi=150\nstrong_dpi=100\n";

/* Replace the line starting with `key=` in good[] and expect failure on that line. */
static void expect_line(const char *key, const char *value, int line)
{
        char buf[1024], needle[64];
        snprintf(needle, sizeof(needle), "\n%s=", key);
        const char *at = strstr(good, needle);
        assert_non_null(at);
        const char *eol = strchr(at + 1, '\n');
        snprintf(buf, sizeof(buf), "%.*s\n%s=%s%s", (int)(at - good), good, key, value, eol);
        struct img_catalogue *c = NULL;
        struct img_errbuf eb = {""};
        int rc = img_catalogue_parse(buf, strlen(buf), &c, &eb);
        char want[32];
        snprintf(want, sizeof(want), "line %d:", line);
        if (rc != IMG_E_INVALID || strncmp(eb.msg, want, strlen(want)) != 0)
                fail_msg("%s=%s: rc %d msg '%s', want '%s'", key, value, rc, eb.msg, want);
        assert_null(c);
}

static void catalogue_errors_name_the_line_of_the_bad_field(void **state)
{
        (void)state;
        struct img_catalogue *c = NULL;
        struct img_errbuf eb = {""};
        assert_int_equal(img_catalogue_parse(good, strlen(good), &c, &eb), 0);
        const struct img_product *p = img_catalogue_at(c, 0);
        assert_float_equal(p->long_in, 152 / 25.4, 1e-9);
        img_catalogue_free(c);
        expect_line("dpi", "99", 5);
        expect_line("dpi", "300x", 5);
        expect_line("bleed_mm", "-1", 6);
        expect_line("size", "6x4ft", 4);
        expect_line("size", "0x4in", 4);
        expect_line("media", "na 4x6", 9);
        expect_line("up", "3", 10);
        expect_line("strong_dpi", "150", 12);
        expect_line("borderless", "yes", 7);
}

static void catalogue_rejects_syntax_unknown_keys_duplicates_and_size(void **state)
{
        (void)state;
        struct img_catalogue *c = NULL;
        struct img_errbuf eb = {""};
        const char *bad_syntax = "[product A]\nname=x\nthis is not ini\n";
        assert_int_equal(img_catalogue_parse(bad_syntax, strlen(bad_syntax), &c, &eb), IMG_E_INVALID);
        assert_string_equal(eb.msg, "line 3: expected key=value");
        char *unknown = pk_test_strdupf("%scolour=red\n", good);
        assert_int_equal(img_catalogue_parse(unknown, strlen(unknown), &c, &eb), IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 13:"));
        assert_non_null(strstr(eb.msg, "unknown key"));
        char *dup = pk_test_strdupf("%s%s", good, strchr(good, '['));
        assert_int_equal(img_catalogue_parse(dup, strlen(dup), &c, &eb), IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 13: duplicate"));
        size_t big = IMG_CATALOGUE_MAX_BYTES + 1;
        char *huge = malloc(big);
        memset(huge, '#', big);
        assert_int_equal(img_catalogue_parse(huge, big, &c, &eb), IMG_E_FILE_TOO_LARGE);
        assert_int_equal(img_catalogue_parse("", 0, &c, &eb), IMG_E_INVALID);
        assert_null(c);
        free(unknown);
        free(dup);
        free(huge);
}

static void shipped_manifest_resolves_papers_and_printer_overrides(void **state)
{
        (void)state;
        char *dir = pk_test_strdupf("%s/profiles", pk_test_source_dir());
        struct img_manifest *m = NULL;
        struct img_errbuf eb = {""};
        assert_int_equal(img_manifest_load(dir, &m, &eb), 0);
        struct img_paper g, l, le;
        assert_int_equal(img_paper_lookup(m, NULL, "glossy", &g, &eb), 0);
        assert_non_null(strstr(g.profile_path, "pk-glossy.icc"));
        assert_int_equal(strlen(g.profile_sha256), 64);
        assert_int_equal(g.intent, IMG_INTENT_PERCEPTUAL);
        assert_true(g.bpc);
        assert_int_equal(img_paper_lookup(m, "Unknown Model", "lustre", &l, &eb), 0);
        assert_int_equal(l.intent, IMG_INTENT_RELATIVE);
        assert_int_equal(img_paper_lookup(m, "Example Printer", "lustre", &le, &eb), 0);
        assert_int_equal(le.intent, IMG_INTENT_PERCEPTUAL); /* per-printer override */
        assert_string_equal(le.profile_sha256, l.profile_sha256);
        assert_string_not_equal(g.profile_sha256, l.profile_sha256);
        assert_int_equal(img_paper_lookup(m, NULL, "canvas", &g, &eb), IMG_E_INVALID);
        img_manifest_free(m);
        free(dir);
}

static void manifest_errors_name_their_line(void **state)
{
        (void)state;
        struct img_manifest *m = NULL;
        struct img_errbuf eb = {""};
        const char *bad_intent = "[paper a]\nname=A\nprofile=a.icc\nintent=vivid\nbpc=true\n"
                                 "sharpen_sigma=0\nsharpen_amount=0\n";
        assert_int_equal(img_manifest_parse(bad_intent, strlen(bad_intent), "/x", &m, &eb),
                         IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 4:"));
        const char *escape = "[paper a]\nname=A\nprofile=../../etc/x.icc\nintent=relative\n"
                             "bpc=true\nsharpen_sigma=0\nsharpen_amount=0\n";
        assert_int_equal(img_manifest_parse(escape, strlen(escape), "/x", &m, &eb), IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 3:"));
        const char *unknown_paper = "[paper a]\nname=A\nprofile=a.icc\nintent=relative\nbpc=true\n"
                                    "sharpen_sigma=0\nsharpen_amount=0\n[printer P]\nb=b.icc\n";
        assert_int_equal(img_manifest_parse(unknown_paper, strlen(unknown_paper), "/x", &m, &eb),
                         IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 9:"));
        const char *missing = "[paper a]\nname=A\n";
        assert_int_equal(img_manifest_parse(missing, strlen(missing), "/x", &m, &eb), IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "line 1:"));
        assert_null(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(shipped_catalogue_has_the_products_with_pwg_media),
                cmocka_unit_test(catalogue_errors_name_the_line_of_the_bad_field),
                cmocka_unit_test(catalogue_rejects_syntax_unknown_keys_duplicates_and_size),
                cmocka_unit_test(shipped_manifest_resolves_papers_and_printer_overrides),
                cmocka_unit_test(manifest_errors_name_their_line),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
