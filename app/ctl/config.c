/* printkioskctl config check [FILE]: check printkiosk.conf, one JSON line per
 * problem {"line","key","message"} then a summary; exit 0 valid, 1 problems. */
#include "app/config.h"
#include "app/ctl/ctl.h"

#include <string.h>

static int run_config(const struct ctl_ctx *ctx, int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "check") != 0 || argc > 3)
                return ctl_usage("config");
        const char *path = argc == 3 ? argv[2]
                                     : ctx->config_path ? ctx->config_path
                                                        : "/etc/printkiosk/printkiosk.conf";
        struct app_config cfg;
        struct app_config_report rep;
        app_config_defaults(&cfg);
        int r = app_config_load(path, &cfg, &rep);
        int shown = rep.n_issues < 32 ? rep.n_issues : 32;
        for (int i = 0; i < shown; i++) {
                json_t *o = json_object();
                json_object_set_new(o, "line", json_integer(rep.issues[i].line));
                json_object_set_new(o, "key", json_string(rep.issues[i].key));
                json_object_set_new(o, "message", json_string(rep.issues[i].message));
                ctl_emit(o);
                fprintf(stderr, "%s:%d: %s: %s\n", path, rep.issues[i].line, rep.issues[i].key,
                        rep.issues[i].message);
        }
        json_t *s = json_object();
        json_object_set_new(s, "summary", json_true());
        json_object_set_new(s, "file", json_string(path));
        json_object_set_new(s, "ok", json_boolean(r == 0));
        json_object_set_new(s, "problems", json_integer(rep.n_issues));
        json_object_set_new(s, "kiosk_id", json_string(cfg.kiosk_id));
        json_object_set_new(s, "printers", json_integer(cfg.n_printers));
        ctl_emit(s);
        return r == 0 ? CTL_EXIT_OK : CTL_EXIT_REJECTED;
}
CTL_VERB(config, "config", "config check [FILE]", run_config);
