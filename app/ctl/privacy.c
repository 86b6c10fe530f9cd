/* printkioskctl privacy report|purge: what customer data the kiosk holds and
 * since when, and the retention purge that printkiosk-retention.timer runs.
 *
 *   privacy report [--days N]           one JSON object (counts, bytes, oldest)
 *   privacy purge [--days N] [--dry-run] one JSON object (what was removed)
 *
 * N defaults to [kiosk] retention_days of --config (30 without a config).
 * Exit 0 = done, 2 = usage, store or file-system error. */
#include "app/config.h"
#include "app/ctl/ctl.h"
#include "app/retention.h"
#include "sync/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *time_or_null(int64_t ms)
{
        if (ms <= 0)
                return json_null();
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        char buf[32];
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(buf);
}

static int parse_days(const char *s, int *ret)
{
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (!*s || *end || v < 0 || v > APP_RETENTION_MAX_DAYS)
                return -1;
        *ret = (int)v;
        return 0;
}

static int run_privacy(const struct ctl_ctx *ctx, int argc, char **argv)
{
        if (argc < 2)
                return ctl_usage("privacy");
        const char *sub = argv[1];
        bool purge = strcmp(sub, "purge") == 0;
        if (!purge && strcmp(sub, "report") != 0)
                return ctl_usage("privacy");
        static const struct option opts[] = {
                {"days", required_argument, NULL, 'd'},
                {"dry-run", no_argument, NULL, 'n'},
                {0, 0, 0, 0},
        };
        int days = -1;
        bool dry_run = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                if (c == 'd' && parse_days(optarg, &days) == 0)
                        continue;
                if (c == 'n' && purge) {
                        dry_run = true;
                        continue;
                }
                return ctl_usage("privacy");
        }
        if (optind != argc - 1)
                return ctl_usage("privacy");

        struct app_config cfg;
        app_config_defaults(&cfg);
        if (ctx->config_path) {
                struct app_config_report rep;
                if (app_config_load(ctx->config_path, &cfg, &rep) < 0)
                        ctl_msg("privacy: %s has problems (see config check); using what is valid",
                                ctx->config_path);
        }
        if (days < 0)
                days = cfg.retention_days;

        struct store_errbuf err = {{0}};
        struct store *s = NULL;
        int r = store_open(ctx->data_dir, &s, &err);
        if (r < 0) {
                ctl_msg("privacy: opening the store: %s (%s)", err.msg, store_strerror(r));
                return CTL_EXIT_USAGE;
        }
        int64_t now = store_now_ms(s);
        json_t *o = json_object();
        if (purge) {
                struct app_retention_result res;
                r = app_retention_purge(s, ctx->data_dir, days, now, dry_run, &res, &err);
                if (r == 0) {
                        json_object_set_new(o, "purge", json_true());
                        json_object_set_new(o, "dry_run", json_boolean(dry_run));
                        json_object_set_new(o, "days", json_integer(days));
                        json_object_set_new(o, "cutoff", time_or_null(res.cutoff_ms));
                        json_object_set_new(o, "orders_examined", json_integer(res.orders_examined));
                        json_object_set_new(o, "orders_purged", json_integer(res.orders_purged));
                        json_object_set_new(o, "photos_purged", json_integer(res.photos_purged));
                        json_object_set_new(o, "masters_purged", json_integer(res.masters_purged));
                        json_object_set_new(o, "files_missing", json_integer(res.files_missing));
                        json_object_set_new(o, "bytes_freed", json_integer(res.bytes_freed));
                        json_object_set_new(o, "kept_shared", json_integer(res.kept_shared));
                }
        } else {
                struct app_retention_holdings h;
                r = app_retention_report(s, ctx->data_dir, days, now, &h, &err);
                if (r == 0) {
                        json_object_set_new(o, "report", json_true());
                        json_object_set_new(o, "days", json_integer(days));
                        json_object_set_new(o, "photos_held", json_integer(h.photos_held));
                        json_object_set_new(o, "masters_held", json_integer(h.masters_held));
                        json_object_set_new(o, "bytes_held", json_integer(h.bytes_held));
                        json_object_set_new(o, "held_since", time_or_null(h.oldest_held_at));
                        json_object_set_new(o, "photos_wiped", json_integer(h.photos_wiped));
                        json_object_set_new(o, "masters_wiped", json_integer(h.masters_wiped));
                        json_object_set_new(o, "orders_total", json_integer(h.orders_total));
                        json_object_set_new(o, "orders_finished", json_integer(h.orders_finished));
                        json_object_set_new(o, "orders_since", time_or_null(h.oldest_order_at));
                        json_object_set_new(o, "due_for_purge", json_integer(h.due_for_purge));
                        json_object_set_new(o, "spool_files", json_integer(h.spool_files));
                        json_object_set_new(o, "spool_bytes", json_integer(h.spool_bytes));
                        json_object_set_new(o, "spool_unreferenced",
                                            json_integer(h.spool_unreferenced));
                        json_object_set_new(o, "spool_since", time_or_null(h.oldest_spool_mtime));
                }
        }
        store_close(s);
        if (r < 0) {
                json_decref(o);
                ctl_msg("privacy %s: %s (%s)", sub, err.msg, store_strerror(r));
                return CTL_EXIT_USAGE;
        }
        ctl_emit(o);
        return CTL_EXIT_OK;
}
CTL_VERB(privacy, "privacy", "privacy report|purge [--days N] [--dry-run]", run_privacy);
