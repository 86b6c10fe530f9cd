/* app/kiosk: the core the UI drives, like an mpv client: commands in, events
 * out (on the app/bus), no core state visible. The UI reads snapshots through
 * getters that copy under the core's lock.
 *
 * Commands never block on disk, network or printers: folder walks, thumbnails
 * and PIN checks run on the core's threads and report through the bus. The
 * photo source is an app/ingest session (its walker, APP_KIOSK_WORKERS
 * thumbnailers whose decoding runs in app/decode_pool's sandboxed helpers),
 * plus the core's own APP_KIOSK_WORKERS workers (previews, PINs, thumbnails
 * read back from the session folder), a copier thread (copy-on-select,
 * resume after a pull-out) and the drivers/volume watcher.
 *
 * Products are the catalogue (image/catalogue, assets/catalogue.ini) priced by
 * the price list (app/prices, assets/prices.ini): a product is offered on the
 * papers the price list names for it. Soft proofs (image/proof) and the paper
 * profiles come through app/orders; orders need a data folder (sync/store via
 * app/orders) and "print now" a CUPS queue (app/print_queue). A command whose
 * part is missing returns APP_KIOSK_E_UNAVAILABLE and does nothing: no fake
 * success, no fake orders.
 *
 * Orders run on the core's order thread (one order at a time): photos are
 * copied durably into the spool, the order is locked and its masters rendered
 * (APP_MSG_PRINT_PROGRESS with generation APP_KIOSK_STAGE_PREPARE), then
 * APP_MSG_ORDER_PLACED carries the pickup code. For "print now" the order is
 * submitted to CUPS and polled every APP_PRINT_POLL_MS: APP_MSG_PRINT_PROGRESS
 * (generation APP_KIOSK_STAGE_PRINT, done/total items completed) and, at the
 * end, generation APP_KIOSK_STAGE_DONE; APP_MSG_PRINTER_PROBLEM (keyword
 * "printer-needs-staff") when the printer stops: the order stays in the store
 * for staff. APP_MSG_ERROR (code, keyword) when the order could not be placed.
 *
 * Threads: every app_kiosk_* function is called from one thread (the UI's);
 * internally `state_lock` protects the photo list, selections, product choice
 * and session; `job_lock` protects the thumbnail queue.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/bus.h"

struct app_kiosk;

enum app_kiosk_error {
        APP_KIOSK_OK = 0,
        APP_KIOSK_E_INVALID = -1,     /* bad argument */
        APP_KIOSK_E_UNAVAILABLE = -2, /* the module this needs is not built in yet */
        APP_KIOSK_E_NOMEM = -3,
        APP_KIOSK_E_IO = -4,          /* a file or folder could not be read */
        APP_KIOSK_E_STATE = -5,       /* not allowed now (no session, nothing selected) */
        APP_KIOSK_E_NOT_FOUND = -6,   /* unknown photo index, SKU or paper */
        _APP_KIOSK_E_MIN = -7,
};
/* Stable keyword ("unavailable", ...): the UI translates by keyword. */
const char *app_kiosk_strerror(int err);

enum app_kiosk_feature {
        APP_KIOSK_HAS_THUMBS = 0,  /* image/thumb */
        APP_KIOSK_HAS_PROBE,       /* image/probe: dates, sizes before thumbnails */
        APP_KIOSK_HAS_PREVIEW,     /* image/proof soft proofs */
        APP_KIOSK_HAS_ORDERS,      /* sync/store */
        APP_KIOSK_HAS_PRINTER,     /* drivers/printer */
        APP_KIOSK_HAS_PRICES,      /* a price list was loaded */
        _APP_KIOSK_HAS_MAX,
};

#define APP_KIOSK_WORKERS 2         /* thumbnail threads: the 2 cores (DESIGN.md) */
#define APP_KIOSK_MAX_PHOTOS 20000  /* per session: bounds memory of the list */
#define APP_KIOSK_PUBLISH_HOLD_MS 1000 /* a walk ending within this of its first photo shows its photos
                                         all at once, newest first; a longer one shows
                                         what it found so far, then adds batches */
#define APP_KIOSK_PUBLISH_EVERY_MS 500  /* batch interval after the hold */
#define APP_KIOSK_COPY_QUEUE 256    /* selected photos waiting for the background copier */
#define APP_KIOSK_MAX_PRODUCTS 16
#define APP_KIOSK_MAX_PAPERS 4
#define APP_KIOSK_MAX_REQUEST 512   /* thumbnails per request */
#define APP_KIOSK_MAX_QTY 99
#define APP_KIOSK_PREVIEW_W 960     /* soft-proof fit box */
#define APP_KIOSK_PREVIEW_H 720
#define APP_KIOSK_MAX_PREVIEWS 64   /* queued preview requests */
#define APP_KIOSK_PRINT_TIMEOUT_MS (10 * 60 * 1000) /* the order thread stops polling */

/* msg.generation of APP_MSG_PRINT_PROGRESS */
enum app_kiosk_stage {
        APP_KIOSK_STAGE_PREPARE = 1, /* photos copied + masters rendered: done/total steps */
        APP_KIOSK_STAGE_PRINT = 2,   /* items whose CUPS job completed / items */
        APP_KIOSK_STAGE_DONE = 3,    /* every item printed */
};
/* Grid thumbnails, longest side: the grid draws square cells of 320 dp
 * (~370 px at 1080p, wider in portrait) cropped to cover, so a 3:2 photo's
 * short side must be near that; 256 was upscaled 2.2x and looked soft. 448
 * keeps JPEG shrink-on-load (and the progressive DC path) at 1/8 for photos
 * from 3584 px wide, i.e. every 12 MP+ camera. */
#define APP_KIOSK_THUMB_SIZE 448
#define APP_KIOSK_LOW_RES_DPI 150   /* below this the print looks soft: badge + warning */

struct app_kiosk_config {
        const char *data_dir;       /* store (kiosk.db) and spool; NULL: no orders */
        const char *config_path;    /* printkiosk.conf (app/config.h); NULL: defaults */
        const char *prices_path;    /* price list (app/prices.h, assets/prices.ini); NULL: the
                                       configured one, else the tree's assets/prices.ini */
        const char *printer_queue;  /* CUPS queue for "print now"; NULL: the configured one.
                                       The CUPS server comes from CUPS_SERVER. */
        const char *staff_pin_path; /* Argon2id hash file (app/staff_pin.h); NULL: no staff PIN */
        int64_t session_timeout_ms; /* 0: 120 s */
        int64_t session_warning_ms; /* 0: 20 s */
        int thumb_size;             /* longest side, 0: APP_KIOSK_THUMB_SIZE */
        const char *session_dir;    /* parent of the per-source session folders
                                       (thumbnails + spool, wiped at session end);
                                       NULL: <data_dir>/sessions, else
                                       $TMPDIR/printkiosk-sessions-<uid> */
        bool decode_in_process;     /* tests/benchmarks only: decode customer photos
                                       in this process instead of the sandboxed
                                       printkiosk-decode helpers (app/decode_pool) */
        const char *decode_helper;  /* printkiosk-decode path; NULL: app/decode_pool's search */
        int decode_timeout_ms;      /* per photo, 0: app/decode_pool's default (10 s) */
        bool no_volume_watch;       /* do not watch for removable volumes */
        const char *const *volume_roots; /* where sticks are mounted; NULL:
                                       $PK_VOLUME_ROOTS (a:b), else /media, /run/media */
        size_t n_volume_roots;
        bool no_usb_watch;          /* do not watch USB for cameras and phones (also
                                       off with no_volume_watch: tests that want no
                                       host devices set that) */
};

struct app_kiosk *app_kiosk_new(const struct app_kiosk_config *cfg, struct app_bus *bus,
                                char *errbuf, size_t errlen);
/* Stops and joins the threads, frees everything. NULL-safe; returns NULL. */
struct app_kiosk *app_kiosk_free(struct app_kiosk *k);
bool app_kiosk_has(struct app_kiosk *k, enum app_kiosk_feature f);

/* --- session --------------------------------------------------------------- */
/* Start a customer session (ends and wipes any running one). */
int app_kiosk_session_start(struct app_kiosk *k);
/* End now ("start over"): cancels the walk and thumbnail jobs, wipes photos,
 * selections and product choice. Idempotent. */
void app_kiosk_session_end(struct app_kiosk *k);
/* The customer did something: resets the inactivity clock. */
void app_kiosk_activity(struct app_kiosk *k);
/* Call a few times a second: posts APP_MSG_SESSION_WARNING once per second of
 * the countdown and APP_MSG_SESSION_TIMEOUT at the end. It does not wipe
 * (that may take a while): whoever receives APP_MSG_SESSION_TIMEOUT must call
 * app_kiosk_session_end (from any thread, not concurrently with other
 * app_kiosk_* calls of the UI). */
void app_kiosk_tick(struct app_kiosk *k);
bool app_kiosk_session_active(struct app_kiosk *k);

/* --- photo source ---------------------------------------------------------- */
/* Open a folder or mount point as the photo source through app/ingest (safe
 * bounded walk, probes and thumbnails in the sandboxed decode helpers, copy
 * on select into the session spool). Replaces the current photo list (whose
 * session files are wiped). Photos appear newest first (EXIF capture time,
 * else file time), grouped by day (photo.date): all at once when the walk
 * ends within APP_KIOSK_PUBLISH_HOLD_MS of its first photo, otherwise what was found so far,
 * then further batches, each newest first, after the earlier ones (indices
 * never move). Posts APP_MSG_WALK_PROGRESS per batch and APP_MSG_WALK_DONE. */
int app_kiosk_open_folder(struct app_kiosk *k, const char *path);
/* The same for a removable volume: `volume_id` (drivers/volume's id) lets a
 * pulled-out stick resume when it comes back, at any mount point. */
int app_kiosk_open_volume(struct app_kiosk *k, const char *mount_point, const char *volume_id);

/* Volumes: the core watches the mount table (drivers/volume). A stick that
 * arrives posts APP_MSG_SOURCE_ARRIVED; if it is not the open source it is
 * "waiting" until the source screen opens it. The open source's stick being
 * pulled out posts APP_MSG_SOURCE_REMOVED and marks selected photos not yet
 * copied "reinsert" (APP_MSG_PHOTO_STATE each); the same volume coming back
 * resumes: they are copied and the marks cleared. */
struct app_kiosk_volume {
        char label[128];       /* for the screen (from the volume; sanitise before use) */
        char id[192];
        char mount_point[1024];
};
bool app_kiosk_volume_waiting(struct app_kiosk *k, struct app_kiosk_volume *ret);
/* Open the waiting volume (APP_KIOSK_E_STATE when none). */
int app_kiosk_open_waiting_volume(struct app_kiosk *k);
enum app_kiosk_source_state {
        APP_KIOSK_SOURCE_NONE = 0,
        APP_KIOSK_SOURCE_OPEN,
        APP_KIOSK_SOURCE_GONE, /* its stick was pulled out: "reinsert to continue";
                                  its phone unplugged: "reconnect to continue" */
};
enum app_kiosk_source_state app_kiosk_source_state(struct app_kiosk *k);
/* Cameras and phones (PTP/MTP through libgphoto2, app/camera_import): the
 * core watches USB (drivers/usb) and, for a still-image or MTP device, finds
 * libgphoto2's model and port for it. A camera source downloads the photos
 * into the session folder (<session>/camera, 0700, wiped with the session),
 * newest first by the device's file time, and each finished photo joins the
 * grid at once (indices never move: the grid is in download order, which is
 * newest first). Thumbnails, selection and orders work as for a card; a
 * photo on the grid is already on the kiosk, so a pull-out never costs it.
 * `id` identifies the device ("usb:VVVV:PPPP:SERIAL"; tests give their own):
 * the same id coming back resumes the download. */
struct app_kiosk_camera {
        char model[128];
        char port[256];
        char id[192];
};
/* A camera arrived (the USB watcher; tests; ui/script's `camera` command).
 * This and app_kiosk_camera_left may be called from any thread.
 * The open camera source's device back after a disconnect (same id):
 * resumes. Otherwise it is "waiting" until the source screen opens it.
 * Posts APP_MSG_SOURCE_ARRIVED. */
int app_kiosk_camera_arrived(struct app_kiosk *k, const char *model, const char *port,
                             const char *id);
/* The device `id` was unplugged: the open source's transfer stops at once
 * (APP_MSG_SOURCE_REMOVED); a waiting one is forgotten. */
void app_kiosk_camera_left(struct app_kiosk *k, const char *id);
bool app_kiosk_camera_waiting(struct app_kiosk *k, struct app_kiosk_camera *ret);
/* Open the waiting camera (APP_KIOSK_E_STATE when none). */
int app_kiosk_open_waiting_camera(struct app_kiosk *k);
/* Open model@port as the photo source (off the UI thread: returns at once). */
int app_kiosk_open_camera(struct app_kiosk *k, const char *model, const char *port,
                          const char *id);
enum app_kiosk_camera_state {
        APP_KIOSK_CAMERA_NONE = 0,   /* the source is not a camera */
        APP_KIOSK_CAMERA_CONNECTING,
        APP_KIOSK_CAMERA_LOCKED,     /* "unlock it, trust this computer, choose File
                                        transfer": retried every 2 s */
        APP_KIOSK_CAMERA_READING,    /* done of total */
        APP_KIOSK_CAMERA_DONE,
        APP_KIOSK_CAMERA_GONE,       /* unplugged mid-way: "reconnect to continue" */
        APP_KIOSK_CAMERA_FAILED,     /* it cannot be read */
};
#define APP_KIOSK_CAMERA_FIRST_SCREEN 24 /* the source screen shows the download's
                                            progress until this many photos are in */
struct app_kiosk_camera_status {
        enum app_kiosk_camera_state state;
        int done, total, failed;     /* photos downloaded, listed, not downloadable */
};
void app_kiosk_camera_status(struct app_kiosk *k, struct app_kiosk_camera_status *ret);

/* Test source: `count` synthetic photos with generated pixels (for the grid
 * virtualisation test and the benchmark; never used by a customer flow). */
int app_kiosk_open_synthetic(struct app_kiosk *k, int count);
/* Ask for thumbnails of `indices` (the visible cells): drops older queued
 * requests, returns the new generation (> 0) or a negative error. Results come
 * as APP_MSG_THUMB_READY / APP_MSG_THUMB_FAILED with that generation. */
int64_t app_kiosk_request_thumbs(struct app_kiosk *k, const int *indices, int n);

struct app_kiosk_photo {
        char name[64];        /* display name: sanitised, shortened */
        char date[11];        /* "2023-06-01" when known, else "" */
        int width, height;    /* oriented pixels, 0 until known */
        int quantity;         /* 0 = not selected */
        int rotate;           /* 0, 90, 180, 270 */
        double crop_x, crop_y; /* crop centre, 0..1 of the rotated photo */
        double crop_zoom;     /* 1 = largest frame of the product aspect */
        bool borderless;
        bool unreadable;      /* "this photo can't be read": the decoder crashed, hung
                                 or hit a limit on it; it cannot be selected */
        bool copied;          /* in the session spool: safe from a pull-out */
        bool reinsert;        /* selected, not copied, stick pulled out: "reinsert
                                 to continue"; a phone's photo shown by its preview
                                 when the phone was unplugged: "reconnect to continue" */
        bool downloading;     /* a phone's photo shown by the phone's own preview (or
                                 a placeholder) while its file downloads: not
                                 selectable yet; APP_MSG_PHOTO_STATE when it arrived */
};
int app_kiosk_photo_count(struct app_kiosk *k);
/* Changes whenever the photo list is emptied (start over, a new source): a
 * screen holding indices, textures or a layout from an older epoch must drop
 * them, since index i may now be another photo. */
uint64_t app_kiosk_photos_epoch(struct app_kiosk *k);
bool app_kiosk_walk_running(struct app_kiosk *k);
int app_kiosk_photo_get(struct app_kiosk *k, int index, struct app_kiosk_photo *ret);

/* --- selection and edit ---------------------------------------------------- */
int app_kiosk_set_quantity(struct app_kiosk *k, int index, int quantity); /* 0..99 */
int app_kiosk_set_crop(struct app_kiosk *k, int index, double cx, double cy, double zoom,
                       int rotate, bool borderless);
/* Effective print resolution of the photo's crop on the chosen product, in
 * dots per inch; 0 when the photo size or product is not known. */
int app_kiosk_effective_dpi(struct app_kiosk *k, int index);

/* --- products, prices, summary ---------------------------------------------- */
struct app_kiosk_paper {
        char id[32];          /* "glossy" */
        char name[48];        /* English name; the UI translates */
        int64_t price_minor;  /* per print, integer minor units (cents) */
};
struct app_kiosk_product {
        char sku[32];
        char name[48];
        int width_mm, height_mm;
        int n_papers;
        struct app_kiosk_paper papers[APP_KIOSK_MAX_PAPERS];
};
/* Copies up to `max` products; returns how many exist (0 without prices). */
int app_kiosk_products(struct app_kiosk *k, struct app_kiosk_product *ret, int max);
/* ISO 4217 code of the price list ("EUR"), "" without prices. */
void app_kiosk_currency(struct app_kiosk *k, char ret[4]);
int app_kiosk_choose_product(struct app_kiosk *k, const char *sku, const char *paper);

struct app_kiosk_summary {
        char sku[32], paper[32];
        int photos;           /* photos selected */
        int prints;           /* sum of quantities */
        int64_t unit_minor;   /* price per print */
        int64_t total_minor;  /* prints * unit, integer minor units */
        char currency[4];
};
int app_kiosk_summary(struct app_kiosk *k, struct app_kiosk_summary *ret);

/* --- preview, order, print ------------------------------------------------- */
/* Soft-proofed preview of photo `index` for the chosen paper, made on a worker
 * thread: APP_MSG_PREVIEW_READY with u.thumb (index; pixels, or none and
 * u.thumb.error < 0) and generation = `tag` (the UI's key for paper + gamut
 * warning, so a late answer for an old choice is recognised). Needs a chosen
 * product and the paper profiles; at most APP_KIOSK_MAX_PREVIEWS queued
 * (APP_KIOSK_E_STATE beyond). */
int app_kiosk_request_preview(struct app_kiosk *k, int index, bool gamut_warning, uint64_t tag);
/* Lock the order in the store (APP_MSG_ORDER_PLACED with the pickup code);
 * needs sync/store. print_now also needs the printer driver. */
int app_kiosk_place_order(struct app_kiosk *k, bool print_now);
/* True while the order thread works (placing, printing). */
bool app_kiosk_order_busy(struct app_kiosk *k);

/* --- staff ----------------------------------------------------------------- */
/* Check a staff PIN on a worker (Argon2id is slow on purpose); the result
 * arrives as APP_MSG_STAFF_PIN (enum app_pin_result, wait_ms). */
int app_kiosk_staff_pin_submit(struct app_kiosk *k, const char *pin);

/* Monotonic clock in ms, the one every timeout in the core uses. */
int64_t app_kiosk_now_ms(void);
