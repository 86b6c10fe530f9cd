/* Fuzz target: the kiosk's parsing of central's answers (sync/http.c and
 * sync/central.c): header lines (Retry-After, Date, Upload-Offset/Length,
 * Content-Range, Location, X-Asset-Id, ETag), the contract error body, the
 * pickups page, and the answer classification. The input is split at its first
 * "\n\n": the part before is fed line by line as headers, the rest is the body.
 * Invariants checked: parsed numbers are -1 or non-negative, strings stay
 * NUL-terminated inside their buffers, a parsed pickups page has at most 50
 * orders and a cursor, nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/central.h"
#include "sync/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sync_http_resp r;
        struct sync_outcome o;
        const char *p = (const char *)data, *split = NULL;
        char code[64], cursor[SYNC_PICKUP_MAX_CURSOR], *s;
        json_t *orders = NULL;

        if (size > (2u << 20))
                return 0;
        memset(&r, 0, sizeof(r));
        r.retry_after_s = r.date = r.upload_offset = r.upload_length = r.range_first = r.range_total = -1;
        for (size_t i = 0; i + 1 < size; i++)
                if (p[i] == '\n' && p[i + 1] == '\n') {
                        split = p + i;
                        break;
                }
        const char *hend = split ? split : p + size;
        for (const char *line = p; line < hend;) {
                const char *nl = memchr(line, '\n', (size_t)(hend - line));
                size_t n = nl ? (size_t)(nl - line) + 1 : (size_t)(hend - line);
                sync_http_parse_header_line(&r, line, n);
                line += n;
        }
        if (r.upload_offset < -1 || r.upload_length < -1 || r.range_total < -1 || r.range_first < -1 ||
            r.retry_after_s < -1 || r.retry_after_s > 86400)
                abort();
        if (strlen(r.location) >= sizeof(r.location) || strlen(r.etag) >= sizeof(r.etag) ||
            strlen(r.asset_id) >= sizeof(r.asset_id) || strlen(r.content_type) >= sizeof(r.content_type))
                abort();
        const char *body = split ? split + 2 : p + size;
        size_t blen = (size_t)(p + size - body);
        sync_http_parse_error_code(body, blen, code, sizeof(code));
        if (strlen(code) >= sizeof(code))
                abort();
        if (sync_central_parse_pickups(body, blen, &orders, cursor) == 0) {
                if (json_array_size(orders) > SYNC_PICKUP_MAX_ORDERS || !cursor[0])
                        abort();
                json_decref(orders);
        }
        s = malloc(blen + 1);
        if (s) {
                memcpy(s, body, blen);
                s[blen] = '\0';
                int64_t v = sync_http_parse_u63(s);
                if (v < -1)
                        abort();
                v = sync_http_parse_retry_after(s, 1795600000);
                if (v < -1 || v > 86400)
                        abort();
                free(s);
        }
        /* classification of every status with the parsed code */
        for (long st = 0; st < 600; st += 37) {
                r.status = st;
                snprintf(r.error_code, sizeof(r.error_code), "%s", code);
                sync_http_classify(0, &r, "fuzz", &o);
                if (o.verdict > SYNC_MISSING_ASSET)
                        abort();
        }
        return 0;
}
