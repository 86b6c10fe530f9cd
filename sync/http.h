/* sync/http: a libcurl easy-handle wrapper for the central order API.
 *
 * Every request under /v1/ is signed per the contract (X-Kiosk-Id, X-Timestamp =
 * local clock + the stored clock offset, X-Signature over the exact bytes sent).
 * TLS verification stays on (CAINFO from the config when given); connect, total
 * and low-speed timeouts bound every request; answer bodies are capped (the
 * write callback aborts beyond the cap) and headers are parsed with fixed
 * bounds. A 401 clock-skew answer with a usable Date header corrects the offset,
 * re-signs and retries exactly once (the caller persists the new offset).
 * Invariants: nothing here logs; bodies and secrets never reach an error text.
 * A struct sync_http belongs to one thread.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"

#define SYNC_HTTP_MAX_BODY (1024 * 1024)   /* contract: JSON answers over 1 MiB are a failed attempt */
#define SYNC_HTTP_MAX_HEADER 4096          /* one header line; longer lines are ignored */
#define SYNC_HTTP_CONNECT_TIMEOUT_S 10
#define SYNC_HTTP_TOTAL_TIMEOUT_S 120      /* one request, a 1 MiB chunk included */
#define SYNC_HTTP_LOW_SPEED_BYTES 512      /* abort when slower than this ... */
#define SYNC_HTTP_LOW_SPEED_S 20           /* ... for this long */

struct sync_http;

struct sync_http_config {
        const char *base_url;      /* "https://hq.example" (no trailing slash needed) */
        const char *kiosk_id;
        const uint8_t *key;        /* 32 bytes */
        const char *ca_bundle;     /* NULL/"" = system default */
        int64_t clock_offset_s;    /* stored offset (server - local) */
        long total_timeout_s;      /* 0 = SYNC_HTTP_TOTAL_TIMEOUT_S */
};

/* The parts of an answer the client acts on. */
struct sync_http_resp {
        long status;               /* 0 = no HTTP answer (network error) */
        int curl_code;             /* CURLcode of the transfer */
        char *body;                /* NUL-terminated (transfer full: sync_http_resp_done) */
        size_t body_len;
        bool body_over_cap;        /* the answer was larger than the cap: failed attempt */
        int64_t retry_after_s;     /* -1 = none */
        int64_t date;              /* Date header as Unix seconds, -1 = none */
        int64_t upload_offset;     /* -1 = none */
        int64_t upload_length;     /* -1 = none */
        int64_t range_first;       /* Content-Range "bytes a-b/N": a, -1 = none */
        int64_t range_total;       /* N ("bytes *\/N" too), -1 = none */
        char location[512];
        char asset_id[128];        /* X-Asset-Id */
        char etag[80];             /* without quotes */
        char content_type[64];
        char error_code[64];       /* contract error body "code", "" if none */
        bool skew_retried;         /* a clock-skew correction happened in this call */
};

struct sync_http_req {
        const char *method;        /* "GET", "POST", "PATCH", "HEAD", "OPTIONS" */
        const char *target;        /* "/v1/orders": path and query exactly as sent */
        const void *body;
        size_t body_len;
        const char *const *headers;/* NULL-terminated "Name: value" list, or NULL */
        size_t body_cap;           /* 0 = SYNC_HTTP_MAX_BODY */
};

/* (transfer full) Errors: STORE_E_INVALID (bad config), STORE_E_IO (curl init). */
int sync_http_new(const struct sync_http_config *cfg, struct sync_http **ret,
                  struct store_errbuf *err);
struct sync_http *sync_http_free(struct sync_http *h);
int64_t sync_http_clock_offset(const struct sync_http *h);
void sync_http_set_clock_offset(struct sync_http *h, int64_t offset_s);

/* Perform one signed request. Returns 0 when an HTTP answer arrived (any status,
 * see resp->status), STORE_E_NET on a transport error (resp->curl_code), or
 * STORE_E_PROTOCOL when the answer body exceeded the cap. resp is always
 * filled and must be released with sync_http_resp_done. */
int sync_http_request(struct sync_http *h, const struct sync_http_req *req,
                      struct sync_http_resp *resp, struct store_errbuf *err);
void sync_http_resp_done(struct sync_http_resp *resp);

/* What the caller does with an answer (the contract's retry table). */
enum sync_verdict {
        SYNC_OK = 0,          /* 2xx */
        SYNC_RETRY,           /* network, timeout, 408, 429, 5xx, 409 in progress, skew left */
        SYNC_DEAD,            /* 400, 401 bad-signature, 403, 404, other 4xx/422: permanent */
        SYNC_MISSING_ASSET,   /* 422 missing-asset: upload, then retry the same key */
};
struct sync_outcome {
        enum sync_verdict verdict;
        long status;              /* 0 = no answer */
        int64_t retry_after_s;    /* -1 = none */
        bool credentials;         /* 401 bad-signature: the technician must act */
        char reason[160];         /* no customer data: status + contract code / curl text */
};
/* Classify rc (from sync_http_request) and the answer into out. */
void sync_http_classify(int rc, const struct sync_http_resp *r, const char *what,
                        struct sync_outcome *out);

/* ---- parsers (pure, bounded; exposed for the fuzz target) ---------------------- */

/* Feed one raw header line ("Name: value\r\n", len bytes) into resp. A status
 * line ("HTTP/...") resets the header fields (1xx answers come first). */
void sync_http_parse_header_line(struct sync_http_resp *resp, const char *line, size_t len);
/* Retry-After: delta-seconds or an HTTP date (relative to now_s). -1 if bad. */
int64_t sync_http_parse_retry_after(const char *v, int64_t now_s);
/* The contract error body's code into out ("" when not that shape). */
void sync_http_parse_error_code(const char *body, size_t len, char *out, size_t outsz);
/* Non-negative decimal of at most 18 digits, nothing else. -1 if bad. */
int64_t sync_http_parse_u63(const char *s);
