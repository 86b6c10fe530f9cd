/* printkioskctl order create|show, orders: the order flow from the CLI
 * (app/orders.h). Also the helpers the other order verbs share (order_cli.h).
 *
 *   order create --sku SKU --paper PAPER [--qty N] FILE...
 *       -> {"order_id","code","state"}: a locked order as if a customer had
 *          confirmed it (N prints of each file), masters rendered, state queued.
 *          A rejected photo: exit 1, {"ok":false,"file","reason"}, nothing made.
 *   order show CODE  -> the order with "state", "items", "jobs", "reason".
 *   orders [--state S] [--limit N] -> one line per order, newest first.
 *
 * --remote is not offered: the store creates phone-app orders only from
 * headquarters' pickup pages (store_order_insert_remote, with HQ's asset ids),
 * so a local "remote" order would be a fake one. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/order_state.h"
#include "sync/outbox.h"

struct app_orders *octl_open(const struct ctl_ctx *ctx, const char *verb)
{
        struct app_orders *o = NULL;
        struct app_order_errbuf err = {{0}};
        int rc = app_orders_open(ctx->data_dir, ctx->config_path, &o, &err);
        if (rc < 0) {
                ctl_msg("%s: %s", verb, err.msg);
                return NULL;
        }
        return o;
}

int octl_exit(int rc)
{
        switch (rc) {
        case APP_ORDER_OK:
                return CTL_EXIT_OK;
        case APP_ORDER_E_REJECTED:
        case APP_ORDER_E_FAILED:
        case APP_ORDER_E_STATE:
        case APP_ORDER_E_NOT_FOUND:
        case APP_ORDER_E_TIMEOUT:
                return CTL_EXIT_REJECTED;
        default:
                return CTL_EXIT_USAGE;
        }
}

bool octl_staff_actor(const char *id, char out[48])
{
        if (!id || !id[0] || strlen(id) > 32)
                return false;
        snprintf(out, 48, "staff:%s", id);
        return store_actor_valid(out);
}

static json_t *job_json(const struct store_job *j, int item_index)
{
        json_t *o = json_object();
        json_object_set_new(o, "job_id", json_string(j->id));
        json_object_set_new(o, "item_id", json_string(j->item_id));
        json_object_set_new(o, "item", json_integer(item_index));
        json_object_set_new(o, "queue", json_string(j->queue));
        json_object_set_new(o, "cups_job_id", json_integer(j->cups_job_id));
        json_object_set_new(o, "state", json_string(store_job_state_name(j->state)));
        json_object_set_new(o, "copies", json_integer(j->copies));
        json_object_set_new(o, "attempt", json_integer(j->attempt));
        json_object_set_new(o, "reason", json_string(j->reason));
        if (j->reprint_reason[0]) {
                json_object_set_new(o, "reprint_reason", json_string(j->reprint_reason));
                json_object_set_new(o, "staff", json_string(j->staff_id));
        }
        return o;
}

json_t *octl_order_json(struct app_orders *o, const struct store_order *ord)
{
        struct store *s = app_orders_store(o);
        json_t *j = json_object();
        json_object_set_new(j, "order_id", json_string(ord->id));
        json_object_set_new(j, "code", json_string(ord->code));
        json_object_set_new(j, "state", json_string(store_order_state_name(ord->state)));
        json_object_set_new(j, "channel",
                            json_string(ord->channel == STORE_CHANNEL_APP ? "app" : "kiosk"));
        json_object_set_new(j, "currency", json_string(ord->currency));
        json_object_set_new(j, "total_minor", json_integer(ord->total_minor));
        json_object_set_new(j, "price_list", json_string(ord->price_list));
        json_object_set_new(j, "created_at", json_integer(ord->created_at));
        json_object_set_new(j, "updated_at", json_integer(ord->updated_at));
        json_t *items = json_array();
        for (size_t i = 0; i < ord->n_items; i++) {
                const struct store_item *it = &ord->items[i];
                json_t *x = json_object();
                json_object_set_new(x, "item", json_integer((json_int_t)i + 1));
                json_object_set_new(x, "item_id", json_string(it->id));
                json_object_set_new(x, "sku", json_string(it->sku));
                json_object_set_new(x, "paper", json_string(it->paper));
                json_object_set_new(x, "quantity", json_integer(it->quantity));
                json_object_set_new(x, "unit_price_minor", json_integer(it->unit_price_minor));
                json_object_set_new(x, "asset_sha256", json_string(it->asset_sha256));
                json_object_set_new(x, "master_sha256", json_string(it->master_sha256));
                json_object_set_new(x, "rendered", json_boolean(it->transform_json != NULL));
                json_array_append_new(items, x);
        }
        json_object_set_new(j, "items", items);
        json_t *jobs = json_array();
        struct store_job *list = NULL;
        size_t n = 0;
        if (store_job_list(s, ord->id, false, &list, &n, NULL) == 0) {
                for (size_t k = 0; k < n; k++) {
                        int idx = 0;
                        for (size_t i = 0; i < ord->n_items; i++)
                                if (strcmp(ord->items[i].id, list[k].item_id) == 0)
                                        idx = (int)i + 1;
                        json_array_append_new(jobs, job_json(&list[k], idx));
                }
                free(list);
        }
        json_object_set_new(j, "jobs", jobs);
        /* Why it needs staff: the reason of the last transition into failed. */
        struct store_audit *audit = NULL;
        size_t na = 0;
        const char *reason = "";
        if (store_audit_list(s, ord->id, &audit, &na, NULL) == 0) {
                for (size_t k = 0; k < na; k++)
                        if (strcmp(audit[k].to, "failed") == 0 ||
                            strcmp(audit[k].to, "cancelled") == 0)
                                reason = audit[k].reason;
                json_object_set_new(j, "reason", json_string(
                                        ord->state == ORDER_FAILED || ord->state == ORDER_CANCELLED
                                                ? reason : ""));
                json_object_set_new(j, "audit_rows", json_integer((json_int_t)na));
                free(audit);
        }
        struct store_outbox_row *rows = NULL;
        size_t nr = 0;
        if (store_outbox_list(s, ord->id, &rows, &nr, NULL) == 0) {
                json_t *ev = json_array();
                for (size_t k = 0; k < nr; k++) {
                        json_t *e = json_object();
                        json_object_set_new(e, "kind", json_string(store_outbox_kind_name(rows[k].kind)));
                        json_object_set_new(e, "state", json_string(store_outbox_state_name(rows[k].state)));
                        /* The event type, without the rest of the body. */
                        json_t *body = rows[k].payload ? json_loads(rows[k].payload, 0, NULL) : NULL;
                        json_t *type = body ? json_object_get(body, "type") : NULL;
                        if (json_is_string(type))
                                json_object_set_new(e, "type", json_string(json_string_value(type)));
                        json_decref(body);
                        json_array_append_new(ev, e);
                }
                json_object_set_new(j, "outbox", ev);
                store_outbox_rows_free(rows, nr);
        }
        return j;
}

json_t *octl_summary_json(const struct app_print_summary *s)
{
        json_t *j = json_object();
        json_object_set_new(j, "order_id", json_string(s->order_id));
        json_object_set_new(j, "code", json_string(s->code));
        json_object_set_new(j, "state", json_string(store_order_state_name(s->state)));
        json_object_set_new(j, "items", json_integer(s->items));
        json_object_set_new(j, "submitted", json_integer(s->submitted));
        json_object_set_new(j, "adopted", json_integer(s->adopted));
        json_object_set_new(j, "resubmitted_incoming", json_integer(s->resubmitted_incoming));
        json_object_set_new(j, "open", json_integer(s->open));
        json_object_set_new(j, "completed", json_integer(s->completed));
        json_object_set_new(j, "failed", json_integer(s->failed));
        json_object_set_new(j, "waiting", json_integer(s->waiting));
        json_object_set_new(j, "reason", json_string(s->reason));
        return j;
}

static int order_create(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"sku", required_argument, NULL, 's'},
                {"paper", required_argument, NULL, 'p'},
                {"qty", required_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *sku = NULL, *paper = NULL;
        long qty = 1;
        int c;
        while ((c = getopt_long(argc, argv, "s:p:q:h", opts, NULL)) != -1) {
                switch (c) {
                case 's': sku = optarg; break;
                case 'p': paper = optarg; break;
                case 'q': {
                        char *end = NULL;
                        qty = strtol(optarg, &end, 10);
                        if (!end || *end || end == optarg || qty < 1 || qty > APP_ORDER_MAX_QTY) {
                                ctl_msg("order create: --qty must be 1..%d", APP_ORDER_MAX_QTY);
                                return CTL_EXIT_USAGE;
                        }
                        break;
                }
                default: return ctl_usage("order");
                }
        }
        if (!sku || !paper || optind >= argc)
                return ctl_usage("order");
        size_t n = (size_t)(argc - optind);
        if (n > APP_ORDER_MAX_FILES) {
                ctl_msg("order create: at most %d files", APP_ORDER_MAX_FILES);
                return CTL_EXIT_USAGE;
        }
        struct app_orders *o = octl_open(ctx, "order create");
        if (!o)
                return CTL_EXIT_USAGE;
        struct app_order_request req = {
                .sku = sku, .paper = paper, .quantity = (int)qty,
                .files = (const char *const *)(argv + optind), .n_files = n,
        };
        struct app_order_created out;
        struct app_order_errbuf err = {{0}};
        size_t bad = 0;
        const char *reason = NULL;
        int rc = app_order_create(o, &req, &out, &bad, &reason, &err);
        if (rc == APP_ORDER_E_REJECTED) {
                json_t *j = json_object();
                json_object_set_new(j, "ok", json_false());
                json_object_set_new(j, "path", json_string(argv[optind + bad]));
                json_object_set_new(j, "reason", json_string(reason ? reason : "unreadable"));
                ctl_emit(j);
                ctl_msg("order create: file %zu rejected (%s): nothing created", bad + 1,
                        reason ? reason : "?");
        } else if (rc < 0) {
                ctl_msg("order create: %s (%s)", err.msg, app_order_strerror(rc));
        } else {
                json_t *j = json_object();
                json_object_set_new(j, "order_id", json_string(out.order_id));
                json_object_set_new(j, "code", json_string(out.code));
                json_object_set_new(j, "state", json_string(store_order_state_name(out.state)));
                ctl_emit(j);
        }
        app_orders_free(o);
        return octl_exit(rc);
}

static int order_show(const struct ctl_ctx *ctx, int argc, char **argv)
{
        if (argc != 2 || argv[1][0] == '-')
                return ctl_usage("order");
        struct app_orders *o = octl_open(ctx, "order show");
        if (!o)
                return CTL_EXIT_USAGE;
        struct store_order *ord = NULL;
        struct app_order_errbuf err = {{0}};
        int rc = app_order_find(o, argv[1], &ord, &err);
        if (rc < 0)
                ctl_msg("order show: %s", err.msg);
        else
                ctl_emit(octl_order_json(o, ord));
        store_order_free(ord);
        app_orders_free(o);
        return octl_exit(rc);
}

static int run_order(const struct ctl_ctx *ctx, int argc, char **argv)
{
        if (argc < 2)
                return ctl_usage("order");
        if (strcmp(argv[1], "create") == 0)
                return order_create(ctx, argc - 1, argv + 1);
        if (strcmp(argv[1], "show") == 0)
                return order_show(ctx, argc - 1, argv + 1);
        return ctl_usage("order");
}
CTL_VERB(order, "order",
         "order create --sku SKU --paper PAPER [--qty N] FILE... | order show CODE", run_order);

static int run_orders(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"state", required_argument, NULL, 's'},
                {"limit", required_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        struct store_order_filter f = {.states = 0, .since_ms = 0, .limit = 1000};
        int c;
        while ((c = getopt_long(argc, argv, "s:l:h", opts, NULL)) != -1) {
                if (c == 's') {
                        enum order_state st;
                        if (store_order_state_parse(optarg, &st) < 0) {
                                ctl_msg("orders: unknown state '%s'", optarg);
                                return CTL_EXIT_USAGE;
                        }
                        f.states |= 1u << st;
                } else if (c == 'l') {
                        char *end = NULL;
                        long v = strtol(optarg, &end, 10);
                        if (!end || *end || v < 1 || v > 10000)
                                return ctl_usage("orders");
                        f.limit = (int)v;
                } else {
                        return ctl_usage("orders");
                }
        }
        if (optind != argc)
                return ctl_usage("orders");
        struct app_orders *o = octl_open(ctx, "orders");
        if (!o)
                return CTL_EXIT_USAGE;
        struct store_order_summary *list = NULL;
        size_t n = 0;
        struct store_errbuf se = {{0}};
        int rc = store_order_list(app_orders_store(o), &f, &list, &n, &se);
        if (rc < 0)
                ctl_msg("orders: %s", se.msg);
        for (size_t i = 0; rc == 0 && i < n; i++) {
                json_t *j = json_object();
                json_object_set_new(j, "order_id", json_string(list[i].id));
                json_object_set_new(j, "code", json_string(list[i].code));
                json_object_set_new(j, "state", json_string(store_order_state_name(list[i].state)));
                json_object_set_new(j, "channel", json_string(list[i].channel == STORE_CHANNEL_APP
                                                                      ? "app" : "kiosk"));
                json_object_set_new(j, "items", json_integer(list[i].n_items));
                json_object_set_new(j, "currency", json_string(list[i].currency));
                json_object_set_new(j, "total_minor", json_integer(list[i].total_minor));
                json_object_set_new(j, "created_at", json_integer(list[i].created_at));
                json_object_set_new(j, "updated_at", json_integer(list[i].updated_at));
                ctl_emit(j);
        }
        free(list);
        app_orders_free(o);
        return rc < 0 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
}
CTL_VERB(orders, "orders", "orders [--state STATE]... [--limit N]", run_orders);
