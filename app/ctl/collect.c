/* printkioskctl collect CODE --staff ID: the customer took the order. Moves a
 * printed order to ready (on the shelf) and then collected, each transition
 * audited with actor staff:ID and announced to headquarters through the
 * outbox. Exit 0 = collected (also when it already was), 1 = the order is not
 * printed yet / unknown, 2 = usage or store error. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <string.h>

#include "sync/order_state.h"

static int run_collect(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"staff", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *staff = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
                if (c == 's')
                        staff = optarg;
                else
                        return ctl_usage("collect");
        }
        char actor[48];
        if (optind + 1 != argc || !octl_staff_actor(staff, actor))
                return ctl_usage("collect");
        struct app_orders *o = octl_open(ctx, "collect");
        if (!o)
                return CTL_EXIT_USAGE;
        struct app_order_errbuf err = {{0}};
        struct store_order *ord = NULL;
        struct store_errbuf se = {{0}};
        int rc = app_order_find(o, argv[optind], &ord, &err);
        if (rc == 0 && ord->state == ORDER_PRINTED) {
                int r = store_order_transition(app_orders_store(o), ord->id, ORDER_READY, actor,
                                               "handed over at the counter", &se);
                if (r < 0)
                        rc = app_order_fail(&err, r == STORE_E_ILLEGAL ? APP_ORDER_E_STATE
                                                                       : APP_ORDER_E_STORE,
                                            "%s", se.msg);
        }
        if (rc == 0) {
                int r = store_order_transition(app_orders_store(o), ord->id, ORDER_COLLECTED,
                                               actor, NULL, &se);
                if (r < 0)
                        rc = app_order_fail(&err, r == STORE_E_ILLEGAL ? APP_ORDER_E_STATE
                                                                       : APP_ORDER_E_STORE,
                                            "%s", se.msg);
        }
        if (rc == 0) {
                json_t *j = json_object();
                json_object_set_new(j, "order_id", json_string(ord->id));
                json_object_set_new(j, "code", json_string(ord->code));
                json_object_set_new(j, "state", json_string("collected"));
                json_object_set_new(j, "staff", json_string(actor));
                ctl_emit(j);
        } else {
                ctl_msg("collect: %s (%s)", err.msg, app_order_strerror(rc));
        }
        store_order_free(ord);
        app_orders_free(o);
        return octl_exit(rc);
}
CTL_VERB(collect, "collect", "collect CODE --staff ID", run_collect);
