/* app/doctor: health checks for technicians (see doctor.h).
 *
 * Each check_* function fills one JSON object and returns its status; the
 * order in app_doctor_run() is the order a technician reads them in (what is
 * installed, then the kiosk's own state, then its peers).
 */
#include "app/doctor.h"

#include "app/config.h"
#include "app/transform_record.h"
#include "drivers/network.h"
#include "drivers/printer.h"
#include "image/image.h"
#include "image/paper.h"
#include "sync/http.h"
#include "sync/outbox.h"
#include "sync/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

const char *app_doctor_status_name(enum app_doctor_status s)
{
        switch (s) {
        case APP_DOCTOR_OK: return "ok";
        case APP_DOCTOR_WARN: return "warn";
        default: return "fail";
        }
}

struct doc {
        const struct app_doctor_opts *o;
        struct app_config cfg;
        bool cfg_ok;
        const char *data_dir;
        struct store *store;  /* NULL if it could not be opened */
        int64_t clock_skew_s; /* server - local from the central probe, or 0 */
        bool have_skew;
};

static json_t *new_check(const char *name)
{
        json_t *c = json_object();
        json_object_set_new(c, "check", json_string(name));
        return c;
}

static enum app_doctor_status finish(json_t *c, enum app_doctor_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static enum app_doctor_status finish(json_t *c, enum app_doctor_status st, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        json_object_set_new(c, "status", json_string(app_doctor_status_name(st)));
        json_object_set_new(c, "ok", json_boolean(st != APP_DOCTOR_FAIL));
        json_object_set_new(c, "message", json_string(msg));
        return st;
}

/* First line of /etc/os-release's PRETTY_NAME, bounded. */
static void os_name(char *out, size_t n)
{
        snprintf(out, n, "unknown");
        FILE *f = fopen("/etc/os-release", "re");
        if (!f)
                return;
        char line[256];
        for (int i = 0; i < 64 && fgets(line, sizeof line, f); i++) {
                if (strncmp(line, "PRETTY_NAME=", 12) != 0)
                        continue;
                char *v = line + 12;
                v[strcspn(v, "\n")] = '\0';
                size_t l = strlen(v);
                if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
                        v[l - 1] = '\0';
                        v++;
                }
                size_t vl = strlen(v);
                if (vl >= n)
                        vl = n - 1;
                memcpy(out, v, vl);
                out[vl] = '\0';
                break;
        }
        fclose(f);
}

static enum app_doctor_status check_versions(struct doc *d, json_t *c)
{
        json_object_set_new(c, "printkiosk", json_string(PK_VERSION));
        json_object_set_new(c, "libvips", json_string(img_vips_version()));
        json_object_set_new(c, "lcms2", json_string(img_lcms_version()));
        json_object_set_new(c, "jansson", json_string(JANSSON_VERSION));
        json_object_set_new(c, "libsodium", json_string(sodium_version_string()));
        struct utsname u;
        if (uname(&u) == 0)
                json_object_set_new(c, "kernel", json_string(u.release));
        char os[128];
        os_name(os, sizeof os);
        json_object_set_new(c, "os", json_string(os));
        return finish(c, APP_DOCTOR_OK, "printkiosk %s on %s", PK_VERSION, os);
}

static enum app_doctor_status check_config(struct doc *d, json_t *c)
{
        if (!d->o->config_path)
                return finish(c, APP_DOCTOR_WARN, "no configuration file given: built-in defaults");
        json_object_set_new(c, "file", json_string(d->o->config_path));
        struct app_config_report rep;
        if (app_config_load(d->o->config_path, &d->cfg, &rep) == 0) {
                d->cfg_ok = true;
                json_object_set_new(c, "kiosk_id", json_string(d->cfg.kiosk_id));
                json_object_set_new(c, "printers", json_integer(d->cfg.n_printers));
                return finish(c, APP_DOCTOR_OK, "valid");
        }
        json_object_set_new(c, "problems", json_integer(rep.n_issues));
        if (rep.n_issues > 0)
                return finish(c, APP_DOCTOR_FAIL, "%d problem(s), first: line %d %s: %s (run config check)",
                              rep.n_issues, rep.issues[0].line, rep.issues[0].key,
                              rep.issues[0].message);
        return finish(c, APP_DOCTOR_FAIL, "cannot be read");
}

static enum app_doctor_status check_store(struct doc *d, json_t *c)
{
        struct store_errbuf err = {{0}};
        int r = store_open(d->data_dir, &d->store, &err);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "cannot open the store: %s (%s)", err.msg,
                              store_strerror(r));
        json_object_set_new(c, "schema_version", json_integer(store_schema_version(d->store)));
        r = store_check(d->store, &err);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "integrity check: %s", err.msg);
        struct store_order_filter f = {.limit = 10000};
        struct store_order_summary *orders = NULL;
        size_t n = 0;
        if (store_order_list(d->store, &f, &orders, &n, &err) == 0) {
                int64_t failed = 0;
                for (size_t i = 0; i < n; i++)
                        failed += orders[i].state == ORDER_FAILED;
                json_object_set_new(c, "orders", json_integer((json_int_t)n));
                json_object_set_new(c, "orders_needing_staff", json_integer(failed));
                free(orders);
                if (failed)
                        return finish(c, APP_DOCTOR_WARN, "%lld order(s) failed and need staff",
                                      (long long)failed);
        }
        return finish(c, APP_DOCTOR_OK, "schema %d, integrity ok", store_schema_version(d->store));
}

static enum app_doctor_status check_disk(struct doc *d, json_t *c)
{
        struct statvfs sv;
        if (statvfs(d->data_dir, &sv) < 0)
                return finish(c, APP_DOCTOR_FAIL, "statvfs %s: %s", d->data_dir, strerror(errno));
        long long avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
        long long total = (long long)sv.f_blocks * (long long)sv.f_frsize;
        double pct = total > 0 ? 100.0 * (double)avail / (double)total : 0;
        json_object_set_new(c, "path", json_string(d->data_dir));
        json_object_set_new(c, "available_bytes", json_integer(avail));
        json_object_set_new(c, "total_bytes", json_integer(total));
        json_object_set_new(c, "available_percent", json_real((double)(int)(pct * 10) / 10));
        if (avail < APP_DOCTOR_DISK_FAIL_BYTES || pct < 2)
                return finish(c, APP_DOCTOR_FAIL, "%.0f MiB free (%.1f%%): too little for new orders",
                              (double)avail / (1 << 20), pct);
        if (avail < APP_DOCTOR_DISK_WARN_BYTES || pct < 10)
                return finish(c, APP_DOCTOR_WARN, "%.0f MiB free (%.1f%%)", (double)avail / (1 << 20), pct);
        return finish(c, APP_DOCTOR_OK, "%.1f GiB free (%.1f%%)", (double)avail / (1 << 30), pct);
}

static enum app_doctor_status check_clock(struct doc *d, json_t *c)
{
        time_t now = time(NULL);
        char buf[32];
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(c, "now", json_string(buf));
        struct timex tx = {0};
        int st = adjtimex(&tx);
        bool synced = st >= 0 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
        json_object_set_new(c, "ntp_synchronised", json_boolean(synced));
        if (d->have_skew)
                json_object_set_new(c, "central_skew_s", json_integer(d->clock_skew_s));
        if ((long long)now < APP_DOCTOR_CLOCK_FLOOR_S)
                return finish(c, APP_DOCTOR_FAIL, "clock reads %s: before 2025, no RTC or NTP", buf);
        if (d->store) {
                /* The newest order change must not be in the future: a clock that
                 * jumped back would reorder the audit trail and the outbox. */
                struct store_order_filter f = {.limit = 1};
                struct store_order_summary *o = NULL;
                size_t n = 0;
                struct store_errbuf err = {{0}};
                if (store_order_list(d->store, &f, &o, &n, &err) == 0) {
                        int64_t newest = n ? o[0].updated_at : 0;
                        free(o);
                        if (newest > (int64_t)now * 1000 + 300000)
                                return finish(c, APP_DOCTOR_FAIL,
                                              "clock is behind the newest order by %lld s",
                                              (long long)(newest / 1000 - now));
                }
        }
        if (d->have_skew && llabs(d->clock_skew_s) > APP_DOCTOR_SKEW_WARN_S)
                return finish(c, APP_DOCTOR_WARN, "%lld s off headquarters' clock",
                              (long long)d->clock_skew_s);
        if (!synced)
                return finish(c, APP_DOCTOR_WARN, "%s, not NTP-synchronised", buf);
        return finish(c, APP_DOCTOR_OK, "%s, NTP-synchronised", buf);
}

static json_t *printer_json(const struct drv_printer_status *st)
{
        json_t *p = json_object();
        json_object_set_new(p, "queue", json_string(st->name));
        json_object_set_new(p, "make_model", json_string(st->make_model));
        json_object_set_new(p, "state", json_string(drv_printer_state_name(st->state)));
        json_object_set_new(p, "accepting", json_boolean(st->accepting));
        json_t *r = json_array();
        for (size_t i = 0; i < st->n_reasons && i < DRV_PRINTER_REASONS_MAX; i++)
                json_array_append_new(r, json_string(st->reasons[i]));
        json_object_set_new(p, "reasons", r);
        return p;
}

static enum app_doctor_status check_printers(struct doc *d, json_t *c,
                                             struct drv_printer_status *list, size_t *ret_n)
{
        *ret_n = 0;
        if (d->o->skip_printers)
                return finish(c, APP_DOCTOR_WARN, "skipped (--no-printers)");
        struct drv_errbuf err = {{0}};
        struct drv_printer *p = NULL;
        int r = drv_printer_cups_new(d->o->cups_server, &p, &err);
        if (r == 0)
                r = drv_printer_list(p, list, DRV_PRINTER_QUEUES_MAX, ret_n, &err);
        drv_printer_free(p);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "CUPS: %s (%s)", err.msg, drv_strerror(r));
        json_t *arr = json_array();
        for (size_t i = 0; i < *ret_n; i++)
                json_array_append_new(arr, printer_json(&list[i]));
        json_object_set_new(c, "queues", arr);
        if (d->cfg.n_printers == 0) {
                if (*ret_n == 0)
                        return finish(c, APP_DOCTOR_FAIL, "CUPS has no queues");
                return finish(c, APP_DOCTOR_WARN, "%zu queue(s), none configured in [printer ...]",
                              *ret_n);
        }
        enum app_doctor_status worst = APP_DOCTOR_OK;
        char msg[512] = "";
        for (int i = 0; i < d->cfg.n_printers; i++) {
                const struct app_config_printer *cp = &d->cfg.printers[i];
                const struct drv_printer_status *st = NULL;
                for (size_t k = 0; k < *ret_n; k++)
                        if (strcmp(list[k].name, cp->queue) == 0)
                                st = &list[k];
                if (!st) {
                        worst = APP_DOCTOR_FAIL;
                        snprintf(msg, sizeof msg, "configured queue %s is missing", cp->queue);
                } else if (st->state == DRV_PRINTER_STOPPED || !st->accepting) {
                        worst = APP_DOCTOR_FAIL;
                        snprintf(msg, sizeof msg, "queue %s is %s%s", cp->queue,
                                 drv_printer_state_name(st->state),
                                 st->accepting ? "" : " and not accepting jobs");
                } else if (st->state == DRV_PRINTER_UNKNOWN && worst == APP_DOCTOR_OK) {
                        worst = APP_DOCTOR_WARN;
                        snprintf(msg, sizeof msg, "queue %s: state unknown (%s)", cp->queue,
                                 st->message);
                }
        }
        if (worst == APP_DOCTOR_OK)
                return finish(c, worst, "%d configured printer(s) ready", d->cfg.n_printers);
        return finish(c, worst, "%s", msg);
}

static enum app_doctor_status check_papers(struct doc *d, json_t *c,
                                           const struct drv_printer_status *list, size_t n)
{
        char dir[600];
        snprintf(dir, sizeof dir, "%s/profiles", d->cfg.share_dir);
        char probe[700];
        snprintf(probe, sizeof probe, "%s/manifest.ini", dir);
        if (access(probe, R_OK) != 0)
                snprintf(dir, sizeof dir, "%s", app_default_profiles_dir());
        json_object_set_new(c, "profiles", json_string(dir));
        struct img_errbuf ie = {{0}};
        struct img_manifest *m = NULL;
        int r = img_manifest_load(dir, &m, &ie);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "paper manifest: %s", ie.msg);
        enum app_doctor_status worst = APP_DOCTOR_OK;
        char msg[640] = "";
        json_t *arr = json_array();
        int checked = 0;
        /* Configured printers: each loaded paper must resolve for that model
         * (the configured model, else what CUPS reports), profile present. */
        for (int i = 0; i < d->cfg.n_printers; i++) {
                const struct app_config_printer *cp = &d->cfg.printers[i];
                const char *model = cp->model[0] ? cp->model : NULL;
                for (size_t k = 0; !model && k < n; k++)
                        if (strcmp(list[k].name, cp->queue) == 0 && list[k].make_model[0])
                                model = list[k].make_model;
                char papers[sizeof cp->papers];
                snprintf(papers, sizeof papers, "%s", cp->papers);
                char *save = NULL;
                int guard = 0;
                for (char *t = strtok_r(papers, ";, ", &save); t && guard < 64;
                     t = strtok_r(NULL, ";, ", &save), guard++) {
                        struct img_paper p;
                        json_t *e = json_object();
                        json_object_set_new(e, "printer", json_string(cp->name));
                        json_object_set_new(e, "paper", json_string(t));
                        r = img_paper_lookup(m, model, t, &p, &ie);
                        checked++;
                        if (r < 0) {
                                worst = APP_DOCTOR_FAIL;
                                snprintf(msg, sizeof msg, "printer %s paper %s: %s", cp->name, t, ie.msg);
                                json_object_set_new(e, "ok", json_false());
                        } else {
                                json_object_set_new(e, "ok", json_true());
                                json_object_set_new(e, "profile_sha256", json_string(p.profile_sha256));
                        }
                        json_array_append_new(arr, e);
                }
        }
        if (d->cfg.n_printers == 0) {
                for (size_t i = 0; i < img_manifest_paper_count(m) && i < IMG_MANIFEST_MAX_PAPERS; i++) {
                        const char *name = img_manifest_paper_name(m, i);
                        struct img_paper p;
                        json_t *e = json_object();
                        json_object_set_new(e, "paper", json_string(name));
                        r = img_paper_lookup(m, NULL, name, &p, &ie);
                        checked++;
                        json_object_set_new(e, "ok", json_boolean(r == 0));
                        if (r < 0) {
                                worst = APP_DOCTOR_FAIL;
                                snprintf(msg, sizeof msg, "paper %s: %s", name, ie.msg);
                        }
                        json_array_append_new(arr, e);
                }
        }
        img_manifest_free(m);
        json_object_set_new(c, "papers", arr);
        if (worst != APP_DOCTOR_OK)
                return finish(c, worst, "%s", msg);
        return finish(c, APP_DOCTOR_OK, "%d paper profile(s) present and matching", checked);
}

static enum app_doctor_status check_network(struct doc *d, json_t *c)
{
        bool nm = drv_net_nm_running();
        json_object_set_new(c, "networkmanager", json_boolean(nm));
        if (!nm)
                return finish(c, d->cfg.central_url[0] ? APP_DOCTOR_WARN : APP_DOCTOR_OK,
                              "NetworkManager is not running (the kiosk uses the HTTP probe)");
        return finish(c, APP_DOCTOR_OK, "NetworkManager running");
}

static enum app_doctor_status check_central(struct doc *d, json_t *c)
{
        if (!d->cfg.central_url[0])
                return finish(c, APP_DOCTOR_OK, "offline kiosk: no [central] url");
        json_object_set_new(c, "url", json_string(d->cfg.central_url));
        uint8_t key[32];
        struct app_config_report rep;
        if (app_config_load_secret(&d->cfg, key, &rep) < 0)
                return finish(c, APP_DOCTOR_FAIL, "secret file: %s",
                              rep.n_issues ? rep.issues[0].message : "unreadable");
        struct sync_http_config hc = {
                .base_url = d->cfg.central_url,
                .kiosk_id = d->cfg.kiosk_id,
                .key = key,
                .ca_bundle = d->cfg.ca_bundle,
                .total_timeout_s = APP_DOCTOR_CENTRAL_TIMEOUT_S,
        };
        struct store_errbuf err = {{0}};
        struct sync_http *h = NULL;
        int r = sync_http_new(&hc, &h, &err);
        sodium_memzero(key, sizeof key);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "HTTP client: %s", err.msg);
        char target[200];
        snprintf(target, sizeof target, "/v1/kiosks/%s/pickups", d->cfg.kiosk_id);
        struct sync_http_req req = {.method = "GET", .target = target};
        struct sync_http_resp resp;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = sync_http_request(h, &req, &resp, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        json_object_set_new(c, "http_status", json_integer(resp.status));
        json_object_set_new(c, "round_trip_ms", json_integer(ms));
        if (resp.date > 0) {
                d->have_skew = true;
                d->clock_skew_s = resp.date - (int64_t)time(NULL);
        }
        long status = resp.status;
        char code[64];
        snprintf(code, sizeof code, "%s", resp.error_code);
        sync_http_resp_done(&resp);
        sync_http_free(h);
        if (r < 0 && status == 0)
                return finish(c, APP_DOCTOR_FAIL, "unreachable: %s", err.msg);
        if (status == 401 || status == 403)
                return finish(c, APP_DOCTOR_FAIL, "reachable, but refuses this kiosk (%ld %s)", status,
                              code);
        if (status >= 200 && status < 300)
                return finish(c, APP_DOCTOR_OK, "reachable, kiosk accepted (%ld ms)", ms);
        return finish(c, APP_DOCTOR_WARN, "reachable, answered %ld %s", status, code);
}

static enum app_doctor_status check_outbox(struct doc *d, json_t *c)
{
        if (!d->store)
                return finish(c, APP_DOCTOR_FAIL, "store not open");
        struct store_outbox_stats st;
        struct store_errbuf err = {{0}};
        int r = store_outbox_stats(d->store, &st, &err);
        if (r < 0)
                return finish(c, APP_DOCTOR_FAIL, "outbox: %s", err.msg);
        int64_t now = store_now_ms(d->store);
        int64_t age = st.oldest_pending_at ? now - st.oldest_pending_at : 0;
        json_object_set_new(c, "pending", json_integer(st.pending));
        json_object_set_new(c, "sent", json_integer(st.sent));
        json_object_set_new(c, "dead_letters", json_integer(st.dead));
        json_object_set_new(c, "oldest_pending_age_s", json_integer(age / 1000));
        json_object_set_new(c, "max_attempts", json_integer(st.max_attempts));
        if (st.dead > 0)
                return finish(c, APP_DOCTOR_WARN, "%lld dead letter(s): see sync status",
                              (long long)st.dead);
        if (st.pending > 0 && age > APP_DOCTOR_OUTBOX_STALE_MS && d->cfg.central_url[0])
                return finish(c, APP_DOCTOR_WARN, "%lld event(s) waiting, oldest %lld min",
                              (long long)st.pending, (long long)(age / 60000));
        return finish(c, APP_DOCTOR_OK, "%lld pending, %lld sent", (long long)st.pending,
                      (long long)st.sent);
}

enum app_doctor_status app_doctor_run(const struct app_doctor_opts *o, json_t **ret_checks)
{
        struct doc d = {.o = o};
        app_config_defaults(&d.cfg);
        json_t *arr = json_array();
        enum app_doctor_status worst = APP_DOCTOR_OK;
        json_t *c;
#define RUN(name, call)                                   \
        do {                                              \
                c = new_check(name);                      \
                enum app_doctor_status s_ = (call);       \
                if (s_ > worst)                           \
                        worst = s_;                       \
                json_array_append_new(arr, c);            \
        } while (0)
        RUN("versions", check_versions(&d, c));
        RUN("config", check_config(&d, c));
        d.data_dir = o->data_dir ? o->data_dir : d.cfg.data_dir;
        RUN("store", check_store(&d, c));
        RUN("disk", check_disk(&d, c));
        struct drv_printer_status *list = calloc(DRV_PRINTER_QUEUES_MAX, sizeof(*list));
        size_t n = 0;
        if (list)
                RUN("printers", check_printers(&d, c, list, &n));
        RUN("papers", check_papers(&d, c, list, n));
        free(list);
        RUN("network", check_network(&d, c));
        RUN("central", check_central(&d, c));
        /* After central: the clock check uses headquarters' Date. */
        RUN("clock", check_clock(&d, c));
        RUN("outbox", check_outbox(&d, c));
#undef RUN
        store_close(d.store);
        *ret_checks = arr;
        return worst;
}
