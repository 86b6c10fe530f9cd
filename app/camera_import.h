/* app/camera_import: stream a camera's or phone's photos (drivers/camera,
 * libgphoto2) into a fed app/ingest session, newest first, on one thread.
 *
 * The thread opens the device (retrying while the phone is locked, not
 * trusted or not in "File transfer" mode), lists its photo files (DCIM and
 * the phone's picture folders; drivers/camera bounds depth and count and
 * refuses hostile names), sorts them newest first by the device's file time,
 * and downloads them one by one into `dir` under our own names
 * ("p000123": the device's names are never used in paths; drivers/camera
 * writes temp + fsync + rename, so ingest never sees half a file). Each
 * finished file goes to app_ingest_feed() at once, so the grid fills while
 * the rest downloads.
 *
 * Previews first: right after listing, the camera's own previews (PTP/MTP
 * thumbnails; EXIF thumbnails for the directory camlib) of the newest
 * APP_CAMERA_PREVIEWS photos are fetched (bounded in count and bytes, into
 * "v000123", our names) and fed with app_ingest_feed_preview, so the grid
 * shows them at their final positions while the full files download; a
 * photo between two previews that has none gets a placeholder item (the
 * position only). Then the full files download newest first; each one of a
 * preview item goes to app_ingest_feed_full (same id: same grid position,
 * its real thumbnail replaces the preview's) and its preview file is
 * deleted. A preview is untrusted: ingest probes and thumbnails it in the
 * decode helpers like any file; one that fails costs only that preview. A
 * camera that offers no preview at all feeds no placeholder: its photos
 * appear as they download, as before.
 *
 * Disconnect: a transfer that fails because the device went away (drivers'
 * DRV_E_GONE/TIMEOUT confirmed by drv_camera_ping, or
 * app_camera_import_device_left from the USB watcher) closes the handle and
 * waits in APP_CAMERA_GONE: photos already fed stay, the rest wait.
 * app_camera_import_reconnect() (the same device back, maybe at a new port)
 * re-opens, re-lists, and downloads what is still missing (files matched by
 * folder + name; photos taken meanwhile come after the others).
 *
 * Threads: one import thread; the functions below may be called from any
 * other thread. `import_lock` protects the state, counters, port and flags;
 * the camera handle is freed only by the import thread after it was taken
 * out of the struct under the lock (so a cancel never touches a freed one).
 * on_progress runs on the import thread with no lock held.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/error.h"

struct app_ingest;

enum app_camera_state {
        APP_CAMERA_CONNECTING = 0, /* opening / listing */
        APP_CAMERA_LOCKED,         /* locked, not trusted or not in File transfer mode:
                                      retried every retry_ms */
        APP_CAMERA_READING,        /* downloading: done of total */
        APP_CAMERA_DONE,           /* every photo downloaded (or failed); handle closed */
        APP_CAMERA_GONE,           /* disconnected mid-way: waiting for the same device */
        APP_CAMERA_FAILED,         /* cannot be read (not a permission problem), or
                                      locked for longer than give_up_ms */
        _APP_CAMERA_STATE_MAX,
};
/* "connecting", "locked", "reading", "done", "gone", "failed" */
const char *app_camera_state_name(enum app_camera_state s);

struct app_camera_progress {
        enum app_camera_state state;
        size_t done;    /* photos downloaded and fed */
        size_t total;   /* photo files the device listed */
        size_t failed;  /* files that could not be downloaded (vanished, too large) */
        size_t previews; /* camera previews fetched and fed (at most APP_CAMERA_PREVIEWS) */
        int error;      /* last drv_error that changed the state, 0 none */
};

#define APP_CAMERA_RETRY_MS 2000     /* a locked phone is asked again this often */
#define APP_CAMERA_GIVE_UP_MS 120000 /* ... for this long (the session times out anyway) */
#define APP_CAMERA_CONNECT_TRIES 3   /* a device that is not a permission problem */
#define APP_CAMERA_PREVIEWS 48       /* previews fetched before the downloads: the first
                                        screen (24) and the next one the customer flicks to */
#define APP_CAMERA_PREVIEW_BUDGET (16u * 1000 * 1000) /* bytes of previews: 48 EXIF
                                        thumbnails are ~1 MB; a camera with huge
                                        "previews" stops early and just downloads */

struct app_camera_import_opts {
        const char *model, *port;   /* libgphoto2's names ("Directory Browse", "disk:/x") */
        const char *dir;            /* download folder: the fed session's root (exists) */
        struct app_ingest *ingest;  /* fed session (opts.fed); borrowed, outlives us */
        int retry_ms;               /* 0: APP_CAMERA_RETRY_MS */
        int give_up_ms;             /* 0: APP_CAMERA_GIVE_UP_MS */
        int test_delay_ms;          /* tests only: pause before each download */
        int previews;               /* 0: APP_CAMERA_PREVIEWS; < 0: none (figures) */
        void (*on_progress)(void *user, const struct app_camera_progress *p);
        void *user;
};

struct app_camera_import;

/* Copies the options and starts the thread. DRV_E_INVALID, DRV_E_IO. */
int app_camera_import_start(const struct app_camera_import_opts *o,
                            struct app_camera_import **ret, struct drv_errbuf *err);
/* The same device is back at model@port: resume (from GONE, LOCKED or FAILED). */
void app_camera_import_reconnect(struct app_camera_import *imp, const char *model,
                                 const char *port);
/* The device was unplugged (USB watcher): abort the running transfer now. */
void app_camera_import_device_left(struct app_camera_import *imp);
void app_camera_import_get(struct app_camera_import *imp, struct app_camera_progress *ret);
/* Cancel the running transfer, join the thread, free. NULL-safe; returns NULL.
 * Files already downloaded stay in dir (the session wipe deletes them). */
struct app_camera_import *app_camera_import_free(struct app_camera_import *imp);
