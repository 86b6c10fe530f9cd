/* Privacy canaries: a whole customer session (ingest a volume with thumbnails
 * into a session spool, select every photo, order some, end the session as
 * the kiosk does) with canary strings planted in folder and file names, EXIF
 * comments/owner/artist, GPS text tags, XMP (and PNG tEXt) and the volume
 * label (the volume id the kiosk gets from udev). The volume holds a JPEG, a
 * PNG, a WebP and a HEIC (where vips can write HEIC here) that are ordered,
 * and one of each format that is not. Afterwards every file under the data
 * folder (store, spools, thumbnails, masters) and everything logged (stderr,
 * at debug level) is scanned:
 *   - an unordered photo's canaries and the volume label appear nowhere;
 *   - an ordered photo's canaries appear only in that order's own files (its
 *     photo asset and its master, named by their SHA-256) and the store;
 *   - what headquarters receives, the order's photo asset (app/orders.c
 *     spools it through app_strip_file), has no EXIF, GPS, owner or XMP
 *     canary in any format, and app_strip_file on each original removes
 *     them all.
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
#include <sqlite3.h>

#include "app/ingest.h"
#include "app/orders.h"
#include "app/strip_metadata.h"
#include "image/image.h"
#include "tests/testutil.h"

#define VOLUME_LABEL "PKCANVOLLABEL"
#define N_KINDS 6

/* Where each canary is planted; the first two are names, the rest metadata. */
static const char *const kinds[N_KINDS] = {"FOLD", "NAME", "EXIF", "GPS", "OWN", "XMP"};

struct photo {
        const char *letter; /* canary suffix, unique per photo */
        const char *ext;
        const char *saver; /* vips operation writing the format */
        bool ordered;
        bool made;          /* false: vips cannot write this format here */
        char canary[N_KINDS][24];
        char path[4200];    /* on the volume */
        char sha[65];       /* the session spool copy (ingest) */
        char asset_sha[65]; /* the order's photo asset (what HQ receives) */
        char master_sha[65];
        char asset_path[1024];
};

static struct photo photos[] = {
        {.letter = "A", .ext = "jpg", .saver = "jpegsave", .ordered = true},    {.letter = "B", .ext = "jpg", .saver = "jpegsave", .ordered = false},
        {.letter = "C", .ext = "png", .saver = "pngsave", .ordered = true},     {.letter = "D", .ext = "png", .saver = "pngsave", .ordered = false},
        {.letter = "E", .ext = "webp", .saver = "webpsave", .ordered = true},   {.letter = "F", .ext = "webp", .saver = "webpsave", .ordered = false},
        {.letter = "G", .ext = "heic", .saver = "heifsave", .ordered = true},   {.letter = "H", .ext = "heic", .saver = "heifsave", .ordered = false},
};
#define N_PHOTOS (sizeof(photos) / sizeof(photos[0]))

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

/* A file that belongs to photo p's order: its asset, its master, the store. */
static bool belongs_to_order_of(const char *path, const struct photo *p)
{
        if (strstr(path, "kiosk.db"))
                return true;
        return (p->asset_sha[0] && strstr(path, p->asset_sha)) || (p->master_sha[0] && strstr(path, p->master_sha));
}

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)ftw;
        if (type != FTW_F || !S_ISREG(st->st_mode))
                return 0;
        for (size_t k = 0; k < N_PHOTOS; k++) {
                const struct photo *p = &photos[k];
                if (!p->made)
                        continue;
                for (size_t i = 0; i < N_KINDS; i++) {
                        /* File names under the data folder must not carry a canary. */
                        if (strstr(path, p->canary[i])) {
                                print_error("canary in a file name: %s\n", path);
                                bad++;
                        }
                        if (!contains(path, p->canary[i]))
                                continue;
                        if (!p->ordered) {
                                print_error("unordered photo's %s left in %s\n", p->canary[i], path);
                                bad++;
                        } else if (!belongs_to_order_of(path, p)) {
                                print_error("ordered photo's %s outside its order, in %s\n", p->canary[i], path);
                                bad++;
                        }
                }
        }
        if (contains(path, VOLUME_LABEL)) {
                print_error("volume label kept in %s\n", path);
                bad++;
        }
        return 0;
}

/* Any spool copy of `sha` (the extension follows the format) holds `needle`;
 * its path into ret_path when ret_path is not NULL. */
static bool spool_copy_contains(const char *spool, const char *sha, const char *needle, char *ret_path,
                                size_t path_size)
{
        DIR *d = opendir(spool);
        bool hit = false;
        struct dirent *de;
        while (d && !hit && (de = readdir(d))) {
                if (strncmp(de->d_name, sha, 64) != 0)
                        continue;
                char *p = pk_test_strdupf("%s/%s", spool, de->d_name);
                hit = needle ? contains(p, needle) : true;
                if (hit && ret_path)
                        snprintf(ret_path, path_size, "%s", p);
                free(p);
        }
        if (d)
                closedir(d);
        return hit;
}

static bool make_photo(const char *dir, const char *vol, struct photo *p, int shade)
{
        for (size_t i = 0; i < N_KINDS; i++)
                snprintf(p->canary[i], sizeof p->canary[i], "PKCAN%s%s", kinds[i], p->letter);
        snprintf(p->path, sizeof p->path, "%s/DCIM/%s/IMG_%s.%s", vol, p->canary[0], p->canary[1], p->ext);
        char *cmd = pk_test_strdupf("mkdir -p '%s/DCIM/%s' && vips black '%s/b.v' 400 300 --bands 3 >/dev/null && "
                                    "vips linear '%s/b.v' '%s/c.v' '1 1 1' '%d 40 90' --uchar && "
                                    "vips %s '%s/c.v' '%s' 2>/dev/null",
                                    vol, p->canary[0], dir, dir, dir, shade, p->saver, dir, p->path);
        int rc = system(cmd);
        free(cmd);
        if (rc != 0) {
                print_message("note: vips cannot write .%s here; that photo is left out\n", p->ext);
                return false;
        }
        cmd = pk_test_strdupf("exiftool -q -q -overwrite_original -DateTimeOriginal='2024:05:04 10:11:12' "
                              "-UserComment=%s -GPSAreaInformation=%s -GPSLatitude=47.1 -GPSLatitudeRef=N "
                              "-OwnerName=%s -Artist=%s -XMP-dc:Creator=%s %s%s '%s' && rm -f '%s/b.v' '%s/c.v'",
                              p->canary[2], p->canary[3], p->canary[4], p->canary[4], p->canary[5],
                              strcmp(p->ext, "png") == 0 ? "-PNG:Comment=" : "",
                              strcmp(p->ext, "png") == 0 ? p->canary[2] : "", p->path, dir, dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        /* The canaries are really in the photo's bytes. */
        for (size_t i = 2; i < N_KINDS; i++)
                if (!contains(p->path, p->canary[i]))
                        fail_msg("test setup: %s not planted in the .%s", p->canary[i], p->ext);
        return true;
}

/* The order's items, in the order the files were given: asset and master. */
static void read_order_items(const char *db_path, struct photo **ordered, size_t n)
{
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT i.asset_sha256, coalesce(i.master_sha256, ''), a.path "
                                            "FROM order_items i JOIN assets a ON a.sha256 = i.asset_sha256 "
                                            "ORDER BY i.pos",
                                            -1, &st, NULL),
                         SQLITE_OK);
        size_t k = 0;
        while (sqlite3_step(st) == SQLITE_ROW && k < n) {
                snprintf(ordered[k]->asset_sha, 65, "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(ordered[k]->master_sha, 65, "%s", (const char *)sqlite3_column_text(st, 1));
                snprintf(ordered[k]->asset_path, sizeof ordered[k]->asset_path, "%s",
                         (const char *)sqlite3_column_text(st, 2));
                k++;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        assert_int_equal(k, n);
}

static void whole_session_leaves_canaries_only_in_the_placed_order(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("privacy");
        char *vol = pk_test_strdupf("%s/vol", dir), *data = pk_test_strdupf("%s/data", dir);
        /* The session's own spool and thumbnails, as the kiosk keeps them. */
        char *session = pk_test_strdupf("%s/session", data);
        char *thumbs = pk_test_strdupf("%s/thumbs", session), *spool = pk_test_strdupf("%s/spool", session);
        char *logpath = pk_test_strdupf("%s/session.log", dir);
        size_t n_made = 0;
        for (size_t k = 0; k < N_PHOTOS; k++) {
                photos[k].made = make_photo(dir, vol, &photos[k], 20 + 25 * (int)k);
                n_made += photos[k].made;
        }
        assert_true(n_made >= 6); /* JPEG, PNG, WebP always */
        assert_int_equal(mkdir(data, 0700), 0);
        assert_int_equal(mkdir(session, 0700), 0);

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
        size_t selected = 0;
        for (size_t i = 0; i < n; i++) {
                struct app_ingest_item it;
                if (app_ingest_get(s, i, &it) != 0)
                        continue;
                char sha[65];
                assert_int_equal(app_ingest_select(s, i, sha, &derr), 0);
                selected++;
                for (size_t k = 0; k < N_PHOTOS; k++)
                        if (photos[k].made && strstr(it.name, photos[k].canary[1]))
                                memcpy(photos[k].sha, sha, sizeof(photos[k].sha));
        }
        assert_int_equal(selected, n_made);

        /* One order with every ordered photo, from the volume as the CLI does. */
        const char *files[N_PHOTOS];
        struct photo *ordered[N_PHOTOS];
        size_t n_ordered = 0;
        for (size_t k = 0; k < N_PHOTOS; k++) {
                if (!photos[k].made)
                        continue;
                assert_int_equal(strlen(photos[k].sha), 64);
                if (photos[k].ordered) {
                        files[n_ordered] = photos[k].path;
                        ordered[n_ordered++] = &photos[k];
                }
        }
        struct app_orders *ord = NULL;
        struct app_order_errbuf oerr;
        memset(&oerr, 0, sizeof(oerr));
        assert_int_equal(app_orders_open(data, NULL, &ord, &oerr), 0);
        struct app_order_request req = {.sku = "PRINT-6X4", .paper = "glossy", .quantity = 1,
                                        .files = files, .n_files = n_ordered};
        struct app_order_created created;
        size_t bad_file = 0;
        const char *reason = NULL;
        rc = app_order_create(ord, &req, &created, &bad_file, &reason, &oerr);
        app_orders_free(ord);
        /* The scan can see a canary: before the wipe, unordered copies hold one. */
        size_t seen_before = 0, unordered = 0;
        for (size_t k = 0; k < N_PHOTOS; k++) {
                if (!photos[k].made || photos[k].ordered)
                        continue;
                unordered++;
                seen_before += spool_copy_contains(spool, photos[k].sha, photos[k].canary[2], NULL, 0);
        }
        /* As app/kiosk.c: the session spool keeps nothing, orders have their own copy. */
        int rc_end = app_ingest_session_end(s, NULL, 0, &derr);

        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(lf);
        unsetenv("PK_LOG_LEVEL");
        if (rc != 0)
                fail_msg("order create failed: %d %s (file %zu: %s)", rc, oerr.msg, bad_file, reason ? reason : "");
        assert_int_equal(rc_end, 0);
        assert_int_equal(seen_before, unordered);
        char *db = pk_test_strdupf("%s/kiosk.db", data);
        read_order_items(db, ordered, n_ordered);
        free(db);

        /* The log is scanned like any file: nothing of any photo. */
        bad = 0;
        size_t planted = 0;
        for (size_t k = 0; k < N_PHOTOS; k++) {
                if (!photos[k].made)
                        continue;
                for (size_t i = 0; i < N_KINDS; i++, planted++) {
                        if (contains(logpath, photos[k].canary[i])) {
                                print_error("canary %s logged\n", photos[k].canary[i]);
                                bad++;
                        }
                }
                if (contains(logpath, photos[k].sha)) {
                        print_error("photo hash logged\n");
                        bad++;
                }
        }
        if (contains(logpath, VOLUME_LABEL)) {
                print_error("volume label logged\n");
                bad++;
        }
        assert_int_equal(nftw(data, scan_one, 16, FTW_PHYS), 0);
        print_message("canaries planted: %zu (+ volume label) in %zu photos; found outside their order: %d\n",
                      planted, n_made, bad);
        assert_int_equal(bad, 0);

        /* What headquarters receives: the order's photo asset, spooled through
         * app_strip_file by app/orders.c for every format. */
        int unstripped = 0;
        for (size_t k = 0; k < n_ordered; k++) {
                struct photo *p = ordered[k];
                assert_int_equal(access(p->asset_path, R_OK), 0);
                if (strcmp(p->asset_sha, p->sha) == 0) {
                        print_error("the .%s went into the order unchanged, metadata and all\n", p->ext);
                        unstripped++;
                }
                for (size_t i = 2; i < N_KINDS; i++) {
                        if (contains(p->asset_path, p->canary[i])) {
                                print_error("%s goes to headquarters in the .%s\n", p->canary[i], p->ext);
                                unstripped++;
                        }
                }
                /* app_strip_file on the original removes every metadata canary. */
                char *out = pk_test_strdupf("%s/upload-%s.%s", dir, p->letter, p->ext);
                struct img_errbuf ierr = {{0}};
                rc = app_strip_file(p->path, out, APP_STRIP_PRIVATE, NULL, &ierr);
                if (rc != 0)
                        fail_msg(".%s: %d %s", p->ext, rc, ierr.msg);
                for (size_t i = 2; i < N_KINDS; i++)
                        if (contains(out, p->canary[i]))
                                fail_msg("%s survives stripping the .%s", p->canary[i], p->ext);
                free(out);
        }
        print_message("ordered photos: %zu; metadata canaries sent to headquarters: %d\n", n_ordered, unstripped);
        assert_int_equal(unstripped, 0);
        pk_test_rmtree(dir);
        free(dir);
        free(vol);
        free(data);
        free(session);
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
