/* drivers/camera through the REAL libgphoto2 with its "Directory Browse"
 * camlib on a disk: port (a folder standing in for a phone): listing skips
 * hidden folders and non-photos, fetch reports progress and writes the exact
 * bytes, cancellation and a folder removed mid-transfer leave no file
 * (DRV_E_REFUSED, DRV_E_GONE), a locked phone's errors map to
 * DRV_E_PERMISSION with the actionable message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <gphoto2/gphoto2-result.h>

#include "drivers/camera.h"
#include "tests/testutil.h"

#define MODEL "Directory Browse"
static char *tmp, *card, *port, *out;

static int setup(void **state)
{
        tmp = pk_test_mkdtemp("camera");
        card = pk_test_strdupf("%s/card", tmp);
        out = pk_test_strdupf("%s/out", tmp);
        port = pk_test_strdupf("disk:%s", card);
        char *cmd = pk_test_strdupf(
                "set -e; mkdir -p '%s/DCIM/100TEST' '%s/.hidden' '%s'; "
                "vips gaussnoise '%s/base.jpg[Q=80]' 640 480; "
                "for i in 1 2 3 4 5; do cp '%s/base.jpg' '%s/DCIM/100TEST/IMG_000'$i.JPG; "
                "printf $i >> '%s/DCIM/100TEST/IMG_000'$i.JPG; done; "
                "cp '%s/base.jpg' '%s/.hidden/secret.jpg'; echo notes > '%s/DCIM/notes.txt'",
                card, card, out, tmp, tmp, card, card, tmp, card, card);
        int r = system(cmd);
        free(cmd);
        return r == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        pk_test_rmtree(tmp);
        free(tmp), free(card), free(port), free(out);
        return 0;
}

static void lists_photos_and_skips_hidden(void **state)
{
        struct drv_camera *c = NULL;
        struct drv_errbuf err = {{0}};
        int r = drv_camera_open(MODEL, port, &c, &err);
        if (r)
                fprintf(stderr, "open: %s\n", err.msg);
        assert_int_equal(r, 0);
        struct drv_camera_file *f = NULL;
        size_t n = 0, skipped = 0;
        assert_int_equal(drv_camera_list(c, NULL, &f, &n, &skipped, &err), 0);
        assert_int_equal(n, 5); /* not .hidden/secret.jpg, not notes.txt */
        for (size_t i = 0; i < n; i++) {
                assert_non_null(strstr(f[i].folder, "DCIM/100TEST"));
                assert_true(f[i].size > 0);
                assert_null(strstr(f[i].name, "secret"));
        }
        free(f);
        drv_camera_free(c);
}

struct prog {
        int calls;
        uint64_t last_done, last_total;
        int cancel_at;          /* cancel on this call (0: never) */
        const char *rename_from, *rename_to; /* pull-out on the first call */
};

static int on_progress(void *user, uint64_t done, uint64_t total)
{
        struct prog *p = user;
        p->calls++;
        p->last_done = done, p->last_total = total;
        if (p->rename_from && p->calls == 1)
                rename(p->rename_from, p->rename_to);
        return p->cancel_at && p->calls >= p->cancel_at;
}

static int count_entries(const char *dir)
{
        char *cmd = pk_test_strdupf("test $(ls -A '%s' | wc -l) -eq 0", dir);
        int r = system(cmd);
        free(cmd);
        return r == 0 ? 0 : 1;
}

static void fetch_reports_progress_and_copies_exact_bytes(void **state)
{
        struct drv_camera *c = NULL;
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_camera_open(MODEL, port, &c, &err), 0);
        struct drv_camera_file *f = NULL;
        size_t n = 0;
        assert_int_equal(drv_camera_list(c, NULL, &f, &n, NULL, &err), 0);
        assert_true(n > 0);
        char *dst = pk_test_strdupf("%s/got.jpg", out);
        struct prog p = {0};
        assert_int_equal(drv_camera_fetch(c, f[0].folder, f[0].name, dst, on_progress, &p, &err), 0);
        assert_true(p.calls >= 1);
        assert_int_equal(p.last_done, f[0].size);
        assert_int_equal(p.last_total, f[0].size);
        char *src = pk_test_strdupf("%s/DCIM/100TEST/%s", card, f[0].name);
        size_t la = 0, lb = 0;
        char *a = pk_test_read_file(src, &la), *b = pk_test_read_file(dst, &lb);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a), free(b), free(src);
        unlink(dst);
        /* The directory camlib offers no preview: reported, not faked. */
        assert_int_equal(drv_camera_fetch_preview(c, f[0].folder, f[0].name, dst, &err), DRV_E_NOT_FOUND);
        assert_int_equal(count_entries(out), 0);
        free(dst);
        free(f);
        drv_camera_free(c);
}

static void cancel_and_pull_out_leave_no_file(void **state)
{
        struct drv_camera *c = NULL;
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_camera_open(MODEL, port, &c, &err), 0);
        struct drv_camera_file *f = NULL;
        size_t n = 0;
        assert_int_equal(drv_camera_list(c, NULL, &f, &n, NULL, &err), 0);
        char *dst = pk_test_strdupf("%s/x.jpg", out);
        struct prog cancel = {.cancel_at = 1};
        assert_int_equal(drv_camera_fetch(c, f[1].folder, f[1].name, dst, on_progress, &cancel, &err),
                         DRV_E_REFUSED);
        assert_int_equal(count_entries(out), 0);

        char *from = pk_test_strdupf("%s/DCIM", card), *to = pk_test_strdupf("%s/pulled", tmp);
        struct prog pull = {.rename_from = from, .rename_to = to};
        assert_int_equal(drv_camera_fetch(c, f[2].folder, f[2].name, dst, on_progress, &pull, &err),
                         DRV_E_GONE);
        assert_int_equal(count_entries(out), 0);
        /* The camera is still usable, and the file is simply gone. */
        assert_int_equal(drv_camera_fetch(c, f[3].folder, f[3].name, dst, NULL, NULL, &err), DRV_E_GONE);
        rename(to, from);
        assert_int_equal(drv_camera_fetch(c, f[3].folder, f[3].name, dst, NULL, NULL, &err), 0);
        unlink(dst);
        free(from), free(to), free(dst), free(f);
        drv_camera_free(c);
}

static void errors_map_to_actionable_codes(void **state)
{
        struct drv_errbuf err = {{0}};
        assert_int_equal(drv_camera_map_error(GP_ERROR_IO_USB_CLAIM, NULL, &err), DRV_E_PERMISSION);
        assert_non_null(strstr(err.msg, "Unlock the phone"));
        assert_int_equal(drv_camera_map_error(GP_ERROR, "PTP Access Denied", &err), DRV_E_PERMISSION);
        assert_int_equal(drv_camera_map_error(GP_ERROR_IO_READ, NULL, &err), DRV_E_GONE);
        assert_int_equal(drv_camera_map_error(GP_ERROR_TIMEOUT, NULL, &err), DRV_E_TIMEOUT);
        struct drv_camera *c = NULL;
        assert_int_equal(drv_camera_open("No Such Camera 9000", port, &c, &err), DRV_E_NOT_FOUND);
        assert_null(c);
        struct drv_camera_desc d[4];
        size_t nd = 99;
        assert_int_equal(drv_camera_autodetect(d, 4, &nd, &err), 0);
        assert_true(nd <= 4);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lists_photos_and_skips_hidden),
                cmocka_unit_test(fetch_reports_progress_and_copies_exact_bytes),
                cmocka_unit_test(cancel_and_pull_out_leave_no_file),
                cmocka_unit_test(errors_map_to_actionable_codes),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
