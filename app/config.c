/* app/config: load and check printkiosk.conf (see config.h).
 *
 * GKeyFile parses the syntax; every value is then checked here with its range.
 * GKeyFile does not keep line numbers for keys, so issue lines are found by a
 * bounded scan of the text for the group header and the key (find_line). */
#include "app/config.h"

#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void app_config_defaults(struct app_config *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        snprintf(cfg->kiosk_id, sizeof(cfg->kiosk_id), "kiosk-1");
        snprintf(cfg->store_id, sizeof(cfg->store_id), "store-1");
        snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/printkiosk");
        snprintf(cfg->share_dir, sizeof(cfg->share_dir), "/usr/share/printkiosk");
        snprintf(cfg->secret_file, sizeof(cfg->secret_file), "/etc/printkiosk/secret.conf");
        snprintf(cfg->currency, sizeof(cfg->currency), "GBP");
        snprintf(cfg->languages[0], sizeof(cfg->languages[0]), "en");
        cfg->n_languages = 1;
        cfg->session_timeout_s = 180;
        cfg->session_warning_s = 20;
        cfg->retention_days = 30;
        cfg->sync_poll_s = 60;
}

struct loader {
        const char *text; /* whole file, NUL-terminated */
        GKeyFile *kf;
        struct app_config_report *report;
        int problems;
};

/* Line of "key" inside "[group]", or of "[group]" when key is NULL; 0 if absent. */
static int find_line(const char *text, const char *group, const char *key)
{
        int line = 1, in_group = 0, group_line = 0;
        size_t glen = strlen(group), klen = key ? strlen(key) : 0;
        for (const char *p = text; *p; line++) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                const char *s = p;
                while (len && (*s == ' ' || *s == '\t'))
                        s++, len--;
                if (len && *s == '[') {
                        in_group = len >= glen + 2 && s[glen + 1] == ']' &&
                                   memcmp(s + 1, group, glen) == 0;
                        if (in_group)
                                group_line = line;
                } else if (in_group && key && len > klen && memcmp(s, key, klen) == 0 &&
                           (s[klen] == '=' || s[klen] == ' ' || s[klen] == '\t')) {
                        return line;
                }
                if (!eol)
                        break;
                p = eol + 1;
        }
        return group_line; /* key absent: point at its section */
}

static void issue(struct loader *l, const char *group, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void issue(struct loader *l, const char *group, const char *key, const char *fmt, ...)
{
        l->problems++;
        if (!l->report)
                return;
        struct app_config_report *r = l->report;
        if (r->n_issues < (int)(sizeof(r->issues) / sizeof(r->issues[0]))) {
                struct app_config_issue *is = &r->issues[r->n_issues];
                is->line = group && l->text ? find_line(l->text, group, key) : 0;
                snprintf(is->key, sizeof(is->key), "%s%s%s%s%s", group ? "[" : "",
                         group ? group : "", group ? "]" : "", key ? " " : "", key ? key : "");
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(is->message, sizeof(is->message), fmt, ap);
                va_end(ap);
        }
        r->n_issues++;
}

static void get_str(struct loader *l, const char *group, const char *key, char *dst, size_t size)
{
        g_autoptr(GError) e = NULL;
        g_autofree char *v = g_key_file_get_string(l->kf, group, key, &e);
        if (!v)
                return; /* absent: keep the default */
        if (strlen(v) >= size) {
                issue(l, group, key, "value longer than %zu characters", size - 1);
                return;
        }
        for (const char *c = v; *c; c++)
                if ((unsigned char)*c < 0x20) {
                        issue(l, group, key, "control character in value");
                        return;
                }
        snprintf(dst, size, "%s", v);
}

static void get_int(struct loader *l, const char *group, const char *key, int *dst, int lo, int hi)
{
        g_autofree char *v = g_key_file_get_value(l->kf, group, key, NULL);
        if (!v)
                return;
        char *end = NULL;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < lo || n > hi) {
                issue(l, group, key, "'%.40s' is not a whole number from %d to %d", v, lo, hi);
                return;
        }
        *dst = (int)n;
}

static void get_bool(struct loader *l, const char *group, const char *key, bool *dst)
{
        g_autofree char *v = g_key_file_get_value(l->kf, group, key, NULL);
        if (!v)
                return;
        if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
                *dst = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
                *dst = false;
        else
                issue(l, group, key, "'%.40s' is not true or false", v);
}

static bool is_ident(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
                        return false;
        return true;
}

/* Known keys per group, so a typo is reported rather than silently ignored. */
static const char *const known_kiosk[] = {"id", "store", "data_dir", "share_dir", "languages",
                                          "session_timeout", "session_warning", NULL};
static const char *const known_central[] = {"url", "ca_bundle", "secret_file", "poll_interval",
                                            NULL};
static const char *const known_prices[] = {"currency", "price_list", "catalogue", NULL};
static const char *const known_retention[] = {"days", NULL};
static const char *const known_printer[] = {"queue", "model", "papers", "receipt", NULL};

static void check_keys(struct loader *l, const char *group, const char *const *known)
{
        gsize n = 0;
        g_auto(GStrv) keys = g_key_file_get_keys(l->kf, group, &n, NULL);
        for (gsize i = 0; keys && i < n; i++) {
                bool ok = false;
                for (const char *const *k = known; *k && !ok; k++)
                        ok = strcmp(*k, keys[i]) == 0;
                if (!ok)
                        issue(l, group, keys[i], "unknown key");
        }
}

static void load_values(struct loader *l, struct app_config *cfg)
{
        gsize ngroups = 0;
        g_auto(GStrv) groups = g_key_file_get_groups(l->kf, &ngroups);
        for (gsize i = 0; i < ngroups; i++) {
                const char *g = groups[i];
                if (strcmp(g, "kiosk") == 0)
                        check_keys(l, g, known_kiosk);
                else if (strcmp(g, "central") == 0)
                        check_keys(l, g, known_central);
                else if (strcmp(g, "prices") == 0)
                        check_keys(l, g, known_prices);
                else if (strcmp(g, "retention") == 0)
                        check_keys(l, g, known_retention);
                else if (strncmp(g, "printer ", 8) == 0) {
                        check_keys(l, g, known_printer);
                        if (cfg->n_printers >= APP_CONFIG_MAX_PRINTERS) {
                                issue(l, g, NULL, "more than %d printers",
                                      APP_CONFIG_MAX_PRINTERS);
                                continue;
                        }
                        struct app_config_printer *p = &cfg->printers[cfg->n_printers];
                        memset(p, 0, sizeof(*p));
                        if (!is_ident(g + 8) || strlen(g + 8) >= sizeof(p->name)) {
                                issue(l, g, NULL, "printer name must be letters, digits, -_.");
                                continue;
                        }
                        snprintf(p->name, sizeof(p->name), "%s", g + 8);
                        get_str(l, g, "queue", p->queue, sizeof(p->queue));
                        get_str(l, g, "model", p->model, sizeof(p->model));
                        get_str(l, g, "papers", p->papers, sizeof(p->papers));
                        get_bool(l, g, "receipt", &p->receipt);
                        if (!p->queue[0])
                                issue(l, g, "queue", "missing: the CUPS queue name");
                        else if (!is_ident(p->queue))
                                issue(l, g, "queue", "not a CUPS queue name");
                        cfg->n_printers++;
                } else {
                        issue(l, g, NULL, "unknown section");
                }
        }

        get_str(l, "kiosk", "id", cfg->kiosk_id, sizeof(cfg->kiosk_id));
        if (!is_ident(cfg->kiosk_id))
                issue(l, "kiosk", "id", "must be letters, digits, '-', '_' or '.'");
        get_str(l, "kiosk", "store", cfg->store_id, sizeof(cfg->store_id));
        get_str(l, "kiosk", "data_dir", cfg->data_dir, sizeof(cfg->data_dir));
        if (cfg->data_dir[0] != '/')
                issue(l, "kiosk", "data_dir", "must be an absolute path");
        get_str(l, "kiosk", "share_dir", cfg->share_dir, sizeof(cfg->share_dir));
        get_int(l, "kiosk", "session_timeout", &cfg->session_timeout_s, 30, 3600);
        get_int(l, "kiosk", "session_warning", &cfg->session_warning_s, 5, 120);
        if (cfg->session_warning_s >= cfg->session_timeout_s)
                issue(l, "kiosk", "session_warning", "must be shorter than session_timeout");
        g_autofree char *langs = g_key_file_get_value(l->kf, "kiosk", "languages", NULL);
        if (langs) {
                g_auto(GStrv) v = g_strsplit(langs, ";", APP_CONFIG_MAX_LANGUAGES + 1);
                int n = 0;
                for (int i = 0; v[i]; i++) {
                        g_strstrip(v[i]);
                        if (!v[i][0])
                                continue;
                        if (n >= APP_CONFIG_MAX_LANGUAGES || strlen(v[i]) >= 8 || !is_ident(v[i])) {
                                issue(l, "kiosk", "languages", "'%.20s' is not a language code", v[i]);
                                continue;
                        }
                        snprintf(cfg->languages[n++], sizeof(cfg->languages[0]), "%s", v[i]);
                }
                if (n == 0)
                        issue(l, "kiosk", "languages", "no language given");
                else
                        cfg->n_languages = n;
        }

        get_str(l, "central", "url", cfg->central_url, sizeof(cfg->central_url));
        if (cfg->central_url[0]) {
                bool https = strncmp(cfg->central_url, "https://", 8) == 0;
                bool loop = strncmp(cfg->central_url, "http://127.0.0.1", 16) == 0 ||
                            strncmp(cfg->central_url, "http://localhost", 16) == 0 ||
                            strncmp(cfg->central_url, "http://[::1]", 12) == 0;
                if (!https && !loop)
                        issue(l, "central", "url", "must be https:// (plain http only on loopback)");
        }
        get_str(l, "central", "ca_bundle", cfg->ca_bundle, sizeof(cfg->ca_bundle));
        get_str(l, "central", "secret_file", cfg->secret_file, sizeof(cfg->secret_file));
        get_int(l, "central", "poll_interval", &cfg->sync_poll_s, 5, 3600);

        get_str(l, "prices", "currency", cfg->currency, sizeof(cfg->currency));
        if (strlen(cfg->currency) != 3 || !g_ascii_isupper(cfg->currency[0]) ||
            !g_ascii_isupper(cfg->currency[1]) || !g_ascii_isupper(cfg->currency[2]))
                issue(l, "prices", "currency", "must be a 3-letter ISO 4217 code such as GBP");
        get_str(l, "prices", "price_list", cfg->price_list, sizeof(cfg->price_list));
        get_str(l, "prices", "catalogue", cfg->catalogue, sizeof(cfg->catalogue));
        get_int(l, "retention", "days", &cfg->retention_days, 1, 3650);
}

int app_config_load(const char *path, struct app_config *cfg, struct app_config_report *report)
{
        struct loader l = {.report = report};
        if (report)
                report->n_issues = 0;
        g_autofree char *text = NULL;
        gsize len = 0;
        g_autoptr(GError) e = NULL;
        struct stat st;
        if (stat(path, &st) != 0) {
                issue(&l, NULL, NULL, "cannot read %.100s: %s", path, strerror(errno));
                return -1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > APP_CONFIG_MAX_BYTES) {
                issue(&l, NULL, NULL, "not a regular file of at most %d bytes", APP_CONFIG_MAX_BYTES);
                return -1;
        }
        if (!g_file_get_contents(path, &text, &len, &e)) {
                issue(&l, NULL, NULL, "cannot read: %.120s", e->message);
                return -1;
        }
        if (strlen(text) != len) {
                issue(&l, NULL, NULL, "file contains a NUL byte");
                return -1;
        }
        l.text = text;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
                /* GLib's message names the offending line's text; find its number. */
                issue(&l, NULL, NULL, "syntax: %.140s", e->message);
                return -1;
        }
        l.kf = kf;
        load_values(&l, cfg);
        if (!cfg->price_list[0])
                snprintf(cfg->price_list, sizeof(cfg->price_list), "%.400s/assets/prices.ini",
                         cfg->share_dir);
        if (!cfg->catalogue[0])
                snprintf(cfg->catalogue, sizeof(cfg->catalogue), "%.400s/assets/catalogue.ini",
                         cfg->share_dir);
        return l.problems ? -1 : 0;
}

int app_config_load_secret(const struct app_config *cfg, uint8_t ret_key[32],
                           struct app_config_report *report)
{
        struct loader l = {.report = report};
        if (report)
                report->n_issues = 0;
        struct stat st;
        if (stat(cfg->secret_file, &st) != 0) {
                issue(&l, NULL, NULL, "cannot read the secrets file: %s", strerror(errno));
                return -1;
        }
        if (st.st_mode & 077) {
                issue(&l, NULL, NULL, "secrets file is readable by others (chmod 600)");
                return -1;
        }
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) e = NULL;
        if (st.st_size > 4096 || !g_key_file_load_from_file(kf, cfg->secret_file, 0, &e)) {
                issue(&l, NULL, NULL, "secrets file unreadable or malformed");
                return -1;
        }
        g_autofree char *hex = g_key_file_get_string(kf, "central", "secret", NULL);
        uint8_t key[32];
        if (!hex || strlen(hex) != 64) {
                issue(&l, "central", "secret", "must be 64 lowercase hex digits");
                return -1;
        }
        for (int i = 0; i < 32; i++) {
                int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
                if (hi < 0 || lo < 0 || g_ascii_isupper(hex[2 * i]) || g_ascii_isupper(hex[2 * i + 1])) {
                        issue(&l, "central", "secret", "must be 64 lowercase hex digits");
                        return -1;
                }
                key[i] = (uint8_t)(hi << 4 | lo);
        }
        memcpy(ret_key, key, 32);
        memset(key, 0, sizeof(key));
        return 0;
}
