/* app/strip_metadata: GPS and owner/serial/comment EXIF go, orientation,
 * capture time, ICC and every byte of image data stay; hostile structures
 * are refused with a reason, never crash, never leave an output file.
 * JPEG, PNG, WebP and HEIC photos are made with vips and exiftool in a temp
 * dir (HEIC only where vips can write it: libheif with an HEVC encoder);
 * stripped PNG/WebP/HEIC decode with libvips to the very same pixels.
 * Malformed HEIF structures are built byte by byte below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <vips/vips.h>

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

/* ---- PNG, WebP, HEIC ---------------------------------------------------- */

struct fmt {
        const char *ext;
        const char *saver; /* vips operation */
        const char *opts;
        bool text_chunks; /* PNG: tEXt/tIME canaries too */
};

static const struct fmt fmts[] = {
        {"png", "pngsave", "--profile srgb", true},
        {"webp", "webpsave", "--profile srgb --Q 90", false},
        {"heic", "heifsave", "--compression hevc --Q 80", false},
};

static const char *const format_canaries[] = {CANARY "GPS", CANARY "OWN", CANARY "SN", CANARY "LSN",
                                              CANARY "ART", CANARY "UC", CANARY "DESC", CANARY "XMP",
                                              CANARY "TXT"};

/* Make a photo of format f with every kind of personal metadata; false when
 * this machine cannot write the format (HEIC without an encoder). */
static bool make_photo(const struct fmt *f, const char *path)
{
        char *cmd = pk_test_strdupf("test -f %s/g8.v || (vips gaussnoise %s/n.v 96 64 --mean 128 --sigma 40 && "
                                    "vips colourspace %s/n.v %s/g.v srgb && vips cast %s/g.v %s/g8.v uchar)",
                                    dir, dir, dir, dir, dir, dir);
        assert_int_equal(run(cmd), 0);
        free(cmd);
        cmd = pk_test_strdupf("vips %s %s/g8.v '%s' %s 2>/dev/null", f->saver, dir, path, f->opts);
        int rc = system(cmd);
        free(cmd);
        if (rc != 0)
                return false;
        cmd = pk_test_strdupf(
                "exiftool -q -q -overwrite_original -Orientation#=6 -DateTimeOriginal='2023:06:01 09:07:13' "
                "-Make=Canon -Model=EOS -GPSLatitude=47.5 -GPSLatitudeRef=N -GPSLongitude=8.7 -GPSLongitudeRef=E "
                "-GPSAreaInformation=" CANARY "GPS -OwnerName=" CANARY "OWN -SerialNumber=" CANARY "SN "
                "-LensSerialNumber=" CANARY "LSN -Artist=" CANARY "ART -UserComment=" CANARY "UC "
                "-ImageDescription=" CANARY "DESC -XMP-dc:Creator=" CANARY "XMP %s '%s'",
                f->text_chunks ? "-PNG:Comment=" CANARY "TXT -PNG:ModifyDate='2023:06:01 09:07:13'" : "", path);
        assert_int_equal(run(cmd), 0);
        free(cmd);
        return true;
}

/* Both files decode with libvips to the same size, bands and pixels. */
static void assert_same_pixels(const char *a, const char *b)
{
        VipsImage *ia = vips_image_new_from_file(a, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        VipsImage *ib = vips_image_new_from_file(b, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        if (!ia || !ib)
                fail_msg("libvips cannot open %s: %s", ia ? b : a, vips_error_buffer());
        assert_int_equal(vips_image_get_width(ia), vips_image_get_width(ib));
        assert_int_equal(vips_image_get_height(ia), vips_image_get_height(ib));
        assert_int_equal(vips_image_get_bands(ia), vips_image_get_bands(ib));
        size_t na = 0, nb = 0;
        void *pa = vips_image_write_to_memory(ia, &na);
        void *pb = vips_image_write_to_memory(ib, &nb);
        if (!pa || !pb)
                fail_msg("libvips cannot decode: %s", vips_error_buffer());
        assert_int_equal(na, nb);
        assert_memory_equal(pa, pb, na);
        g_free(pa);
        g_free(pb);
        g_object_unref(ia);
        g_object_unref(ib);
}

static void assert_no_canary(const char *path)
{
        size_t n = 0;
        uint8_t *b = (uint8_t *)pk_test_read_file(path, &n);
        assert_non_null(b);
        for (size_t i = 0; i < sizeof(format_canaries) / sizeof(format_canaries[0]); i++)
                if (find(b, n, format_canaries[i]))
                        fail_msg("%s still holds %s", path, format_canaries[i]);
        free(b);
}

static void png_webp_heic_lose_gps_owner_serial_xmp_and_keep_pixels(void **state)
{
        (void)state;
        int done = 0;
        for (size_t k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++) {
                const struct fmt *f = &fmts[k];
                char *src = pk_test_strdupf("%s/in.%s", dir, f->ext);
                if (!make_photo(f, src)) {
                        print_message("note: vips cannot write %s here; not tested\n", f->ext);
                        free(src);
                        continue;
                }
                size_t n_in = 0;
                uint8_t *a = (uint8_t *)pk_test_read_file(src, &n_in);
                /* The planted canaries are really in the file. */
                assert_non_null(find(a, n_in, CANARY "OWN"));
                assert_non_null(find(a, n_in, CANARY "XMP"));
                assert_non_null(find(a, n_in, CANARY "GPS"));
                free(a);
                for (int mode = APP_STRIP_PRIVATE; mode <= APP_STRIP_ALL; mode++) {
                        char *dst = pk_test_strdupf("%s/out-%d.%s", dir, mode, f->ext);
                        struct app_strip_report rep = {0};
                        struct img_errbuf err = {{0}};
                        int rc = app_strip_file(src, dst, mode, &rep, &err);
                        if (rc != 0)
                                fail_msg("%s mode %d: %d %s", f->ext, mode, rc, err.msg);
                        assert_no_canary(dst);
                        assert_same_pixels(src, dst);
                        struct img_probe p;
                        assert_int_equal(img_probe_file(dst, 0, &p, &err), 0);
                        if (mode == APP_STRIP_PRIVATE) {
                                /* EXIF kept, cleaned: capture time stays. */
                                assert_string_equal(p.captured_at, "2023-06-01T09:07:13");
                                assert_true(rep.gps_entries_removed >= 4);
                                assert_true(rep.tags_blanked >= 5);
                                if (strcmp(f->ext, "heic") != 0) /* HEIF: irot decides, not EXIF */
                                        assert_int_equal(p.orientation, 6);
                        } else {
                                assert_string_equal(p.captured_at, "");
                                assert_int_equal(p.orientation, 1);
                        }
                        char *cmd = pk_test_strdupf(
                                "exiftool -q -q -s -s -s -gps:all '%s' | grep -v '^2.2.0.0$' | grep -q . && exit 1 || exit 0",
                                dst);
                        assert_int_equal(run(cmd), 0);
                        free(cmd);
                        free(dst);
                }
                free(src);
                done++;
        }
        assert_true(done >= 2); /* PNG and WebP always */
}

static void png_keeps_colour_chunks_and_drops_text_time_and_trailing_bytes(void **state)
{
        (void)state;
        char *src = pk_test_strdupf("%s/in.png", dir), *tail = pk_test_strdupf("%s/tail.png", dir);
        assert_true(make_photo(&fmts[0], src));
        size_t n = 0, m = 0;
        uint8_t *a = (uint8_t *)pk_test_read_file(src, &n);
        uint8_t *withtail = malloc(n + 32);
        memcpy(withtail, a, n);
        memcpy(withtail + n, CANARY "TAIL-AFTER-IEND-xxxxxxxxxxxx", 32);
        struct app_strip_report rep = {0};
        struct img_errbuf err = {{0}};
        uint8_t *b = NULL;
        assert_int_equal(app_strip_png(withtail, n + 32, APP_STRIP_PRIVATE, &b, &m, &rep, &err), 0);
        assert_true(m < n);
        assert_null(find(b, m, CANARY));
        assert_non_null(find(b, m, "iCCP"));
        assert_non_null(find(b, m, "eXIf"));
        assert_null(find(b, m, "tEXt"));
        assert_null(find(b, m, "tIME"));
        assert_null(find(b, m, "iTXt"));
        assert_true(rep.segments_dropped >= 4); /* 2 tEXt, tIME, iTXt, the tail */
        /* Stripping again changes nothing: every CRC in the output is right. */
        uint8_t *c = NULL;
        size_t k = 0;
        assert_int_equal(app_strip_png(b, m, APP_STRIP_PRIVATE, &c, &k, NULL, &err), 0);
        assert_int_equal(k, m);
        assert_memory_equal(b, c, m);
        free(c);
        free(b);
        assert_int_equal(app_strip(withtail, n + 32, APP_STRIP_ALL, &b, &m, &rep, &err), 0);
        assert_null(find(b, m, "eXIf"));
        assert_non_null(find(b, m, "iCCP"));
        free(b);
        free(withtail);
        free(a);
        free(src);
        free(tail);
}

static void webp_flags_and_riff_size_follow_the_chunks(void **state)
{
        (void)state;
        char *src = pk_test_strdupf("%s/in.webp", dir);
        assert_true(make_photo(&fmts[1], src));
        size_t n = 0, m = 0;
        uint8_t *a = (uint8_t *)pk_test_read_file(src, &n);
        assert_memory_equal(a + 12, "VP8X", 4);
        assert_true(a[20] & 0x04);
        struct img_errbuf err = {{0}};
        uint8_t *b = NULL;
        for (int mode = APP_STRIP_PRIVATE; mode <= APP_STRIP_ALL; mode++) {
                assert_int_equal(app_strip_webp(a, n, mode, &b, &m, NULL, &err), 0);
                uint32_t riff = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
                assert_int_equal(riff, m - 8);
                assert_false(b[20] & 0x04);                                   /* XMP flag */
                assert_int_equal(!!(b[20] & 0x08), mode == APP_STRIP_PRIVATE); /* EXIF flag */
                assert_int_equal(!!find(b, m, "EXIF"), mode == APP_STRIP_PRIVATE);
                assert_true(b[20] & 0x20); /* ICC flag, and the chunk: */
                assert_non_null(find(b, m, "ICCP"));
                assert_null(find(b, m, "XMP "));
                free(b);
        }
        free(a);
        free(src);
}

/* A minimal HEIF: ftyp, meta { iinf { infe Exif #1 }, iloc }, mdat with an
 * EXIF block whose IFD0 has an Artist and a GPS IFD with an area text. */
struct heif_opts {
        int iloc_version;      /* 0..2 (3 is refused) */
        int method;            /* construction_method (v1/v2) */
        int infe_version;      /* 2 or 3 (< 2 refused) */
        bool extent_in_ftyp;   /* point the Exif item outside mdat */
        bool second_meta;      /* two top-level meta boxes */
        bool mime_item;        /* a second item: XMP as 'mime' */
        uint32_t mdat_size_add; /* make mdat claim more than the file */
};

struct bb {
        uint8_t b[1024];
        size_t n;
};

static void p8(struct bb *x, unsigned v) { x->b[x->n++] = (uint8_t)v; }
static void p16(struct bb *x, unsigned v) { p8(x, v >> 8); p8(x, v); }
static void p32(struct bb *x, uint32_t v) { p16(x, v >> 16); p16(x, v & 0xffff); }
static void pstr(struct bb *x, const char *s, size_t n) { memcpy(x->b + x->n, s, n); x->n += n; }
static size_t open_box(struct bb *x, const char *type) { size_t at = x->n; p32(x, 0); pstr(x, type, 4); return at; }
static void close_box(struct bb *x, size_t at)
{
        uint32_t v = (uint32_t)(x->n - at);
        x->b[at] = (uint8_t)(v >> 24); x->b[at + 1] = (uint8_t)(v >> 16);
        x->b[at + 2] = (uint8_t)(v >> 8); x->b[at + 3] = (uint8_t)v;
}

static const char heif_xmp[] = "<x:xmpmeta><dc:creator>" CANARY "XMP</dc:creator></x:xmpmeta>";

static size_t heif_exif(struct bb *x)
{
        size_t at = x->n;
        p32(x, 6); /* exif_tiff_header_offset */
        pstr(x, "Exif\0\0", 6);
        size_t t = x->n;
        pstr(x, "MM\0*", 4); p32(x, 8);
        p16(x, 2);
        p16(x, 0x013b); p16(x, 2); p32(x, 16); p32(x, 38);   /* Artist -> 38 */
        p16(x, 0x8825); p16(x, 4); p32(x, 1); p32(x, 54);    /* GPS IFD -> 54 */
        p32(x, 0);
        assert_int_equal(x->n - t, 38);
        pstr(x, CANARY "ART\0\0\0\0\0", 16);
        p16(x, 1);
        p16(x, 0x001c); p16(x, 7); p32(x, 16); p32(x, 72);   /* GPSAreaInformation */
        p32(x, 0);
        assert_int_equal(x->n - t, 72);
        pstr(x, CANARY "GPS\0\0\0\0\0", 16);
        return x->n - at;
}

static size_t make_heif(struct bb *x, const struct heif_opts *o)
{
        x->n = 0;
        size_t f = open_box(x, "ftyp");
        pstr(x, "heic", 4); p32(x, 0); pstr(x, "mif1heic", 8);
        close_box(x, f);
        size_t meta = open_box(x, "meta");
        p32(x, 0);
        size_t hdlr = open_box(x, "hdlr");
        p32(x, 0); p32(x, 0); pstr(x, "pict", 4); p32(x, 0); p32(x, 0); p32(x, 0); p8(x, 0);
        close_box(x, hdlr);
        size_t iinf = open_box(x, "iinf");
        p32(x, 0); p16(x, o->mime_item ? 2 : 1);
        for (unsigned id = 1; id <= (o->mime_item ? 2u : 1u); id++) {
                size_t infe = open_box(x, "infe");
                p8(x, (unsigned)o->infe_version); p8(x, 0); p16(x, 0);
                if (o->infe_version == 3)
                        p32(x, id);
                else
                        p16(x, id);
                p16(x, 0);
                pstr(x, id == 1 ? "Exif" : "mime", 4);
                p8(x, 0); /* name */
                if (id == 2)
                        pstr(x, "application/rdf+xml", 20);
                close_box(x, infe);
        }
        close_box(x, iinf);
        size_t iloc = open_box(x, "iloc");
        p8(x, (unsigned)o->iloc_version); p8(x, 0); p16(x, 0);
        p8(x, 0x44); p8(x, 0x40); /* offset 4, length 4, base 4, index 0 */
        unsigned items = o->mime_item ? 2 : 1;
        if (o->iloc_version < 2)
                p16(x, items);
        else
                p32(x, items);
        size_t patch[2];
        for (unsigned id = 1; id <= items; id++) {
                if (o->iloc_version < 2)
                        p16(x, id);
                else
                        p32(x, id);
                if (o->iloc_version >= 1)
                        p16(x, (unsigned)o->method);
                p16(x, 0);     /* data_reference_index */
                p32(x, 0);     /* base_offset */
                p16(x, 1);     /* extent_count */
                patch[id - 1] = x->n;
                p32(x, 0); p32(x, 0);
        }
        close_box(x, iloc);
        close_box(x, meta);
        if (o->second_meta) {
                size_t m2 = open_box(x, "meta");
                p32(x, 0);
                close_box(x, m2);
        }
        size_t mdat = open_box(x, "mdat");
        size_t exif_at = x->n, exif_len = heif_exif(x);
        size_t xmp_at = x->n;
        pstr(x, heif_xmp, sizeof(heif_xmp) - 1);
        pstr(x, "image data would be here", 24);
        close_box(x, mdat);
        if (o->mdat_size_add) {
                uint32_t v = (uint32_t)(x->n - mdat) + o->mdat_size_add;
                x->b[mdat] = (uint8_t)(v >> 24); x->b[mdat + 1] = (uint8_t)(v >> 16);
                x->b[mdat + 2] = (uint8_t)(v >> 8); x->b[mdat + 3] = (uint8_t)v;
        }
        uint32_t exif_off = o->extent_in_ftyp ? 8 : (uint32_t)exif_at;
        for (int k = 0; k < 4; k++) {
                x->b[patch[0] + k] = (uint8_t)(exif_off >> (24 - 8 * k));
                x->b[patch[0] + 4 + k] = (uint8_t)(exif_len >> (24 - 8 * k));
                if (o->mime_item) {
                        x->b[patch[1] + k] = (uint8_t)(xmp_at >> (24 - 8 * k));
                        x->b[patch[1] + 4 + k] = (uint8_t)((sizeof(heif_xmp) - 1) >> (24 - 8 * k));
                }
        }
        return x->n;
}

static void heif_items_are_blanked_in_place_nothing_moves(void **state)
{
        (void)state;
        for (int v = 0; v <= 2; v++) {
                for (int mode = APP_STRIP_PRIVATE; mode <= APP_STRIP_ALL; mode++) {
                        struct heif_opts o = {.iloc_version = v, .infe_version = v == 2 ? 3 : 2, .mime_item = true};
                        struct bb x;
                        size_t n = make_heif(&x, &o);
                        assert_non_null(find(x.b, n, CANARY "ART"));
                        uint8_t *out = NULL;
                        size_t m = 0;
                        struct app_strip_report rep = {0};
                        struct img_errbuf err = {{0}};
                        int rc = app_strip(x.b, n, mode, &out, &m, &rep, &err);
                        if (rc != 0)
                                fail_msg("iloc v%d mode %d: %d %s", v, mode, rc, err.msg);
                        assert_int_equal(m, n);
                        assert_null(find(out, m, CANARY));
                        /* Everything but the two payloads is byte-identical. */
                        const uint8_t *mdat = find(x.b, n, "mdat");
                        size_t body = (size_t)(mdat - x.b) + 4;
                        assert_memory_equal(out, x.b, body);
                        assert_memory_equal(out + n - 24, x.b + n - 24, 24);
                        if (mode == APP_STRIP_PRIVATE) {
                                assert_int_equal(rep.gps_entries_removed, 1);
                                assert_int_equal(rep.tags_blanked, 1);
                                assert_int_equal(rep.items_blanked, 1); /* the XMP */
                                assert_memory_equal(out + body, x.b + body, 10 + 8); /* offset, Exif, TIFF header */
                        } else {
                                assert_int_equal(rep.items_blanked, 2);
                                assert_memory_equal(out + body, "\0\0\0\0MM\0*\0\0\0\x08\0\0\0\0\0\0", 18);
                        }
                        free(out);
                }
        }
}

static void heif_odd_structures_are_refused_with_a_reason(void **state)
{
        (void)state;
        const struct {
                struct heif_opts o;
                int want;
        } cases[] = {
                {{.iloc_version = 3, .infe_version = 2}, IMG_E_UNSUPPORTED},
                {{.iloc_version = 1, .method = 1, .infe_version = 2}, IMG_E_UNSUPPORTED},
                {{.iloc_version = 2, .method = 2, .infe_version = 2}, IMG_E_UNSUPPORTED},
                {{.iloc_version = 0, .infe_version = 1}, IMG_E_UNSUPPORTED},
                {{.iloc_version = 0, .infe_version = 2, .extent_in_ftyp = true}, IMG_E_CORRUPT},
                {{.iloc_version = 0, .infe_version = 2, .second_meta = true}, IMG_E_UNSUPPORTED},
                {{.iloc_version = 0, .infe_version = 2, .mdat_size_add = 100}, IMG_E_TRUNCATED},
        };
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                struct bb x;
                size_t n = make_heif(&x, &cases[k].o);
                uint8_t *out = NULL;
                size_t m = 0;
                struct img_errbuf err = {{0}};
                int rc = app_strip(x.b, n, APP_STRIP_PRIVATE, &out, &m, NULL, &err);
                if (rc != cases[k].want)
                        fail_msg("case %zu: got %d (%s), want %d", k, rc, err.msg, cases[k].want);
                assert_null(out);
                assert_true(err.msg[0] != 0);
        }
        /* Every cut of a good file is refused or still leaves no canary. */
        struct heif_opts good = {.iloc_version = 1, .infe_version = 2, .mime_item = true};
        struct bb x;
        size_t n = make_heif(&x, &good);
        for (size_t cut = 0; cut < n; cut++) {
                uint8_t *out = NULL;
                size_t m = 0;
                struct img_errbuf err = {{0}};
                if (app_strip(x.b, cut, APP_STRIP_PRIVATE, &out, &m, NULL, &err) == 0) {
                        assert_int_equal(m, cut);
                        free(out);
                } else {
                        assert_true(err.msg[0] != 0);
                }
        }
}

static void malformed_png_and_webp_are_refused_with_a_reason(void **state)
{
        (void)state;
        char *png = pk_test_strdupf("%s/in.png", dir), *webp = pk_test_strdupf("%s/in.webp", dir);
        assert_true(make_photo(&fmts[0], png));
        assert_true(make_photo(&fmts[1], webp));
        size_t np = 0, nw = 0;
        uint8_t *p = (uint8_t *)pk_test_read_file(png, &np), *w = (uint8_t *)pk_test_read_file(webp, &nw);
        uint8_t *out = NULL;
        size_t m = 0;
        struct img_errbuf err = {{0}};
        /* PNG: a bad CRC (IHDR's), a cut in the image data, no IEND, a
         * length past the end, a chunk before IHDR, an unknown critical chunk. */
        p[29] ^= 1;
        assert_int_equal(app_strip(p, np, 0, &out, &m, NULL, &err), IMG_E_CORRUPT);
        assert_non_null(strstr(err.msg, "CRC"));
        p[29] ^= 1;
        assert_int_equal(app_strip(p, np - 40, 0, &out, &m, NULL, &err), IMG_E_TRUNCATED);
        assert_int_equal(app_strip(p, np - 12, 0, &out, &m, NULL, &err), IMG_E_TRUNCATED);
        p[8] = 0x7f;
        assert_int_equal(app_strip(p, np, 0, &out, &m, NULL, &err), IMG_E_TRUNCATED);
        p[8] = 0;
        uint8_t evil[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0, 'A', 'B', 'C', 'D', 0, 0, 0, 0};
        assert_int_equal(app_strip(evil, sizeof(evil), 0, &out, &m, NULL, &err), IMG_E_CORRUPT);
        /* WebP: RIFF size past the end, a chunk past its RIFF, no image first. */
        w[4] = (uint8_t)(w[4] + 2);
        assert_int_equal(app_strip(w, nw, 0, &out, &m, NULL, &err), IMG_E_TRUNCATED);
        w[4] = (uint8_t)(w[4] - 2);
        assert_int_equal(app_strip(w, 40, 0, &out, &m, NULL, &err), IMG_E_TRUNCATED);
        uint8_t riff[] = {'R', 'I', 'F', 'F', 12, 0, 0, 0, 'W', 'E', 'B', 'P', 'E', 'X', 'I', 'F', 0, 0, 0, 0};
        assert_int_equal(app_strip(riff, sizeof(riff), 0, &out, &m, NULL, &err), IMG_E_CORRUPT);
        assert_null(out);
        /* TIFF and text are not photos we strip. */
        assert_int_equal(app_strip((const uint8_t *)"II*\0\x08\0\0\0", 8, 0, &out, &m, NULL, &err), IMG_E_UNSUPPORTED);
        assert_false(app_strip_supports(IMG_FMT_TIFF));
        assert_true(app_strip_supports(IMG_FMT_HEIF) && app_strip_supports(IMG_FMT_WEBP));
        /* A refused file leaves no output and no temp file behind. */
        char *bad = pk_test_strdupf("%s/bad.png", dir), *dst = pk_test_strdupf("%s/never/x.png", dir);
        char *dst2 = pk_test_strdupf("%s/bad-out.png", dir);
        assert_int_equal(pk_test_write_file(bad, p, np - 40), 0);
        assert_int_equal(app_strip_file(bad, dst2, 0, NULL, &err), IMG_E_TRUNCATED);
        assert_int_equal(access(dst2, F_OK), -1);
        char *cmd = pk_test_strdupf("ls '%s' | grep -q 'tmp-' && exit 1 || exit 0", dir);
        assert_int_equal(run(cmd), 0);
        assert_int_equal(app_strip_file(png, dst, 0, NULL, &err), IMG_E_IO);
        free(cmd);
        free(bad);
        free(dst);
        free(dst2);
        free(p);
        free(w);
        free(png);
        free(webp);
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
                cmocka_unit_test(png_webp_heic_lose_gps_owner_serial_xmp_and_keep_pixels),
                cmocka_unit_test(png_keeps_colour_chunks_and_drops_text_time_and_trailing_bytes),
                cmocka_unit_test(webp_flags_and_riff_size_follow_the_chunks),
                cmocka_unit_test(heif_items_are_blanked_in_place_nothing_moves),
                cmocka_unit_test(heif_odd_structures_are_refused_with_a_reason),
                cmocka_unit_test(malformed_png_and_webp_are_refused_with_a_reason),
        };
        int rc = cmocka_run_group_tests(tests, setup, teardown);
        img_shutdown();
        return rc;
}
