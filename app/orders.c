/* app/orders: photo files -> locked order -> durable print masters -> queued.
 * See orders.h for the flow and its invariants. Nothing here logs; no customer
 * file name goes into an error message (files are named by their index). */
#include "app/orders.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/config.h"
#include "app/decode_pool.h"
#include "app/prices.h"
#include "app/render_sandbox.h"
#include "app/strip_metadata.h"
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/colour.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/render.h"
#include "sync/fsutil.h"
#include "sync/order_state.h"

struct app_orders {
        struct app_config cfg;
        char data_dir[512];
        char spool_dir[600];
        char profiles_dir[600];
        char prices_path[600];
        struct store *store;
        struct img_catalogue *catalogue;
        struct img_manifest *manifest;
        struct app_prices *prices;   /* lazily */
        struct drv_printer *printer; /* lazily */
        bool img_started;
        struct app_decode_pool *pool;     /* borrowed (kiosk) or own_pool */
        struct app_decode_pool *own_pool; /* lazily, when none was handed over */
};

static int store_err(struct app_order_errbuf *err, const char *what, int rc,
                     const struct store_errbuf *se)
{
        return app_order_fail(err, APP_ORDER_E_STORE, "%s: %s: %s", what, store_strerror(rc),
                              se->msg);
}

void app_orders_set_decode_pool(struct app_orders *o, struct app_decode_pool *pool)
{
        if (o)
                o->pool = pool ? pool : o->own_pool;
}

/* The kiosk's pool, else one helper of our own started now. */
static int need_pool(struct app_orders *o, struct img_errbuf *ie)
{
        if (o->pool)
                return 0;
        struct app_decode_config dc = APP_DECODE_CONFIG_DEFAULT;
        dc.helpers = 1;
        int rc = app_decode_pool_new(&dc, &o->own_pool, ie);
        o->pool = o->own_pool;
        return rc;
}

/* Probe a customer photo in a decode helper (the kiosk's pool, else one of
 * our own started now). The file's SHA-256 is computed here, never taken
 * from the helper. Only a file that came from the store (`from_store`: a
 * spool copy that was probed when it went in) may still be probed in this
 * process, and only when no helper can be started at all. */
static int probe_photo(struct app_orders *o, const char *path, bool from_store,
                       struct img_probe *ret, struct img_errbuf *ie)
{
        int rc = need_pool(o, ie);
        if (rc == APP_DECODE_E_SPAWN && from_store)
                return img_probe_file(path, 0, ret, ie);
        if (rc < 0)
                return rc;
        /* Opened as img_probe_file would (a technician may name a symlink);
         * the helper gets the descriptor, never the path. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return img_fail(ie, IMG_E_UNREADABLE, "cannot open: %s", strerror(errno));
        rc = app_decode_probe_fd(o->pool, fd, IMG_PROBE_NO_HASH, ret, ie);
        close(fd);
        if (rc == APP_DECODE_E_SPAWN && from_store)
                return img_probe_file(path, 0, ret, ie);
        if (rc == 0)
                rc = img_sha256_file(path, img_get_limits()->max_file_bytes, ret->sha256, ie);
        return rc;
}

static bool readable(const char *path)
{
        return path && path[0] && access(path, R_OK) == 0;
}

struct app_orders *app_orders_free(struct app_orders *o)
{
        if (!o)
                return NULL;
        drv_printer_free(o->printer);
        app_decode_pool_free(o->own_pool);
        app_prices_free(o->prices);
        img_manifest_free(o->manifest);
        img_catalogue_free(o->catalogue);
        store_close(o->store);
        /* libvips stays up: it cannot restart in a process, and the kiosk core
         * or the staff desk may still use it. The process owner shuts it down
         * (printkioskctl's main, tests). */
        free(o);
        return NULL;
}

int app_orders_open(const char *data_dir, const char *config_path, struct app_orders **ret,
                    struct app_order_errbuf *err)
{
        if (!data_dir || !data_dir[0] || !ret || strlen(data_dir) > 300)
                return app_order_fail(err, APP_ORDER_E_INVALID, "no data folder");
        struct app_orders *o = calloc(1, sizeof *o);
        if (!o)
                return app_order_fail(err, APP_ORDER_E_STORE, "out of memory");
        int rc;
        struct store_errbuf se = {{0}};
        struct img_errbuf ie = {{0}};
        struct app_config_report rep = {.n_issues = 0};
        const char *cat = NULL;

        app_config_defaults(&o->cfg);
        if (config_path && app_config_load(config_path, &o->cfg, &rep) < 0) {
                rc = app_order_fail(err, APP_ORDER_E_CONFIG, "config: line %d: %s %s",
                                    rep.n_issues ? rep.issues[0].line : 0,
                                    rep.n_issues ? rep.issues[0].key : "",
                                    rep.n_issues ? rep.issues[0].message : "unreadable");
                goto fail;
        }
        snprintf(o->data_dir, sizeof o->data_dir, "%s", data_dir);
        snprintf(o->spool_dir, sizeof o->spool_dir, "%s/spool", data_dir);
        rc = sync_fs_mkdir_p(o->spool_dir, 0700, &se);
        if (rc < 0) {
                rc = store_err(err, "data folder", rc, &se);
                goto fail;
        }
        rc = store_open(o->data_dir, &o->store, &se);
        if (rc < 0) {
                rc = store_err(err, "opening store", rc, &se);
                goto fail;
        }
        /* A configured kiosk stamps its identity on the orders it locks
         * (store_order_json reads the "kiosk_id"/"store_id" settings). */
        if (config_path) {
                rc = store_kv_set(o->store, STORE_KV_SETTINGS, "kiosk_id", o->cfg.kiosk_id, &se);
                if (rc == 0 && o->cfg.store_id[0])
                        rc = store_kv_set(o->store, STORE_KV_SETTINGS, "store_id", o->cfg.store_id,
                                          &se);
                if (rc < 0) {
                        rc = store_err(err, "kiosk identity", rc, &se);
                        goto fail;
                }
        }
        /* Shipped data: the configured share dir when installed, else the tree. */
        cat = readable(o->cfg.catalogue) ? o->cfg.catalogue : app_default_catalogue();
        rc = img_catalogue_load(cat, &o->catalogue, &ie);
        if (rc < 0) {
                rc = app_order_fail(err, APP_ORDER_E_CONFIG, "catalogue: %s", ie.msg);
                goto fail;
        }
        snprintf(o->profiles_dir, sizeof o->profiles_dir, "%s/profiles", o->cfg.share_dir);
        {
                char probe_path[700];
                snprintf(probe_path, sizeof probe_path, "%s/manifest.ini", o->profiles_dir);
                if (!readable(probe_path))
                        snprintf(o->profiles_dir, sizeof o->profiles_dir, "%s",
                                 app_default_profiles_dir());
        }
        rc = img_manifest_load(o->profiles_dir, &o->manifest, &ie);
        if (rc < 0) {
                rc = app_order_fail(err, APP_ORDER_E_CONFIG, "paper manifest: %s", ie.msg);
                goto fail;
        }
        if (readable(o->cfg.price_list))
                snprintf(o->prices_path, sizeof o->prices_path, "%s", o->cfg.price_list);
        else
                snprintf(o->prices_path, sizeof o->prices_path, "%s", app_default_prices());
        *ret = o;
        return 0;
fail:
        app_orders_free(o);
        return rc;
}

struct store *app_orders_store(struct app_orders *o)
{
        return o ? o->store : NULL;
}

const struct img_catalogue *app_orders_catalogue(const struct app_orders *o)
{
        return o ? o->catalogue : NULL;
}

const char *app_orders_profiles_dir(const struct app_orders *o)
{
        return o->profiles_dir;
}

int app_orders_set_price_list(struct app_orders *o, const char *path, struct app_order_errbuf *err)
{
        if (!path || !path[0] || strlen(path) >= sizeof o->prices_path)
                return app_order_fail(err, APP_ORDER_E_INVALID, "price list path");
        o->prices = app_prices_free(o->prices);
        snprintf(o->prices_path, sizeof o->prices_path, "%s", path);
        return 0;
}

static int load_prices(struct app_orders *o, struct app_order_errbuf *err);

int app_orders_prices(struct app_orders *o, const struct app_prices **ret,
                      struct app_order_errbuf *err)
{
        int rc = load_prices(o, err);
        if (rc == 0)
                *ret = o->prices;
        return rc;
}

static const char *printer_model(const struct app_orders *o);

int app_orders_paper(const struct app_orders *o, const char *paper, struct img_paper *ret,
                     struct app_order_errbuf *err)
{
        struct img_errbuf ie = {{0}};
        if (img_paper_lookup(o->manifest, printer_model(o), paper, ret, &ie) < 0)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "paper %s: %s", paper, ie.msg);
        return 0;
}

const char *app_orders_default_queue(const struct app_orders *o)
{
        for (int i = 0; o && i < o->cfg.n_printers; i++)
                if (!o->cfg.printers[i].receipt && o->cfg.printers[i].queue[0])
                        return o->cfg.printers[i].queue;
        return NULL;
}

int app_orders_print_ctx(struct app_orders *o, const char *actor, struct app_print_ctx *ret,
                         struct app_order_errbuf *err)
{
        if (!o->printer) {
                struct drv_errbuf de = {{0}};
                int rc = drv_printer_cups_new(NULL, &o->printer, &de);
                if (rc < 0)
                        return app_order_fail(err, APP_ORDER_E_PRINTER, "CUPS: %s: %s",
                                              drv_strerror(rc), de.msg);
        }
        *ret = (struct app_print_ctx){
                .store = o->store,
                .printer = o->printer,
                .catalogue = o->catalogue,
                .actor = actor,
                .colour = DRV_COLOUR_AUTO,
        };
        return 0;
}

static int load_prices(struct app_orders *o, struct app_order_errbuf *err)
{
        if (o->prices)
                return 0;
        struct app_prices_error pe = {.line = 0};
        if (app_prices_load(o->prices_path, &o->prices, &pe) < 0)
                return app_order_fail(err, APP_ORDER_E_CONFIG, "price list: line %d: %s",
                                      pe.line, pe.message);
        return 0;
}

static void start_images(struct app_orders *o)
{
        if (!o->img_started) {
                img_init(NULL, NULL);
                o->img_started = true;
        }
}

static const char *content_type_of(enum img_format f, const char **ret_ext)
{
        switch (f) {
        case IMG_FMT_JPEG: *ret_ext = ".jpg"; return "image/jpeg";
        case IMG_FMT_PNG: *ret_ext = ".png"; return "image/png";
        case IMG_FMT_HEIF: *ret_ext = ".heic"; return "image/heif";
        case IMG_FMT_WEBP: *ret_ext = ".webp"; return "image/webp";
        case IMG_FMT_TIFF: *ret_ext = ".tif"; return "image/tiff";
        default: *ret_ext = ""; return "application/octet-stream";
        }
}

/* The paper profile for the configured printer model (default entry when
 * none is configured). */
static const char *printer_model(const struct app_orders *o)
{
        for (int i = 0; i < o->cfg.n_printers; i++)
                if (!o->cfg.printers[i].receipt && o->cfg.printers[i].model[0])
                        return o->cfg.printers[i].model;
        return NULL;
}

/* Render one item's master into the spool and record it. */
static int render_item(struct app_orders *o, const struct store_item *it,
                       struct app_order_errbuf *err)
{
        struct store_errbuf se = {{0}};
        struct img_errbuf ie = {{0}};
        struct store_asset photo;
        struct img_probe probe;
        struct img_paper paper;
        struct img_render_spec *spec = NULL;
        struct img_render_result res;
        struct img_rect crop = {it->crop_x, it->crop_y, it->crop_w, it->crop_h};
        char tmp_path[700], final_name[80], final_path[700];
        struct store_asset m;
        json_t *rec = NULL;
        char *rec_text = NULL;
        int rc;

        const struct img_product *prod = img_catalogue_find(o->catalogue, it->sku);
        if (!prod)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no product %s", it->sku);
        rc = store_asset_get(o->store, it->asset_sha256, &photo, &se);
        if (rc < 0)
                return store_err(err, "photo asset", rc, &se);
        rc = probe_photo(o, photo.path, true, &probe, &ie);
        if (rc < 0)
                return app_order_fail(err, APP_ORDER_E_RENDER, "item %s: photo: %s", it->id,
                                      app_decode_strerror(rc));
        rc = img_paper_lookup(o->manifest, printer_model(o), it->paper, &paper, &ie);
        if (rc < 0)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "paper %s: %s", it->paper,
                                      ie.msg);
        spec = calloc(1, sizeof *spec); /* ~20 KB of paths: keep it off the stack */
        if (!spec)
                return app_order_fail(err, APP_ORDER_E_RENDER, "out of memory");
        rc = img_render_spec_init_from(photo.path, &probe, prod, &paper, printer_model(o),
                                       it->rotate, &crop, IMG_OUT_PNG, o->profiles_dir, spec,
                                       NULL, &ie);
        if (rc < 0) {
                rc = app_order_fail(err, APP_ORDER_E_RENDER, "item %s: spec: %s", it->id, ie.msg);
                goto out;
        }
        snprintf(tmp_path, sizeof tmp_path, "%s/render-%s.png", o->spool_dir, it->id);
        /* In the sandboxed helper: the spool copy is still the customer's
         * bytes (app/render_sandbox.h). */
        rc = app_render_master_sandboxed(spec, tmp_path, 0, &res, &ie);
        if (rc < 0) {
                rc = app_order_fail(err, APP_ORDER_E_RENDER, "item %s: render: %s: %s", it->id,
                                    img_strerror(rc), ie.msg);
                goto out;
        }
        /* Content-addressed final name; the rename is made durable by the
         * directory fsync before the store refers to it. */
        snprintf(final_name, sizeof final_name, "%s.png", res.sha256);
        snprintf(final_path, sizeof final_path, "%s/%s", o->spool_dir, final_name);
        if (rename(tmp_path, final_path) < 0) {
                rc = app_order_fail(err, APP_ORDER_E_RENDER, "item %s: rename master: %s",
                                    it->id, strerror(errno));
                unlink(tmp_path);
                goto out;
        }
        rc = sync_fs_fsync_dir(o->spool_dir, &se);
        if (rc < 0) {
                rc = store_err(err, "spool fsync", rc, &se);
                goto out;
        }
        memset(&m, 0, sizeof m);
        m.size = (int64_t)res.bytes;
        m.kind = STORE_ASSET_MASTER;
        snprintf(m.sha256, sizeof m.sha256, "%s", res.sha256);
        if ((size_t)snprintf(m.path, sizeof m.path, "%s", final_path) >= sizeof m.path) {
                rc = app_order_fail(err, APP_ORDER_E_INVALID, "data folder path too long");
                goto out;
        }
        snprintf(m.content_type, sizeof m.content_type, "image/png");
        rec = app_record_from_spec(spec, &res);
        rec_text = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (!rec_text) {
                rc = app_order_fail(err, APP_ORDER_E_RENDER, "transform record");
                goto out;
        }
        rc = store_tx_begin(o->store, &se);
        if (rc == 0)
                rc = store_asset_put(o->store, &m, &se);
        if (rc == 0)
                rc = store_item_set_master(o->store, it->id, res.sha256, rec_text, &se);
        if (rc == 0)
                rc = store_tx_commit(o->store, &se);
        else
                store_tx_rollback(o->store);
        if (rc < 0)
                rc = store_err(err, "recording master", rc, &se);
out:
        free(rec_text);
        json_decref(rec);
        free(spec);
        return rc;
}

static int render_order(struct app_orders *o, const char *order_id,
                        void (*progress)(void *, const char *, int, int), void *user,
                        struct app_order_errbuf *err)
{
        struct store_order *ord = NULL;
        struct store_errbuf se = {{0}};
        int rc = store_order_get(o->store, order_id, &ord, &se);
        if (rc < 0)
                return rc == STORE_E_NOT_FOUND
                               ? app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no order %s", order_id)
                               : store_err(err, "reading order", rc, &se);
        if (ord->state != ORDER_LOCKED && ord->state != ORDER_RENDERING) {
                store_order_free(ord);
                return 0;
        }
        start_images(o);
        if (ord->state == ORDER_LOCKED) {
                rc = store_order_transition(o->store, order_id, ORDER_RENDERING, "system", NULL,
                                            &se);
                if (rc < 0) {
                        rc = store_err(err, "locked -> rendering", rc, &se);
                        goto out;
                }
        }
        for (size_t i = 0; i < ord->n_items; i++) {
                if (ord->items[i].master_sha256[0])
                        continue; /* rendered before a crash */
                rc = render_item(o, &ord->items[i], err);
                if (rc < 0)
                        goto out;
                if (progress)
                        progress(user, "render", (int)i + 1, (int)ord->n_items);
        }
        rc = store_order_transition(o->store, order_id, ORDER_QUEUED, "system", NULL, &se);
        if (rc < 0)
                rc = store_err(err, "rendering -> queued", rc, &se);
out:
        store_order_free(ord);
        return rc;
}

int app_order_render(struct app_orders *o, const char *order_id, struct app_order_errbuf *err)
{
        return render_order(o, order_id, NULL, NULL, err);
}

int app_order_create(struct app_orders *o, const struct app_order_request *req,
                     struct app_order_created *ret, size_t *ret_bad_file,
                     const char **ret_reason, struct app_order_errbuf *err)
{
        if (!o || !req || !req->sku || !req->paper || !req->files || req->n_files == 0 ||
            req->n_files > APP_ORDER_MAX_FILES ||
            (!req->choices && (req->quantity < 1 || req->quantity > APP_ORDER_MAX_QTY)))
                return app_order_fail(err, APP_ORDER_E_INVALID,
                                      "need a SKU, a paper, 1..%d files and --qty 1..%d",
                                      APP_ORDER_MAX_FILES, APP_ORDER_MAX_QTY);
        const struct img_product *prod = img_catalogue_find(o->catalogue, req->sku);
        if (!prod)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "unknown SKU %s", req->sku);
        struct img_errbuf ie = {{0}};
        struct img_paper paper;
        if (img_paper_lookup(o->manifest, printer_model(o), req->paper, &paper, &ie) < 0)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "unknown paper %s: %s",
                                      req->paper, ie.msg);
        int rc = load_prices(o, err);
        if (rc < 0)
                return rc;
        int64_t unit = 0;
        if (app_prices_lookup(o->prices, req->sku, req->paper, &unit) < 0)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no price for %s on %s",
                                      req->sku, req->paper);
        start_images(o);

        /* 1. Probe everything first: a rejected photo creates nothing. */
        struct img_probe *probes = calloc(req->n_files, sizeof *probes);
        struct img_rect *crops = calloc(req->n_files, sizeof *crops);
        char (*shas)[STORE_SHA256_SIZE] = calloc(req->n_files, sizeof *shas);
        struct img_render_spec *spec = calloc(1, sizeof *spec);
        char order_id[STORE_ID_SIZE] = "", code[STORE_CODE_SIZE] = "", session[STORE_ID_SIZE];
        struct store_errbuf se = {{0}};
        struct app_prices_error pe = {.line = 0};
        struct store_price_list pl;
        (void)pe;
        if (!probes || !crops || !shas || !spec) {
                rc = app_order_fail(err, APP_ORDER_E_STORE, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < req->n_files; i++) {
                rc = probe_photo(o, req->files[i], false, &probes[i], &ie);
                if (rc < 0 && !app_decode_error_is_photo(rc)) {
                        rc = app_order_fail(err, APP_ORDER_E_RENDER, "file %zu: %s", i + 1,
                                            ie.msg);
                        goto out;
                }
                if (rc < 0) {
                        if (ret_bad_file)
                                *ret_bad_file = i;
                        if (ret_reason)
                                *ret_reason = app_decode_strerror(rc);
                        rc = app_order_fail(err, APP_ORDER_E_REJECTED, "file %zu: %s", i + 1,
                                            app_decode_strerror(rc));
                        goto out;
                }
                /* The default crop: centred cover crop for the product; a
                 * customer's zoom and centre shrink and move it inside the photo. */
                const struct app_order_item_choice *ch = req->choices ? &req->choices[i] : NULL;
                if (ch && (ch->quantity < 1 || ch->quantity > APP_ORDER_MAX_QTY ||
                           (ch->rotate != 0 && ch->rotate != 90 && ch->rotate != 180 &&
                            ch->rotate != 270) || !(ch->zoom >= 1 && ch->zoom <= 8) ||
                           !(ch->centre_x >= 0 && ch->centre_x <= 1) ||
                           !(ch->centre_y >= 0 && ch->centre_y <= 1))) {
                        rc = app_order_fail(err, APP_ORDER_E_INVALID, "photo %zu: bad choice",
                                            i + 1);
                        goto out;
                }
                struct img_crop c;
                rc = img_render_spec_init_from(req->files[i], &probes[i], prod, &paper,
                                               printer_model(o), ch ? ch->rotate : 0, NULL,
                                               IMG_OUT_PNG, o->profiles_dir, spec, &c, &ie);
                if (rc < 0) {
                        rc = app_order_fail(err, APP_ORDER_E_RENDER, "file %zu: %s", i + 1,
                                            ie.msg);
                        goto out;
                }
                crops[i] = c.rect;
                if (ch && (ch->zoom > 1 || ch->centre_x != 0.5 || ch->centre_y != 0.5)) {
                        struct img_rect r = c.rect;
                        r.w /= ch->zoom;
                        r.h /= ch->zoom;
                        r.x = ch->centre_x - r.w / 2;
                        r.y = ch->centre_y - r.h / 2;
                        r.x = r.x < 0 ? 0 : (r.x > 1 - r.w ? 1 - r.w : r.x);
                        r.y = r.y < 0 ? 0 : (r.y > 1 - r.h ? 1 - r.h : r.y);
                        crops[i] = r;
                }
        }

        /* 2. Copy each photo durably into the spool, then record it. A photo
         * (JPEG, PNG, WebP, HEIF) goes in without its GPS, owner/serial tags,
         * comments, XMP and IPTC (app/strip_metadata, no re-encoding:
         * orientation, ICC and pixels stay, so the master is the same): the
         * spool copy is the asset the sync worker uploads, and the contract's
         * sha256 is of these bytes. A photo the stripper refuses is refused
         * here rather than sent whole. */
        for (size_t i = 0; i < req->n_files; i++) {
                const char *ext = "";
                const char *ctype = content_type_of(probes[i].format, &ext);
                char *path = NULL;
                int64_t size = 0;
                const char *src = req->files[i];
                char stripped[700] = "";
                if (app_strip_supports(probes[i].format)) {
                        static int strip_seq;
                        snprintf(stripped, sizeof stripped, "%s/.strip-%ld-%d.jpg", o->spool_dir,
                                 (long)getpid(), __atomic_add_fetch(&strip_seq, 1, __ATOMIC_RELAXED));
                        /* Parsed in a decode helper, like the probe: it
                         * writes the stripped bytes into a temp file we
                         * create and fsync/rename (app_decode_strip_file); a
                         * crash or timeout costs this photo and leaves no
                         * file. Step 1 got the photo probed, so a pool is
                         * up: no in-process path here. */
                        rc = need_pool(o, &ie);
                        if (rc == 0)
                                rc = app_decode_strip_file(o->pool, src, stripped, APP_STRIP_PRIVATE,
                                                           NULL, &ie);
                        if (rc < 0 && !app_decode_error_is_photo(rc)) {
                                rc = app_order_fail(err, APP_ORDER_E_STORE, "file %zu: metadata: %s",
                                                    i + 1, ie.msg);
                                goto out;
                        }
                        if (rc < 0) {
                                if (ret_bad_file)
                                        *ret_bad_file = i;
                                if (ret_reason)
                                        *ret_reason = app_decode_strerror(rc);
                                rc = app_order_fail(err, APP_ORDER_E_REJECTED,
                                                    "file %zu: metadata: %s", i + 1,
                                                    app_decode_strerror(rc));
                                goto out;
                        }
                        src = stripped;
                }
                rc = sync_fs_store_file(o->spool_dir, src, ext, shas[i], &path, &size, &se);
                if (stripped[0])
                        unlink(stripped);
                if (rc < 0) {
                        rc = store_err(err, "copying photo into the spool", rc, &se);
                        goto out;
                }
                struct store_asset a = {.size = size, .kind = STORE_ASSET_PHOTO};
                snprintf(a.sha256, sizeof a.sha256, "%s", shas[i]);
                snprintf(a.path, sizeof a.path, "%s", path);
                snprintf(a.content_type, sizeof a.content_type, "%s", ctype);
                free(path);
                rc = store_asset_put(o->store, &a, &se);
                if (rc < 0) {
                        rc = store_err(err, "recording photo", rc, &se);
                        goto out;
                }
                if (req->progress)
                        req->progress(req->progress_user, "copy", (int)i + 1, (int)req->n_files);
        }

        /* 3. A draft order with one item per photo, then lock it (priced, audit
         * and "order" outbox row in one transaction). */
        rc = store_session_begin(o->store, session, &se);
        if (rc == 0)
                rc = store_order_create(o->store, session, order_id, code, &se);
        if (rc < 0) {
                rc = store_err(err, "creating order", rc, &se);
                goto out;
        }
        for (size_t i = 0; i < req->n_files; i++) {
                struct store_item_spec is = {
                        .asset_sha256 = shas[i],
                        .sku = req->sku,
                        .paper = req->paper,
                        .quantity = req->choices ? req->choices[i].quantity : req->quantity,
                        .crop_x = crops[i].x,
                        .crop_y = crops[i].y,
                        .crop_w = crops[i].w,
                        .crop_h = crops[i].h,
                        .rotate = req->choices ? req->choices[i].rotate : 0,
                        .border = !prod->borderless,
                };
                char item_id[STORE_ID_SIZE];
                rc = store_order_add_item(o->store, order_id, &is, item_id, &se);
                if (rc < 0) {
                        rc = store_err(err, "adding item", rc, &se);
                        goto out;
                }
        }
        app_prices_store_list(o->prices, &pl);
        rc = store_order_lock(o->store, order_id, &pl, "customer", &se);
        if (rc < 0) {
                rc = store_err(err, "locking order", rc, &se);
                goto out;
        }
        store_session_end(o->store, session, "ended", NULL);
        app_test_crash_point("after-lock");

        /* 4. Masters, then queued. */
        rc = render_order(o, order_id, req->progress, req->progress_user, err);
        if (rc < 0)
                goto out;
        if (ret) {
                snprintf(ret->order_id, sizeof ret->order_id, "%s", order_id);
                snprintf(ret->code, sizeof ret->code, "%s", code);
                ret->state = ORDER_QUEUED;
        }
out:
        free(spec);
        free(shas);
        free(crops);
        free(probes);
        return rc;
}

int app_order_find(struct app_orders *o, const char *code_or_id, struct store_order **ret,
                   struct app_order_errbuf *err)
{
        struct store_errbuf se = {{0}};
        if (!code_or_id || !code_or_id[0] || strlen(code_or_id) > 64)
                return app_order_fail(err, APP_ORDER_E_INVALID, "no order code");
        int rc = store_order_get_by_code(o->store, code_or_id, ret, &se);
        if (rc == STORE_E_NOT_FOUND || rc == STORE_E_INVALID)
                rc = store_order_get(o->store, code_or_id, ret, &se);
        if (rc == STORE_E_NOT_FOUND || rc == STORE_E_INVALID)
                return app_order_fail(err, APP_ORDER_E_NOT_FOUND, "no order %s", code_or_id);
        if (rc < 0)
                return store_err(err, "reading order", rc, &se);
        return 0;
}
