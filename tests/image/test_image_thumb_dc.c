/* image/jpeg_dc (through image/thumb): progressive JPEG thumbnails made from
 * the DC scans only are the libvips thumbnail to within a small mean
 * difference, for every scan script shape (the standard one with the DC
 * refinement after the AC scans, DC refinements first, one DC scan per
 * component, chroma DC after a luma AC scan, grey), 4:2:0 and 4:4:4, EXIF orientation, an embedded profile
 * and square crops; info->from_dc says which path ran; the fast path steps
 * aside when 1/8 of the photo is smaller than asked, and for baseline JPEGs;
 * truncated, corrupt and scan-bomb files fail cleanly with nothing on stderr.
 *
 * The photos are written here with libjpeg's compressor, so each scan script
 * is exactly the one named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "image/jpeg_dc_internal.h"
#include "image/probe.h"
#include "image/thumb.h"
#include "tests/image/corpus_util.h"
#include "tests/testutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include <jpeglib.h>

/* Tolerance, mean absolute difference per 8-bit sample between the DC
 * thumbnail and libvips' (full decode, 1/8 IDCT or 1/4 + reduce). Sources of
 * difference: (1) the DC refinement bit(s) sent after the first AC scan are
 * missing: the DC is low by 0 or 1 quantiser step, at quality 90 about 3/8
 * of a level; (2) when 1/8 of the photo is under twice the size, libvips
 * shrinks on load by 1/4 only and reduces from there, so it keeps a little
 * more detail inside each 8x8 block: measured up to ~1.5 levels on the
 * textured test image below; (3) rounding. 3.0 levels (1.2 %) is well under
 * what anyone sees in a 256 px grid cell, and a wrong block order, colour
 * conversion, orientation or missing scan shows as 20+ levels. */
#define DC_MAD_TOLERANCE 3.0
/* The mean signed difference (the brightness bias of missing DC bits). */
#define DC_BIAS_TOLERANCE 1.5

static char *tmpdir;

enum script { SCRIPT_SIMPLE, SCRIPT_DC_REFINED_FIRST, SCRIPT_DC_PER_COMPONENT, SCRIPT_DC_FULL, SCRIPT_CHROMA_DC_LATE };

struct photo {
        const char *name;
        int w, h;
        bool grey, yuv444;
        enum script script;
        int orientation; /* 0: no EXIF */
        bool icc;
};

/* Smooth gradients, a mid-frequency texture and hard edges: enough to show a
 * misplaced block, a wrong channel or a wrong orientation. Asymmetric. */
static uint8_t *make_content(int w, int h, int comps)
{
        uint8_t *p = malloc((size_t)w * h * comps);
        assert_non_null(p);
        for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                        double fx = (double)x / w, fy = (double)y / h;
                        double tex = 25 * sin(x * 0.05) * cos(y * 0.037);
                        bool box = fx > 0.1 && fx < 0.35 && fy > 0.15 && fy < 0.4;
                        int r = (int)(40 + 180 * fx + tex), g = (int)(30 + 200 * fy - tex),
                            b = (int)(200 - 150 * fx * fy + tex / 2);
                        if (box)
                                r = 250, g = 240, b = 20;
                        uint8_t *o = p + ((size_t)y * w + x) * comps;
                        if (comps == 1) {
                                int v = (r * 3 + g * 6 + b) / 10;
                                o[0] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                        } else {
                                o[0] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
                                o[1] = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g);
                                o[2] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b);
                        }
                }
        return p;
}

/* A minimal little-endian EXIF APP1 body with only Orientation. */
static size_t exif_orientation(uint8_t *b, int o)
{
        static const uint8_t head[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                                       1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0};
        memcpy(b, head, sizeof(head));
        size_t n = sizeof(head);
        b[n++] = (uint8_t)o;
        b[n++] = 0;
        b[n++] = 0;
        b[n++] = 0;
        memset(b + n, 0, 4); /* no next IFD */
        return n + 4;
}

static void write_photo(const char *path, const struct photo *ph)
{
        int comps = ph->grey ? 1 : 3;
        uint8_t *px = make_content(ph->w, ph->h, comps);
        struct jpeg_compress_struct c;
        struct jpeg_error_mgr jerr;
        c.err = jpeg_std_error(&jerr);
        jpeg_create_compress(&c);
        FILE *f = fopen(path, "wbe");
        assert_non_null(f);
        jpeg_stdio_dest(&c, f);
        c.image_width = (JDIMENSION)ph->w;
        c.image_height = (JDIMENSION)ph->h;
        c.input_components = comps;
        c.in_color_space = ph->grey ? JCS_GRAYSCALE : JCS_RGB;
        jpeg_set_defaults(&c);
        jpeg_set_quality(&c, 90, TRUE);
        if (ph->yuv444 && !ph->grey)
                c.comp_info[0].h_samp_factor = c.comp_info[0].v_samp_factor = 1;
        static jpeg_scan_info scans[8];
        switch (ph->script) {
        case SCRIPT_SIMPLE:
                jpeg_simple_progression(&c); /* DC Al=1 ... DC refinement near the end */
                break;
        case SCRIPT_CHROMA_DC_LATE: /* luma DC, luma AC, then chroma DC: legal */
                scans[0] = (jpeg_scan_info){1, {0}, 0, 0, 0, 0};
                scans[1] = (jpeg_scan_info){1, {0}, 1, 63, 0, 0};
                scans[2] = (jpeg_scan_info){2, {1, 2}, 0, 0, 0, 0};
                scans[3] = (jpeg_scan_info){1, {1}, 1, 63, 0, 0};
                scans[4] = (jpeg_scan_info){1, {2}, 1, 63, 0, 0};
                c.scan_info = scans;
                c.num_scans = 5;
                break;
        case SCRIPT_DC_REFINED_FIRST:
        case SCRIPT_DC_PER_COMPONENT:
        case SCRIPT_DC_FULL: {
                int n = 0;
                if (ph->script == SCRIPT_DC_PER_COMPONENT) {
                        for (int ci = 0; ci < comps; ci++)
                                scans[n++] = (jpeg_scan_info){1, {ci}, 0, 0, 0, 0};
                } else if (ph->script == SCRIPT_DC_REFINED_FIRST) {
                        scans[n++] = (jpeg_scan_info){comps, {0, 1, 2}, 0, 0, 0, 2};
                        scans[n++] = (jpeg_scan_info){comps, {0, 1, 2}, 0, 0, 2, 1};
                        scans[n++] = (jpeg_scan_info){comps, {0, 1, 2}, 0, 0, 1, 0};
                } else {
                        scans[n++] = (jpeg_scan_info){comps, {0, 1, 2}, 0, 0, 0, 0};
                }
                for (int ci = 0; ci < comps; ci++)
                        scans[n++] = (jpeg_scan_info){1, {ci}, 1, 63, 0, 0};
                c.scan_info = scans;
                c.num_scans = n;
                break;
        }
        }
        jpeg_start_compress(&c, TRUE);
        if (ph->orientation) {
                uint8_t ex[64];
                size_t n = exif_orientation(ex, ph->orientation);
                jpeg_write_marker(&c, JPEG_APP0 + 1, ex, (unsigned)n);
        }
        if (ph->icc) {
                size_t ilen = 0;
                char *icc = pk_test_read_file("/usr/share/color/argyll/ref/DisplayP3.icm", &ilen);
                assert_non_null(icc); /* tests/corpus needs argyll's profiles too */
                jpeg_write_icc_profile(&c, (const JOCTET *)icc, (unsigned)ilen);
                free(icc);
        }
        for (int y = 0; y < ph->h; y++) {
                JSAMPROW row = px + (size_t)y * ph->w * comps;
                jpeg_write_scanlines(&c, &row, 1);
        }
        jpeg_finish_compress(&c);
        jpeg_destroy_compress(&c);
        fclose(f);
        free(px);
}

static char *photo_path(const char *name)
{
        return pk_test_strdupf("%s/%s.jpg", tmpdir, name);
}

struct diff {
        double mad, bias;
};

/* Over the common area: when libvips shrinks on load by less than 1/8 it
 * rounds its size from that image, so the two can differ by one pixel. */
static struct diff compare(const struct img_pixels *a, const struct img_pixels *b)
{
        assert_true(abs(a->width - b->width) <= 1);
        assert_true(abs(a->height - b->height) <= 1);
        int w = a->width < b->width ? a->width : b->width;
        int h = a->height < b->height ? a->height : b->height;
        double sum = 0, ssum = 0;
        for (int y = 0; y < h; y++)
                for (int x = 0; x < w * 3; x++) {
                        int d = (int)a->data[(size_t)y * a->stride + x] -
                                (int)b->data[(size_t)y * b->stride + x];
                        sum += abs(d);
                        ssum += d;
                }
        double n = (double)w * h * 3;
        return (struct diff){sum / n, ssum / n};
}

static const struct photo photos[] = {
        {"simple-420", 2640, 1760, false, false, SCRIPT_SIMPLE, 0, false},
        {"simple-420-small", 2200, 1500, false, false, SCRIPT_SIMPLE, 0, false},
        {"refined-first-444", 2400, 1800, false, true, SCRIPT_DC_REFINED_FIRST, 0, false},
        {"per-component-420", 2600, 1950, false, false, SCRIPT_DC_PER_COMPONENT, 0, false},
        {"dc-full-grey", 2300, 2300, true, false, SCRIPT_DC_FULL, 0, false},
        {"chroma-dc-late-420", 2640, 1760, false, false, SCRIPT_CHROMA_DC_LATE, 0, false},
        {"simple-420-o6", 2640, 1760, false, false, SCRIPT_SIMPLE, 6, false},
        {"simple-420-o3", 2640, 1760, false, false, SCRIPT_SIMPLE, 3, false},
        {"simple-420-p3", 2640, 1760, false, false, SCRIPT_SIMPLE, 0, true},
};

static int setup(void **state)
{
        (void)state;
        tmpdir = pk_test_mkdtemp("thumb-dc");
        for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) {
                char *p = photo_path(photos[i].name);
                write_photo(p, &photos[i]);
                free(p);
        }
        return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        pk_test_rmtree(tmpdir);
        free(tmpdir);
        return 0;
}

static void progressive_thumbnails_from_dc_match_libvips_within_tolerance(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) {
                for (int square = 0; square <= 1; square++) {
                        char *p = photo_path(photos[i].name);
                        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                        spec.square = square;
                        /* the test photos' short sides / 8 are 188..288 */
                        spec.size = square ? 180 : 256;
                        struct img_pixels fast = {0}, full = {0};
                        struct img_thumb_info fi = {0}, ui = {0};
                        struct img_errbuf eb = {.msg = ""};
                        int rc = img_thumb_to_pixels(p, &spec, &fast, &fi, &eb);
                        if (rc)
                                print_error("%s: %s\n", photos[i].name, eb.msg);
                        assert_int_equal(rc, 0);
                        spec.full_decode = true;
                        assert_int_equal(img_thumb_to_pixels(p, &spec, &full, &ui, &eb), 0);
                        int e_w = (photos[i].w + 7) / 8, e_h = (photos[i].h + 7) / 8;
                        int have = square ? (e_w < e_h ? e_w : e_h) : (e_w > e_h ? e_w : e_h);
                        assert_int_equal(fi.from_dc, have >= spec.size);
                        assert_false(ui.from_dc);
                        assert_false(fi.from_exif);
                        struct diff d = compare(&fast, &full);
                        print_message("%-20s %-6s %dx%d  MAD %.3f  bias %+.3f\n", photos[i].name,
                                      square ? "square" : "fit", fast.width, fast.height, d.mad, d.bias);
                        assert_true(d.mad <= DC_MAD_TOLERANCE);
                        assert_true(fabs(d.bias) <= DC_BIAS_TOLERANCE);
                        /* the oriented shape, as the probe reports it */
                        assert_int_equal(fi.src_width, ui.src_width);
                        assert_int_equal(fi.src_height, ui.src_height);
                        if (!square && photos[i].orientation >= 5)
                                assert_true(fast.height > fast.width);
                        img_pixels_free(&fast);
                        img_pixels_free(&full);
                        free(p);
                }
        }
}

/* The benchmark corpus's progressive photos (../shared/bench/make-corpus.sh,
 * 12-16 MP), when this machine has it ($PK_CORPUS, else /var/tmp/pk-corpus):
 * the same comparison on real photographs. Skipped without it (CI). */
static void bench_corpus_progressive_photos_match_libvips(void **state)
{
        (void)state;
        const char *dir = getenv("PK_CORPUS");
        if (!dir || !*dir)
                dir = "/var/tmp/pk-corpus";
        const char *names[] = {"03-fig-prog.jpg", "15-bythewater-prog.jpg", "21-path-prog.jpg"};
        int seen = 0;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char *p = pk_test_strdupf("%s/%s", dir, names[i]);
                if (access(p, R_OK) != 0) {
                        free(p);
                        continue;
                }
                seen++;
                for (int square = 0; square <= 1; square++) {
                        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                        spec.square = square;
                        struct img_pixels fast = {0}, full = {0};
                        struct img_thumb_info fi = {0};
                        assert_int_equal(img_thumb_to_pixels(p, &spec, &fast, &fi, NULL), 0);
                        assert_true(fi.from_dc);
                        spec.full_decode = true;
                        assert_int_equal(img_thumb_to_pixels(p, &spec, &full, NULL, NULL), 0);
                        struct diff d = compare(&fast, &full);
                        print_message("%-22s %-6s %dx%d  MAD %.3f  bias %+.3f\n", names[i],
                                      square ? "square" : "fit", fast.width, fast.height, d.mad, d.bias);
                        assert_true(d.mad <= DC_MAD_TOLERANCE);
                        assert_true(fabs(d.bias) <= DC_BIAS_TOLERANCE);
                        img_pixels_free(&fast);
                        img_pixels_free(&full);
                }
                free(p);
        }
        if (!seen)
                skip();
}

static void dc_path_steps_aside_when_an_eighth_is_smaller_than_asked(void **state)
{
        (void)state;
        char *p = photo_path("simple-420"); /* 2640x1760: 1/8 = 330x220 */
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        struct img_pixels px = {0};
        struct img_thumb_info info = {0};
        struct img_probe pr;
        assert_int_equal(img_probe_file(p, IMG_PROBE_NO_HASH, &pr, NULL), 0);
        assert_true(pr.progressive);
        spec.size = 330;
        assert_false(img_thumb_needs_full_decode(&pr, &spec));
        assert_int_equal(img_thumb_to_pixels(p, &spec, &px, &info, NULL), 0);
        assert_true(info.from_dc);
        assert_int_equal(px.width, 330);
        img_pixels_free(&px);
        spec.size = 331;
        assert_true(img_thumb_needs_full_decode(&pr, &spec));
        assert_int_equal(img_thumb_to_pixels(p, &spec, &px, &info, NULL), 0);
        assert_false(info.from_dc);
        assert_int_equal(px.width, 331);
        img_pixels_free(&px);
        spec.size = 220; /* square: the short side counts */
        spec.square = true;
        assert_int_equal(img_thumb_to_pixels(p, &spec, &px, &info, NULL), 0);
        assert_true(info.from_dc);
        img_pixels_free(&px);
        spec.size = 221;
        assert_true(img_thumb_needs_full_decode(&pr, &spec));
        assert_int_equal(img_thumb_to_pixels(p, &spec, &px, &info, NULL), 0);
        assert_false(info.from_dc);
        img_pixels_free(&px);
        free(p);
}

static void corpus_progressive_uses_dc_and_baseline_never_does(void **state)
{
        (void)state;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = 64; /* the corpus is 600x400: 1/8 = 75x50 */
        const char *files[] = {"progressive.jpg", "noprofile.jpg", "grey.jpg"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char *p = corpus_path(files[i]);
                struct img_pixels px = {0}, full = {0};
                struct img_thumb_info info = {0};
                assert_int_equal(img_thumb_to_pixels(p, &spec, &px, &info, NULL), 0);
                assert_int_equal(info.from_dc, i == 0);
                struct img_probe pr;
                assert_int_equal(img_probe_file(p, IMG_PROBE_NO_HASH, &pr, NULL), 0);
                assert_false(img_thumb_needs_full_decode(&pr, &spec)); /* baseline, or served by DC */
                if (i == 0) {
                        struct img_thumb_spec f = spec;
                        f.full_decode = true;
                        assert_int_equal(img_thumb_to_pixels(p, &f, &full, NULL, NULL), 0);
                        struct diff d = compare(&px, &full);
                        print_message("corpus progressive.jpg 64 px: MAD %.3f bias %+.3f\n", d.mad, d.bias);
                        assert_true(d.mad <= DC_MAD_TOLERANCE);
                        img_pixels_free(&full);
                }
                img_pixels_free(&px);
                free(p);
        }
}

/* Runs fn with fd 2 redirected to a file; returns what was written there. */
static size_t stderr_bytes_during(void (*fn)(void *), void *arg)
{
        char *log = pk_test_strdupf("%s/stderr.log", tmpdir);
        int saved = dup(2);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && fd >= 0);
        fflush(stderr);
        dup2(fd, 2);
        close(fd);
        fn(arg);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        struct stat st;
        assert_int_equal(stat(log, &st), 0);
        unlink(log);
        free(log);
        return (size_t)st.st_size;
}

struct dc_call {
        const char *path;
        uint64_t size; /* 0: the file's */
        int rc;
        bool got;
};

static void call_dc(void *arg)
{
        struct dc_call *c = arg;
        int fd = open(c->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        VipsImage *im = NULL;
        struct img_errbuf eb = {.msg = ""};
        c->rc = img_jpeg_dc_thumb(fd, c->size ? c->size : (uint64_t)st.st_size, 64, false, &im, &eb);
        c->got = im != NULL;
        if (im)
                g_object_unref(im);
        close(fd);
}

static void truncated_progressive_is_truncated_and_quiet(void **state)
{
        (void)state;
        char *p = photo_path("simple-420");
        size_t len = 0;
        char *data = pk_test_read_file(p, &len);
        assert_non_null(data);
        /* Cut inside the headers, inside the DC scan and just after it. */
        const double cuts[] = {0.0005, 0.002, 0.01, 0.03};
        for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                struct dc_call c = {.path = p, .size = (uint64_t)(len * cuts[i]) + 2};
                size_t noise = stderr_bytes_during(call_dc, &c);
                assert_int_equal(noise, 0);
                assert_false(c.got);
                /* data ends early: truncated (a cut inside a marker may read as corrupt) */
                assert_true(c.rc == IMG_E_TRUNCATED || c.rc == IMG_E_CORRUPT);
        }
        struct dc_call c = {.path = p, .size = (uint64_t)(len * 0.002)};
        stderr_bytes_during(call_dc, &c);
        assert_int_equal(c.rc, IMG_E_TRUNCATED);
        /* Through the public API the probe finds the missing end first. */
        char *cut = pk_test_strdupf("%s/cut.jpg", tmpdir);
        assert_int_equal(pk_test_write_file(cut, data, len / 2), 0);
        struct img_pixels px = {0};
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        assert_int_equal(img_thumb_to_pixels(cut, &spec, &px, NULL, NULL), IMG_E_TRUNCATED);
        unlink(cut);
        free(cut);
        free(data);
        free(p);
}

/* Byte offset just past the first SOS segment header and the offset of the
 * next marker after its entropy-coded data. */
static void first_scan(const uint8_t *d, size_t len, size_t *ret_sos, size_t *ret_data, size_t *ret_end)
{
        size_t pos = 2;
        while (pos + 4 < len) {
                assert_int_equal(d[pos], 0xFF);
                uint8_t m = d[pos + 1];
                size_t seg = ((size_t)d[pos + 2] << 8) | d[pos + 3];
                if (m == 0xDA) {
                        *ret_sos = pos;
                        *ret_data = pos + 2 + seg;
                        size_t q = *ret_data;
                        while (q + 1 < len && !(d[q] == 0xFF && d[q + 1] != 0 &&
                                                !(d[q + 1] >= 0xD0 && d[q + 1] <= 0xD7)))
                                q++;
                        *ret_end = q;
                        return;
                }
                pos += 2 + seg;
        }
        fail_msg("no SOS");
}

static void corrupt_dc_scans_fail_cleanly_or_decode_quietly(void **state)
{
        (void)state;
        char *p = photo_path("per-component-420");
        size_t len = 0;
        uint8_t *data = (uint8_t *)pk_test_read_file(p, &len);
        size_t sos, dstart, dend;
        first_scan(data, len, &sos, &dstart, &dend);
        char *bad = pk_test_strdupf("%s/bad.jpg", tmpdir);
        /* Garbage in the entropy data (no 0xFF, so no fake markers), then a
         * broken SOS header: each either decodes (libjpeg fills what it
         * cannot read with zeros, like libvips) or fails as corrupt. */
        for (int k = 0; k < 6; k++) {
                uint8_t *copy = malloc(len);
                memcpy(copy, data, len);
                if (k < 4) {
                        for (size_t i = dstart + (dend - dstart) * (size_t)k / 4;
                             i < dend && i < dstart + (dend - dstart) * (size_t)k / 4 + 64; i++)
                                copy[i] = copy[i] == 0xFF ? 0xFF : (uint8_t)(copy[i] ^ 0x5A);
                } else if (k == 4) {
                        copy[sos + 5] = 7; /* component count in the SOS */
                } else {
                        copy[sos + 6] = 99; /* component id nobody has */
                }
                assert_int_equal(pk_test_write_file(bad, copy, len), 0);
                struct dc_call c = {.path = bad};
                assert_int_equal(stderr_bytes_during(call_dc, &c), 0);
                assert_true(c.rc == IMG_OK || c.rc == IMG_E_CORRUPT);
                assert_int_equal(c.got, c.rc == IMG_OK);
                struct img_pixels px = {0};
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                int rc = img_thumb_to_pixels(bad, &spec, &px, NULL, NULL);
                assert_true(rc == IMG_OK || rc == IMG_E_CORRUPT || rc == IMG_E_TRUNCATED);
                img_pixels_free(&px);
                free(copy);
        }
        unlink(bad);
        free(bad);
        free(data);
        free(p);
}

static void forty_dc_scans_are_refused_as_corrupt(void **state)
{
        (void)state;
        /* The interleaved full-precision DC scan repeated 40 times: libjpeg
         * only warns (bogus progression) and would walk every block 40
         * times; the DC path stops at IMG_JPEG_DC_MAX_SCANS. */
        struct photo ph = {"dc40", 1024, 768, false, false, SCRIPT_DC_FULL, 0, false};
        char *p = photo_path(ph.name);
        write_photo(p, &ph);
        size_t len = 0;
        uint8_t *data = (uint8_t *)pk_test_read_file(p, &len);
        size_t sos, dstart, dend;
        first_scan(data, len, &sos, &dstart, &dend);
        size_t scan = dend - sos;
        size_t out_len = len + 39 * scan;
        uint8_t *out = malloc(out_len);
        memcpy(out, data, dend);
        for (int i = 0; i < 39; i++)
                memcpy(out + dend + (size_t)i * scan, data + sos, scan);
        memcpy(out + dend + 39 * scan, data + dend, len - dend);
        assert_int_equal(pk_test_write_file(p, out, out_len), 0);
        struct dc_call c = {.path = p};
        assert_int_equal(stderr_bytes_during(call_dc, &c), 0);
        assert_int_equal(c.rc, IMG_E_CORRUPT);
        struct img_errbuf eb = {.msg = ""};
        struct img_pixels px = {0};
        struct img_thumb_spec spec = {.size = 64, .quality = 85};
        assert_int_equal(img_thumb_to_pixels(p, &spec, &px, NULL, &eb), IMG_E_CORRUPT);
        assert_non_null(strstr(eb.msg, "scans before the DC image"));
        free(out);
        free(data);
        free(p);
}

int main(void)
{
        if (img_init("test_image_thumb_dc", NULL) != 0)
                return 1;
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(progressive_thumbnails_from_dc_match_libvips_within_tolerance),
                cmocka_unit_test(bench_corpus_progressive_photos_match_libvips),
                cmocka_unit_test(dc_path_steps_aside_when_an_eighth_is_smaller_than_asked),
                cmocka_unit_test(corpus_progressive_uses_dc_and_baseline_never_does),
                cmocka_unit_test(truncated_progressive_is_truncated_and_quiet),
                cmocka_unit_test(corrupt_dc_scans_fail_cleanly_or_decode_quietly),
                cmocka_unit_test(forty_dc_scans_are_refused_as_corrupt),
        };
        int r = cmocka_run_group_tests(tests, setup, teardown);
        img_shutdown();
        return r;
}
