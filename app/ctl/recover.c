/* printkioskctl recover [--printer QUEUE]: what the kiosk does at start.
 * Reconciles every non-final print job with CUPS (follow by CUPS id, adopt by
 * job-uuid, or submit once if CUPS never received it), finishes orders left in
 * printing, renders masters of orders a crash left locked/rendering, and
 * reports the outbox (rows are leased, so unfinished sends are simply due
 * again: nothing to repair). One JSON line per order, then a summary line.
 * Exit 0 = all reconciled, 1 = some order needs staff, 2 = CUPS/store error. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <stdlib.h>

#include "sync/outbox.h"

struct tally {
        int failed;
};

static void emit_summary(void *user, const struct app_print_summary *s)
{
        struct tally *t = user;
        if (s->state == ORDER_FAILED)
                t->failed++;
        ctl_emit(octl_summary_json(s));
}

static int run_recover(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"printer", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *queue = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
                if (c == 'p')
                        queue = optarg;
                else
                        return ctl_usage("recover");
        }
        if (optind != argc)
                return ctl_usage("recover");
        struct app_orders *o = octl_open(ctx, "recover");
        if (!o)
                return CTL_EXIT_USAGE;
        if (!queue)
                queue = app_orders_default_queue(o);
        struct app_order_errbuf err = {{0}};
        int rc = 0, rendered = 0;

        /* Orders a crash left before their masters were made. */
        struct store_order_summary *list = NULL;
        size_t n = 0;
        struct store_order_filter f = {
                .states = (1u << ORDER_LOCKED) | (1u << ORDER_RENDERING), .limit = 10000};
        if (store_order_list(app_orders_store(o), &f, &list, &n, NULL) == 0) {
                for (size_t i = 0; i < n; i++) {
                        struct app_order_errbuf e1 = {{0}};
                        int r = app_order_render(o, list[i].id, &e1);
                        if (r < 0) {
                                ctl_msg("recover: order %s: %s", list[i].code, e1.msg);
                                rc = r;
                        } else {
                                rendered++;
                        }
                }
                free(list);
        }

        struct app_print_ctx pc;
        struct tally t = {0};
        int orders = 0, unqueued = 0;
        int r = app_orders_print_ctx(o, "system", &pc, &err);
        if (r == 0)
                r = app_print_recover(&pc, queue, emit_summary, &t, &orders, &unqueued, &err);
        if (r < 0) {
                ctl_msg("recover: %s (%s)", err.msg, app_order_strerror(r));
                rc = r;
        }
        struct store_outbox_stats st = {0};
        store_outbox_stats(app_orders_store(o), &st, NULL);
        json_t *j = json_object();
        json_object_set_new(j, "summary", json_true());
        json_object_set_new(j, "orders", json_integer(orders));
        json_object_set_new(j, "rendered", json_integer(rendered));
        json_object_set_new(j, "needs_staff", json_integer(t.failed));
        json_object_set_new(j, "unqueued", json_integer(unqueued));
        json_t *ob = json_object();
        json_object_set_new(ob, "pending", json_integer(st.pending));
        json_object_set_new(ob, "sent", json_integer(st.sent));
        json_object_set_new(ob, "dead", json_integer(st.dead));
        json_object_set_new(j, "outbox", ob);
        ctl_emit(j);
        app_orders_free(o);
        if (rc < 0)
                return CTL_EXIT_USAGE;
        return t.failed ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
}
CTL_VERB(recover, "recover", "recover [--printer QUEUE]", run_recover);
