/* image/: the colour-managed image pipeline (libvips + lcms2 only).
 *
 * This header holds what every part of image/ shares: start-up, the limits that
 * apply to untrusted input, and the error codes. Each operation has its own
 * header (probe.h, thumb.h, colour.h, render.h, ...).
 *
 * Errors: functions return 0 or a negative enum img_error; numbers never change.
 * Detail (which file, and why) goes into an optional caller-owned struct
 * img_errbuf. img_strerror() gives the stable reason keyword used in JSON
 * ("truncated", "too-many-pixels", ...).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum img_error {
        IMG_OK = 0,
        IMG_E_EMPTY = -1,           /* zero-byte file */
        IMG_E_TRUNCATED = -2,       /* data ends early */
        IMG_E_CORRUPT = -3,         /* decoder found invalid data */
        IMG_E_UNSUPPORTED = -4,     /* not a format on the allow-list */
        IMG_E_TOO_MANY_PIXELS = -5, /* over limits.max_pixels or max_side, or zero size */
        IMG_E_FILE_TOO_LARGE = -6,  /* over limits.max_file_bytes */
        IMG_E_BAD_PROFILE = -7,     /* embedded ICC profile unusable or over max_icc_bytes */
        IMG_E_UNREADABLE = -8,      /* open/read failed (permissions, I/O, vanished) */
        IMG_E_INVALID = -9,         /* caller passed a bad argument or spec */
        IMG_E_IO = -10,             /* writing an output failed */
        IMG_E_INTERNAL = -11,       /* library failure not caused by the input */
        _IMG_E_MIN = -12,
};

/* Stable keyword for an error code ("truncated", "too-many-pixels", ...). */
const char *img_strerror(int err);

/* Caller-owned detail for an error: "JPEG data ends early at byte 12345". */
struct img_errbuf {
        char msg[256];
};
/* Set err->msg (printf-style) when err is not NULL; returns code, for
 * `return img_fail(err, IMG_E_CORRUPT, "...")`. */
int img_fail(struct img_errbuf *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Limits on untrusted input, checked before any decode. Defaults in
 * IMG_LIMITS_DEFAULT; each has its reason in image/limits.h. */
struct img_limits {
        uint64_t max_pixels;     /* width*height, default 100 MP */
        uint32_t max_side;       /* either side, default 32768 px */
        uint64_t max_file_bytes; /* default 100 MB */
        uint32_t max_icc_bytes;  /* embedded profile, default 4 MB */
};

/* Start libvips for untrusted input: untrusted loaders blocked, bounded cache
 * and concurrency. `limits` may be NULL for the defaults; argv0 may be NULL.
 * Safe to call more than once (later calls only update the limits). */
int img_init(const char *argv0, const struct img_limits *limits);
/* The limits in force (defaults before img_init). */
const struct img_limits *img_get_limits(void);
/* Shut libvips down (tests use it so LeakSanitizer sees a clean exit). */
void img_shutdown(void);
/* "libvips 8.14.1", "lcms2 2.14": recorded in transform records. */
const char *img_vips_version(void);
const char *img_lcms_version(void);
