/* sync/central: orders, events, pickups and asset downloads (see central.h).
 * Invariants: request targets are built only from ids that passed id_ok();
 * every loop is bounded by the piece count of the largest allowed file. */
#include "sync/central.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/fsutil.h"

static void set_out(struct sync_outcome *o, enum sync_verdict v, long status, const char *why)
{
        memset(o, 0, sizeof(*o));
        o->verdict = v;
        o->status = status;
        o->retry_after_s = -1;
        snprintf(o->reason, sizeof(o->reason), "%s", why);
}

/* Ids go into paths: [A-Za-z0-9._:-]{1,127} only. */
static bool id_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 127)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '-'))
                        return false;
        }
        return true;
}

static int post_json(struct sync_http *h, const char *target, const char *key, const char *body,
                     size_t len, const char *what, struct sync_outcome *out)
{
        char key_h[200], ct[] = "Content-Type: application/json";
        const char *hdr[3] = {ct, NULL, NULL};
        struct sync_http_resp r;
        struct store_errbuf e;
        int rc;

        if (key) {
                snprintf(key_h, sizeof(key_h), "Idempotency-Key: %s", key);
                hdr[1] = key_h;
        }
        struct sync_http_req req = {.method = "POST", .target = target, .body = body, .body_len = len,
                                    .headers = hdr};
        rc = sync_http_request(h, &req, &r, &e);
        sync_http_classify(rc, &r, what, out);
        sync_http_resp_done(&r);
        return out->verdict == SYNC_OK ? 0 : -1;
}

int sync_central_post_order(struct sync_http *h, const char *order_id, const char *body,
                            size_t len, struct sync_outcome *out)
{
        if (!id_ok(order_id) || !body)
                return set_out(out, SYNC_DEAD, 0, "order: bad order id or body"), -1;
        return post_json(h, "/v1/orders", order_id, body, len, "order", out);
}

int sync_central_post_event(struct sync_http *h, const char *order_id, const char *body,
                            size_t len, struct sync_outcome *out)
{
        char target[200];

        if (!id_ok(order_id) || !body)
                return set_out(out, SYNC_DEAD, 0, "event: bad order id or body"), -1;
        snprintf(target, sizeof(target), "/v1/orders/%s/events", order_id);
        return post_json(h, target, NULL, body, len, "event", out);
}

int sync_central_parse_pickups(const char *body, size_t len, json_t **ret_orders,
                               char ret_cursor[SYNC_PICKUP_MAX_CURSOR])
{
        json_t *root, *orders, *cursor;
        int r = -1;

        if (!body || len == 0 || len > SYNC_HTTP_MAX_BODY)
                return -1;
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root))
                goto out;
        orders = json_object_get(root, "orders");
        cursor = json_object_get(root, "cursor");
        if (!json_is_array(orders) || json_array_size(orders) > SYNC_PICKUP_MAX_ORDERS ||
            !json_is_string(cursor) || !id_ok(json_string_value(cursor)) ||
            strlen(json_string_value(cursor)) >= SYNC_PICKUP_MAX_CURSOR)
                goto out;
        for (size_t i = 0; i < json_array_size(orders); i++) {
                json_t *o = json_array_get(orders, i);
                if (!json_is_object(o) || !json_is_string(json_object_get(o, "order_id")) ||
                    !id_ok(json_string_value(json_object_get(o, "order_id"))) ||
                    !json_is_array(json_object_get(o, "items")))
                        goto out;
        }
        snprintf(ret_cursor, SYNC_PICKUP_MAX_CURSOR, "%s", json_string_value(cursor));
        *ret_orders = json_incref(orders);
        r = 0;
out:
        json_decref(root);
        return r;
}

int sync_central_get_pickups(struct sync_http *h, const char *kiosk_id, const char *cursor,
                             json_t **ret_orders, char ret_cursor[SYNC_PICKUP_MAX_CURSOR],
                             struct sync_outcome *out)
{
        char target[400];
        struct sync_http_resp r;
        struct store_errbuf e;
        int rc;

        if (!id_ok(kiosk_id) || (cursor && cursor[0] && !id_ok(cursor)))
                return set_out(out, SYNC_DEAD, 0, "pickups: bad kiosk id or cursor"), -1;
        if (cursor && cursor[0])
                snprintf(target, sizeof(target), "/v1/kiosks/%s/pickups?after=%s", kiosk_id, cursor);
        else
                snprintf(target, sizeof(target), "/v1/kiosks/%s/pickups", kiosk_id);
        struct sync_http_req req = {.method = "GET", .target = target};
        rc = sync_http_request(h, &req, &r, &e);
        sync_http_classify(rc, &r, "pickups", out);
        if (out->verdict == SYNC_OK &&
            sync_central_parse_pickups(r.body, r.body_len, ret_orders, ret_cursor) != 0)
                set_out(out, SYNC_RETRY, r.status, "pickups: answer does not parse");
        sync_http_resp_done(&r);
        return out->verdict == SYNC_OK ? 0 : -1;
}

static bool hex64(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int sync_central_download_asset(struct sync_http *h, const char *asset_id, int64_t max_size,
                                const char *part_path, char ret_sha256[65], int64_t *ret_size,
                                char ret_content_type[64], int64_t *bytes_received,
                                struct sync_outcome *out)
{
        char target[200], etag[80] = "", ct[64] = "application/octet-stream", sha[65];
        int64_t offset, total = -1, sz = 0;
        struct stat stt;
        int fd, rc = -1;

        if (!id_ok(asset_id) || !part_path || max_size < 1)
                return set_out(out, SYNC_DEAD, 0, "download: bad asset id"), -1;
        if (max_size > SYNC_DOWNLOAD_MAX)
                max_size = SYNC_DOWNLOAD_MAX;
        snprintf(target, sizeof(target), "/v1/assets/%s", asset_id);
        fd = open(part_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || fstat(fd, &stt) != 0) {
                if (fd >= 0)
                        close(fd);
                return set_out(out, SYNC_RETRY, 0, "download: cannot open the part file"), -1;
        }
        offset = (int64_t)stt.st_size;
        for (int64_t piece = 0; piece <= max_size / SYNC_DOWNLOAD_PIECE + 2; piece++) {
                char range_h[80];
                struct sync_http_resp r;
                struct store_errbuf e;
                int hrc;

                if (total >= 0 && offset >= total)
                        break;
                snprintf(range_h, sizeof(range_h), "Range: bytes=%lld-%lld", (long long)offset,
                         (long long)(offset + SYNC_DOWNLOAD_PIECE - 1));
                const char *hdr[] = {range_h, NULL};
                struct sync_http_req req = {.method = "GET", .target = target, .headers = hdr,
                                            .body_cap = SYNC_DOWNLOAD_PIECE};
                hrc = sync_http_request(h, &req, &r, &e);
                if (hrc == 0 && r.status == 416 && r.range_total >= 0 && offset == r.range_total) {
                        total = offset;  /* the part file was already whole */
                        snprintf(etag, sizeof(etag), "%s", r.etag);
                        sync_http_resp_done(&r);
                        break;
                }
                sync_http_classify(hrc, &r, "download", out);
                if (out->verdict != SYNC_OK) {
                        if (r.status == 416) {  /* our part file is longer than the asset */
                                if (ftruncate(fd, 0) != 0) { /* next attempt starts over */ }
                                out->verdict = SYNC_RETRY;
                        }
                        sync_http_resp_done(&r);
                        goto done;
                }
                if (r.status == 200) {  /* no range support: only acceptable from 0 */
                        if (offset != 0 || ftruncate(fd, 0) != 0) {
                                sync_http_resp_done(&r);
                                set_out(out, SYNC_RETRY, 200, "download: whole file after a range request");
                                goto done;
                        }
                        total = (int64_t)r.body_len;
                } else if (r.status == 206) {
                        if (r.range_first != offset || r.range_total < 1) {
                                sync_http_resp_done(&r);
                                set_out(out, SYNC_RETRY, 206, "download: bad Content-Range");
                                goto done;
                        }
                        total = r.range_total;
                } else {
                        sync_http_resp_done(&r);
                        set_out(out, SYNC_RETRY, r.status, "download: unexpected status");
                        goto done;
                }
                if (total > max_size || !hex64(r.etag) || (etag[0] && strcmp(etag, r.etag) != 0) ||
                    offset + (int64_t)r.body_len > total) {
                        sync_http_resp_done(&r);
                        if (ftruncate(fd, 0) != 0) { /* next attempt starts over anyway */ }
                        set_out(out, total > max_size ? SYNC_DEAD : SYNC_RETRY, r.status,
                                "download: size over the bound or bad ETag");
                        goto done;
                }
                snprintf(etag, sizeof(etag), "%s", r.etag);
                if (r.content_type[0])
                        snprintf(ct, sizeof(ct), "%s", r.content_type);
                if (r.body_len > 0 && write(fd, r.body, r.body_len) != (ssize_t)r.body_len) {
                        sync_http_resp_done(&r);
                        set_out(out, SYNC_RETRY, 0, "download: cannot write the part file");
                        goto done;
                }
                if (bytes_received)
                        *bytes_received += (int64_t)r.body_len;
                offset += (int64_t)r.body_len;
                sync_http_resp_done(&r);
                if (r.body_len == 0 && offset < total) {
                        set_out(out, SYNC_RETRY, 206, "download: empty piece");
                        goto done;
                }
        }
        if (total < 0 || offset != total || fsync(fd) != 0) {
                set_out(out, SYNC_RETRY, 0, "download: incomplete");
                goto done;
        }
        if (sync_fs_sha256_file(part_path, sha, &sz, NULL) != 0 || sz != total) {
                set_out(out, SYNC_RETRY, 0, "download: cannot hash the part file");
                goto done;
        }
        if (strcmp(sha, etag) != 0) {
                unlink(part_path);
                set_out(out, SYNC_RETRY, 0, "download: sha256 does not match the ETag");
                goto done;
        }
        memcpy(ret_sha256, sha, 65);
        *ret_size = sz;
        snprintf(ret_content_type, 64, "%s", ct);
        set_out(out, SYNC_OK, 200, "downloaded");
        rc = 0;
done:
        close(fd);
        return rc;
}
