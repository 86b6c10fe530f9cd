/* app/camera_import: a camera's photos streamed into a fed ingest session
 * (see camera_import.h).
 *
 * Invariants: files[] only grows (a reconnect appends photos taken meanwhile)
 * and is touched only by the import thread; files[i] is downloaded at most
 * once, to "p%06zu" of i, and fed right after its rename; its preview, if
 * any, is "v%06zu" of i, deleted once the full file is fed. Ingest ids follow
 * the feed order, so the feed keeps file order: previews (and placeholders
 * for the files between them) only for a prefix of files[], and never after
 * a full file was fed as a new item (previews_closed); every file with a
 * preview item is later fed in full or given up (app_ingest_feed_full), so
 * no item stays a preview once the import is DONE. `cam` is set and
 * cleared under import_lock by the import thread only; other threads only
 * cancel it under that lock. Every wait is bounded or ends on stop.
 */
#include "app/camera_import.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h> /* vips_thread_shutdown: feeds probe in process without a pool */

#include "app/ingest.h"
#include "drivers/camera.h"

#define APP_CAMERA_PREVIEW_PROBES 8 /* misses before a camera counts as offering none */

struct cfile {
        char *folder, *name; /* device's raw names (transfer full); never paths here */
        int64_t mtime;
        bool fetched, failed;
        bool preview_tried;
        bool has_id;         /* an ingest item exists (a preview or a placeholder) */
        size_t id;           /* ... its id */
};

struct app_camera_import {
        struct app_camera_import_opts o;
        char *model, *port, *dir;

        pthread_mutex_t import_lock; /* below, up to the thread */
        pthread_cond_t wake;
        struct drv_camera *cam;
        struct app_camera_progress p;
        bool reconnect;              /* a reconnect is waiting */
        atomic_bool stop, left;

        pthread_t thread;
        bool started;
        /* import thread only */
        struct cfile *files;
        size_t n_files, cap_files;
        GHashTable *known;           /* "folder/name" -> index + 1 */
        bool previews_closed;        /* a full file was fed as a new item: no preview
                                        may come after it (ids follow the feed order) */
        uint64_t preview_bytes;
};

static const char *const state_names[_APP_CAMERA_STATE_MAX] = {
        [APP_CAMERA_CONNECTING] = "connecting", [APP_CAMERA_LOCKED] = "locked",
        [APP_CAMERA_READING] = "reading",       [APP_CAMERA_DONE] = "done",
        [APP_CAMERA_GONE] = "gone",             [APP_CAMERA_FAILED] = "failed",
};

const char *app_camera_state_name(enum app_camera_state s)
{
        return (unsigned)s < _APP_CAMERA_STATE_MAX ? state_names[s] : "unknown";
}

static int64_t now_ms(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Set the state / counters and tell the owner (no lock held for the call). */
static void report(struct app_camera_import *imp, int state, int error)
{
        pthread_mutex_lock(&imp->import_lock);
        if (state >= 0)
                imp->p.state = (enum app_camera_state)state;
        if (error)
                imp->p.error = error;
        struct app_camera_progress p = imp->p;
        pthread_mutex_unlock(&imp->import_lock);
        if (imp->o.on_progress)
                imp->o.on_progress(imp->o.user, &p);
}

/* Wait up to ms (stop or a reconnect end it early). Returns true on stop. */
static bool nap(struct app_camera_import *imp, int ms)
{
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += ms / 1000;
        dl.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
                dl.tv_sec++;
                dl.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&imp->import_lock);
        while (!imp->stop && !imp->reconnect)
                if (pthread_cond_timedwait(&imp->wake, &imp->import_lock, &dl) != 0)
                        break;
        bool stop = imp->stop;
        pthread_mutex_unlock(&imp->import_lock);
        return stop;
}

/* Wait for a reconnect or stop (no timeout: the session's end stops us).
 * Returns true on stop; on a reconnect, takes it. */
static bool wait_reconnect(struct app_camera_import *imp)
{
        pthread_mutex_lock(&imp->import_lock);
        while (!imp->stop && !imp->reconnect)
                pthread_cond_wait(&imp->wake, &imp->import_lock);
        bool stop = imp->stop;
        if (!stop) {
                imp->reconnect = false;
                imp->left = false;
        }
        pthread_mutex_unlock(&imp->import_lock);
        return stop;
}

static void close_camera(struct app_camera_import *imp)
{
        pthread_mutex_lock(&imp->import_lock);
        struct drv_camera *c = imp->cam;
        imp->cam = NULL;
        pthread_mutex_unlock(&imp->import_lock);
        drv_camera_free(c);
}

static int cmp_newest(const void *a, const void *b)
{
        const struct cfile *x = a, *y = b;
        if (x->mtime != y->mtime)
                return x->mtime > y->mtime ? -1 : 1;
        /* Same second: a stable, reproducible order (camera numbering). */
        int c = strcmp(y->folder, x->folder);
        return c ? c : strcmp(y->name, x->name);
}

/* Add the listed files we do not know yet, newest first among themselves,
 * after the ones we have (whose grid positions are already given). */
static int merge_list(struct app_camera_import *imp, const struct drv_camera_file *l, size_t n)
{
        size_t first_new = imp->n_files;
        for (size_t i = 0; i < n; i++) {
                char *key = g_strdup_printf("%s/%s", l[i].folder, l[i].name);
                if (g_hash_table_contains(imp->known, key)) {
                        g_free(key);
                        continue;
                }
                if (imp->n_files == imp->cap_files) {
                        size_t cap = imp->cap_files ? imp->cap_files * 2 : 64;
                        struct cfile *nf = realloc(imp->files, cap * sizeof(*nf));
                        if (!nf) {
                                g_free(key);
                                return DRV_E_IO;
                        }
                        imp->files = nf, imp->cap_files = cap;
                }
                struct cfile *f = &imp->files[imp->n_files];
                memset(f, 0, sizeof(*f));
                f->folder = strdup(l[i].folder);
                f->name = strdup(l[i].name);
                f->mtime = l[i].mtime;
                if (!f->folder || !f->name) {
                        free(f->folder), free(f->name);
                        g_free(key);
                        return DRV_E_IO;
                }
                imp->n_files++;
                g_hash_table_insert(imp->known, key, GSIZE_TO_POINTER(1));
        }
        qsort(imp->files + first_new, imp->n_files - first_new, sizeof(*imp->files), cmp_newest);
        pthread_mutex_lock(&imp->import_lock);
        imp->p.total = imp->n_files;
        pthread_mutex_unlock(&imp->import_lock);
        return 0;
}

/* Open and list; on success imp->cam is set. Returns a drv_error. */
static int connect_and_list(struct app_camera_import *imp, struct drv_errbuf *e)
{
        char model[256], port[512];
        pthread_mutex_lock(&imp->import_lock);
        snprintf(model, sizeof(model), "%s", imp->model);
        snprintf(port, sizeof(port), "%s", imp->port);
        pthread_mutex_unlock(&imp->import_lock);
        struct drv_camera *c = NULL;
        int r = drv_camera_open(model, port, &c, e);
        if (r)
                return r;
        pthread_mutex_lock(&imp->import_lock);
        imp->cam = c;
        if (imp->stop || imp->left)
                drv_camera_cancel(c);
        pthread_mutex_unlock(&imp->import_lock);
        struct drv_camera_file *l = NULL;
        size_t n = 0;
        r = drv_camera_list(c, NULL, &l, &n, NULL, e);
        if (r == 0)
                r = merge_list(imp, l, n);
        free(l);
        if (r)
                close_camera(imp);
        return r;
}

static int on_fetch_progress(void *user, uint64_t done, uint64_t total)
{
        struct app_camera_import *imp = user;
        (void)done, (void)total;
        return imp->stop || imp->left;
}

static void preview_path(struct app_camera_import *imp, size_t i, char *rel, size_t rl,
                         char *path, size_t pl)
{
        snprintf(rel, rl, "v%06zu", i);
        snprintf(path, pl, "%s/%s", imp->dir, rel);
}

static struct app_ingest_fed_file fed_file(const struct cfile *f, const char *rel)
{
        /* The display folder: the device's folder without its storage prefix
         * is still the device's bytes; ingest sanitises both names. */
        return (struct app_ingest_fed_file){
                .rel = rel,
                .name = f->name,
                .name_len = strlen(f->name),
                .folder = f->folder,
                .folder_len = strlen(f->folder),
                .mtime = f->mtime,
        };
}

/* Feed files[i] as a preview item (rel: its preview file) or a placeholder
 * (rel NULL). */
static void feed_preview(struct app_camera_import *imp, size_t i, const char *rel)
{
        struct cfile *f = &imp->files[i];
        struct app_ingest_fed_file ff = fed_file(f, rel);
        struct drv_errbuf fe;
        size_t id = 0;
        if (app_ingest_feed_preview(imp->o.ingest, &ff, &id, &fe) == 0) {
                f->has_id = true;
                f->id = id;
        }
}

/* The previews of the newest photos, before any full download: bounded by
 * APP_CAMERA_PREVIEWS and APP_CAMERA_PREVIEW_BUDGET. A photo without a usable
 * preview gets a placeholder only when a later one has a preview, so the
 * ids stay in file order and a camera without previews feeds nothing. A
 * device error ends the phase (the download that follows finds out whether
 * the device left); the untried rest is tried again after a reconnect. */
static void fetch_previews(struct app_camera_import *imp)
{
        size_t want = imp->o.previews < 0 ? 0
                      : imp->o.previews > 0 ? (size_t)imp->o.previews : APP_CAMERA_PREVIEWS;
        if (want > imp->n_files)
                want = imp->n_files;
        /* A camera that offers no preview for the first few newest photos
         * offers none: stop asking (one round trip per photo on USB). */
        unsigned misses = 0;
        for (size_t i = 0; i < want && !imp->previews_closed && !imp->stop && !imp->left &&
                           !(imp->p.previews == 0 && misses >= APP_CAMERA_PREVIEW_PROBES);
             i++) {
                struct cfile *f = &imp->files[i];
                if (f->fetched || f->failed || f->has_id || f->preview_tried)
                        continue;
                if (imp->preview_bytes >= APP_CAMERA_PREVIEW_BUDGET)
                        break;
                char rel[32], path[4200];
                preview_path(imp, i, rel, sizeof(rel), path, sizeof(path));
                struct drv_errbuf e;
                int r = drv_camera_fetch_preview(imp->cam, f->folder, f->name, path, &e);
                if (r == DRV_E_GONE || r == DRV_E_TIMEOUT || r == DRV_E_REFUSED ||
                    r == DRV_E_PERMISSION || r == DRV_E_IO)
                        break; /* the device, not this preview: not tried */
                f->preview_tried = true;
                if (r != 0) {
                        misses++;
                        continue; /* none offered, too large: maybe a placeholder */
                }
                struct stat st;
                if (stat(path, &st) == 0)
                        imp->preview_bytes += (uint64_t)st.st_size;
                for (size_t j = 0; j < i; j++) /* positions of the ones before */
                        if (!imp->files[j].has_id && !imp->files[j].fetched && !imp->files[j].failed)
                                feed_preview(imp, j, NULL);
                feed_preview(imp, i, rel);
                pthread_mutex_lock(&imp->import_lock);
                imp->p.previews++;
                pthread_mutex_unlock(&imp->import_lock);
                report(imp, -1, 0);
        }
}

/* Download files[i] and feed it. Returns 0, or the drv_error of the fetch. */
static int fetch_one(struct app_camera_import *imp, size_t i, struct drv_errbuf *e)
{
        struct cfile *f = &imp->files[i];
        char rel[32], path[4200];
        snprintf(rel, sizeof(rel), "p%06zu", i);
        snprintf(path, sizeof(path), "%s/%s", imp->dir, rel);
        int r = drv_camera_fetch(imp->cam, f->folder, f->name, path, on_fetch_progress, imp, e);
        if (r)
                return r;
        f->fetched = true;
        struct app_ingest_fed_file ff = fed_file(f, rel);
        struct drv_errbuf fe;
        if (f->has_id) {
                /* Same id, same grid position: the real thumbnail replaces
                 * the preview's; the preview file is not needed any more (a
                 * thumbnail job still reading it is dropped by ingest). */
                (void)app_ingest_feed_full(imp->o.ingest, f->id, &ff, &fe);
                char prel[32], ppath[4200];
                preview_path(imp, i, prel, sizeof(prel), ppath, sizeof(ppath));
                (void)unlink(ppath);
        } else {
                imp->previews_closed = true;
                (void)app_ingest_feed(imp->o.ingest, &ff, &fe); /* refused only when stopping */
        }
        pthread_mutex_lock(&imp->import_lock);
        imp->p.done++;
        pthread_mutex_unlock(&imp->import_lock);
        return 0;
}

/* files[i] will never be downloaded: a preview item becomes "can't be read". */
static void give_up_file(struct app_camera_import *imp, size_t i)
{
        struct cfile *f = &imp->files[i];
        f->failed = true;
        if (f->has_id) {
                struct drv_errbuf fe;
                (void)app_ingest_feed_full(imp->o.ingest, f->id, NULL, &fe);
                char prel[32], ppath[4200];
                preview_path(imp, i, prel, sizeof(prel), ppath, sizeof(ppath));
                (void)unlink(ppath);
        }
}

static void *import_main(void *arg)
{
        struct app_camera_import *imp = arg;
        int64_t since = now_ms();
        int tries = 0;
        size_t next = 0;
        struct drv_errbuf e;
        report(imp, APP_CAMERA_CONNECTING, 0);
        while (!imp->stop) {
                pthread_mutex_lock(&imp->import_lock);
                bool have = imp->cam != NULL;
                bool again = imp->reconnect;
                imp->reconnect = false;
                pthread_mutex_unlock(&imp->import_lock);
                if (again) { /* a fresh start for the retry budget */
                        since = now_ms();
                        tries = 0;
                        imp->left = false;
                }
                if (!have) {
                        int r = 0;
                        if (!imp->left) {
                                report(imp, APP_CAMERA_CONNECTING, 0);
                                r = connect_and_list(imp, &e);
                        }
                        if (imp->stop)
                                break;
                        if (imp->left) { /* unplugged while we were opening it */
                                close_camera(imp);
                                report(imp, APP_CAMERA_GONE, DRV_E_GONE);
                                if (wait_reconnect(imp))
                                        break;
                                since = now_ms(), tries = 0;
                                continue;
                        }
                        if (r == 0) {
                                next = 0; /* re-scan: a reconnect may have added files */
                                report(imp, APP_CAMERA_READING, 0);
                                fetch_previews(imp);
                                continue;
                        }
                        bool locked = r == DRV_E_PERMISSION;
                        bool give_up = locked ? now_ms() - since >= imp->o.give_up_ms
                                              : ++tries >= APP_CAMERA_CONNECT_TRIES;
                        if (give_up) {
                                report(imp, APP_CAMERA_FAILED, r);
                                if (wait_reconnect(imp))
                                        break;
                                since = now_ms(), tries = 0;
                                continue;
                        }
                        report(imp, locked ? APP_CAMERA_LOCKED : APP_CAMERA_CONNECTING, r);
                        if (nap(imp, imp->o.retry_ms))
                                break;
                        continue;
                }
                while (next < imp->n_files && (imp->files[next].fetched || imp->files[next].failed))
                        next++;
                if (next == imp->n_files) {
                        close_camera(imp); /* the phone may be unplugged now */
                        app_ingest_feed_done(imp->o.ingest, false);
                        report(imp, APP_CAMERA_DONE, 0);
                        /* A reconnect after the end finds nothing new to do
                         * in this session: wait for the end. */
                        pthread_mutex_lock(&imp->import_lock);
                        while (!imp->stop)
                                pthread_cond_wait(&imp->wake, &imp->import_lock);
                        pthread_mutex_unlock(&imp->import_lock);
                        break;
                }
                if (imp->o.test_delay_ms > 0 && nap(imp, imp->o.test_delay_ms))
                        break;
                int r = fetch_one(imp, next, &e);
                if (imp->stop)
                        break;
                if (r == 0) {
                        report(imp, -1, 0);
                        continue;
                }
                /* Gone for good, or only this file? The USB watcher knows;
                 * else ask the device itself. */
                bool device_gone = imp->left;
                if (!device_gone && (r == DRV_E_GONE || r == DRV_E_TIMEOUT || r == DRV_E_REFUSED ||
                                     r == DRV_E_PERMISSION)) {
                        struct drv_errbuf pe;
                        device_gone = drv_camera_ping(imp->cam, &pe) != 0;
                }
                if (device_gone) {
                        close_camera(imp);
                        report(imp, APP_CAMERA_GONE, DRV_E_GONE);
                        if (wait_reconnect(imp))
                                break;
                        since = now_ms(), tries = 0;
                        continue;
                }
                give_up_file(imp, next);
                pthread_mutex_lock(&imp->import_lock);
                imp->p.failed++;
                pthread_mutex_unlock(&imp->import_lock);
                report(imp, -1, 0);
        }
        close_camera(imp);
        vips_thread_shutdown();
        return NULL;
}

int app_camera_import_start(const struct app_camera_import_opts *o,
                            struct app_camera_import **ret, struct drv_errbuf *err)
{
        if (!o || !o->model || !o->port || !o->dir || !o->ingest || !ret)
                return drv_fail(err, DRV_E_INVALID, "camera import needs model, port, folder, session");
        struct app_camera_import *imp = calloc(1, sizeof(*imp));
        if (!imp)
                return drv_fail(err, DRV_E_IO, "out of memory");
        imp->o = *o;
        if (imp->o.retry_ms <= 0)
                imp->o.retry_ms = APP_CAMERA_RETRY_MS;
        if (imp->o.give_up_ms <= 0)
                imp->o.give_up_ms = APP_CAMERA_GIVE_UP_MS;
        pthread_mutex_init(&imp->import_lock, NULL);
        pthread_cond_init(&imp->wake, NULL);
        imp->model = strdup(o->model);
        imp->port = strdup(o->port);
        imp->dir = strdup(o->dir);
        imp->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        if (!imp->model || !imp->port || !imp->dir) {
                app_camera_import_free(imp);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        if (pthread_create(&imp->thread, NULL, import_main, imp) != 0) {
                app_camera_import_free(imp);
                return drv_fail(err, DRV_E_IO, "cannot start the camera thread");
        }
        imp->started = true;
        *ret = imp;
        return 0;
}

void app_camera_import_reconnect(struct app_camera_import *imp, const char *model,
                                 const char *port)
{
        if (!imp || !model || !port)
                return;
        char *m = strdup(model), *p = strdup(port);
        pthread_mutex_lock(&imp->import_lock);
        if (m && p) {
                free(imp->model), free(imp->port);
                imp->model = m, imp->port = p;
                m = p = NULL;
        }
        imp->reconnect = true;
        pthread_cond_broadcast(&imp->wake);
        pthread_mutex_unlock(&imp->import_lock);
        free(m), free(p);
}

void app_camera_import_device_left(struct app_camera_import *imp)
{
        if (!imp)
                return;
        pthread_mutex_lock(&imp->import_lock);
        imp->left = true;
        drv_camera_cancel(imp->cam); /* NULL-safe */
        pthread_cond_broadcast(&imp->wake);
        pthread_mutex_unlock(&imp->import_lock);
}

void app_camera_import_get(struct app_camera_import *imp, struct app_camera_progress *ret)
{
        pthread_mutex_lock(&imp->import_lock);
        *ret = imp->p;
        pthread_mutex_unlock(&imp->import_lock);
}

struct app_camera_import *app_camera_import_free(struct app_camera_import *imp)
{
        if (!imp)
                return NULL;
        pthread_mutex_lock(&imp->import_lock);
        imp->stop = true;
        drv_camera_cancel(imp->cam);
        pthread_cond_broadcast(&imp->wake);
        pthread_mutex_unlock(&imp->import_lock);
        if (imp->started)
                pthread_join(imp->thread, NULL);
        drv_camera_free(imp->cam);
        for (size_t i = 0; i < imp->n_files; i++)
                free(imp->files[i].folder), free(imp->files[i].name);
        free(imp->files);
        if (imp->known)
                g_hash_table_destroy(imp->known);
        free(imp->model), free(imp->port), free(imp->dir);
        pthread_cond_destroy(&imp->wake);
        pthread_mutex_destroy(&imp->import_lock);
        free(imp);
        return NULL;
}
