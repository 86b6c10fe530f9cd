/* printkioskctl cancel CODE [--staff ID] [--reason TEXT]: cancel an order (actor
 * staff:ID, or "technician" without --staff, in the audit row), then cancel its
 * open print jobs in CUPS (a job CUPS already finished keeps its state; a
 * cancelled job may still print to the end, DESIGN.md). Exit 0 = cancelled,
 * 1 = not cancellable (collected, unknown), 2 = usage, CUPS or store error. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <string.h>

static int run_cancel(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"staff", required_argument, NULL, 's'},
                {"reason", required_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *staff = NULL, *reason = "cancelled by staff";
        int c;
        while ((c = getopt_long(argc, argv, "s:r:h", opts, NULL)) != -1) {
                if (c == 's')
                        staff = optarg;
                else if (c == 'r')
                        reason = optarg;
                else
                        return ctl_usage("cancel");
        }
        char actor[48] = "technician";
        if (optind + 1 != argc || (staff && !octl_staff_actor(staff, actor)) ||
            strlen(reason) > 200)
                return ctl_usage("cancel");
        struct app_orders *o = octl_open(ctx, "cancel");
        if (!o)
                return CTL_EXIT_USAGE;
        struct app_order_errbuf err = {{0}};
        struct store_order *ord = NULL;
        struct app_print_ctx pc;
        struct app_print_summary sum = {.items = 0};
        int rc = app_order_find(o, argv[optind], &ord, &err);
        if (rc == 0)
                rc = app_orders_print_ctx(o, actor, &pc, &err);
        if (rc == 0)
                rc = app_print_cancel(&pc, ord->id, actor, reason, &sum, &err);
        if (sum.order_id[0])
                ctl_emit(octl_summary_json(&sum));
        if (rc < 0)
                ctl_msg("cancel: %s (%s)", err.msg, app_order_strerror(rc));
        store_order_free(ord);
        app_orders_free(o);
        return octl_exit(rc);
}
CTL_VERB(cancel, "cancel", "cancel CODE [--staff ID] [--reason TEXT]", run_cancel);
