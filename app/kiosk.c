/* app/kiosk: the core facade the UI drives (see kiosk.h).
 *
 * Invariants:
 *  - photos[0..n_photos) is append-only while a source is open (the UI keys
 *    textures and grid rows by index): app/ingest's photos are published in
 *    batches, each newest first, by the walker thread (publish_locked; a
 *    camera's in feed order, a cell shown by the phone's preview is updated
 *    in place when its file arrives: camera_photo_arrived_locked), and
 *    cleared only by source_stop / session end, after the ingest session's
 *    threads were joined; all under state_lock. Getters copy out under it.
 *  - Lock order: state_lock, then app/ingest's own lock (inside its calls),
 *    then copy_lock / order_files_lock / job_lock. ingest calls back with no
 *    lock of its own held; callbacks carry their source's serial and do
 *    nothing once that source was replaced.
 *  - A photo's thumbnail is posted once per request: want_gen is set by
 *    request_thumbs and cleared by whoever posts (on_ingest_pixels for a
 *    thumbnail just made, a worker for one read back from the session folder).
 *  - Customer files are decoded only in app/decode_pool's helpers (unless
 *    cfg.decode_in_process): ingest's probes and thumbnails, the preview's
 *    probe. In this process: our own thumbnail JPEGs, and the soft proof of
 *    the spool copy (image/proof has no sandboxed form yet; print masters are
 *    rendered in app/render_sandbox's helper).
 *  - A session folder (thumbnails + spool) is wiped when its source is
 *    replaced or the session ends, unless an order or preview still reads
 *    its spool (hold_session): then the last release_session wipes it.
 *  - every command that needs a module not built in returns
 *    APP_KIOSK_E_UNAVAILABLE.
 */
#include "app/kiosk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/camera_import.h"
#include "app/decode_pool.h"
#include "app/ingest.h"
#include "app/orders.h"
#include "app/prices.h"
#include "app/session.h"
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/proof.h"
#include "app/staff_pin.h"
#include "drivers/camera.h"
#include "drivers/usb.h"
#include "drivers/volume.h"
#include "image/image.h"
#include "image/probe.h"
#include "image/thumb.h"

#include <vips/vips.h> /* vips_thread_shutdown only */

struct photo {
        size_t ingest_id;  /* app/ingest item id; SIZE_MAX for synthetic photos */
        struct app_kiosk_photo info;
        int64_t want_gen;  /* generation of the request waiting for its thumbnail, 0 none */
        char ext[8];       /* spool file extension ("jpeg") */
        bool copy_queued;  /* waiting for the copier */
};

/* The user pointer of one source's ingest callbacks: a callback whose serial
 * is not the kiosk's current one belongs to a session being wiped. */
struct src_ctx {
        struct app_kiosk *k;
        uint64_t serial;
};

struct job {
        int index;
        int64_t generation;
};

struct preview_job {
        int index;
        bool gamut;
        uint64_t tag;
        int64_t generation; /* preview_generation when asked */
};

/* An order handed to the order thread: everything copied, nothing shared. */
struct order_job {
        bool print_now;
        char sku[32], paper[32];
        size_t n;
        char **files;           /* spool copies, filled on the order thread */
        size_t *ids;            /* app/ingest ids */
        char (*exts)[8];
        struct app_ingest *ingest; /* held (hold_session) until the order is made */
        struct app_order_item_choice *choices;
};

enum source_kind { SOURCE_NONE, SOURCE_FOLDER, SOURCE_SYNTHETIC };

struct app_kiosk {
        struct app_bus *bus;
        struct app_kiosk_config cfg;
        char *data_dir, *prices_path;

        pthread_mutex_t state_lock; /* photos, selections, product, session, source */
        struct photo *photos;
        int n_photos, cap_photos;
        enum source_kind source;
        struct app_session session;
        int last_warning_s;
        struct app_kiosk_product products[APP_KIOSK_MAX_PRODUCTS];
        int n_products;
        char currency[4];
        char sku[32], paper[32];

        /* the photo source: an app/ingest session (walker + thumbnailers) on a
         * folder or volume, in its own session folder (thumbnails, spool) */
        struct app_ingest *ingest;
        struct src_ctx *ctx;
        char *session_dir;
        char *sessions_dir;         /* parent of the session folders */
        uint64_t source_serial;
        uint64_t photos_epoch;      /* app_kiosk_photos_epoch: bumped when the list is emptied */
        bool walk_running;
        int64_t first_found_ms, published_ms; /* 0: none yet */
        int *pos;                   /* ingest id -> photo index, -1 not on the grid yet */
        size_t n_pos;
        struct app_ingest_item scratch; /* request_thumbs' lookups, under state_lock */
        struct app_decode_pool *pool;   /* sandboxed decoding; NULL: in process */
        char volume_id[192];        /* the source's volume id, "" for a folder */
        bool source_gone;           /* its volume was pulled out */
        bool waiting;               /* a volume arrived that is not the source */
        struct app_kiosk_volume waiting_vol;
        uint64_t volume_serial;
        struct drv_volume_watch *volumes;

        /* a camera or phone as the source: app/camera_import feeds the ingest
         * session (opts.fed) from its own thread (state_lock for these) */
        struct app_camera_import *cam_imp;
        struct app_kiosk_camera cam;        /* the open camera's model, port, id */
        struct app_camera_progress cam_p;   /* last reported by the import */
        bool cam_gone;                      /* unplugged mid-way */
        bool cam_waiting;                   /* a camera arrived that is not the source */
        struct app_kiosk_camera cam_waiting_desc;
        int cam_test_delay_ms;              /* PK_KIOSK_TEST_CAMERA_DELAY_MS (tests only) */
        int cam_test_retry_ms;              /* PK_KIOSK_TEST_CAMERA_RETRY_MS (tests only) */
        struct drv_usb_watch *usb;

        /* copier thread: copy-on-select and resume after a pull-out */
        pthread_mutex_t copy_lock;  /* copyq, reinsert_*, copy_busy, copier_stop */
        pthread_cond_t copy_cond;
        pthread_t copier;
        bool copier_started, copier_stop, copy_busy, reinsert_pending;
        atomic_bool copy_abort;     /* polled between copied chunks */
        size_t copyq[APP_KIOSK_COPY_QUEUE];
        int n_copy;
        char reinsert_root[1024], reinsert_id[192];
        int64_t test_pull_after;    /* PK_KIOSK_TEST_PULL_AFTER (tests only) */
        bool locks_ready;           /* the locks below and above were initialised */

        /* an order reading a session's spool keeps that session alive */
        pthread_mutex_t order_files_lock; /* holds, order_ingest, retired* */
        int holds;
        struct app_ingest *order_ingest;
        struct app_ingest *retired;
        char *retired_dir;
        struct src_ctx *retired_ctx;

        pthread_mutex_t job_lock;   /* jobs, job_generation, pin_pending, stopping */
        pthread_cond_t job_cond;
        struct job jobs[APP_KIOSK_MAX_REQUEST];
        int n_jobs, job_next;
        int64_t job_generation;
        char pin_pending[APP_PIN_MAX_LEN + 1];
        bool have_pin_pending;
        bool stopping;
        pthread_t workers[APP_KIOSK_WORKERS];
        int n_workers;
        struct app_staff_pin *pin; /* used only by the worker holding pin_busy */
        bool pin_busy;
        struct preview_job previews[APP_KIOSK_MAX_PREVIEWS];
        int n_previews;
        int64_t preview_generation;

        /* app/orders: opened in app_kiosk_new; afterwards used only by the
         * order thread, except the immutable catalogue and paper manifest
         * (app_orders_paper, app_orders_profiles_dir) read by preview workers. */
        struct app_orders *orders;
        char *queue;
        pthread_t order_thread;
        bool order_started;        /* joinable */
        atomic_bool order_running; /* cleared by the order thread at its end */
        atomic_bool order_stop;    /* app_kiosk_free: stop polling */
        struct order_job order;    /* owned by the order thread while it runs */
};

const char *app_kiosk_strerror(int err)
{
        switch (err) {
        case APP_KIOSK_OK: return "ok";
        case APP_KIOSK_E_INVALID: return "invalid";
        case APP_KIOSK_E_UNAVAILABLE: return "unavailable";
        case APP_KIOSK_E_NOMEM: return "no-memory";
        case APP_KIOSK_E_IO: return "unreadable";
        case APP_KIOSK_E_STATE: return "not-now";
        case APP_KIOSK_E_NOT_FOUND: return "not-found";
        default: return "unknown";
        }
}

int64_t app_kiosk_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool app_kiosk_has(struct app_kiosk *k, enum app_kiosk_feature f)
{
        switch (f) {
        case APP_KIOSK_HAS_THUMBS: return true; /* app/ingest: image/thumb, sandboxed */
        case APP_KIOSK_HAS_PROBE: return true;
        case APP_KIOSK_HAS_PRICES: return k->n_products > 0;
        case APP_KIOSK_HAS_PREVIEW: return k->orders != NULL;
        case APP_KIOSK_HAS_ORDERS: return k->orders != NULL && k->n_products > 0;
        case APP_KIOSK_HAS_PRINTER: return k->orders != NULL && k->queue != NULL;
        default: return false;
        }
}

/* --- prices ----------------------------------------------------------------- */

static void copy_str(char *dst, size_t n, const char *src)
{
        /* Truncation is intended (display names); bounded copy. */
        size_t l = src ? strnlen(src, n - 1) : 0;
        if (l)
                memcpy(dst, src, l);
        dst[l] = '\0';
}

/* Products = catalogue entries the price list prices, in catalogue order, on
 * the papers the price list names for them (bounded by the array sizes). Paper
 * names come from the paper manifest when the order side is open. */
static void paper_name(struct app_kiosk *k, const char *id, char *ret, size_t n)
{
        struct img_paper pa;
        if (k->orders && app_orders_paper(k->orders, id, &pa, NULL) == 0 && pa.label[0]) {
                copy_str(ret, n, pa.label);
                return;
        }
        copy_str(ret, n, id);
        if (ret[0] >= 'a' && ret[0] <= 'z')
                ret[0] = (char)(ret[0] - 'a' + 'A');
}

static int load_products(struct app_kiosk *k, const struct img_catalogue *cat,
                         const struct app_prices *prices)
{
        copy_str(k->currency, sizeof(k->currency), app_prices_currency(prices));
        struct store_price_list pl;
        app_prices_store_list(prices, &pl);
        for (size_t i = 0; i < img_catalogue_count(cat) && k->n_products < APP_KIOSK_MAX_PRODUCTS;
             i++) {
                const struct img_product *pr = img_catalogue_at(cat, i);
                struct app_kiosk_product *d = &k->products[k->n_products];
                memset(d, 0, sizeof(*d));
                copy_str(d->sku, sizeof(d->sku), pr->sku);
                copy_str(d->name, sizeof(d->name), pr->name);
                d->width_mm = (int)(pr->long_in * 25.4 + 0.5);
                d->height_mm = (int)(pr->short_in * 25.4 + 0.5);
                for (size_t j = 0; j < pl.n_prices && d->n_papers < APP_KIOSK_MAX_PAPERS; j++) {
                        if (strcmp(pl.prices[j].sku, pr->sku) != 0)
                                continue;
                        struct app_kiosk_paper *pa = &d->papers[d->n_papers++];
                        copy_str(pa->id, sizeof(pa->id), pl.prices[j].paper);
                        paper_name(k, pa->id, pa->name, sizeof(pa->name));
                        pa->price_minor = pl.prices[j].unit_minor;
                }
                if (d->n_papers > 0)
                        k->n_products++;
        }
        return 0;
}

/* With a data folder the catalogue and prices are the order side's own (so
 * the screen shows exactly what store_order_lock charges); without one (tests,
 * a kiosk with no store) they are read directly. */
static int load_prices(struct app_kiosk *k, const struct app_kiosk_config *cfg, char *errbuf,
                       size_t errlen)
{
        struct app_order_errbuf oe = {{0}};
        if (cfg->data_dir) {
                if (app_orders_open(cfg->data_dir, cfg->config_path, &k->orders, &oe) < 0) {
                        snprintf(errbuf, errlen, "orders: %s", oe.msg);
                        return APP_KIOSK_E_IO;
                }
                const struct app_prices *pr = NULL;
                if ((cfg->prices_path &&
                     app_orders_set_price_list(k->orders, cfg->prices_path, &oe) < 0) ||
                    app_orders_prices(k->orders, &pr, &oe) < 0) {
                        snprintf(errbuf, errlen, "%s", oe.msg);
                        return APP_KIOSK_E_IO;
                }
                const char *q = cfg->printer_queue ? cfg->printer_queue
                                                   : app_orders_default_queue(k->orders);
                if (q && q[0] && !(k->queue = strdup(q)))
                        return APP_KIOSK_E_NOMEM;
                return load_products(k, app_orders_catalogue(k->orders), pr);
        }
        struct img_catalogue *cat = NULL;
        struct app_prices *prices = NULL;
        struct img_errbuf ie = {{0}};
        struct app_prices_error pe = {.line = 0};
        const char *pp = cfg->prices_path ? cfg->prices_path : app_default_prices();
        if (img_catalogue_load(app_default_catalogue(), &cat, &ie) < 0) {
                snprintf(errbuf, errlen, "catalogue: %s", ie.msg);
                return APP_KIOSK_E_IO;
        }
        if (app_prices_load(pp, &prices, &pe) < 0) {
                snprintf(errbuf, errlen, "price list line %d: %s", pe.line, pe.message);
                img_catalogue_free(cat);
                return APP_KIOSK_E_IO;
        }
        int r = load_products(k, cat, prices);
        app_prices_free(prices);
        img_catalogue_free(cat);
        return r;
}

/* --- photo list --------------------------------------------------------------- */

static void photos_clear_locked(struct app_kiosk *k)
{
        k->photos_epoch++; /* every index handed out so far now means nothing */
        free(k->photos);
        k->photos = NULL;
        k->n_photos = k->cap_photos = 0;
        free(k->pos);
        k->pos = NULL;
        k->n_pos = 0;
}

static int photo_append_locked(struct app_kiosk *k, size_t ingest_id, const char *name)
{
        if (k->n_photos >= APP_KIOSK_MAX_PHOTOS)
                return APP_KIOSK_E_STATE;
        if (k->n_photos == k->cap_photos) {
                int cap = k->cap_photos ? k->cap_photos * 2 : 256;
                struct photo *np = realloc(k->photos, (size_t)cap * sizeof(*np));
                if (!np)
                        return APP_KIOSK_E_NOMEM;
                k->photos = np;
                k->cap_photos = cap;
        }
        struct photo *p = &k->photos[k->n_photos++];
        memset(p, 0, sizeof(*p));
        p->ingest_id = ingest_id;
        p->info.crop_x = p->info.crop_y = 0.5;
        p->info.crop_zoom = 1.0;
        /* Display name: printable ASCII only (hostile names), shortened. */
        size_t o = 0;
        for (size_t i = 0; name && name[i] && o + 1 < sizeof(p->info.name); i++) {
                unsigned char c = (unsigned char)name[i];
                p->info.name[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
        p->info.name[o] = '\0';
        return 0;
}

/* Kiosk index of ingest item `id`, or -1 while it is not on the grid yet. */
static int index_of_locked(struct app_kiosk *k, size_t id)
{
        return id < k->n_pos ? k->pos[id] : -1;
}

static void post_walk(struct app_kiosk *k, enum app_msg_type t, int found, int skipped)
{
        struct app_msg m = {.type = t};
        m.u.walk.found = found;
        m.u.walk.skipped = skipped;
        (void)app_bus_post(k->bus, &m);
}

static void post_photo_state(struct app_kiosk *k, int index)
{
        struct app_msg m = {.type = APP_MSG_PHOTO_STATE};
        m.u.thumb.index = index;
        (void)app_bus_post(k->bus, &m);
}

/* Put every photo the walk found that is not on the grid yet at the end of
 * the grid, newest first (app_ingest_sorted: EXIF capture time, else file
 * time). The grid's indices never move (the UI keys its textures and rows by
 * index), so this runs once when the walk ends, or, for a walk going on
 * APP_KIOSK_PUBLISH_HOLD_MS after its first photo, every APP_KIOSK_PUBLISH_EVERY_MS with what was
 * found meanwhile. Walker thread; state_lock held (state_lock -> the
 * session's own lock is the order everywhere). Returns photos added. */
static int publish_locked(struct app_kiosk *k, struct app_ingest *s)
{
        size_t n = app_ingest_count(s);
        if (n == 0 || (int)k->n_pos >= APP_KIOSK_MAX_PHOTOS)
                return 0;
        size_t *ids = malloc(n * sizeof(*ids));
        int *npos = realloc(k->pos, n * sizeof(*npos));
        if (!ids || !npos) {
                free(ids);
                if (npos)
                        k->pos = npos;
                return 0;
        }
        k->pos = npos;
        for (size_t i = k->n_pos; i < n; i++)
                k->pos[i] = -1;
        k->n_pos = n;
        /* A camera's photos arrive newest first (camera_import downloads
         * them in that order): feed order is the grid order, each photo
         * shown as soon as it is on the kiosk. */
        size_t m = n;
        if (k->cam_imp)
                for (size_t i = 0; i < n; i++)
                        ids[i] = i;
        else
                m = app_ingest_sorted(s, ids, n);
        int added = 0;
        for (size_t i = 0; i < m; i++) {
                size_t id = ids[i];
                if (id >= n || k->pos[id] >= 0)
                        continue;
                struct app_ingest_item it;
                if (app_ingest_get(s, id, &it) != 0)
                        continue;
                if (photo_append_locked(k, id, it.name) != 0)
                        break;
                struct photo *p = &k->photos[k->n_photos - 1];
                p->info.width = it.width;
                p->info.height = it.height;
                p->info.unreadable = it.unreadable;
                p->info.downloading = it.preview;
                p->info.reinsert = it.preview && k->cam_gone;
                if (it.sort_key[0] && strlen(it.sort_key) >= 10)
                        memcpy(p->info.date, it.sort_key, 10);
                p->info.date[10] = '\0';
                copy_str(p->ext, sizeof(p->ext), it.format ? it.format : "bin");
                k->pos[id] = k->n_photos - 1;
                added++;
        }
        free(ids);
        k->published_ms = app_kiosk_now_ms();
        return added;
}

/* ingest callbacks (walker and thumbnail threads; never with ingest's lock) */

/* A phone's photo shown by its preview got its full file (app/ingest calls
 * on_item again for the same id): the cell keeps its index and takes the
 * real size and state; the UI is told (APP_MSG_PHOTO_STATE) so it drops the
 * preview's texture and asks for the thumbnail again. state_lock held;
 * returns the index, or -1 when the photo is not on the grid. */
static int camera_photo_arrived_locked(struct app_kiosk *k, const struct app_ingest_item *item)
{
        int i = index_of_locked(k, item->id);
        if (i < 0 || item->preview)
                return -1;
        struct app_kiosk_photo *pi = &k->photos[i].info;
        pi->downloading = false;
        pi->reinsert = false;
        pi->width = item->width;
        pi->height = item->height;
        pi->unreadable = item->unreadable;
        if (strlen(item->sort_key) >= 10)
                memcpy(pi->date, item->sort_key, 10);
        pi->date[10] = '\0';
        copy_str(k->photos[i].ext, sizeof(k->photos[i].ext), item->format ? item->format : "bin");
        return i;
}

static void on_ingest_item(void *user, const struct app_ingest_item *item)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        pthread_mutex_lock(&k->state_lock);
        struct app_ingest *s = c->serial == k->source_serial ? k->ingest : NULL;
        int arrived = s && k->cam_imp ? camera_photo_arrived_locked(k, item) : -1;
        if (arrived >= 0) {
                pthread_mutex_unlock(&k->state_lock);
                post_photo_state(k, arrived);
                return;
        }
        int64_t now = app_kiosk_now_ms();
        /* The hold counts from the first photo found, not from the start of
         * the walk: a cold decode helper can take a second to start on a
         * loaded machine, and a hold spent on that would publish the first
         * photo probed alone, at the top of the grid for good. */
        if (s && !k->first_found_ms)
                k->first_found_ms = now;
        bool due = s && (k->cam_imp || (k->published_ms ? now - k->published_ms >= APP_KIOSK_PUBLISH_EVERY_MS
                                                        : now - k->first_found_ms >= APP_KIOSK_PUBLISH_HOLD_MS));
        int added = due ? publish_locked(k, s) : 0;
        int found = k->n_photos;
        pthread_mutex_unlock(&k->state_lock);
        if (added > 0)
                post_walk(k, APP_MSG_WALK_PROGRESS, found, 0);
}

static void on_ingest_walk_done(void *user, size_t photos, bool vanished)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        (void)photos;
        pthread_mutex_lock(&k->state_lock);
        struct app_ingest *s = c->serial == k->source_serial ? k->ingest : NULL;
        if (!s) { /* a session being wiped */
                pthread_mutex_unlock(&k->state_lock);
                return;
        }
        publish_locked(k, s);
        k->walk_running = false;
        int found = k->n_photos;
        struct app_ingest_stats st;
        app_ingest_get_stats(s, &st);
        pthread_mutex_unlock(&k->state_lock);
        size_t skipped = 0;
        for (int i = 0; i < _APP_SKIP_MAX; i++)
                skipped += st.skipped[i];
        (void)vanished; /* pull-out is announced by the volume watcher */
        post_walk(k, APP_MSG_WALK_DONE, found, (int)(skipped > INT32_MAX ? INT32_MAX : skipped));
}

/* RGB pixels packed (stride = 3 * width) in a new buffer for the bus. */
static uint8_t *pixels_dup(const struct img_pixels *px)
{
        size_t row = (size_t)px->width * 3;
        uint8_t *d = malloc(row * (size_t)px->height);
        for (int y = 0; d && y < px->height; y++)
                memcpy(d + row * (size_t)y, px->data + (size_t)px->stride * (size_t)y, row);
        return d;
}

static void on_ingest_pixels(void *user, const struct app_ingest_item *item,
                             const struct img_pixels *px)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        pthread_mutex_lock(&k->state_lock);
        int i = c->serial == k->source_serial ? index_of_locked(k, item->id) : -1;
        int64_t gen = i >= 0 ? k->photos[i].want_gen : 0;
        if (gen > 0)
                k->photos[i].want_gen = 0; /* served: the file job drops it */
        pthread_mutex_unlock(&k->state_lock);
        if (gen <= 0 || px->width <= 0 || px->height <= 0 || px->stride < px->width * 3)
                return;
        struct app_msg m = {.type = APP_MSG_THUMB_READY, .generation = (uint64_t)gen};
        m.u.thumb.index = i;
        m.u.thumb.pixels = pixels_dup(px);
        if (!m.u.thumb.pixels)
                return;
        m.u.thumb.width = px->width;
        m.u.thumb.height = px->height;
        m.u.thumb.stride = px->width * 3;
        m.u.thumb.src_width = item->width;
        m.u.thumb.src_height = item->height;
        (void)app_bus_post(k->bus, &m);
}

static void on_ingest_thumb(void *user, const struct app_ingest_item *item, int err)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        if (err == 0)
                return; /* pixels went out through on_ingest_pixels */
        pthread_mutex_lock(&k->state_lock);
        int i = c->serial == k->source_serial ? index_of_locked(k, item->id) : -1;
        int64_t gen = i >= 0 ? k->photos[i].want_gen : 0;
        bool newly_unreadable = false;
        if (i >= 0) {
                k->photos[i].want_gen = 0;
                newly_unreadable = item->unreadable && !k->photos[i].info.unreadable;
                k->photos[i].info.unreadable |= item->unreadable;
        }
        pthread_mutex_unlock(&k->state_lock);
        if (gen > 0) {
                struct app_msg m = {.type = APP_MSG_THUMB_FAILED, .generation = (uint64_t)gen};
                m.u.thumb.index = i;
                m.u.thumb.error = err;
                (void)app_bus_post(k->bus, &m);
        }
        if (newly_unreadable)
                post_photo_state(k, i);
}

/* Test hook through app/ingest's copy hook: a wipe aborts a running copy
 * (it would be deleted anyway), and PK_KIOSK_TEST_PULL_AFTER=N (tests only)
 * makes every copy fail like a pulled-out stick after N bytes. */
static int kiosk_copy_hook(void *user, size_t id, uint64_t copied)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        (void)id;
        if (k->copy_abort)
                return 1;
        return k->test_pull_after > 0 && copied >= (uint64_t)k->test_pull_after;
}

/* Stop the copier's work on the session (it checks copy_abort between
 * chunks) and wait until it let go; it takes no new work until
 * copier_resume, so the caller may free the session in between. */
static void copier_release(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->copy_lock);
        k->copy_abort = true;
        k->n_copy = 0;
        k->reinsert_pending = false;
        while (k->copy_busy)
                pthread_cond_wait(&k->copy_cond, &k->copy_lock);
        pthread_mutex_unlock(&k->copy_lock);
}

static void copier_resume(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->copy_lock);
        k->copy_abort = false;
        pthread_mutex_unlock(&k->copy_lock);
}

/* Delete every entry of a flat folder we made ourselves (a camera's
 * downloads: our own names, regular files, maybe a driver's temp file), then
 * the folder. Bounded: the folder holds at most one file per listed photo
 * plus one temp file. */
static void wipe_flat_dir(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        struct dirent *de;
        for (int n = 0; n < 2 * APP_KIOSK_MAX_PHOTOS + 16 && (de = readdir(d)); n++) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                (void)unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
        rmdir(dir);
}

/* End the ingest session: thumbnails and the session spool are deleted
 * (nothing in them belongs to an order: app/orders keeps its own durable
 * copy in the data spool), then the session folder. While an order is still
 * reading this session's spool, the order thread does it when done. */
static void ingest_end(struct app_kiosk *k, struct app_ingest *s, char *dir, struct src_ctx *ctx)
{
        if (!s && !dir) {
                free(ctx);
                return;
        }
        struct drv_errbuf e;
        if (app_ingest_session_end(s, NULL, 0, &e) != 0 && getenv("PK_KIOSK_DEBUG"))
                fprintf(stderr, "printkiosk: session wipe: %s\n", e.msg);
        if (dir) {
                char sub[1100];
                snprintf(sub, sizeof(sub), "%s/camera", dir);
                wipe_flat_dir(sub);
                snprintf(sub, sizeof(sub), "%s/thumbs", dir);
                rmdir(sub);
                snprintf(sub, sizeof(sub), "%s/spool", dir);
                rmdir(sub);
                if (rmdir(dir) != 0 && getenv("PK_KIOSK_DEBUG"))
                        fprintf(stderr, "printkiosk: session folder not empty after wipe\n");
        }
        free(dir);
        free(ctx); /* after the session's threads were joined */
        (void)k;
}

/* Stop the walk and thumbnails, wipe the session's files, forget queued jobs;
 * the caller then changes the list. */
static void source_stop(struct app_kiosk *k)
{
        copier_release(k);
        /* The camera import feeds the session: it stops first (its callbacks
         * take state_lock, so it is joined without it). */
        pthread_mutex_lock(&k->state_lock);
        struct app_camera_import *imp = k->cam_imp;
        k->cam_imp = NULL;
        k->source_serial++; /* its callbacks now do nothing */
        pthread_mutex_unlock(&k->state_lock);
        app_camera_import_free(imp);
        pthread_mutex_lock(&k->state_lock);
        struct app_ingest *s = k->ingest;
        char *dir = k->session_dir;
        struct src_ctx *ctx = k->ctx;
        k->ingest = NULL;
        k->session_dir = NULL;
        k->ctx = NULL;
        k->source_serial++; /* callbacks of the old session now do nothing */
        pthread_mutex_unlock(&k->state_lock);
        /* app_ingest_session_end joins the walker and thumbnailers; their
         * callbacks take state_lock, so it must not be held here. */
        pthread_mutex_lock(&k->order_files_lock);
        if (s && k->holds > 0 && k->order_ingest == s) {
                k->retired = s; /* the order thread ends it */
                k->retired_dir = dir;
                k->retired_ctx = ctx;
                s = NULL;
                dir = NULL;
                ctx = NULL;
        }
        pthread_mutex_unlock(&k->order_files_lock);
        ingest_end(k, s, dir, ctx);
        copier_resume(k);
        pthread_mutex_lock(&k->job_lock);
        k->job_generation++;
        k->n_jobs = k->job_next = 0;
        k->preview_generation++;
        k->n_previews = 0;
        pthread_mutex_unlock(&k->job_lock);
        pthread_mutex_lock(&k->state_lock);
        photos_clear_locked(k);
        k->source = SOURCE_NONE;
        k->walk_running = false;
        k->published_ms = 0;
        k->first_found_ms = 0;
        k->source_gone = false;
        k->volume_id[0] = '\0';
        k->cam_gone = false;
        memset(&k->cam, 0, sizeof(k->cam));
        memset(&k->cam_p, 0, sizeof(k->cam_p));
        pthread_mutex_unlock(&k->state_lock);
}

/* A fresh private folder for one source's thumbnails and spool:
 * <sessions>/s-XXXXXX, 0700. */
static char *make_session_dir(struct app_kiosk *k)
{
        const char *base = k->sessions_dir;
        if (mkdir(base, 0700) != 0 && errno != EEXIST)
                return NULL;
        char *d = NULL;
        if (asprintf(&d, "%s/s-XXXXXX", base) < 0)
                return NULL;
        if (!mkdtemp(d)) {
                free(d);
                return NULL;
        }
        return d;
}

static void on_camera_progress(void *user, const struct app_camera_progress *p);

/* A folder or volume (walked), or a camera (`cam`: a fed session whose root
 * is the session's own camera/ folder, filled by app/camera_import). */
static int open_source(struct app_kiosk *k, const char *path, const char *volume_id,
                       const struct app_kiosk_camera *cam)
{
        if ((!path || !*path) && !cam)
                return APP_KIOSK_E_INVALID;
        if (!app_kiosk_session_active(k))
                return APP_KIOSK_E_STATE;
        source_stop(k);
        char *dir = make_session_dir(k);
        struct src_ctx *ctx = calloc(1, sizeof(*ctx));
        if (!dir || !ctx) {
                free(ctx);
                if (dir)
                        rmdir(dir);
                free(dir);
                return APP_KIOSK_E_IO;
        }
        char thumbs[1100], spool[1100], camdir[1100];
        snprintf(thumbs, sizeof(thumbs), "%s/thumbs", dir);
        snprintf(spool, sizeof(spool), "%s/spool", dir);
        snprintf(camdir, sizeof(camdir), "%s/camera", dir);
        if (cam && mkdir(camdir, 0700) != 0) {
                ingest_end(k, NULL, dir, ctx);
                return APP_KIOSK_E_IO;
        }
        struct app_ingest_opts o = {
                .root = cam ? camdir : path,
                .fed = cam != NULL,
                .volume_id = volume_id,
                .thumbs_dir = thumbs,
                .spool_dir = spool,
                .max_files = APP_KIOSK_MAX_PHOTOS,
                .jobs = APP_KIOSK_WORKERS,
                .thumb_size = k->cfg.thumb_size,
                .pool = k->pool,
                .background_after_window = true,
                /* A camera's feed is its download: never hold it up. */
                .walk_yields_to_window = cam == NULL,
                .on_item = on_ingest_item,
                .on_thumb = on_ingest_thumb,
                .on_pixels = on_ingest_pixels,
                .on_walk_done = on_ingest_walk_done,
                .copy_hook = kiosk_copy_hook,
                .user = ctx,
        };
        pthread_mutex_lock(&k->state_lock);
        ctx->k = k;
        ctx->serial = ++k->source_serial;
        k->source = SOURCE_FOLDER;
        k->walk_running = true;
        k->first_found_ms = 0;
        k->published_ms = 0;
        k->session_dir = dir;
        copy_str(k->volume_id, sizeof(k->volume_id), volume_id);
        /* Callbacks may run before app_ingest_start returns: they find the
         * session through k->ingest, so it is set under the same lock they
         * take, before any of them can get it. */
        struct drv_errbuf e;
        struct app_ingest *s = NULL;
        int r = app_ingest_start(&o, &s, &e);
        struct app_camera_import *imp = NULL;
        if (r == 0 && cam) {
                struct app_camera_import_opts co = {
                        .model = cam->model,
                        .port = cam->port,
                        .dir = camdir,
                        .ingest = s,
                        .test_delay_ms = k->cam_test_delay_ms,
                        .retry_ms = k->cam_test_retry_ms,
                        .on_progress = on_camera_progress,
                        .user = ctx,
                };
                k->cam = *cam;
                r = app_camera_import_start(&co, &imp, &e);
                if (r != 0) {
                        app_ingest_free(s);
                        s = NULL;
                }
        }
        k->cam_imp = imp;
        k->ingest = r == 0 ? s : NULL;
        k->ctx = r == 0 ? ctx : NULL;
        if (r != 0) {
                k->walk_running = false;
                k->source = SOURCE_NONE;
                k->session_dir = NULL;
        }
        pthread_mutex_unlock(&k->state_lock);
        if (r != 0) {
                ingest_end(k, NULL, dir, ctx);
                return r == DRV_E_NOT_FOUND || r == DRV_E_IO ? APP_KIOSK_E_IO : APP_KIOSK_E_INVALID;
        }
        return 0;
}

int app_kiosk_open_folder(struct app_kiosk *k, const char *path)
{
        return open_source(k, path, NULL, NULL);
}

int app_kiosk_open_volume(struct app_kiosk *k, const char *mount_point, const char *volume_id)
{
        if (!volume_id || !*volume_id)
                return APP_KIOSK_E_INVALID;
        return open_source(k, mount_point, volume_id, NULL);
}

int app_kiosk_open_synthetic(struct app_kiosk *k, int count)
{
        if (count < 0 || count > APP_KIOSK_MAX_PHOTOS)
                return APP_KIOSK_E_INVALID;
        if (!app_kiosk_session_active(k))
                return APP_KIOSK_E_STATE;
        source_stop(k);
        pthread_mutex_lock(&k->state_lock);
        k->source = SOURCE_SYNTHETIC;
        int r = 0;
        for (int i = 0; i < count && r == 0; i++) {
                char name[32];
                snprintf(name, sizeof(name), "synthetic-%05d.jpg", i);
                r = photo_append_locked(k, SIZE_MAX, name);
                if (r == 0) {
                        struct app_kiosk_photo *pi = &k->photos[i].info;
                        /* Every 7th is a small photo, to show the low-res badge. */
                        pi->width = i % 7 == 3 ? 640 : 4000;
                        pi->height = i % 7 == 3 ? 480 : 3000;
                        snprintf(pi->date, sizeof(pi->date), "2024-%02d-%02d", 1 + (i / 600) % 12,
                                 1 + (i / 24) % 28);
                }
        }
        int n = k->n_photos;
        pthread_mutex_unlock(&k->state_lock);
        post_walk(k, APP_MSG_WALK_DONE, n, 0);
        return r;
}

uint64_t app_kiosk_photos_epoch(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        uint64_t e = k->photos_epoch;
        pthread_mutex_unlock(&k->state_lock);
        return e;
}

int app_kiosk_photo_count(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        int n = k->n_photos;
        pthread_mutex_unlock(&k->state_lock);
        return n;
}

bool app_kiosk_walk_running(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        bool r = k->walk_running;
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

int app_kiosk_photo_get(struct app_kiosk *k, int index, struct app_kiosk_photo *ret)
{
        int r = APP_KIOSK_E_NOT_FOUND;
        pthread_mutex_lock(&k->state_lock);
        if (index >= 0 && index < k->n_photos) {
                *ret = k->photos[index].info;
                r = 0;
        }
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

/* --- thumbnail workers -------------------------------------------------------- */

static void synthetic_pixels(int index, int size, struct app_msg *m)
{
        int w = size, h = size * 3 / 4;
        uint8_t *px = malloc((size_t)w * h * 3);
        if (!px)
                return;
        unsigned hue = (unsigned)index * 2654435761u;
        for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                        uint8_t *p = px + ((size_t)y * w + x) * 3;
                        p[0] = (uint8_t)((hue >> 24) ^ (x * 255 / w) / 2);
                        p[1] = (uint8_t)((hue >> 16) + y * 128 / h);
                        p[2] = (uint8_t)((hue >> 8) ^ ((x + y) & 0x20 ? 0x40 : 0));
                }
        m->u.thumb.width = w;
        m->u.thumb.height = h;
        m->u.thumb.stride = w * 3;
        m->u.thumb.pixels = px;
}

/* A job is either a synthetic photo or a thumbnail app/ingest has already
 * written: our own small JPEG (made from pixels the sandbox validated), read
 * back here in this process. Customer files are never decoded here. */
static void do_thumb(struct app_kiosk *k, struct job j)
{
        struct app_msg m = {.type = APP_MSG_THUMB_FAILED, .generation = (uint64_t)j.generation};
        m.u.thumb.index = j.index;
        enum source_kind src;
        char thumb[512] = "";
        pthread_mutex_lock(&k->state_lock);
        src = k->source;
        bool ok = j.index >= 0 && j.index < k->n_photos;
        struct app_ingest *s = k->ingest;
        if (ok) {
                struct photo *p = &k->photos[j.index];
                m.u.thumb.src_width = p->info.width;
                m.u.thumb.src_height = p->info.height;
                if (src == SOURCE_FOLDER) {
                        /* Served meanwhile by on_ingest_pixels, or asked again. */
                        ok = p->want_gen == j.generation;
                        struct app_ingest_item it;
                        if (ok && s && app_ingest_get(s, p->ingest_id, &it) == 0)
                                copy_str(thumb, sizeof(thumb), it.thumb);
                        if (ok)
                                p->want_gen = 0;
                }
        }
        pthread_mutex_unlock(&k->state_lock);
        if (!ok)
                return;
        if (src == SOURCE_SYNTHETIC) {
                synthetic_pixels(j.index, k->cfg.thumb_size, &m);
                if (m.u.thumb.pixels)
                        m.type = APP_MSG_THUMB_READY;
        } else if (thumb[0]) {
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                spec.size = k->cfg.thumb_size;
                struct img_pixels px = {0};
                int r = img_thumb_to_pixels(thumb, &spec, &px, NULL, NULL);
                if (r == 0) {
                        m.type = APP_MSG_THUMB_READY;
                        m.u.thumb.width = px.width;
                        m.u.thumb.height = px.height;
                        m.u.thumb.stride = px.stride;
                        m.u.thumb.pixels = px.data; /* moved into the message */
                } else {
                        m.u.thumb.error = r;
                }
        } else {
                m.u.thumb.error = APP_KIOSK_E_IO;
        }
        (void)app_bus_post(k->bus, &m);
}

static void do_pin(struct app_kiosk *k, const char *pin)
{
        struct app_msg m = {.type = APP_MSG_STAFF_PIN};
        int64_t wait = 0;
        m.u.pin.result = app_staff_pin_check(k->pin, pin, app_kiosk_now_ms(), &wait);
        m.u.pin.wait_ms = wait;
        (void)app_bus_post(k->bus, &m);
}

static void do_preview(struct app_kiosk *k, struct preview_job j);

static void *worker_main(void *arg)
{
        struct app_kiosk *k = arg;
        pthread_mutex_lock(&k->job_lock);
        while (!k->stopping) {
                if (k->have_pin_pending && !k->pin_busy) {
                        char pin[APP_PIN_MAX_LEN + 1];
                        memcpy(pin, k->pin_pending, sizeof(pin));
                        explicit_bzero(k->pin_pending, sizeof(k->pin_pending));
                        k->have_pin_pending = false;
                        k->pin_busy = true;
                        pthread_mutex_unlock(&k->job_lock);
                        do_pin(k, pin);
                        explicit_bzero(pin, sizeof(pin));
                        pthread_mutex_lock(&k->job_lock);
                        k->pin_busy = false;
                        continue;
                }
                if (k->n_previews > 0) {
                        struct preview_job pj = k->previews[0];
                        memmove(&k->previews[0], &k->previews[1],
                                (size_t)(k->n_previews - 1) * sizeof(pj));
                        k->n_previews--;
                        if (pj.generation != k->preview_generation)
                                continue;
                        pthread_mutex_unlock(&k->job_lock);
                        do_preview(k, pj);
                        pthread_mutex_lock(&k->job_lock);
                        continue;
                }
                if (k->job_next < k->n_jobs) {
                        struct job j = k->jobs[k->job_next++];
                        if (j.generation != k->job_generation)
                                continue; /* stale: dropped without decoding */
                        pthread_mutex_unlock(&k->job_lock);
                        do_thumb(k, j);
                        pthread_mutex_lock(&k->job_lock);
                        continue;
                }
                pthread_cond_wait(&k->job_cond, &k->job_lock);
        }
        pthread_mutex_unlock(&k->job_lock);
        vips_thread_shutdown(); /* libvips' per-thread buffers (our own thumbnails, proofs) */
        return NULL;
}

/* The visible cells first: for a folder, cells whose thumbnail app/ingest
 * already wrote are read back by our workers; the others become ingest's
 * priority window (a new generation there too), and their pixels are posted
 * by on_ingest_pixels as each is made. A cell asked again before its answer
 * keeps one answer (want_gen is the latest request; cleared when served). */
int64_t app_kiosk_request_thumbs(struct app_kiosk *k, const int *indices, int n)
{
        if (n < 0 || (n > 0 && !indices))
                return APP_KIOSK_E_INVALID;
        if (n > APP_KIOSK_MAX_REQUEST)
                n = APP_KIOSK_MAX_REQUEST;
        pthread_mutex_lock(&k->job_lock);
        int64_t gen = ++k->job_generation;
        k->n_jobs = k->job_next = 0;
        pthread_mutex_unlock(&k->job_lock);

        struct job jobs[APP_KIOSK_MAX_REQUEST];
        int n_jobs = 0;
        size_t prio[APP_KIOSK_MAX_REQUEST];
        size_t n_prio = 0;
        int failed[APP_KIOSK_MAX_REQUEST], n_failed = 0;
        pthread_mutex_lock(&k->state_lock);
        struct app_ingest *s = k->source == SOURCE_FOLDER ? k->ingest : NULL;
        for (int i = 0; i < n; i++) {
                int idx = indices[i];
                if (idx < 0 || idx >= k->n_photos)
                        continue;
                if (k->source != SOURCE_FOLDER) {
                        jobs[n_jobs++] = (struct job){.index = idx, .generation = gen};
                        continue;
                }
                struct photo *p = &k->photos[idx];
                p->want_gen = gen;
                struct app_ingest_item *it = &k->scratch;
                if (!s || app_ingest_get(s, p->ingest_id, it) != 0 || it->thumb_error < 0) {
                        p->want_gen = 0;
                        failed[n_failed++] = idx;
                } else if (it->thumb[0]) {
                        jobs[n_jobs++] = (struct job){.index = idx, .generation = gen};
                } else {
                        prio[n_prio++] = p->ingest_id;
                }
        }
        if (s && n_prio > 0)
                app_ingest_prioritise(s, prio, n_prio);
        pthread_mutex_unlock(&k->state_lock);

        pthread_mutex_lock(&k->job_lock);
        if (k->job_generation == gen) {
                memcpy(k->jobs, jobs, (size_t)n_jobs * sizeof(jobs[0]));
                k->n_jobs = n_jobs;
                k->job_next = 0;
                pthread_cond_broadcast(&k->job_cond);
        }
        pthread_mutex_unlock(&k->job_lock);
        for (int i = 0; i < n_failed; i++) {
                struct app_msg m = {.type = APP_MSG_THUMB_FAILED, .generation = (uint64_t)gen};
                m.u.thumb.index = failed[i];
                m.u.thumb.error = APP_KIOSK_E_IO;
                (void)app_bus_post(k->bus, &m);
        }
        return gen;
}

/* --- copy-on-select, pull-out and resume ------------------------------------- */

/* Queue photo `index` for the copier (state_lock held): selected photos are
 * copied into the session spool in the background, so the order never
 * waits for the stick and a pull-out after selecting costs nothing. Bounded:
 * at most APP_KIOSK_COPY_QUEUE waiting; beyond that the order thread copies
 * what is left when the order is placed. */
static void copy_enqueue_locked(struct app_kiosk *k, int index)
{
        struct photo *p = &k->photos[index];
        if (k->source != SOURCE_FOLDER || p->info.copied || p->copy_queued || p->info.unreadable ||
            p->info.downloading)
                return;
        pthread_mutex_lock(&k->copy_lock);
        if (k->n_copy < APP_KIOSK_COPY_QUEUE) {
                k->copyq[k->n_copy++] = p->ingest_id;
                p->copy_queued = true;
                pthread_cond_broadcast(&k->copy_cond);
        }
        pthread_mutex_unlock(&k->copy_lock);
}

/* After a copy or a resume: the photo's copied / reinsert state as ingest
 * sees it; posts APP_MSG_PHOTO_STATE when it changed. */
static void refresh_copy_state(struct app_kiosk *k, struct app_ingest *s, size_t id)
{
        struct app_ingest_item *it = malloc(sizeof(*it));
        if (!it || app_ingest_get(s, id, it) != 0) {
                free(it);
                return;
        }
        pthread_mutex_lock(&k->state_lock);
        int i = k->ingest == s ? index_of_locked(k, id) : -1;
        bool changed = false;
        if (i >= 0) {
                struct photo *p = &k->photos[i];
                bool copied = it->state == APP_ITEM_COPIED;
                bool reinsert = it->state == APP_ITEM_REINSERT;
                changed = copied != p->info.copied || reinsert != p->info.reinsert;
                p->info.copied = copied;
                p->info.reinsert = reinsert;
                p->copy_queued = false;
        }
        pthread_mutex_unlock(&k->state_lock);
        free(it);
        if (changed)
                post_photo_state(k, i);
}

static void *copier_main(void *arg)
{
        struct app_kiosk *k = arg;
        pthread_mutex_lock(&k->copy_lock);
        while (!k->copier_stop) {
                bool reinsert = k->reinsert_pending && !k->copy_abort;
                bool copy = k->n_copy > 0 && !k->copy_abort && !reinsert;
                if (!reinsert && !copy) {
                        pthread_cond_wait(&k->copy_cond, &k->copy_lock);
                        continue;
                }
                size_t id = 0;
                char root[sizeof(k->reinsert_root)], vid[sizeof(k->volume_id)];
                if (reinsert) {
                        memcpy(root, k->reinsert_root, sizeof(root));
                        memcpy(vid, k->reinsert_id, sizeof(vid));
                        k->reinsert_pending = false;
                } else {
                        id = k->copyq[0];
                        memmove(&k->copyq[0], &k->copyq[1], (size_t)(k->n_copy - 1) * sizeof(id));
                        k->n_copy--;
                }
                /* copy_abort was false: source_stop has not passed its wait,
                 * so the session stays alive while copy_busy is set. */
                k->copy_busy = true;
                pthread_mutex_unlock(&k->copy_lock);
                pthread_mutex_lock(&k->state_lock);
                struct app_ingest *s = k->ingest;
                bool gone = k->source_gone;
                pthread_mutex_unlock(&k->state_lock);
                struct drv_errbuf e;
                if (s && reinsert) {
                        /* ingest re-opens the root and copies the photos whose
                         * copy the pull-out broke; then every selected photo
                         * still missing (selected while the stick was out). */
                        int r = app_ingest_reinsert(s, root, vid, &e);
                        if (r != 0 && getenv("PK_KIOSK_DEBUG"))
                                fprintf(stderr, "printkiosk: resume: %s\n", e.msg);
                        for (int i = 0; r == 0 && !k->copy_abort; i++) {
                                pthread_mutex_lock(&k->state_lock);
                                bool more = k->ingest == s && i < k->n_photos;
                                bool want = more && k->photos[i].info.quantity > 0 &&
                                            !k->photos[i].info.copied;
                                size_t pid = more ? k->photos[i].ingest_id : 0;
                                pthread_mutex_unlock(&k->state_lock);
                                if (!more)
                                        break;
                                char sha[65];
                                if (want)
                                        (void)app_ingest_select(s, pid, sha, &e);
                                refresh_copy_state(k, s, pid);
                        }
                } else if (s && !gone) {
                        char sha[65];
                        (void)app_ingest_select(s, id, sha, &e);
                        refresh_copy_state(k, s, id);
                } else if (s) {
                        /* The stick is out: wait for it (reinsert re-copies). */
                        pthread_mutex_lock(&k->state_lock);
                        int i = k->ingest == s ? index_of_locked(k, id) : -1;
                        bool changed = i >= 0 && !k->photos[i].info.reinsert && !k->photos[i].info.copied;
                        if (i >= 0) {
                                k->photos[i].copy_queued = false;
                                if (!k->photos[i].info.copied)
                                        k->photos[i].info.reinsert = true;
                        }
                        pthread_mutex_unlock(&k->state_lock);
                        if (changed)
                                post_photo_state(k, i);
                }
                pthread_mutex_lock(&k->copy_lock);
                k->copy_busy = false;
                pthread_cond_broadcast(&k->copy_cond);
        }
        pthread_mutex_unlock(&k->copy_lock);
        return NULL;
}

/* drivers/volume watcher thread: a removable volume came or went. */
static void on_volume(void *user, enum drv_volume_event ev, const struct drv_volume_info *v)
{
        struct app_kiosk *k = user;
        enum app_msg_type t = APP_MSG_NONE;
        int changed[64], n_changed = 0;
        pthread_mutex_lock(&k->state_lock);
        bool ours = k->ingest && k->volume_id[0] && strcmp(v->id, k->volume_id) == 0;
        if (ev == DRV_VOLUME_ADDED) {
                if (ours) {
                        /* The same stick is back (maybe at a new mount point):
                         * the copier re-opens it and copies what was waiting. */
                        k->source_gone = false;
                        pthread_mutex_lock(&k->copy_lock);
                        copy_str(k->reinsert_root, sizeof(k->reinsert_root), v->mount_point);
                        copy_str(k->reinsert_id, sizeof(k->reinsert_id), v->id);
                        k->reinsert_pending = true;
                        pthread_cond_broadcast(&k->copy_cond);
                        pthread_mutex_unlock(&k->copy_lock);
                } else {
                        k->waiting = true;
                        copy_str(k->waiting_vol.label, sizeof(k->waiting_vol.label), v->label);
                        copy_str(k->waiting_vol.id, sizeof(k->waiting_vol.id), v->id);
                        copy_str(k->waiting_vol.mount_point, sizeof(k->waiting_vol.mount_point),
                                 v->mount_point);
                }
                t = APP_MSG_SOURCE_ARRIVED;
        } else {
                if (k->waiting && strcmp(v->id, k->waiting_vol.id) == 0)
                        k->waiting = false;
                if (ours) {
                        k->source_gone = true;
                        /* Selected photos not in the spool yet wait for the stick. */
                        for (int i = 0; i < k->n_photos; i++) {
                                struct photo *p = &k->photos[i];
                                if (p->info.quantity > 0 && !p->info.copied && !p->info.reinsert) {
                                        p->info.reinsert = true;
                                        if (n_changed < 64)
                                                changed[n_changed++] = i;
                                }
                        }
                        t = APP_MSG_SOURCE_REMOVED;
                }
        }
        uint64_t serial = ++k->volume_serial;
        pthread_mutex_unlock(&k->state_lock);
        if (t != APP_MSG_NONE) {
                struct app_msg m = {.type = t, .generation = serial};
                (void)app_bus_post(k->bus, &m);
        }
        for (int i = 0; i < n_changed; i++)
                post_photo_state(k, changed[i]);
}

bool app_kiosk_volume_waiting(struct app_kiosk *k, struct app_kiosk_volume *ret)
{
        pthread_mutex_lock(&k->state_lock);
        bool w = k->waiting;
        if (w && ret)
                *ret = k->waiting_vol;
        pthread_mutex_unlock(&k->state_lock);
        return w;
}

int app_kiosk_open_waiting_volume(struct app_kiosk *k)
{
        struct app_kiosk_volume v;
        pthread_mutex_lock(&k->state_lock);
        bool w = k->waiting;
        if (w)
                v = k->waiting_vol;
        k->waiting = false;
        pthread_mutex_unlock(&k->state_lock);
        if (!w)
                return APP_KIOSK_E_STATE;
        return app_kiosk_open_volume(k, v.mount_point, v.id);
}

enum app_kiosk_source_state app_kiosk_source_state(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        enum app_kiosk_source_state st = k->source == SOURCE_NONE ? APP_KIOSK_SOURCE_NONE
                                         : k->source_gone || k->cam_gone ? APP_KIOSK_SOURCE_GONE
                                                                 : APP_KIOSK_SOURCE_OPEN;
        pthread_mutex_unlock(&k->state_lock);
        return st;
}

/* --- cameras and phones ----------------------------------------------------------- */

/* app/camera_import's thread: progress and state changes of the open camera.
 * Every report wakes the UI (APP_MSG_WALK_PROGRESS: "34 of 120"); a change
 * of state also says what the customer can do about it. */
static void on_camera_progress(void *user, const struct app_camera_progress *p)
{
        const struct src_ctx *c = user;
        struct app_kiosk *k = c->k;
        pthread_mutex_lock(&k->state_lock);
        if (c->serial != k->source_serial || !k->cam_imp) {
                pthread_mutex_unlock(&k->state_lock);
                return;
        }
        enum app_camera_state was = k->cam_p.state;
        bool changed = was != p->state || (k->cam_p.done == 0 && k->cam_p.total == 0 && p->total > 0);
        k->cam_p = *p;
        k->cam_gone = p->state == APP_CAMERA_GONE;
        if (p->state == APP_CAMERA_FAILED)
                k->walk_running = false;
        /* Photos shown by their previews: "reconnect to continue" while the
         * phone is away (they stay on the grid at their positions: the
         * customer saw them, and the same phone back downloads them). */
        int marked[APP_CAMERA_PREVIEWS];
        int n_marked = 0;
        if (changed && (p->state == APP_CAMERA_GONE || was == APP_CAMERA_GONE)) {
                for (int i = 0; i < k->n_photos && n_marked < APP_CAMERA_PREVIEWS; i++) {
                        struct app_kiosk_photo *pi = &k->photos[i].info;
                        if (!pi->downloading || pi->reinsert == k->cam_gone)
                                continue;
                        pi->reinsert = k->cam_gone;
                        marked[n_marked++] = i;
                }
        }
        int found = k->n_photos;
        uint64_t serial = ++k->volume_serial;
        pthread_mutex_unlock(&k->state_lock);
        struct app_msg m = {.type = APP_MSG_WALK_PROGRESS};
        m.u.walk.found = found;
        if (changed && p->state == APP_CAMERA_GONE)
                m = (struct app_msg){.type = APP_MSG_SOURCE_REMOVED, .generation = serial};
        (void)app_bus_post(k->bus, &m);
        for (int i = 0; i < n_marked; i++)
                post_photo_state(k, marked[i]);
        /* LOCKED is no error: the source screen shows what to do on the
         * phone (app_kiosk_camera_status) while the import retries. */
        if (changed && p->state == APP_CAMERA_FAILED) {
                (void)app_bus_post_error(k->bus, p->error ? p->error : DRV_E_IO, "phone-unreadable");
                post_walk(k, APP_MSG_WALK_DONE, found, 0);
        }
}

int app_kiosk_open_camera(struct app_kiosk *k, const char *model, const char *port, const char *id)
{
        if (!model || !*model || !port || !*port || !id || !*id)
                return APP_KIOSK_E_INVALID;
        struct app_kiosk_camera cam;
        copy_str(cam.model, sizeof(cam.model), model);
        copy_str(cam.port, sizeof(cam.port), port);
        copy_str(cam.id, sizeof(cam.id), id);
        return open_source(k, NULL, NULL, &cam);
}

int app_kiosk_camera_arrived(struct app_kiosk *k, const char *model, const char *port, const char *id)
{
        if (!model || !*model || !port || !*port || !id || !*id)
                return APP_KIOSK_E_INVALID;
        pthread_mutex_lock(&k->state_lock);
        if (k->cam_imp && strcmp(k->cam.id, id) == 0) {
                /* The same device back (maybe at a new USB address): resume. */
                copy_str(k->cam.model, sizeof(k->cam.model), model);
                copy_str(k->cam.port, sizeof(k->cam.port), port);
                app_camera_import_reconnect(k->cam_imp, model, port);
        } else {
                k->cam_waiting = true;
                copy_str(k->cam_waiting_desc.model, sizeof(k->cam_waiting_desc.model), model);
                copy_str(k->cam_waiting_desc.port, sizeof(k->cam_waiting_desc.port), port);
                copy_str(k->cam_waiting_desc.id, sizeof(k->cam_waiting_desc.id), id);
        }
        uint64_t serial = ++k->volume_serial;
        pthread_mutex_unlock(&k->state_lock);
        struct app_msg m = {.type = APP_MSG_SOURCE_ARRIVED, .generation = serial};
        (void)app_bus_post(k->bus, &m);
        return 0;
}

void app_kiosk_camera_left(struct app_kiosk *k, const char *id)
{
        if (!id)
                return;
        pthread_mutex_lock(&k->state_lock);
        if (k->cam_waiting && strcmp(k->cam_waiting_desc.id, id) == 0)
                k->cam_waiting = false;
        if (k->cam_imp && strcmp(k->cam.id, id) == 0)
                app_camera_import_device_left(k->cam_imp); /* it reports GONE */
        pthread_mutex_unlock(&k->state_lock);
}

bool app_kiosk_camera_waiting(struct app_kiosk *k, struct app_kiosk_camera *ret)
{
        pthread_mutex_lock(&k->state_lock);
        bool w = k->cam_waiting;
        if (w && ret)
                *ret = k->cam_waiting_desc;
        pthread_mutex_unlock(&k->state_lock);
        return w;
}

int app_kiosk_open_waiting_camera(struct app_kiosk *k)
{
        struct app_kiosk_camera c;
        pthread_mutex_lock(&k->state_lock);
        bool w = k->cam_waiting;
        if (w)
                c = k->cam_waiting_desc;
        k->cam_waiting = false;
        pthread_mutex_unlock(&k->state_lock);
        if (!w)
                return APP_KIOSK_E_STATE;
        return app_kiosk_open_camera(k, c.model, c.port, c.id);
}

void app_kiosk_camera_status(struct app_kiosk *k, struct app_kiosk_camera_status *ret)
{
        static const enum app_kiosk_camera_state map[_APP_CAMERA_STATE_MAX] = {
                [APP_CAMERA_CONNECTING] = APP_KIOSK_CAMERA_CONNECTING,
                [APP_CAMERA_LOCKED] = APP_KIOSK_CAMERA_LOCKED,
                [APP_CAMERA_READING] = APP_KIOSK_CAMERA_READING,
                [APP_CAMERA_DONE] = APP_KIOSK_CAMERA_DONE,
                [APP_CAMERA_GONE] = APP_KIOSK_CAMERA_GONE,
                [APP_CAMERA_FAILED] = APP_KIOSK_CAMERA_FAILED,
        };
        memset(ret, 0, sizeof(*ret));
        pthread_mutex_lock(&k->state_lock);
        if (k->cam_imp) {
                ret->state = (unsigned)k->cam_p.state < _APP_CAMERA_STATE_MAX ? map[k->cam_p.state]
                                                                            : APP_KIOSK_CAMERA_FAILED;
                ret->done = (int)k->cam_p.done;
                ret->total = (int)k->cam_p.total;
                ret->failed = (int)k->cam_p.failed;
        }
        pthread_mutex_unlock(&k->state_lock);
}

/* drivers/usb watcher thread: a still-image (PTP) or MTP device came or
 * went. libgphoto2 names a USB camera "usb:BBB,AAA" (bus, address); its
 * model comes from autodetect. The id survives a re-plug: vendor, product
 * and serial (the USB path when the device has no serial). */
static void on_usb(void *user, const struct drv_usb_event *ev)
{
        struct app_kiosk *k = user;
        if (ev->cls != DRV_USB_STILL_IMAGE && ev->cls != DRV_USB_MTP)
                return;
        char id[192];
        snprintf(id, sizeof(id), "usb:%04x:%04x:%s", ev->vid, ev->pid,
                 ev->serial[0] ? ev->serial : ev->path);
        if (ev->kind == DRV_USB_LEFT) {
                app_kiosk_camera_left(k, id);
                return;
        }
        char want[32];
        snprintf(want, sizeof(want), "usb:%03u,%03u", ev->bus, ev->address);
        struct drv_camera_desc d[16];
        size_t n = 0;
        struct drv_errbuf e;
        if (drv_camera_autodetect(d, 16, &n, &e) != 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (strcmp(d[i].port, want) == 0) {
                        (void)app_kiosk_camera_arrived(k, d[i].model, d[i].port, id);
                        return;
                }
        /* libgphoto2 does not offer it (yet): an Android phone in "charging
         * only" mode shows no PTP/MTP interface at all. Nothing to open. */
}

/* --- selection, edit, products --------------------------------------------------- */

int app_kiosk_set_quantity(struct app_kiosk *k, int index, int quantity)
{
        if (quantity < 0 || quantity > APP_KIOSK_MAX_QTY)
                return APP_KIOSK_E_INVALID;
        int r = APP_KIOSK_E_NOT_FOUND;
        pthread_mutex_lock(&k->state_lock);
        if (index >= 0 && index < k->n_photos) {
                if (quantity > 0 && (k->photos[index].info.unreadable ||
                                     k->photos[index].info.downloading)) {
                        /* "this photo can't be read"; or a phone's photo shown
                         * by its preview: selectable once its file is here */
                        r = APP_KIOSK_E_STATE;
                } else {
                        k->photos[index].info.quantity = quantity;
                        if (quantity > 0)
                                copy_enqueue_locked(k, index);
                        r = 0;
                }
        }
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

int app_kiosk_set_crop(struct app_kiosk *k, int index, double cx, double cy, double zoom,
                       int rotate, bool borderless)
{
        if (!(cx >= 0 && cx <= 1 && cy >= 0 && cy <= 1 && zoom >= 1 && zoom <= 8) ||
            (rotate != 0 && rotate != 90 && rotate != 180 && rotate != 270))
                return APP_KIOSK_E_INVALID;
        int r = APP_KIOSK_E_NOT_FOUND;
        pthread_mutex_lock(&k->state_lock);
        if (index >= 0 && index < k->n_photos) {
                struct app_kiosk_photo *p = &k->photos[index].info;
                p->crop_x = cx;
                p->crop_y = cy;
                p->crop_zoom = zoom;
                p->rotate = rotate;
                p->borderless = borderless;
                r = 0;
        }
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

static const struct app_kiosk_product *product_locked(struct app_kiosk *k, const char *sku)
{
        for (int i = 0; i < k->n_products; i++)
                if (strcmp(k->products[i].sku, sku) == 0)
                        return &k->products[i];
        return NULL;
}

int app_kiosk_effective_dpi(struct app_kiosk *k, int index)
{
        int dpi = 0;
        pthread_mutex_lock(&k->state_lock);
        const struct app_kiosk_product *pr = product_locked(k, k->sku);
        if (pr && index >= 0 && index < k->n_photos) {
                const struct app_kiosk_photo *p = &k->photos[index].info;
                int w = p->width, h = p->height;
                if (p->rotate == 90 || p->rotate == 270) {
                        int t = w;
                        w = h;
                        h = t;
                }
                /* Print in the photo's orientation; the crop frame is the largest
                 * frame of the print aspect inside the photo, divided by zoom. */
                double pw = pr->width_mm, ph = pr->height_mm;
                if ((w >= h) != (pw >= ph)) {
                        double t = pw;
                        pw = ph;
                        ph = t;
                }
                if (w > 0 && h > 0) {
                        double frame_w = w, frame_h = w * ph / pw;
                        if (frame_h > h) {
                                frame_h = h;
                                frame_w = h * pw / ph;
                        }
                        dpi = (int)(frame_w / p->crop_zoom / (pw / 25.4) + 0.5);
                }
        }
        pthread_mutex_unlock(&k->state_lock);
        return dpi;
}

int app_kiosk_products(struct app_kiosk *k, struct app_kiosk_product *ret, int max)
{
        pthread_mutex_lock(&k->state_lock);
        int n = k->n_products;
        for (int i = 0; i < n && i < max; i++)
                ret[i] = k->products[i];
        pthread_mutex_unlock(&k->state_lock);
        return n;
}

void app_kiosk_currency(struct app_kiosk *k, char ret[4])
{
        pthread_mutex_lock(&k->state_lock);
        memcpy(ret, k->currency, 4);
        pthread_mutex_unlock(&k->state_lock);
}

int app_kiosk_choose_product(struct app_kiosk *k, const char *sku, const char *paper)
{
        if (!sku || !paper)
                return APP_KIOSK_E_INVALID;
        int r = APP_KIOSK_E_NOT_FOUND;
        pthread_mutex_lock(&k->state_lock);
        const struct app_kiosk_product *pr = product_locked(k, sku);
        for (int i = 0; pr && i < pr->n_papers; i++) {
                if (strcmp(pr->papers[i].id, paper) == 0) {
                        copy_str(k->sku, sizeof(k->sku), sku);
                        copy_str(k->paper, sizeof(k->paper), paper);
                        r = 0;
                }
        }
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

int app_kiosk_summary(struct app_kiosk *k, struct app_kiosk_summary *ret)
{
        memset(ret, 0, sizeof(*ret));
        pthread_mutex_lock(&k->state_lock);
        copy_str(ret->sku, sizeof(ret->sku), k->sku);
        copy_str(ret->paper, sizeof(ret->paper), k->paper);
        memcpy(ret->currency, k->currency, 4);
        for (int i = 0; i < k->n_photos; i++) {
                if (k->photos[i].info.quantity > 0) {
                        ret->photos++;
                        ret->prints += k->photos[i].info.quantity;
                }
        }
        const struct app_kiosk_product *pr = product_locked(k, k->sku);
        for (int i = 0; pr && i < pr->n_papers; i++)
                if (strcmp(pr->papers[i].id, k->paper) == 0)
                        ret->unit_minor = pr->papers[i].price_minor;
        ret->total_minor = ret->unit_minor * ret->prints;
        pthread_mutex_unlock(&k->state_lock);
        return 0;
}

/* --- preview ------------------------------------------------------------------- */

int app_kiosk_request_preview(struct app_kiosk *k, int index, bool gamut_warning, uint64_t tag)
{
        if (!k->orders)
                return APP_KIOSK_E_UNAVAILABLE;
        pthread_mutex_lock(&k->state_lock);
        bool ok = index >= 0 && index < k->n_photos && k->source == SOURCE_FOLDER &&
                  !k->photos[index].info.unreadable && k->paper[0];
        pthread_mutex_unlock(&k->state_lock);
        if (!ok)
                return APP_KIOSK_E_STATE;
        int r = 0;
        pthread_mutex_lock(&k->job_lock);
        if (k->n_previews >= APP_KIOSK_MAX_PREVIEWS) {
                r = APP_KIOSK_E_STATE;
        } else {
                k->previews[k->n_previews++] = (struct preview_job){
                        .index = index, .gamut = gamut_warning, .tag = tag,
                        .generation = k->preview_generation};
                pthread_cond_broadcast(&k->job_cond);
        }
        pthread_mutex_unlock(&k->job_lock);
        return r;
}

/* On a worker: probe, look the paper up, soft-proof into RGB pixels. */
/* Keep session `s` (the current source) alive for a reader of its spool:
 * source_stop then retires it instead of wiping, and the last
 * release_session wipes it. One session at a time can be held. */
static bool hold_session(struct app_kiosk *k, struct app_ingest *s)
{
        bool ok = false;
        pthread_mutex_lock(&k->state_lock);
        if (s && k->ingest == s) {
                pthread_mutex_lock(&k->order_files_lock);
                if (k->holds == 0 || k->order_ingest == s) {
                        k->order_ingest = s;
                        k->holds++;
                        ok = true;
                }
                pthread_mutex_unlock(&k->order_files_lock);
        }
        pthread_mutex_unlock(&k->state_lock);
        return ok;
}

static void release_session(struct app_kiosk *k)
{
        struct app_ingest *s = NULL;
        char *dir = NULL;
        struct src_ctx *ctx = NULL;
        pthread_mutex_lock(&k->order_files_lock);
        if (k->holds > 0 && --k->holds == 0) {
                k->order_ingest = NULL;
                s = k->retired, dir = k->retired_dir, ctx = k->retired_ctx;
                k->retired = NULL, k->retired_dir = NULL, k->retired_ctx = NULL;
        }
        pthread_mutex_unlock(&k->order_files_lock);
        ingest_end(k, s, dir, ctx);
}

/* The photo's file for previews and orders: its copy in the session spool,
 * made now if the copier has not got to it (DRV_E_GONE: the stick is out).
 * Never a path on the volume: the spool copy is the checked, hashed file.
 * Any thread but the walker's; the session must be kept alive by the caller
 * (order_files_busy or state_lock-free use while the source is current). */
static int spool_path(struct app_kiosk *k, struct app_ingest *s, size_t id, const char *ext,
                      char *ret, size_t len)
{
        char sha[65];
        struct drv_errbuf e;
        int r = app_ingest_select(s, id, sha, &e);
        refresh_copy_state(k, s, id);
        if (r != 0)
                return r;
        pthread_mutex_lock(&k->state_lock);
        const char *dir = k->ingest == s && k->session_dir ? k->session_dir : NULL;
        if (dir)
                snprintf(ret, len, "%s/spool/%s.%s", dir, sha, ext);
        pthread_mutex_unlock(&k->state_lock);
        return dir ? 0 : DRV_E_GONE;
}

/* On a worker: the spool copy soft-proofed into RGB pixels. With a decode
 * pool (always, unless decode_in_process is configured) the photo is probed
 * and proofed in a sandboxed helper (app_decode_proof: the spool copy and
 * the profiles go over as fds, the answer's size is checked against the fit
 * box); a crash, hang or refused answer costs this preview only. */
static void do_preview(struct app_kiosk *k, struct preview_job j)
{
        struct app_msg m = {.type = APP_MSG_PREVIEW_READY, .generation = j.tag};
        m.u.thumb.index = j.index;
        char path[1200] = "", paper_id[32] = "", ext[8] = "";
        int rotate = 0;
        size_t id = SIZE_MAX;
        pthread_mutex_lock(&k->state_lock);
        struct app_ingest *s = k->source == SOURCE_FOLDER ? k->ingest : NULL;
        if (s && j.index < k->n_photos) {
                id = k->photos[j.index].ingest_id;
                memcpy(ext, k->photos[j.index].ext, sizeof(ext));
                rotate = k->photos[j.index].info.rotate;
        }
        copy_str(paper_id, sizeof(paper_id), k->paper);
        /* The copier must not free the session under us: hold it like an order. */
        pthread_mutex_unlock(&k->state_lock);
        struct img_probe probe;
        struct img_paper paper;
        struct img_pixels px = {0};
        struct img_proof_info info = {0};
        struct img_proof_spec spec = IMG_PROOF_SPEC_DEFAULT;
        spec.width = APP_KIOSK_PREVIEW_W;
        spec.height = APP_KIOSK_PREVIEW_H;
        spec.rotate = rotate;
        spec.gamut_warning = j.gamut;
        spec.profiles_dir = app_orders_profiles_dir(k->orders);
        int r = APP_KIOSK_E_NOT_FOUND;
        if (s && id != SIZE_MAX && hold_session(k, s)) {
                if (spool_path(k, s, id, ext, path, sizeof(path)) != 0)
                        path[0] = '\0';
                release_session(k);
        }
        if (path[0] && paper_id[0] && app_orders_paper(k->orders, paper_id, &paper, NULL) == 0) {
                if (k->pool)
                        r = app_decode_proof(k->pool, path, &paper, &spec, &px, &info, NULL);
                else if ((r = img_probe_file(path, IMG_PROBE_NO_HASH, &probe, NULL)) == 0)
                        r = img_proof_to_pixels(path, &probe, &paper, &spec, &px, &info, NULL);
        }
        if (r == 0) {
                m.u.thumb.width = px.width;
                m.u.thumb.height = px.height;
                m.u.thumb.stride = px.stride;
                m.u.thumb.pixels = px.data; /* moved into the message */
        } else {
                m.u.thumb.error = r < 0 ? r : APP_KIOSK_E_IO;
        }
        (void)app_bus_post(k->bus, &m);
}

/* --- orders --------------------------------------------------------------------- */

static void order_job_clear(struct order_job *o)
{
        for (size_t i = 0; o->files && i < o->n; i++)
                free(o->files[i]);
        free(o->files);
        free(o->ids);
        free(o->exts);
        free(o->choices);
        memset(o, 0, sizeof(*o));
}

static void post_progress(struct app_kiosk *k, enum app_kiosk_stage stage, int done, int total)
{
        struct app_msg m = {.type = APP_MSG_PRINT_PROGRESS, .generation = (uint64_t)stage};
        m.u.print.done = done;
        m.u.print.total = total;
        (void)app_bus_post(k->bus, &m);
}

static void on_order_progress(void *user, const char *stage, int done, int total)
{
        struct app_kiosk *k = user;
        /* copy = steps 1..n, render = steps n+1..2n */
        int off = strcmp(stage, "render") == 0 ? total : 0;
        post_progress(k, APP_KIOSK_STAGE_PREPARE, off + done, 2 * total);
}

static void post_error(struct app_kiosk *k, int code, const char *keyword)
{
        (void)app_bus_post_error(k->bus, code, keyword);
}

/* Sleep up to ms, waking early when the kiosk stops. */
static void order_sleep(struct app_kiosk *k, int ms)
{
        for (int i = 0; i < ms / 50 && !k->order_stop; i++) {
                struct timespec ts = {0, 50 * 1000000L};
                nanosleep(&ts, NULL);
        }
}

static void print_order(struct app_kiosk *k, const char *order_id)
{
        struct app_order_errbuf oe = {{0}};
        struct app_print_ctx ctx;
        struct app_print_summary sum;
        memset(&sum, 0, sizeof(sum));
        if (app_orders_print_ctx(k->orders, "system", &ctx, &oe) < 0 ||
            app_print_order(&ctx, order_id, k->queue, &sum, &oe) < 0) {
                if (getenv("PK_KIOSK_DEBUG")) /* never customer data: ids and CUPS text */
                        fprintf(stderr, "printkiosk: print: %s\n", oe.msg);
                /* CUPS unreachable: the jobs stay pending in the store and
                 * recovery finishes them; the customer needs staff now. */
                struct app_msg m = {.type = APP_MSG_PRINTER_PROBLEM};
                m.u.text = (char *)"printer-needs-staff";
                (void)app_bus_post(k->bus, &m);
                return;
        }
        int64_t start = app_kiosk_now_ms();
        for (;;) {
                if (sum.state == ORDER_PRINTED) {
                        post_progress(k, APP_KIOSK_STAGE_DONE, sum.items, sum.items);
                        return;
                }
                if (sum.waiting > 0 || sum.state == ORDER_FAILED) {
                        /* Staff take it from here (the job is held, not
                         * cancelled; `print` or the next start's recovery
                         * follows it): free the thread for the next customer. */
                        struct app_msg m = {.type = APP_MSG_PRINTER_PROBLEM};
                        m.u.text = (char *)"printer-needs-staff";
                        (void)app_bus_post(k->bus, &m);
                        return;
                }
                if (sum.state != ORDER_PRINTING)
                        return; /* failed: staff take it from the store */
                post_progress(k, APP_KIOSK_STAGE_PRINT, sum.completed, sum.items);
                if (k->order_stop || app_kiosk_now_ms() - start > APP_KIOSK_PRINT_TIMEOUT_MS)
                        return; /* still printing: the next start's recovery follows it */
                order_sleep(k, APP_PRINT_POLL_MS);
                if (app_print_poll(&ctx, order_id, &sum, &oe) < 0)
                        order_sleep(k, 1000); /* CUPS busy: try again */
        }
}

static void *order_main(void *arg)
{
        struct app_kiosk *k = arg;
        struct order_job *o = &k->order;
        struct app_order_errbuf oe = {{0}};
        struct app_order_created created;
        memset(&created, 0, sizeof(created));
        struct app_order_request req = {
                .sku = o->sku,
                .paper = o->paper,
                .files = (const char *const *)o->files,
                .n_files = o->n,
                .choices = o->choices,
                .progress = on_order_progress,
                .progress_user = k,
        };
        size_t bad = 0;
        const char *reason = NULL;
        /* Every photo from its spool copy: copied by the copier already, or
         * now (the stick may have gone meanwhile: "reinsert to continue"). */
        int c = 0;
        for (size_t i = 0; i < o->n && c == 0; i++) {
                char path[1200];
                c = spool_path(k, o->ingest, o->ids[i], o->exts[i], path, sizeof(path));
                if (c == 0 && !(o->files[i] = strdup(path)))
                        c = APP_KIOSK_E_NOMEM;
        }
        int r = c == 0 ? app_order_create(k->orders, &req, &created, &bad, &reason, &oe) : 0;
        /* app/orders has its own durable copies now (data spool). */
        release_session(k);
        if (c == DRV_E_GONE) {
                post_error(k, APP_KIOSK_E_STATE, "reinsert-to-continue");
        } else if (c != 0) {
                post_error(k, APP_KIOSK_E_IO, "order-failed");
        } else if (r < 0) {
                post_error(k, r, r == APP_ORDER_E_REJECTED ? "photo-rejected" : "order-failed");
        } else {
                struct app_msg m = {.type = APP_MSG_ORDER_PLACED};
                m.u.text = created.code; /* the bus copies strings */
                (void)app_bus_post(k->bus, &m);
                if (o->print_now)
                        print_order(k, created.order_id);
        }
        order_job_clear(o);
        k->order_running = false;
        return NULL;
}

bool app_kiosk_order_busy(struct app_kiosk *k)
{
        return k->order_running;
}

int app_kiosk_place_order(struct app_kiosk *k, bool print_now)
{
        struct app_kiosk_summary s;
        app_kiosk_summary(k, &s);
        if (s.prints == 0 || !s.sku[0])
                return APP_KIOSK_E_STATE;
        if (!k->orders || (print_now && !k->queue))
                return APP_KIOSK_E_UNAVAILABLE;
        if (k->order_running)
                return APP_KIOSK_E_STATE;
        if (k->order_started) {
                pthread_join(k->order_thread, NULL);
                k->order_started = false;
        }
        struct order_job *o = &k->order;
        order_job_clear(o);
        o->print_now = print_now;
        copy_str(o->sku, sizeof(o->sku), s.sku);
        copy_str(o->paper, sizeof(o->paper), s.paper);
        int r = 0;
        pthread_mutex_lock(&k->state_lock);
        if (s.photos > APP_ORDER_MAX_FILES) {
                r = APP_KIOSK_E_INVALID;
                goto unlock;
        }
        o->files = calloc((size_t)s.photos, sizeof(*o->files));
        o->ids = calloc((size_t)s.photos, sizeof(*o->ids));
        o->exts = calloc((size_t)s.photos, sizeof(*o->exts));
        o->choices = calloc((size_t)s.photos, sizeof(*o->choices));
        if (!o->files || !o->ids || !o->exts || !o->choices) {
                r = APP_KIOSK_E_NOMEM;
                goto unlock;
        }
        for (int i = 0; i < k->n_photos && o->n < (size_t)s.photos; i++) {
                const struct photo *p = &k->photos[i];
                if (p->info.quantity <= 0)
                        continue;
                if (k->source != SOURCE_FOLDER || !k->ingest) {
                        r = APP_KIOSK_E_INVALID; /* synthetic photos are never ordered */
                        goto unlock;
                }
                o->ids[o->n] = p->ingest_id;
                memcpy(o->exts[o->n], p->ext, sizeof(o->exts[0]));
                o->choices[o->n] = (struct app_order_item_choice){
                        .quantity = p->info.quantity,
                        .rotate = p->info.rotate,
                        .centre_x = p->info.crop_x,
                        .centre_y = p->info.crop_y,
                        .zoom = p->info.crop_zoom,
                };
                o->n++;
        }
        o->ingest = k->ingest;
unlock:
        pthread_mutex_unlock(&k->state_lock);
        if (r == 0 && !hold_session(k, o->ingest))
                r = APP_KIOSK_E_STATE;
        if (r < 0) {
                order_job_clear(o);
                return r;
        }
        k->order_running = true;
        if (pthread_create(&k->order_thread, NULL, order_main, k) != 0) {
                k->order_running = false;
                release_session(k);
                order_job_clear(o);
                return APP_KIOSK_E_NOMEM;
        }
        k->order_started = true;
        return 0;
}

/* --- session and staff -------------------------------------------------------- */

static void on_session_end(enum app_session_end_reason why, void *userdata)
{
        (void)why;
        (void)userdata; /* wiping happens in the callers, outside state_lock */
}

static void wipe(struct app_kiosk *k)
{
        source_stop(k);
        pthread_mutex_lock(&k->state_lock);
        k->sku[0] = k->paper[0] = '\0';
        k->last_warning_s = -1;
        pthread_mutex_unlock(&k->state_lock);
}

int app_kiosk_session_start(struct app_kiosk *k)
{
        wipe(k);
        pthread_mutex_lock(&k->state_lock);
        app_session_start(&k->session, app_kiosk_now_ms());
        pthread_mutex_unlock(&k->state_lock);
        return 0;
}

void app_kiosk_session_end(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        app_session_end(&k->session, APP_SESSION_END_START_OVER);
        pthread_mutex_unlock(&k->state_lock);
        wipe(k);
}

void app_kiosk_activity(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        app_session_activity(&k->session, app_kiosk_now_ms());
        k->last_warning_s = -1;
        pthread_mutex_unlock(&k->state_lock);
}

bool app_kiosk_session_active(struct app_kiosk *k)
{
        pthread_mutex_lock(&k->state_lock);
        bool r = k->session.state != APP_SESSION_IDLE;
        pthread_mutex_unlock(&k->state_lock);
        return r;
}

void app_kiosk_tick(struct app_kiosk *k)
{
        int left = 0;
        pthread_mutex_lock(&k->state_lock);
        bool was = k->session.state != APP_SESSION_IDLE;
        enum app_session_state st = app_session_tick(&k->session, app_kiosk_now_ms(), &left);
        bool warn = st == APP_SESSION_WARNING && left != k->last_warning_s;
        if (warn)
                k->last_warning_s = left;
        pthread_mutex_unlock(&k->state_lock);
        if (warn) {
                struct app_msg m = {.type = APP_MSG_SESSION_WARNING};
                m.u.session.seconds_left = left;
                (void)app_bus_post(k->bus, &m);
        } else if (was && st == APP_SESSION_IDLE) {
                /* No wipe here: stopping the ingest session joins its threads
                 * (a decode in flight) and deletes the session folder, which
                 * must not stall the caller's frame. The receiver of the
                 * message ends the session (app_kiosk_session_end, which
                 * wipes), off its UI thread as ui/ui.c does; the next
                 * app_kiosk_session_start wipes first in any case. */
                struct app_msg m = {.type = APP_MSG_SESSION_TIMEOUT};
                (void)app_bus_post(k->bus, &m);
        }
}

int app_kiosk_staff_pin_submit(struct app_kiosk *k, const char *pin)
{
        if (!pin || strlen(pin) > APP_PIN_MAX_LEN)
                return APP_KIOSK_E_INVALID;
        pthread_mutex_lock(&k->job_lock);
        copy_str(k->pin_pending, sizeof(k->pin_pending), pin);
        k->have_pin_pending = true;
        pthread_cond_broadcast(&k->job_cond);
        pthread_mutex_unlock(&k->job_lock);
        return 0;
}

/* --- lifetime ------------------------------------------------------------------- */

struct app_kiosk *app_kiosk_new(const struct app_kiosk_config *cfg, struct app_bus *bus,
                                char *errbuf, size_t errlen)
{
        char dummy[8];
        if (!errbuf) {
                errbuf = dummy;
                errlen = sizeof(dummy);
        }
        errbuf[0] = '\0';
        if (!cfg || !bus) {
                snprintf(errbuf, errlen, "no configuration or bus");
                return NULL;
        }
        struct app_kiosk *k = calloc(1, sizeof(*k));
        if (!k)
                return NULL;
        k->bus = bus;
        k->cfg = *cfg;
        if (k->cfg.thumb_size <= 0)
                k->cfg.thumb_size = APP_KIOSK_THUMB_SIZE;
        if (k->cfg.thumb_size < 16)
                k->cfg.thumb_size = 16;
        if (k->cfg.thumb_size > 1024)
                k->cfg.thumb_size = 1024;
        k->last_warning_s = -1;
        pthread_mutex_init(&k->state_lock, NULL);
        pthread_mutex_init(&k->job_lock, NULL);
        pthread_cond_init(&k->job_cond, NULL);
        app_session_init(&k->session, cfg->session_timeout_ms, cfg->session_warning_ms ?
                         cfg->session_warning_ms : -1, on_session_end, k);
        if (load_prices(k, cfg, errbuf, errlen) != 0)
                return app_kiosk_free(k);
        k->pin = app_staff_pin_new(cfg->staff_pin_path);
        if (!k->pin) {
                snprintf(errbuf, errlen, "libsodium could not start");
                return app_kiosk_free(k);
        }
        if (img_init(NULL, NULL) != 0) {
                snprintf(errbuf, errlen, "image pipeline could not start");
                return app_kiosk_free(k);
        }
        pthread_mutex_init(&k->copy_lock, NULL);
        pthread_cond_init(&k->copy_cond, NULL);
        pthread_mutex_init(&k->order_files_lock, NULL);
        k->locks_ready = true;
        const char *pull = getenv("PK_KIOSK_TEST_PULL_AFTER");
        k->test_pull_after = pull ? strtoll(pull, NULL, 10) : 0;
        if (cfg->session_dir)
                k->sessions_dir = g_strdup(cfg->session_dir);
        else if (cfg->data_dir)
                k->sessions_dir = g_strdup_printf("%s/sessions", cfg->data_dir);
        else
                k->sessions_dir = g_strdup_printf("%s/printkiosk-sessions-%d",
                                                  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                                                  (int)getuid());
        if (!k->sessions_dir) {
                snprintf(errbuf, errlen, "out of memory");
                return app_kiosk_free(k);
        }
        if (!cfg->decode_in_process) {
                struct app_decode_config dc = APP_DECODE_CONFIG_DEFAULT;
                /* One helper per thumbnailer, plus one so the walker's probes
                 * never queue behind 24 MP thumbnails (measured: a 1000-photo
                 * walk took 21 s with 2 helpers shared, ~1 s otherwise). */
                dc.helpers = APP_KIOSK_WORKERS + 1;
                dc.helper_path = cfg->decode_helper;
                if (cfg->decode_timeout_ms > 0)
                        dc.timeout_ms = cfg->decode_timeout_ms;
                struct img_errbuf ie = {{0}};
                if (app_decode_pool_new(&dc, &k->pool, &ie) != 0) {
                        snprintf(errbuf, errlen, "decode helper: %s", ie.msg);
                        return app_kiosk_free(k);
                }
                /* Helpers start with the kiosk, not when the first card
                 * arrives; one that cannot start is retried on first use. */
                (void)app_decode_pool_warm(k->pool, NULL);
                /* Orders probe the customer's spool copies through it too. */
                app_orders_set_decode_pool(k->orders, k->pool);
        }
        if (pthread_create(&k->copier, NULL, copier_main, k) != 0) {
                snprintf(errbuf, errlen, "cannot start the copier thread");
                return app_kiosk_free(k);
        }
        k->copier_started = true;
        if (!cfg->no_volume_watch) {
                /* Roots: the configuration, else $PK_VOLUME_ROOTS (a:b), else
                 * where udisks2 and the kiosk's own mounts put sticks. */
                const char *roots[DRV_VOLUME_MAX_ROOTS];
                size_t n_roots = 0;
                char *env = getenv("PK_VOLUME_ROOTS") ? strdup(getenv("PK_VOLUME_ROOTS")) : NULL;
                if (cfg->volume_roots) {
                        for (size_t i = 0; i < cfg->n_volume_roots && n_roots < DRV_VOLUME_MAX_ROOTS; i++)
                                roots[n_roots++] = cfg->volume_roots[i];
                } else if (env) {
                        char *save = NULL;
                        for (char *t = strtok_r(env, ":", &save); t && n_roots < DRV_VOLUME_MAX_ROOTS;
                             t = strtok_r(NULL, ":", &save))
                                roots[n_roots++] = t;
                } else {
                        roots[n_roots++] = "/media";
                        roots[n_roots++] = "/run/media";
                }
                struct drv_volume_watch_opts vo = {
                        .roots = roots, .n_roots = n_roots, .on_event = on_volume, .user = k};
                struct drv_errbuf de;
                /* No mount table (odd containers): no detection, folders still work. */
                if (n_roots > 0 && drv_volume_watch_start(&vo, &k->volumes, &de) != 0 &&
                    getenv("PK_KIOSK_DEBUG"))
                        fprintf(stderr, "printkiosk: volume watch: %s\n", de.msg);
                free(env);
        }
        const char *cdelay = getenv("PK_KIOSK_TEST_CAMERA_DELAY_MS");
        k->cam_test_delay_ms = cdelay ? (int)strtol(cdelay, NULL, 10) : 0;
        const char *cretry = getenv("PK_KIOSK_TEST_CAMERA_RETRY_MS");
        k->cam_test_retry_ms = cretry ? (int)strtol(cretry, NULL, 10) : 0;
        if (!cfg->no_usb_watch && !cfg->no_volume_watch && !getenv("PK_KIOSK_NO_USB")) {
                struct drv_usb_watch_opts uo = {.on_event = on_usb, .user = k};
                struct drv_errbuf de;
                /* No hotplug (containers without udev): cameras come only
                 * through app_kiosk_camera_arrived. */
                if (drv_usb_watch_start(&uo, &k->usb, &de) != 0 && getenv("PK_KIOSK_DEBUG"))
                        fprintf(stderr, "printkiosk: usb watch: %s\n", de.msg);
        }
        for (int i = 0; i < APP_KIOSK_WORKERS; i++) {
                if (pthread_create(&k->workers[i], NULL, worker_main, k) != 0) {
                        snprintf(errbuf, errlen, "cannot start worker threads");
                        return app_kiosk_free(k);
                }
                k->n_workers++;
        }
        return k;
}

struct app_kiosk *app_kiosk_free(struct app_kiosk *k)
{
        if (!k)
                return NULL;
        k->volumes = drv_volume_watch_free(k->volumes);
        k->usb = drv_usb_watch_free(k->usb);
        if (k->locks_ready)
                source_stop(k);
        if (k->copier_started) {
                pthread_mutex_lock(&k->copy_lock);
                k->copier_stop = true;
                pthread_cond_broadcast(&k->copy_cond);
                pthread_mutex_unlock(&k->copy_lock);
                pthread_join(k->copier, NULL);
        }
        pthread_mutex_lock(&k->job_lock);
        k->stopping = true;
        pthread_cond_broadcast(&k->job_cond);
        pthread_mutex_unlock(&k->job_lock);
        for (int i = 0; i < k->n_workers; i++)
                pthread_join(k->workers[i], NULL);
        k->order_stop = true;
        if (k->order_started)
                pthread_join(k->order_thread, NULL);
        if (k->locks_ready) {
                /* An order thread that never started left its hold. */
                while (k->holds > 0)
                        release_session(k);
                if (k->retired) {
                        k->holds = 1;
                        release_session(k);
                }
        }
        order_job_clear(&k->order);
        app_orders_free(k->orders);
        app_decode_pool_free(k->pool);
        photos_clear_locked(k);
        g_free(k->sessions_dir);
        if (k->locks_ready) {
                pthread_cond_destroy(&k->copy_cond);
                pthread_mutex_destroy(&k->copy_lock);
                pthread_mutex_destroy(&k->order_files_lock);
        }
        free(k->queue);
        app_staff_pin_free(k->pin);
        pthread_cond_destroy(&k->job_cond);
        pthread_mutex_destroy(&k->job_lock);
        pthread_mutex_destroy(&k->state_lock);
        free(k);
        return NULL;
}
