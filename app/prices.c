/* app/prices: parse and check the price list (see prices.h for the format).
 *
 * Two passes: our own line scanner first (syntax, duplicates, NUL bytes, UTF-8,
 * and a line number for every group and key), then GKeyFile for the values.
 * Invariants: every accepted price is an integer 0..APP_PRICES_MAX_UNIT parsed
 * from digits only (never strtod, never a float); the entry count and the input
 * size are bounded before any allocation grows with them.
 */
#include "app/prices.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINES 4096 /* group + key lines remembered for messages */

struct price_entry {
        char sku[32];
        char paper[32];
        int64_t unit;
};

struct app_prices {
        char version[32];
        char currency[4];
        struct price_entry *entries;
        size_t n;
        struct store_price *view; /* same order as entries, pointing into them */
};

/* One group or key line seen by the scanner. */
struct line_ref {
        int line;
        char group[64];
        char key[64]; /* "" for a group line */
};

struct scan {
        struct line_ref *refs;
        size_t n;
};

static int fail(struct app_prices_error *err, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(struct app_prices_error *err, int line, const char *fmt, ...)
{
        if (err) {
                err->line = line;
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->message, sizeof(err->message), fmt, ap);
                va_end(ap);
        }
        return -1;
}

static int line_of(const struct scan *sc, const char *group, const char *key)
{
        for (size_t i = 0; i < sc->n; i++)
                if (strcmp(sc->refs[i].group, group) == 0 && strcmp(sc->refs[i].key, key ? key : "") == 0)
                        return sc->refs[i].line;
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* Copy [b, e) trimmed into out (size n); false if it does not fit. */
static bool copy_trim(const char *b, const char *e, char *out, size_t n)
{
        while (b < e && is_space(*b))
                b++;
        while (e > b && is_space(e[-1]))
                e--;
        if ((size_t)(e - b) >= n)
                return false;
        memcpy(out, b, (size_t)(e - b));
        out[e - b] = '\0';
        return true;
}

static int scan_lines(const char *data, size_t len, struct scan *sc, struct app_prices_error *err)
{
        if (memchr(data, '\0', len))
                return fail(err, 0, "file contains a NUL byte");
        if (!g_utf8_validate(data, (gssize)len, NULL))
                return fail(err, 0, "file is not valid UTF-8");
        sc->refs = calloc(MAX_LINES, sizeof(*sc->refs));
        if (!sc->refs)
                return fail(err, 0, "out of memory");
        char group[64] = "";
        int line = 0;
        const char *p = data, *end = data + len;
        while (p < end) {
                line++;
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end;
                const char *b = p;
                p = eol ? eol + 1 : end;
                while (b < le && is_space(*b))
                        b++;
                if (b == le || *b == '#')
                        continue;
                if (sc->n >= MAX_LINES)
                        return fail(err, line, "too many lines");
                struct line_ref *ref = &sc->refs[sc->n];
                ref->line = line;
                if (*b == '[') {
                        const char *close = memchr(b, ']', (size_t)(le - b));
                        if (!close)
                                return fail(err, line, "group header without ']'");
                        for (const char *q = close + 1; q < le; q++)
                                if (!is_space(*q))
                                        return fail(err, line, "text after the group header");
                        if (!copy_trim(b + 1, close, group, sizeof(group)) || !group[0])
                                return fail(err, line, "group name empty or longer than 63 bytes");
                        for (size_t i = 0; i < sc->n; i++)
                                if (!sc->refs[i].key[0] && strcmp(sc->refs[i].group, group) == 0)
                                        return fail(err, line, "group [%s] appears twice (first on line %d)",
                                                    group, sc->refs[i].line);
                        snprintf(ref->group, sizeof(ref->group), "%s", group);
                        sc->n++;
                        continue;
                }
                const char *eq = memchr(b, '=', (size_t)(le - b));
                if (!eq)
                        return fail(err, line, "expected key=value, [group] or # comment");
                if (!group[0])
                        return fail(err, line, "key before any [group]");
                if (!copy_trim(b, eq, ref->key, sizeof(ref->key)) || !ref->key[0])
                        return fail(err, line, "key empty or longer than 63 bytes");
                if (strchr(ref->key, '[') || strchr(ref->key, ' '))
                        return fail(err, line, "key '%s' must be a plain name (no locale, no spaces)",
                                    ref->key);
                snprintf(ref->group, sizeof(ref->group), "%s", group);
                for (size_t i = 0; i < sc->n; i++)
                        if (strcmp(sc->refs[i].group, group) == 0 && strcmp(sc->refs[i].key, ref->key) == 0)
                                return fail(err, line, "[%s] %s is set twice (first on line %d)", group,
                                            ref->key, sc->refs[i].line);
                sc->n++;
        }
        return 0;
}

static bool name_ok(const char *v, bool upper)
{
        size_t n = strlen(v);
        if (n < 1 || n > 31)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = v[i];
                bool ok = (c >= '0' && c <= '9') || c == '-' ||
                          (upper ? (c >= 'A' && c <= 'Z') : ((c >= 'a' && c <= 'z') || c == '_'));
                if (!ok)
                        return false;
        }
        return true;
}

/* Digits only, no sign, no leading zero (except "0"), at most APP_PRICES_MAX_UNIT. */
static bool parse_price(const char *raw, int64_t *ret)
{
        char v[32];
        if (!copy_trim(raw, raw + strlen(raw), v, sizeof(v)) || !v[0])
                return false;
        if (v[0] == '0' && v[1] != '\0')
                return false;
        int64_t x = 0;
        for (size_t i = 0; v[i]; i++) {
                if (v[i] < '0' || v[i] > '9' || i >= 8)
                        return false;
                x = x * 10 + (v[i] - '0');
        }
        if (x > APP_PRICES_MAX_UNIT)
                return false;
        *ret = x;
        return true;
}

static void prices_free_partial(struct app_prices *p)
{
        if (!p)
                return;
        free(p->entries);
        free(p->view);
        free(p);
}

struct app_prices *app_prices_free(struct app_prices *p)
{
        prices_free_partial(p);
        return NULL;
}

static int parse_header(GKeyFile *kf, const struct scan *sc, struct app_prices *p,
                        struct app_prices_error *err)
{
        if (!g_key_file_has_group(kf, "prices"))
                return fail(err, 0, "missing [prices] group (version, currency)");
        gsize nkeys = 0;
        gchar **keys = g_key_file_get_keys(kf, "prices", &nkeys, NULL);
        int r = 0;
        for (gsize i = 0; keys && i < nkeys && r == 0; i++)
                if (strcmp(keys[i], "version") != 0 && strcmp(keys[i], "currency") != 0)
                        r = fail(err, line_of(sc, "prices", keys[i]), "unknown key '%s' in [prices]", keys[i]);
        g_strfreev(keys);
        if (r < 0)
                return r;
        gchar *version = g_key_file_get_value(kf, "prices", "version", NULL);
        gchar *currency = g_key_file_get_value(kf, "prices", "currency", NULL);
        if (!version)
                r = fail(err, line_of(sc, "prices", ""), "[prices] version is missing");
        else if (!name_ok(g_strstrip(version), false) && !name_ok(version, true))
                r = fail(err, line_of(sc, "prices", "version"),
                         "version must be 1..31 of [A-Za-z0-9_-] (e.g. 2026-11)");
        else if (!currency)
                r = fail(err, line_of(sc, "prices", ""), "[prices] currency is missing");
        else {
                g_strstrip(currency);
                if (strlen(currency) != 3 || !g_ascii_isupper(currency[0]) ||
                    !g_ascii_isupper(currency[1]) || !g_ascii_isupper(currency[2]))
                        r = fail(err, line_of(sc, "prices", "currency"),
                                 "currency must be an ISO 4217 code like GBP");
        }
        if (r == 0) {
                snprintf(p->version, sizeof(p->version), "%s", version);
                snprintf(p->currency, sizeof(p->currency), "%s", currency);
        }
        g_free(version);
        g_free(currency);
        return r;
}

static int parse_groups(GKeyFile *kf, const struct scan *sc, struct app_prices *p,
                        struct app_prices_error *err)
{
        gsize ngroups = 0;
        gchar **groups = g_key_file_get_groups(kf, &ngroups);
        int r = 0;
        for (gsize g = 0; groups && g < ngroups && r == 0; g++) {
                const char *sku = groups[g];
                if (strcmp(sku, "prices") == 0)
                        continue;
                if (!name_ok(sku, true)) {
                        r = fail(err, line_of(sc, sku, ""), "SKU [%s] must be 1..31 of [A-Z0-9-]", sku);
                        break;
                }
                gsize nkeys = 0;
                gchar **keys = g_key_file_get_keys(kf, sku, &nkeys, NULL);
                if (!keys || nkeys == 0)
                        r = fail(err, line_of(sc, sku, ""), "SKU [%s] has no paper prices", sku);
                for (gsize k = 0; keys && k < nkeys && r == 0; k++) {
                        const char *paper = keys[k];
                        int line = line_of(sc, sku, paper);
                        if (!name_ok(paper, false)) {
                                r = fail(err, line, "paper '%s' must be 1..31 of [a-z0-9_-]", paper);
                                break;
                        }
                        if (p->n >= APP_PRICES_MAX_ENTRIES) {
                                r = fail(err, line, "more than %d prices", APP_PRICES_MAX_ENTRIES);
                                break;
                        }
                        gchar *raw = g_key_file_get_value(kf, sku, paper, NULL);
                        int64_t unit = 0;
                        if (!raw || !parse_price(raw, &unit))
                                r = fail(err, line,
                                         "[%s] %s: price must be a whole number of minor units "
                                         "0..%d (no decimals, no sign)",
                                         sku, paper, APP_PRICES_MAX_UNIT);
                        g_free(raw);
                        if (r < 0)
                                break;
                        struct price_entry *e = &p->entries[p->n++];
                        snprintf(e->sku, sizeof(e->sku), "%s", sku);
                        snprintf(e->paper, sizeof(e->paper), "%s", paper);
                        e->unit = unit;
                }
                g_strfreev(keys);
        }
        g_strfreev(groups);
        if (r == 0 && p->n == 0)
                r = fail(err, 0, "the price list has no prices");
        return r;
}

int app_prices_parse(const char *data, size_t len, struct app_prices **ret,
                     struct app_prices_error *err)
{
        if (!data || !ret)
                return fail(err, 0, "no data");
        if (len > APP_PRICES_MAX_BYTES)
                return fail(err, 0, "file larger than %d bytes", APP_PRICES_MAX_BYTES);
        struct scan sc = { 0 };
        int r = scan_lines(data, len, &sc, err);
        struct app_prices *p = NULL;
        GKeyFile *kf = NULL;
        GError *gerr = NULL;
        if (r < 0)
                goto out;
        kf = g_key_file_new();
        if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr)) {
                r = fail(err, 0, "%s", gerr ? gerr->message : "cannot parse");
                g_clear_error(&gerr);
                goto out;
        }
        p = calloc(1, sizeof(*p));
        if (p)
                p->entries = calloc(APP_PRICES_MAX_ENTRIES, sizeof(*p->entries));
        if (!p || !p->entries) {
                r = fail(err, 0, "out of memory");
                goto out;
        }
        r = parse_header(kf, &sc, p, err);
        if (r == 0)
                r = parse_groups(kf, &sc, p, err);
        if (r == 0) {
                p->view = calloc(p->n, sizeof(*p->view));
                if (!p->view)
                        r = fail(err, 0, "out of memory");
        }
        if (r < 0)
                goto out;
        for (size_t i = 0; i < p->n; i++)
                p->view[i] = (struct store_price){ .sku = p->entries[i].sku,
                                                   .paper = p->entries[i].paper,
                                                   .unit_minor = p->entries[i].unit };
        *ret = p;
        p = NULL;
out:
        prices_free_partial(p);
        if (kf)
                g_key_file_free(kf);
        free(sc.refs);
        return r;
}

int app_prices_load(const char *path, struct app_prices **ret, struct app_prices_error *err)
{
        if (!path)
                return fail(err, 0, "no path");
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return fail(err, 0, "cannot open %s: %s", path, strerror(errno));
        char *buf = malloc(APP_PRICES_MAX_BYTES + 1);
        size_t len = 0;
        int r = buf ? 0 : fail(err, 0, "out of memory");
        while (r == 0) {
                ssize_t n = read(fd, buf + len, APP_PRICES_MAX_BYTES + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = fail(err, 0, "cannot read %s: %s", path, strerror(errno));
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > APP_PRICES_MAX_BYTES) {
                        r = fail(err, 0, "%s is larger than %d bytes", path, APP_PRICES_MAX_BYTES);
                        break;
                }
        }
        close(fd);
        if (r == 0)
                r = app_prices_parse(buf, len, ret, err);
        free(buf);
        return r;
}

const char *app_prices_version(const struct app_prices *p)
{
        return p->version;
}

const char *app_prices_currency(const struct app_prices *p)
{
        return p->currency;
}

int app_prices_lookup(const struct app_prices *p, const char *sku, const char *paper,
                      int64_t *ret_unit_minor)
{
        for (size_t i = 0; p && sku && paper && i < p->n; i++) {
                if (strcmp(p->entries[i].sku, sku) == 0 && strcmp(p->entries[i].paper, paper) == 0) {
                        *ret_unit_minor = p->entries[i].unit;
                        return 0;
                }
        }
        return -1;
}

void app_prices_store_list(const struct app_prices *p, struct store_price_list *ret)
{
        *ret = (struct store_price_list){ .version = p->version,
                                          .currency = p->currency,
                                          .prices = p->view,
                                          .n_prices = p->n };
}
