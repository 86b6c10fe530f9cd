/* Fuzz target: validation of decode helper answers (app/decode_proto.c), the
 * kiosk's side of the sandbox boundary. The first bytes choose the request
 * the answer is checked against; an accepted answer converts to values that
 * satisfy the limits (a proof's preview fits its box and the buffer, within
 * a pixel of img_proof_fit; a strip never claims more bytes than the photo
 * had). Corpus: tests/fuzz/corpus/decode_reply/ (proof.bin: a valid proof
 * answer, made from probe.bin; strip.bin: a valid strip answer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/decode_proto.h"
#include "app/strip_metadata.h"
#include "image/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 4)
                return 0;
        struct app_decode_req req = {.magic = APP_DECODE_MAGIC, .version = APP_DECODE_VERSION};
        req.op = 1 + data[0] % 5; /* seeds 0..3 keep their operation */
        req.probe_flags = data[1] & 1 ? IMG_PROBE_NO_HASH : 0;
        req.thumb_size = 16 + data[2] * 8;
        if (req.op == APP_DECODE_OP_PROOF) {
                req.probe_flags = IMG_PROBE_NO_HASH;
                req.proof_width = 16 + data[2] * 8;
                req.proof_height = 16 + data[3] * 8;
                req.rotate = ((data[1] >> 1) & 3) * 90;
                req.gamut_warning = (data[1] >> 3) & 1;
                req.bpc = (data[1] >> 4) & 1;
                req.intent = (data[1] >> 5) & 3;
        }
        if (req.op == APP_DECODE_OP_STRIP) {
                req.strip_mode = data[1] & 1;
                req.strip_in_size = 1 + (uint64_t)data[2] * 65536 + (uint64_t)data[3] * 256;
        }
        const uint8_t *msg = data + 4;
        size_t len = size - 4;
        /* The pool receives into an aligned buffer: do the same. */
        struct app_decode_reply *r = malloc(len > sizeof(*r) ? len : sizeof(*r));
        if (!r)
                return 0;
        memcpy(r, msg, len);
        if (len >= 16) { /* let the fuzzer get past magic/seq quickly */
                r->magic = APP_DECODE_MAGIC;
                r->version = APP_DECODE_VERSION;
                r->op = req.op;
                r->seq = req.seq;
        }
        const char *why = NULL;
        if (app_decode_reply_check(r, len, &req, APP_DECODE_SHM_BYTES, &why) == 0 && r->status == 0) {
                if (req.op == APP_DECODE_OP_PROBE) {
                        struct img_probe p;
                        app_decode_reply_to_probe(r, &p);
                        if (p.width < 1 || p.height < 1 || strlen(p.camera) >= sizeof(p.camera))
                                abort();
                } else if (req.op == APP_DECODE_OP_THUMB) {
                        if ((uint64_t)r->stride * (uint64_t)r->thumb_height > APP_DECODE_SHM_BYTES)
                                abort();
                } else if (req.op == APP_DECODE_OP_PROOF) {
                        int ew, eh;
                        img_proof_fit(r->width, r->height, r->orientation, req.rotate,
                                      req.proof_width, req.proof_height, &ew, &eh);
                        if ((uint64_t)r->stride * (uint64_t)r->thumb_height > APP_DECODE_SHM_BYTES ||
                            r->stride != r->thumb_width * 3 || r->thumb_width > req.proof_width + 1 ||
                            r->thumb_height > req.proof_height + 1 || r->thumb_width > ew + 1 ||
                            r->thumb_height > eh + 1)
                                abort();
                } else if (req.op == APP_DECODE_OP_STRIP) {
                        struct app_strip_report rep;
                        app_decode_reply_to_strip_report(r, &rep);
                        if (r->strip_bytes < 1 || r->strip_bytes > req.strip_in_size ||
                            rep.segments_dropped < 0 || rep.gps_entries_removed < 0 ||
                            rep.tags_blanked < 0 || rep.items_blanked < 0 ||
                            (r->strip_format == IMG_FMT_HEIF && r->strip_bytes != req.strip_in_size))
                                abort();
                }
        } else if (why == NULL && !(len == sizeof(*r) && r->status < 0) && req.op != APP_DECODE_OP_TEST) {
                abort(); /* a refusal always says why */
        }
        free(r);
        return 0;
}
