/* printkioskctl reprint CODE ITEM --reason TEXT --staff ID [--printer QUEUE]
 * [--wait]: staff reprint of one item (ITEM = 1-based item number or item id)
 * of a printed, ready or collected order. The store writes the new pending job,
 * the audit row (actor staff:ID) and the "reprinted" outbox event in one
 * transaction; then the job goes to CUPS (the item's last queue unless
 * --printer). Exit 0 = submitted (printed with --wait), 1 = refused (state,
 * unknown item) or the reprint failed, 2 = usage / CUPS / store error. */
#include "app/ctl/order_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_reprint(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"reason", required_argument, NULL, 'r'},
                {"staff", required_argument, NULL, 's'},
                {"printer", required_argument, NULL, 'p'},
                {"wait", no_argument, NULL, 'w'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *reason = NULL, *staff = NULL, *queue = NULL;
        bool wait = false;
        int c;
        while ((c = getopt_long(argc, argv, "r:s:p:wh", opts, NULL)) != -1) {
                switch (c) {
                case 'r': reason = optarg; break;
                case 's': staff = optarg; break;
                case 'p': queue = optarg; break;
                case 'w': wait = true; break;
                default: return ctl_usage("reprint");
                }
        }
        char actor[48];
        if (optind + 2 != argc || !reason || !reason[0] || strlen(reason) > 200 ||
            !octl_staff_actor(staff, actor))
                return ctl_usage("reprint");
        struct app_orders *o = octl_open(ctx, "reprint");
        if (!o)
                return CTL_EXIT_USAGE;
        struct app_order_errbuf err = {{0}};
        struct store_order *ord = NULL;
        struct app_print_ctx pc;
        char job_id[STORE_ID_SIZE] = "", item_id[STORE_ID_SIZE] = "";
        int rc = app_order_find(o, argv[optind], &ord, &err);
        if (rc == 0) {
                const char *want = argv[optind + 1];
                char *end = NULL;
                long idx = strtol(want, &end, 10);
                if (end && *end == '\0' && idx >= 1 && (size_t)idx <= ord->n_items)
                        snprintf(item_id, sizeof item_id, "%s", ord->items[idx - 1].id);
                for (size_t i = 0; !item_id[0] && i < ord->n_items; i++)
                        if (strcmp(ord->items[i].id, want) == 0)
                                snprintf(item_id, sizeof item_id, "%s", want);
                if (!item_id[0])
                        rc = app_order_fail(&err, APP_ORDER_E_NOT_FOUND, "no item %s in order",
                                            want);
        }
        if (rc == 0)
                rc = app_orders_print_ctx(o, actor, &pc, &err);
        if (rc == 0)
                rc = app_print_reprint(&pc, ord->id, item_id, queue, reason, actor, job_id, &err);
        struct app_print_summary sum = {.items = 0};
        if (rc == 0 && wait) {
                rc = app_print_wait(&pc, ord->id, (int64_t)APP_PRINT_WAIT_DEFAULT_S * 1000, &sum,
                                    &err);
                struct store_job j;
                if (rc == 0 && store_job_get(app_orders_store(o), job_id, &j, NULL) == 0 &&
                    j.state != STORE_JOB_COMPLETED)
                        rc = app_order_fail(&err, APP_ORDER_E_FAILED, "reprint job %s: %s",
                                            store_job_state_name(j.state), j.reason);
        }
        if (job_id[0]) {
                json_t *j = json_object();
                json_object_set_new(j, "order_id", json_string(ord->id));
                json_object_set_new(j, "code", json_string(ord->code));
                json_object_set_new(j, "item_id", json_string(item_id));
                json_object_set_new(j, "job_id", json_string(job_id));
                struct store_job jr;
                if (store_job_get(app_orders_store(o), job_id, &jr, NULL) == 0) {
                        json_object_set_new(j, "job_state",
                                            json_string(store_job_state_name(jr.state)));
                        json_object_set_new(j, "attempt", json_integer(jr.attempt));
                        json_object_set_new(j, "cups_job_id", json_integer(jr.cups_job_id));
                }
                ctl_emit(j);
        }
        if (rc < 0)
                ctl_msg("reprint: %s (%s)", err.msg, app_order_strerror(rc));
        store_order_free(ord);
        app_orders_free(o);
        return octl_exit(rc);
}
CTL_VERB(reprint, "reprint",
         "reprint CODE ITEM --reason TEXT --staff ID [--printer QUEUE] [--wait]", run_reprint);
