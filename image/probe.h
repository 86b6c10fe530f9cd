/* image/probe: what a file is, before anything decodes its pixels.
 *
 * Sniffs the real type from the first bytes (never the extension), checks the
 * allow-list (JPEG, PNG, HEIF/HEIC, WebP; TIFF only when the caller trusts the
 * path, e.g. the kiosk's own masters), checks the limits in image.h before any
 * decode, then reads the header: dimensions, EXIF orientation, capture time,
 * camera model, and the source colour identity (embedded ICC named by its
 * description, or EXIF ColorSpace, or sRGB *assumed*). Also the file's SHA-256.
 *
 * Never crashes or hangs on hostile input: every failure is an enum img_error
 * with a reason in the errbuf. Thread-safe.
 */
#pragma once
#include "image/image.h"

enum img_format {
        IMG_FMT_UNKNOWN = 0,
        IMG_FMT_JPEG,
        IMG_FMT_PNG,
        IMG_FMT_HEIF,
        IMG_FMT_TIFF,
        IMG_FMT_WEBP,
        _IMG_FMT_MAX,
};

enum img_colour_source {
        IMG_COLOUR_ASSUMED = 0, /* no profile, no EXIF colour space: sRGB assumed */
        IMG_COLOUR_ICC,         /* embedded ICC profile */
        IMG_COLOUR_EXIF,        /* EXIF ColorSpace / Interop R03 (Adobe RGB) */
};

struct img_probe {
        enum img_format format;
        uint64_t file_size;
        int width, height;                  /* as stored */
        int orientation;                    /* EXIF 1..8, 1 when absent or invalid */
        int oriented_width, oriented_height; /* after applying orientation */
        int bands;                          /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA/CMYK */
        int bits;                           /* 8 or 16 per sample */
        bool has_alpha;
        bool is_cmyk;
        bool progressive;                   /* interlaced JPEG/PNG */
        bool has_exif_thumbnail;
        enum img_colour_source colour_source;
        char colour_name[96];               /* "sRGB", "Adobe RGB (1998)", "Display P3",
                                               else the profile description (sanitised
                                               to printable ASCII) */
        char icc_sha256[65];                /* hex of the embedded profile, "" if none */
        char captured_at[32];               /* "2023-06-01T09:07:13" (+offset if known), "" */
        char camera[96];                    /* "Make Model", sanitised, "" if absent */
        char sha256[65];                    /* hex SHA-256 of the file bytes */
};

/* Sniff a buffer's format from its first bytes (at least 12 needed). */
enum img_format img_sniff(const uint8_t *head, size_t len);
/* "jpeg", "png", "heif", "tiff", "webp", "unknown". */
const char *img_format_name(enum img_format f);

enum img_probe_flags {
        IMG_PROBE_ALLOW_TIFF = 1 << 0, /* trusted path (our own masters) */
        IMG_PROBE_NO_HASH = 1 << 1,    /* skip the SHA-256 (sha256 left "") */
};

/* Probe the file at `path`. On success fills *ret and returns 0; otherwise a
 * negative enum img_error (empty, truncated, corrupt, unsupported,
 * too-many-pixels, file-too-large, bad-profile, unreadable) with the detail in
 * err (may be NULL). */
int img_probe_file(const char *path, unsigned flags, struct img_probe *ret,
                   struct img_errbuf *err);
/* The same, on an open file (read-only descriptor; duplicated, not reopened,
 * not closed): for the sandboxed decode helper, which cannot open files. */
int img_probe_fd(int fd, unsigned flags, struct img_probe *ret, struct img_errbuf *err);
