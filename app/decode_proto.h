/* app/decode_proto: the wire format between the kiosk (app/decode_pool.c) and
 * the sandboxed decode helper (app/decode/decode_helper_main.c).
 *
 * One request and one answer per photo, each a single SOCK_SEQPACKET message
 * of exactly sizeof(struct) bytes, fixed-width fields only (no pointers, no
 * bool, no enums on the wire). Both ends come from the same build, but the
 * kiosk still treats every answer as hostile: app_decode_reply_check() checks
 * every field before app_decode_reply_to_probe/_thumb convert it. A strip
 * answer is also checked against the output file itself by the pool (its size
 * must be the bytes the answer claims).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "image/probe.h"
#include "image/thumb.h"

#define APP_DECODE_MAGIC 0x504b4443u /* "PKDC" */
#define APP_DECODE_VERSION 3u /* 2: APP_DECODE_OP_PROOF, 3: APP_DECODE_OP_STRIP */
/* Fixed fd numbers in the helper (set up by posix_spawn file actions). */
#define APP_DECODE_FD_SOCK 3
#define APP_DECODE_FD_SHM 4
/* The pixel buffer: the largest thumbnail, RGB (also bounds a preview's
 * fit box: width x height x 3 must fit). */
#define APP_DECODE_SHM_BYTES ((size_t)2048 * 2048 * 3)
/* Descriptors a request may carry (a proof: photo + four profiles; a strip:
 * photo + output file). */
#define APP_DECODE_MAX_FDS 5

enum app_decode_op {
        APP_DECODE_OP_PROBE = 1,
        APP_DECODE_OP_THUMB = 2,
        APP_DECODE_OP_TEST = 3, /* test hooks; arg = enum app_decode_test_op */
        APP_DECODE_OP_PROOF = 4, /* soft proof; fds: photo, paper, display, sRGB, Adobe RGB */
        APP_DECODE_OP_STRIP = 5, /* app_strip(); fds: photo (read), output file (write) */
        _APP_DECODE_OP_MAX,
};

struct app_decode_req {
        uint32_t magic, version;
        uint32_t op, seq;
        uint32_t probe_flags; /* IMG_PROBE_NO_HASH only */
        int32_t thumb_size;
        uint8_t square, allow_exif_thumb, pad[2];
        int32_t test_op;
        /* proof: fit box, customer rotation, gamut warning, paper intent/BPC */
        int32_t proof_width, proof_height, rotate;
        uint8_t gamut_warning, bpc, pad2[2];
        int32_t intent;
        /* strip: enum app_strip_mode, and the photo's size as the kiosk saw
         * it (fstat): the helper reads exactly that many bytes, and the
         * answer may claim at most that many written (stripping never grows
         * a file). Test faults for a strip travel in test_op. */
        int32_t strip_mode;
        uint64_t strip_in_size;
};

struct app_decode_reply {
        uint32_t magic, version;
        uint32_t op, seq;
        int32_t status; /* 0 or enum img_error */
        char errmsg[256];
        /* probe */
        int32_t format;
        uint64_t file_size;
        int32_t width, height, orientation, oriented_width, oriented_height, bands, bits;
        uint8_t has_alpha, is_cmyk, progressive, has_exif_thumbnail;
        int32_t colour_source;
        char colour_name[96], icc_sha256[65], captured_at[32], camera[96], sha256[65];
        uint8_t pad[3];
        /* thumb, and proof (which also fills the probe fields above, without
         * the file hash, and src_width/height = width/height) */
        int32_t thumb_width, thumb_height, from_exif, src_width, src_height, stride;
        uint64_t pixel_bytes;
        /* strip: bytes written to the output fd, the format the helper
         * sniffed (enum img_format: JPEG, PNG, WebP or HEIF) and the
         * struct app_strip_report counts */
        uint64_t strip_bytes;
        int32_t strip_format, strip_segments_dropped, strip_gps_removed, strip_tags_blanked,
                strip_items_blanked, pad4;
};

/* Check a received answer of `len` bytes against the request it answers.
 * Returns 0 when every field is in range (for status 0) or the error code and
 * message are sane (status < 0); -1 with a reason in why (static string)
 * otherwise. `shm_bytes` bounds pixel_bytes. A proof's size must be the one
 * img_proof_fit() gives for the photo's answered size, orientation and the
 * requested rotation and box (one pixel either way for libvips' rounding). */
int app_decode_reply_check(const void *msg, size_t len, const struct app_decode_req *req,
                           size_t shm_bytes, const char **why);
/* Fill *ret from a checked answer. */
void app_decode_reply_to_probe(const struct app_decode_reply *r, struct img_probe *ret);
void app_decode_reply_to_thumb_info(const struct app_decode_reply *r,
                                    struct img_thumb_info *ret);
/* Check a proof request's own fields (both ends: the pool before sending,
 * the helper before serving). 0 or -1 with a reason in why. */
int app_decode_proof_req_check(const struct app_decode_req *req, const char **why);
/* The strip report of a checked strip answer. */
struct app_strip_report;
void app_decode_reply_to_strip_report(const struct app_decode_reply *r,
                                      struct app_strip_report *ret);
/* Check a strip request's own fields (both ends): mode, and a size of 1 ..
 * the image file-size limit. 0 or -1 with a reason in why. */
int app_decode_strip_req_check(const struct app_decode_req *req, const char **why);
/* Helper side: fill the answer's probe fields. */
void app_decode_reply_from_probe(struct app_decode_reply *r, const struct img_probe *p);
