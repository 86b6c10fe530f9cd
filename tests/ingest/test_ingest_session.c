/* app/ingest sessions on a nasty volume with the real image/ probe and
 * thumbnailer: skip reasons, containment, newest-first order, grouping,
 * near-duplicates, thumbnails streaming while the walk continues,
 * copy-on-select dedup into the spool (hash verified against the source),
 * pull-out mid-copy (nothing partial, REINSERT, resume only on the same
 * volume), a root deleted mid-walk, limits, and the session wipe checked on
 * the disk. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
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

#include "app/ingest.h"
#include "image/image.h"
#include "ingest_test_util.h"
#include "tests/testutil.h"

#define N_PHOTOS 60
static char *tmp, *vol;
static int seq;

struct watch {
        pthread_mutex_t lock;
        struct app_ingest *s;
        size_t items, thumbs, thumbs_before_walk_done, thumb_errors;
        const char *delete_root_after_items_of; /* root to delete */
        size_t delete_after;
        int fail_copy_of; /* copy_hook: fail the copy of this id (-1: none) */
        size_t wait_thumb_at; /* on_item: hold the walk here until a thumbnail is done */
        bool record_order;  /* keep the order thumbnails finish in */
        size_t order[1024], n_order;
        size_t prio[3];
        bool prioritised;
        bool bg_after_window; /* opts.background_after_window */
        size_t max_id_before_walk_done; /* largest id thumbnailed before the walk ended, + 1 */
};

static void on_item(void *user, const struct app_ingest_item *it)
{
        struct watch *w = user;
        pthread_mutex_lock(&w->lock);
        size_t n = ++w->items;
        pthread_mutex_unlock(&w->lock);
        if (w->delete_root_after_items_of && n == w->delete_after)
                pk_test_rmtree(w->delete_root_after_items_of);
        /* Thumbnails must come while the walk is still going: hold the walk
         * (bounded, 10 s) until one is done. */
        for (int i = 0; w->wait_thumb_at && n == w->wait_thumb_at && i < 1000; i++) {
                pthread_mutex_lock(&w->lock);
                size_t t = w->thumbs;
                pthread_mutex_unlock(&w->lock);
                if (t > 0)
                        break;
                usleep(10000);
        }
}

static void on_thumb(void *user, const struct app_ingest_item *it, int err)
{
        struct watch *w = user;
        struct app_ingest_stats st;
        pthread_mutex_lock(&w->lock);
        struct app_ingest *s = w->s;
        pthread_mutex_unlock(&w->lock);
        if (s)
                app_ingest_get_stats(s, &st);
        pthread_mutex_lock(&w->lock);
        w->thumbs++;
        if (err)
                w->thumb_errors++;
        if (s && !st.walk_done) {
                w->thumbs_before_walk_done++;
                if (it->id + 1 > w->max_id_before_walk_done)
                        w->max_id_before_walk_done = it->id + 1;
        }
        if (w->record_order && w->n_order < 1024)
                w->order[w->n_order++] = it->id;
        bool first = w->record_order && !w->prioritised;
        w->prioritised = true;
        pthread_mutex_unlock(&w->lock);
        if (first && s) {
                /* One worker, blocked here: let the walk finish, then ask for the
                 * three photos found last, as a screen scrolled to the end would. */
                for (int i = 0; i < 2000 && !st.walk_done; i++) {
                        usleep(5000);
                        app_ingest_get_stats(s, &st);
                }
                size_t n = app_ingest_count(s);
                size_t ids[3] = {n - 1, n - 2, n - 3};
                pthread_mutex_lock(&w->lock);
                memcpy(w->prio, ids, sizeof(ids));
                pthread_mutex_unlock(&w->lock);
                app_ingest_prioritise(s, ids, 3);
        }
}

static int copy_hook(void *user, size_t id, uint64_t copied)
{
        struct watch *w = user;
        return w->fail_copy_of >= 0 && (size_t)w->fail_copy_of == id;
}

static struct app_ingest *start_jobs(const char *root, struct watch *w, bool thumbs,
                                     unsigned max_files, unsigned jobs, char **ret_spool,
                                     char **ret_thumbs)
{
        int k = ++seq;
        char *spool = pk_test_strdupf("%s/spool%d", tmp, k);
        char *th = thumbs ? pk_test_strdupf("%s/thumbs%d", tmp, k) : NULL;
        struct app_ingest_opts o = {
                .root = root,
                .volume_id = "uuid:TEST-1",
                .thumbs_dir = th,
                .spool_dir = spool,
                .max_files = max_files,
                .jobs = jobs,
                .on_item = on_item,
                .on_thumb = on_thumb,
                .copy_hook = copy_hook,
                .background_after_window = w->bg_after_window,
                .user = w,
        };
        struct app_ingest *s = NULL;
        struct drv_errbuf err = {{0}};
        pthread_mutex_lock(&w->lock);
        int r = app_ingest_start(&o, &s, &err);
        w->s = s;
        pthread_mutex_unlock(&w->lock);
        if (r)
                fprintf(stderr, "start: %s\n", err.msg);
        assert_int_equal(r, 0);
        *ret_spool = spool;
        if (ret_thumbs)
                *ret_thumbs = th;
        else
                free(th);
        return s;
}

static struct app_ingest *start(const char *root, struct watch *w, bool thumbs, unsigned max_files,
                                char **ret_spool, char **ret_thumbs)
{
        return start_jobs(root, w, thumbs, max_files, 2, ret_spool, ret_thumbs);
}

static size_t find(struct app_ingest *s, const char *rel)
{
        struct app_ingest_item it;
        for (size_t i = 0; app_ingest_get(s, i, &it) == 0; i++)
                if (strcmp(it.rel, rel) == 0)
                        return i;
        return SIZE_MAX;
}

static size_t dir_count(const char *dir, const char *prefix)
{
        DIR *d = opendir(dir);
        size_t n = 0;
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                    (!prefix || strncmp(e->d_name, prefix, strlen(prefix)) == 0))
                        n++;
        if (d)
                closedir(d);
        return n;
}

static void sha256_of(const char *path, char out[65])
{
        char *cmd = pk_test_strdupf("sha256sum '%s'", path);
        FILE *p = popen(cmd, "r");
        free(cmd);
        assert_non_null(p);
        assert_non_null(fgets(out, 65, p));
        pclose(p);
}

static void walk_probes_orders_groups_and_thumbnails(void **state)
{
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1, .wait_thumb_at = 30};
        char *spool, *th;
        struct app_ingest *s = start(vol, &w, true, 0, &spool, &th);
        app_ingest_wait(s);
        struct app_ingest_stats st;
        app_ingest_get_stats(s, &st);
        assert_true(st.walk_done);
        assert_false(st.vanished);
        assert_int_equal(st.photos, ingest_test_manifest(vol, "photos_probed"));
        assert_int_equal(st.skipped[APP_SKIP_EMPTY], ingest_test_manifest(vol, "empty"));
        assert_int_equal(st.skipped[APP_SKIP_TRUNCATED], ingest_test_manifest(vol, "truncated"));
        assert_int_equal(st.skipped[APP_SKIP_SYMLINK], ingest_test_manifest(vol, "symlink"));
        assert_int_equal(st.skipped[APP_SKIP_SPECIAL], ingest_test_manifest(vol, "special"));
        assert_int_equal(st.skipped[APP_SKIP_HIDDEN], ingest_test_manifest(vol, "hidden"));
        assert_int_equal(st.skipped[APP_SKIP_NOT_IMAGE], ingest_test_manifest(vol, "not_image"));
        assert_int_equal(w.items, st.photos);
        assert_int_equal(st.thumbs_done, st.photos);
        assert_int_equal(w.thumb_errors, 0);
        assert_true(st.seconds_to_first_24 >= 0 && st.seconds_to_first_24 <= st.seconds_total);
        /* Thumbnails stream while the walk is still going. */
        assert_true(w.thumbs_before_walk_done > 0);

        size_t n = app_ingest_count(s);
        size_t *ids = calloc(n, sizeof(*ids));
        assert_int_equal(app_ingest_sorted(s, ids, n), n);
        struct app_ingest_item prev, it;
        long last_canon = -1;
        for (size_t k = 0; k < n; k++) {
                assert_int_equal(app_ingest_get(s, ids[k], &it), 0);
                char *p = pk_test_strdupf("%s/%s", vol, it.rel);
                assert_true(ingest_test_inside(vol, p)); /* nothing outside the root */
                free(p);
                assert_true(it.thumb[0] != '\0');
                struct stat tst;
                assert_int_equal(stat(it.thumb, &tst), 0);
                assert_null(strchr(it.name, 0x1b)); /* display names sanitised */
                assert_true(it.name[0] != '-');
                if (k > 0)
                        assert_true(strcmp(prev.sort_key, it.sort_key) >= 0); /* newest first */
                /* IMG_xxxxx have increasing mtimes: they come out in decreasing order. */
                const char *img = strstr(it.rel, "IMG_");
                if (img && strstr(it.rel, "CANON/")) {
                        long num = strtol(img + 4, NULL, 10);
                        if (last_canon >= 0)
                                assert_true(num < last_canon);
                        last_canon = num;
                        assert_non_null(strstr(it.group, "CANON")); /* day + folder */
                        assert_int_equal(strncmp(it.group, it.sort_key, 10), 0);
                }
                prev = it;
        }
        free(ids);
        size_t b1 = find(s, "DCIM/odd/burst1.jpg"), b2 = find(s, "DCIM/odd/burst2.jpg");
        assert_true(b1 != SIZE_MAX && b2 != SIZE_MAX);
        struct app_ingest_item i1, i2;
        app_ingest_get(s, b1, &i1);
        app_ingest_get(s, b2, &i2);
        assert_string_equal(i1.captured_at, i2.captured_at);
        assert_true(i1.near_dup_of == b2 || i2.near_dup_of == b1);
        assert_int_equal(dir_count(th, NULL), st.photos);
        app_ingest_free(s);
        pk_test_rmtree(th);
        free(spool), free(th);
}

static void prioritised_window_first_progressive_after_first_screen(void **state)
{
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1, .record_order = true};
        char *spool, *th;
        struct app_ingest *s = start_jobs(vol, &w, true, 0, 1, &spool, &th);
        app_ingest_wait(s);
        assert_true(w.n_order > 4);
        /* Right after the first thumbnail: exactly the prioritised three. */
        for (int k = 0; k < 3; k++) {
                bool in = false;
                for (int j = 0; j < 3; j++)
                        in = in || w.order[1 + k] == w.prio[j];
                assert_true(in);
        }
        /* The progressive JPEG never holds up the first screen. */
        size_t prog = find(s, "DCIM/odd/progressive.jpg");
        assert_true(prog != SIZE_MAX);
        for (size_t k = 0; k < APP_INGEST_FIRST_SCREEN && k < w.n_order; k++) {
                bool was_prio = prog == w.prio[0] || prog == w.prio[1] || prog == w.prio[2];
                if (!was_prio)
                        assert_true(w.order[k] != prog);
        }
        app_ingest_free(s);
        pk_test_rmtree(th);
        free(spool), free(th);
}

/* The walk lists the volume first and probes newest file time first, so the
 * photos found first are the ones a newest-first screen shows first; with
 * background_after_window, only that first screenful is thumbnailed before
 * the caller asks for a window (here it never asks: the walk is held until
 * one thumbnail is done, which must come without a window). */
static void walk_probes_newest_first_and_thumbnails_first_screen_early(void **state)
{
        (void)state;
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1,
                          .wait_thumb_at = 30, .bg_after_window = true};
        char *spool, *th;
        struct app_ingest *s = start(vol, &w, true, 0, &spool, &th);
        app_ingest_wait(s);
        size_t n = app_ingest_count(s);
        assert_true(n > APP_INGEST_FIRST_SCREEN + 6);
        struct app_ingest_item it;
        int64_t prev = INT64_MAX;
        for (size_t id = 0; id < n; id++) {
                assert_int_equal(app_ingest_get(s, id, &it), 0);
                assert_true(it.mtime <= prev); /* found (= probed) newest first */
                prev = it.mtime;
        }
        assert_true(w.thumbs_before_walk_done > 0);
        assert_true(w.max_id_before_walk_done <= APP_INGEST_FIRST_SCREEN);
        app_ingest_free(s);
        pk_test_rmtree(th);
        free(spool), free(th);
}

static void select_dedups_and_verifies_hash(void **state)
{
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1};
        char *spool;
        struct app_ingest *s = start(vol, &w, false, 0, &spool, NULL);
        app_ingest_wait(s);
        size_t a = find(s, "DCIM/100CANON/IMG_00000.JPG"), b = find(s, "DCIM/odd/copy-of-first.jpg");
        size_t c = find(s, "DCIM/100CANON/IMG_00001.JPG");
        char sa[65], sb[65], sc[65], want[65];
        struct drv_errbuf err = {{0}};
        assert_int_equal(app_ingest_select(s, a, sa, &err), 0);
        assert_int_equal(app_ingest_select(s, b, sb, &err), 0);
        assert_int_equal(app_ingest_select(s, c, sc, &err), 0);
        assert_string_equal(sa, sb); /* identical files are one asset */
        assert_string_not_equal(sa, sc);
        char *src = pk_test_strdupf("%s/DCIM/100CANON/IMG_00000.JPG", vol);
        sha256_of(src, want);
        assert_string_equal(sa, want);
        assert_int_equal(dir_count(spool, NULL), 2);
        char *dst = pk_test_strdupf("%s/%s.jpeg", spool, sa);
        size_t la, lb;
        char *x = pk_test_read_file(src, &la), *y = pk_test_read_file(dst, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(x, y, la);
        free(x), free(y), free(src), free(dst);
        app_ingest_free(s);
        pk_test_rmtree(spool);
        free(spool);
}

static void pull_out_mid_copy_resumes_on_same_volume(void **state)
{
        char *root = pk_test_strdupf("%s/stick", tmp);
        char *cmd = pk_test_strdupf("cp -a '%s' '%s'", vol, root);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1};
        char *spool;
        struct app_ingest *s = start(root, &w, false, 0, &spool, NULL);
        app_ingest_wait(s);
        size_t a = find(s, "DCIM/100CANON/IMG_00005.JPG"), b = find(s, "DCIM/100CANON/IMG_00006.JPG");
        char sha[65];
        struct drv_errbuf err = {{0}};
        /* The device goes away after the first chunk of a's copy. */
        w.fail_copy_of = (int)a;
        assert_int_equal(app_ingest_select(s, a, sha, &err), DRV_E_GONE);
        /* b's file vanished from the stick (ENOENT). */
        char *bp = pk_test_strdupf("%s/DCIM/100CANON/IMG_00006.JPG", root);
        char *saved = pk_test_strdupf("%s/saved6", tmp);
        assert_int_equal(rename(bp, saved), 0);
        assert_int_equal(app_ingest_select(s, b, sha, &err), DRV_E_GONE);
        struct app_ingest_item it;
        app_ingest_get(s, a, &it);
        assert_int_equal(it.state, APP_ITEM_REINSERT);
        app_ingest_get(s, b, &it);
        assert_int_equal(it.state, APP_ITEM_REINSERT);
        assert_int_equal(dir_count(spool, NULL), 0); /* nothing partial, no temp files */

        /* The same stick comes back at another mount point. */
        char *root2 = pk_test_strdupf("%s/stick-again", tmp);
        assert_int_equal(rename(root, root2), 0);
        char *bp2 = pk_test_strdupf("%s/DCIM/100CANON/IMG_00006.JPG", root2);
        assert_int_equal(rename(saved, bp2), 0);
        w.fail_copy_of = -1;
        assert_int_equal(app_ingest_reinsert(s, root2, "uuid:OTHER", &err), DRV_E_INVALID);
        assert_int_equal(app_ingest_reinsert(s, root2, "uuid:TEST-1", &err), 0);
        app_ingest_get(s, a, &it);
        assert_int_equal(it.state, APP_ITEM_COPIED);
        app_ingest_get(s, b, &it);
        assert_int_equal(it.state, APP_ITEM_COPIED);
        assert_int_equal(dir_count(spool, NULL), 2);
        assert_int_equal(dir_count(spool, ".tmp-"), 0);
        app_ingest_free(s);
        pk_test_rmtree(root2);
        pk_test_rmtree(spool);
        free(root), free(root2), free(bp), free(bp2), free(saved), free(spool);
}

static void root_deleted_mid_walk_is_reported(void **state)
{
        char *root = pk_test_strdupf("%s/vanish", tmp);
        char *cmd = pk_test_strdupf("cp -a '%s' '%s'", vol, root);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1,
                          .delete_root_after_items_of = root, .delete_after = 30};
        char *spool, *th;
        struct app_ingest *s = start(root, &w, true, 0, &spool, &th);
        app_ingest_wait(s);
        struct app_ingest_stats st;
        app_ingest_get_stats(s, &st);
        assert_true(st.walk_done);
        assert_true(st.vanished);
        assert_true(st.photos < (size_t)ingest_test_manifest(vol, "photos_probed"));
        assert_int_equal(st.thumbs_done, st.photos); /* failed ones count as done */
        app_ingest_free(s);
        pk_test_rmtree(th);
        free(root), free(spool), free(th);
}

static void file_limit_is_honoured(void **state)
{
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1};
        char *spool;
        struct app_ingest *s = start(vol, &w, false, 50, &spool, NULL);
        app_ingest_wait(s);
        struct app_ingest_stats st;
        app_ingest_get_stats(s, &st);
        assert_true(st.files_seen <= 50);
        assert_true(st.photos <= 50);
        assert_true(st.skipped[APP_SKIP_LIMIT] > 0);
        app_ingest_free(s);
        free(spool);
}

static void session_end_wipes_all_but_kept_assets(void **state)
{
        struct watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1};
        char *spool, *th;
        struct app_ingest *s = start(vol, &w, true, 0, &spool, &th);
        app_ingest_wait(s);
        size_t a = find(s, "DCIM/100CANON/IMG_00000.JPG"), b = find(s, "DCIM/odd/copy-of-first.jpg");
        size_t c = find(s, "DCIM/100CANON/IMG_00002.JPG");
        char sa[65], sb[65], sc[65];
        struct drv_errbuf err = {{0}};
        assert_int_equal(app_ingest_select(s, a, sa, &err), 0);
        assert_int_equal(app_ingest_select(s, b, sb, &err), 0);
        assert_int_equal(app_ingest_select(s, c, sc, &err), 0);
        /* A crash left a temporary file behind: the wipe removes it too. */
        char *junk = pk_test_strdupf("%s/.tmp-leftover", spool);
        assert_int_equal(pk_test_write_file(junk, "x", 1), 0);
        const char *keep[] = {sa};
        assert_int_equal(app_ingest_session_end(s, keep, 1, &err), 0);
        /* On the disk: only the kept asset and the two thumbnails showing it. */
        assert_int_equal(dir_count(spool, NULL), 1);
        char *kept = pk_test_strdupf("%s/%s.jpeg", spool, sa);
        struct stat kst;
        assert_int_equal(stat(kept, &kst), 0);
        assert_int_equal(dir_count(th, NULL), 2);
        /* Nothing kept: the folders themselves go. */
        struct watch w2 = {.lock = PTHREAD_MUTEX_INITIALIZER, .fail_copy_of = -1};
        char *spool2, *th2;
        s = start(vol, &w2, true, 0, &spool2, &th2);
        app_ingest_wait(s);
        assert_int_equal(app_ingest_select(s, c, sc, &err), 0);
        assert_int_equal(app_ingest_session_end(s, NULL, 0, &err), 0);
        assert_int_equal(access(spool2, F_OK), -1);
        assert_int_equal(access(th2, F_OK), -1);
        pk_test_rmtree(spool);
        pk_test_rmtree(th);
        free(junk), free(kept), free(spool), free(th), free(spool2), free(th2);
}

static void walk_done_cb(void *user, size_t photos, bool vanished)
{
        size_t *r = user;
        *r = photos + (vanished ? 1000 : 0) + 1;
}

/* A fed session (cameras): no walker; each file handed over is probed and
 * listed in feed order under the device's (sanitised) name, a missing file
 * or a non-photo is counted as skipped, feed_done ends the "walk" once, and
 * nothing is taken after it. */
static void fed_session_lists_what_is_fed_in_feed_order(void **state)
{
        (void)state;
        char *root = pk_test_strdupf("%s/fed%d", tmp, ++seq);
        assert_int_equal(mkdir(root, 0700), 0);
        char *cmd = pk_test_strdupf("cp '%s/DCIM/100CANON/IMG_00001.JPG' '%s/p000000' && "
                                    "cp '%s/DCIM/100CANON/IMG_00000.JPG' '%s/p000001' && "
                                    "echo not-a-photo > '%s/p000002'", vol, root, vol, root, root);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        size_t done = 0;
        struct app_ingest_opts o = {.root = root, .fed = true, .on_walk_done = walk_done_cb, .user = &done};
        struct app_ingest *s = NULL;
        struct drv_errbuf err = {{0}};
        assert_int_equal(app_ingest_start(&o, &s, &err), 0);
        static const char bad_name[] = "IMG\x1b[31m.JPG";
        struct app_ingest_fed_file f1 = {.rel = "p000000", .name = bad_name, .name_len = strlen(bad_name),
                                         .folder = "/store/DCIM", .folder_len = 11, .mtime = 1700000000};
        struct app_ingest_fed_file f2 = {.rel = "p000001", .name = "B.JPG", .name_len = 5, .mtime = 1600000000};
        struct app_ingest_fed_file f3 = {.rel = "p000002", .name = "notes.JPG", .name_len = 9};
        struct app_ingest_fed_file f4 = {.rel = "p000009", .name = "gone.JPG", .name_len = 8};
        struct app_ingest_fed_file f5 = {.rel = "../etc/passwd", .name = "x.jpg", .name_len = 5};
        assert_int_equal(app_ingest_feed(s, &f1, &err), 0);
        assert_int_equal(app_ingest_feed(s, &f2, &err), 0);
        assert_int_equal(app_ingest_feed(s, &f3, &err), 0); /* probe refuses it: skipped */
        assert_int_equal(app_ingest_feed(s, &f4, &err), 0); /* not there: skipped */
        assert_int_equal(app_ingest_feed(s, &f5, &err), DRV_E_INVALID);
        assert_int_equal(app_ingest_count(s), 2);
        struct app_ingest_item it;
        assert_int_equal(app_ingest_get(s, 0, &it), 0);
        assert_string_equal(it.rel, "p000000");
        for (const char *c = it.name; *c; c++)
                assert_true((unsigned char)*c >= 0x20);
        assert_int_equal(it.mtime, 1700000000);
        assert_int_equal(app_ingest_get(s, 1, &it), 0);
        assert_string_equal(it.name, "B.JPG");
        struct app_ingest_stats st;
        app_ingest_get_stats(s, &st);
        assert_false(st.walk_done);
        assert_int_equal(st.files_seen, 4);
        assert_int_equal(done, 0);
        app_ingest_feed_done(s, false);
        app_ingest_feed_done(s, false); /* idempotent: one walk-done */
        assert_int_equal(done, 2 + 1);
        app_ingest_get_stats(s, &st);
        assert_true(st.walk_done);
        assert_int_equal(app_ingest_feed(s, &f2, &err), DRV_E_REFUSED);
        char sha[65];
        assert_int_equal(app_ingest_select(s, 1, sha, &err), DRV_E_INVALID); /* no spool asked for */
        app_ingest_free(s);
        /* Not a fed session: feeding is refused. */
        struct app_ingest_opts w = {.root = root, .no_probe = true};
        assert_int_equal(app_ingest_start(&w, &s, &err), 0);
        app_ingest_wait(s);
        assert_int_equal(app_ingest_feed(s, &f2, &err), DRV_E_INVALID);
        app_ingest_free(s);
        pk_test_rmtree(root);
        free(root);
}

int main(void)
{
        img_init(NULL, NULL);
        tmp = pk_test_mkdtemp("ingest-session");
        vol = ingest_test_make_volume(tmp, N_PHOTOS);
        if (!vol) {
                fprintf(stderr, "make-nasty-volume.sh failed\n");
                return 1;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(walk_probes_orders_groups_and_thumbnails),
                cmocka_unit_test(prioritised_window_first_progressive_after_first_screen),
                cmocka_unit_test(walk_probes_newest_first_and_thumbnails_first_screen_early),
                cmocka_unit_test(select_dedups_and_verifies_hash),
                cmocka_unit_test(pull_out_mid_copy_resumes_on_same_volume),
                cmocka_unit_test(root_deleted_mid_walk_is_reported),
                cmocka_unit_test(file_limit_is_honoured),
                cmocka_unit_test(session_end_wipes_all_but_kept_assets),
                cmocka_unit_test(fed_session_lists_what_is_fed_in_feed_order),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        pk_test_rmtree(tmp);
        free(vol), free(tmp);
        img_shutdown();
        return r;
}
