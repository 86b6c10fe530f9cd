/* Helpers for the sync worker tests, the torture script and the benchmark:
 * a kiosk store with locked orders whose photos (random bytes) are durable spool
 * files, and the events that follow a lock. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/store.h"

/* Set the settings kiosk_id/store_id the order JSON carries. 0 or store error. */
int sf_identity(struct store *s, const char *kiosk_id, const char *store_id);
/* A photo of `size` pseudo-random bytes from seed, durable in spool_dir, put in
 * the store. */
int sf_photo(struct store *s, const char *spool_dir, uint64_t seed, size_t size,
             char ret_sha[STORE_SHA256_SIZE]);
/* A locked order with n_photos items (one new photo each). */
int sf_locked_order(struct store *s, const char *spool_dir, uint64_t seed, int n_photos,
                    size_t photo_size, char ret_id[STORE_ID_SIZE]);
/* Move a locked order through rendering, queued, printing, printed, ready,
 * collected: 4 events (printing, printed, ready, collected) in the outbox. */
int sf_advance(struct store *s, const char *order_id);
