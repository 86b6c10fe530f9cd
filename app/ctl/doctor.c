/* printkioskctl doctor [--server HOST:PORT] [--no-printers]: the technician's
 * health check (app/doctor.h). One JSON line per check, then a summary
 * {"summary":true,"status","ok","failed","warnings"}. Exit 0 = no check failed
 * (warnings allowed), 1 = at least one check failed, 2 = usage. */
#include "app/ctl/ctl.h"
#include "app/doctor.h"

#include <getopt.h>
#include <string.h>

static int run_doctor(const struct ctl_ctx *ctx, int argc, char **argv)
{
        static const struct option opts[] = {
                {"server", required_argument, NULL, 's'},
                {"no-printers", no_argument, NULL, 'n'},
                {0, 0, 0, 0},
        };
        struct app_doctor_opts o = {.config_path = ctx->config_path, .data_dir = ctx->data_dir};
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's')
                        o.cups_server = optarg;
                else if (c == 'n')
                        o.skip_printers = true;
                else
                        return ctl_usage("doctor");
        }
        if (optind != argc)
                return ctl_usage("doctor");
        json_t *checks = NULL;
        enum app_doctor_status worst = app_doctor_run(&o, &checks);
        size_t i;
        json_t *chk;
        int failed = 0, warnings = 0;
        json_array_foreach(checks, i, chk) {
                const char *st = json_string_value(json_object_get(chk, "status"));
                failed += st && strcmp(st, "fail") == 0;
                warnings += st && strcmp(st, "warn") == 0;
                if (st && strcmp(st, "ok") != 0)
                        ctl_msg("doctor: %s: %s: %s",
                                json_string_value(json_object_get(chk, "check")), st,
                                json_string_value(json_object_get(chk, "message")));
                ctl_emit(json_incref(chk));
        }
        json_decref(checks);
        json_t *s = json_object();
        json_object_set_new(s, "summary", json_true());
        json_object_set_new(s, "status", json_string(app_doctor_status_name(worst)));
        json_object_set_new(s, "ok", json_boolean(worst != APP_DOCTOR_FAIL));
        json_object_set_new(s, "failed", json_integer(failed));
        json_object_set_new(s, "warnings", json_integer(warnings));
        ctl_emit(s);
        return worst == APP_DOCTOR_FAIL ? CTL_EXIT_REJECTED : CTL_EXIT_OK;
}
CTL_VERB(doctor, "doctor", "doctor [--server HOST:PORT|SOCKET] [--no-printers]", run_doctor);
