/* app/kiosk with app/ingest as its photo source: newest first grouped by day,
 * thumbnails made in the sandboxed decode helpers and streamed as pixels,
 * a decoder that dies costs only "this photo can't be read", copy-on-select
 * into the session spool, the session wipe (checked on disk), and a stick
 * pulled out and put back (bind mounts under a test root; skipped where
 * mounting is not allowed). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/kiosk.h"
#include "tests/bus_testutil.h"
#include "ingest_test_util.h"
#include "tests/testutil.h"

struct fx {
        char *dir, *photos, *sessions, *prices;
        struct app_bus *bus;
        struct app_kiosk *k;
};

/* Demo photos under names whose order is not their date order. */
static const struct { const char *name; int demo; } PHOTOS[] = {
        {"a.jpg", 1}, /* 2024-06-01 10:15 */
        {"b.jpg", 8}, /* 2024-06-02 12:00 */
        {"c.jpg", 3}, /* 2024-06-01 11:02 */
        {"d.jpg", 6}, /* 2024-06-02 09:05 */
};
#define N_PHOTOS 4

static void copy_demo(int demo, const char *to)
{
        char *from = pk_test_strdupf("%s/assets/demo/photos/IMG_%04d.jpg", pk_test_source_dir(), demo);
        size_t len;
        char *data = pk_test_read_file(from, &len);
        assert_non_null(data);
        assert_int_equal(pk_test_write_file(to, data, len), 0);
        free(data);
        free(from);
}

/* 0: the kiosk's default inactivity timeout; the timeout test shortens it. */
static int64_t fx_session_timeout_ms;

static struct fx *fx_new(const char *helper)
{
        struct fx *f = calloc(1, sizeof(*f));
        f->dir = pk_test_mkdtemp("kiosk-ingest");
        f->photos = pk_test_strdupf("%s/photos", f->dir);
        f->sessions = pk_test_strdupf("%s/sessions", f->dir);
        assert_int_equal(mkdir(f->photos, 0700), 0);
        for (int i = 0; i < N_PHOTOS; i++) {
                char *to = pk_test_strdupf("%s/%s", f->photos, PHOTOS[i].name);
                copy_demo(PHOTOS[i].demo, to);
                free(to);
        }
        char *link = pk_test_strdupf("%s/link.jpg", f->photos);
        assert_int_equal(symlink("a.jpg", link), 0);
        free(link);
        char *txt = pk_test_strdupf("%s/notes.txt", f->photos);
        pk_test_write_file(txt, "x", 1);
        free(txt);
        f->prices = pk_test_strdupf("%s/assets/prices.ini", pk_test_source_dir());
        f->bus = app_bus_new(1024);
        struct app_kiosk_config cfg = {.prices_path = f->prices,
                                       .thumb_size = 128,
                                       .session_dir = f->sessions,
                                       .decode_helper = helper,
                                       .no_volume_watch = true,
                                       .session_timeout_ms = fx_session_timeout_ms,
                                       .session_warning_ms = fx_session_timeout_ms / 2};
        char err[256] = "";
        f->k = app_kiosk_new(&cfg, f->bus, err, sizeof(err));
        if (!f->k)
                fprintf(stderr, "app_kiosk_new: %s\n", err);
        assert_non_null(f->k);
        return f;
}

static void fx_free(struct fx *f)
{
        app_kiosk_free(f->k);
        app_bus_free(f->bus);
        pk_test_rmtree(f->dir);
        free(f->dir);
        free(f->photos);
        free(f->sessions);
        free(f->prices);
        free(f);
}

static int setup(void **state)
{
        *state = fx_new(NULL);
        return 0;
}

static int teardown(void **state)
{
        fx_free(*state);
        return 0;
}

static bool wait_for(struct app_bus *bus, enum app_msg_type type, struct app_msg *ret)
{
        return pk_bus_wait_for(bus, type, 30000, ret);
}

/* Wait until photo `i` satisfies `pred` (checked after each message, 30 s). */
static bool wait_photo(struct fx *f, int i, bool (*pred)(const struct app_kiosk_photo *))
{
        for (int n = 0; n < 600; n++) {
                struct app_kiosk_photo p;
                if (app_kiosk_photo_get(f->k, i, &p) == 0 && pred(&p))
                        return true;
                app_bus_wait(f->bus, 50);
                struct app_msg m = {0};
                while (app_bus_pop(f->bus, &m))
                        app_msg_done(&m);
        }
        return false;
}

static bool is_copied(const struct app_kiosk_photo *p) { return p->copied && !p->reinsert; }
static bool is_reinsert(const struct app_kiosk_photo *p) { return p->reinsert; }

/* Entries in `dir` whose name starts with `prefix` (-1: no such folder). */
/* Children of this process running the sandboxed decoder. */
static int decode_helpers_running(void)
{
        DIR *d = opendir("/proc");
        int n = 0;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                char *p = pk_test_strdupf("/proc/%s/stat", de->d_name);
                size_t len;
                char *st = pk_test_read_file(p, &len);
                free(p);
                if (!st)
                        continue;
                /* pid (comm) state ppid ... */
                char *close_paren = strrchr(st, ')');
                long ppid = close_paren ? strtol(close_paren + 4, NULL, 10) : -1;
                if (ppid == (long)getpid() && strstr(st, "(printkiosk-dec"))
                        n++;
                free(st);
        }
        if (d)
                closedir(d);
        return n;
}

static int open_and_walk(struct fx *f)
{
        assert_int_equal(app_kiosk_session_start(f->k), 0);
        assert_int_equal(app_kiosk_open_folder(f->k, f->photos), 0);
        struct app_msg m = {0};
        assert_true(wait_for(f->bus, APP_MSG_WALK_DONE, &m));
        return m.u.walk.found;
}

static void kiosk_shows_newest_first_by_day_with_sandboxed_thumbnails(void **state)
{
        struct fx *f = *state;
        assert_int_equal(open_and_walk(f), N_PHOTOS); /* no symlink, no text file */
        assert_int_equal(app_kiosk_photo_count(f->k), N_PHOTOS);
        char prev[11] = "9999-99-99";
        for (int i = 0; i < N_PHOTOS; i++) {
                struct app_kiosk_photo p;
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                assert_int_equal(strlen(p.date), 10);
                assert_true(strcmp(p.date, prev) <= 0); /* newest day first */
                memcpy(prev, p.date, sizeof(prev));
                assert_false(p.unreadable);
        }
        struct app_kiosk_photo first, last;
        app_kiosk_photo_get(f->k, 0, &first);
        app_kiosk_photo_get(f->k, N_PHOTOS - 1, &last);
        assert_string_equal(first.name, "b.jpg"); /* 2024-06-02 12:00, the newest */
        assert_string_equal(last.name, "a.jpg");  /* 2024-06-01 10:15, the oldest */

        int idx[N_PHOTOS] = {3, 2, 1, 0};
        int64_t gen = app_kiosk_request_thumbs(f->k, idx, N_PHOTOS);
        assert_true(gen > 0);
        bool seen[N_PHOTOS] = {false};
        int ready = 0;
        for (int n = 0; n < 600 && ready < N_PHOTOS; n++) {
                app_bus_wait(f->bus, 50);
                struct app_msg m = {0};
                while (app_bus_pop(f->bus, &m)) {
                        if (m.type == APP_MSG_THUMB_FAILED && (int64_t)m.generation == gen)
                                fail_msg("thumbnail %d failed: %d", m.u.thumb.index, m.u.thumb.error);
                        if (m.type == APP_MSG_THUMB_READY && (int64_t)m.generation == gen) {
                                int i = m.u.thumb.index;
                                assert_true(i >= 0 && i < N_PHOTOS);
                                assert_false(seen[i]); /* one answer per cell */
                                seen[i] = true;
                                ready++;
                                assert_non_null(m.u.thumb.pixels);
                                int longest = m.u.thumb.width > m.u.thumb.height ? m.u.thumb.width
                                                                                 : m.u.thumb.height;
                                assert_true(longest > 0 && longest <= 128);
                                assert_true(m.u.thumb.stride >= m.u.thumb.width * 3);
                        }
                        app_msg_done(&m);
                }
        }
        assert_int_equal(ready, N_PHOTOS);
        /* Made by the sandboxed helpers, kept as files in the session folder. */
        assert_true(decode_helpers_running() >= 1);
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        char *thumbs = pk_test_strdupf("%s/thumbs", sess);
        for (int n = 0; n < 100 && ingest_test_count_entries(thumbs, "0") < N_PHOTOS; n++)
                usleep(50 * 1000); /* the last ones are renamed after their pixels went out */
        assert_int_equal(ingest_test_count_entries(thumbs, "0"), N_PHOTOS);
        free(thumbs);
        free(sess);

        /* Asking again is served from those files, once per cell. */
        gen = app_kiosk_request_thumbs(f->k, idx, 2);
        ready = 0;
        for (int n = 0; n < 200 && ready < 2; n++) {
                app_bus_wait(f->bus, 50);
                struct app_msg m = {0};
                while (app_bus_pop(f->bus, &m)) {
                        if (m.type == APP_MSG_THUMB_READY && (int64_t)m.generation == gen)
                                ready++;
                        app_msg_done(&m);
                }
        }
        assert_int_equal(ready, 2);
}

static void kiosk_photo_the_decoder_dies_on_cannot_be_read_and_kiosk_carries_on(void **state)
{
        (void)state;
        struct fx *f = fx_new(PK_CRASH_HELPER);
        /* Every probe kills the helper: the photos stay on the grid, unreadable. */
        assert_int_equal(open_and_walk(f), N_PHOTOS);
        for (int i = 0; i < N_PHOTOS; i++) {
                struct app_kiosk_photo p;
                assert_int_equal(app_kiosk_photo_get(f->k, i, &p), 0);
                assert_true(p.unreadable);
                assert_int_equal(app_kiosk_set_quantity(f->k, i, 1), APP_KIOSK_E_STATE);
        }
        int idx[N_PHOTOS] = {0, 1, 2, 3};
        int64_t gen = app_kiosk_request_thumbs(f->k, idx, N_PHOTOS);
        int failed = 0;
        for (int n = 0; n < 200 && failed < N_PHOTOS; n++) {
                app_bus_wait(f->bus, 50);
                struct app_msg m = {0};
                while (app_bus_pop(f->bus, &m)) {
                        assert_int_not_equal(m.type, APP_MSG_THUMB_READY);
                        if (m.type == APP_MSG_THUMB_FAILED && (int64_t)m.generation == gen)
                                failed++;
                        app_msg_done(&m);
                }
        }
        assert_int_equal(failed, N_PHOTOS);
        struct app_kiosk_summary s;
        assert_int_equal(app_kiosk_summary(f->k, &s), 0);
        assert_int_equal(s.prints, 0);
        app_kiosk_session_end(f->k);
        assert_int_equal(ingest_test_count_entries(f->sessions, "s-"), 0);
        fx_free(f);
}

static void kiosk_select_copies_into_session_spool_and_session_end_wipes_it(void **state)
{
        struct fx *f = *state;
        assert_int_equal(open_and_walk(f), N_PHOTOS);
        assert_int_equal(app_kiosk_set_quantity(f->k, 0, 2), 0);
        assert_true(wait_photo(f, 0, is_copied));
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        char *spool = pk_test_strdupf("%s/spool", sess);
        assert_int_equal(ingest_test_count_entries(spool, ""), 1); /* only <sha256>.jpeg, no temp file */
        /* The spool file holds exactly the photo's bytes (b.jpg is photo 0). */
        DIR *d = opendir(spool);
        struct dirent *de;
        char *copy = NULL;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        copy = pk_test_strdupf("%s/%s", spool, de->d_name);
        closedir(d);
        assert_non_null(copy);
        assert_int_equal(strlen(strrchr(copy, '/') + 1), 64 + strlen(".jpeg"));
        char *orig = pk_test_strdupf("%s/b.jpg", f->photos);
        size_t la, lb;
        char *a = pk_test_read_file(orig, &la), *b = pk_test_read_file(copy, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a), free(b), free(orig), free(copy);

        app_kiosk_session_end(f->k);
        /* Nothing of the customer's is left: no session folder, no spool, no thumbnails. */
        struct stat st;
        assert_int_equal(stat(sess, &st), -1);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        free(spool);
        free(sess);
}

/* Inactivity: the countdown warning, then APP_MSG_SESSION_TIMEOUT; app_kiosk_tick
 * itself does not wipe (it runs on the UI thread), the receiver ends the
 * session, and then nothing of the customer's is left on disk. */
static void kiosk_inactivity_timeout_warns_then_the_receiver_ends_and_wipes_the_session(void **state)
{
        (void)state;
        fx_session_timeout_ms = 1500;
        struct fx *f = fx_new(NULL);
        fx_session_timeout_ms = 0;
        assert_int_equal(open_and_walk(f), N_PHOTOS);
        assert_int_equal(app_kiosk_set_quantity(f->k, 0, 1), 0);
        assert_true(wait_photo(f, 0, is_copied));
        char *sess = ingest_test_session_folder(f->sessions);
        assert_non_null(sess);
        /* The clock starts now: on a loaded machine the copy above can take
         * longer than the whole timeout, and a first tick after it would see
         * the timeout without the warning (the UI ticks every frame). */
        app_kiosk_activity(f->k);
        bool warned = false, timed_out = false;
        for (int n = 0; n < 400 && !timed_out; n++) {
                app_kiosk_tick(f->k);
                app_bus_wait(f->bus, 25);
                struct app_msg m = {0};
                while (app_bus_pop(f->bus, &m)) {
                        warned |= m.type == APP_MSG_SESSION_WARNING;
                        timed_out |= m.type == APP_MSG_SESSION_TIMEOUT;
                        app_msg_done(&m);
                }
        }
        assert_true(warned);
        assert_true(timed_out);
        assert_false(app_kiosk_session_active(f->k));
        app_kiosk_session_end(f->k); /* what ui/ui.c does, off its UI thread */
        struct stat st;
        assert_int_equal(stat(sess, &st), -1);
        assert_int_equal(ingest_test_count_entries(f->sessions, ""), 0);
        assert_int_equal(app_kiosk_photo_count(f->k), 0);
        free(sess);
        fx_free(f);
}

/* A bind mount of `src` at `mp` is a "stick": same device each time, so the
 * same volume id (drivers/volume: dev:major:minor:<mount point name>). */
static bool plug(const char *src, const char *mp)
{
        return mount(src, mp, NULL, MS_BIND, NULL) == 0;
}

static void kiosk_pulled_out_stick_waits_and_the_same_stick_resumes(void **state)
{
        (void)state;
        char *dir = pk_test_mkdtemp("kiosk-stick");
        char *media = pk_test_strdupf("%s/media", dir);
        char *mp = pk_test_strdupf("%s/media/STICK", dir);
        char *src = pk_test_strdupf("%s/card", dir);
        char *sessions = pk_test_strdupf("%s/sessions", dir);
        assert_int_equal(mkdir(media, 0700), 0);
        assert_int_equal(mkdir(mp, 0700), 0);
        assert_int_equal(mkdir(src, 0700), 0);
        for (int i = 0; i < N_PHOTOS; i++) {
                char *to = pk_test_strdupf("%s/%s", src, PHOTOS[i].name);
                copy_demo(PHOTOS[i].demo, to);
                free(to);
        }
        if (!plug(src, mp)) {
                fprintf(stderr, "# skip: cannot bind-mount here: %s\n", strerror(errno));
                pk_test_rmtree(dir);
                free(dir), free(media), free(mp), free(src), free(sessions);
                skip();
        }
        umount2(mp, MNT_DETACH); /* plugged in after the kiosk started */
        struct app_bus *bus = app_bus_new(1024);
        const char *roots[] = {media};
        char *prices = pk_test_strdupf("%s/assets/prices.ini", pk_test_source_dir());
        struct app_kiosk_config cfg = {.prices_path = prices, .thumb_size = 128,
                                       .session_dir = sessions, .volume_roots = roots,
                                       .n_volume_roots = 1};
        char err[256] = "";
        struct app_kiosk *k = app_kiosk_new(&cfg, bus, err, sizeof(err));
        assert_non_null(k);
        struct fx f = {.bus = bus, .k = k};
        assert_int_equal(app_kiosk_session_start(k), 0);
        assert_false(app_kiosk_volume_waiting(k, NULL));

        assert_true(plug(src, mp));
        struct app_msg m = {0};
        assert_true(wait_for(bus, APP_MSG_SOURCE_ARRIVED, &m));
        struct app_kiosk_volume v;
        assert_true(app_kiosk_volume_waiting(k, &v));
        assert_string_equal(v.mount_point, mp);
        assert_int_equal(app_kiosk_open_waiting_volume(k), 0);
        assert_false(app_kiosk_volume_waiting(k, NULL));
        assert_true(wait_for(bus, APP_MSG_WALK_DONE, &m));
        assert_int_equal(m.u.walk.found, N_PHOTOS);
        assert_int_equal(app_kiosk_source_state(k), APP_KIOSK_SOURCE_OPEN);

        /* Pulled out before the copy: the selected photo waits for the stick. */
        assert_int_equal(umount2(mp, MNT_DETACH), 0);
        assert_true(wait_for(bus, APP_MSG_SOURCE_REMOVED, &m));
        assert_int_equal(app_kiosk_source_state(k), APP_KIOSK_SOURCE_GONE);
        assert_int_equal(app_kiosk_set_quantity(k, 1, 1), 0);
        assert_true(wait_photo(&f, 1, is_reinsert));
        struct app_kiosk_photo p;
        app_kiosk_photo_get(k, 1, &p);
        assert_false(p.copied);

        /* The same stick comes back: copied, the mark cleared, no new source. */
        assert_true(plug(src, mp));
        assert_true(wait_for(bus, APP_MSG_SOURCE_ARRIVED, &m));
        assert_true(wait_photo(&f, 1, is_copied));
        assert_int_equal(app_kiosk_source_state(k), APP_KIOSK_SOURCE_OPEN);
        assert_false(app_kiosk_volume_waiting(k, NULL));
        assert_int_equal(app_kiosk_photo_count(k), N_PHOTOS);

        app_kiosk_session_end(k);
        assert_int_equal(ingest_test_count_entries(sessions, ""), 0);
        app_kiosk_free(k);
        app_bus_free(bus);
        umount2(mp, MNT_DETACH);
        pk_test_rmtree(dir);
        free(dir), free(media), free(mp), free(src), free(sessions), free(prices);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(kiosk_shows_newest_first_by_day_with_sandboxed_thumbnails,
                                                setup, teardown),
                cmocka_unit_test(kiosk_photo_the_decoder_dies_on_cannot_be_read_and_kiosk_carries_on),
                cmocka_unit_test_setup_teardown(kiosk_select_copies_into_session_spool_and_session_end_wipes_it,
                                                setup, teardown),
                cmocka_unit_test(kiosk_pulled_out_stick_waits_and_the_same_stick_resumes),
                cmocka_unit_test(kiosk_inactivity_timeout_warns_then_the_receiver_ends_and_wipes_the_session),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
