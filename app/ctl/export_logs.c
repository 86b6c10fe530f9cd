/* printkioskctl export-logs DIR [--server HOST:PORT] [--no-printers]: write the
 * support bundle (app/export_logs.h) into DIR (new or empty). One JSON line:
 * {"dir","files","bytes","journal_ok","doctor"}. Exit 0 = written, 2 = usage
 * or the bundle could not be written. */
#include "app/ctl/ctl.h"
#include "app/doctor.h"
#include "app/export_logs.h"

#include <getopt.h>

static int run_export_logs(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"server", required_argument, NULL, 's'},
                {"no-printers", no_argument, NULL, 'n'},
                {"journalctl", required_argument, NULL, 'j'},
                {0, 0, 0, 0},
        };
        struct app_export_opts o = {.config_path = ctx->config_path, .data_dir = ctx->data_dir};
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's')
                        o.cups_server = optarg;
                else if (c == 'n')
                        o.skip_printers = true;
                else if (c == 'j')
                        o.journalctl = optarg;
                else
                        return ctl_usage("export-logs");
        }
        if (optind != argc - 1)
                return ctl_usage("export-logs");
        const char *dir = argv[optind];
        struct app_export_result res;
        struct store_errbuf err = {{0}};
        int r = app_export_logs(&o, dir, &res, &err);
        if (r < 0) {
                ctl_msg("export-logs: %s (%s)", err.msg, store_strerror(r));
                return CTL_EXIT_USAGE;
        }
        if (!res.journal_ok)
                ctl_msg("export-logs: journalctl failed; the bundle has no journal entries");
        json_t *j = json_object();
        json_object_set_new(j, "dir", json_string(dir));
        json_object_set_new(j, "files", json_integer(res.files));
        json_object_set_new(j, "bytes", json_integer(res.bytes));
        json_object_set_new(j, "journal_ok", json_boolean(res.journal_ok));
        json_object_set_new(j, "doctor",
                            json_string(app_doctor_status_name((enum app_doctor_status)res.doctor_status)));
        ctl_emit(j);
        return CTL_EXIT_OK;
}
CTL_VERB(export_logs, "export-logs",
         "export-logs DIR [--server HOST:PORT|SOCKET] [--no-printers] [--journalctl PATH]",
         run_export_logs);
