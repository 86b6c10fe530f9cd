/* app/strip_metadata: GPS and owner/serial/comment EXIF go, orientation,
 * capture time, ICC and every byte of image data stay; hostile JPEG
 * structures are refused, never crash. Photos are made with vips and
 * exiftool in a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/strip_metadata.h"
#include "image/probe.h"
#include "tests/testutil.h"

#define CANARY "PKCANARY7731"

static char *dir;

static int run(const char *cmd)
{
        int rc = system(cmd);
        if (rc != 0)
                print_error("command failed (%d): %s\n", rc, cmd);
        return rc;
}

static const uint8_t *find(const uint8_t *hay, size_t n, const char *needle)
{
        size_t k = strlen(needle);
        for (size_t i = 0; i + k <= n; i++)
                if (memcmp(hay + i, needle, k) == 0)
                        return hay + i;
        return NULL;
}

static size_t sos_offset(const uint8_t *b, size_t n)
{
        size_t i = 2;
        while (i + 4 <= n && b[i] == 0xff && b[i + 1] != 0xda)
                i += 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
        return i;
}

static void private_mode_drops_gps_and_owner_but_keeps_orientation_and_pixels(void **state)
{
        (void)state;
        char *src = pk_test_strdupf("%s/in.jpg", dir), *dst = pk_test_strdupf("%s/out.jpg", dir);
        char *cmd = pk_test_strdupf(
                "vips black %s/b.v 120 80 --bands 3 >/dev/null && vips copy %s/b.v '%s[Q=80]' && "
                "exiftool -q -overwrite_original -Orientation#=6 -DateTimeOriginal='2023:06:01 09:07:13' "
                "-Make=Canon -Model=EOS -GPSLatitude=47.5 -GPSLatitudeRef=N -GPSLongitude=8.7 "
                "-GPSLongitudeRef=E -SerialNumber=" CANARY "SN -OwnerName=" CANARY "OWN "
                "-Artist=" CANARY "ART -UserComment=" CANARY "UC -XMP:Description=" CANARY "XMP "
                "-IPTC:Caption-Abstract=" CANARY "IPTC -Comment=" CANARY "COM '%s'",
                dir, dir, src, src);
        assert_int_equal(run(cmd), 0);
        size_t n_in = 0, n_out = 0;
        uint8_t *a = (uint8_t *)pk_test_read_file(src, &n_in);
        assert_non_null(find(a, n_in, CANARY));
        struct app_strip_report rep;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_strip_jpeg_file(src, dst, APP_STRIP_PRIVATE, &rep, &err), 0);
        uint8_t *b = (uint8_t *)pk_test_read_file(dst, &n_out);
        assert_null(find(b, n_out, CANARY));
        assert_true(rep.gps_entries_removed >= 4);
        assert_true(rep.tags_blanked >= 3);
        assert_true(rep.segments_dropped >= 3); /* XMP, APP13, COM */
        /* Image data byte-identical: no re-encode. */
        size_t sa = sos_offset(a, n_in), sb = sos_offset(b, n_out);
        assert_int_equal(n_in - sa, n_out - sb);
        assert_memory_equal(a + sa, b + sb, n_in - sa);
        struct img_probe p;
        assert_int_equal(img_probe_file(dst, 0, &p, &err), 0);
        assert_int_equal(p.orientation, 6);
        assert_string_equal(p.captured_at, "2023-06-01T09:07:13");
        free(cmd);
        cmd = pk_test_strdupf("exiftool -q -q -s -s -s -gps:all '%s' | grep -q . && exit 1 || exit 0", dst);
        assert_int_equal(run(cmd), 0);
        free(cmd);
        free(a);
        free(b);
        free(src);
        free(dst);
}

static void all_mode_drops_every_app1(void **state)
{
        (void)state;
        char *src = pk_test_strdupf("%s/in.jpg", dir), *dst = pk_test_strdupf("%s/all.jpg", dir);
        struct img_errbuf err = {{0}};
        assert_int_equal(app_strip_jpeg_file(src, dst, APP_STRIP_ALL, NULL, &err), 0);
        size_t n = 0;
        uint8_t *b = (uint8_t *)pk_test_read_file(dst, &n);
        assert_null(find(b, n, "Exif"));
        assert_null(find(b, n, CANARY));
        struct img_probe p;
        assert_int_equal(img_probe_file(dst, 0, &p, &err), 0);
        assert_int_equal(p.orientation, 1);
        free(b);
        free(src);
        free(dst);
}

static void hostile_structures_are_refused_or_survive(void **state)
{
        (void)state;
        const uint8_t not_jpeg[] = "\x89PNG\r\n\x1a\n....";
        const uint8_t cut[] = {0xff, 0xd8, 0xff, 0xe1, 0x40, 0x00, 'E', 'x'};
        const uint8_t zero_len[] = {0xff, 0xd8, 0xff, 0xe1, 0x00, 0x00, 0xff, 0xda, 0, 2};
        /* EXIF with an IFD0 that points to itself as IFD1 and a GPS pointer to itself. */
        const uint8_t loop[] = {0xff, 0xd8, 0xff, 0xe1, 0x00, 0x2e, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', '*', 0,
                                8, 0, 0, 0, 2, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0,
                                0x69, 0x87, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 0xff, 0xda, 0, 2, 0xff, 0xd9};
        uint8_t *out = NULL;
        size_t n = 0;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_strip_jpeg(not_jpeg, sizeof(not_jpeg), 0, &out, &n, NULL, &err), IMG_E_UNSUPPORTED);
        assert_int_equal(app_strip_jpeg(cut, sizeof(cut), 0, &out, &n, NULL, &err), IMG_E_TRUNCATED);
        assert_int_equal(app_strip_jpeg(zero_len, sizeof(zero_len), 0, &out, &n, NULL, &err), IMG_E_TRUNCATED);
        assert_non_null(err.msg[0] ? err.msg : NULL);
        assert_int_equal(app_strip_jpeg(loop, sizeof(loop), 0, &out, &n, NULL, &err), 0);
        assert_int_equal(n, sizeof(loop));
        free(out);
}

static int setup(void **state)
{
        (void)state;
        dir = pk_test_mkdtemp("strip");
        return dir ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        pk_test_rmtree(dir);
        free(dir);
        return 0;
}

int main(void)
{
        img_init(NULL, NULL);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(private_mode_drops_gps_and_owner_but_keeps_orientation_and_pixels),
                cmocka_unit_test(all_mode_drops_every_app1),
                cmocka_unit_test(hostile_structures_are_refused_or_survive),
        };
        int rc = cmocka_run_group_tests(tests, setup, teardown);
        img_shutdown();
        return rc;
}
