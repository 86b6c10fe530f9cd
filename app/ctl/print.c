/* printkioskctl print CODE --printer QUEUE [--wait] [--timeout S]: submit the
 * order's print jobs through CUPS (CUPS_SERVER honoured by libcups) and, with
 * --wait, follow them to a final state. Exit 0 = submitted (with --wait: every
 * job printed), 1 = a job failed or waits on the printer (order failed, staff),
 * or the order is not printable, 2 = usage or CUPS/store failure.
 * Running it again, or after a crash, never prints a job twice (print_queue.h).
 * An order still locked/rendering (a crash during `order create`) has its
 * missing masters rendered first. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int run_print(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"printer", required_argument, NULL, 'p'},
                {"wait", no_argument, NULL, 'w'},
                {"timeout", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *queue = NULL;
        bool wait = false;
        long timeout_s = APP_PRINT_WAIT_DEFAULT_S;
        int c;
        while ((c = getopt_long(argc, argv, "p:wt:h", opts, NULL)) != -1) {
                switch (c) {
                case 'p': queue = optarg; break;
                case 'w': wait = true; break;
                case 't': {
                        char *end = NULL;
                        timeout_s = strtol(optarg, &end, 10);
                        if (!end || *end || timeout_s < 1 || timeout_s > 86400)
                                return ctl_usage("print");
                        break;
                }
                default: return ctl_usage("print");
                }
        }
        if (optind + 1 != argc)
                return ctl_usage("print");
        struct app_orders *o = octl_open(ctx, "print");
        if (!o)
                return CTL_EXIT_USAGE;
        if (!queue)
                queue = app_orders_default_queue(o);
        if (!queue) {
                app_orders_free(o);
                ctl_msg("print: --printer QUEUE is required (no printer configured)");
                return CTL_EXIT_USAGE;
        }
        struct app_order_errbuf err = {{0}};
        struct store_order *ord = NULL;
        struct app_print_ctx pc;
        struct app_print_summary sum = {.items = 0};
        char order_id[STORE_ID_SIZE] = "";
        int rc = app_order_find(o, argv[optind], &ord, &err);
        if (rc == 0) {
                snprintf(order_id, sizeof order_id, "%s", ord->id);
                ord = store_order_free(ord);
                rc = app_order_render(o, order_id, &err);
        }
        if (rc == 0)
                rc = app_orders_print_ctx(o, "technician", &pc, &err);
        if (rc == 0)
                rc = app_print_order(&pc, order_id, queue, &sum, &err);
        if (wait && (rc == 0 || rc == APP_ORDER_E_PRINTER) && order_id[0]) {
                /* Report what this run sent, plus the final state. */
                int sub = sum.submitted, ad = sum.adopted, inc = sum.resubmitted_incoming;
                rc = app_print_wait(&pc, order_id, (int64_t)timeout_s * 1000, &sum, &err);
                sum.submitted += sub, sum.adopted += ad, sum.resubmitted_incoming += inc;
        }
        else if (rc == 0 && sum.state == ORDER_FAILED)
                rc = app_order_fail(&err, APP_ORDER_E_FAILED, "%s", sum.reason);
        if (sum.order_id[0])
                ctl_emit(octl_summary_json(&sum));
        if (rc < 0)
                ctl_msg("print: %s (%s)", err.msg, app_order_strerror(rc));
        app_orders_free(o);
        return octl_exit(rc);
}
CTL_VERB(print, "print", "print CODE --printer QUEUE [--wait] [--timeout SECONDS]", run_print);
