/* Sandboxed print masters (app/render_sandbox.c + printkiosk-render):
 * - the helper's master is byte-identical to the in-process one (corpus
 *   photos of every allowed format and colour layout, TIFF and PNG, 1-up and
 *   2-up with border), with the same result fields;
 * - a helper that crashes, hangs, burns CPU, runs out of memory, writes a
 *   bad file or lies about its size is an error for that master, with a
 *   message saying which, and leaves no temp file;
 * - Landlock is in force: the helper reads the photo and its profile but not
 *   a file next to the photo, /etc/passwd or "/" (skips where the kernel has
 *   no Landlock);
 * - IMG_RENDER_VERIFY still refuses a record whose input changed.
 * Uses the corpus fixture ($PK_BUILD_DIR/corpus) and the helper from
 * $PK_RENDER_HELPER. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/render_sandbox.h"
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/render.h"
#include "tests/testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define PK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_ASAN 1
#endif
#endif

static struct img_catalogue *cat;
static struct img_manifest *man;

static int setup(void **state)
{
        (void)state;
        struct img_errbuf err = {{0}};
        if (img_init("test_render_sandbox", NULL) != 0)
                return -1;
        if (img_catalogue_load(app_default_catalogue(), &cat, &err) != 0 ||
            img_manifest_load(app_default_profiles_dir(), &man, &err) != 0) {
                fprintf(stderr, "catalogue/manifest: %s\n", err.msg);
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        img_catalogue_free(cat);
        img_manifest_free(man);
        img_shutdown();
        return 0;
}

static char *corpus(const char *name)
{
        return pk_test_strdupf("%s/corpus/%s", pk_test_build_dir(), name);
}

/* (transfer full) a spec for a corpus photo. */
static struct img_render_spec *spec_for(const char *path, const char *sku,
                                        enum img_out_format fmt)
{
        struct img_errbuf err = {{0}};
        struct img_probe pr;
        struct img_paper paper;
        const struct img_product *prod = img_catalogue_find(cat, sku);
        assert_non_null(prod);
        if (img_probe_file(path, 0, &pr, &err) != 0)
                fail_msg("probe %s: %s", path, err.msg);
        assert_int_equal(img_paper_lookup(man, NULL, "glossy", &paper, &err), 0);
        struct img_render_spec *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        if (img_render_spec_init_from(path, &pr, prod, &paper, NULL, 0, NULL, fmt,
                                      app_default_profiles_dir(), s, NULL, &err) != 0)
                fail_msg("spec %s: %s", path, err.msg);
        return s;
}

/* Number of entries in dir other than "." and "..". */
static int entries(const char *dir)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        int n = 0;
        for (struct dirent *e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void assert_same_file(const char *a, const char *b)
{
        size_t la = 0, lb = 0;
        char *da = pk_test_read_file(a, &la), *db = pk_test_read_file(b, &lb);
        assert_non_null(da);
        assert_non_null(db);
        assert_int_equal(la, lb);
        if (memcmp(da, db, la) != 0)
                fail_msg("%s and %s differ", a, b);
        free(da);
        free(db);
}

static void sandboxed_master_is_byte_identical_to_in_process(void **state)
{
        (void)state;
        static const char *const photos[] = {
                "srgb-icc.jpg", "adobergb-icc.jpg", "noprofile.jpg", "orient-6.jpg",
                "cmyk.jpg", "sixteen-bit.png", "photo.webp", "photo.heic"};
        static const char *const skus[] = {"PRINT-6X4", "PRINT-3X4-2UP", "PRINT-10X8"};
        char *dir = pk_test_mkdtemp("render-same");
        int n = 0;
        for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) {
                for (int f = 0; f < _IMG_OUT_MAX; f++) {
                        /* every photo in both formats; the other products on a few */
                        const char *sku = i < 3 ? skus[(i + (size_t)f) % 3] : skus[0];
                        char *in = corpus(photos[i]);
                        struct img_render_spec *s = spec_for(in, sku, (enum img_out_format)f);
                        char *a = pk_test_strdupf("%s/in-process-%zu-%d", dir, i, f);
                        char *b = pk_test_strdupf("%s/sandboxed-%zu-%d", dir, i, f);
                        struct img_render_result ra, rb;
                        struct img_errbuf err = {{0}};
                        if (img_render_master(s, a, 0, &ra, &err) != 0)
                                fail_msg("in process %s: %s", photos[i], err.msg);
                        int rc = app_render_master_sandboxed(s, b, 0, &rb, &err);
                        if (rc != 0)
                                fail_msg("sandboxed %s (%s, %s): %s: %s", photos[i], sku,
                                         img_out_format_name((enum img_out_format)f),
                                         img_strerror(rc), err.msg);
                        assert_same_file(a, b);
                        assert_string_equal(ra.sha256, rb.sha256);
                        assert_int_equal(ra.bytes, rb.bytes);
                        assert_int_equal(ra.width, rb.width);
                        assert_int_equal(ra.height, rb.height);
                        assert_int_equal(ra.shrink, rb.shrink);
                        assert_true(ra.effective_dpi == rb.effective_dpi);
                        n += 2;
                        free(a);
                        free(b);
                        free(s);
                        free(in);
                }
        }
        /* Exactly the masters: no temp file of either path is left. */
        assert_int_equal(entries(dir), n);
        pk_test_rmtree(dir);
        free(dir);
}

struct fault {
        const char *hook;
        int timeout_ms, cpu_seconds;
        uint64_t mem;
        int want_rc;
        const char *want_msg;
};

static void run_fault(const struct fault *f)
{
        char *dir = pk_test_mkdtemp("render-fault");
        char *in = corpus("srgb-icc.jpg");
        struct img_render_spec *s = spec_for(in, "PRINT-6X4", IMG_OUT_PNG);
        char *out = pk_test_strdupf("%s/master.png", dir);
        struct app_render_opts o = {.timeout_ms = f->timeout_ms, .cpu_seconds = f->cpu_seconds,
                                    .mem_bytes = f->mem, .test_hook = f->hook};
        struct img_render_result r;
        struct img_errbuf err = {{0}};
        int rc = app_render_master_sandboxed_opts(s, out, 0, &o, &r, &err);
        printf("hook %s: %s: %s\n", f->hook, img_strerror(rc), err.msg);
        assert_int_equal(rc, f->want_rc);
        if (!strstr(err.msg, f->want_msg))
                fail_msg("hook %s: message '%s' lacks '%s'", f->hook, err.msg, f->want_msg);
        assert_int_equal(access(out, F_OK), -1);
        assert_int_equal(entries(dir), 0); /* no temp file left */
        /* The next master renders as usual: nothing in this process broke. */
        o.test_hook = NULL;
        o.mem_bytes = 0;
        o.timeout_ms = o.cpu_seconds = 0;
        assert_int_equal(app_render_master_sandboxed_opts(s, out, 0, &o, &r, &err), 0);
        assert_int_equal(entries(dir), 1);
        free(out);
        free(s);
        free(in);
        pk_test_rmtree(dir);
        free(dir);
}

static void crashing_helper_is_an_error_and_leaves_no_temp_file(void **state)
{
        (void)state;
        run_fault(&(struct fault){"crash", 0, 0, 0, IMG_E_CORRUPT, "crashed"});
}

static void hanging_helper_is_killed_at_the_timeout(void **state)
{
        (void)state;
        run_fault(&(struct fault){"hang", 1500, 0, 0, IMG_E_CORRUPT, "timed out"});
}

static void cpu_burning_helper_stops_at_its_cpu_limit(void **state)
{
        (void)state;
        run_fault(&(struct fault){"cpu", 20000, 1, 0, IMG_E_CORRUPT, "CPU limit"});
}

static void oversized_allocation_is_out_of_memory(void **state)
{
        (void)state;
        run_fault(&(struct fault){"memory", 60000, 0, 256ull << 20, IMG_E_TOO_MANY_PIXELS,
                                  "out of memory"});
}

static void bad_output_file_is_refused(void **state)
{
        (void)state;
        run_fault(&(struct fault){"bad-output", 0, 0, 0, IMG_E_INTERNAL, "not a PNG"});
}

static void answer_that_differs_from_the_spec_is_refused(void **state)
{
        (void)state;
        run_fault(&(struct fault){"wrong-size", 0, 0, 0, IMG_E_INTERNAL, "differs from the spec"});
}

/* A real photo, no hook, a memory limit too small for it (the helper
 * itself needs ~150 MB of address space after start-up): an error, no file. */
static void real_photo_over_a_small_memory_limit_fails_cleanly(void **state)
{
        (void)state;
#ifdef PK_ASAN
        skip(); /* no RLIMIT_AS under ASan; the hook test covers its RSS limit */
#else
        char *dir = pk_test_mkdtemp("render-oom");
        /* A legal 48 MP photo (the corpus keeps its photos small). */
        char *in = pk_test_strdupf("%s/big.png", dir);
        char *cmd = pk_test_strdupf("vips black '%s' 8000 6000 --bands 3 >/dev/null 2>&1", in);
        if (system(cmd) != 0)
                fail_msg("vips black failed");
        free(cmd);
        struct img_render_spec *s = spec_for(in, "PRINT-10X8", IMG_OUT_TIFF);
        char *out = pk_test_strdupf("%s/master.tif", dir);
        struct app_render_opts o = {.mem_bytes = 200ull << 20};
        struct img_render_result r;
        struct img_errbuf err = {{0}};
        int rc = app_render_master_sandboxed_opts(s, out, 0, &o, &r, &err);
        printf("48 MP in 200 MB: %s: %s\n", img_strerror(rc), err.msg);
        assert_true(rc < 0);
        assert_int_equal(access(out, F_OK), -1);
        assert_int_equal(entries(dir), 1); /* only the photo */
        free(out);
        free(s);
        free(in);
        pk_test_rmtree(dir);
        free(dir);
#endif
}

static void landlock_lets_the_helper_read_its_photo_and_nothing_else(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("render-landlock");
        /* The photo and a file next to it, in the same folder. */
        char *src = corpus("srgb-icc.jpg");
        size_t len = 0;
        char *bytes = pk_test_read_file(src, &len);
        assert_non_null(bytes);
        char *in = pk_test_strdupf("%s/photo.jpg", dir);
        char *other = pk_test_strdupf("%s/other-customer.jpg", dir);
        assert_int_equal(pk_test_write_file(in, bytes, len), 0);
        assert_int_equal(pk_test_write_file(other, bytes, len), 0);
        struct img_render_spec *s = spec_for(in, "PRINT-6X4", IMG_OUT_PNG);
        char *out = pk_test_strdupf("%s/master.png", dir);
        struct app_render_opts o = {.test_hook = "files", .test_path = other};
        struct img_render_result r;
        struct img_errbuf err = {{0}};
        int rc = app_render_master_sandboxed_opts(s, out, 0, &o, &r, &err);
        printf("helper: %s\n", err.msg);
        assert_int_equal(rc, IMG_E_IO); /* the hook's report */
        if (strstr(err.msg, "landlock=0 ")) {
                printf("SKIP: no Landlock on this kernel: seccomp and rlimits only\n");
        } else {
                assert_non_null(strstr(err.msg, "input=opened profile=opened"));
                if (!strstr(err.msg, "other=refused passwd=refused root=refused"))
                        fail_msg("the sandboxed render helper read outside its record: %s", err.msg);
        }
        assert_int_equal(entries(dir), 2);
        /* And a real master from the same folder still renders. */
        assert_int_equal(app_render_master_sandboxed(s, out, 0, &r, &err), 0);
        free(out);
        free(s);
        free(in);
        free(other);
        free(bytes);
        free(src);
        pk_test_rmtree(dir);
        free(dir);
}

static void verify_refuses_a_changed_input_from_the_helper(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("render-verify");
        char *in = corpus("noprofile.jpg");
        struct img_render_spec *s = spec_for(in, "PRINT-6X4", IMG_OUT_TIFF);
        char *out = pk_test_strdupf("%s/master.tif", dir);
        struct img_render_result r;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_render_master_sandboxed(s, out, IMG_RENDER_VERIFY, &r, &err), 0);
        s->input_sha256[0] = s->input_sha256[0] == 'a' ? 'b' : 'a';
        char *out2 = pk_test_strdupf("%s/master2.tif", dir);
        int rc = app_render_master_sandboxed(s, out2, IMG_RENDER_VERIFY, &r, &err);
        assert_int_equal(rc, IMG_E_INVALID);
        assert_non_null(strstr(err.msg, "input changed"));
        assert_int_equal(entries(dir), 1);
        free(out);
        free(out2);
        free(s);
        free(in);
        pk_test_rmtree(dir);
        free(dir);
}

static void missing_helper_is_an_error(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("render-nohelper");
        char *in = corpus("noprofile.jpg");
        struct img_render_spec *s = spec_for(in, "PRINT-6X4", IMG_OUT_TIFF);
        char *out = pk_test_strdupf("%s/master.tif", dir);
        struct app_render_opts o = {.helper_path = "/nonexistent/printkiosk-render"};
        struct img_render_result r;
        struct img_errbuf err = {{0}};
        assert_int_equal(app_render_master_sandboxed_opts(s, out, 0, &o, &r, &err), IMG_E_INTERNAL);
        assert_non_null(strstr(err.msg, "not found"));
        assert_int_equal(entries(dir), 0);
        free(out);
        free(s);
        free(in);
        pk_test_rmtree(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(sandboxed_master_is_byte_identical_to_in_process),
                cmocka_unit_test(crashing_helper_is_an_error_and_leaves_no_temp_file),
                cmocka_unit_test(hanging_helper_is_killed_at_the_timeout),
                cmocka_unit_test(cpu_burning_helper_stops_at_its_cpu_limit),
                cmocka_unit_test(oversized_allocation_is_out_of_memory),
                cmocka_unit_test(bad_output_file_is_refused),
                cmocka_unit_test(answer_that_differs_from_the_spec_is_refused),
                cmocka_unit_test(real_photo_over_a_small_memory_limit_fails_cleanly),
                cmocka_unit_test(landlock_lets_the_helper_read_its_photo_and_nothing_else),
                cmocka_unit_test(verify_refuses_a_changed_input_from_the_helper),
                cmocka_unit_test(missing_helper_is_an_error),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
