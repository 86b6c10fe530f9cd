/* Helpers for the store tests: a fresh store in a temp dir, a fake photo asset,
 * orders driven into any state, row counts. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/outbox.h"
#include "sync/store.h"

struct fixture {
        char *dir;
        struct store *s;
        char photo_sha[STORE_SHA256_SIZE];
};

/* setup/teardown for cmocka (state is a struct fixture *). */
int fx_setup(void **state);
int fx_teardown(void **state);

/* A durable fake photo (bytes from `seed`) put into the store. */
void fx_photo(struct fixture *f, int seed, char ret_sha[STORE_SHA256_SIZE]);
/* A draft order with one item (PRINT-6X4 glossy, quantity q). */
void fx_draft(struct fixture *f, int q, char ret_id[STORE_ID_SIZE]);
/* The test price list (PRINT-6X4 glossy 35, lustre 45; PRINT-8X6 glossy 149). */
const struct store_price_list *fx_prices(void);
/* A new order in `st`, reached through legal transitions. */
void fx_order_in(struct fixture *f, enum order_state st, char ret_id[STORE_ID_SIZE]);
/* Rows for an order. */
size_t fx_audit_count(struct fixture *f, const char *order_id);
size_t fx_outbox_count(struct fixture *f, const char *order_id);
/* The newest outbox row's payload "type" (or "order"), malloc'd; NULL if none. */
char *fx_last_outbox_type(struct fixture *f, const char *order_id);
/* A phone-app order body with a fresh order_id (and item id), code given. */
char *fx_remote_json(const char *code, char ret_id[STORE_ID_SIZE]);
