/* printkioskctl printers: one JSON object per CUPS queue, for technicians and
 * scripts: state, reasons with the mapped customer/staff messages, media
 * supported and loaded, markers. The CUPS server comes from CUPS_SERVER (or
 * --server), as libcups reads it. Exit 0 = listed, 2 = cupsd unreachable or
 * usage error. */
#include "app/ctl/ctl.h"
#include "drivers/printer.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static json_t *string_array(const char (*list)[DRV_PRINTER_MEDIA_NAME_MAX], size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(list[i]));
        return a;
}

static json_t *printer_json(const struct drv_printer_status *st)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(st->name));
        json_object_set_new(o, "make_model", json_string(st->make_model));
        json_object_set_new(o, "state", json_string(drv_printer_state_name(st->state)));
        json_t *reasons = json_array();
        const char *list[DRV_PRINTER_REASONS_MAX];
        for (size_t i = 0; i < st->n_reasons && i < DRV_PRINTER_REASONS_MAX; i++) {
                list[i] = st->reasons[i];
                json_array_append_new(reasons, json_string(st->reasons[i]));
        }
        json_object_set_new(o, "reasons", reasons);
        json_object_set_new(o, "message", json_string(st->message));
        struct drv_reason_info worst;
        if (drv_reasons_worst(list, st->n_reasons, st->n_media_ready ? st->media_ready[0] : NULL,
                              &worst) == 0) {
                /* A stopped queue with no reason of its own still needs staff. */
                if (st->state == DRV_PRINTER_STOPPED && worst.severity < DRV_SEVERITY_ERROR)
                        drv_reason_map("paused", NULL, &worst);
                json_object_set_new(o, "severity", json_integer(worst.severity));
                json_object_set_new(o, "customer_message", json_string(worst.customer_key));
                json_object_set_new(o, "staff_message", json_string(worst.staff));
        }
        json_object_set_new(o, "media_supported",
                            string_array(st->media_supported, st->n_media_supported));
        json_object_set_new(o, "media_ready", string_array(st->media_ready, st->n_media_ready));
        json_object_set_new(o, "media_ready_from_printer", json_boolean(st->media_from_device));
        json_t *markers = json_array();
        for (size_t i = 0; i < st->n_markers; i++) {
                json_t *m = json_object();
                json_object_set_new(m, "name", json_string(st->markers[i].name));
                json_object_set_new(m, "level", json_integer(st->markers[i].level));
                json_object_set_new(m, "type", json_string(st->markers[i].type));
                json_array_append_new(markers, m);
        }
        json_object_set_new(o, "markers", markers);
        json_object_set_new(o, "accepting", json_boolean(st->accepting));
        if (st->truncated)
                json_object_set_new(o, "truncated", json_true());
        return o;
}

static int run_printers(const struct ctl_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        static const struct option opts[] = {
                {"server", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {0, 0, 0, 0},
        };
        const char *server = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
                if (c == 's')
                        server = optarg;
                else
                        return ctl_usage("printers");
        }
        if (optind != argc)
                return ctl_usage("printers");

        struct drv_errbuf err = {{0}};
        struct drv_printer *p = NULL;
        if (drv_printer_cups_new(server, &p, &err) < 0) {
                ctl_msg("printers: %s", err.msg);
                return CTL_EXIT_USAGE;
        }
        struct drv_printer_status *list = calloc(DRV_PRINTER_QUEUES_MAX, sizeof(*list));
        if (!list) {
                drv_printer_free(p);
                ctl_msg("printers: out of memory");
                return CTL_EXIT_USAGE;
        }
        size_t n = 0;
        int r = drv_printer_list(p, list, DRV_PRINTER_QUEUES_MAX, &n, &err);
        if (r < 0)
                ctl_msg("printers: %s (%s)", err.msg, drv_strerror(r));
        for (size_t i = 0; r == 0 && i < n; i++)
                ctl_emit(printer_json(&list[i]));
        free(list);
        drv_printer_free(p);
        return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
}
CTL_VERB(printers, "printers", "printers [--server HOST:PORT|SOCKET]", run_printers);
