/* image/thumb: grid thumbnails, orientation applied, sRGB out.
 *
 * Uses the embedded EXIF thumbnail when it is at least the requested size and
 * has the image's aspect ratio (within 2 %); for a progressive JPEG whose 1/8
 * scale covers the size, its DC scans only (info->from_dc); otherwise
 * libvips' shrink-on-load thumbnail. The input is checked by img_probe_file's rules first (allow-list,
 * limits), so hostile files fail with the same reasons. Thread-safe: the UI's
 * worker pool calls these concurrently.
 */
#pragma once
#include "image/image.h"
#include "image/probe.h"

struct img_thumb_spec {
        int size;     /* longest side (fit) or side (square); default 256, 16..2048 */
        bool square;  /* centre-cropped square instead of fit */
        bool allow_exif_thumbnail; /* default true (IMG_THUMB_SPEC_DEFAULT) */
        int quality;  /* JPEG quality for img_thumb_file, default 85 */
        bool full_decode; /* never the DC-only fast path for progressive JPEGs
                             (tests and benchmarks compare with it); default false */
};
#define IMG_THUMB_SPEC_DEFAULT {.size = 256, .square = false, .allow_exif_thumbnail = true, .quality = 85}

/* 8-bit sRGB pixels, RGB (3 bytes per pixel), rows `stride` bytes apart. */
struct img_pixels {
        int width, height, stride;
        uint8_t *data; /* (transfer full) free with img_pixels_free */
};
void img_pixels_free(struct img_pixels *px); /* frees data, zeroes; NULL-safe */

struct img_thumb_info {
        int width, height;   /* of the thumbnail */
        bool from_exif;      /* the embedded EXIF thumbnail was used */
        bool from_dc;        /* a progressive JPEG made from its DC scans only (1/8 scale) */
        int src_width, src_height; /* oriented size of the photo */
};

/* Whether a thumbnail of this probed photo needs libjpeg's full progressive
 * decode (every scan into whole-image coefficient buffers: 5-8x the time and
 * 50-80 MB more memory than a baseline photo): a progressive JPEG that the
 * DC-only path cannot serve (1/8 of it smaller than spec->size, CMYK, or
 * spec->full_decode). False for everything else, including progressive JPEGs
 * the DC path serves (as cheap as baseline ones). Schedulers use it to keep
 * only the expensive photos off the first screen. The DC path may still step
 * aside for a file whose scans say otherwise (rare: then it costs what it
 * did before). */
bool img_thumb_needs_full_decode(const struct img_probe *pr, const struct img_thumb_spec *spec);

/* Thumbnail of `path` into memory (for the UI). */
int img_thumb_to_pixels(const char *path, const struct img_thumb_spec *spec,
                        struct img_pixels *ret_px, struct img_thumb_info *ret_info,
                        struct img_errbuf *err);
/* The same from an open file (read-only descriptor; duplicated, not
 * reopened, not closed): for the sandboxed decode helper. */
int img_thumb_fd_to_pixels(int fd, const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                           struct img_thumb_info *ret_info, struct img_errbuf *err);
/* Thumbnail of `path` written as an sRGB JPEG at out_path (temp + rename). */
int img_thumb_file(const char *path, const struct img_thumb_spec *spec, const char *out_path,
                   struct img_thumb_info *ret_info, struct img_errbuf *err);
