/* sync/http: signed libcurl requests to the central order API (see http.h).
 *
 * Invariants: the signed bytes are exactly the bytes sent (the body pointer is
 * handed to curl as POSTFIELDS with its length, never re-encoded); the answer
 * buffer never grows past its cap (the write callback returns short, which
 * aborts the transfer); header parsing reads at most SYNC_HTTP_MAX_HEADER bytes
 * a line. */
#include "sync/http.h"

#include <curl/curl.h>
#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sync/sign.h"

struct sync_http {
        CURL *curl;
        char *base_url;
        char kiosk_id[72];
        uint8_t key[SYNC_SIGN_KEY_LEN];
        char *ca_bundle;
        int64_t clock_offset_s;
        long total_timeout_s;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

int sync_http_new(const struct sync_http_config *cfg, struct sync_http **ret,
                  struct store_errbuf *err)
{
        struct sync_http *h;

        if (!cfg || !cfg->base_url || !cfg->base_url[0] || !cfg->kiosk_id || !cfg->kiosk_id[0] ||
            strlen(cfg->kiosk_id) >= sizeof(h->kiosk_id) || !cfg->key || !ret)
                return store_fail(err, STORE_E_INVALID, "central url, kiosk id and key are required");
        pthread_once(&curl_once, curl_init_once);
        h = calloc(1, sizeof(*h));
        if (!h)
                return store_fail(err, STORE_E_IO, "out of memory");
        h->base_url = strdup(cfg->base_url);
        if (h->base_url) {
                size_t n = strlen(h->base_url);
                while (n > 0 && h->base_url[n - 1] == '/')
                        h->base_url[--n] = '\0';
        }
        h->ca_bundle = cfg->ca_bundle && cfg->ca_bundle[0] ? strdup(cfg->ca_bundle) : NULL;
        snprintf(h->kiosk_id, sizeof(h->kiosk_id), "%s", cfg->kiosk_id);
        memcpy(h->key, cfg->key, SYNC_SIGN_KEY_LEN);
        h->clock_offset_s = cfg->clock_offset_s;
        h->total_timeout_s = cfg->total_timeout_s > 0 ? cfg->total_timeout_s : SYNC_HTTP_TOTAL_TIMEOUT_S;
        h->curl = curl_easy_init();
        if (!h->base_url || !h->curl || (cfg->ca_bundle && cfg->ca_bundle[0] && !h->ca_bundle)) {
                sync_http_free(h);
                return store_fail(err, STORE_E_IO, "cannot initialise libcurl");
        }
        *ret = h;
        return 0;
}

struct sync_http *sync_http_free(struct sync_http *h)
{
        if (!h)
                return NULL;
        if (h->curl)
                curl_easy_cleanup(h->curl);
        free(h->base_url);
        free(h->ca_bundle);
        memset(h->key, 0, sizeof(h->key));
        free(h);
        return NULL;
}

int64_t sync_http_clock_offset(const struct sync_http *h)
{
        return h->clock_offset_s;
}

void sync_http_set_clock_offset(struct sync_http *h, int64_t offset_s)
{
        h->clock_offset_s = offset_s;
}

void sync_http_resp_done(struct sync_http_resp *resp)
{
        if (!resp)
                return;
        free(resp->body);
        resp->body = NULL;
        resp->body_len = 0;
}

static void resp_reset_headers(struct sync_http_resp *r)
{
        r->retry_after_s = -1;
        r->date = -1;
        r->upload_offset = -1;
        r->upload_length = -1;
        r->range_first = -1;
        r->range_total = -1;
        r->location[0] = r->asset_id[0] = r->etag[0] = r->content_type[0] = '\0';
}

int64_t sync_http_parse_u63(const char *s)
{
        int64_t v = 0;
        size_t i;

        if (!s || !s[0])
                return -1;
        for (i = 0; s[i]; i++) {
                if (i >= 18 || s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

int64_t sync_http_parse_retry_after(const char *v, int64_t now_s)
{
        int64_t n;
        time_t t;

        if (!v || !v[0] || strlen(v) > 64)
                return -1;
        n = sync_http_parse_u63(v);
        if (n >= 0)
                return n > 86400 ? 86400 : n;  /* a day is the most we ever honour */
        t = curl_getdate(v, NULL);
        if (t < 0)
                return -1;
        if ((int64_t)t <= now_s)
                return 0;
        n = (int64_t)t - now_s;
        return n > 86400 ? 86400 : n;
}

static void copy_value(char *dst, size_t dstsz, const char *v)
{
        size_t n = strlen(v);
        if (n >= dstsz)
                n = dstsz - 1;  /* truncated values never match what they are compared to */
        memcpy(dst, v, n);
        dst[n] = '\0';
}

void sync_http_parse_header_line(struct sync_http_resp *resp, const char *line, size_t len)
{
        char buf[SYNC_HTTP_MAX_HEADER + 1];
        char *colon, *v, *end;

        if (!resp || !line || len == 0 || len > SYNC_HTTP_MAX_HEADER)
                return;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (memchr(buf, '\0', len))   /* embedded NUL: not a header we trust */
                return;
        if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
                resp_reset_headers(resp);
                return;
        }
        colon = strchr(buf, ':');
        if (!colon || colon == buf)
                return;
        *colon = '\0';
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
                v++;
        end = v + strlen(v);
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
        if (strcasecmp(buf, "Retry-After") == 0) {
                resp->retry_after_s = sync_http_parse_retry_after(v, (int64_t)time(NULL));
        } else if (strcasecmp(buf, "Date") == 0) {
                time_t t = curl_getdate(v, NULL);
                resp->date = t >= 0 ? (int64_t)t : -1;
        } else if (strcasecmp(buf, "Upload-Offset") == 0) {
                resp->upload_offset = sync_http_parse_u63(v);
        } else if (strcasecmp(buf, "Upload-Length") == 0) {
                resp->upload_length = sync_http_parse_u63(v);
        } else if (strcasecmp(buf, "Content-Range") == 0 && strncmp(v, "bytes ", 6) == 0) {
                char *slash = strchr(v + 6, '/'), *dash = strchr(v + 6, '-');
                if (slash) {
                        *slash = '\0';
                        resp->range_total = sync_http_parse_u63(slash + 1);
                        if (dash && dash < slash) {
                                *dash = '\0';
                                resp->range_first = sync_http_parse_u63(v + 6);
                        }
                }
        } else if (strcasecmp(buf, "Location") == 0) {
                copy_value(resp->location, sizeof(resp->location), v);
        } else if (strcasecmp(buf, "X-Asset-Id") == 0) {
                copy_value(resp->asset_id, sizeof(resp->asset_id), v);
        } else if (strcasecmp(buf, "ETag") == 0) {
                size_t n = strlen(v);
                if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                        v[n - 1] = '\0';
                        v++;
                }
                copy_value(resp->etag, sizeof(resp->etag), v);
        } else if (strcasecmp(buf, "Content-Type") == 0) {
                copy_value(resp->content_type, sizeof(resp->content_type), v);
        }
}

void sync_http_parse_error_code(const char *body, size_t len, char *out, size_t outsz)
{
        json_error_t je;
        json_t *root, *e, *c;

        if (!out || outsz == 0)
                return;
        out[0] = '\0';
        if (!body || len == 0 || len > SYNC_HTTP_MAX_BODY)
                return;
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
        if (!root)
                return;
        e = json_object_get(root, "error");
        c = e ? json_object_get(e, "code") : NULL;
        if (json_is_string(c))
                copy_value(out, outsz, json_string_value(c));
        json_decref(root);
}

struct rx {
        struct sync_http_resp *resp;
        size_t cap, alloc;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct rx *x = ud;
        size_t n = size * nmemb;
        struct sync_http_resp *r = x->resp;

        if (r->body_len + n > x->cap) {
                r->body_over_cap = true;
                return 0;  /* aborts the transfer: CURLE_WRITE_ERROR */
        }
        if (r->body_len + n + 1 > x->alloc) {
                size_t na = x->alloc ? x->alloc : 4096;
                char *p;
                while (na < r->body_len + n + 1)
                        na *= 2;
                if (na > x->cap + 1)
                        na = x->cap + 1;
                p = realloc(r->body, na);
                if (!p)
                        return 0;
                r->body = p;
                x->alloc = na;
        }
        memcpy(r->body + r->body_len, ptr, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct rx *x = ud;
        size_t n = size * nmemb;
        sync_http_parse_header_line(x->resp, ptr, n);
        return n;
}

static int perform_once(struct sync_http *h, const struct sync_http_req *req,
                        struct sync_http_resp *resp, struct store_errbuf *err)
{
        char ts[SYNC_TIMESTAMP_LEN + 1], sig[SYNC_SIGN_HEADER_LEN + 1];
        char hdr_kiosk[128], hdr_ts[64], hdr_sig[96];
        struct curl_slist *hl = NULL, *tmp;
        struct rx x = {.resp = resp, .cap = req->body_cap ? req->body_cap : SYNC_HTTP_MAX_BODY};
        char *url = NULL;
        size_t ulen;
        CURLcode cc;
        int r = 0;
        CURL *c = h->curl;

        free(resp->body);
        memset(resp, 0, sizeof(*resp));
        resp_reset_headers(resp);
        if (sync_format_timestamp(time(NULL) + (time_t)h->clock_offset_s, ts) != 0 ||
            sync_sign_header(h->key, req->method, req->target, ts, req->body, req->body_len, sig) != 0)
                return store_fail(err, STORE_E_INVALID, "cannot sign %s request", req->method);
        snprintf(hdr_kiosk, sizeof(hdr_kiosk), "X-Kiosk-Id: %s", h->kiosk_id);
        snprintf(hdr_ts, sizeof(hdr_ts), "X-Timestamp: %s", ts);
        snprintf(hdr_sig, sizeof(hdr_sig), "X-Signature: %s", sig);
        ulen = strlen(h->base_url) + strlen(req->target) + 1;
        url = malloc(ulen);
        if (!url)
                return store_fail(err, STORE_E_IO, "out of memory");
        snprintf(url, ulen, "%s%s", h->base_url, req->target);
        const char *fixed[] = {hdr_kiosk, hdr_ts, hdr_sig, "Expect:", "Accept: application/json", NULL};
        for (size_t i = 0; fixed[i]; i++) {
                tmp = curl_slist_append(hl, fixed[i]);
                if (!tmp)
                        goto oom;
                hl = tmp;
        }
        for (size_t i = 0; req->headers && req->headers[i] && i < 32; i++) {
                tmp = curl_slist_append(hl, req->headers[i]);
                if (!tmp)
                        goto oom;
                hl = tmp;
        }
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (h->ca_bundle)
                curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_bundle);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SYNC_HTTP_CONNECT_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, h->total_timeout_s);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)SYNC_HTTP_LOW_SPEED_BYTES);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)SYNC_HTTP_LOW_SPEED_S);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
        if (strcmp(req->method, "HEAD") == 0) {
                curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        } else if (strcmp(req->method, "GET") != 0) {
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
                if (req->body_len > 0 || strcmp(req->method, "POST") == 0 ||
                    strcmp(req->method, "PATCH") == 0) {
                        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
                        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
                }
        }
        cc = curl_easy_perform(c);
        resp->curl_code = (int)cc;
        if (cc == CURLE_OK) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        } else if (resp->body_over_cap) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
                r = store_fail(err, STORE_E_PROTOCOL, "%s %s: answer body over %zu bytes", req->method,
                               req->target, x.cap);
        } else {
                resp->status = 0;
                r = store_fail(err, STORE_E_NET, "%s: %s", req->method, curl_easy_strerror(cc));
        }
        if (r == 0 && resp->body_len > 0 && resp->status >= 400)
                sync_http_parse_error_code(resp->body, resp->body_len, resp->error_code,
                                           sizeof(resp->error_code));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(hl);
        free(url);
        return r;
oom:
        curl_slist_free_all(hl);
        free(url);
        return store_fail(err, STORE_E_IO, "out of memory");
}

int sync_http_request(struct sync_http *h, const struct sync_http_req *req,
                      struct sync_http_resp *resp, struct store_errbuf *err)
{
        int r;

        if (!h || !req || !req->method || !req->target || req->target[0] != '/' || !resp)
                return store_fail(err, STORE_E_INVALID, "bad request arguments");
        memset(resp, 0, sizeof(*resp));
        r = perform_once(h, req, resp, err);
        /* Kiosks often boot without a real-time clock: learn the offset from the
         * server's Date, re-sign, and retry exactly once. */
        if (r == 0 && resp->status == 401 && strcmp(resp->error_code, "clock-skew") == 0 &&
            resp->date > 0) {
                h->clock_offset_s = resp->date - (int64_t)time(NULL);
                r = perform_once(h, req, resp, err);
                resp->skew_retried = true;
        }
        return r;
}

void sync_http_classify(int rc, const struct sync_http_resp *r, const char *what,
                        struct sync_outcome *out)
{
        const char *code = r->error_code[0] ? r->error_code : "-";

        memset(out, 0, sizeof(*out));
        out->status = r->status;
        out->retry_after_s = r->retry_after_s;
        if (!what)
                what = "request";
        if (rc == STORE_E_PROTOCOL) {
                out->verdict = SYNC_RETRY;
                snprintf(out->reason, sizeof(out->reason), "%s: answer over the size cap", what);
                return;
        }
        if (rc != 0 || r->status == 0) {
                out->verdict = SYNC_RETRY;
                snprintf(out->reason, sizeof(out->reason), "%s: network: %s", what,
                         curl_easy_strerror((CURLcode)r->curl_code));
                return;
        }
        snprintf(out->reason, sizeof(out->reason), "%s: HTTP %ld %s", what, r->status, code);
        if (r->status >= 200 && r->status < 300) {
                out->verdict = SYNC_OK;
        } else if (r->status == 408 || r->status == 429 || r->status >= 500) {
                out->verdict = SYNC_RETRY;
        } else if (r->status == 409 && strcmp(r->error_code, "request-in-progress") == 0) {
                out->verdict = SYNC_RETRY;
        } else if (r->status == 401 && strcmp(r->error_code, "clock-skew") == 0) {
                out->verdict = SYNC_RETRY;  /* a second skew after correcting: try later */
        } else if (r->status == 422 && strcmp(r->error_code, "missing-asset") == 0) {
                out->verdict = SYNC_MISSING_ASSET;
        } else {
                out->verdict = SYNC_DEAD;
                out->credentials = r->status == 401;
        }
}
