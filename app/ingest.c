/* app/ingest: the ingest session (see ingest.h): walker thread, thumbnail
 * worker pool with priorities and generations, copy-on-select into the spool,
 * pull-out and resume, session wipe.
 *
 * Locking: `items_lock` protects the item table, the scheduling cursors, the
 * priority window, the statistics and root_fd; `work_cond` wakes thumbnail
 * workers (new item, priority change, walk done, stop); `done_cond` wakes
 * app_ingest_wait. No callback is called with items_lock held.
 *
 * A fed session (opts.fed: cameras) has no walker: app_ingest_feed() runs the
 * walker's per-file step (on_file) on the feeder's thread for each file the
 * caller finished downloading, and app_ingest_feed_done() the walk's end.
 * Before a file is downloaded, app_ingest_feed_preview() may announce it with
 * the camera's own preview (an item with `preview`, thumbnailed from the
 * preview) or as a placeholder (no thumbnail); app_ingest_feed_full() later
 * gives that item its full file under the same id and thumbnails it again
 * (thumb_state_set_locked; a job running on the old file is dropped by
 * `redo`). thumbs_done counts items whose thumbnail state is final, once.
 *
 * Files are opened only through app_walk_open() beneath root_fd, and handed to
 * image/ as /proc/self/fd/N: libvips re-opens exactly the file that was
 * checked, never a path an attacker could swap for a symlink.
 */
#include "app/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "app/decode_pool.h"
#include "app/ingest_walk.h"
#include "app/name_sanitise.h"
#include "app/spool.h"
#include "image/probe.h"
#include "image/thumb.h"

#define PRIO_WINDOW_MAX 256 /* the largest screen of thumbnails the UI can show */

enum thumb_state { T_PENDING = 0, T_RUNNING, T_DONE, T_FAILED, T_NONE };

struct item {
        char *rel; /* raw relative path (transfer full) */
        char name[128], folder[128], day[16];
        uint64_t size;
        int64_t mtime;
        char captured_at[32], sort_key[32];
        enum img_format format;
        int width, height;
        bool progressive;
        size_t near_dup_of;
        enum app_item_state state;
        char sha256[65];
        enum thumb_state thumb;
        int thumb_error;
        bool unreadable; /* the decoder (helper) failed on it */
        bool deferred; /* progressive: skipped until the first screen is done */
        /* Fed sessions: only the camera's preview (rel = the preview file) or
         * a placeholder (rel = "", thumb T_NONE) so far; the full file
         * replaces it (app_ingest_feed_full). Never selectable. */
        bool preview;
        /* The file changed under a running thumbnail job: when that job
         * ends, its result is dropped and the thumbnail state becomes
         * redo_to (redo_err) instead. */
        bool redo;
        enum thumb_state redo_to;
        int redo_err;
};

/* A candidate photo of the walk's first pass (see walker_main). */
struct cand {
        char *rel; /* raw relative path (transfer full) */
        size_t name_off, name_len, dir_len;
        uint64_t size;
        int64_t mtime;
        size_t order; /* walk order: ties of mtime, later first */
};

struct cand_list {
        struct cand *v;
        size_t n, cap;
        bool oom;
};

struct app_ingest {
        struct app_ingest_opts o; /* strings below are our own copies */
        char *root, *volume_id, *thumbs_dir;
        struct app_spool *spool;
        int root_fd;
        struct timespec t0;

        pthread_mutex_t items_lock;
        pthread_cond_t work_cond, done_cond;
        struct item **items;
        size_t n_items, cap_items;
        size_t cur_all, cur_def; /* scheduling cursors into items */
        size_t prio[PRIO_WINDOW_MAX], n_prio;
        uint64_t generation;
        size_t running;
        size_t running_prog; /* progressive JPEGs being thumbnailed: at most 1 */
        struct app_ingest_stats st;
        GHashTable *near_dup; /* "captured_at|size" -> id + 1 */
        bool stopping;
        bool yielded; /* the walk paused for the first window already */
        bool feed_closed; /* fed session: app_ingest_feed_done was called */
        bool probe_gone; /* walker thread: the volume went away while probing */
        struct cand_list cands; /* walker thread: the walk's first pass */

        pthread_t walker;
        bool walker_started;
        pthread_t *workers;
        unsigned n_workers;
};

static const char *const skip_names[_APP_SKIP_MAX] = {
        [APP_SKIP_SYMLINK] = "symlink",       [APP_SKIP_SPECIAL] = "special",
        [APP_SKIP_HIDDEN] = "hidden",         [APP_SKIP_TOO_DEEP] = "too-deep",
        [APP_SKIP_LIMIT] = "limit",           [APP_SKIP_NOT_IMAGE] = "not-image",
        [APP_SKIP_UNREADABLE] = "unreadable", [APP_SKIP_TOO_LARGE] = "too-large",
        [APP_SKIP_LOOP] = "loop",             [APP_SKIP_EMPTY] = "empty",
        [APP_SKIP_TRUNCATED] = "truncated",   [APP_SKIP_CORRUPT] = "corrupt",
        [APP_SKIP_UNSUPPORTED] = "unsupported", [APP_SKIP_TOO_MANY_PIXELS] = "too-many-pixels",
        [APP_SKIP_BAD_PROFILE] = "bad-profile",
};

const char *app_ingest_skip_name(enum app_ingest_skip r)
{
        return (unsigned)r < _APP_SKIP_MAX ? skip_names[r] : "unknown";
}

static double elapsed(const struct app_ingest *s)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)(t.tv_sec - s->t0.tv_sec) + (double)(t.tv_nsec - s->t0.tv_nsec) / 1e9;
}

static enum app_ingest_skip skip_for_probe(int e)
{
        switch (e) {
        case IMG_E_EMPTY: return APP_SKIP_EMPTY;
        case IMG_E_TRUNCATED: return APP_SKIP_TRUNCATED;
        case IMG_E_CORRUPT: return APP_SKIP_CORRUPT;
        case IMG_E_UNSUPPORTED: return APP_SKIP_UNSUPPORTED;
        case IMG_E_TOO_MANY_PIXELS: return APP_SKIP_TOO_MANY_PIXELS;
        case IMG_E_FILE_TOO_LARGE: return APP_SKIP_TOO_LARGE;
        case IMG_E_BAD_PROFILE: return APP_SKIP_BAD_PROFILE;
        default: return APP_SKIP_UNREADABLE;
        }
}

static void thumb_path(const struct app_ingest *s, size_t id, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%08zu.jpg", s->thumbs_dir, id);
}

/* Fill the public view of an item. Called with items_lock held. */
static void item_export(const struct app_ingest *s, size_t id, struct app_ingest_item *r)
{
        const struct item *it = s->items[id];
        memset(r, 0, sizeof(*r));
        r->id = id;
        memcpy(r->name, it->name, sizeof(r->name));
        memcpy(r->folder, it->folder, sizeof(r->folder));
        snprintf(r->group, sizeof(r->group), "%s %s", it->day, it->folder);
        r->size = it->size;
        r->mtime = it->mtime;
        memcpy(r->captured_at, it->captured_at, sizeof(r->captured_at));
        memcpy(r->sort_key, it->sort_key, sizeof(r->sort_key));
        r->format = img_format_name(it->format);
        r->width = it->width, r->height = it->height;
        r->progressive = it->progressive;
        r->near_dup_of = it->near_dup_of;
        r->state = it->state;
        memcpy(r->sha256, it->sha256, sizeof(r->sha256));
        if (it->thumb == T_DONE)
                thumb_path(s, id, r->thumb, sizeof(r->thumb));
        r->thumb_error = it->thumb_error;
        r->unreadable = it->unreadable;
        r->preview = it->preview;
        snprintf(r->rel, sizeof(r->rel), "%s", it->rel);
}

/* ---- walker ---------------------------------------------------------- */

static void on_skip(void *user, enum app_ingest_skip r)
{
        struct app_ingest *s = user;
        pthread_mutex_lock(&s->items_lock);
        s->st.skipped[r]++;
        pthread_mutex_unlock(&s->items_lock);
}

static void on_seen(void *user)
{
        struct app_ingest *s = user;
        pthread_mutex_lock(&s->items_lock);
        s->st.files_seen++;
        pthread_mutex_unlock(&s->items_lock);
}

static bool should_stop(void *user)
{
        struct app_ingest *s = user;
        pthread_mutex_lock(&s->items_lock);
        bool r = s->stopping;
        pthread_mutex_unlock(&s->items_lock);
        return r;
}

/* items_lock held: a photo of the priority window still waits or runs. */
static bool window_pending(const struct app_ingest *s)
{
        for (size_t k = 0; k < s->n_prio; k++) {
                size_t id = s->prio[k];
                if (id < s->n_items &&
                    (s->items[id]->thumb == T_PENDING || s->items[id]->thumb == T_RUNNING))
                        return true;
        }
        return false;
}

/* walk_yields_to_window: the first window the caller asked for is what the
 * customer looks at; the walk's probes (one helper's CPU) wait until its
 * thumbnails are done, once, and never longer than APP_INGEST_YIELD_MS. */
static void yield_to_window(struct app_ingest *s)
{
        pthread_mutex_lock(&s->items_lock);
        if (!s->yielded && s->generation > 0) {
                s->yielded = true;
                struct timespec dl;
                clock_gettime(CLOCK_REALTIME, &dl);
                dl.tv_sec += APP_INGEST_YIELD_MS / 1000;
                dl.tv_nsec += (long)(APP_INGEST_YIELD_MS % 1000) * 1000000L;
                if (dl.tv_nsec >= 1000000000L) {
                        dl.tv_sec++;
                        dl.tv_nsec -= 1000000000L;
                }
                while (!s->stopping && window_pending(s))
                        if (pthread_cond_timedwait(&s->work_cond, &s->items_lock, &dl) != 0)
                                break;
        }
        pthread_mutex_unlock(&s->items_lock);
}

/* The volume's root is unusable: gone with the device, or deleted. */
static bool root_is_gone(const struct app_ingest *s)
{
        struct stat st;
        return fstat(s->root_fd, &st) != 0 || st.st_nlink == 0;
}

/* Probe `rel` (beneath root) into `it`: format, oriented size, capture time,
 * or `unreadable` when the decoder died or hung on it. Returns 0, 1 when the
 * volume itself is gone, or -(1 + skip reason) for a file that is no photo. */
static int probe_item(struct app_ingest *s, const char *rel, struct item *it)
{
        int fd = app_walk_open(s->root_fd, rel);
        if (fd < 0) {
                if (app_walk_errno_is_gone(-fd) && root_is_gone(s))
                        return 1;
                return -(1 + (fd == -ELOOP ? APP_SKIP_SYMLINK : APP_SKIP_UNREADABLE));
        }
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        struct img_probe pr;
        int r = s->o.pool ? app_decode_probe_fd(s->o.pool, fd, IMG_PROBE_NO_HASH, &pr, NULL)
                          : img_probe_file(p, IMG_PROBE_NO_HASH, &pr, NULL);
        close(fd);
        if (r <= APP_DECODE_E_CRASHED && r > _APP_DECODE_E_MIN && app_decode_error_is_photo(r)) {
                /* The decoder died or hung on it: a hostile or broken
                 * file the customer still sees, as "can't be read". */
                memset(&pr, 0, sizeof(pr));
                pr.format = IMG_FMT_UNKNOWN;
                it->unreadable = true;
                it->thumb_error = r;
                if (it->thumb == T_PENDING)
                        it->thumb = T_FAILED;
                r = 0;
        }
        if (r != 0)
                return -(1 + (int)skip_for_probe(r));
        it->format = pr.format;
        it->width = pr.oriented_width, it->height = pr.oriented_height;
        it->progressive = pr.progressive;
        memcpy(it->captured_at, pr.captured_at, sizeof(it->captured_at));
        it->captured_at[sizeof(it->captured_at) - 1] = '\0';
        return 0;
}

/* sort_key and day from the capture time, else the file time. */
static void set_sort_key(struct item *it)
{
        if (it->captured_at[0]) {
                memcpy(it->sort_key, it->captured_at, 19);
                it->sort_key[19] = '\0';
        } else {
                struct tm tm;
                time_t t = (time_t)it->mtime;
                localtime_r(&t, &tm); /* EXIF times are local too */
                strftime(it->sort_key, sizeof(it->sort_key), "%Y-%m-%dT%H:%M:%S", &tm);
        }
        memcpy(it->day, it->sort_key, 10);
        it->day[10] = '\0';
}

/* items_lock held: the first photo with the same capture time and size. */
static void near_dup_locked(struct app_ingest *s, struct item *it, size_t id)
{
        it->near_dup_of = SIZE_MAX;
        if (!it->captured_at[0])
                return;
        char *key = g_strdup_printf("%s|%llu", it->captured_at, (unsigned long long)it->size);
        gpointer prev = g_hash_table_lookup(s->near_dup, key);
        if (prev && (size_t)GPOINTER_TO_SIZE(prev) - 1 != id) {
                it->near_dup_of = (size_t)GPOINTER_TO_SIZE(prev) - 1;
                g_free(key);
        } else if (prev) {
                g_free(key);
        } else {
                g_hash_table_insert(s->near_dup, key, GSIZE_TO_POINTER(id + 1));
        }
}

/* Append `it` (transfer full) to the table and announce it. Returns 0, or -1
 * when out of memory (it is freed and counted as unreadable). */
static int append_item(struct app_ingest *s, struct item *it, size_t *ret_id)
{
        struct app_ingest_item pub;
        pthread_mutex_lock(&s->items_lock);
        if (s->n_items == s->cap_items) {
                size_t ncap = s->cap_items ? s->cap_items * 2 : 256;
                struct item **n = realloc(s->items, ncap * sizeof(*n));
                if (!n) {
                        pthread_mutex_unlock(&s->items_lock);
                        free(it->rel), free(it);
                        on_skip(s, APP_SKIP_UNREADABLE);
                        return -1;
                }
                s->items = n, s->cap_items = ncap;
        }
        size_t id = s->n_items;
        near_dup_locked(s, it, id);
        s->items[s->n_items++] = it;
        s->st.photos = s->n_items;
        if (it->unreadable) {
                s->st.unreadable++;
                s->st.thumbs_done += it->thumb == T_FAILED; /* never attempted */
        }
        if (!s->thumbs_dir && s->n_items == APP_INGEST_FIRST_SCREEN)
                s->st.seconds_to_first_24 = elapsed(s);
        item_export(s, id, &pub);
        pthread_cond_broadcast(&s->work_cond);
        pthread_mutex_unlock(&s->items_lock);
        if (ret_id)
                *ret_id = id;
        if (s->o.on_item)
                s->o.on_item(s->o.user, &pub);
        return 0;
}

/* A new item for a file of the walk (or a fed one): names sanitised. */
static struct item *item_new(struct app_ingest *s, const struct app_walk_file *f)
{
        struct item *it = calloc(1, sizeof(*it));
        if (!it || !(it->rel = strdup(f->rel))) {
                free(it);
                return NULL;
        }
        app_name_sanitise(f->name, f->name_len, it->name, sizeof(it->name));
        if (f->dir_rel_len)
                app_name_sanitise(f->dir_rel, f->dir_rel_len, it->folder, sizeof(it->folder));
        else
                snprintf(it->folder, sizeof(it->folder), "/");
        it->size = f->size;
        it->mtime = f->mtime;
        it->near_dup_of = SIZE_MAX;
        it->format = IMG_FMT_UNKNOWN;
        it->thumb = s->thumbs_dir ? T_PENDING : T_NONE;
        return it;
}

static int on_file(void *user, const struct app_walk_file *f)
{
        struct app_ingest *s = user;
        if (s->o.walk_yields_to_window)
                yield_to_window(s);
        struct item *it = item_new(s, f);
        if (!it) {
                on_skip(s, APP_SKIP_UNREADABLE);
                return 0;
        }
        if (!s->o.no_probe) {
                int r = probe_item(s, f->rel, it);
                if (r != 0) {
                        free(it->rel), free(it);
                        if (r > 0) {
                                s->probe_gone = true; /* walker thread only */
                                return 1;
                        }
                        on_skip(s, (enum app_ingest_skip)(-r - 1));
                        return 0;
                }
        }
        set_sort_key(it);
        (void)append_item(s, it, NULL);
        return 0;
}

static void maybe_finished(struct app_ingest *s)
{
        /* items_lock held */
        bool thumbs_left = false;
        if (s->thumbs_dir)
                thumbs_left = s->running > 0 || s->st.thumbs_done < s->n_items;
        if (s->st.walk_done && !thumbs_left && s->st.seconds_total < 0) {
                s->st.seconds_total = elapsed(s);
                if (s->st.seconds_to_first_24 < 0)
                        s->st.seconds_to_first_24 = s->st.seconds_total;
                pthread_cond_broadcast(&s->done_cond);
        }
}

/* The end of the walk (walker thread, or the feeder of a fed session). */
static void walk_finish(struct app_ingest *s, bool gone)
{
        pthread_mutex_lock(&s->items_lock);
        s->st.walk_done = true;
        s->st.vanished = gone;
        size_t photos = s->n_items;
        bool vanished = s->st.vanished;
        pthread_cond_broadcast(&s->work_cond);
        maybe_finished(s);
        pthread_mutex_unlock(&s->items_lock);
        if (s->o.on_walk_done)
                s->o.on_walk_done(s->o.user, photos, vanished);
}

/* The walk in two passes. The first only lists the candidate photos (readdir
 * and fstatat: no file is opened or decoded); the second probes them newest
 * file time first. The kiosk shows photos newest first by capture time, which
 * on a camera's card or a copy of it is almost always the file's order too,
 * so the photos of the first screen are probed first and their thumbnails can
 * start while the rest of the volume is still being probed (in walk order,
 * the newest are found last). The list is bounded by max_files. */
static int collect_file(void *user, const struct app_walk_file *f)
{
        struct cand_list *l = &((struct app_ingest *)user)->cands;
        if (l->n == l->cap) {
                size_t ncap = l->cap ? l->cap * 2 : 256;
                struct cand *n = realloc(l->v, ncap * sizeof(*n));
                if (!n) {
                        l->oom = true;
                        return 1;
                }
                l->v = n, l->cap = ncap;
        }
        char *rel = strdup(f->rel);
        if (!rel) {
                l->oom = true;
                return 1;
        }
        l->v[l->n] = (struct cand){
                .rel = rel,
                .name_off = (size_t)(f->name - f->rel),
                .name_len = f->name_len,
                .dir_len = f->dir_rel_len,
                .size = f->size,
                .mtime = f->mtime,
                .order = l->n,
        };
        l->n++;
        return 0;
}

static int cmp_cand_newest(const void *a, const void *b)
{
        const struct cand *x = a, *y = b;
        if (x->mtime != y->mtime)
                return x->mtime < y->mtime ? 1 : -1;
        return x->order < y->order ? 1 : (x->order > y->order ? -1 : 0);
}

static void *walker_main(void *arg)
{
        struct app_ingest *s = arg;
        struct app_walk_opts wo = {
                .max_depth = s->o.max_depth,
                .max_files = s->o.max_files,
                .max_file_bytes = s->o.max_file_bytes,
        };
        struct app_walk_cb cb = {
                .on_file = collect_file,
                .on_skip = on_skip,
                .on_seen = on_seen,
                .should_stop = should_stop,
                .user = s,
        };
        int r = app_walk(s->root_fd, &wo, &cb, NULL);
        struct cand_list *l = &s->cands;
        if (l->oom)
                on_skip(s, APP_SKIP_UNREADABLE);
        if (l->n > 1) /* qsort must not see NULL, even for no element */
                qsort(l->v, l->n, sizeof(*l->v), cmp_cand_newest);
        for (size_t i = 0; i < l->n && !should_stop(s) && !s->probe_gone; i++) {
                const struct cand *c = &l->v[i];
                struct app_walk_file f = {
                        .rel = c->rel,
                        .name = c->rel + c->name_off,
                        .name_len = c->name_len,
                        .dir_rel = c->rel,
                        .dir_rel_len = c->dir_len,
                        .size = c->size,
                        .mtime = c->mtime,
                };
                (void)on_file(s, &f);
        }
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].rel);
        free(l->v);
        *l = (struct cand_list){0};
        walk_finish(s, r == DRV_E_GONE || s->probe_gone);
        vips_thread_shutdown(); /* the probe ran libvips on this thread */
        return NULL;
}

/* items_lock held: give item `id` a new thumbnail state (its file changed:
 * a camera's full file replaced its preview). A running job's result is
 * dropped when it ends (redo); thumbs_done counts every item whose state is
 * final (DONE or FAILED) exactly once. A PENDING item is found again by the
 * found-order cursor. */
static void thumb_state_set_locked(struct app_ingest *s, struct item *it, size_t id,
                                   enum thumb_state to, int err)
{
        if (it->thumb == T_RUNNING) {
                it->redo = true;
                it->redo_to = to;
                it->redo_err = err;
                return;
        }
        if (it->thumb == T_DONE || it->thumb == T_FAILED)
                s->st.thumbs_done--;
        it->thumb = to;
        it->thumb_error = err;
        if (to == T_DONE || to == T_FAILED)
                s->st.thumbs_done++;
        if (to == T_PENDING) {
                it->deferred = false;
                if (id < s->cur_all)
                        s->cur_all = id;
                if (id < s->cur_def)
                        s->cur_def = id;
        }
        pthread_cond_broadcast(&s->work_cond);
}

/* ---- fed sessions (cameras) ------------------------------------------ */

int app_ingest_feed(struct app_ingest *s, const struct app_ingest_fed_file *f,
                    struct drv_errbuf *err)
{
        if (!s || !f || !f->rel || !f->name || !s->o.fed)
                return drv_fail(err, DRV_E_INVALID, "not a fed session");
        pthread_mutex_lock(&s->items_lock);
        bool closed = s->stopping || s->feed_closed;
        pthread_mutex_unlock(&s->items_lock);
        if (closed)
                return drv_fail(err, DRV_E_REFUSED, "the session takes no more files");
        /* Opened beneath root exactly as a walked file is: our own name, but
         * the same checks (no symlink, regular file) cost nothing. */
        int fd = app_walk_open(s->root_fd, f->rel);
        if (fd == -EINVAL)
                return drv_fail(err, DRV_E_INVALID, "bad file name");
        on_seen(s);
        if (fd < 0) {
                on_skip(s, APP_SKIP_UNREADABLE);
                return 0;
        }
        struct stat st;
        int sr = fstat(fd, &st);
        close(fd);
        if (sr != 0) {
                on_skip(s, APP_SKIP_UNREADABLE);
                return 0;
        }
        if ((uint64_t)st.st_size > s->o.max_file_bytes) {
                on_skip(s, APP_SKIP_TOO_LARGE);
                return 0;
        }
        pthread_mutex_lock(&s->items_lock);
        bool full = s->n_items >= s->o.max_files;
        pthread_mutex_unlock(&s->items_lock);
        if (full) {
                on_skip(s, APP_SKIP_LIMIT);
                return 0;
        }
        struct app_walk_file wf = {
                .rel = f->rel,
                .name = f->name,
                .name_len = f->name_len,
                .dir_rel = f->folder ? f->folder : "",
                .dir_rel_len = f->folder ? f->folder_len : 0,
                .size = (uint64_t)st.st_size,
                .mtime = f->mtime ? f->mtime : (int64_t)st.st_mtime,
        };
        (void)on_file(s, &wf);
        return 0;
}

void app_ingest_feed_done(struct app_ingest *s, bool vanished)
{
        if (!s || !s->o.fed)
                return;
        pthread_mutex_lock(&s->items_lock);
        bool first = !s->feed_closed;
        s->feed_closed = true;
        pthread_mutex_unlock(&s->items_lock);
        if (first)
                walk_finish(s, vanished);
}

/* The checks of a fed file before its probe: beneath root, regular, not over
 * the size limit. 0 and its size, or the skip reason + 1 negated. */
static int fed_file_check(struct app_ingest *s, const char *rel, uint64_t *ret_size)
{
        int fd = app_walk_open(s->root_fd, rel);
        if (fd == -EINVAL)
                return -EINVAL;
        if (fd < 0)
                return -(1 + APP_SKIP_UNREADABLE);
        struct stat st;
        int sr = fstat(fd, &st);
        close(fd);
        if (sr != 0)
                return -(1 + APP_SKIP_UNREADABLE);
        if ((uint64_t)st.st_size > s->o.max_file_bytes)
                return -(1 + APP_SKIP_TOO_LARGE);
        *ret_size = (uint64_t)st.st_size;
        return 0;
}

static bool feed_closed(struct app_ingest *s)
{
        pthread_mutex_lock(&s->items_lock);
        bool closed = s->stopping || s->feed_closed;
        pthread_mutex_unlock(&s->items_lock);
        return closed;
}

int app_ingest_feed_preview(struct app_ingest *s, const struct app_ingest_fed_file *f,
                            size_t *ret_id, struct drv_errbuf *err)
{
        if (!s || !f || !f->name || !s->o.fed || !ret_id)
                return drv_fail(err, DRV_E_INVALID, "not a fed session");
        if (feed_closed(s))
                return drv_fail(err, DRV_E_REFUSED, "the session takes no more files");
        pthread_mutex_lock(&s->items_lock);
        bool full = s->n_items >= s->o.max_files;
        pthread_mutex_unlock(&s->items_lock);
        if (full)
                return drv_fail(err, DRV_E_LIMIT, "the session is full");
        uint64_t size = 0;
        bool usable = f->rel && f->rel[0];
        if (usable) {
                int c = fed_file_check(s, f->rel, &size);
                if (c == -EINVAL)
                        return drv_fail(err, DRV_E_INVALID, "bad file name");
                usable = c == 0;
        }
        struct app_walk_file wf = {
                .rel = usable ? f->rel : "",
                .name = f->name,
                .name_len = f->name_len,
                .dir_rel = f->folder ? f->folder : "",
                .dir_rel_len = f->folder ? f->folder_len : 0,
                .mtime = f->mtime,
        };
        struct item *it = item_new(s, &wf);
        if (!it)
                return drv_fail(err, DRV_E_IO, "out of memory");
        it->preview = true;
        /* The preview is untrusted like any file: probed (sandboxed with a
         * pool) before a thumbnail job may decode it. Its size and
         * dimensions are not the photo's: they stay unknown (0). */
        if (usable && !s->o.no_probe) {
                struct item probe = {.thumb = T_PENDING};
                usable = probe_item(s, f->rel, &probe) == 0 && !probe.unreadable;
        }
        if (!usable || !s->thumbs_dir) { /* a placeholder: the grid position only */
                it->rel[0] = '\0';
                it->thumb = T_NONE;
        }
        set_sort_key(it);
        size_t id = 0;
        if (append_item(s, it, &id) != 0)
                return drv_fail(err, DRV_E_IO, "out of memory");
        *ret_id = id;
        return 0;
}

int app_ingest_feed_full(struct app_ingest *s, size_t id, const struct app_ingest_fed_file *f,
                         struct drv_errbuf *err)
{
        if (!s || !s->o.fed || (f && !f->rel))
                return drv_fail(err, DRV_E_INVALID, "not a fed session");
        pthread_mutex_lock(&s->items_lock);
        bool ok = id < s->n_items && s->items[id]->preview && !s->stopping;
        pthread_mutex_unlock(&s->items_lock);
        if (!ok)
                return drv_fail(err, DRV_E_INVALID, "no preview item %zu", id);
        /* Probe first, without the lock: a fresh item holds the result. */
        struct item probe = {.thumb = T_PENDING, .format = IMG_FMT_UNKNOWN};
        bool readable = false;
        char *rel = NULL;
        uint64_t size = 0;
        if (f) {
                on_seen(s);
                int c = fed_file_check(s, f->rel, &size);
                if (c == -EINVAL)
                        return drv_fail(err, DRV_E_INVALID, "bad file name");
                if (c == 0 && (s->o.no_probe || probe_item(s, f->rel, &probe) == 0))
                        readable = !probe.unreadable;
                rel = strdup(f->rel);
                if (!rel)
                        return drv_fail(err, DRV_E_IO, "out of memory");
        }
        struct app_ingest_item pub;
        pthread_mutex_lock(&s->items_lock);
        struct item *it = s->items[id];
        it->preview = false;
        if (rel) {
                free(it->rel);
                it->rel = rel;
        }
        it->size = size;
        if (f && f->mtime)
                it->mtime = f->mtime;
        it->format = probe.format;
        it->width = probe.width, it->height = probe.height;
        it->progressive = probe.progressive;
        memcpy(it->captured_at, probe.captured_at, sizeof(it->captured_at));
        set_sort_key(it);
        near_dup_locked(s, it, id);
        if (readable) {
                if (s->thumbs_dir)
                        thumb_state_set_locked(s, it, id, T_PENDING, 0);
        } else {
                /* Gone before its download, or refused by the probe: the
                 * customer sees "this photo can't be read", never the
                 * preview as if it were the photo. */
                it->unreadable = true;
                s->st.unreadable++;
                if (s->thumbs_dir)
                        thumb_state_set_locked(s, it, id, T_FAILED,
                                               probe.thumb_error ? probe.thumb_error : IMG_E_UNREADABLE);
        }
        item_export(s, id, &pub);
        maybe_finished(s);
        pthread_mutex_unlock(&s->items_lock);
        if (s->o.on_item)
                s->o.on_item(s->o.user, &pub);
        return 0;
}

/* ---- thumbnail workers ------------------------------------------------ */

/* Pick the next thumbnail job: the priority window first, then found order
 * with progressive JPEGs deferred until the first screen is done. A
 * progressive JPEG is decoded with whole-image coefficient buffers (no
 * streaming shrink-on-load), so at most one runs at a time: two side by side
 * doubled the peak RSS in tests/bench/ingest.sh. items_lock held. Returns
 * SIZE_MAX when there is nothing to do now. */
static size_t pick_job(struct app_ingest *s)
{
        bool prog_ok = s->running_prog == 0;
        for (size_t k = 0; k < s->n_prio; k++) {
                size_t id = s->prio[k];
                if (id < s->n_items && s->items[id]->thumb == T_PENDING &&
                    (prog_ok || !s->items[id]->progressive))
                        return id;
        }
        /* Before the caller's first window, only the first screenful in
         * found order: the walk probes newest file time first, so these are
         * almost always the photos the caller will ask for first. */
        if (s->o.background_after_window && s->generation == 0 && !s->st.walk_done &&
            s->cur_all >= APP_INGEST_FIRST_SCREEN)
                return SIZE_MAX; /* wait for the caller's first window */
        bool first_screen_done = s->st.thumbs_done + s->running >= APP_INGEST_FIRST_SCREEN;
        while (s->cur_all < s->n_items) {
                struct item *it = s->items[s->cur_all];
                if (it->thumb != T_PENDING) {
                        s->cur_all++;
                        continue;
                }
                if (it->progressive && (!first_screen_done || !prog_ok)) {
                        it->deferred = true;
                        s->cur_all++;
                        continue;
                }
                return s->cur_all++;
        }
        if ((first_screen_done || s->st.walk_done) && prog_ok) {
                while (s->cur_def < s->n_items) {
                        struct item *it = s->items[s->cur_def];
                        if (it->thumb == T_PENDING && it->deferred)
                                return s->cur_def++;
                        if (s->cur_def >= s->cur_all)
                                break; /* not yet passed by cur_all: not deferred yet */
                        s->cur_def++;
                }
        }
        return SIZE_MAX;
}

/* Our own pixels (validated by the pool, or made by image/ here) as the
 * thumbnail JPEG: temp name + rename, so a reader never sees half a file. A
 * cache, not a record: no fsync. Encoding is libvips on a buffer we built;
 * no customer bytes are parsed here. */
static int write_thumb_jpeg(const struct img_pixels *px, int quality, const char *out)
{
        if (px->width <= 0 || px->height <= 0 || px->stride < px->width * 3)
                return IMG_E_INTERNAL;
        size_t row = (size_t)px->width * 3;
        uint8_t *packed = NULL;
        const uint8_t *data = px->data;
        if ((size_t)px->stride != row) {
                packed = malloc(row * (size_t)px->height);
                if (!packed)
                        return IMG_E_INTERNAL;
                for (int y = 0; y < px->height; y++)
                        memcpy(packed + row * (size_t)y, px->data + (size_t)px->stride * (size_t)y, row);
                data = packed;
        }
        VipsImage *im = vips_image_new_from_memory(data, row * (size_t)px->height, px->width,
                                                   px->height, 3, VIPS_FORMAT_UCHAR);
        int r = IMG_E_INTERNAL;
        if (im) {
                im->Type = VIPS_INTERPRETATION_sRGB;
                char tmp[1100];
                snprintf(tmp, sizeof(tmp), "%s.tmp.jpg", out);
                if (vips_jpegsave(im, tmp, "Q", quality, "strip", TRUE, NULL) == 0 &&
                    rename(tmp, out) == 0)
                        r = 0;
                else
                        unlink(tmp);
                g_object_unref(im);
        }
        vips_error_clear();
        free(packed);
        return r;
}

/* One thumbnail of the checked file `fd` into `out`. With pixels wanted
 * (sandbox, or a caller that shows them) the pixels come back in *px;
 * otherwise image/ writes the file straight from its pipeline (the CLI). */
static int make_thumb(struct app_ingest *s, int fd, const struct img_thumb_spec *spec,
                      const char *out, struct img_pixels *px)
{
        int r;
        if (s->o.pool) {
                r = app_decode_thumb_fd(s->o.pool, fd, spec, px, NULL, NULL);
        } else {
                char in[64];
                snprintf(in, sizeof(in), "/proc/self/fd/%d", fd);
                if (!s->o.on_pixels)
                        return img_thumb_file(in, spec, out, NULL, NULL);
                r = img_thumb_to_pixels(in, spec, px, NULL, NULL);
        }
        if (r == 0 && (r = write_thumb_jpeg(px, spec->quality > 0 ? spec->quality : 85, out)) != 0)
                img_pixels_free(px);
        return r;
}

static void *worker_main(void *arg)
{
        struct app_ingest *s = arg;
        struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
        spec.size = s->o.thumb_size;
        pthread_mutex_lock(&s->items_lock);
        for (;;) {
                if (s->stopping)
                        break;
                size_t id = pick_job(s);
                if (id == SIZE_MAX) {
                        if (s->st.walk_done && s->running == 0) {
                                maybe_finished(s);
                                if (s->st.seconds_total >= 0)
                                        break;
                        }
                        pthread_cond_wait(&s->work_cond, &s->items_lock);
                        continue;
                }
                struct item *it = s->items[id];
                it->thumb = T_RUNNING;
                s->running++;
                bool prog = it->progressive; /* the file may change meanwhile (redo) */
                if (prog)
                        s->running_prog++;
                int root = fcntl(s->root_fd, F_DUPFD_CLOEXEC, 0);
                char *rel = strdup(it->rel);
                pthread_mutex_unlock(&s->items_lock);

                int r = IMG_E_UNREADABLE;
                struct img_pixels px = {0};
                int fd = root >= 0 && rel ? app_walk_open(root, rel) : -EIO;
                if (fd >= 0) {
                        char out[1024];
                        thumb_path(s, id, out, sizeof(out));
                        r = make_thumb(s, fd, &spec, out, &px);
                        close(fd);
                }
                if (root >= 0)
                        close(root);
                free(rel);

                struct app_ingest_item pub;
                pthread_mutex_lock(&s->items_lock);
                if (it->redo) {
                        /* A camera's full file replaced the preview this job
                         * read: its result is stale, nobody is told. */
                        it->redo = false;
                        it->thumb = T_NONE;
                        thumb_state_set_locked(s, it, id, it->redo_to, it->redo_err);
                        img_pixels_free(&px);
                        s->running--;
                        if (prog)
                                s->running_prog--;
                        pthread_cond_broadcast(&s->work_cond);
                        maybe_finished(s);
                        continue;
                }
                it->thumb = r == 0 ? T_DONE : T_FAILED;
                it->thumb_error = r < 0 ? r : 0;
                /* A preview the decoder fails on costs the preview only: the
                 * photo is judged by its full file. */
                if (r <= APP_DECODE_E_CRASHED && r > _APP_DECODE_E_MIN &&
                    app_decode_error_is_photo(r) && !it->unreadable && !it->preview) {
                        it->unreadable = true;
                        s->st.unreadable++;
                }
                s->st.thumbs_done++;
                size_t want = APP_INGEST_FIRST_SCREEN;
                if (s->st.seconds_to_first_24 < 0 && s->st.thumbs_done >= want)
                        s->st.seconds_to_first_24 = elapsed(s);
                item_export(s, id, &pub);
                pthread_mutex_unlock(&s->items_lock);
                if (r == 0 && px.data && s->o.on_pixels)
                        s->o.on_pixels(s->o.user, &pub, &px);
                img_pixels_free(&px);
                if (s->o.on_thumb)
                        s->o.on_thumb(s->o.user, &pub, r);
                pthread_mutex_lock(&s->items_lock);
                /* Still "running" until its callback returned: the session is
                 * only finished when every record has been delivered. */
                s->running--;
                if (prog)
                        s->running_prog--;
                /* A waiting worker may now take a progressive JPEG. */
                pthread_cond_broadcast(&s->work_cond);
                maybe_finished(s);
        }
        pthread_cond_broadcast(&s->work_cond);
        pthread_mutex_unlock(&s->items_lock);
        vips_thread_shutdown(); /* libvips' per-thread buffers */
        return NULL;
}

/* ---- session ---------------------------------------------------------- */

int app_ingest_start(const struct app_ingest_opts *opts, struct app_ingest **ret,
                     struct drv_errbuf *err)
{
        if (!opts || !opts->root || !ret)
                return drv_fail(err, DRV_E_INVALID, "no ingest root");
        if (opts->jobs > APP_INGEST_MAX_JOBS)
                return drv_fail(err, DRV_E_INVALID, "jobs must be 1..%d", APP_INGEST_MAX_JOBS);
        struct app_ingest *s = calloc(1, sizeof(*s));
        if (!s)
                return drv_fail(err, DRV_E_IO, "out of memory");
        s->o = *opts;
        s->root_fd = -1;
        pthread_mutex_init(&s->items_lock, NULL);
        pthread_cond_init(&s->work_cond, NULL);
        pthread_cond_init(&s->done_cond, NULL);
        s->near_dup = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        s->st.seconds_to_first_24 = -1;
        s->st.seconds_total = -1;
        if (!s->o.max_depth)
                s->o.max_depth = APP_INGEST_MAX_DEPTH;
        if (!s->o.max_files)
                s->o.max_files = APP_INGEST_MAX_FILES;
        if (!s->o.max_file_bytes)
                s->o.max_file_bytes = APP_INGEST_MAX_FILE_BYTES;
        if (!s->o.jobs)
                s->o.jobs = 2;
        if (!s->o.thumb_size)
                s->o.thumb_size = 256;
        if (s->o.no_probe && opts->thumbs_dir) {
                app_ingest_free(s);
                return drv_fail(err, DRV_E_INVALID, "thumbnails need the probe");
        }
        s->root = strdup(opts->root);
        s->thumbs_dir = opts->thumbs_dir ? strdup(opts->thumbs_dir) : NULL;
        s->root_fd = open(opts->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0) {
                int e = errno;
                app_ingest_free(s);
                return drv_fail(err, e == ENOENT ? DRV_E_NOT_FOUND : DRV_E_IO,
                                "cannot open the ingest root: %s", strerror(e));
        }
        if (opts->volume_id) {
                s->volume_id = strdup(opts->volume_id);
        } else {
                struct stat st;
                fstat(s->root_fd, &st);
                s->volume_id = g_strdup_printf("dev:%llu", (unsigned long long)st.st_dev);
        }
        if (s->thumbs_dir && mkdir(s->thumbs_dir, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                app_ingest_free(s);
                return drv_fail(err, DRV_E_IO, "cannot create the thumbnail folder: %s", strerror(e));
        }
        if (opts->spool_dir) {
                int r = app_spool_open(opts->spool_dir, &s->spool, err);
                if (r) {
                        app_ingest_free(s);
                        return r;
                }
        }
        clock_gettime(CLOCK_MONOTONIC, &s->t0);
        /* Workers first, the walker last: once the walker runs, callbacks may
         * run, and nothing after it can fail (a caller may hold its own lock
         * around this call that the callbacks take). */
        if (s->thumbs_dir) {
                s->workers = calloc(s->o.jobs, sizeof(*s->workers));
                for (unsigned k = 0; s->workers && k < s->o.jobs; k++) {
                        if (pthread_create(&s->workers[k], NULL, worker_main, s) != 0)
                                break;
                        s->n_workers++;
                }
                if (s->n_workers == 0) {
                        app_ingest_free(s);
                        return drv_fail(err, DRV_E_IO, "cannot start thumbnail workers");
                }
        }
        if (s->o.fed) { /* the caller feeds files: no walker */
                *ret = s;
                return 0;
        }
        if (pthread_create(&s->walker, NULL, walker_main, s) != 0) {
                app_ingest_free(s);
                return drv_fail(err, DRV_E_IO, "cannot start the walker");
        }
        s->walker_started = true;
        *ret = s;
        return 0;
}

void app_ingest_wait(struct app_ingest *s)
{
        if (!s)
                return;
        pthread_mutex_lock(&s->items_lock);
        while (s->st.seconds_total < 0 && !s->stopping) {
                maybe_finished(s);
                if (s->st.seconds_total >= 0)
                        break;
                pthread_cond_wait(&s->done_cond, &s->items_lock);
        }
        pthread_mutex_unlock(&s->items_lock);
}

struct app_ingest *app_ingest_free(struct app_ingest *s)
{
        if (!s)
                return NULL;
        pthread_mutex_lock(&s->items_lock);
        s->stopping = true;
        pthread_cond_broadcast(&s->work_cond);
        pthread_cond_broadcast(&s->done_cond);
        pthread_mutex_unlock(&s->items_lock);
        if (s->walker_started)
                pthread_join(s->walker, NULL);
        for (unsigned k = 0; k < s->n_workers; k++)
                pthread_join(s->workers[k], NULL);
        free(s->workers);
        for (size_t k = 0; k < s->n_items; k++) {
                free(s->items[k]->rel);
                free(s->items[k]);
        }
        free(s->items);
        if (s->near_dup)
                g_hash_table_destroy(s->near_dup);
        if (s->root_fd >= 0)
                close(s->root_fd);
        app_spool_free(s->spool);
        free(s->root);
        g_free(s->volume_id);
        free(s->thumbs_dir);
        pthread_cond_destroy(&s->work_cond);
        pthread_cond_destroy(&s->done_cond);
        pthread_mutex_destroy(&s->items_lock);
        free(s);
        return NULL;
}

void app_ingest_get_stats(struct app_ingest *s, struct app_ingest_stats *ret)
{
        pthread_mutex_lock(&s->items_lock);
        *ret = s->st;
        pthread_mutex_unlock(&s->items_lock);
}

size_t app_ingest_count(struct app_ingest *s)
{
        pthread_mutex_lock(&s->items_lock);
        size_t n = s->n_items;
        pthread_mutex_unlock(&s->items_lock);
        return n;
}

int app_ingest_get(struct app_ingest *s, size_t id, struct app_ingest_item *ret)
{
        pthread_mutex_lock(&s->items_lock);
        int r = DRV_E_NOT_FOUND;
        if (id < s->n_items) {
                item_export(s, id, ret);
                r = 0;
        }
        pthread_mutex_unlock(&s->items_lock);
        return r;
}

struct sort_ent {
        char key[32];
        size_t id;
};

static int cmp_newest(const void *a, const void *b)
{
        const struct sort_ent *x = a, *y = b;
        int c = strcmp(y->key, x->key);
        if (c)
                return c;
        return x->id < y->id ? -1 : x->id > y->id;
}

size_t app_ingest_sorted(struct app_ingest *s, size_t *ids, size_t max)
{
        pthread_mutex_lock(&s->items_lock);
        size_t n = s->n_items;
        struct sort_ent *v = n ? malloc(n * sizeof(*v)) : NULL;
        for (size_t k = 0; v && k < n; k++) {
                memcpy(v[k].key, s->items[k]->sort_key, sizeof(v[k].key));
                v[k].id = k;
        }
        pthread_mutex_unlock(&s->items_lock);
        if (!v)
                return 0;
        qsort(v, n, sizeof(*v), cmp_newest);
        size_t out = n < max ? n : max;
        for (size_t k = 0; k < out; k++)
                ids[k] = v[k].id;
        free(v);
        return out;
}

void app_ingest_prioritise(struct app_ingest *s, const size_t *ids, size_t n)
{
        pthread_mutex_lock(&s->items_lock);
        s->generation++;
        s->n_prio = 0;
        for (size_t k = 0; k < n && s->n_prio < PRIO_WINDOW_MAX; k++)
                s->prio[s->n_prio++] = ids[k];
        pthread_cond_broadcast(&s->work_cond);
        pthread_mutex_unlock(&s->items_lock);
}

static int copy_hook_tramp(void *user, uint64_t copied);

struct hook_ctx {
        struct app_ingest *s;
        size_t id;
};

static int copy_hook_tramp(void *user, uint64_t copied)
{
        struct hook_ctx *h = user;
        return h->s->o.copy_hook(h->s->o.user, h->id, copied);
}

int app_ingest_select(struct app_ingest *s, size_t id, char ret_sha256[65],
                      struct drv_errbuf *err)
{
        if (!s->spool)
                return drv_fail(err, DRV_E_INVALID, "session has no spool");
        pthread_mutex_lock(&s->items_lock);
        if (id >= s->n_items) {
                pthread_mutex_unlock(&s->items_lock);
                return drv_fail(err, DRV_E_NOT_FOUND, "no photo %zu", id);
        }
        struct item *it = s->items[id];
        if (it->preview) {
                pthread_mutex_unlock(&s->items_lock);
                return drv_fail(err, DRV_E_REFUSED, "photo %zu is not on the kiosk yet", id);
        }
        if (it->state == APP_ITEM_COPIED) {
                memcpy(ret_sha256, it->sha256, 65);
                pthread_mutex_unlock(&s->items_lock);
                return 0;
        }
        int root = fcntl(s->root_fd, F_DUPFD_CLOEXEC, 0);
        char *rel = strdup(it->rel);
        uint64_t size = it->size;
        const char *ext = it->format == IMG_FMT_UNKNOWN ? "bin" : img_format_name(it->format);
        pthread_mutex_unlock(&s->items_lock);

        int r;
        int fd = root >= 0 && rel ? app_walk_open(root, rel) : -EIO;
        if (fd < 0) {
                r = app_walk_errno_is_gone(-fd)
                            ? drv_fail(err, DRV_E_GONE, "photo no longer on the volume")
                            : drv_fail(err, DRV_E_IO, "cannot open the photo: %s", strerror(-fd));
        } else {
                struct stat st;
                /* The size the walk saw is the contract: a changed file is not the
                 * photo the customer chose. */
                if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != size) {
                        r = drv_fail(err, DRV_E_GONE, "photo changed on the volume");
                } else {
                        struct hook_ctx hc = {.s = s, .id = id};
                        struct app_spool_hook hook = {.after_chunk = copy_hook_tramp, .user = &hc};
                        char sha[65];
                        r = app_spool_import_fd(s->spool, fd, size, ext,
                                                s->o.copy_hook ? &hook : NULL, sha, err);
                        if (r == 0)
                                memcpy(ret_sha256, sha, 65);
                }
                close(fd);
        }
        if (root >= 0)
                close(root);
        free(rel);
        pthread_mutex_lock(&s->items_lock);
        if (r == 0) {
                it->state = APP_ITEM_COPIED;
                memcpy(it->sha256, ret_sha256, 65);
        } else if (r == DRV_E_GONE) {
                it->state = APP_ITEM_REINSERT;
        }
        pthread_mutex_unlock(&s->items_lock);
        return r;
}

int app_ingest_reinsert(struct app_ingest *s, const char *root, const char *volume_id,
                        struct drv_errbuf *err)
{
        if (!root || !volume_id || strcmp(volume_id, s->volume_id) != 0)
                return drv_fail(err, DRV_E_INVALID, "a different volume was inserted");
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return drv_fail(err, DRV_E_NOT_FOUND, "cannot open the volume: %s", strerror(errno));
        pthread_mutex_lock(&s->items_lock);
        int old = s->root_fd;
        s->root_fd = fd;
        size_t n = s->n_items;
        pthread_mutex_unlock(&s->items_lock);
        close(old);
        int first = 0;
        for (size_t id = 0; id < n; id++) {
                pthread_mutex_lock(&s->items_lock);
                bool again = s->items[id]->state == APP_ITEM_REINSERT;
                pthread_mutex_unlock(&s->items_lock);
                if (!again)
                        continue;
                char sha[65];
                struct drv_errbuf e2;
                int r = app_ingest_select(s, id, sha, &e2);
                if (r && !first) {
                        first = r;
                        if (err)
                                *err = e2;
                }
        }
        return first;
}

int app_ingest_session_end(struct app_ingest *s, const char *const *keep, size_t n_keep,
                           struct drv_errbuf *err)
{
        if (!s)
                return 0;
        /* Stop the threads first so no thumbnail appears after the wipe. */
        pthread_mutex_lock(&s->items_lock);
        s->stopping = true;
        pthread_cond_broadcast(&s->work_cond);
        pthread_mutex_unlock(&s->items_lock);
        if (s->walker_started)
                pthread_join(s->walker, NULL);
        s->walker_started = false;
        for (unsigned k = 0; k < s->n_workers; k++)
                pthread_join(s->workers[k], NULL);
        s->n_workers = 0;

        int rc = 0;
        if (s->spool) {
                rc = app_spool_wipe(s->spool, keep, n_keep, err);
                rmdir(app_spool_dir(s->spool)); /* fails (kept) when not empty */
        }
        for (size_t id = 0; s->thumbs_dir && id < s->n_items; id++) {
                bool kept = false;
                for (size_t k = 0; k < n_keep && s->items[id]->sha256[0] && !kept; k++)
                        kept = keep[k] && strcmp(keep[k], s->items[id]->sha256) == 0;
                char p[1024];
                thumb_path(s, id, p, sizeof(p));
                if (!kept && unlink(p) != 0 && errno != ENOENT && !rc)
                        rc = drv_fail(err, DRV_E_IO, "cannot delete a thumbnail: %s", strerror(errno));
        }
        if (s->thumbs_dir)
                rmdir(s->thumbs_dir);
        app_ingest_free(s);
        return rc;
}
