/* pk-central request parsing: tus headers, Range, cursors, order/event/fault
 * JSON validation. Pure functions over untrusted bytes (fuzzed by
 * tests/fuzz/fuzz_central_request.c): every input is length-checked first,
 * outputs are written only on success, nothing is allocated that the caller
 * does not free. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PC_MAX_JSON_BODY (1024 * 1024)      /* orders, events, admin bodies */
#define PC_MAX_ID 64                        /* order/event/kiosk/item ids */
#define PC_MAX_HEADER 4096                  /* any header value we parse */
#define PC_MAX_CONTENT_TYPE 127
#define PC_MAX_FAULTS 64
#define PC_MAX_ITEMS 500                    /* items in one order */

/* Strict unsigned decimal: 1-19 digits, nothing else. */
int pc_parse_u64(const char *s, uint64_t *ret);

/* Identifier: 1..PC_MAX_ID of [A-Za-z0-9._:-]. Returns 1 if valid. */
int pc_id_ok(const char *s);

struct pc_tus_meta {
        char sha256[65];                     /* lowercase hex */
        char kind[8];                        /* "photo" or "master" */
        char content_type[PC_MAX_CONTENT_TYPE + 1];
};
/* Upload-Metadata: "key b64,key b64,...". sha256, kind and content-type are
 * required; file names ("filename", "name") are refused (they can be personal).
 * Returns 0 or -1 with a reason in msg. */
int pc_parse_upload_metadata(const char *hdr, struct pc_tus_meta *ret, char *msg, size_t msgsz);
/* Canonical Upload-Metadata for a parsed one (what HEAD answers). */
void pc_format_upload_metadata(const struct pc_tus_meta *m, char *out, size_t outsz);

enum pc_checksum_algo { PC_SUM_SHA256 = 1, PC_SUM_SHA1 = 2 };
/* Upload-Checksum: "sha256 <b64 of 32 bytes>" or "sha1 <b64 of 20 bytes>".
 * Returns 0, -1 malformed, -2 unsupported algorithm. */
int pc_parse_upload_checksum(const char *hdr, enum pc_checksum_algo *ret_algo,
                             uint8_t ret_digest[32]);

enum pc_range { PC_RANGE_NONE = 0, PC_RANGE_OK = 1, PC_RANGE_UNSATISFIABLE = 2 };
/* One "bytes=a-b" / "bytes=a-" / "bytes=-n" range over a file of size bytes.
 * Malformed or multi-range headers are ignored (PC_RANGE_NONE: whole file), as
 * RFC 9110 allows. ret_first/ret_last are inclusive. */
enum pc_range pc_parse_range(const char *hdr, uint64_t size, uint64_t *ret_first, uint64_t *ret_last);

/* Pickup cursor "c<seq>". Returns 0 or -1. */
int pc_parse_cursor(const char *s, int64_t *ret_seq);

/* Order body checks (fields and types as the contract's example; master_asset_id
 * and render optional). Returns 0 or -1 with the first problem in msg. */
int pc_validate_order(const json_t *o, char *msg, size_t msgsz);

/* Event type -> index in pc_event_types, or -1. */
int pc_event_type(const char *s);
extern const char *const pc_event_types[8];
/* Event body checks: event_id, type (known), at (contract timestamp); actor
 * string and detail object when present. Returns 0, -1 (invalid-event). */
int pc_validate_event(const json_t *e, char *msg, size_t msgsz);

/* Fault rule list (see faults.c). Checks one parsed JSON list; returns 0 or -1. */
int pc_validate_faults(const json_t *list, char *msg, size_t msgsz);
/* Route pattern "METHOD /a/<star>/b" against method + path (no query); <star> matches
 * exactly one non-empty segment. Returns 1 on match. */
int pc_route_match(const char *pattern, const char *method, const char *path);
