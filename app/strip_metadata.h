/* app/strip_metadata: remove location and personal metadata from a photo
 * without re-encoding it (photos sent to headquarters, issue 9). JPEG, PNG,
 * WebP and HEIF/HEIC (app_strip / app_strip_file pick by the first bytes).
 *
 * Pixels are never decoded or re-encoded: image data is copied byte for byte.
 * APP_STRIP_PRIVATE (default) keeps an EXIF block, so orientation, capture
 * time and camera model survive (the print master rendered from the stripped
 * copy equals one from the original), but empties the GPS IFD and blanks
 * owner/serial/comment/maker-note tags in place (same offsets, so no pointer
 * in the block moves). An EXIF block that cannot be walked completely is
 * removed whole instead. APP_STRIP_ALL removes EXIF too (orientation is lost:
 * the caller must bake it in first). Always removed: XMP, text and comments.
 * Always kept: ICC profiles and what else decides colours.
 *
 *   JPEG  XMP, IPTC/Photoshop (APP13) and COM segments dropped; EXIF (APP1)
 *         cleaned (ALL: every APP1 dropped). Nothing from SOS on changes.
 *   PNG   every chunk length and CRC checked; tEXt, zTXt, iTXt (XMP), tIME
 *         and unknown ancillary chunks dropped; eXIf cleaned and its CRC
 *         recomputed (ALL: dropped); IHDR, PLTE, IDAT, IEND, iCCP, sRGB, gAMA,
 *         cHRM, pHYs, tRNS, bKGD, sBIT, cICP and APNG chunks kept unchanged;
 *         anything after IEND dropped; an unknown critical chunk is refused.
 *   WebP  XMP and unknown chunks dropped, EXIF cleaned (ALL: dropped), the
 *         VP8X EXIF/XMP flags and the RIFF size fixed; ICCP, ALPH, ANIM,
 *         ANMF, VP8, VP8L kept; data after the RIFF chunk dropped.
 *   HEIF  nothing moves (same length, no offset changes): the payload of each
 *         'Exif' item is cleaned in place (ALL, or not walkable, or in several
 *         extents: overwritten with an empty TIFF header and zeros) and the
 *         payload of each 'mime' item (XMP) is overwritten with zeros. Items
 *         are found through the top-level meta box's iinf (infe v2/v3) and
 *         iloc (v0-2); a metadata item stored with construction_method != 0,
 *         in another file, protected, or outside an mdat box is refused, as
 *         is any box that runs past its parent.
 *
 * Bounded: APP_STRIP_MAX_SEGMENTS JPEG segments, APP_STRIP_MAX_CHUNKS PNG or
 * WebP chunks, APP_STRIP_MAX_BOXES ISOBMFF boxes at most APP_STRIP_MAX_DEPTH
 * deep, APP_STRIP_MAX_ITEMS items and APP_STRIP_MAX_EXTENTS extents per item;
 * each EXIF IFD read once with at most 512 entries. Hostile input is an error
 * with a reason, never a crash and never a partial output file.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"
#include "image/probe.h"

#define APP_STRIP_MAX_SEGMENTS 4096
#define APP_STRIP_MAX_BYTES (100u * 1024 * 1024) /* = img_limits.max_file_bytes */
/* PNG/WebP: a chunk takes >= 12/8 bytes, so 100 MB could hold millions; real
 * photos have tens (PNG: one IDAT per 8-64 KB at most). */
#define APP_STRIP_MAX_CHUNKS 1000000
/* ISOBMFF: real HEICs have tens of boxes; grids have one item per tile
 * (iPhone: 48 + a few), so 65 536 items leaves room for any legal grid. */
#define APP_STRIP_MAX_BOXES 4096
#define APP_STRIP_MAX_DEPTH 4 /* file > meta > iinf > infe */
#define APP_STRIP_MAX_ITEMS 65536
#define APP_STRIP_MAX_META_ITEMS 256 /* Exif + mime items in one file */
#define APP_STRIP_MAX_EXTENTS 1024   /* per metadata item */

enum app_strip_mode {
        APP_STRIP_PRIVATE = 0,
        APP_STRIP_ALL,
};

struct app_strip_report {
        int segments_dropped;  /* JPEG segments, PNG/WebP chunks, trailing data */
        int gps_entries_removed;
        int tags_blanked;      /* owner, serials, comments, maker note */
        int items_blanked;     /* HEIF Exif/mime items overwritten whole */
};

/* Strip `in` (a JPEG) into a new buffer *ret_out ((transfer full), free()).
 * Returns 0, or IMG_E_UNSUPPORTED (not a JPEG), IMG_E_TRUNCATED,
 * IMG_E_CORRUPT, IMG_E_FILE_TOO_LARGE, IMG_E_INTERNAL (memory), with detail
 * in err. `report` may be NULL. */
int app_strip_jpeg(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);

/* The same from file to file; out_path is written durably (temp file, fsync,
 * rename, fsync of the directory). IMG_E_UNREADABLE / IMG_E_IO for files. */
int app_strip_jpeg_file(const char *in_path, const char *out_path, enum app_strip_mode mode,
                        struct app_strip_report *report, struct img_errbuf *err);

/* The same for PNG, WebP and HEIF/HEIC (see the table above). Output length
 * is at most the input's (HEIF: equal). IMG_E_UNSUPPORTED when `in` is not
 * that format or uses a feature refused above, else as app_strip_jpeg. */
int app_strip_png(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                  size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);
int app_strip_webp(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);
int app_strip_heif(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);

/* Whether app_strip / app_strip_file handle photos of format f (JPEG, PNG,
 * WebP, HEIF). */
bool app_strip_supports(enum img_format f);

/* Which of the four formats app_strip would treat `in` as (its first bytes
 * only), IMG_FMT_UNKNOWN for anything else. */
enum img_format app_strip_sniff(const uint8_t *in, size_t len);

/* Strip whichever of the four formats `in` is (sniffed from its first bytes,
 * never a name); IMG_E_UNSUPPORTED for anything else (TIFF included). */
int app_strip(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
              size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);

/* app_strip from file to file, written durably like app_strip_jpeg_file.
 * This parses the photo in the calling process: the kiosk and printkioskctl
 * strip customer photos through a decode helper instead
 * (app_decode_strip_file, app/decode_pool.h, same contract); this entry
 * point is for callers without a pool (tests, and the comparison in
 * tests/hostile/test_decode_strip.c). */
int app_strip_file(const char *in_path, const char *out_path, enum app_strip_mode mode,
                   struct app_strip_report *report, struct img_errbuf *err);
