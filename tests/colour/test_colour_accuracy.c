/* Colour correctness of print masters: ColorChecker patches in sRGB (assumed),
 * Adobe RGB and Display P3 (embedded) go through the whole master pipeline and,
 * independently, through a direct lcms2 cmsDoTransform with the same profiles,
 * intent and BPC. Both results are taken to Lab through the paper profile and
 * compared with ΔE2000: mean <= 0.5, max <= 1.5. Also: master size, embedded
 * paper profile, transform cache reuse, and the soft proof's gamut warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "colour_fixture.h"
#include "image/colour.h"
#include "image/proof.h"
#include "tests/testutil.h"

#include <lcms2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATCH 100 /* source px; the 6x4 master makes it 300 px */

static char *dir;

static int setup(void **state)
{
        (void)state;
        assert_int_equal(img_init("test", NULL), 0);
        dir = pk_test_mkdtemp("colour-acc");
        return dir ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        pk_test_rmtree(dir);
        free(dir);
        img_colour_cache_clear();
        img_shutdown();
        return 0;
}

/* Mean of a 40x40 box at the centre of patch i of the master. */
static void sample(const uint8_t *px, int w, int i, int scale, double out[3])
{
        int cx = (i % 6) * PATCH * scale + PATCH * scale / 2, cy = (i / 6) * PATCH * scale + PATCH * scale / 2;
        double s[3] = {0, 0, 0};
        for (int y = cy - 20; y < cy + 20; y++)
                for (int x = cx - 20; x < cx + 20; x++)
                        for (int c = 0; c < 3; c++)
                                s[c] += px[((size_t)y * w + x) * 3 + c];
        for (int c = 0; c < 3; c++)
                out[c] = s[c] / 1600.0;
}

static void check_source(const char *src_icc_name, const char *paper_name)
{
        char *in = pk_test_strdupf("%s/in-%s.png", dir, src_icc_name ? src_icc_name : "none");
        char *out = pk_test_strdupf("%s/m-%s-%s.tif", dir, src_icc_name ? src_icc_name : "none",
                                    paper_name);
        char *src_path = fx_profile(src_icc_name ? src_icc_name : "sRGB.icc");
        assert_int_equal(fx_write_macbeth_png(in, PATCH, src_icc_name ? src_path : NULL, false), 0);
        struct img_render_spec spec;
        struct img_render_result res;
        assert_int_equal(fx_render(in, "PRINT-6X4", paper_name, out, &spec, &res), 0);
        int w, h;
        char icc_sha[65];
        uint8_t *px = fx_read_rgb8(out, &w, &h, icc_sha);
        assert_non_null(px);
        assert_int_equal(w, 1800);
        assert_int_equal(h, 1200);
        assert_string_equal(icc_sha, spec.profile_sha256); /* paper profile embedded */

        /* The independent path: profiles opened from their files here. */
        cmsHPROFILE src = cmsOpenProfileFromFile(src_path, "r");
        cmsHPROFILE paper = cmsOpenProfileFromFile(spec.profile_path, "r");
        cmsHPROFILE lab = cmsCreateLab4Profile(NULL);
        assert_non_null(src);
        assert_non_null(paper);
        cmsHTRANSFORM direct = cmsCreateTransform(
                src, TYPE_RGB_8, paper, TYPE_RGB_8, (cmsUInt32Number)spec.intent,
                spec.bpc ? cmsFLAGS_BLACKPOINTCOMPENSATION : 0);
        cmsHTRANSFORM to_lab = cmsCreateTransform(paper, TYPE_RGB_DBL, lab, TYPE_Lab_DBL,
                                                  INTENT_RELATIVE_COLORIMETRIC, 0);
        assert_non_null(direct);
        assert_non_null(to_lab);
        double sum = 0, max = 0;
        print_message("source %s -> %s (%s, bpc %d)\n", src_icc_name ? src_icc_name : "assumed sRGB",
                      paper_name, img_intent_name(spec.intent), spec.bpc);
        for (int i = 0; i < 24; i++) {
                uint8_t want8[3];
                cmsDoTransform(direct, fx_macbeth[i], want8, 1);
                double got[3], want[3] = {want8[0] / 255.0, want8[1] / 255.0, want8[2] / 255.0};
                sample(px, w, i, 3, got);
                for (int c = 0; c < 3; c++)
                        got[c] /= 255.0;
                cmsCIELab lg, lw;
                cmsDoTransform(to_lab, got, &lg, 1);
                cmsDoTransform(to_lab, want, &lw, 1);
                double de = cmsCIE2000DeltaE(&lg, &lw, 1, 1, 1);
                sum += de;
                max = de > max ? de : max;
                print_message("  patch %2d  master Lab %6.2f %6.2f %6.2f  lcms2 Lab %6.2f %6.2f %6.2f  dE00 %.3f\n",
                              i + 1, lg.L, lg.a, lg.b, lw.L, lw.a, lw.b, de);
        }
        print_message("  dE2000 mean %.3f max %.3f (limits 0.5 / 1.5)\n", sum / 24, max);
        assert_true(sum / 24 <= 0.5);
        assert_true(max <= 1.5);
        cmsDeleteTransform(direct);
        cmsDeleteTransform(to_lab);
        cmsCloseProfile(src);
        cmsCloseProfile(paper);
        cmsCloseProfile(lab);
        free(px);
        free(in);
        free(out);
        free(src_path);
}

static void srgb_assumed_matches_direct_lcms2_on_both_papers(void **state)
{
        (void)state;
        check_source(NULL, "glossy");
        check_source(NULL, "lustre");
}

static void adobe_rgb_embedded_matches_direct_lcms2(void **state)
{
        (void)state;
        check_source("AdobeRGB1998-compatible.icc", "glossy");
        check_source("AdobeRGB1998-compatible.icc", "lustre");
}

static void display_p3_embedded_matches_direct_lcms2(void **state)
{
        (void)state;
        check_source("DisplayP3.icc", "glossy");
        check_source("DisplayP3.icc", "lustre");
}

static void portrait_photo_gives_portrait_master_and_cache_is_reused(void **state)
{
        (void)state;
        char *in = pk_test_strdupf("%s/portrait.png", dir);
        char *out = pk_test_strdupf("%s/portrait.tif", dir);
        assert_int_equal(fx_write_macbeth_png(in, 50, NULL, true), 0);
        struct img_render_spec spec;
        struct img_render_result res;
        struct img_colour_stats before, after;
        assert_int_equal(fx_render(in, "PRINT-6X4", "glossy", out, &spec, &res), 0);
        img_colour_cache_stats(&before);
        assert_int_equal(fx_render(in, "PRINT-6X4", "glossy", out, &spec, &res), 0);
        img_colour_cache_stats(&after);
        assert_int_equal(res.width, 1200);
        assert_int_equal(res.height, 1800);
        assert_int_equal(after.misses, before.misses); /* second master built no transform */
        assert_int_equal(after.hits, before.hits + 1);
        free(in);
        free(out);
}

static void proof_fits_the_box_and_marks_out_of_gamut_colours(void **state)
{
        (void)state;
        char *in = pk_test_strdupf("%s/p3.png", dir);
        char *p3 = fx_profile("DisplayP3.icc");
        char *pdir = pk_test_strdupf("%s/profiles", pk_test_source_dir());
        assert_int_equal(fx_write_macbeth_png(in, 100, p3, false), 0);
        struct img_probe pr;
        struct img_errbuf eb = {""};
        assert_int_equal(img_probe_file(in, 0, &pr, &eb), 0);
        struct img_manifest *m = NULL;
        struct img_paper paper;
        assert_int_equal(img_manifest_load(pdir, &m, &eb), 0);
        assert_int_equal(img_paper_lookup(m, NULL, "lustre", &paper, &eb), 0);
        struct img_proof_spec spec = IMG_PROOF_SPEC_DEFAULT;
        spec.profiles_dir = pdir;
        spec.width = 300, spec.height = 300;
        struct img_pixels plain = {0}, warn = {0};
        struct img_proof_info ip, iw;
        assert_int_equal(img_proof_to_pixels(in, &pr, &paper, &spec, &plain, &ip, &eb), 0);
        spec.gamut_warning = true;
        assert_int_equal(img_proof_to_pixels(in, &pr, &paper, &spec, &warn, &iw, &eb), 0);
        assert_int_equal(plain.width, 300);
        assert_int_equal(plain.height, 200);
        size_t magenta = 0;
        for (int i = 0; i < plain.width * plain.height; i++)
                magenta += plain.data[3 * i] == 255 && plain.data[3 * i + 1] == 0 &&
                           plain.data[3 * i + 2] == 255;
        print_message("out of lustre gamut: %.1f %% of the P3 chart\n", iw.out_of_gamut * 100);
        assert_int_equal(magenta, 0);
        assert_true(iw.out_of_gamut > 0.01);
        assert_true(iw.out_of_gamut < 0.9); /* neutrals are printable */
        img_pixels_free(&plain);
        img_pixels_free(&warn);
        img_manifest_free(m);
        free(in);
        free(p3);
        free(pdir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(srgb_assumed_matches_direct_lcms2_on_both_papers),
                cmocka_unit_test(adobe_rgb_embedded_matches_direct_lcms2),
                cmocka_unit_test(display_p3_embedded_matches_direct_lcms2),
                cmocka_unit_test(portrait_photo_gives_portrait_master_and_cache_is_reused),
                cmocka_unit_test(proof_fits_the_box_and_marks_out_of_gamut_colours),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
