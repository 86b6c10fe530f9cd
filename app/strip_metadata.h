/* app/strip_metadata: remove location and personal metadata from a JPEG
 * without re-encoding it (photos sent to headquarters, issue 9).
 *
 * The entropy-coded data is copied byte for byte; only marker segments before
 * the first SOS change. APP_STRIP_PRIVATE (default) keeps the EXIF block, so
 * orientation, capture time and camera model survive, but empties the GPS IFD
 * and blanks owner/serial/comment tags in place (same offsets, so no pointer
 * in the block moves); it drops XMP, IPTC/Photoshop (APP13) and COM segments.
 * APP_STRIP_ALL drops every APP1, APP13 and COM segment (orientation is lost:
 * the caller must bake it in first). ICC (APP2), JFIF (APP0) and Adobe
 * (APP14) are always kept: they decide colours.
 *
 * Bounded: at most APP_STRIP_MAX_SEGMENTS segments, each EXIF IFD read once
 * with at most 512 entries; hostile input is an error, never a crash.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"

#define APP_STRIP_MAX_SEGMENTS 4096
#define APP_STRIP_MAX_BYTES (100u * 1024 * 1024) /* = img_limits.max_file_bytes */

enum app_strip_mode {
        APP_STRIP_PRIVATE = 0,
        APP_STRIP_ALL,
};

struct app_strip_report {
        int segments_dropped;  /* XMP/APP13/COM (and EXIF for ALL) */
        int gps_entries_removed;
        int tags_blanked;      /* owner, serials, comments, maker note */
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
