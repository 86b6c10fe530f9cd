/* app/ingest: one customer's photo-ingest session on a volume (USB stick, SD
 * card, or a folder filled from a camera).
 *
 * Stages, each on its own thread(s):
 *   walker (1 thread)   safe bounded walk of the root (ingest_walk.c), then a
 *                       header probe of each candidate (image/probe, no hash);
 *                       every photo is announced through on_item as found.
 *   thumbnailers (jobs) image/thumb into thumbs_dir, in priority order: the
 *                       window the screen shows (app_ingest_prioritise), then
 *                       the first screen, then everything else, progressive
 *                       JPEGs last. Each prioritise call bumps a generation:
 *                       older windows lose their priority (stale jobs drop).
 *   caller              app_ingest_select copies a photo into the session
 *                       spool (spool.c: SHA-256 named, temp+fsync+rename,
 *                       hash verified), identical files become one asset.
 *
 * Pull-out: when the root vanishes (ENOENT/ENODEV/EIO/ENXIO) the walk stops,
 * selected photos that were not copied yet are marked "reinsert" (never a
 * partial file), and app_ingest_reinsert() with the same volume id resumes.
 *
 * Ownership: the session owns its items; item pointers handed to callbacks are
 * valid only during the call (copy what you need). Callbacks run on the walker
 * or a thumbnail thread, never on the caller's thread, and never with the
 * session's lock held; they may call the read functions (get, count, sorted,
 * stats) and app_ingest_prioritise, nothing else.
 *
 * Errors are enum drv_error codes (drivers/error.h: a session's failures are
 * device failures: DRV_E_GONE for a pulled-out volume, DRV_E_LIMIT, ...), with
 * detail in struct drv_errbuf.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/error.h"

struct app_decode_pool; /* app/decode_pool.h */
struct img_pixels;      /* image/thumb.h */

/* Defaults and limits of a session, each with its reason. */
#define APP_INGEST_MAX_DEPTH 32        /* DCIM nests 3-4 deep; 32 covers any sane tree */
#define APP_INGEST_MAX_FILES 20000     /* a 256 GB card of 12 MB photos; more = not photos */
#define APP_INGEST_MAX_FILE_BYTES (100ull * 1000 * 1000) /* = image/limits.h max file */
#define APP_INGEST_MAX_JOBS 8          /* thumbnail threads; 2 on the kiosk's 2 cores */
#define APP_INGEST_FIRST_SCREEN 24     /* thumbnails in the first grid screen */
#define APP_INGEST_YIELD_MS 3000       /* longest pause of the walk for the first window */

/* Why a directory entry is not a photo. Keywords from app_ingest_skip_name(). */
enum app_ingest_skip {
        APP_SKIP_SYMLINK = 0, /* symlinks are never followed */
        APP_SKIP_SPECIAL,     /* FIFO, socket, device: never opened */
        APP_SKIP_HIDDEN,      /* ".x", .Trashes, System Volume Information, ... */
        APP_SKIP_TOO_DEEP,    /* directory deeper than max_depth */
        APP_SKIP_LIMIT,       /* after max_files */
        APP_SKIP_NOT_IMAGE,   /* extension is not a photo's */
        APP_SKIP_UNREADABLE,  /* open/stat/read failed */
        APP_SKIP_TOO_LARGE,   /* over max_file_bytes */
        APP_SKIP_LOOP,        /* directory already visited (bind mount, hard-linked dir) */
        APP_SKIP_EMPTY,       /* probe reasons from here on */
        APP_SKIP_TRUNCATED,
        APP_SKIP_CORRUPT,
        APP_SKIP_UNSUPPORTED,
        APP_SKIP_TOO_MANY_PIXELS,
        APP_SKIP_BAD_PROFILE,
        _APP_SKIP_MAX,
};
const char *app_ingest_skip_name(enum app_ingest_skip r);

enum app_item_state {
        APP_ITEM_FOUND = 0,   /* probed, on the grid */
        APP_ITEM_COPIED,      /* in the spool (sha256 set) */
        APP_ITEM_REINSERT,    /* selected, copy interrupted by pull-out */
};

/* One photo as the UI and the CLI see it (copied out of the session). */
struct app_ingest_item {
        size_t id;                 /* 0, 1, 2 ... in the order found; stable */
        char name[128];            /* sanitised display name (never the raw name) */
        char folder[128];          /* sanitised display folder relative to the root */
        char group[160];           /* "YYYY-MM-DD folder": day + folder, for the grid */
        uint64_t size;
        int64_t mtime;             /* seconds since the epoch */
        char captured_at[32];      /* EXIF, "" when absent */
        char sort_key[32];         /* captured_at, else mtime as the same format */
        const char *format;        /* "jpeg", ... (static) */
        int width, height;         /* oriented */
        bool progressive;
        size_t near_dup_of;        /* id of the first photo with the same captured_at
                                      and size, or SIZE_MAX */
        enum app_item_state state;
        char sha256[65];           /* after select, else "" */
        char thumb[512];           /* thumbnail path when done, else "" */
        int thumb_error;           /* < 0 when the thumbnail failed, else 0 */
        bool unreadable;           /* "this photo can't be read": the decoder crashed,
                                      hung or hit a limit on it (probe or thumbnail) */
        bool preview;              /* fed sessions: only the camera's own preview (or
                                      a placeholder without one) is here, the full
                                      file is not: size, width, height 0; thumb is
                                      the preview's; app_ingest_select refuses it */
        char rel[4096];            /* raw relative path: for the session's own use (tests
                                      check containment); never display or log it */
};

struct app_ingest_opts {
        const char *root;          /* folder or mount point (required) */
        const char *volume_id;     /* identity for resume after pull-out; NULL: st_dev */
        const char *thumbs_dir;    /* NULL: no thumbnails */
        const char *spool_dir;     /* NULL: select is not available */
        unsigned max_depth;        /* 0: APP_INGEST_MAX_DEPTH */
        unsigned max_files;        /* 0: APP_INGEST_MAX_FILES (files seen, not photos) */
        uint64_t max_file_bytes;   /* 0: APP_INGEST_MAX_FILE_BYTES */
        unsigned jobs;             /* thumbnail threads, 0: 2 */
        int thumb_size;            /* 0: 256 */
        bool no_probe;             /* tests without image/: extension only */
        /* Sandboxed decoding (DESIGN "Untrusted input"): probes and thumbnails
         * run in this pool's printkiosk-decode helpers, which see only the fd
         * of the checked file; the session writes the thumbnail JPEG from the
         * validated pixels. NULL: image/ in this process (CLI, benchmarks).
         * Borrowed: must outlive the session. */
        struct app_decode_pool *pool;
        /* Thumbnail only prioritised photos until the first
         * app_ingest_prioritise call or the end of the walk: a caller that
         * shows photos in another order than found (the kiosk: newest first)
         * would otherwise spend the first second on photos off the screen. */
        bool background_after_window;
        /* The walk pauses its probes until the first window's thumbnails are
         * done (at most APP_INGEST_YIELD_MS): the first screen gets the CPU. */
        bool walk_yields_to_window;
        /* Called once per photo as found (walker thread; the feeder's for a
         * fed session), and again when a fed preview's full file arrived
         * (same id, `preview` false). */
        void (*on_item)(void *user, const struct app_ingest_item *item);
        /* Called when a thumbnail is done (err 0) or failed (negative img_error). */
        void (*on_thumb)(void *user, const struct app_ingest_item *item, int err);
        /* Optional: the thumbnail's pixels (borrowed, valid during the call),
         * called on the worker thread just before on_thumb for a success. */
        void (*on_pixels)(void *user, const struct app_ingest_item *item,
                          const struct img_pixels *px);
        /* Optional: the walk ended (walker thread, once; thumbnails may still
         * be running). `vanished`: the root went away during the walk. */
        void (*on_walk_done)(void *user, size_t photos, bool vanished);
        /* Fed session (cameras and phones): no walker. The caller downloads
         * each photo into root itself (temp name + rename, so a half file is
         * never seen) and hands it over with app_ingest_feed(); probes,
         * thumbnails, priorities, select and wipe work as for a volume.
         * app_ingest_feed_done() plays the end of the walk. */
        bool fed;
        /* Test hook: called after each copied chunk of a select; a non-zero return
         * simulates the device vanishing (errno ENODEV) at that point. */
        int (*copy_hook)(void *user, size_t id, uint64_t copied);
        void *user;
};

struct app_ingest_stats {
        size_t files_seen;          /* regular files looked at */
        size_t photos;              /* items on the grid */
        size_t thumbs_done;
        size_t skipped[_APP_SKIP_MAX];
        bool walk_done;
        bool vanished;              /* the root went away during the walk */
        size_t unreadable;          /* photos the decoder failed on (crash, hang, limit) */
        double seconds_to_first_24; /* -1 until 24 thumbnails (or all, if fewer) */
        double seconds_total;       /* walk + thumbnails, -1 while running */
};

struct app_ingest;

/* Start a session: opens the root (O_DIRECTORY|O_NOFOLLOW not required for the
 * root itself: the caller chose it) and starts the walker and thumbnailers.
 * Returns 0 or DRV_E_INVALID / DRV_E_NOT_FOUND / DRV_E_IO. */
int app_ingest_start(const struct app_ingest_opts *opts, struct app_ingest **ret,
                     struct drv_errbuf *err);
/* One complete file of a fed session (opts.fed), as the device named it. */
struct app_ingest_fed_file {
        const char *rel;        /* our own safe name beneath root (never the device's) */
        const char *name;       /* raw display name from the device (sanitised here) */
        size_t name_len;
        const char *folder;     /* raw display folder from the device, may be NULL */
        size_t folder_len;
        int64_t mtime;          /* the device's file time; 0: the local file's */
};
/* Fed sessions only: probe `f->rel` (opened beneath root like a walked file)
 * and announce it through on_item, on the calling thread, before returning.
 * Ids follow the feed order. Call from one thread at a time, never from a
 * callback. Returns 0 (also when the file is skipped: counted in the stats),
 * DRV_E_INVALID (not a fed session, bad rel), DRV_E_REFUSED (stopping, or
 * after app_ingest_feed_done). */
int app_ingest_feed(struct app_ingest *s, const struct app_ingest_fed_file *f,
                    struct drv_errbuf *err);
/* Fed sessions, camera previews before the download: a photo whose full
 * file is not on the kiosk yet, shown by the camera's own preview.
 * `f->rel` is the preview file beneath root (our own name), or NULL/"" for a
 * placeholder that only holds the photo's grid position (the camera offers
 * no preview for it, or the preview is refused). The preview is untrusted
 * like any file: probed and thumbnailed like one (in the decode helpers with
 * opts.pool); a preview the probe refuses or the decoder dies on makes a
 * placeholder, never an unreadable photo. The item has `preview` set; its id
 * follows the feed order like app_ingest_feed's, so a caller that feeds
 * previews newest first and then the remaining files in the same order keeps
 * the order. *ret_id = the id. Returns 0, DRV_E_INVALID, DRV_E_REFUSED
 * (stopping, or after app_ingest_feed_done), DRV_E_LIMIT (max_files). */
int app_ingest_feed_preview(struct app_ingest *s, const struct app_ingest_fed_file *f,
                            size_t *ret_id, struct drv_errbuf *err);
/* The full file of preview item `id` (f->rel beneath root; f NULL: it could
 * not be downloaded and never will). The item keeps its id, takes the full
 * file's probe (size, format, dimensions, capture time), loses `preview`, and
 * its thumbnail is made again from the full file (a job still running on
 * the preview is dropped); on_item runs again for it on the calling thread.
 * A full file the probe refuses, or f NULL, leaves the item `unreadable`.
 * Same threading rules as app_ingest_feed. Returns 0 or DRV_E_INVALID (not a
 * preview item, bad rel). */
int app_ingest_feed_full(struct app_ingest *s, size_t id, const struct app_ingest_fed_file *f,
                         struct drv_errbuf *err);
/* Fed sessions: no more files will come (`vanished`: the device went away for
 * good). Runs on_walk_done on the calling thread. Idempotent. */
void app_ingest_feed_done(struct app_ingest *s, bool vanished);

/* Wait until the walk and all thumbnails are done. */
void app_ingest_wait(struct app_ingest *s);
/* Stop threads, free memory (spool and thumbs stay: see session_end). NULL-safe. */
struct app_ingest *app_ingest_free(struct app_ingest *s);

void app_ingest_get_stats(struct app_ingest *s, struct app_ingest_stats *ret);
size_t app_ingest_count(struct app_ingest *s);
/* Copy item `id` out; DRV_E_NOT_FOUND when there is none. */
int app_ingest_get(struct app_ingest *s, size_t id, struct app_ingest_item *ret);
/* Item ids newest first (captured_at, else mtime; ties by id) into ids[0..max);
 * returns how many. A snapshot: call again as the walk finds more. */
size_t app_ingest_sorted(struct app_ingest *s, size_t *ids, size_t max);
/* The screen shows items ids[0..n): thumbnail them before anything else. Bumps
 * the generation, so an earlier window's items fall back to normal order. */
void app_ingest_prioritise(struct app_ingest *s, const size_t *ids, size_t n);

/* Copy item `id` into the spool (verified SHA-256, durable) and return its
 * hash in ret_sha256 (65 bytes). Identical content is stored once.
 * DRV_E_GONE: the volume was pulled out; the item is marked REINSERT and no
 * partial file is left. */
int app_ingest_select(struct app_ingest *s, size_t id, char ret_sha256[65],
                      struct drv_errbuf *err);
/* The volume is back at `root` (may be a new mount point). Checks the volume id
 * (DRV_E_INVALID for a different volume), then copies every REINSERT item.
 * Returns 0 when all are copied, else the first error. */
int app_ingest_reinsert(struct app_ingest *s, const char *root, const char *volume_id,
                        struct drv_errbuf *err);
/* End of the customer session: stop, delete every spool file and thumbnail
 * whose hash is not in keep[0..n_keep) (hex SHA-256 of assets in orders), and
 * the emptied folders. Frees the session. Returns 0 or DRV_E_IO. */
int app_ingest_session_end(struct app_ingest *s, const char *const *keep, size_t n_keep,
                           struct drv_errbuf *err);
