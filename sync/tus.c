/* sync/tus: tus 1.0 upload client (see tus.h). */
#include "sync/tus.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync/fsutil.h"

#define TUS_MAX_STEPS 64   /* recoveries (HEAD, new POST, resend) in one call */
#define TUS_MAX_RESTARTS 2 /* new uploads after "complete without an asset id", per call */

static void b64(const void *in, size_t n, char *out, size_t outsz)
{
        sodium_bin2base64(out, outsz, in, n, sodium_base64_VARIANT_ORIGINAL);
}

static void outcome_set(struct sync_outcome *o, enum sync_verdict v, long status, const char *why)
{
        memset(o, 0, sizeof(*o));
        o->verdict = v;
        o->status = status;
        o->retry_after_s = -1;
        snprintf(o->reason, sizeof(o->reason), "%s", why);
}

/* The request target of a Location: a path, or an absolute URL's path. */
static int location_path(const char *loc, char *out, size_t outsz)
{
        const char *p = loc;

        if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0) {
                p = strchr(p + 8, '/');
                if (!p)
                        return -1;
        }
        if (p[0] != '/' || strlen(p) >= outsz || strpbrk(p, " \r\n\t"))
                return -1;
        snprintf(out, outsz, "%s", p);
        return 0;
}

static void forget(const struct sync_tus_hooks *hk, const char *sha)
{
        if (hk && hk->save_url)
                hk->save_url(hk->ud, sha, NULL);
}

static int asset_id_from(const struct sync_http_resp *r, const char *sha, char out[128])
{
        if (r->asset_id[0]) {
                snprintf(out, 128, "%s", r->asset_id);
                return 0;
        }
        if (r->body && r->body_len > 0) {
                json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
                json_t *id = j ? json_object_get(j, "asset_id") : NULL;
                if (json_is_string(id) && strlen(json_string_value(id)) < 128 &&
                    json_string_length(id) > 0) {
                        snprintf(out, 128, "%s", json_string_value(id));
                        json_decref(j);
                        return 0;
                }
                json_decref(j);
        }
        (void)sha;
        return -1;
}

static int do_post(struct sync_http *h, const struct sync_tus_asset *a, char *url, size_t urlsz,
                   char ret_id[128], struct sync_tus_stats *st, struct sync_outcome *out)
{
        char len_h[64], meta_h[400], b_sha[100], b_kind[32], b_ct[100];
        struct sync_http_resp r;
        struct store_errbuf e;
        int rc;

        b64(a->sha256, strlen(a->sha256), b_sha, sizeof(b_sha));
        b64(a->kind, strlen(a->kind), b_kind, sizeof(b_kind));
        b64(a->content_type, strlen(a->content_type), b_ct, sizeof(b_ct));
        snprintf(len_h, sizeof(len_h), "Upload-Length: %lld", (long long)a->size);
        snprintf(meta_h, sizeof(meta_h), "Upload-Metadata: sha256 %s,kind %s,content-type %s", b_sha,
                 b_kind, b_ct);
        const char *hdr[] = {"Tus-Resumable: 1.0.0", len_h, meta_h, NULL};
        struct sync_http_req req = {.method = "POST", .target = "/v1/uploads", .headers = hdr};
        rc = sync_http_request(h, &req, &r, &e);
        if (st)
                st->requests++;
        sync_http_classify(rc, &r, "upload create", out);
        if (out->verdict == SYNC_OK && r.status == 200) {
                if (asset_id_from(&r, a->sha256, ret_id) != 0)
                        outcome_set(out, SYNC_RETRY, 200, "upload create: 200 without asset_id");
                sync_http_resp_done(&r);
                return out->verdict == SYNC_OK ? 1 : -1;  /* 1 = already held */
        }
        if (out->verdict == SYNC_OK) {
                if (r.status != 201 || location_path(r.location, url, urlsz) != 0)
                        outcome_set(out, SYNC_RETRY, r.status, "upload create: no usable Location");
        }
        sync_http_resp_done(&r);
        return out->verdict == SYNC_OK ? 0 : -1;
}

/* HEAD: 0 with *offset (and ret_id when complete -> returns 1), 2 = gone, -1 = out set. */
static int do_head(struct sync_http *h, const char *url, int64_t size, int64_t *offset,
                   char ret_id[128], struct sync_tus_stats *st, struct sync_outcome *out)
{
        const char *hdr[] = {"Tus-Resumable: 1.0.0", NULL};
        struct sync_http_req req = {.method = "HEAD", .target = url, .headers = hdr};
        struct sync_http_resp r;
        struct store_errbuf e;
        int rc = sync_http_request(h, &req, &r, &e), ret;

        if (st)
                st->requests++;
        if (rc == 0 && (r.status == 404 || r.status == 410)) {
                sync_http_resp_done(&r);
                return 2;
        }
        sync_http_classify(rc, &r, "upload head", out);
        if (out->verdict != SYNC_OK) {
                sync_http_resp_done(&r);
                return -1;
        }
        if (r.upload_offset < 0 || r.upload_offset > size) {
                outcome_set(out, SYNC_RETRY, r.status, "upload head: bad Upload-Offset");
                sync_http_resp_done(&r);
                return -1;
        }
        *offset = r.upload_offset;
        ret = 0;
        if (r.upload_offset == size && r.asset_id[0]) {
                snprintf(ret_id, 128, "%s", r.asset_id);
                ret = 1;
        }
        sync_http_resp_done(&r);
        return ret;
}

int sync_tus_upload(struct sync_http *h, const struct sync_tus_asset *a, size_t chunk,
                    const struct sync_tus_hooks *hk, char ret_asset_id[128],
                    struct sync_tus_stats *st, struct sync_outcome *out)
{
        char url[512] = "", id[128] = "";
        uint8_t *buf = NULL;
        int64_t offset = 0, max_steps;
        int fd = -1, rc = -1, resends = 0, no_id = 0, restarts = 0;
        bool have_url = false, need_head = false;

        if (!h || !a || !a->path || !a->sha256 || strlen(a->sha256) != 64 || a->size < 1 || !a->kind ||
            !a->content_type || !out)
                return outcome_set(out, SYNC_DEAD, 0, "upload: bad asset row"), -1;
        if (chunk == 0)
                chunk = SYNC_TUS_DEFAULT_CHUNK;
        if (chunk > SYNC_TUS_MAX_CHUNK)
                chunk = SYNC_TUS_MAX_CHUNK;
        fd = open(a->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                outcome_set(out, SYNC_DEAD, 0, "upload: spool file missing");
                return -1;
        }
        buf = malloc(chunk);
        if (!buf) {
                outcome_set(out, SYNC_RETRY, 0, "upload: out of memory");
                goto done;
        }
        if (hk && hk->load_url && hk->load_url(hk->ud, a->sha256, url, sizeof(url)) == 0 && url[0] == '/')
                have_url = need_head = true;

        /* Every chunk is one step; TUS_MAX_STEPS bounds the recoveries on top. */
        max_steps = TUS_MAX_STEPS + a->size / (int64_t)chunk + 1;
        for (int64_t step = 0; step < max_steps; step++) {
                if (!have_url) {
                        int p = do_post(h, a, url, sizeof(url), id, st, out);
                        if (p < 0)
                                goto done;
                        if (p == 1) {
                                rc = 0;
                                goto done;
                        }
                        have_url = true;
                        need_head = false;
                        offset = 0;
                        if (hk && hk->save_url && hk->save_url(hk->ud, a->sha256, url) != 0) {
                                outcome_set(out, SYNC_RETRY, 0, "upload: cannot persist upload URL");
                                goto done;
                        }
                }
                if (need_head) {
                        int hr = do_head(h, url, a->size, &offset, id, st, out);
                        if (hr < 0)
                                goto done;
                        if (hr == 2) {
                                forget(hk, a->sha256);
                                have_url = false;
                                continue;
                        }
                        if (hr == 1) {
                                rc = 0;
                                goto done;
                        }
                        need_head = false;
                }
                /* One chunk. */
                {
                        size_t n = (size_t)(a->size - offset) < chunk ? (size_t)(a->size - offset) : chunk;
                        uint8_t dig[32];
                        char b_dig[64], off_h[64], sum_h[96];
                        ssize_t got = pread(fd, buf, n, (off_t)offset);
                        struct sync_http_resp r;
                        struct store_errbuf e;
                        int hrc;

                        if (offset >= a->size) {
                                /* Complete but no asset id (the contract
                                 * puts X-Asset-Id on a complete upload's
                                 * HEAD): ask once more, then give that
                                 * upload up and POST again: the server
                                 * answers 200 + id if it holds the sha256,
                                 * else a new upload. Asking HEAD forever
                                 * stalled the outbox behind a server that
                                 * lost the asset in a crash. Bounded. */
                                if (++no_id >= 2) {
                                        if (++restarts > TUS_MAX_RESTARTS) {
                                                outcome_set(out, SYNC_RETRY, 0, "upload: complete without asset id");
                                                goto done;
                                        }
                                        no_id = 0;
                                        forget(hk, a->sha256);
                                        have_url = false;
                                } else {
                                        need_head = true;
                                }
                                continue;
                        }
                        if (got != (ssize_t)n) {
                                outcome_set(out, SYNC_DEAD, 0, "upload: spool file shorter than its size");
                                goto done;
                        }
                        crypto_hash_sha256(dig, buf, n);
                        b64(dig, sizeof(dig), b_dig, sizeof(b_dig));
                        snprintf(off_h, sizeof(off_h), "Upload-Offset: %lld", (long long)offset);
                        snprintf(sum_h, sizeof(sum_h), "Upload-Checksum: sha256 %s", b_dig);
                        const char *hdr[] = {"Tus-Resumable: 1.0.0",
                                             "Content-Type: application/offset+octet-stream", off_h, sum_h,
                                             NULL};
                        struct sync_http_req req = {.method = "PATCH", .target = url, .body = buf,
                                                    .body_len = n, .headers = hdr};
                        hrc = sync_http_request(h, &req, &r, &e);
                        if (st) {
                                st->requests++;
                                st->bytes_sent += (int64_t)n;
                        }
                        if (hrc == 0 && r.status == 204) {
                                int64_t no = r.upload_offset;
                                if (no != offset + (int64_t)n) {
                                        need_head = true;  /* disagree: the server's HEAD decides */
                                } else {
                                        offset = no;
                                        resends = 0;
                                        if (offset == a->size) {
                                                if (r.asset_id[0]) {
                                                        snprintf(id, sizeof(id), "%s", r.asset_id);
                                                        sync_http_resp_done(&r);
                                                        rc = 0;
                                                        goto done;
                                                }
                                                need_head = true;
                                        }
                                }
                        } else if (hrc == 0 && r.status == 409) {
                                need_head = true;
                        } else if (hrc == 0 && (r.status == 404 || r.status == 410)) {
                                forget(hk, a->sha256);
                                have_url = false;
                        } else if (hrc == 0 && r.status == 460 &&
                                   strcmp(r.error_code, "file-checksum-mismatch") == 0) {
                                char now_sha[65];
                                int64_t now_size = 0;
                                forget(hk, a->sha256);
                                have_url = false;
                                if (sync_fs_sha256_file(a->path, now_sha, &now_size, NULL) != 0 ||
                                    strcmp(now_sha, a->sha256) != 0 || now_size != a->size) {
                                        sync_http_resp_done(&r);
                                        outcome_set(out, SYNC_DEAD, 460,
                                                    "upload: spool file no longer matches its sha256");
                                        goto done;
                                }
                        } else if (hrc == 0 && r.status == 460 && ++resends <= 3) {
                                /* checksum-mismatch: nothing applied, send the chunk again */
                        } else {
                                sync_http_classify(hrc, &r, "upload patch", out);
                                if (out->verdict == SYNC_OK || out->verdict == SYNC_MISSING_ASSET)
                                        outcome_set(out, SYNC_RETRY, r.status, "upload patch: unexpected answer");
                                sync_http_resp_done(&r);
                                goto done;
                        }
                        sync_http_resp_done(&r);
                }
                if (step == max_steps - 1)
                        outcome_set(out, SYNC_RETRY, 0, "upload: too many steps in one attempt");
        }
done:
        if (rc == 0) {
                forget(hk, a->sha256);
                snprintf(ret_asset_id, 128, "%s", id);
                outcome_set(out, SYNC_OK, 200, "uploaded");
        }
        free(buf);
        if (fd >= 0)
                close(fd);
        return rc;
}
