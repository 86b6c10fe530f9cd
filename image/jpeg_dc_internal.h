/* image/jpeg_dc: the DC-only fast path for progressive JPEG thumbnails
 * (jpeg_dc.c), used by thumb.c only. */
#pragma once
#include "image/image.h"

#include <vips/vips.h>

/* Returned when the fast path does not apply (not progressive, CMYK/YCCK,
 * 1/8 of the photo smaller than wanted, coefficient memory over the budget):
 * the caller uses libvips instead. Not an error. */
#define IMG_JPEG_DC_NOT_USED 1

/* At most this many scans consumed (DC first + refinement scans, one per
 * component when not interleaved, and AC scans sent before some component's
 * DC: a real file needs 1-6, the standard scripts 1-2). More is a CPU bomb
 * (each scan may walk every block). */
#define IMG_JPEG_DC_MAX_SCANS 32
/* libjpeg keeps the whole image's coefficients in buffered-image mode (a
 * 24 MP 4:2:0 photo: 72 MB; 100 MP 4:4:4, the pixel limit: 600 MB). Above
 * this the fast path steps aside and libvips decides, as before. */
#define IMG_JPEG_DC_MAX_COEF_BYTES (256ull * 1024 * 1024)

/* The 1/8-scale image of the progressive JPEG open on `fd` (read with
 * pread() from offset 0, never past file_size; the descriptor's offset is not
 * moved), made from its DC coefficients only: libjpeg in buffered-image mode
 * reads the scans up to the first AC scan (Ss > 0) after every component's
 * DC first scan, which includes any DC refinement scan before it, and stops
 * there. That is what libjpeg's 1/8
 * scaled IDCT yields from a full decode, minus the DC refinement bits sent
 * after the first AC scan (in the standard script the last bit of DC: at
 * most Q_dc/8 levels, Q_dc the DC quantiser, darker). Used only when the
 * 1/8 image's longest side (shortest with `square`) is >= `size`.
 *
 * On IMG_OK *ret is an 8-bit sRGB (3 bands) or B_W (1 band) image in memory,
 * not oriented, without metadata ((transfer full)). IMG_JPEG_DC_NOT_USED:
 * use libvips. Negative: IMG_E_TRUNCATED (data ends before the first AC
 * scan), IMG_E_CORRUPT (libjpeg's message in err; too many scans),
 * IMG_E_UNREADABLE (read error), IMG_E_INTERNAL. libjpeg's warnings (corrupt
 * entropy data it decodes as zeros) are counted, never printed, as libvips
 * does with fail_on=truncated. Thread-safe: no shared state. */
int img_jpeg_dc_thumb(int fd, uint64_t file_size, int size, bool square, VipsImage **ret,
                      struct img_errbuf *err);
