/* app/orders: the order flow the CLI (and later the kiosk core) drives, from
 * photo files to a queued order with durable print masters.
 *
 *   files --probe--> spool (<data>/spool/<sha256>.<ext>, durable) --> assets
 *   --> draft order + items (centred cover crop, rotate 0) --> locked (priced,
 *   "order" outbox row) --> rendering --> masters (<data>/spool/<sha256>.png,
 *   durable, transform record JSON on the item) --> queued
 *
 * Invariants:
 *   - Every file is probed before anything is written: a rejected file creates
 *     nothing (no spool file, no order).
 *   - The store refers to a file only after it is durable (sync/fsutil,
 *     image/render write temp + fsync + rename + fsync dir).
 *   - Rendering is resumable: app_order_render() renders only the items that
 *     have no master yet, so an order left in locked/rendering by a crash is
 *     finished by the next call (`print` calls it).
 *   - An app_orders handle is used by one thread at a time.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "app/order_error.h"
#include "app/prices.h"
#include "app/print_queue.h"
#include "image/paper.h"
#include "sync/store.h"

#define APP_ORDER_MAX_FILES 100  /* photos per `order create` */
#define APP_ORDER_MAX_QTY 99     /* prints of one photo: the driver's copies limit */

struct app_orders;

/* Open the store (<data_dir>/kiosk.db, folder created 0700 if missing), the spool
 * (<data_dir>/spool), the configuration (config_path may be NULL: defaults),
 * the catalogue and the paper manifest. The price list and the printer are
 * opened when first needed. (transfer full) */
int app_orders_open(const char *data_dir, const char *config_path, struct app_orders **ret,
                    struct app_order_errbuf *err);
/* Accepts NULL; returns NULL. */
struct app_orders *app_orders_free(struct app_orders *o);

/* Borrowed handles (valid while o lives). */
struct store *app_orders_store(struct app_orders *o);
/* A print context on the CUPS server from CUPS_SERVER (libcups default
 * otherwise), connected lazily. actor: audit actor ("technician"). */
int app_orders_print_ctx(struct app_orders *o, const char *actor, struct app_print_ctx *ret,
                         struct app_order_errbuf *err);
/* The catalogue (immutable, shareable between threads while o lives). */
const struct img_catalogue *app_orders_catalogue(const struct app_orders *o);
/* Use PATH as the price list instead of the configured one (before the first
 * order). */
int app_orders_set_price_list(struct app_orders *o, const char *path, struct app_order_errbuf *err);
/* The price list, loaded on first use. (transfer none: valid while o lives) */
int app_orders_prices(struct app_orders *o, const struct app_prices **ret,
                      struct app_order_errbuf *err);
/* Paper for the configured printer model (profile hashed: reads a file). */
int app_orders_paper(const struct app_orders *o, const char *paper, struct img_paper *ret,
                     struct app_order_errbuf *err);
/* Folder of the ICC profiles (sRGB.icc for previews). */
const char *app_orders_profiles_dir(const struct app_orders *o);

/* Customer photos (the files of app_order_create, the spool copies that
 * render_item reads) are probed in a sandboxed decode helper, never in this
 * process. The kiosk hands over its pool (borrowed: it must outlive o, or be
 * unset with NULL first); without one, o starts a one-helper pool of its own
 * the first time it needs it (printkioskctl). */
struct app_decode_pool;
void app_orders_set_decode_pool(struct app_orders *o, struct app_decode_pool *pool);

/* The first configured queue ([printer X] queue), or NULL. */
const char *app_orders_default_queue(const struct app_orders *o);

/* What the customer chose for one photo (the kiosk's edit screen). */
struct app_order_item_choice {
        int quantity;               /* 1..APP_ORDER_MAX_QTY */
        int rotate;                 /* 0, 90, 180, 270 */
        double centre_x, centre_y;  /* crop centre, 0..1 of the rotated photo */
        double zoom;                /* 1 = the largest frame of the print aspect, ..8 */
};

struct app_order_request {
        const char *sku;            /* catalogue SKU, "PRINT-6X4" */
        const char *paper;          /* manifest paper, "glossy" */
        int quantity;               /* prints of each file, 1..APP_ORDER_MAX_QTY
                                       (ignored when choices is set) */
        const char *const *files;   /* photo paths */
        size_t n_files;             /* 1..APP_ORDER_MAX_FILES */
        /* Optional, n_files entries: per-photo quantity, rotation and crop.
         * NULL: `quantity` of each, centred cover crop, rotate 0 (the CLI). */
        const struct app_order_item_choice *choices;
        /* Optional: called on the calling thread after each stage ("copy",
         * "render") with done/total, e.g. to post progress on the kiosk's bus. */
        void (*progress)(void *user, const char *stage, int done, int total);
        void *progress_user;
};

struct app_order_created {
        char order_id[STORE_ID_SIZE];
        char code[STORE_CODE_SIZE];
        enum order_state state;
};

/* Create a locked order as if a customer had confirmed it, render its masters,
 * and leave it queued. A rejected photo: APP_ORDER_E_REJECTED, *ret_bad_file =
 * its index and *ret_reason = img_strerror keyword (static), nothing created.
 * Other errors: APP_ORDER_E_INVALID / APP_ORDER_E_NOT_FOUND (unknown SKU or
 * paper, no price), APP_ORDER_E_STORE, APP_ORDER_E_RENDER (the order is then
 * left locked/rendering and app_order_render() can finish it). */
int app_order_create(struct app_orders *o, const struct app_order_request *req,
                     struct app_order_created *ret, size_t *ret_bad_file,
                     const char **ret_reason, struct app_order_errbuf *err);

/* Render the masters of a locked or rendering order that has none yet, then
 * move it to queued. Orders in other states: 0, nothing done. */
int app_order_render(struct app_orders *o, const char *order_id, struct app_order_errbuf *err);

/* Find an order by pickup code (case-insensitive, dash optional) or by id.
 * (transfer full: store_order_free) */
int app_order_find(struct app_orders *o, const char *code_or_id, struct store_order **ret,
                   struct app_order_errbuf *err);
