/* Fuzz target: the price list parser (app/prices.c). Any input must either be
 * refused with a message or give prices that are integers in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/prices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct app_prices *p = NULL;
        struct app_prices_error err;
        if (app_prices_parse((const char *)data, size, &p, &err) == 0) {
                struct store_price_list l;
                app_prices_store_list(p, &l);
                if (l.n_prices == 0 || l.n_prices > APP_PRICES_MAX_ENTRIES || strlen(l.currency) != 3)
                        abort();
                for (size_t i = 0; i < l.n_prices; i++) {
                        int64_t u = -1;
                        if (l.prices[i].unit_minor < 0 || l.prices[i].unit_minor > APP_PRICES_MAX_UNIT ||
                            app_prices_lookup(p, l.prices[i].sku, l.prices[i].paper, &u) != 0)
                                abort();
                }
                app_prices_free(p);
        } else if (p || err.message[0] == '\0') {
                abort();
        }
        return 0;
}
