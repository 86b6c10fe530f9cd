/* Privacy canaries: a whole customer session (ingest a volume with thumbnails
 * and a spool, select two photos, order one, end the session) with canary
 * strings planted in folder and file names, EXIF comments/owner, GPS text tags
 * and the volume label (the volume id the kiosk gets from udev). Afterwards
 * every file under the data folder (store, spool, thumbnails, masters) and
 * everything logged (stderr, at debug level) is scanned:
 *   - the unordered photo's canaries and the volume label appear nowhere;
 *   - the ordered photo's canaries appear only in that order's own files (its
 *     spool original and master, named by its SHA-256) and the store;
 *   - what goes to headquarters after app_strip_jpeg has no EXIF/GPS canary.
 * Photos are made with vips and exiftool in a temp dir.
 */

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/ingest.h"
#include "app/orders.h"
#include "app/strip_metadata.h"
#include "image/image.h"
#include "tests/testutil.h"

static const char *canaries_a[] = {"PKCANFOLDA", "PKCANNAMEA", "PKCANEXIFA", "PKCANGPSA", "PKCANOWNA"};
static const char *canaries_b[] = {"PKCANFOLDB", "PKCANNAMEB", "PKCANEXIFB", "PKCANGPSB", "PKCANOWNB"};
#define VOLUME_LABEL "PKCANVOLLABEL"

static char sha_a[65], sha_b[65];
static int bad;

static bool contains(const char *path, const char *needle)
{
        size_t n = 0;
        char *b = pk_test_read_file(path, &n);
        if (!b)
                return false;
        bool hit = memmem(b, n, needle, strlen(needle)) != NULL;
        free(b);
        return hit;
}

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)ftw;
        if (type != FTW_F || !S_ISREG(st->st_mode))
                return 0;
        /* File names under the data folder must not carry a canary either. */
        for (size_t i = 0; i < 5; i++) {
                if (strstr(path, canaries_a[i]) || strstr(path, canaries_b[i])) {
                        print_error("canary in a file name: %s\n", path);
                        bad++;
                }
        }
        bool order_file = strstr(path, sha_a) != NULL || strstr(path, "kiosk.db") != NULL;
        for (size_t i = 0; i < 5; i++) {
                if (contains(path, canaries_b[i])) {
                        print_error("unordered photo's %s left in %s\n", canaries_b[i], path);
                        bad++;
                }
                if (!order_file && contains(path, canaries_a[i])) {
                        print_error("ordered photo's %s outside its order, in %s\n", canaries_a[i], path);
                        bad++;
                }
        }
        if (contains(path, VOLUME_LABEL)) {
                print_error("volume label kept in %s\n", path);
                bad++;
        }
        return 0;
}

/* Any spool copy of `sha` (ingest and orders may use different extensions)
 * holds `needle`. */
static bool spool_copy_contains(const char *spool, const char *sha, const char *needle)
{
        DIR *d = opendir(spool);
        bool hit = false;
        struct dirent *de;
        while (d && !hit && (de = readdir(d))) {
                if (strncmp(de->d_name, sha, 64) != 0)
                        continue;
                char *p = pk_test_strdupf("%s/%s", spool, de->d_name);
                hit = contains(p, needle);
                free(p);
        }
        if (d)
                closedir(d);
        return hit;
}

static void make_photo(const char *dir, const char *vol, const char *const *c, int shade)
{
        char *cmd = pk_test_strdupf(
                "mkdir -p '%s/DCIM/%s' && vips black '%s/b.v' 400 300 --bands 3 >/dev/null && "
                "vips linear '%s/b.v' '%s/DCIM/%s/IMG_%s.jpg[Q=85]' '1 1 1' '%d 40 90' && "
                "exiftool -q -overwrite_original -DateTimeOriginal='2024:05:04 10:11:12' "
                "-UserComment=%s -GPSAreaInformation=%s -GPSLatitude=47.1 -GPSLatitudeRef=N "
                "-OwnerName=%s -Artist=%s '%s/DCIM/%s/IMG_%s.jpg' && rm -f '%s/b.v'",
                vol, c[0], dir, dir, vol, c[0], c[1], shade, c[2], c[3], c[4], c[4], vol, c[0], c[1], dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
}

static void whole_session_leaves_canaries_only_in_the_placed_order(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("privacy");
        char *vol = pk_test_strdupf("%s/vol", dir), *data = pk_test_strdupf("%s/data", dir);
        char *thumbs = pk_test_strdupf("%s/thumbs", data), *spool = pk_test_strdupf("%s/spool", data);
        char *logpath = pk_test_strdupf("%s/session.log", dir);
        make_photo(dir, vol, canaries_a, 30);
        make_photo(dir, vol, canaries_b, 200);
        assert_int_equal(mkdir(data, 0700), 0);

        /* Everything the process logs during the session, at debug level. */
        fflush(stderr);
        int saved = dup(2);
        int lf = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && lf >= 0);
        dup2(lf, 2);
        setenv("PK_LOG_LEVEL", "debug", 1);

        struct app_ingest_opts o = {.root = vol, .volume_id = VOLUME_LABEL, .thumbs_dir = thumbs,
                                    .spool_dir = spool, .jobs = 2};
        struct app_ingest *s = NULL;
        struct drv_errbuf derr = {{0}};
        int rc = app_ingest_start(&o, &s, &derr);
        assert_int_equal(rc, 0);
        app_ingest_wait(s);
        size_t n = app_ingest_count(s);
        char path_a[4200] = "";
        int selected = 0;
        for (size_t i = 0; i < n; i++) {
                struct app_ingest_item it;
                if (app_ingest_get(s, i, &it) != 0)
                        continue;
                char sha[65];
                assert_int_equal(app_ingest_select(s, i, sha, &derr), 0);
                selected++;
                if (strstr(it.name, "PKCANNAMEB"))
                        memcpy(sha_b, sha, sizeof(sha_b));
                if (strstr(it.name, "PKCANNAMEA")) {
                        memcpy(sha_a, sha, sizeof(sha_a));
                        snprintf(path_a, sizeof(path_a), "%s/%s", vol, it.rel);
                }
        }
        assert_int_equal(selected, 2);
        assert_int_equal(strlen(sha_a), 64);

        struct app_orders *ord = NULL;
        struct app_order_errbuf oerr;
        memset(&oerr, 0, sizeof(oerr));
        assert_int_equal(app_orders_open(data, NULL, &ord, &oerr), 0);
        const char *files[] = {path_a};
        struct app_order_request req = {.sku = "PRINT-6X4", .paper = "glossy", .quantity = 1,
                                        .files = files, .n_files = 1};
        struct app_order_created created;
        size_t bad_file = 0;
        const char *reason = NULL;
        rc = app_order_create(ord, &req, &created, &bad_file, &reason, &oerr);
        app_orders_free(ord);
        /* The scan can see a canary: before the wipe, B's copy holds one. */
        bool b_before = spool_copy_contains(spool, sha_b, "PKCANEXIFB");
        const char *keep[] = {sha_a};
        int rc_end = app_ingest_session_end(s, keep, 1, &derr);

        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(lf);
        unsetenv("PK_LOG_LEVEL");
        if (rc != 0)
                fail_msg("order create failed: %d", rc);
        assert_int_equal(rc_end, 0);
        assert_true(b_before);

        /* The log is scanned like any file: nothing of either photo. */
        bad = 0;
        for (size_t i = 0; i < 5; i++) {
                if (contains(logpath, canaries_a[i]) || contains(logpath, canaries_b[i])) {
                        print_error("canary %s/%s logged\n", canaries_a[i], canaries_b[i]);
                        bad++;
                }
        }
        if (contains(logpath, VOLUME_LABEL) || contains(logpath, sha_a)) {
                print_error("volume label or photo hash logged\n");
                bad++;
        }
        assert_int_equal(nftw(data, scan_one, 16, FTW_PHYS), 0);
        assert_int_equal(bad, 0);

        /* The order's original still has its metadata (the customer's photo);
         * what headquarters would receive after stripping has none. */
        char *orig = pk_test_strdupf("%s/%s.jpg", spool, sha_a);
        if (access(orig, R_OK) == 0) {
                assert_true(contains(orig, "PKCANEXIFA"));
                char *out = pk_test_strdupf("%s/upload.jpg", dir);
                struct img_errbuf ierr = {{0}};
                assert_int_equal(app_strip_jpeg_file(orig, out, APP_STRIP_PRIVATE, NULL, &ierr), 0);
                for (size_t i = 2; i < 5; i++)
                        assert_false(contains(out, canaries_a[i]));
                free(out);
        } else {
                print_message("note: no spool original at <spool>/<sha>.jpg; strip check skipped\n");
        }
        free(orig);
        pk_test_rmtree(dir);
        free(dir);
        free(vol);
        free(data);
        free(thumbs);
        free(spool);
        free(logpath);
}

int main(void)
{
        img_init(NULL, NULL);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(whole_session_leaves_canaries_only_in_the_placed_order),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        img_shutdown();
        return rc;
}
