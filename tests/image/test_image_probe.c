/* image/probe: every corpus file gets the verdict and fields expected.tsv
 * lists; sniffing, hashing, limits and the EXIF reader on crafted input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/exif_internal.h"
#include "image/probe.h"
#include "tests/image/corpus_util.h"
#include "tests/testutil.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *source_name(enum img_colour_source s)
{
        return s == IMG_COLOUR_ICC ? "icc" : s == IMG_COLOUR_EXIF ? "exif" : "assumed";
}

static void every_corpus_file_gets_its_expected_verdict(void **state)
{
        (void)state;
        static struct corpus_row rows[CORPUS_MAX_ROWS];
        int n = corpus_load(rows, CORPUS_MAX_ROWS);
        assert_true(n >= 30);
        int failures = 0;
        for (int i = 0; i < n; i++) {
                const struct corpus_row *r = &rows[i];
                char *path = corpus_path(r->file);
                struct img_probe p;
                struct img_errbuf eb = {.msg = ""};
                int rc = img_probe_file(path, 0, &p, &eb);
                free(path);
                const char *got = rc == 0 ? "ok" : img_strerror(rc);
#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        print_error("%s: ", r->file);                                              \
                        print_error(__VA_ARGS__);                                                  \
                        print_error("\n");                                                         \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)
                CHECK(strcmp(got, r->verdict) == 0, "verdict %s (%s), want %s", got, eb.msg, r->verdict);
                if (rc != 0 || strcmp(r->verdict, "ok") != 0)
                        continue;
                if (strcmp(r->format, "-") != 0)
                        CHECK(strcmp(img_format_name(p.format), r->format) == 0, "format %s, want %s",
                              img_format_name(p.format), r->format);
                if (strcmp(r->orientation, "-") != 0)
                        CHECK(p.orientation == atoi(r->orientation), "orientation %d, want %s",
                              p.orientation, r->orientation);
                if (strcmp(r->colour_source, "-") != 0)
                        CHECK(strcmp(source_name(p.colour_source), r->colour_source) == 0,
                              "colour source %s, want %s", source_name(p.colour_source), r->colour_source);
                if (strcmp(r->colour_name, "-") != 0)
                        CHECK(strcmp(p.colour_name, r->colour_name) == 0, "colour name '%s', want '%s'",
                              p.colour_name, r->colour_name);
                if (strcmp(r->oriented_w, "-") != 0)
                        CHECK(p.oriented_width == atoi(r->oriented_w) &&
                                      p.oriented_height == atoi(r->oriented_h),
                              "oriented %dx%d, want %sx%s", p.oriented_width, p.oriented_height,
                              r->oriented_w, r->oriented_h);
                /* Stored size and orientation agree with the oriented size. */
                CHECK((p.orientation >= 5 ? p.height : p.width) == p.oriented_width, "stored/oriented mismatch");
                CHECK(strlen(p.sha256) == 64, "sha256 '%s'", p.sha256);
                CHECK(p.bits == 8 || p.bits == 16, "bits %d", p.bits);
#undef CHECK
        }
        assert_int_equal(failures, 0);
}

static struct img_probe probe_ok(const char *file, unsigned flags)
{
        char *path = corpus_path(file);
        struct img_probe p;
        struct img_errbuf eb = {.msg = ""};
        int rc = img_probe_file(path, flags, &p, &eb);
        if (rc != 0)
                print_error("%s: %s %s\n", file, img_strerror(rc), eb.msg);
        assert_int_equal(rc, 0);
        free(path);
        return p;
}

static void sha256_is_the_hash_of_the_file_bytes_and_no_hash_skips_it(void **state)
{
        (void)state;
        char *path = corpus_path("noprofile.jpg");
        size_t len = 0;
        char *bytes = pk_test_read_file(path, &len);
        assert_non_null(bytes);
        gchar *want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, len);
        struct img_probe p = probe_ok("noprofile.jpg", 0);
        assert_string_equal(p.sha256, want);
        assert_int_equal(p.file_size, len);
        p = probe_ok("noprofile.jpg", IMG_PROBE_NO_HASH);
        assert_string_equal(p.sha256, "");
        g_free(want);
        free(bytes);
        free(path);
}

static void tiff_is_accepted_only_from_trusted_paths(void **state)
{
        (void)state;
        struct img_probe p = probe_ok("photo.tif", IMG_PROBE_ALLOW_TIFF);
        assert_int_equal(p.format, IMG_FMT_TIFF);
        assert_int_equal(p.width, 600);
}

static void exif_fields_come_out_as_iso_date_and_clean_camera(void **state)
{
        (void)state;
        /* The generator writes DateTimeOriginal 2023:06:01 09:07:13, offset +02:00,
         * Make "PkCam", Model "Test 1". */
        struct img_probe p = probe_ok("exif-srgb.jpg", 0);
        assert_string_equal(p.captured_at, "2023-06-01T09:07:13+02:00");
        assert_string_equal(p.camera, "PkCam Test 1");
        p = probe_ok("noprofile.jpg", 0);
        assert_string_equal(p.captured_at, "");
        assert_string_equal(p.camera, "");
}

static void pixel_format_facts_are_reported(void **state)
{
        (void)state;
        struct img_probe p = probe_ok("sixteen-bit.png", 0);
        assert_int_equal(p.bits, 16);
        p = probe_ok("grey.jpg", 0);
        assert_int_equal(p.bands, 1);
        p = probe_ok("cmyk.jpg", 0);
        assert_true(p.is_cmyk);
        assert_int_equal(p.bands, 4);
        p = probe_ok("alpha.png", 0);
        assert_true(p.has_alpha);
        p = probe_ok("progressive.jpg", 0);
        assert_true(p.progressive);
        p = probe_ok("exifthumb-big.jpg", 0);
        assert_true(p.has_exif_thumbnail);
        p = probe_ok("adobergb-icc.jpg", 0);
        assert_int_equal(strlen(p.icc_sha256), 64);
}

static void limits_apply_before_decode(void **state)
{
        (void)state;
        struct img_limits saved = *img_get_limits();
        struct img_limits small = saved;
        small.max_pixels = 600 * 400 - 1;
        assert_int_equal(img_init(NULL, &small), 0);
        char *path = corpus_path("noprofile.jpg");
        struct img_probe p;
        assert_int_equal(img_probe_file(path, 0, &p, NULL), IMG_E_TOO_MANY_PIXELS);
        small = saved;
        small.max_side = 599;
        img_init(NULL, &small);
        assert_int_equal(img_probe_file(path, 0, &p, NULL), IMG_E_TOO_MANY_PIXELS);
        small = saved;
        small.max_file_bytes = 1000;
        img_init(NULL, &small);
        assert_int_equal(img_probe_file(path, 0, &p, NULL), IMG_E_FILE_TOO_LARGE);
        small = saved;
        small.max_icc_bytes = 200;
        img_init(NULL, &small);
        free(path);
        path = corpus_path("adobergb-icc.jpg");
        assert_int_equal(img_probe_file(path, 0, &p, NULL), IMG_E_BAD_PROFILE);
        img_init(NULL, &saved);
        assert_int_equal(img_probe_file(path, 0, &p, NULL), 0);
        free(path);
}

static void missing_and_non_regular_files_are_unreadable(void **state)
{
        (void)state;
        struct img_probe p;
        struct img_errbuf eb;
        assert_int_equal(img_probe_file("/nonexistent/x.jpg", 0, &p, &eb), IMG_E_UNREADABLE);
        assert_int_equal(img_probe_file("/tmp", 0, &p, &eb), IMG_E_UNREADABLE);
        assert_int_equal(img_probe_file(NULL, 0, &p, &eb), IMG_E_INVALID);
}

static void sniff_knows_the_allow_list_by_magic(void **state)
{
        (void)state;
        static const uint8_t jpeg[16] = {0xFF, 0xD8, 0xFF, 0xE0};
        static const uint8_t png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        static const uint8_t webp[16] = {'R', 'I', 'F', 'F', 1, 0, 0, 0, 'W', 'E', 'B', 'P'};
        static const uint8_t heic[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'};
        static const uint8_t mif1_heic[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'm', 'i', 'f', '1',
                                              0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'};
        static const uint8_t mif1_avif[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'm', 'i', 'f', '1',
                                              0, 0, 0, 0, 'm', 'i', 'f', '1', 'a', 'v', 'i', 'f'};
        static const uint8_t avif[24] = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f'};
        static const uint8_t tiff[16] = {'I', 'I', '*', 0};
        static const uint8_t gif[16] = {'G', 'I', 'F', '8', '9', 'a'};
        assert_int_equal(img_sniff(jpeg, sizeof(jpeg)), IMG_FMT_JPEG);
        assert_int_equal(img_sniff(png, sizeof(png)), IMG_FMT_PNG);
        assert_int_equal(img_sniff(webp, sizeof(webp)), IMG_FMT_WEBP);
        assert_int_equal(img_sniff(heic, sizeof(heic)), IMG_FMT_HEIF);
        assert_int_equal(img_sniff(mif1_heic, sizeof(mif1_heic)), IMG_FMT_HEIF);
        assert_int_equal(img_sniff(mif1_avif, sizeof(mif1_avif)), IMG_FMT_UNKNOWN);
        assert_int_equal(img_sniff(avif, sizeof(avif)), IMG_FMT_UNKNOWN);
        assert_int_equal(img_sniff(tiff, sizeof(tiff)), IMG_FMT_TIFF);
        assert_int_equal(img_sniff(gif, sizeof(gif)), IMG_FMT_UNKNOWN);
        assert_int_equal(img_sniff(jpeg, 3), IMG_FMT_UNKNOWN); /* under 12 bytes */
        assert_int_equal(img_sniff(NULL, 100), IMG_FMT_UNKNOWN);
        assert_string_equal(img_format_name(IMG_FMT_HEIF), "heif");
}

/* A little-endian TIFF block with one IFD0 entry. */
static size_t one_entry_exif(uint8_t *b, uint16_t tag, uint16_t type, uint32_t count, uint32_t value,
                             uint32_t next_ifd)
{
        size_t n = 0;
        memcpy(b, "Exif\0\0II*\0\x08\0\0\0", 14);
        n = 14;
        b[n++] = 1, b[n++] = 0;
        b[n++] = tag & 0xff, b[n++] = tag >> 8;
        b[n++] = type & 0xff, b[n++] = type >> 8;
        for (int i = 0; i < 4; i++)
                b[n++] = (count >> (8 * i)) & 0xff;
        for (int i = 0; i < 4; i++)
                b[n++] = (value >> (8 * i)) & 0xff;
        for (int i = 0; i < 4; i++)
                b[n++] = (next_ifd >> (8 * i)) & 0xff;
        return n;
}

static void exif_reader_ignores_offsets_outside_the_block(void **state)
{
        (void)state;
        uint8_t b[64];
        struct img_exif ex;
        /* Orientation inline. */
        size_t n = one_entry_exif(b, 0x0112, 3, 1, 6, 0);
        assert_int_equal(img_exif_parse(b, n, &ex), 0);
        assert_int_equal(ex.orientation, 6);
        /* Make: 4 billion bytes far past the end. */
        n = one_entry_exif(b, 0x010F, 2, 0xFFFFFFFF, 0xFFFFFFF0, 0);
        assert_int_equal(img_exif_parse(b, n, &ex), 0);
        assert_string_equal(ex.make, "");
        /* IFD1 past the end, and an IFD1 equal to IFD0 (a loop). */
        n = one_entry_exif(b, 0x0112, 3, 1, 3, 0xFFFFFFF0);
        assert_int_equal(img_exif_parse(b, n, &ex), 0);
        assert_int_equal(ex.thumb_length, 0);
        n = one_entry_exif(b, 0x0112, 3, 1, 3, 8);
        assert_int_equal(img_exif_parse(b, n, &ex), 0);
        assert_int_equal(ex.orientation, 3);
        /* Every truncation of a valid block parses or fails cleanly. */
        n = one_entry_exif(b, 0x0112, 3, 1, 6, 0);
        for (size_t k = 0; k < n; k++)
                (void)img_exif_parse(b, k, &ex);
        /* Not TIFF at all. */
        assert_int_equal(img_exif_parse((const uint8_t *)"Exif\0\0XX", 8, &ex), -1);
        assert_int_equal(img_exif_parse(NULL, 0, &ex), -1);
}

static void exif_dates_must_be_well_formed(void **state)
{
        (void)state;
        struct img_exif ex = {0};
        char out[32];
        snprintf(ex.datetime, sizeof(ex.datetime), "2021:12:31 23:59:58");
        img_exif_iso_date(&ex, out, sizeof(out));
        assert_string_equal(out, "2021-12-31T23:59:58");
        snprintf(ex.offset, sizeof(ex.offset), "-05:30");
        img_exif_iso_date(&ex, out, sizeof(out));
        assert_string_equal(out, "2021-12-31T23:59:58-05:30");
        snprintf(ex.datetime, sizeof(ex.datetime), "0000:00:00 00:00:00");
        img_exif_iso_date(&ex, out, sizeof(out));
        assert_string_equal(out, "");
        snprintf(ex.datetime, sizeof(ex.datetime), "2021:1x:31 23:59:58");
        img_exif_iso_date(&ex, out, sizeof(out));
        assert_string_equal(out, "");
}

static int setup(void **state)
{
        (void)state;
        return img_init(NULL, NULL);
}

static int teardown(void **state)
{
        (void)state;
        img_shutdown();
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(every_corpus_file_gets_its_expected_verdict),
                cmocka_unit_test(sha256_is_the_hash_of_the_file_bytes_and_no_hash_skips_it),
                cmocka_unit_test(tiff_is_accepted_only_from_trusted_paths),
                cmocka_unit_test(exif_fields_come_out_as_iso_date_and_clean_camera),
                cmocka_unit_test(pixel_format_facts_are_reported),
                cmocka_unit_test(limits_apply_before_decode),
                cmocka_unit_test(missing_and_non_regular_files_are_unreadable),
                cmocka_unit_test(sniff_knows_the_allow_list_by_magic),
                cmocka_unit_test(exif_reader_ignores_offsets_outside_the_block),
                cmocka_unit_test(exif_dates_must_be_well_formed),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
