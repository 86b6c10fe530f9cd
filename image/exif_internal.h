/* image/exif: a small, bounded reader for the EXIF (TIFF) block of a photo.
 *
 * Reads only what probe and thumb need: IFD0 Make/Model/Orientation, the Exif
 * IFD's DateTimeOriginal/OffsetTimeOriginal/ColorSpace, the Interop IFD's index
 * ("R03" = Adobe RGB) and IFD1's JPEG thumbnail location. Every offset is
 * checked against the block; each IFD is read at most once (so loops are
 * impossible) with at most IMG_EXIF_MAX_ENTRIES entries. A value that points
 * outside the block is ignored, never an error: bogus EXIF must not reject a
 * photo. Internal to image/.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMG_EXIF_MAX_ENTRIES 512 /* real cameras write < 100 per IFD */

struct img_exif {
        int orientation;         /* raw tag value, 0 when absent */
        int colour_space;        /* ExifIFD ColorSpace: 1 sRGB, 65535 uncalibrated, 0 absent */
        bool interop_r03;        /* InteropIndex "R03": Adobe RGB (DCF option file) */
        char datetime[20];       /* DateTimeOriginal "YYYY:MM:DD HH:MM:SS" or "" */
        char offset[8];          /* OffsetTimeOriginal "+HH:MM" or "" */
        char make[64], model[64]; /* raw ASCII, NUL-terminated, unsanitised */
        size_t thumb_offset;     /* IFD1 JPEG thumbnail, from the start of the block */
        size_t thumb_length;     /* 0 when there is none (or it is out of bounds) */
};

/* Parse `blob` (optionally starting with "Exif\0\0", as libvips' "exif-data"
 * does) into *ret. Returns 0, or -1 when the block is not TIFF-structured
 * (*ret then holds no fields). */
int img_exif_parse(const uint8_t *blob, size_t len, struct img_exif *ret);

/* "2023-06-01T09:07:13+02:00" from the EXIF date (+offset) into out; "" when
 * the date is absent or malformed. */
void img_exif_iso_date(const struct img_exif *ex, char *out, size_t outlen);
