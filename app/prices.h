/* app/prices: the price list (assets/prices.ini, GKeyFile) → integer unit prices.
 *
 *   [prices]
 *   version=2026-11        ; stored with every order locked under it
 *   currency=GBP           ; ISO 4217, three upper-case letters
 *   [PRINT-6X4]            ; one group per SKU
 *   glossy=35              ; paper = unit price in minor units (pence)
 *   lustre=45
 *
 * Invariants: prices are integers only (no floats, no sign, no leading '+', no
 * spaces inside), 0..APP_PRICES_MAX_UNIT; SKUs are [A-Z0-9-]{1,31}, papers
 * [a-z0-9_-]{1,31}; at most APP_PRICES_MAX_ENTRIES entries; the file is at most
 * APP_PRICES_MAX_BYTES. Every error names its line (0 = the file as a whole).
 * The store never parses this file: app_prices_store_list() hands it integers.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sync/store.h"

#define APP_PRICES_MAX_BYTES (64 * 1024)
#define APP_PRICES_MAX_ENTRIES 256
#define APP_PRICES_MAX_UNIT 1000000 /* 10 000.00 in a 2-decimal currency */

struct app_prices;

struct app_prices_error {
        int line;          /* 1-based; 0 = whole file */
        char message[200];
};

/* Parse a price list held in memory. Returns 0, or -1 with the first problem in
 * err (may be NULL). (transfer full: app_prices_free) */
int app_prices_parse(const char *data, size_t len, struct app_prices **ret,
                     struct app_prices_error *err);
/* Read and parse a file (O_CLOEXEC, size-limited). */
int app_prices_load(const char *path, struct app_prices **ret, struct app_prices_error *err);
/* Accepts NULL; returns NULL. */
struct app_prices *app_prices_free(struct app_prices *p);

const char *app_prices_version(const struct app_prices *p);
const char *app_prices_currency(const struct app_prices *p);
/* Unit price of sku × paper: 0, or -1 when the list has no such entry. */
int app_prices_lookup(const struct app_prices *p, const char *sku, const char *paper,
                      int64_t *ret_unit_minor);
/* A view for store_order_lock(); valid while p lives. */
void app_prices_store_list(const struct app_prices *p, struct store_price_list *ret);
