/* app/kiosk: the core facade the UI drives (see kiosk.h).
 *
 * Invariants:
 *  - photos[0..n_photos) is only appended to by the walker and only cleared by
 *    session end / a new source, after the walker was joined; all under
 *    state_lock. Getters copy out under the lock.
 *  - job queue entries carry the generation of their request; a worker drops a
 *    job whose generation is older than job_generation (the customer scrolled
 *    away), so stale thumbnails are never decoded.
 *  - every command that needs a module not built in returns
 *    APP_KIOSK_E_UNAVAILABLE; PK_HAVE_* come from ui/CMakeLists.txt, which
 *    looks for the implementation in the tree.
 */
#include "app/kiosk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/orders.h"
#include "app/prices.h"
#include "app/session.h"
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/proof.h"
#include "app/staff_pin.h"
#include "image/image.h"
#ifdef PK_HAVE_IMG_THUMB
#include "image/thumb.h"
#endif
#ifdef PK_HAVE_IMG_PROBE
#include "image/probe.h"
#endif

struct photo {
        char *path;        /* (owned) full path; never shown or logged */
        struct app_kiosk_photo info;
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
        char **files;
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

        /* walker thread: started by open_folder, joined before the list changes */
        pthread_t walker;
        bool walker_started;
        atomic_bool walk_cancel; /* set by source_stop, polled by the walker */
        bool walk_running;
        char *walk_root;

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
#ifdef PK_HAVE_IMG_THUMB
        case APP_KIOSK_HAS_THUMBS: return true;
#endif
#ifdef PK_HAVE_IMG_PROBE
        case APP_KIOSK_HAS_PROBE: return true;
#endif
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
        const char *pp = cfg->prices_path ? cfg->prices_path : PK_SOURCE_DIR "/assets/prices.ini";
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
        for (int i = 0; i < k->n_photos; i++)
                free(k->photos[i].path);
        free(k->photos);
        k->photos = NULL;
        k->n_photos = k->cap_photos = 0;
}

static int photo_append_locked(struct app_kiosk *k, char *path, const char *name)
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
        p->path = path;
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

/* Until app/ingest lands, this bounded listing stands in for it: regular files
 * with an image extension, no symlinks (O_NOFOLLOW / d_type + fstatat with
 * AT_SYMLINK_NOFOLLOW), depth <= APP_KIOSK_MAX_DEPTH, at most
 * APP_KIOSK_MAX_PHOTOS. Replace with app/ingest's streaming walk. */
static bool has_image_ext(const char *name)
{
        const char *dot = strrchr(name, '.');
        if (!dot)
                return false;
        static const char *const exts[] = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp"};
        for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
                if (strcasecmp(dot, exts[i]) == 0)
                        return true;
        return false;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_post_progress(struct app_kiosk *k, enum app_msg_type t, int skipped)
{
        struct app_msg m = {.type = t};
        pthread_mutex_lock(&k->state_lock);
        m.u.walk.found = k->n_photos;
        pthread_mutex_unlock(&k->state_lock);
        m.u.walk.skipped = skipped;
        (void)app_bus_post(k->bus, &m);
}

static void walk_dir(struct app_kiosk *k, const char *dir, int depth, int *skipped)
{
        if (depth > APP_KIOSK_MAX_DEPTH || k->walk_cancel)
                return;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        /* Collect names first so the list is in name order (camera names are
         * chronological) and the walk is deterministic. */
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d)) && n < APP_KIOSK_MAX_PHOTOS) {
                if (de->d_name[0] == '.')
                        continue; /* dot files, ., .., macOS ._ files */
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        char **nn = realloc(names, cap * sizeof(*nn));
                        if (!nn)
                                break;
                        names = nn;
                }
                names[n] = strdup(de->d_name);
                if (names[n])
                        n++;
        }
        if (n > 0)
                qsort(names, n, sizeof(*names), cmp_names);
        for (size_t i = 0; i < n && !k->walk_cancel; i++) {
                struct stat st;
                if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
                        (*skipped)++;
                        continue;
                }
                char *path = NULL;
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        walk_dir(k, path, depth + 1, skipped);
                        free(path);
                } else if (S_ISREG(st.st_mode) && has_image_ext(names[i]) && st.st_size > 0) {
                        struct app_kiosk_photo extra = {0};
#ifdef PK_HAVE_IMG_PROBE
                        struct img_probe pr;
                        if (img_probe_file(path, IMG_PROBE_NO_HASH, &pr, NULL) != 0) {
                                (*skipped)++;
                                free(path);
                                continue;
                        }
                        extra.width = pr.oriented_width;
                        extra.height = pr.oriented_height;
                        if (strlen(pr.captured_at) >= 10)
                                memcpy(extra.date, pr.captured_at, 10);
#endif
                        pthread_mutex_lock(&k->state_lock);
                        int r = photo_append_locked(k, path, names[i]);
                        if (r == 0) {
                                struct app_kiosk_photo *pi = &k->photos[k->n_photos - 1].info;
                                pi->width = extra.width;
                                pi->height = extra.height;
                                memcpy(pi->date, extra.date, sizeof(pi->date));
                        }
                        int count = k->n_photos;
                        pthread_mutex_unlock(&k->state_lock);
                        if (r != 0) {
                                free(path);
                                (*skipped)++;
                        } else if (count % 24 == 0) {
                                walk_post_progress(k, APP_MSG_WALK_PROGRESS, *skipped);
                        }
                } else {
                        (*skipped)++;
                        free(path);
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        closedir(d);
}

static void *walker_main(void *arg)
{
        struct app_kiosk *k = arg;
        int skipped = 0;
        walk_dir(k, k->walk_root, 0, &skipped);
        pthread_mutex_lock(&k->state_lock);
        k->walk_running = false;
        pthread_mutex_unlock(&k->state_lock);
        walk_post_progress(k, APP_MSG_WALK_DONE, skipped);
        return NULL;
}

/* Stop the walker and forget queued jobs; the caller then changes the list. */
static void source_stop(struct app_kiosk *k)
{
        k->walk_cancel = true;
        if (k->walker_started) {
                pthread_join(k->walker, NULL);
                k->walker_started = false;
        }
        k->walk_cancel = false;
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
        pthread_mutex_unlock(&k->state_lock);
        free(k->walk_root);
        k->walk_root = NULL;
}

int app_kiosk_open_folder(struct app_kiosk *k, const char *path)
{
        if (!path || !*path)
                return APP_KIOSK_E_INVALID;
        if (!app_kiosk_session_active(k))
                return APP_KIOSK_E_STATE;
        source_stop(k);
        k->walk_root = strdup(path);
        if (!k->walk_root)
                return APP_KIOSK_E_NOMEM;
        pthread_mutex_lock(&k->state_lock);
        k->source = SOURCE_FOLDER;
        k->walk_running = true;
        pthread_mutex_unlock(&k->state_lock);
        if (pthread_create(&k->walker, NULL, walker_main, k) != 0) {
                pthread_mutex_lock(&k->state_lock);
                k->walk_running = false;
                pthread_mutex_unlock(&k->state_lock);
                return APP_KIOSK_E_NOMEM;
        }
        k->walker_started = true;
        return 0;
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
                r = photo_append_locked(k, NULL, name);
                if (r == 0) {
                        struct app_kiosk_photo *pi = &k->photos[i].info;
                        /* Every 7th is a small photo, to show the low-res badge. */
                        pi->width = i % 7 == 3 ? 640 : 4000;
                        pi->height = i % 7 == 3 ? 480 : 3000;
                        snprintf(pi->date, sizeof(pi->date), "2024-%02d-%02d", 1 + (i / 600) % 12,
                                 1 + (i / 24) % 28);
                }
        }
        pthread_mutex_unlock(&k->state_lock);
        walk_post_progress(k, APP_MSG_WALK_DONE, 0);
        return r;
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

static void do_thumb(struct app_kiosk *k, struct job j)
{
        struct app_msg m = {.type = APP_MSG_THUMB_FAILED, .generation = (uint64_t)j.generation};
        m.u.thumb.index = j.index;
        char *path = NULL;
        enum source_kind src;
        pthread_mutex_lock(&k->state_lock);
        src = k->source;
        bool ok = j.index >= 0 && j.index < k->n_photos;
        if (ok && k->photos[j.index].path)
                path = strdup(k->photos[j.index].path);
        if (ok) {
                m.u.thumb.src_width = k->photos[j.index].info.width;
                m.u.thumb.src_height = k->photos[j.index].info.height;
        }
        pthread_mutex_unlock(&k->state_lock);
        if (!ok) {
                free(path);
                return;
        }
        if (src == SOURCE_SYNTHETIC) {
                synthetic_pixels(j.index, k->cfg.thumb_size, &m);
                if (m.u.thumb.pixels)
                        m.type = APP_MSG_THUMB_READY;
        } else if (path) {
#ifdef PK_HAVE_IMG_THUMB
                struct img_thumb_spec spec = IMG_THUMB_SPEC_DEFAULT;
                spec.size = k->cfg.thumb_size;
                struct img_pixels px = {0};
                struct img_thumb_info info = {0};
                int r = img_thumb_to_pixels(path, &spec, &px, &info, NULL);
                if (r == 0) {
                        m.type = APP_MSG_THUMB_READY;
                        m.u.thumb.width = px.width;
                        m.u.thumb.height = px.height;
                        m.u.thumb.stride = px.stride;
                        m.u.thumb.pixels = px.data; /* moved into the message */
                        m.u.thumb.src_width = info.src_width;
                        m.u.thumb.src_height = info.src_height;
                        pthread_mutex_lock(&k->state_lock);
                        /* The list may have been replaced meanwhile: check the path. */
                        if (j.index < k->n_photos && k->photos[j.index].path &&
                            strcmp(k->photos[j.index].path, path) == 0) {
                                k->photos[j.index].info.width = info.src_width;
                                k->photos[j.index].info.height = info.src_height;
                        }
                        pthread_mutex_unlock(&k->state_lock);
                } else {
                        m.u.thumb.error = r;
                }
#else
                m.u.thumb.error = APP_KIOSK_E_UNAVAILABLE;
#endif
        }
        free(path);
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
        return NULL;
}

int64_t app_kiosk_request_thumbs(struct app_kiosk *k, const int *indices, int n)
{
        if (n < 0 || (n > 0 && !indices))
                return APP_KIOSK_E_INVALID;
        if (n > APP_KIOSK_MAX_REQUEST)
                n = APP_KIOSK_MAX_REQUEST;
        pthread_mutex_lock(&k->job_lock);
        int64_t gen = ++k->job_generation;
        k->n_jobs = k->job_next = 0;
        for (int i = 0; i < n; i++)
                k->jobs[k->n_jobs++] = (struct job){.index = indices[i], .generation = gen};
        pthread_cond_broadcast(&k->job_cond);
        pthread_mutex_unlock(&k->job_lock);
        return gen;
}

/* --- selection, edit, products --------------------------------------------------- */

int app_kiosk_set_quantity(struct app_kiosk *k, int index, int quantity)
{
        if (quantity < 0 || quantity > APP_KIOSK_MAX_QTY)
                return APP_KIOSK_E_INVALID;
        int r = APP_KIOSK_E_NOT_FOUND;
        pthread_mutex_lock(&k->state_lock);
        if (index >= 0 && index < k->n_photos) {
                k->photos[index].info.quantity = quantity;
                r = 0;
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
        bool ok = index >= 0 && index < k->n_photos && k->photos[index].path && k->paper[0];
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
static void do_preview(struct app_kiosk *k, struct preview_job j)
{
        struct app_msg m = {.type = APP_MSG_PREVIEW_READY, .generation = j.tag};
        m.u.thumb.index = j.index;
        char *path = NULL, paper_id[32] = "";
        int rotate = 0;
        pthread_mutex_lock(&k->state_lock);
        if (j.index < k->n_photos && k->photos[j.index].path) {
                path = strdup(k->photos[j.index].path);
                rotate = k->photos[j.index].info.rotate;
        }
        copy_str(paper_id, sizeof(paper_id), k->paper);
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
        if (path && paper_id[0] && img_probe_file(path, IMG_PROBE_NO_HASH, &probe, NULL) == 0 &&
            app_orders_paper(k->orders, paper_id, &paper, NULL) == 0)
                r = img_proof_to_pixels(path, &probe, &paper, &spec, &px, &info, NULL);
        if (r == 0) {
                m.u.thumb.width = px.width;
                m.u.thumb.height = px.height;
                m.u.thumb.stride = px.stride;
                m.u.thumb.pixels = px.data; /* moved into the message */
        } else {
                m.u.thumb.error = r < 0 ? r : APP_KIOSK_E_IO;
        }
        free(path);
        (void)app_bus_post(k->bus, &m);
}

/* --- orders --------------------------------------------------------------------- */

static void order_job_clear(struct order_job *o)
{
        for (size_t i = 0; o->files && i < o->n; i++)
                free(o->files[i]);
        free(o->files);
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
        int r = app_order_create(k->orders, &req, &created, &bad, &reason, &oe);
        if (r < 0) {
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
        o->choices = calloc((size_t)s.photos, sizeof(*o->choices));
        if (!o->files || !o->choices) {
                r = APP_KIOSK_E_NOMEM;
                goto unlock;
        }
        for (int i = 0; i < k->n_photos && o->n < (size_t)s.photos; i++) {
                const struct photo *p = &k->photos[i];
                if (p->info.quantity <= 0)
                        continue;
                if (!p->path) { /* synthetic photos are never ordered */
                        r = APP_KIOSK_E_INVALID;
                        goto unlock;
                }
                o->files[o->n] = strdup(p->path);
                if (!o->files[o->n]) {
                        r = APP_KIOSK_E_NOMEM;
                        goto unlock;
                }
                o->choices[o->n] = (struct app_order_item_choice){
                        .quantity = p->info.quantity,
                        .rotate = p->info.rotate,
                        .centre_x = p->info.crop_x,
                        .centre_y = p->info.crop_y,
                        .zoom = p->info.crop_zoom,
                };
                o->n++;
        }
unlock:
        pthread_mutex_unlock(&k->state_lock);
        if (r < 0) {
                order_job_clear(o);
                return r;
        }
        k->order_running = true;
        if (pthread_create(&k->order_thread, NULL, order_main, k) != 0) {
                k->order_running = false;
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
                wipe(k);
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
                k->cfg.thumb_size = 256;
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
        source_stop(k);
        pthread_mutex_lock(&k->job_lock);
        k->stopping = true;
        pthread_cond_broadcast(&k->job_cond);
        pthread_mutex_unlock(&k->job_lock);
        for (int i = 0; i < k->n_workers; i++)
                pthread_join(k->workers[i], NULL);
        k->order_stop = true;
        if (k->order_started)
                pthread_join(k->order_thread, NULL);
        order_job_clear(&k->order);
        app_orders_free(k->orders);
        free(k->queue);
        app_staff_pin_free(k->pin);
        pthread_cond_destroy(&k->job_cond);
        pthread_mutex_destroy(&k->job_lock);
        pthread_mutex_destroy(&k->state_lock);
        free(k);
        return NULL;
}
