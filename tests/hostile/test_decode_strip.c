/* Tests for metadata stripping in the sandboxed decode helper
 * (app_decode_strip_file / app_decode_strip_fd, printkiosk-decode's
 * APP_DECODE_OP_STRIP): the helper writes exactly what the in-process
 * app_strip_file writes for every photo of the corpus fixture and for a
 * JPEG, PNG, WebP and HEIC given GPS/owner/serial EXIF and XMP with
 * exiftool (no GPS left, same pixels through libvips); a crash or hang
 * mid-write, a forged answer or a flood past the file-size limit costs that
 * one photo, leaves no file and the pool carries on. */
#include <dirent.h>
#include <fcntl.h>
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

#include "app/decode_pool.h"
#include "app/strip_metadata.h"
#include "image/probe.h"
#include "tests/hostile/decode_fixture.h"
#include "tests/testutil.h"

#define CANARY "PKCANARY5521"

static char *dir;

static int run(const char *cmd)
{
        int rc = system(cmd);
        if (rc != 0)
                print_error("command failed (%d): %s\n", rc, cmd);
        return rc;
}

static bool exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

/* Entries of `d` whose name starts with `prefix` (temp files left behind). */
static int count_prefixed(const char *d, const char *prefix)
{
        DIR *dd = opendir(d);
        int n = 0;
        struct dirent *e;
        while (dd && (e = readdir(dd)) != NULL)
                n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
        if (dd)
                closedir(dd);
        return n;
}

static bool contains(const char *path, const char *needle)
{
        size_t n = 0, k = strlen(needle);
        char *b = pk_test_read_file(path, &n);
        bool found = false;
        for (size_t i = 0; b && i + k <= n && !found; i++)
                found = memcmp(b + i, needle, k) == 0;
        free(b);
        return found;
}

/* Strip `in` both ways; both verdicts must agree, and on success the two
 * outputs and reports must be identical. Returns the verdict. */
static int both_ways(struct app_decode_pool *p, const char *in, const char *tag)
{
        char *a = pk_test_strdupf("%s/%s.inproc", dir, tag), *b = pk_test_strdupf("%s/%s.helper", dir, tag);
        struct app_strip_report ra = {0}, rb = {0};
        struct img_errbuf ea = {{0}}, eb = {{0}};
        int rca = app_strip_file(in, a, APP_STRIP_PRIVATE, &ra, &ea);
        int rcb = app_decode_strip_file(p, in, b, APP_STRIP_PRIVATE, &rb, &eb);
        if (rca != rcb)
                fail_msg("%s: in process %s (%s), helper %s (%s)", tag, img_strerror(rca), ea.msg,
                         app_decode_strerror(rcb), eb.msg);
        if (rca == 0) {
                size_t na = 0, nb = 0;
                char *da = pk_test_read_file(a, &na), *db = pk_test_read_file(b, &nb);
                assert_non_null(da);
                assert_non_null(db);
                assert_int_equal(na, nb);
                assert_memory_equal(da, db, na);
                assert_int_equal(ra.segments_dropped, rb.segments_dropped);
                assert_int_equal(ra.gps_entries_removed, rb.gps_entries_removed);
                assert_int_equal(ra.tags_blanked, rb.tags_blanked);
                assert_int_equal(ra.items_blanked, rb.items_blanked);
                free(da);
                free(db);
        } else {
                assert_false(exists(b)); /* a refusal writes nothing */
        }
        free(a);
        free(b);
        return rca;
}

static void every_corpus_file_strips_the_same_in_the_helper_as_in_process(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(20000);
        char *cdir = pk_test_strdupf("%s/corpus", pk_test_build_dir());
        DIR *d = opendir(cdir);
        assert_non_null(d);
        int ok = 0, refused = 0;
        struct dirent *e;
        for (int guard = 0; guard < 1000 && (e = readdir(d)) != NULL; guard++) {
                if (e->d_name[0] == '.' || strcmp(e->d_name, "expected.tsv") == 0)
                        continue;
                char *in = pk_test_strdupf("%s/%s", cdir, e->d_name);
                struct stat st;
                if (stat(in, &st) == 0 && S_ISREG(st.st_mode)) {
                        char *tag = pk_test_strdupf("corpus-%s", e->d_name);
                        if (both_ways(p, in, tag) == 0)
                                ok++;
                        else
                                refused++;
                        free(tag);
                }
                free(in);
        }
        closedir(d);
        print_message("corpus: %d stripped identically, %d refused identically\n", ok, refused);
        assert_true(ok >= 20);     /* the JPEGs, PNGs, WebP, HEIC */
        assert_true(refused >= 5); /* truncated, empty, TIFF, GIF, ... */
        assert_int_equal(count_prefixed(dir, "corpus-"), 2 * ok);
        app_decode_pool_free(p);
        free(cdir);
}

/* Largest absolute pixel difference between two photos decoded by libvips. */
static double pixel_diff(const char *a, const char *b)
{
        VipsImage *ia = vips_image_new_from_file(a, NULL), *ib = vips_image_new_from_file(b, NULL);
        VipsImage *d = NULL, *ab = NULL;
        double m = 1e9;
        if (ia && ib && ia->Xsize == ib->Xsize && ia->Ysize == ib->Ysize && ia->Bands == ib->Bands &&
            !vips_subtract(ia, ib, &d, NULL) && !vips_abs(d, &ab, NULL) && vips_max(ab, &m, NULL))
                m = 1e9;
        if (!ia || !ib)
                print_error("vips: %s\n", vips_error_buffer());
        vips_error_clear();
        if (ab)
                g_object_unref(ab);
        if (d)
                g_object_unref(d);
        if (ia)
                g_object_unref(ia);
        if (ib)
                g_object_unref(ib);
        return m;
}

static void gps_and_owner_exif_gone_in_the_helper_same_pixels_same_bytes_as_in_process(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(20000);
        static const char *const names[] = {"srgb-icc.jpg", "orient-6.jpg", "alpha.png", "photo.webp",
                                            "photo.heic"};
        enum { N = sizeof(names) / sizeof(names[0]) };
        /* One exiftool run for all (perl starts slowly on a loaded machine). */
        char *ins = pk_test_strdupf("%s", ""), *outs = pk_test_strdupf("%s", "");
        for (size_t i = 0; i < N; i++) {
                char *src = pk_test_strdupf("%s/corpus/%s", pk_test_build_dir(), names[i]);
                char *in = pk_test_strdupf("%s/gps-%s", dir, names[i]);
                char *cmd = pk_test_strdupf("cp '%s' '%s'", src, in);
                assert_int_equal(run(cmd), 0);
                char *t = pk_test_strdupf("%s '%s'", ins, in);
                free(ins);
                ins = t;
                t = pk_test_strdupf("%s '%s.stripped'", outs, in);
                free(outs);
                outs = t;
                free(cmd);
                free(src);
                free(in);
        }
        char *cmd = pk_test_strdupf(
                "exiftool -q -q -m -overwrite_original -GPSLatitude=47.5 -GPSLatitudeRef=N "
                "-GPSLongitude=8.7 -GPSLongitudeRef=E -GPSAltitude=410 -SerialNumber=" CANARY "SN "
                "-OwnerName=" CANARY "OWN -Artist=" CANARY "ART -UserComment=" CANARY "UC "
                "-XMP:Description=" CANARY "XMP %s",
                ins);
        assert_int_equal(run(cmd), 0);
        free(cmd);
        for (size_t i = 0; i < N; i++) {
                char *in = pk_test_strdupf("%s/gps-%s", dir, names[i]);
                char *out = pk_test_strdupf("%s.stripped", in);
                assert_true(contains(in, CANARY));
                char *tag = pk_test_strdupf("gpscmp-%s", names[i]);
                assert_int_equal(both_ways(p, in, tag), 0); /* same bytes, same report */
                free(tag);
                struct app_strip_report rep = {0};
                struct img_errbuf err = {{0}};
                int rc = app_decode_strip_file(p, in, out, APP_STRIP_PRIVATE, &rep, &err);
                if (rc != 0)
                        fail_msg("%s: %s (%s)", names[i], app_decode_strerror(rc), err.msg);
                /* The GPS IFD was there (its entries were removed) ... */
                if (rep.gps_entries_removed < 4)
                        fail_msg("%s: %d GPS entries removed", names[i], rep.gps_entries_removed);
                assert_false(contains(out, CANARY));
                double m = pixel_diff(in, out);
                if (m != 0)
                        fail_msg("%s: pixels differ by %g after stripping", names[i], m);
                free(in);
                free(out);
        }
        /* ... and none is left, as exiftool reads the outputs. */
        cmd = pk_test_strdupf("exiftool -q -q -s -s -s -gps:all %s | grep -q . && exit 1 || exit 0", outs);
        assert_int_equal(run(cmd), 0);
        free(cmd);
        free(ins);
        free(outs);
        app_decode_pool_free(p);
}

static void crash_or_hang_mid_write_costs_the_photo_and_leaves_no_file(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(1500);
        char *in = pk_test_strdupf("%s/corpus/srgb-icc.jpg", pk_test_build_dir());
        struct {
                enum app_decode_strip_fault how;
                int want;
        } cases[] = {
                {APP_DECODE_STRIP_CRASH, APP_DECODE_E_CRASHED},
                {APP_DECODE_STRIP_HANG, APP_DECODE_E_TIMEOUT},
                {APP_DECODE_STRIP_SHORT, APP_DECODE_E_PROTOCOL},
                {APP_DECODE_STRIP_CLAIM_MORE, APP_DECODE_E_PROTOCOL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = pk_test_strdupf("%s/fault-%zu.jpg", dir, i);
                struct img_errbuf err = {{0}};
                assert_int_equal(app_decode_strip_file(p, in, out, APP_STRIP_PRIVATE, NULL, &err), 0);
                int pid = app_decode_pool_helper_pid(p, 0);
                assert_true(pid > 0);
                unlink(out);
                assert_int_equal(app_decode_pool_fault_next_strip(p, cases[i].how), 0);
                int rc = app_decode_strip_file(p, in, out, APP_STRIP_PRIVATE, NULL, &err);
                if (rc != cases[i].want)
                        fail_msg("fault %d: got %s (%s), want %s", (int)cases[i].how,
                                 app_decode_strerror(rc), err.msg, app_decode_strerror(cases[i].want));
                assert_false(exists(out));
                assert_int_equal(count_prefixed(dir, "fault-"), 0); /* no temp file either */
                assert_int_equal(app_decode_pool_helper_pid(p, 0), 0); /* killed, reaped */
                /* The next photo is served by a fresh helper. */
                assert_int_equal(app_decode_strip_file(p, in, out, APP_STRIP_PRIVATE, NULL, &err), 0);
                assert_true(exists(out));
                assert_int_not_equal(app_decode_pool_helper_pid(p, 0), pid);
                unlink(out);
                free(out);
        }
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.crashed, 1);
        assert_int_equal(st.timeouts, 1);
        assert_int_equal(st.protocol_errors, 2);
        app_decode_pool_free(p);
        free(in);
}

static void writing_past_the_file_size_limit_kills_the_helper(void **state)
{
        (void)state;
        /* Small limits so the flood is short; the pool passes them on. */
        struct img_limits small = *img_get_limits(), saved = small;
        small.max_file_bytes = 4u << 20;
        assert_int_equal(img_init(NULL, &small), 0);
        struct app_decode_pool *p = hostile_decode_pool(20000);
        char *in = pk_test_strdupf("%s/corpus/srgb-icc.jpg", pk_test_build_dir());
        char *out = pk_test_strdupf("%s/flood.jpg", dir);
        struct img_errbuf err = {{0}};
        assert_int_equal(app_decode_pool_fault_next_strip(p, APP_DECODE_STRIP_FLOOD), 0);
        int rc = app_decode_strip_file(p, in, out, APP_STRIP_PRIVATE, NULL, &err);
        if (rc != APP_DECODE_E_CRASHED)
                fail_msg("flood: got %s (%s)", app_decode_strerror(rc), err.msg);
        assert_non_null(strstr(err.msg, "signal 25")); /* SIGXFSZ */
        assert_false(exists(out));
        assert_int_equal(count_prefixed(dir, "flood"), 0);
        app_decode_pool_free(p);
        assert_int_equal(img_init(NULL, &saved), 0);
        free(in);
        free(out);
}

static void bad_outputs_and_inputs_are_refused_before_the_helper(void **state)
{
        (void)state;
        struct app_decode_pool *p = hostile_decode_pool(20000);
        char *in = pk_test_strdupf("%s/corpus/srgb-icc.jpg", pk_test_build_dir());
        char *other = pk_test_strdupf("%s/not-empty", dir);
        char *empty = pk_test_strdupf("%s/empty.jpg", dir);
        assert_int_equal(pk_test_write_file(other, "x", 1), 0);
        assert_int_equal(pk_test_write_file(empty, "", 0), 0);
        int fi = open(in, O_RDONLY | O_CLOEXEC);
        int fo = open(other, O_WRONLY | O_CLOEXEC);
        int fr = open(empty, O_RDONLY | O_CLOEXEC);
        assert_true(fi >= 0 && fo >= 0 && fr >= 0);
        struct img_errbuf err = {{0}};
        uint64_t len = 0;
        /* Output not empty, read-only, the input itself; input empty. */
        assert_int_equal(app_decode_strip_fd(p, fi, fo, APP_STRIP_PRIVATE, &len, NULL, &err),
                         APP_DECODE_E_INVALID);
        assert_int_equal(app_decode_strip_fd(p, fi, fr, APP_STRIP_PRIVATE, &len, NULL, &err),
                         APP_DECODE_E_INVALID);
        assert_int_equal(app_decode_strip_fd(p, fi, fi, APP_STRIP_PRIVATE, &len, NULL, &err),
                         APP_DECODE_E_INVALID);
        assert_int_equal(app_decode_strip_fd(p, fr, fo, APP_STRIP_PRIVATE, &len, NULL, &err), IMG_E_EMPTY);
        assert_int_equal(app_decode_strip_fd(p, fi, fo, (enum app_strip_mode)7, &len, NULL, &err),
                         APP_DECODE_E_INVALID);
        struct app_decode_stats st;
        app_decode_pool_stats(p, &st);
        assert_int_equal(st.requests, 0); /* none reached a helper */
        close(fi);
        close(fo);
        close(fr);
        app_decode_pool_free(p);
        free(in);
        free(other);
        free(empty);
}

static int setup(void **state)
{
        (void)state;
        dir = pk_test_mkdtemp("decode-strip");
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
                cmocka_unit_test(every_corpus_file_strips_the_same_in_the_helper_as_in_process),
                cmocka_unit_test(gps_and_owner_exif_gone_in_the_helper_same_pixels_same_bytes_as_in_process),
                cmocka_unit_test(crash_or_hang_mid_write_costs_the_photo_and_leaves_no_file),
                cmocka_unit_test(writing_past_the_file_size_limit_kills_the_helper),
                cmocka_unit_test(bad_outputs_and_inputs_are_refused_before_the_helper),
        };
        int rc = cmocka_run_group_tests(tests, setup, teardown);
        img_shutdown();
        return rc;
}
