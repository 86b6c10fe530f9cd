/* app/decode_proto: validation and conversion of decode helper answers.
 *
 * Invariant: nothing from an answer reaches the caller unless
 * app_decode_reply_check() accepted it; strings must be NUL-terminated inside
 * their field, enums in range, sizes consistent with the request and bounded
 * by the image limits and the shared buffer.
 */
#include "app/decode_proto.h"

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "image/paper.h"
#include "image/proof.h"
#include "app/strip_metadata.h"

static int str_ok(const char *s, size_t cap)
{
        /* NUL inside the field, printable ASCII before it. */
        for (size_t i = 0; i < cap; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == 0)
                        return 1;
                if (c < 0x20 || c > 0x7e)
                        return 0;
        }
        return 0;
}

static int hex_ok(const char *s, size_t cap, int allow_empty)
{
        size_t n = strnlen(s, cap);
        if (n == cap)
                return 0;
        if (n == 0)
                return allow_empty;
        if (n != 64)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                        return 0;
        }
        return 1;
}

static int errmsg_ok(const char *s, size_t cap)
{
        /* Detail from libvips may hold any byte; only termination matters
         * here, the pool sanitises it before copying out. */
        return strnlen(s, cap) < cap;
}

#define FAIL(msg)              \
        do {                   \
                *why = (msg); \
                return -1;     \
        } while (0)

/* The probe half of an answer (probe and proof answers). */
static int probe_fields_ok(const struct app_decode_reply *r, bool hash_optional, const char **why)
{
        const struct img_limits *lim = img_get_limits();
        if (r->format <= IMG_FMT_UNKNOWN || r->format >= _IMG_FMT_MAX ||
            r->format == IMG_FMT_TIFF)
                FAIL("format out of range");
        if (r->file_size == 0 || r->file_size > lim->max_file_bytes)
                FAIL("file size out of range");
        if (r->width < 1 || r->height < 1 || (uint32_t)r->width > lim->max_side ||
            (uint32_t)r->height > lim->max_side ||
            (uint64_t)r->width * (uint64_t)r->height > lim->max_pixels)
                FAIL("dimensions out of range");
        if (r->orientation < 1 || r->orientation > 8)
                FAIL("orientation out of range");
        int sw = r->orientation >= 5 ? r->height : r->width;
        int sh = r->orientation >= 5 ? r->width : r->height;
        if (r->oriented_width != sw || r->oriented_height != sh)
                FAIL("oriented size inconsistent");
        if (r->bands < 1 || r->bands > 4 || (r->bits != 8 && r->bits != 16))
                FAIL("bands or bits out of range");
        if (r->has_alpha > 1 || r->is_cmyk > 1 || r->progressive > 1 ||
            r->has_exif_thumbnail > 1)
                FAIL("flag out of range");
        if (r->colour_source < IMG_COLOUR_ASSUMED || r->colour_source > IMG_COLOUR_EXIF)
                FAIL("colour source out of range");
        if (!str_ok(r->colour_name, sizeof(r->colour_name)) ||
            !str_ok(r->captured_at, sizeof(r->captured_at)) ||
            !str_ok(r->camera, sizeof(r->camera)))
                FAIL("string field malformed");
        if (!hex_ok(r->icc_sha256, sizeof(r->icc_sha256), 1))
                FAIL("icc hash malformed");
        if (!hex_ok(r->sha256, sizeof(r->sha256), hash_optional))
                FAIL("file hash malformed");
        return 0;
}

int app_decode_proof_req_check(const struct app_decode_req *req, const char **why)
{
        static const char *unused;
        if (!why)
                why = &unused;
        if (req->op != APP_DECODE_OP_PROOF)
                FAIL("not a proof request");
        if (req->proof_width < 16 || req->proof_height < 16 ||
            req->proof_width > IMG_PROOF_MAX_SIDE || req->proof_height > IMG_PROOF_MAX_SIDE ||
            (uint64_t)req->proof_width * (uint64_t)req->proof_height * 3 > APP_DECODE_SHM_BYTES)
                FAIL("preview box out of range");
        if (req->rotate != 0 && req->rotate != 90 && req->rotate != 180 && req->rotate != 270)
                FAIL("rotation out of range");
        if (req->gamut_warning > 1 || req->bpc > 1 || req->intent < 0 || req->intent >= _IMG_INTENT_MAX)
                FAIL("flag out of range");
        return 0;
}

int app_decode_strip_req_check(const struct app_decode_req *req, const char **why)
{
        static const char *unused;
        if (!why)
                why = &unused;
        if (req->op != APP_DECODE_OP_STRIP)
                FAIL("not a strip request");
        if (req->strip_mode != APP_STRIP_PRIVATE && req->strip_mode != APP_STRIP_ALL)
                FAIL("strip mode out of range");
        uint64_t max = img_get_limits()->max_file_bytes;
        if (max > APP_STRIP_MAX_BYTES)
                max = APP_STRIP_MAX_BYTES;
        if (req->strip_in_size < 1 || req->strip_in_size > max)
                FAIL("photo size out of range");
        return 0;
}

/* A strip answer: what the helper says it wrote is bounded by what it was
 * given (no format grows), HEIF keeps its length, the counts are what a walk
 * of that many bytes could find. */
static int strip_fields_ok(const struct app_decode_reply *r, const struct app_decode_req *req,
                           const char **why)
{
        if (app_decode_strip_req_check(req, why) != 0)
                return -1;
        uint64_t in = req->strip_in_size;
        if (r->strip_bytes < 1 || r->strip_bytes > in)
                FAIL("stripped size out of range");
        if (r->strip_format != IMG_FMT_JPEG && r->strip_format != IMG_FMT_PNG &&
            r->strip_format != IMG_FMT_WEBP && r->strip_format != IMG_FMT_HEIF)
                FAIL("strip format out of range");
        bool heif = r->strip_format == IMG_FMT_HEIF;
        if (heif && r->strip_bytes != in)
                FAIL("HEIF length changed");
        if (r->strip_segments_dropped < 0 || r->strip_gps_removed < 0 || r->strip_tags_blanked < 0 ||
            r->strip_items_blanked < 0 || (uint64_t)r->strip_segments_dropped > in ||
            (uint64_t)r->strip_gps_removed > in || (uint64_t)r->strip_tags_blanked > in ||
            r->strip_segments_dropped > APP_STRIP_MAX_CHUNKS + 1 ||
            r->strip_items_blanked > APP_STRIP_MAX_META_ITEMS)
                FAIL("strip counts out of range");
        if ((heif && r->strip_segments_dropped != 0) || (!heif && r->strip_items_blanked != 0))
                FAIL("strip counts inconsistent with the format");
        return 0;
}

int app_decode_reply_check(const void *msg, size_t len, const struct app_decode_req *req,
                           size_t shm_bytes, const char **why)
{
        static const char *unused;
        if (!why)
                why = &unused;
        if (!msg || !req)
                FAIL("no message");
        if (len != sizeof(struct app_decode_reply))
                FAIL("wrong message length");
        const struct app_decode_reply *r = msg;
        if (r->magic != APP_DECODE_MAGIC || r->version != APP_DECODE_VERSION)
                FAIL("bad magic or version");
        if (r->op != req->op || r->seq != req->seq)
                FAIL("answer to another request");
        if (!errmsg_ok(r->errmsg, sizeof(r->errmsg)))
                FAIL("error message not terminated");
        if (r->status > 0 || r->status <= _IMG_E_MIN)
                FAIL("status out of range");
        if (r->status < 0)
                return 0; /* a verdict: nothing else is read */

        if (r->op == APP_DECODE_OP_PROBE)
                return probe_fields_ok(r, (req->probe_flags & IMG_PROBE_NO_HASH) != 0, why);
        if (r->op == APP_DECODE_OP_PROOF) {
                if (app_decode_proof_req_check(req, why) != 0)
                        return -1;
                if (probe_fields_ok(r, true, why) != 0)
                        return -1;
                int ew, eh;
                img_proof_fit(r->width, r->height, r->orientation, req->rotate, req->proof_width,
                              req->proof_height, &ew, &eh);
                if (r->thumb_width < 1 || r->thumb_height < 1 || abs(r->thumb_width - ew) > 1 ||
                    abs(r->thumb_height - eh) > 1)
                        FAIL("preview size does not fit the photo and the box");
                if (r->stride != r->thumb_width * 3)
                        FAIL("stride inconsistent");
                uint64_t need = (uint64_t)r->stride * (uint64_t)r->thumb_height;
                if (r->pixel_bytes != need || need > shm_bytes)
                        FAIL("pixel size inconsistent");
                if (r->from_exif != 0 || r->src_width != r->width || r->src_height != r->height)
                        FAIL("source fields inconsistent");
                return 0;
        }
        if (r->op == APP_DECODE_OP_THUMB) {
                const struct img_limits *lim = img_get_limits();
                int32_t size = req->thumb_size;
                if (r->thumb_width < 1 || r->thumb_height < 1 || r->thumb_width > size ||
                    r->thumb_height > size)
                        FAIL("thumbnail size out of range");
                if (r->stride != r->thumb_width * 3)
                        FAIL("stride inconsistent");
                uint64_t need = (uint64_t)r->stride * (uint64_t)r->thumb_height;
                if (r->pixel_bytes != need || need > shm_bytes)
                        FAIL("pixel size inconsistent");
                if (r->from_exif != 0 && r->from_exif != 1)
                        FAIL("flag out of range");
                if (r->src_width < 1 || r->src_height < 1 || (uint32_t)r->src_width > lim->max_side ||
                    (uint32_t)r->src_height > lim->max_side)
                        FAIL("source size out of range");
                return 0;
        }
        if (r->op == APP_DECODE_OP_STRIP)
                return strip_fields_ok(r, req, why);
        if (r->op == APP_DECODE_OP_TEST)
                return 0;
        FAIL("unknown operation");
}

void app_decode_reply_to_probe(const struct app_decode_reply *r, struct img_probe *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->format = (enum img_format)r->format;
        ret->file_size = r->file_size;
        ret->width = r->width;
        ret->height = r->height;
        ret->orientation = r->orientation;
        ret->oriented_width = r->oriented_width;
        ret->oriented_height = r->oriented_height;
        ret->bands = r->bands;
        ret->bits = r->bits;
        ret->has_alpha = r->has_alpha != 0;
        ret->is_cmyk = r->is_cmyk != 0;
        ret->progressive = r->progressive != 0;
        ret->has_exif_thumbnail = r->has_exif_thumbnail != 0;
        ret->colour_source = (enum img_colour_source)r->colour_source;
        /* Checked NUL-terminated and same capacities: plain copies. */
        memcpy(ret->colour_name, r->colour_name, sizeof(ret->colour_name));
        memcpy(ret->icc_sha256, r->icc_sha256, sizeof(ret->icc_sha256));
        memcpy(ret->captured_at, r->captured_at, sizeof(ret->captured_at));
        memcpy(ret->camera, r->camera, sizeof(ret->camera));
        memcpy(ret->sha256, r->sha256, sizeof(ret->sha256));
}

void app_decode_reply_to_thumb_info(const struct app_decode_reply *r, struct img_thumb_info *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->width = r->thumb_width;
        ret->height = r->thumb_height;
        ret->from_exif = r->from_exif != 0;
        ret->src_width = r->src_width;
        ret->src_height = r->src_height;
}

void app_decode_reply_to_strip_report(const struct app_decode_reply *r,
                                      struct app_strip_report *ret)
{
        *ret = (struct app_strip_report){.segments_dropped = r->strip_segments_dropped,
                                         .gps_entries_removed = r->strip_gps_removed,
                                         .tags_blanked = r->strip_tags_blanked,
                                         .items_blanked = r->strip_items_blanked};
}

void app_decode_reply_from_probe(struct app_decode_reply *r, const struct img_probe *p)
{
        r->format = p->format;
        r->file_size = p->file_size;
        r->width = p->width;
        r->height = p->height;
        r->orientation = p->orientation;
        r->oriented_width = p->oriented_width;
        r->oriented_height = p->oriented_height;
        r->bands = p->bands;
        r->bits = p->bits;
        r->has_alpha = p->has_alpha;
        r->is_cmyk = p->is_cmyk;
        r->progressive = p->progressive;
        r->has_exif_thumbnail = p->has_exif_thumbnail;
        r->colour_source = p->colour_source;
        _Static_assert(sizeof(r->colour_name) == sizeof(p->colour_name), "colour_name");
        _Static_assert(sizeof(r->icc_sha256) == sizeof(p->icc_sha256), "icc_sha256");
        _Static_assert(sizeof(r->captured_at) == sizeof(p->captured_at), "captured_at");
        _Static_assert(sizeof(r->camera) == sizeof(p->camera), "camera");
        _Static_assert(sizeof(r->sha256) == sizeof(p->sha256), "sha256");
        memcpy(r->colour_name, p->colour_name, sizeof(r->colour_name));
        memcpy(r->icc_sha256, p->icc_sha256, sizeof(r->icc_sha256));
        memcpy(r->captured_at, p->captured_at, sizeof(r->captured_at));
        memcpy(r->camera, p->camera, sizeof(r->camera));
        memcpy(r->sha256, p->sha256, sizeof(r->sha256));
        r->colour_name[sizeof(r->colour_name) - 1] = 0;
        r->icc_sha256[sizeof(r->icc_sha256) - 1] = 0;
        r->captured_at[sizeof(r->captured_at) - 1] = 0;
        r->camera[sizeof(r->camera) - 1] = 0;
        r->sha256[sizeof(r->sha256) - 1] = 0;
}
