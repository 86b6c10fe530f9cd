/* sync/central: the contract's calls other than uploads (sync/tus.h): orders,
 * events, the phone-app pickups page, and asset downloads in Range pieces.
 *
 * Each call classifies the answer with the contract's retry table into a
 * struct sync_outcome; a 2xx whose body does not parse or breaks a limit is a
 * failed attempt (SYNC_RETRY), never a crash. Downloads are resumable (the part
 * file's length is the offset), bounded by a maximum size, and verified against
 * the ETag sha256 before the caller may use them. */
#pragma once
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/http.h"

#define SYNC_PICKUP_MAX_ORDERS 50             /* contract: at most 50 a page */
#define SYNC_PICKUP_MAX_CURSOR 128
#define SYNC_DOWNLOAD_PIECE (1024 * 1024)     /* contract: pieces of at most 1 MiB */
#define SYNC_DOWNLOAD_MAX ((int64_t)256 << 20) /* pk-central's Tus-Max-Size default */

/* POST /v1/orders with Idempotency-Key = order_id; the body is sent as given. */
int sync_central_post_order(struct sync_http *h, const char *order_id, const char *body,
                            size_t len, struct sync_outcome *out);
/* POST /v1/orders/<order_id>/events. */
int sync_central_post_event(struct sync_http *h, const char *order_id, const char *body,
                            size_t len, struct sync_outcome *out);

/* GET /v1/kiosks/<kiosk_id>/pickups[?after=cursor]. 0: *ret_orders (array, new
 * reference) and ret_cursor; else out says why. */
int sync_central_get_pickups(struct sync_http *h, const char *kiosk_id, const char *cursor,
                             json_t **ret_orders, char ret_cursor[SYNC_PICKUP_MAX_CURSOR],
                             struct sync_outcome *out);
/* Parse a pickups page body (exposed for the fuzz target). 0 or -1. */
int sync_central_parse_pickups(const char *body, size_t len, json_t **ret_orders,
                               char ret_cursor[SYNC_PICKUP_MAX_CURSOR]);

/* Download asset_id into part_path (appending from its current length), then
 * verify: 0 when the whole file is there and its sha256 equals the ETag, with
 * ret_sha256 / ret_size / ret_content_type (64 bytes). max_size bounds the
 * total. A hash mismatch deletes the part file (SYNC_RETRY). */
int sync_central_download_asset(struct sync_http *h, const char *asset_id, int64_t max_size,
                                const char *part_path, char ret_sha256[65], int64_t *ret_size,
                                char ret_content_type[64], int64_t *bytes_received,
                                struct sync_outcome *out);
