/* pk-central request parsing (see parse.h). No sscanf/atoi: every number is
 * parsed digit by digit with an explicit bound; base64 goes through libsodium's
 * strict decoder. */
#include "tests/central/parse.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sync/sign.h"

const char *const pc_event_types[8] = {"accepted", "printing", "printed", "ready",
                                       "collected", "cancelled", "failed", "reprinted"};

int pc_parse_u64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;
        size_t n;

        if (!s)
                return -1;
        n = strnlen(s, 20);
        if (n == 0 || n > 19)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *ret = v;
        return 0;
}

int pc_id_ok(const char *s)
{
        size_t n;

        if (!s)
                return 0;
        n = strnlen(s, PC_MAX_ID + 1);
        if (n == 0 || n > PC_MAX_ID)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == ':' || c == '-'))
                        return 0;
        }
        return 1;
}

static int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *ret_len)
{
        size_t n = 0;

        if (sodium_base642bin(out, outmax, in, inlen, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) == 0 ||
            sodium_base642bin(out, outmax, in, inlen, NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0) {
                *ret_len = n;
                return 0;
        }
        return -1;
}

static int is_lower_hex64(const uint8_t *s, size_t n)
{
        if (n != 64)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return 1;
}

int pc_parse_upload_metadata(const char *hdr, struct pc_tus_meta *ret, char *msg, size_t msgsz)
{
        struct pc_tus_meta m;
        int have_sha = 0, have_kind = 0, have_ct = 0;
        size_t len;
        const char *p, *end;

        memset(&m, 0, sizeof(m));
        if (!hdr) {
                snprintf(msg, msgsz, "Upload-Metadata missing");
                return -1;
        }
        len = strnlen(hdr, PC_MAX_HEADER + 1);
        if (len > PC_MAX_HEADER) {
                snprintf(msg, msgsz, "Upload-Metadata too long");
                return -1;
        }
        p = hdr;
        end = hdr + len;
        for (int pairs = 0; p < end; pairs++) {
                if (pairs >= 32) {
                        snprintf(msg, msgsz, "Upload-Metadata has too many pairs");
                        return -1;
                }
                const char *comma = memchr(p, ',', (size_t)(end - p));
                const char *pe = comma ? comma : end;
                while (p < pe && *p == ' ')
                        p++;
                const char *sp = memchr(p, ' ', (size_t)(pe - p));
                const char *ke = sp ? sp : pe;
                size_t klen = (size_t)(ke - p);
                uint8_t val[256];
                size_t vlen = 0;
                if (klen == 0) {
                        snprintf(msg, msgsz, "Upload-Metadata has an empty key");
                        return -1;
                }
                if (sp) {
                        const char *vb = sp + 1, *ve = pe;
                        while (ve > vb && ve[-1] == ' ')
                                ve--;
                        if (ve > vb && b64_decode(vb, (size_t)(ve - vb), val, sizeof(val), &vlen) < 0) {
                                snprintf(msg, msgsz, "Upload-Metadata value is not base64");
                                return -1;
                        }
                }
                if (klen == 6 && memcmp(p, "sha256", 6) == 0) {
                        if (!is_lower_hex64(val, vlen)) {
                                snprintf(msg, msgsz, "sha256 must be 64 lowercase hex digits");
                                return -1;
                        }
                        memcpy(m.sha256, val, 64);
                        have_sha = 1;
                } else if (klen == 4 && memcmp(p, "kind", 4) == 0) {
                        if (!((vlen == 5 && memcmp(val, "photo", 5) == 0) ||
                              (vlen == 6 && memcmp(val, "master", 6) == 0))) {
                                snprintf(msg, msgsz, "kind must be photo or master");
                                return -1;
                        }
                        memcpy(m.kind, val, vlen);
                        have_kind = 1;
                } else if (klen == 12 && memcmp(p, "content-type", 12) == 0) {
                        if (vlen == 0 || vlen > PC_MAX_CONTENT_TYPE) {
                                snprintf(msg, msgsz, "content-type empty or too long");
                                return -1;
                        }
                        for (size_t i = 0; i < vlen; i++)
                                if (val[i] < 0x21 || val[i] > 0x7e) {
                                        snprintf(msg, msgsz, "content-type has bad characters");
                                        return -1;
                                }
                        memcpy(m.content_type, val, vlen);
                        have_ct = 1;
                } else if ((klen == 8 && memcmp(p, "filename", 8) == 0) ||
                           (klen == 4 && memcmp(p, "name", 4) == 0)) {
                        snprintf(msg, msgsz, "file names are not accepted in Upload-Metadata");
                        return -1;
                }
                p = comma ? comma + 1 : end;
        }
        if (!have_sha || !have_kind || !have_ct) {
                snprintf(msg, msgsz, "Upload-Metadata needs sha256, kind and content-type");
                return -1;
        }
        *ret = m;
        return 0;
}

void pc_format_upload_metadata(const struct pc_tus_meta *m, char *out, size_t outsz)
{
        char a[128], b[32], c[256];

        sodium_bin2base64(a, sizeof(a), (const uint8_t *)m->sha256, strlen(m->sha256),
                          sodium_base64_VARIANT_ORIGINAL);
        sodium_bin2base64(b, sizeof(b), (const uint8_t *)m->kind, strlen(m->kind),
                          sodium_base64_VARIANT_ORIGINAL);
        sodium_bin2base64(c, sizeof(c), (const uint8_t *)m->content_type, strlen(m->content_type),
                          sodium_base64_VARIANT_ORIGINAL);
        snprintf(out, outsz, "sha256 %s,kind %s,content-type %s", a, b, c);
}

int pc_parse_upload_checksum(const char *hdr, enum pc_checksum_algo *ret_algo,
                             uint8_t ret_digest[32])
{
        size_t len, want, n = 0;
        enum pc_checksum_algo algo;
        const char *sp, *v;
        uint8_t d[64];

        if (!hdr)
                return -1;
        len = strnlen(hdr, 256);
        if (len >= 256)
                return -1;
        sp = memchr(hdr, ' ', len);
        if (!sp)
                return -1;
        if (sp - hdr == 6 && memcmp(hdr, "sha256", 6) == 0) {
                algo = PC_SUM_SHA256;
                want = 32;
        } else if (sp - hdr == 4 && memcmp(hdr, "sha1", 4) == 0) {
                algo = PC_SUM_SHA1;
                want = 20;
        } else {
                return -2;
        }
        v = sp + 1;
        if (b64_decode(v, len - (size_t)(v - hdr), d, sizeof(d), &n) < 0 || n != want)
                return -1;
        *ret_algo = algo;
        memset(ret_digest, 0, 32);
        memcpy(ret_digest, d, n);
        return 0;
}

/* Digits at *p up to a non-digit; at most 19. */
static int take_u64(const char **p, const char *end, uint64_t *ret)
{
        uint64_t v = 0;
        int n = 0;

        while (*p < end && **p >= '0' && **p <= '9') {
                if (++n > 19)
                        return -1;
                v = v * 10 + (uint64_t)(**p - '0');
                (*p)++;
        }
        if (n == 0)
                return -1;
        *ret = v;
        return 0;
}

enum pc_range pc_parse_range(const char *hdr, uint64_t size, uint64_t *ret_first, uint64_t *ret_last)
{
        size_t len;
        const char *p, *end;
        uint64_t a = 0, b = 0;
        int has_a, has_b;

        if (!hdr)
                return PC_RANGE_NONE;
        len = strnlen(hdr, 256);
        if (len >= 256 || len < 7 || memcmp(hdr, "bytes=", 6) != 0 || memchr(hdr, ',', len))
                return PC_RANGE_NONE;
        p = hdr + 6;
        end = hdr + len;
        has_a = take_u64(&p, end, &a) == 0;
        if (p >= end || *p != '-')
                return PC_RANGE_NONE;
        p++;
        has_b = take_u64(&p, end, &b) == 0;
        if (p != end || (!has_a && !has_b))
                return PC_RANGE_NONE;
        if (!has_a) { /* suffix: last b bytes */
                if (b == 0 || size == 0)
                        return PC_RANGE_UNSATISFIABLE;
                *ret_first = b >= size ? 0 : size - b;
                *ret_last = size - 1;
                return PC_RANGE_OK;
        }
        if (has_b && b < a)
                return PC_RANGE_NONE;
        if (a >= size)
                return PC_RANGE_UNSATISFIABLE;
        *ret_first = a;
        *ret_last = (!has_b || b >= size) ? size - 1 : b;
        return PC_RANGE_OK;
}

int pc_parse_cursor(const char *s, int64_t *ret_seq)
{
        uint64_t v;

        if (!s || s[0] != 'c' || pc_parse_u64(s + 1, &v) < 0 || v > INT64_MAX)
                return -1;
        *ret_seq = (int64_t)v;
        return 0;
}

/* Field checks for the validators: each returns 1 when fine. */
static int need_str(const json_t *o, const char *k, int id, char *msg, size_t msgsz)
{
        const json_t *v = json_object_get(o, k);

        if (!json_is_string(v) || json_string_length(v) == 0) {
                snprintf(msg, msgsz, "%s must be a non-empty string", k);
                return 0;
        }
        if (id && !pc_id_ok(json_string_value(v))) {
                snprintf(msg, msgsz, "%s is not a valid identifier", k);
                return 0;
        }
        return 1;
}

static int need_int(const json_t *o, const char *k, long long min, char *msg, size_t msgsz)
{
        const json_t *v = json_object_get(o, k);

        if (!json_is_integer(v) || json_integer_value(v) < min) {
                snprintf(msg, msgsz, "%s must be an integer >= %lld", k, min);
                return 0;
        }
        return 1;
}

static int need_num(const json_t *o, const char *k, char *msg, size_t msgsz)
{
        if (!json_is_number(json_object_get(o, k))) {
                snprintf(msg, msgsz, "%s must be a number", k);
                return 0;
        }
        return 1;
}

static int validate_item(const json_t *it, size_t idx, char *msg, size_t msgsz)
{
        const json_t *crop, *render, *m;

        if (!json_is_object(it)) {
                snprintf(msg, msgsz, "items[%zu] must be an object", idx);
                return -1;
        }
        if (!need_str(it, "item_id", 1, msg, msgsz) || !need_str(it, "asset_id", 1, msg, msgsz) ||
            !need_str(it, "sku", 0, msg, msgsz) || !need_str(it, "paper", 0, msg, msgsz) ||
            !need_int(it, "quantity", 1, msg, msgsz) || !need_int(it, "rotate", -360, msg, msgsz))
                return -1;
        m = json_object_get(it, "master_asset_id");
        if (m && !json_is_null(m) && !need_str(it, "master_asset_id", 1, msg, msgsz))
                return -1;
        crop = json_object_get(it, "crop");
        if (!json_is_object(crop)) {
                snprintf(msg, msgsz, "items[%zu].crop must be an object", idx);
                return -1;
        }
        if (!need_num(crop, "x", msg, msgsz) || !need_num(crop, "y", msg, msgsz) ||
            !need_num(crop, "w", msg, msgsz) || !need_num(crop, "h", msg, msgsz))
                return -1;
        render = json_object_get(it, "render");
        if (render && !json_is_null(render)) {
                if (!json_is_object(render)) {
                        snprintf(msg, msgsz, "items[%zu].render must be an object", idx);
                        return -1;
                }
                if (!need_str(render, "profile", 0, msg, msgsz) ||
                    !need_str(render, "intent", 0, msg, msgsz) ||
                    !need_int(render, "dpi", 1, msg, msgsz))
                        return -1;
                if (!json_is_boolean(json_object_get(render, "bpc"))) {
                        snprintf(msg, msgsz, "render.bpc must be a boolean");
                        return -1;
                }
                const json_t *ms = json_object_get(render, "master_sha256");
                if (ms && !json_is_null(ms) && !json_is_string(ms)) {
                        snprintf(msg, msgsz, "render.master_sha256 must be a string");
                        return -1;
                }
        }
        return 0;
}

int pc_validate_order(const json_t *o, char *msg, size_t msgsz)
{
        static const char *const strs[] = {"store_id", "code", "created_at", "locked_at",
                                           "channel", "currency", "price_list", "state"};
        const json_t *items;

        if (!json_is_object(o)) {
                snprintf(msg, msgsz, "order must be a JSON object");
                return -1;
        }
        if (!need_str(o, "order_id", 1, msg, msgsz) || !need_str(o, "kiosk_id", 1, msg, msgsz))
                return -1;
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
                if (!need_str(o, strs[i], 0, msg, msgsz))
                        return -1;
        if (!need_int(o, "total_minor", 0, msg, msgsz))
                return -1;
        items = json_object_get(o, "items");
        if (!json_is_array(items) || json_array_size(items) == 0 ||
            json_array_size(items) > PC_MAX_ITEMS) {
                snprintf(msg, msgsz, "items must be an array of 1..%d items", PC_MAX_ITEMS);
                return -1;
        }
        for (size_t i = 0; i < json_array_size(items); i++)
                if (validate_item(json_array_get(items, i), i, msg, msgsz) < 0)
                        return -1;
        return 0;
}

int pc_event_type(const char *s)
{
        if (!s)
                return -1;
        for (int i = 0; i < 8; i++)
                if (strcmp(s, pc_event_types[i]) == 0)
                        return i;
        return -1;
}

int pc_validate_event(const json_t *e, char *msg, size_t msgsz)
{
        const json_t *v;
        time_t t;

        if (!json_is_object(e)) {
                snprintf(msg, msgsz, "event must be a JSON object");
                return -1;
        }
        if (!need_str(e, "event_id", 1, msg, msgsz) || !need_str(e, "type", 0, msg, msgsz) ||
            !need_str(e, "at", 0, msg, msgsz))
                return -1;
        if (pc_event_type(json_string_value(json_object_get(e, "type"))) < 0) {
                snprintf(msg, msgsz, "unknown event type");
                return -1;
        }
        if (sync_parse_timestamp(json_string_value(json_object_get(e, "at")), &t) < 0) {
                snprintf(msg, msgsz, "at must be YYYY-MM-DDTHH:MM:SSZ");
                return -1;
        }
        v = json_object_get(e, "actor");
        if (v && !json_is_string(v)) {
                snprintf(msg, msgsz, "actor must be a string");
                return -1;
        }
        v = json_object_get(e, "detail");
        if (v && !json_is_object(v)) {
                snprintf(msg, msgsz, "detail must be an object");
                return -1;
        }
        return 0;
}

static const char *const fault_actions[] = {"drop-before", "drop-after", "status", "delay",
                                            "truncate", "trickle", "garbage", "oversize"};

int pc_validate_faults(const json_t *list, char *msg, size_t msgsz)
{
        if (!json_is_array(list) || json_array_size(list) > PC_MAX_FAULTS) {
                snprintf(msg, msgsz, "faults must be a JSON list of at most %d rules", PC_MAX_FAULTS);
                return -1;
        }
        for (size_t i = 0; i < json_array_size(list); i++) {
                const json_t *r = json_array_get(list, i), *v;
                const char *route, *act;
                int known = 0;

                if (!json_is_object(r) || !json_is_string(json_object_get(r, "route")) ||
                    !json_is_string(json_object_get(r, "action"))) {
                        snprintf(msg, msgsz, "rule %zu needs route and action strings", i);
                        return -1;
                }
                route = json_string_value(json_object_get(r, "route"));
                if (strnlen(route, 513) > 512 || !strchr(route, ' ') || strchr(route, ' ')[1] != '/') {
                        snprintf(msg, msgsz, "rule %zu: route must be \"METHOD /path\"", i);
                        return -1;
                }
                act = json_string_value(json_object_get(r, "action"));
                for (size_t a = 0; a < sizeof(fault_actions) / sizeof(fault_actions[0]); a++)
                        known |= strcmp(act, fault_actions[a]) == 0;
                if (!known) {
                        snprintf(msg, msgsz, "rule %zu: unknown action", i);
                        return -1;
                }
                v = json_object_get(r, "p");
                if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)) {
                        snprintf(msg, msgsz, "rule %zu: p must be a number in [0,1]", i);
                        return -1;
                }
                v = json_object_get(r, "status");
                if (v && (!json_is_integer(v) || json_integer_value(v) < 200 ||
                          json_integer_value(v) > 599)) {
                        snprintf(msg, msgsz, "rule %zu: status must be 200..599", i);
                        return -1;
                }
                if (strcmp(act, "status") == 0 && !v) {
                        snprintf(msg, msgsz, "rule %zu: action status needs status", i);
                        return -1;
                }
                v = json_object_get(r, "retry_after");
                if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                          json_integer_value(v) > 86400)) {
                        snprintf(msg, msgsz, "rule %zu: retry_after must be 0..86400", i);
                        return -1;
                }
                v = json_object_get(r, "ms");
                if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
                          json_integer_value(v) > 600000)) {
                        snprintf(msg, msgsz, "rule %zu: ms must be 0..600000", i);
                        return -1;
                }
        }
        return 0;
}

int pc_route_match(const char *pattern, const char *method, const char *path)
{
        const char *sp = strchr(pattern, ' ');
        const char *p, *q;
        size_t mlen;

        if (!sp || !method || !path)
                return 0;
        mlen = (size_t)(sp - pattern);
        if (strlen(method) != mlen || memcmp(pattern, method, mlen) != 0)
                return 0;
        p = sp + 1;
        q = path;
        /* Walk both, one segment at a time; bounded by the pattern's length. */
        while (*p && *q) {
                const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
                size_t pl, ql;
                if (*p == '/' && *q == '/') {
                        p++;
                        q++;
                        continue;
                }
                if (*p == '/' || *q == '/')
                        return 0;
                pl = pe ? (size_t)(pe - p) : strlen(p);
                ql = qe ? (size_t)(qe - q) : strlen(q);
                if (!(pl == 1 && *p == '*') && (pl != ql || memcmp(p, q, pl) != 0))
                        return 0;
                if (ql == 0)
                        return 0;
                p += pl;
                q += ql;
        }
        return *p == '\0' && *q == '\0';
}
