/* image/catalogue: product catalogue parser (see catalogue.h) and the .ini
 * helpers of ini_internal.h.
 *
 * Invariants: a returned catalogue holds only products whose every field passed
 * its range check; SKUs are unique; at most IMG_CATALOGUE_MAX_PRODUCTS. */
#include "image/catalogue.h"
#include "image/ini_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct img_catalogue {
        size_t n;
        struct img_product products[IMG_CATALOGUE_MAX_PRODUCTS];
};

/* ---- .ini helpers -------------------------------------------------------- */

static const char *line_end(const char *p, const char *end)
{
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        return nl ? nl : end;
}

int img__ini_open(const char *data, size_t len, size_t max, GKeyFile **ret,
                  struct img_errbuf *err)
{
        if (!data)
                return img_fail(err, IMG_E_INVALID, "no data");
        if (len > max)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "%zu bytes, limit %zu", len, max);
        if (memchr(data, '\0', len))
                return img_fail(err, IMG_E_INVALID, "NUL byte in text");
        const char *p = data, *end = data + len;
        /* GKeyFile silently merges repeated groups and keys (last wins): a
         * repeated SKU or key must be an error instead, so track them here. */
        GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        char *group = g_strdup("");
        int rc = IMG_OK;
        for (int line = 1; p < end && !rc; line++) {
                const char *e = line_end(p, end);
                const char *s = p;
                while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
                        s++;
                const char *t = e;
                while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
                        t--;
                if (s < t && *s != '#' && *s != ';') {
                        if (*s == '[') {
                                if (t[-1] != ']' || t - s < 3 ||
                                    memchr(s + 1, '[', (size_t)(t - s - 1)) ||
                                    memchr(s + 1, ']', (size_t)(t - s - 2))) {
                                        rc = img_fail(err, IMG_E_INVALID,
                                                      "line %d: malformed [group] header", line);
                                        break;
                                }
                                g_free(group);
                                group = g_strndup(s + 1, (gsize)(t - s - 2));
                                if (!g_hash_table_add(seen, g_strdup_printf("[%s]", group)))
                                        rc = img_fail(err, IMG_E_INVALID,
                                                      "line %d: duplicate [%.60s]", line, group);
                        } else {
                                const char *eq = memchr(s, '=', (size_t)(t - s));
                                if (!eq || eq == s) {
                                        rc = img_fail(err, IMG_E_INVALID,
                                                      "line %d: expected key=value", line);
                                        break;
                                }
                                const char *ke = eq;
                                while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
                                        ke--;
                                char *k = g_strdup_printf("%s\n%.*s", group, (int)(ke - s), s);
                                if (!g_hash_table_add(seen, k))
                                        rc = img_fail(err, IMG_E_INVALID,
                                                      "line %d: duplicate key %.*s", line,
                                                      (int)(ke - s > 40 ? 40 : ke - s), s);
                        }
                }
                p = e < end ? e + 1 : end;
        }
        g_free(group);
        g_hash_table_destroy(seen);
        if (rc)
                return rc;
        GKeyFile *kf = g_key_file_new();
        GError *gerr = NULL;
        if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr)) {
                img_fail(err, IMG_E_INVALID, "%s", gerr ? gerr->message : "parse error");
                g_clear_error(&gerr);
                g_key_file_free(kf);
                return IMG_E_INVALID;
        }
        *ret = kf;
        return IMG_OK;
}

int img__ini_line(const char *data, size_t len, const char *group, const char *key)
{
        const char *p = data, *end = data + len;
        bool in_group = false;
        size_t glen = strlen(group), klen = key ? strlen(key) : 0;
        for (int line = 1; p < end; line++) {
                const char *e = line_end(p, end);
                const char *s = p;
                while (s < e && (*s == ' ' || *s == '\t'))
                        s++;
                if (s < e && *s == '[') {
                        in_group = (size_t)(e - s) >= glen + 2 && memcmp(s + 1, group, glen) == 0 &&
                                   s[glen + 1] == ']';
                        if (in_group && !key)
                                return line;
                } else if (in_group && key && (size_t)(e - s) > klen &&
                           memcmp(s, key, klen) == 0) {
                        const char *q = s + klen;
                        while (q < e && (*q == ' ' || *q == '\t'))
                                q++;
                        if (q < e && *q == '=')
                                return line;
                }
                p = e < end ? e + 1 : end;
        }
        return 0;
}

bool img__parse_double(const char *s, double lo, double hi, double *ret)
{
        if (!s || !*s || strlen(s) > 32)
                return false;
        char *e = NULL;
        errno = 0;
        double v = strtod(s, &e);
        if (errno || e == s || *e || !isfinite(v) || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

bool img__parse_int(const char *s, long lo, long hi, long *ret)
{
        if (!s || !*s || strlen(s) > 20)
                return false;
        char *e = NULL;
        errno = 0;
        long v = strtol(s, &e, 10);
        if (errno || e == s || *e || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

bool img__parse_bool(const char *s, bool *ret)
{
        if (s && strcmp(s, "true") == 0)
                return *ret = true, true;
        if (s && strcmp(s, "false") == 0)
                return *ret = false, true;
        return false;
}

int img__read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                         struct img_errbuf *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "%s: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return img_fail(err, IMG_E_UNREADABLE, "%s: not a regular file", path);
        }
        if ((uint64_t)st.st_size > max) {
                close(fd);
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "%s: %lld bytes, limit %zu", path,
                                (long long)st.st_size, max);
        }
        size_t n = (size_t)st.st_size, got = 0;
        char *buf = g_malloc(n + 1);
        while (got < n) {
                ssize_t r = read(fd, buf + got, n - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        if (got != n) {
                g_free(buf);
                return img_fail(err, IMG_E_UNREADABLE, "%s: short read", path);
        }
        buf[n] = '\0';
        *ret = buf;
        *ret_len = n;
        return IMG_OK;
}

/* ---- catalogue ------------------------------------------------------------ */

static const char *const product_keys[] = {"name",      "size",   "dpi",        "bleed_mm",
                                           "borderless", "border_mm", "media", "up",
                                           "warn_dpi",  "strong_dpi"};

static bool valid_sku(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= IMG_SKU_MAX || !(s[0] >= 'A' && s[0] <= 'Z'))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

static bool valid_media(const char *s)
{
        size_t n = strlen(s);
        if (n < 3 || n >= IMG_MEDIA_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '-' || s[i] == '_' || s[i] == '.'))
                        return false;
        return true;
}

/* "6x4in", "152x102mm" -> inches, long side first. */
static bool parse_size(const char *s, double *ret_long, double *ret_short)
{
        size_t n = strlen(s);
        if (n < 5 || n > 32)
                return false;
        double scale;
        if (strcmp(s + n - 2, "in") == 0)
                scale = 1.0;
        else if (strcmp(s + n - 2, "mm") == 0)
                scale = 1.0 / 25.4;
        else
                return false;
        char buf[33];
        memcpy(buf, s, n - 2);
        buf[n - 2] = '\0';
        char *x = strchr(buf, 'x');
        if (!x)
                return false;
        *x = '\0';
        double w, h;
        double lo = 1.0 / scale, hi = 20.0 / scale; /* 1..20 inches */
        if (!img__parse_double(buf, lo, hi, &w) || !img__parse_double(x + 1, lo, hi, &h))
                return false;
        w *= scale, h *= scale;
        *ret_long = w >= h ? w : h;
        *ret_short = w >= h ? h : w;
        return true;
}

/* Line of a key, else of its group header (missing keys, group errors). */
static int line_of(const char *data, size_t len, const char *group, const char *key)
{
        int l = img__ini_line(data, len, group, key);
        return l ? l : img__ini_line(data, len, group, NULL);
}

#define CAT_FAIL(code, key, ...)                                                            \
        do {                                                                                \
                char m_[160];                                                               \
                snprintf(m_, sizeof(m_), __VA_ARGS__);                                      \
                rc = img_fail(err, code, "line %d: [%s] %s: %s",                            \
                              line_of(data, len, groups[g], key), groups[g], key, m_);      \
                goto out;                                                                   \
        } while (0)

int img_catalogue_parse(const char *data, size_t len, struct img_catalogue **ret,
                        struct img_errbuf *err)
{
        GKeyFile *kf = NULL;
        int rc = img__ini_open(data, len, IMG_CATALOGUE_MAX_BYTES, &kf, err);
        if (rc)
                return rc;
        struct img_catalogue *c = g_new0(struct img_catalogue, 1);
        gsize ngroups = 0;
        gchar **groups = g_key_file_get_groups(kf, &ngroups);
        char *v = NULL;
        gchar **keys = NULL;
        for (gsize g = 0; g < ngroups; g++) {
                if (strncmp(groups[g], "product ", 8) != 0)
                        CAT_FAIL(IMG_E_INVALID, "group", "unknown group (expected [product SKU])");
                const char *sku = groups[g] + 8;
                if (!valid_sku(sku))
                        CAT_FAIL(IMG_E_INVALID, "sku", "SKU must be A-Z 0-9 - and < %d chars",
                                 IMG_SKU_MAX);
                if (img_catalogue_find(c, sku))
                        CAT_FAIL(IMG_E_INVALID, "sku", "duplicate SKU");
                if (c->n >= IMG_CATALOGUE_MAX_PRODUCTS)
                        CAT_FAIL(IMG_E_INVALID, "sku", "more than %d products",
                                 IMG_CATALOGUE_MAX_PRODUCTS);
                gsize nkeys = 0;
                keys = g_key_file_get_keys(kf, groups[g], &nkeys, NULL);
                for (gsize k = 0; keys && k < nkeys; k++) {
                        bool known = false;
                        for (size_t i = 0; i < G_N_ELEMENTS(product_keys); i++)
                                known |= strcmp(keys[k], product_keys[i]) == 0;
                        if (!known)
                                CAT_FAIL(IMG_E_INVALID, keys[k], "unknown key");
                }
                g_strfreev(keys);
                keys = NULL;
                struct img_product *p = &c->products[c->n];
                memset(p, 0, sizeof(*p));
                snprintf(p->sku, sizeof(p->sku), "%s", sku);
                for (size_t i = 0; i < G_N_ELEMENTS(product_keys); i++) {
                        const char *key = product_keys[i];
                        g_free(v);
                        v = g_key_file_get_value(kf, groups[g], key, NULL);
                        if (!v)
                                CAT_FAIL(IMG_E_INVALID, key, "missing");
                        long l = 0;
                        bool ok = true;
                        if (strcmp(key, "name") == 0) {
                                ok = *v && strlen(v) < sizeof(p->name);
                                if (ok)
                                        snprintf(p->name, sizeof(p->name), "%s", v);
                        } else if (strcmp(key, "size") == 0)
                                ok = parse_size(v, &p->long_in, &p->short_in);
                        else if (strcmp(key, "dpi") == 0)
                                ok = img__parse_int(v, 150, 1200, &l), p->dpi = (int)l;
                        else if (strcmp(key, "bleed_mm") == 0)
                                ok = img__parse_double(v, 0, 10, &p->bleed_mm);
                        else if (strcmp(key, "borderless") == 0)
                                ok = img__parse_bool(v, &p->borderless);
                        else if (strcmp(key, "border_mm") == 0)
                                ok = img__parse_double(v, 0, 25, &p->border_mm);
                        else if (strcmp(key, "media") == 0) {
                                ok = valid_media(v);
                                if (ok)
                                        snprintf(p->media, sizeof(p->media), "%s", v);
                        } else if (strcmp(key, "up") == 0)
                                ok = img__parse_int(v, 1, 2, &l), p->up = (int)l;
                        else if (strcmp(key, "warn_dpi") == 0)
                                ok = img__parse_int(v, 10, 1200, &l), p->warn_dpi = (int)l;
                        else if (strcmp(key, "strong_dpi") == 0)
                                ok = img__parse_int(v, 10, 1200, &l), p->strong_dpi = (int)l;
                        if (!ok)
                                CAT_FAIL(IMG_E_INVALID, key, "bad value");
                }
                if (p->borderless && p->border_mm > 0)
                        CAT_FAIL(IMG_E_INVALID, "border_mm", "must be 0 when borderless");
                if (!p->borderless && p->bleed_mm > 0)
                        CAT_FAIL(IMG_E_INVALID, "bleed_mm", "bleed only for borderless prints");
                if (p->border_mm * 2 >= p->short_in * 25.4 / 2)
                        CAT_FAIL(IMG_E_INVALID, "border_mm", "border leaves too little image");
                if (p->strong_dpi >= p->warn_dpi)
                        CAT_FAIL(IMG_E_INVALID, "strong_dpi", "must be below warn_dpi");
                /* The master must stay within the renderer's pixel limit. */
                double px = (p->long_in * p->up + 2 * p->bleed_mm / 25.4) * p->dpi;
                if (px > 20000)
                        CAT_FAIL(IMG_E_INVALID, "dpi", "master side %.0f px over 20000", px);
                c->n++;
        }
        if (c->n == 0) {
                rc = img_fail(err, IMG_E_INVALID, "line 1: no [product SKU] groups");
                goto out;
        }
        *ret = c;
        c = NULL;
out:
        g_free(v);
        g_strfreev(keys);
        g_strfreev(groups);
        g_key_file_free(kf);
        g_free(c);
        return rc;
}

int img_catalogue_load(const char *path, struct img_catalogue **ret, struct img_errbuf *err)
{
        char *data = NULL;
        size_t len = 0;
        int rc = img__read_small_file(path, IMG_CATALOGUE_MAX_BYTES, &data, &len, err);
        if (rc)
                return rc;
        rc = img_catalogue_parse(data, len, ret, err);
        g_free(data);
        return rc;
}

struct img_catalogue *img_catalogue_free(struct img_catalogue *c)
{
        g_free(c);
        return NULL;
}

size_t img_catalogue_count(const struct img_catalogue *c)
{
        return c ? c->n : 0;
}

const struct img_product *img_catalogue_at(const struct img_catalogue *c, size_t i)
{
        return c && i < c->n ? &c->products[i] : NULL;
}

const struct img_product *img_catalogue_find(const struct img_catalogue *c, const char *sku)
{
        for (size_t i = 0; c && sku && i < c->n; i++)
                if (strcmp(c->products[i].sku, sku) == 0)
                        return &c->products[i];
        return NULL;
}
