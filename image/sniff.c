/* image/sniff: the real format from a file's first bytes (never its name).
 *
 * Invariant: only formats on the kiosk's allow-list map to a known format
 * (JPEG, PNG, HEIF/HEIC, WebP, TIFF); AVIF shares HEIF's container but is not on
 * the list, so an ftyp box whose brands say AVIF and not HEIC is "unknown". */
#include "image/probe.h"

#include <string.h>

static bool heic_brand(const uint8_t *b)
{
        static const char *const brands[] = {"heic", "heix", "heim", "heis", "hevc", "hevx"};
        for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
                if (memcmp(b, brands[i], 4) == 0)
                        return true;
        return false;
}

static enum img_format sniff_ftyp(const uint8_t *head, size_t len)
{
        /* ISO BMFF: [size:4]["ftyp"][major:4][minor:4][compatible:4]* */
        uint32_t box = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 |
                       head[3];
        const uint8_t *major = head + 8;
        if (heic_brand(major))
                return IMG_FMT_HEIF;
        if (memcmp(major, "mif1", 4) != 0 && memcmp(major, "msf1", 4) != 0)
                return IMG_FMT_UNKNOWN; /* avif, avis, mp4 video, ... */
        /* A generic image brand: HEIF only when a compatible brand says HEVC. */
        size_t end = box < len ? box : len;
        for (size_t o = 16; o + 4 <= end; o += 4)
                if (heic_brand(head + o))
                        return IMG_FMT_HEIF;
        return IMG_FMT_UNKNOWN;
}

enum img_format img_sniff(const uint8_t *head, size_t len)
{
        if (!head || len < 12)
                return IMG_FMT_UNKNOWN;
        if (head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
                return IMG_FMT_JPEG;
        if (memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0)
                return IMG_FMT_PNG;
        if (memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WEBP", 4) == 0)
                return IMG_FMT_WEBP;
        if (memcmp(head, "II*\0", 4) == 0 || memcmp(head, "MM\0*", 4) == 0)
                return IMG_FMT_TIFF;
        if (len >= 16 && memcmp(head + 4, "ftyp", 4) == 0)
                return sniff_ftyp(head, len);
        return IMG_FMT_UNKNOWN;
}

const char *img_format_name(enum img_format f)
{
        switch (f) {
        case IMG_FMT_JPEG:
                return "jpeg";
        case IMG_FMT_PNG:
                return "png";
        case IMG_FMT_HEIF:
                return "heif";
        case IMG_FMT_TIFF:
                return "tiff";
        case IMG_FMT_WEBP:
                return "webp";
        default:
                return "unknown";
        }
}
