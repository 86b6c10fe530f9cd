/* Transform records: JSON round trip, refusal of unknown versions/keys and bad
 * values, and determinism: the same spec renders byte-identical masters, a
 * re-render from the JSON record too, and a changed input is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "app/transform_record.h"
#include "colour_fixture.h"
#include "image/colour.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

static char *dir, *in;
static struct img_render_spec spec;
static struct img_render_result first;

static int setup(void **state)
{
        (void)state;
        if (img_init("test", NULL))
                return -1;
        dir = pk_test_mkdtemp("colour-rec");
        in = pk_test_strdupf("%s/in.jpg", dir);
        /* A JPEG big enough for shrink-on-load (2x) with an embedded P3 profile. */
        VipsImage *g = NULL, *c = NULL, *rgb = NULL;
        vips_xyz(&g, 3900, 2600, NULL);
        vips_cast(g, &c, VIPS_FORMAT_UCHAR, NULL);
        VipsImage *bands[3] = {c, c, c};
        vips_bandjoin(bands, &rgb, 3, NULL);
        char *p3 = fx_profile("DisplayP3.icc");
        gchar *icc;
        gsize len;
        g_file_get_contents(p3, &icc, &len, NULL);
        vips_image_set_blob_copy(rgb, VIPS_META_ICC_NAME, icc, len);
        int rc = vips_jpegsave(rgb, in, "Q", 90, NULL);
        g_free(icc);
        free(p3);
        g_object_unref(g);
        g_object_unref(c);
        g_object_unref(rgb);
        if (rc)
                return -1;
        char *out = pk_test_strdupf("%s/first.tif", dir);
        rc = fx_render(in, "PRINT-6X4", "glossy", out, &spec, &first);
        free(out);
        return rc;
}

static int teardown(void **state)
{
        (void)state;
        pk_test_rmtree(dir);
        free(dir);
        free(in);
        img_colour_cache_clear();
        img_shutdown();
        return 0;
}

static void record_round_trips_through_json(void **state)
{
        (void)state;
        json_t *a = app_record_from_spec(&spec, &first);
        char *text = json_dumps(a, JSON_COMPACT);
        struct img_render_spec back;
        struct img_errbuf eb = {""};
        assert_int_equal(app_record_parse(text, strlen(text), &back, &eb), 0);
        json_t *b = app_record_from_spec(&back, &first);
        assert_true(json_equal(a, b));
        assert_string_equal(json_string_value(json_object_get(json_object_get(a, "output"), "sha256")),
                            first.sha256);
        assert_int_equal(first.shrink, 2);
        json_decref(a);
        json_decref(b);
        free(text);
}

/* Modify the record with a JSON patch-like edit and expect refusal. */
static void expect_refused(const char *obj, const char *key, json_t *value, const char *why)
{
        json_t *r = app_record_from_spec(&spec, NULL);
        json_t *target = obj ? json_object_get(r, obj) : r;
        json_object_set_new(target, key, value);
        struct img_render_spec back;
        struct img_errbuf eb = {""};
        int rc = app_record_to_spec(r, &back, &eb);
        if (rc != IMG_E_INVALID || !strstr(eb.msg, why))
                fail_msg("%s.%s: rc %d msg '%s', want '%s'", obj ? obj : "", key, rc, eb.msg, why);
        json_decref(r);
}

static void record_refuses_unknown_versions_keys_and_bad_values(void **state)
{
        (void)state;
        expect_refused(NULL, "record_version", json_integer(2), "not supported");
        expect_refused(NULL, "colour_magic", json_true(), "unknown key");
        expect_refused("input", "sha256", json_string("abc"), "input_sha256");
        expect_refused("product", "dpi", json_integer(5000), "product.dpi");
        expect_refused("product", "width", json_integer(1801), "output size");
        expect_refused("crop", "w", json_real(1.5), "crop.w");
        expect_refused("paper", "intent", json_string("vivid"), "paper.intent");
        expect_refused(NULL, "rotate", json_integer(45), "rotate");
        char longp[5000];
        memset(longp, 'a', sizeof(longp) - 1);
        longp[sizeof(longp) - 1] = '\0';
        expect_refused("input", "path", json_string(longp), "bad length");
        struct img_render_spec back;
        struct img_errbuf eb = {""};
        assert_int_equal(app_record_parse("[1,2]", 5, &back, &eb), IMG_E_INVALID);
        assert_int_equal(app_record_parse("{", 1, &back, &eb), IMG_E_INVALID);
}

static void same_spec_and_rerender_from_record_are_byte_identical(void **state)
{
        (void)state;
        char *out2 = pk_test_strdupf("%s/second.tif", dir);
        char *out3 = pk_test_strdupf("%s/third.tif", dir);
        struct img_render_result r2, r3;
        struct img_errbuf eb = {""};
        assert_int_equal(img_render_master(&spec, out2, 0, &r2, &eb), 0);
        assert_string_equal(r2.sha256, first.sha256);
        json_t *rec = app_record_from_spec(&spec, &first);
        char *text = json_dumps(rec, JSON_COMPACT);
        struct img_render_spec back;
        assert_int_equal(app_record_parse(text, strlen(text), &back, &eb), 0);
        img_colour_cache_clear(); /* a fresh transform must give the same bytes */
        assert_int_equal(img_render_master(&back, out3, IMG_RENDER_VERIFY, &r3, &eb), 0);
        assert_string_equal(r3.sha256, first.sha256);
        char sha[65];
        assert_int_equal(img_sha256_file(out3, 1u << 30, sha, &eb), 0);
        assert_string_equal(sha, first.sha256);
        json_decref(rec);
        free(text);
        free(out2);
        free(out3);
}

static void rerender_refuses_a_changed_input(void **state)
{
        (void)state;
        char *copy = pk_test_strdupf("%s/changed.jpg", dir);
        char *out = pk_test_strdupf("%s/changed.tif", dir);
        size_t len;
        char *data = pk_test_read_file(in, &len);
        data[len - 3] ^= 1; /* inside the entropy data */
        assert_int_equal(pk_test_write_file(copy, data, len), 0);
        struct img_render_spec s = spec;
        snprintf(s.input_path, sizeof(s.input_path), "%s", copy);
        struct img_render_result r;
        struct img_errbuf eb = {""};
        assert_int_equal(img_render_master(&s, out, IMG_RENDER_VERIFY, &r, &eb), IMG_E_INVALID);
        assert_non_null(strstr(eb.msg, "input changed"));
        assert_int_equal(access(out, F_OK), -1); /* nothing written */
        free(data);
        free(copy);
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(record_round_trips_through_json),
                cmocka_unit_test(record_refuses_unknown_versions_keys_and_bad_values),
                cmocka_unit_test(same_spec_and_rerender_from_record_are_byte_identical),
                cmocka_unit_test(rerender_refuses_a_changed_input),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
