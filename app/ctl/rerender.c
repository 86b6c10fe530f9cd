/* printkioskctl rerender RECORD.json --out MASTER: render a master again from
 * its transform record, byte for byte. The input file, the profiles and the
 * library versions are checked against the record first; any difference is
 * refused with a clear message (exit 1), never rendered "close enough".
 * Prints the record with the new "output" (its sha256 equals the old one).
 * Rendered in the sandboxed helper (app/render_sandbox.c) unless
 * --in-process (debugging; same bytes). */
#include "app/ctl/ctl.h"
#include "app/render_sandbox.h"
#include "app/transform_record.h"
#include "image/render.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_rerender(const struct ctl_ctx *ctx, int argc, char **argv)
{
        const char *rec_path = NULL, *out = NULL;
        bool in_process = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
                        out = argv[++i];
                else if (strcmp(argv[i], "--in-process") == 0)
                        in_process = true;
                else if (argv[i][0] == '-' && argv[i][1])
                        return ctl_msg("unknown option '%s'", argv[i]), ctl_usage("rerender");
                else if (!rec_path)
                        rec_path = argv[i];
                else
                        return ctl_usage("rerender");
        }
        if (!rec_path || !out)
                return ctl_usage("rerender");
        gchar *text = NULL;
        gsize len = 0;
        if (!g_file_get_contents(rec_path, &text, &len, NULL))
                return ctl_msg("cannot read %s", rec_path), CTL_EXIT_USAGE;
        if (img_init(ctx->prog, NULL) < 0) {
                g_free(text);
                return ctl_msg("cannot start libvips"), CTL_EXIT_USAGE;
        }
        struct img_errbuf eb = {.msg = ""};
        struct img_render_spec *spec = calloc(1, sizeof(*spec));
        struct img_render_result res;
        int status = CTL_EXIT_OK;
        int rc = spec ? app_record_parse(text, len, spec, &eb) : IMG_E_INTERNAL;
        if (!rc)
                rc = in_process ? img_render_master(spec, out, IMG_RENDER_VERIFY, &res, &eb)
                                : app_render_master_sandboxed(spec, out, IMG_RENDER_VERIFY, &res, &eb);
        if (rc) {
                ctl_msg("rerender %s: %s", rec_path, eb.msg);
                json_t *o = json_object();
                json_t *p = json_string(rec_path);
                json_object_set_new(o, "record", p ? p : json_null());
                json_object_set_new(o, "ok", json_false());
                json_object_set_new(o, "reason", json_string(img_strerror(rc)));
                json_t *m = json_string(eb.msg);
                json_object_set_new(o, "message", m ? m : json_null());
                ctl_emit(o);
                status = CTL_EXIT_REJECTED;
        } else {
                json_t *rec = app_record_from_spec(spec, &res);
                json_t *o = rec ? json_object_get(rec, "output") : NULL;
                if (o)
                        json_object_set_new(o, "path", json_string(out));
                ctl_emit(rec);
        }
        free(spec);
        g_free(text);
        img_shutdown();
        return status;
}
CTL_VERB(rerender, "rerender", "rerender RECORD.json --out MASTER [--in-process]", run_rerender);
