/* drivers/camera: cameras and phones through libgphoto2 (PTP, MTP-as-PTP,
 * and the other camlibs).
 *
 * Autodetect, open a model@port, list photo files under the storage folders
 * (bounded depth and count, hidden/system folders skipped), read file info,
 * fetch a file to a local path with progress and cancellation (temp file +
 * fsync + rename: a failed fetch leaves nothing), fetch the camera's own
 * preview thumbnail where offered.
 *
 * Errors (drivers/error.h): DRV_E_PERMISSION with an actionable message when
 * a phone is locked or not trusted (USB claim failed, PTP Access Denied, no
 * storage visible); DRV_E_GONE when the device or the file disappears during
 * an operation; DRV_E_TIMEOUT when an operation passes its deadline;
 * DRV_E_REFUSED when the caller cancelled through the progress callback;
 * DRV_E_LIMIT for files over the size limit.
 *
 * Names coming from the device are untrusted: a name with '/', NUL, "." or
 * ".." or over DRV_CAMERA_NAME_MAX bytes is skipped, never used.
 * One struct drv_camera may be used from several threads: calls are
 * serialised by its `camera_lock` (libgphoto2 cameras are not thread-safe).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/error.h"

#define DRV_CAMERA_MAX_DEPTH 8          /* DCIM/100APPLE/x: 3; phones add a few */
#define DRV_CAMERA_MAX_FILES 20000      /* same bound as a volume walk */
#define DRV_CAMERA_MAX_FILE_BYTES (100ull * 1000 * 1000) /* image/limits.h */
#define DRV_CAMERA_NAME_MAX 255
#define DRV_CAMERA_FETCH_TIMEOUT_S 120  /* one file; a USB 2 phone moves ~20 MB/s */
#define DRV_CAMERA_MAX_PREVIEW_BYTES (2u * 1000 * 1000) /* EXIF thumbnails are < 64 kB; a
                                        camera's larger "preview" JPEG stays under 2 MB */
#define DRV_CAMERA_PREVIEW_TIMEOUT_S 10 /* a preview is small: more means a stuck device */

struct drv_camera_desc {
        char model[128];
        char port[256]; /* "usb:001,004", "disk:/path" */
};

/* Cameras libgphoto2 finds on USB/serial/PTP-IP; up to max into ret, count in
 * *ret_n. No camera is not an error (0 found). */
int drv_camera_autodetect(struct drv_camera_desc *ret, size_t max, size_t *ret_n,
                          struct drv_errbuf *err);

/* Load libgphoto2's camera abilities list now (once per process; ~0.4 s:
 * it dlopen()s every camlib). Autodetect and open load it when it is not
 * loaded yet and reuse it afterwards: in a kiosk the first phone's arrival
 * (autodetect on the USB watcher's thread) pays, and the customer's open no
 * longer does. Thread-safe. 0 or a drv error. */
int drv_camera_warm(struct drv_errbuf *err);

struct drv_camera;

/* Open model@port (exact names as libgphoto2 lists them, e.g. "Directory
 * Browse" at "disk:/tmp/x"). */
int drv_camera_open(const char *model, const char *port, struct drv_camera **ret,
                    struct drv_errbuf *err);
struct drv_camera *drv_camera_free(struct drv_camera *c);

struct drv_camera_file {
        char folder[1024]; /* camera path of the folder, "/store_00010001/DCIM/100APPLE" */
        char name[DRV_CAMERA_NAME_MAX + 1];
        uint64_t size;     /* 0 when the camera does not say */
        int64_t mtime;     /* 0 when unknown */
        char mime[64];     /* "image/jpeg", "" unknown */
        bool has_preview;
};

struct drv_camera_list_opts {
        unsigned max_depth; /* 0: DRV_CAMERA_MAX_DEPTH */
        unsigned max_files; /* 0: DRV_CAMERA_MAX_FILES */
};

/* Photo files (image/ MIME type or photo extension) on the camera. *ret is
 * (transfer full, free()); *ret_skipped counts entries left out (hidden,
 * bad names, not photos, over the limits). */
int drv_camera_list(struct drv_camera *c, const struct drv_camera_list_opts *o,
                    struct drv_camera_file **ret, size_t *ret_n, size_t *ret_skipped,
                    struct drv_errbuf *err);

/* Progress: called with bytes done and total; return non-zero to cancel. */
typedef int (*drv_camera_progress_fn)(void *user, uint64_t done, uint64_t total);

/* Fetch folder/name into out_path (temp + fsync + rename). */
int drv_camera_fetch(struct drv_camera *c, const char *folder, const char *name,
                     const char *out_path, drv_camera_progress_fn progress, void *user,
                     struct drv_errbuf *err);
/* Fetch the camera's own preview (GP_FILE_TYPE_PREVIEW: a PTP/MTP device's
 * thumbnail object; for libgphoto2's directory camlib the file's EXIF
 * thumbnail) into out_path (temp + fsync + rename). The bytes are the
 * device's, untrusted: decode them only in the sandboxed helpers.
 * DRV_E_NOT_FOUND when the camera offers none for this file, DRV_E_LIMIT over
 * DRV_CAMERA_MAX_PREVIEW_BYTES or empty, DRV_E_TIMEOUT after
 * DRV_CAMERA_PREVIEW_TIMEOUT_S. */
int drv_camera_fetch_preview(struct drv_camera *c, const char *folder, const char *name,
                             const char *out_path, struct drv_errbuf *err);

/* Make the running call and every later call on this handle fail with
 * DRV_E_REFUSED as soon as libgphoto2 next asks (between USB packets): for a
 * session ending or a device that left. Any thread, no lock; irreversible. */
void drv_camera_cancel(struct drv_camera *c);
/* Is the camera still there? Asks the camlib for its root folder (no cache),
 * 10 s deadline. 0, or DRV_E_GONE / DRV_E_TIMEOUT / DRV_E_PERMISSION / ... */
int drv_camera_ping(struct drv_camera *c, struct drv_errbuf *err);

/* Map a libgphoto2 result (and the context's last error text) to a drv
 * error; exposed for tests. */
int drv_camera_map_error(int gp_result, const char *context_msg, struct drv_errbuf *err);
