/* See sync_fixture.h. */
#include "tests/sync/sync_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/fsutil.h"
#include "sync/order_state.h"

int sf_identity(struct store *s, const char *kiosk_id, const char *store_id)
{
        int r = store_kv_set(s, STORE_KV_SETTINGS, "kiosk_id", kiosk_id, NULL);
        return r ? r : store_kv_set(s, STORE_KV_SETTINGS, "store_id", store_id, NULL);
}

int sf_photo(struct store *s, const char *spool_dir, uint64_t seed, size_t size,
             char ret_sha[STORE_SHA256_SIZE])
{
        uint8_t *buf = malloc(size ? size : 1);
        uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
        char *path = NULL;
        struct store_errbuf err;
        int r;

        if (!buf)
                return STORE_E_IO;
        for (size_t i = 0; i < size; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf[i] = (uint8_t)x;
        }
        r = sync_fs_store_buffer(spool_dir, buf, size, ".jpg", ret_sha, &path, &err);
        free(buf);
        if (r != 0)
                return r;
        struct store_asset a = {.size = (int64_t)size, .kind = STORE_ASSET_PHOTO};
        memcpy(a.sha256, ret_sha, STORE_SHA256_SIZE);
        snprintf(a.path, sizeof(a.path), "%s", path);
        snprintf(a.content_type, sizeof(a.content_type), "image/jpeg");
        free(path);
        return store_asset_put(s, &a, &err);
}

static const struct store_price prices[] = {{"PRINT-6X4", "glossy", 35}};
static const struct store_price_list list = {"2026-11", "GBP", prices, 1};

int sf_locked_order(struct store *s, const char *spool_dir, uint64_t seed, int n_photos,
                    size_t photo_size, char ret_id[STORE_ID_SIZE])
{
        char code[STORE_CODE_SIZE], item[STORE_ID_SIZE], sha[STORE_SHA256_SIZE];
        int r = store_order_create(s, NULL, ret_id, code, NULL);

        for (int i = 0; i < n_photos && r == 0; i++) {
                r = sf_photo(s, spool_dir, seed * 1000 + (uint64_t)i, photo_size, sha);
                if (r == 0) {
                        struct store_item_spec sp = {.asset_sha256 = sha, .sku = "PRINT-6X4",
                                                     .paper = "glossy", .quantity = 1 + i % 3,
                                                     .crop_w = 1, .crop_h = 1};
                        r = store_order_add_item(s, ret_id, &sp, item, NULL);
                }
        }
        return r ? r : store_order_lock(s, ret_id, &list, "customer", NULL);
}

int sf_advance(struct store *s, const char *order_id)
{
        static const enum order_state path[] = {ORDER_RENDERING, ORDER_QUEUED, ORDER_PRINTING,
                                                ORDER_PRINTED, ORDER_READY, ORDER_COLLECTED};
        int r = 0;
        for (size_t i = 0; i < sizeof(path) / sizeof(path[0]) && r == 0; i++)
                r = store_order_transition(s, order_id, path[i], "system", "test", NULL);
        return r;
}
