/* app/kiosk with a camera or phone as its photo source, end to end through
 * the REAL libgphoto2 ("Directory Browse" camlib on a disk: port standing in
 * for a phone; the photos are probed and thumbnailed in the sandboxed decode
 * helpers): the first photos are on the grid before the last is downloaded,
 * the grid is newest first by the camera's file time and its positions
 * never move, hostile device names are only displayed (sanitised), never
 * used in paths, a phone unplugged mid-transfer keeps what was downloaded
 * and resumes when the same device comes back (a different one does not
 * resume it), and the session wipe leaves nothing on disk.
 * With previews (photos carrying EXIF thumbnails, which the directory camlib
 * offers as GP_FILE_TYPE_PREVIEW): the grid shows the previews before their
 * downloads, at their final positions, not selectable; each download
 * replaces its preview's thumbnail; a hostile preview costs only itself; an
 * unplugged phone's previews say "reconnect to continue"; the wipe removes
 * them. The plain photos (no EXIF thumbnail) are the camera without previews.
 * PK_KIOSK_TEST_CAMERA_DELAY_MS slows each download so the test can act
 * mid-transfer. */
#include <dirent.h>
#include <errno.h>
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

#include "app/kiosk.h"
#include "tests/bus_testutil.h"
#include "ingest_test_util.h"
#include "tests/testutil.h"

#define MODEL "Directory Browse"
#define N_CAM 9 /* 8 in DCIM/100TEST + 1 in Pictures; not .thumbnails, not notes.txt */
#define DEV_ID "test:phone-serial-1"

struct fx {
        char *dir, *card, *port, *sessions, *prices;
        struct app_bus *bus;
        struct app_kiosk *k;
};

static char *base_dir; /* the group's base photos */

static int group_setup(void **state)
{
        (void)state;
        base_dir = pk_test_mkdtemp("kiosk-camera-base");
        /* base_th.jpg: base.jpg with a square EXIF thumbnail (its grid
         * thumbnail is square, the photo's is 4:3: the test tells them apart);
         * base_bad.jpg: 300 random bytes as the thumbnail; base_cut.jpg: the
         * thumbnail JPEG cut in half. */
        char *cmd = pk_test_strdupf(
                "set -e; cd '%s'; vips gaussnoise 'base.jpg[Q=70]' 320 240; "
                "vips gaussnoise base.png 200 100; vips gaussnoise 'th.jpg[Q=80]' 96 96; "
                "head -c 300 /dev/urandom > bad.bin; head -c $(($(stat -c %%s th.jpg) / 2)) th.jpg > cut.bin; "
                "exif --create-exif --insert-thumbnail=th.jpg -o base_th.jpg base.jpg >/dev/null; "
                "exif --create-exif --insert-thumbnail=bad.bin -o base_bad.jpg base.jpg >/dev/null; "
                "exif --create-exif --insert-thumbnail=cut.bin -o base_cut.jpg base.jpg >/dev/null",
                base_dir);
        int r = system(cmd);
        free(cmd);
        return r == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        pk_test_rmtree(base_dir);
        free(base_dir);
        return 0;
}

/* Photo i of DCIM has file time 2024-01-(10+i): IMG_0008 is the newest,
 * IMG_0001 the oldest; Pictures/Screenshot.png is 2023-12-01 (older still). */
/* kinds of camera */
enum { PLAIN = 0, PREVIEWS };

static struct fx *fx_new_kind(int delay_ms, int kind)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->dir = pk_test_mkdtemp("kiosk-camera");
        f->card = pk_test_strdupf("%s/card", f->dir);
        f->port = pk_test_strdupf("disk:%s", f->card);
        f->sessions = pk_test_strdupf("%s/sessions", f->dir);
        /* Each photo is the group's base JPEG plus a different trailing byte
         * (still a valid JPEG, a different file): one libvips run per test
         * binary instead of one per photo. */
        char *cmd = pk_test_strdupf(
                "set -e; c='%s'; b='%s'; mkdir -p \"$c/DCIM/100TEST\" \"$c/Pictures\" \"$c/DCIM/.thumbnails\"; "
                "for i in 1 2 3 4 5 6 7 8; do "
                "  cp \"$b/base.jpg\" \"$c/DCIM/100TEST/IMG_000$i.JPG\"; printf $i >> \"$c/DCIM/100TEST/IMG_000$i.JPG\"; "
                "  touch -d \"2024-01-1$i 12:00:00\" \"$c/DCIM/100TEST/IMG_000$i.JPG\"; done; "
                "mv \"$c/DCIM/100TEST/IMG_0005.JPG\" \"$c/DCIM/100TEST/$(printf 'IMG\\033[31m5.JPG')\"; "
                "cp \"$b/base.png\" \"$c/Pictures/Screenshot.png\"; "
                "touch -d '2023-12-01 08:00:00' \"$c/Pictures/Screenshot.png\"; "
                "cp \"$b/base.jpg\" \"$c/DCIM/.thumbnails/t.jpg\"; "
                "echo notes > \"$c/DCIM/notes.txt\"",
                f->card, base_dir);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        if (kind == PREVIEWS) {
                /* Newest first: IMG_0008, 7, 6 (garbage preview), 5 (the
                 * hostile name), 4 (no preview), 3, 2 (preview cut in
                 * half), 1; then the screenshot (PNG: none). */
                cmd = pk_test_strdupf(
                        "set -e; c='%s/DCIM/100TEST'; b='%s'; "
                        "for i in 1 2 3 4 5 6 7 8; do "
                        "  f=\"$c/IMG_000$i.JPG\"; [ $i = 5 ] && f=\"$c/$(printf 'IMG\\033[31m5.JPG')\"; "
                        "  src=base_th.jpg; case $i in 6) src=base_bad.jpg;; 4) src=base.jpg;; 2) src=base_cut.jpg;; esac; "
                        "  t=$(stat -c %%Y \"$f\"); cp \"$b/$src\" \"$f\"; printf $i >> \"$f\"; touch -d @$t \"$f\"; done",
                        f->card, base_dir);
                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
        f->prices = pk_test_strdupf("%s/assets/prices.ini", pk_test_source_dir());
        f->bus = app_bus_new(4096);
        char delay[16];
        snprintf(delay, sizeof(delay), "%d", delay_ms);
        setenv("PK_KIOSK_TEST_CAMERA_DELAY_MS", delay, 1);
        setenv("PK_KIOSK_TEST_CAMERA_RETRY_MS", "200", 1);
        struct app_kiosk_config cfg = {.prices_path = f->prices,
                                       .thumb_size = 128,
                                       .session_dir = f->sessions,
                                       .no_volume_watch = true,
                                       .no_usb_watch = true};
        char err[256] = "";
        f->k = app_kiosk_new(&cfg, f->bus, err, sizeof(err));
        if (!f->k)
                fprintf(stderr, "app_kiosk_new: %s\n", err);
        assert_non_null(f->k);
        assert_int_equal(app_kiosk_session_start(f->k), 0);
        return f;
}

static struct fx *fx_new(int delay_ms)
{
        return fx_new_kind(delay_ms, PLAIN);
}

static void fx_free(struct fx *f)
{
        app_kiosk_free(f->k);
        app_bus_free(f->bus);
        pk_test_rmtree(f->dir);
        free(f->dir), free(f->card), free(f->port), free(f->sessions), free(f->prices);
        free(f);
}

static void drain(struct fx *f, int ms)
{
        app_bus_wait(f->bus, ms);
        struct app_msg m;
        while (app_bus_pop(f->bus, &m))
                app_msg_done(&m);
}

/* Poll the camera status (draining the bus) until pred holds, 30 s. */
static bool wait_status(struct fx *f, bool (*pred)(struct fx *, const struct app_kiosk_camera_status *))
{
        for (int n = 0; n < 600; n++) {
                struct app_kiosk_camera_status st;
                app_kiosk_camera_status(f->k, &st);
                if (pred(f, &st))
                        return true;
                drain(f, 50);
        }
        return false;
}

static bool first_on_grid(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)st;
        return app_kiosk_photo_count(f->k) >= 1;
}
static bool two_done(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)f;
        return st->done >= 2;
}
static bool is_gone(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)f;
        return st->state == APP_KIOSK_CAMERA_GONE;
}
static bool is_done(struct fx *f, const struct app_kiosk_camera_status *st)
{
        return st->state == APP_KIOSK_CAMERA_DONE && !app_kiosk_walk_running(f->k);
}
static bool is_failed(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)f;
        return st->state == APP_KIOSK_CAMERA_FAILED;
}

static void open_camera(struct fx *f)
{
        assert_int_equal(app_kiosk_camera_arrived(f->k, MODEL, f->port, DEV_ID), 0);
        struct app_msg m = {0};
        assert_true(pk_bus_wait_for(f->bus, APP_MSG_SOURCE_ARRIVED, 5000, &m));
        app_msg_done(&m);
        struct app_kiosk_camera c;
        assert_true(app_kiosk_camera_waiting(f->k, &c));
        assert_string_equal(c.id, DEV_ID);
        assert_int_equal(app_kiosk_open_waiting_camera(f->k), 0);
        assert_false(app_kiosk_camera_waiting(f->k, NULL));
}

static void camera_photos_stream_onto_the_grid_newest_first_and_the_wipe_leaves_nothing(void **state)
{
        (void)state;
        struct fx *f = fx_new(150);
        open_camera(f);
        /* The first photo is on the grid while the camera is still being read. */
        assert_true(wait_status(f, first_on_grid));
        struct app_kiosk_camera_status st;
        app_kiosk_camera_status(f->k, &st);
        assert_int_equal(st.total, N_CAM);
        assert_true(st.done < st.total);
        assert_int_not_equal(st.state, APP_KIOSK_CAMERA_DONE);
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_OPEN);
        /* No previews offered (no EXIF thumbnails): no placeholder cells;
         * what is on the grid is on the kiosk. */
        struct app_kiosk_photo p1;
        assert_int_equal(app_kiosk_photo_get(f->k, 0, &p1), 0);
        assert_false(p1.downloading);

        assert_true(wait_status(f, is_done));
        app_kiosk_camera_status(f->k, &st);
        assert_int_equal(st.done, N_CAM);
        assert_int_equal(st.failed, 0);
        assert_int_equal(app_kiosk_photo_count(f->k), N_CAM);

        /* Newest first by the camera's file time; the oldest is the screenshot. */
        char prev[11] = "9999-99-99";
        for (int i = 0; i < N_CAM; i++) {
                struct app_kiosk_photo p;
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                assert_int_equal(strlen(p.date), 10);
                assert_true(strcmp(p.date, prev) <= 0);
                memcpy(prev, p.date, sizeof(prev));
                for (const char *c = p.name; *c; c++)
                        assert_true((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
                assert_false(p.unreadable);
        }
        struct app_kiosk_photo first, last;
        app_kiosk_photo_get(f->k, 0, &first);
        app_kiosk_photo_get(f->k, N_CAM - 1, &last);
        assert_string_equal(first.name, "IMG_0008.JPG");
        assert_string_equal(first.date, "2024-01-18");
        assert_string_equal(last.name, "Screenshot.png");

        /* Thumbnails from the sandboxed helpers, one per cell. */
        int idx[N_CAM];
        for (int i = 0; i < N_CAM; i++)
                idx[i] = i;
        int64_t gen = app_kiosk_request_thumbs(f->k, idx, N_CAM);
        bool seen[N_CAM] = {false};
        int ready = 0;
        for (int n = 0; n < 600 && ready < N_CAM; n++) {
                app_bus_wait(f->bus, 50);
                struct app_msg m;
                while (app_bus_pop(f->bus, &m)) {
                        if (m.type == APP_MSG_THUMB_FAILED && (int64_t)m.generation == gen)
                                fail_msg("thumbnail %d failed: %d", m.u.thumb.index, m.u.thumb.error);
                        if (m.type == APP_MSG_THUMB_READY && (int64_t)m.generation == gen) {
                                assert_false(seen[m.u.thumb.index]);
                                seen[m.u.thumb.index] = true;
                                ready++;
                        }
                        app_msg_done(&m);
                }
        }
        assert_int_equal(ready, N_CAM);

        /* On disk: a private session folder; downloads under our own names. */
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        char *cam = pk_test_strdupf("%s/camera", sess);
        struct stat sst;
        assert_int_equal(stat(sess, &sst), 0);
        assert_int_equal(sst.st_mode & 0777, 0700);
        assert_int_equal(stat(cam, &sst), 0);
        assert_int_equal(sst.st_mode & 0777, 0700);
        assert_int_equal(ingest_test_count_entries(cam, ""), N_CAM);
        assert_int_equal(ingest_test_count_entries(cam, "p"), N_CAM); /* p000000 ...: never a device name */

        /* Select: the spool holds exactly the camera file's bytes. */
        assert_int_equal(app_kiosk_set_quantity(f->k, 0, 1), 0);
        struct app_kiosk_photo p;
        for (int n = 0; n < 200; n++) {
                app_kiosk_photo_get(f->k, 0, &p);
                if (p.copied)
                        break;
                drain(f, 50);
        }
        assert_true(p.copied);
        char *spool = pk_test_strdupf("%s/spool", sess);
        assert_int_equal(ingest_test_count_entries(spool, ""), 1);
        DIR *d = opendir(spool);
        struct dirent *de;
        char *copy = NULL;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        copy = pk_test_strdupf("%s/%s", spool, de->d_name);
        closedir(d);
        char *orig = pk_test_strdupf("%s/DCIM/100TEST/IMG_0008.JPG", f->card);
        size_t la, lb;
        char *a = pk_test_read_file(orig, &la), *b = pk_test_read_file(copy, &lb);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a), free(b), free(orig), free(copy), free(spool);

        app_kiosk_session_end(f->k);
        assert_int_equal(stat(sess, &sst), -1);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_NONE);
        free(cam), free(sess);
        fx_free(f);
}

static void camera_unplugged_mid_transfer_keeps_its_photos_and_the_same_phone_resumes(void **state)
{
        (void)state;
        struct fx *f = fx_new(250);
        open_camera(f);
        assert_true(wait_status(f, two_done));
        /* Unplugged: the whole "phone" goes away mid-transfer. */
        char *pulled = pk_test_strdupf("%s/pulled", f->dir);
        assert_int_equal(rename(f->card, pulled), 0);
        assert_true(wait_status(f, is_gone));
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_GONE);
        assert_true(app_kiosk_walk_running(f->k)); /* not finished: "reconnect to continue" */
        int n_before = app_kiosk_photo_count(f->k);
        assert_true(n_before >= 2 && n_before < N_CAM);
        char names[N_CAM][64];
        for (int i = 0; i < n_before; i++) {
                struct app_kiosk_photo p;
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                memcpy(names[i], p.name, sizeof(names[i]));
        }
        /* What is on the grid is on the kiosk: selecting it works while unplugged. */
        assert_int_equal(app_kiosk_set_quantity(f->k, 0, 1), 0);
        struct app_kiosk_photo p0;
        for (int n = 0; n < 200; n++) {
                app_kiosk_photo_get(f->k, 0, &p0);
                if (p0.copied)
                        break;
                drain(f, 50);
        }
        assert_true(p0.copied);
        assert_false(p0.reinsert);
        drain(f, 400);
        assert_int_equal(app_kiosk_photo_count(f->k), n_before);

        /* Another phone does not resume this one: it waits for the screen. */
        assert_int_equal(rename(pulled, f->card), 0);
        assert_int_equal(app_kiosk_camera_arrived(f->k, MODEL, f->port, "test:someone-else"), 0);
        drain(f, 400);
        assert_true(app_kiosk_camera_waiting(f->k, NULL));
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_GONE);
        app_kiosk_camera_left(f->k, "test:someone-else");
        assert_false(app_kiosk_camera_waiting(f->k, NULL));

        /* The same phone back: the rest is downloaded, positions unchanged. */
        assert_int_equal(app_kiosk_camera_arrived(f->k, MODEL, f->port, DEV_ID), 0);
        assert_false(app_kiosk_camera_waiting(f->k, NULL));
        assert_true(wait_status(f, is_done));
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_OPEN);
        assert_int_equal(app_kiosk_photo_count(f->k), N_CAM);
        for (int i = 0; i < n_before; i++) {
                struct app_kiosk_photo p;
                app_kiosk_photo_get(f->k, i, &p);
                assert_string_equal(p.name, names[i]);
        }
        for (int i = 0; i < N_CAM; i++) /* each photo once */
                for (int j = i + 1; j < N_CAM; j++) {
                        struct app_kiosk_photo a, b;
                        app_kiosk_photo_get(f->k, i, &a);
                        app_kiosk_photo_get(f->k, j, &b);
                        assert_string_not_equal(a.name, b.name);
                }
        struct app_kiosk_camera_status st;
        app_kiosk_camera_status(f->k, &st);
        assert_int_equal(st.done, N_CAM);
        free(pulled);

        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        fx_free(f);
}

static void camera_unplug_seen_by_the_usb_watcher_stops_the_transfer_at_once(void **state)
{
        (void)state;
        struct fx *f = fx_new(250);
        open_camera(f);
        assert_true(wait_status(f, two_done));
        app_kiosk_camera_left(f->k, DEV_ID); /* what drivers/usb reports */
        struct app_msg m = {0};
        assert_true(pk_bus_wait_for(f->bus, APP_MSG_SOURCE_REMOVED, 10000, &m));
        app_msg_done(&m);
        assert_int_equal(app_kiosk_source_state(f->k), APP_KIOSK_SOURCE_GONE);
        int n = app_kiosk_photo_count(f->k);
        assert_true(n < N_CAM);
        assert_int_equal(app_kiosk_camera_arrived(f->k, MODEL, f->port, DEV_ID), 0);
        assert_true(wait_status(f, is_done));
        assert_int_equal(app_kiosk_photo_count(f->k), N_CAM);
        /* Ending the session while nothing runs, then again mid-transfer. */
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        assert_int_equal(app_kiosk_session_start(f->k), 0);
        assert_int_equal(app_kiosk_open_camera(f->k, MODEL, f->port, DEV_ID), 0);
        assert_true(wait_status(f, first_on_grid));
        app_kiosk_session_end(f->k); /* joins the download: never hangs */
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        fx_free(f);
}

static void camera_that_cannot_be_opened_fails_with_a_message_and_no_leftovers(void **state)
{
        (void)state;
        struct fx *f = fx_new(0);
        char *port = pk_test_strdupf("disk:%s/no-such-phone", f->dir);
        assert_int_equal(app_kiosk_open_camera(f->k, "No Such Camera 9000", port, "test:x"), 0);
        struct app_msg m = {0};
        assert_true(pk_bus_wait_for(f->bus, APP_MSG_ERROR, 20000, &m));
        assert_string_equal(m.u.error.keyword, "phone-unreadable");
        app_msg_done(&m);
        assert_true(wait_status(f, is_failed));
        assert_false(app_kiosk_walk_running(f->k));
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        free(port);
        fx_free(f);
}

/* ---- previews ---------------------------------------------------------- */

#define N_PREVIEW_CELLS 8 /* DCIM's 8 photos; the screenshot (no preview) is after the last */

static bool preview_cells_on_grid(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)st;
        return app_kiosk_photo_count(f->k) >= N_PREVIEW_CELLS;
}
static bool one_done(struct fx *f, const struct app_kiosk_camera_status *st)
{
        (void)f;
        return st->done >= 1;
}

/* What the bus said per cell: the first thumbnail answer of generation gen
 * (its size), and APP_MSG_PHOTO_STATE. */
struct answers {
        bool got[N_CAM], failed[N_CAM];
        int w[N_CAM], h[N_CAM];
        int states[N_CAM];
};

static void pump(struct fx *f, int ms, int64_t gen, struct answers *a)
{
        app_bus_wait(f->bus, ms);
        struct app_msg m;
        while (app_bus_pop(f->bus, &m)) {
                int i = m.u.thumb.index;
                bool mine = (int64_t)m.generation == gen && i >= 0 && i < N_CAM && !a->got[i];
                if (m.type == APP_MSG_THUMB_READY && mine) {
                        a->got[i] = true;
                        a->w[i] = m.u.thumb.width;
                        a->h[i] = m.u.thumb.height;
                } else if (m.type == APP_MSG_THUMB_FAILED && mine) {
                        a->got[i] = a->failed[i] = true;
                } else if (m.type == APP_MSG_PHOTO_STATE && i >= 0 && i < N_CAM) {
                        a->states[i]++;
                }
                app_msg_done(&m);
        }
}

static int64_t ask_thumbs(struct fx *f, int n, struct answers *a)
{
        int idx[N_CAM];
        for (int i = 0; i < n; i++)
                idx[i] = i;
        memset(a->got, 0, sizeof(a->got));
        memset(a->failed, 0, sizeof(a->failed));
        return app_kiosk_request_thumbs(f->k, idx, n);
}

static bool camera_done(struct fx *f)
{
        struct app_kiosk_camera_status st;
        app_kiosk_camera_status(f->k, &st);
        return is_done(f, &st);
}

static void camera_previews_show_before_their_downloads_and_real_thumbnails_replace_them(void **state)
{
        (void)state;
        struct fx *f = fx_new_kind(1000, PREVIEWS);
        open_camera(f);
        /* The previews' cells, newest first, long before the downloads. */
        assert_true(wait_status(f, preview_cells_on_grid));
        struct app_kiosk_camera_status st;
        app_kiosk_camera_status(f->k, &st);
        assert_int_equal(st.total, N_CAM);
        assert_true(st.done < st.total);
        assert_int_equal(app_kiosk_photo_count(f->k), N_PREVIEW_CELLS);
        struct app_kiosk_photo p;
        assert_int_equal(app_kiosk_photo_get(f->k, 0, &p), 0);
        assert_string_equal(p.name, "IMG_0008.JPG");
        assert_int_equal(app_kiosk_photo_get(f->k, 7, &p), 0);
        assert_string_equal(p.name, "IMG_0001.JPG");
        assert_string_equal(p.date, "2024-01-11");
        assert_true(p.downloading);
        assert_false(p.unreadable);
        /* Not on the kiosk yet: not selectable. */
        assert_int_equal(app_kiosk_set_quantity(f->k, 7, 1), APP_KIOSK_E_STATE);

        /* The cells answer with the previews' thumbnails (square; the
         * photos are 4:3) while the last photos are still downloading. */
        struct answers a;
        memset(&a, 0, sizeof(a));
        int64_t gen = ask_thumbs(f, N_PREVIEW_CELLS, &a);
        for (int n = 0; n < 400 && !(a.got[5] && a.got[7]); n++)
                pump(f, 50, gen, &a);
        assert_true(a.got[7] && !a.failed[7]);
        assert_int_equal(a.w[7], a.h[7]);
        assert_true(a.got[5] && !a.failed[5]);
        assert_int_equal(a.w[5], a.h[5]);
        assert_int_equal(app_kiosk_photo_get(f->k, 7, &p), 0);
        assert_true(p.downloading);

        for (int n = 0; n < 1200 && !camera_done(f); n++)
                pump(f, 50, gen, &a);
        assert_true(camera_done(f));
        pump(f, 200, gen, &a);
        assert_int_equal(app_kiosk_photo_count(f->k), N_CAM);
        /* Cells without a usable preview (2: garbage, 4: none) waited and
         * got the photo's own thumbnail; a hostile preview cost only itself. */
        assert_true(a.got[2] && !a.failed[2]);
        assert_int_not_equal(a.w[2], a.h[2]);
        assert_true(a.got[4] && !a.failed[4]);
        assert_int_not_equal(a.w[4], a.h[4]);
        for (int i = 0; i < N_CAM; i++) {
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                assert_false(p.downloading);
                assert_false(p.unreadable);
                assert_false(p.reinsert);
                assert_true(p.width == 320 || p.width == 200);
                if (i < N_PREVIEW_CELLS)
                        assert_true(a.states[i] >= 1); /* the UI was told: re-ask */
        }
        /* Asked again: every cell now shows the photo's own thumbnail. */
        gen = ask_thumbs(f, N_CAM, &a);
        int got = 0;
        for (int n = 0; n < 400 && got < N_CAM; n++) {
                pump(f, 50, gen, &a);
                got = 0;
                for (int i = 0; i < N_CAM; i++)
                        got += a.got[i];
        }
        for (int i = 0; i < N_CAM; i++) {
                assert_true(a.got[i] && !a.failed[i]);
                assert_int_not_equal(a.w[i], a.h[i]);
        }
        /* Selectable now; the previews' files are gone, the downloads stay. */
        assert_int_equal(app_kiosk_set_quantity(f->k, 7, 1), 0);
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        char *cam = pk_test_strdupf("%s/camera", sess);
        assert_int_equal(ingest_test_count_entries(cam, "v"), 0);
        assert_int_equal(ingest_test_count_entries(cam, "p"), N_CAM);
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        free(cam), free(sess);
        fx_free(f);
}

static void camera_unplugged_while_previews_show_says_reconnect_and_the_wipe_removes_them(void **state)
{
        (void)state;
        struct fx *f = fx_new_kind(400, PREVIEWS);
        open_camera(f);
        assert_true(wait_status(f, preview_cells_on_grid));
        assert_true(wait_status(f, one_done));
        char *pulled = pk_test_strdupf("%s/pulled", f->dir);
        assert_int_equal(rename(f->card, pulled), 0);
        assert_true(wait_status(f, is_gone));
        drain(f, 100);
        /* Photos shown by their previews stay, marked "reconnect". */
        int n_before = app_kiosk_photo_count(f->k);
        assert_true(n_before >= N_PREVIEW_CELLS);
        char names[N_CAM][64];
        struct app_kiosk_photo p;
        int waiting = 0;
        for (int i = 0; i < n_before; i++) {
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                memcpy(names[i], p.name, sizeof(names[i]));
                assert_int_equal(p.reinsert, p.downloading);
                waiting += p.downloading;
        }
        assert_true(waiting >= 1);
        assert_int_equal(app_kiosk_photo_get(f->k, 0, &p), 0);
        assert_false(p.downloading); /* downloaded before the unplug */
        assert_int_equal(app_kiosk_photo_get(f->k, 7, &p), 0);
        assert_true(p.downloading && p.reinsert);
        assert_int_equal(app_kiosk_set_quantity(f->k, 7, 1), APP_KIOSK_E_STATE);

        /* The same phone back: "reconnect" goes, the rest downloads into
         * the same cells. */
        assert_int_equal(rename(pulled, f->card), 0);
        assert_int_equal(app_kiosk_camera_arrived(f->k, MODEL, f->port, DEV_ID), 0);
        assert_true(wait_status(f, is_done));
        assert_int_equal(app_kiosk_photo_count(f->k), N_CAM);
        for (int i = 0; i < N_CAM; i++) {
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                if (i < n_before)
                        assert_string_equal(p.name, names[i]);
                assert_false(p.downloading);
                assert_false(p.reinsert);
                assert_false(p.unreadable);
        }
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);

        /* Wiped while the previews show: nothing of them stays. */
        assert_int_equal(app_kiosk_session_start(f->k), 0);
        assert_int_equal(app_kiosk_open_camera(f->k, MODEL, f->port, DEV_ID), 0);
        assert_true(wait_status(f, preview_cells_on_grid));
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        char *cam = pk_test_strdupf("%s/camera", sess);
        assert_true(ingest_test_count_entries(cam, "v") >= 1);
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        free(cam), free(sess), free(pulled);
        fx_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(camera_photos_stream_onto_the_grid_newest_first_and_the_wipe_leaves_nothing),
                cmocka_unit_test(camera_unplugged_mid_transfer_keeps_its_photos_and_the_same_phone_resumes),
                cmocka_unit_test(camera_unplug_seen_by_the_usb_watcher_stops_the_transfer_at_once),
                cmocka_unit_test(camera_that_cannot_be_opened_fails_with_a_message_and_no_leftovers),
                cmocka_unit_test(camera_previews_show_before_their_downloads_and_real_thumbnails_replace_them),
                cmocka_unit_test(camera_unplugged_while_previews_show_says_reconnect_and_the_wipe_removes_them),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
