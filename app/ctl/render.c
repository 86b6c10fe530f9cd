/* printkioskctl render: print masters and their transform records.
 *
 *   render --sku SKU --paper PAPER [--printer MODEL] [--crop x,y,w,h]
 *          [--rotate R] [--format tiff|png] [--profile ICC] [--profiles DIR]
 *          [--catalogue FILE] [--in-process] FILE --out MASTER [FILE --out MASTER ...]
 *
 * Masters are rendered in the sandboxed helper printkiosk-render
 * (app/render_sandbox.c), as the kiosk renders them; --in-process renders in
 * this process instead (debugging, benchmarks: same bytes).
 * One JSON line per FILE: the transform record (app/transform_record.c) with
 * an "output" object (sha256, size, effective dpi, low-resolution warning), or
 * {"path","ok":false,"reason","message"}. Several FILE --out pairs render in
 * one process, which reuses the cached colour transform (batch mode). --profile
 * uses an ICC file directly with the paper's intent/BPC/sharpening (for
 * benchmarks and profile trials). Exit 0 all ok, 1 some rejected, 2 usage. */
#include "app/ctl/ctl.h"
#include "app/render_sandbox.h"
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_MAX_JOBS 1000 /* one order is at most a few hundred photos */

struct job {
        const char *in, *out;
};

static json_t *fail_record(const char *path, int rc, const char *msg)
{
        json_t *o = json_object();
        json_t *p = json_string(path);
        json_object_set_new(o, "path", p ? p : json_string("(not UTF-8)"));
        json_object_set_new(o, "ok", json_false());
        json_object_set_new(o, "reason", json_string(img_strerror(rc)));
        json_t *m = json_string(msg);
        json_object_set_new(o, "message", m ? m : json_string(img_strerror(rc)));
        return o;
}

static int render_one(const struct job *j, const struct img_product *prod,
                      const struct img_paper *paper, const char *printer, int rotate,
                      const struct img_rect *crop, enum img_out_format fmt,
                      const char *profiles_dir, bool in_process)
{
        struct img_errbuf eb = {.msg = ""};
        struct img_probe pr;
        struct img_crop cg;
        struct img_render_result res;
        struct img_render_spec *spec = calloc(1, sizeof(*spec));
        int rc = spec ? img_probe_file(j->in, 0, &pr, &eb) : IMG_E_INTERNAL;
        if (!rc)
                rc = img_render_spec_init_from(j->in, &pr, prod, paper, printer, rotate, crop, fmt,
                                               profiles_dir, spec, &cg, &eb);
        if (!rc)
                rc = in_process ? img_render_master(spec, j->out, 0, &res, &eb)
                                : app_render_master_sandboxed(spec, j->out, 0, &res, &eb);
        json_t *rec = NULL;
        if (!rc) {
                rec = app_record_from_spec(spec, &res);
                if (!rec) {
                        rc = IMG_E_INVALID;
                        snprintf(eb.msg, sizeof(eb.msg), "paths must be UTF-8 for the record");
                }
        }
        if (rc) {
                ctl_emit(fail_record(j->in, rc, eb.msg));
        } else {
                json_t *o = json_object_get(rec, "output");
                json_object_set_new(o, "path", json_string(j->out));
                json_object_set_new(o, "warning", json_string(img_res_warning_name(cg.warning)));
                json_object_set_new(o, "shrink_on_load", json_integer(res.shrink));
                ctl_emit(rec);
        }
        free(spec);
        return rc;
}

static int run_render(const struct ctl_ctx *ctx, int argc, char **argv)
{
        const char *sku = NULL, *paper_name = NULL, *printer = NULL, *crop_s = NULL;
        const char *profile = NULL, *profiles_dir = app_default_profiles_dir();
        const char *catalogue = app_default_catalogue();
        int rotate = 0;
        bool in_process = false;
        enum img_out_format fmt = IMG_OUT_TIFF;
        struct job *jobs = calloc(RENDER_MAX_JOBS, sizeof(*jobs));
        size_t njobs = 0;
        int status = CTL_EXIT_OK;
        struct img_catalogue *cat = NULL;
        struct img_manifest *man = NULL;
        struct img_rect crop;
        struct img_paper paper;
        struct img_errbuf eb = {.msg = ""};
        const struct img_product *prod = NULL;
        bool inited = false;
        if (!jobs)
                return CTL_EXIT_USAGE;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                bool takes = true;
                if (strcmp(a, "--sku") == 0 && v)
                        sku = v;
                else if (strcmp(a, "--paper") == 0 && v)
                        paper_name = v;
                else if (strcmp(a, "--printer") == 0 && v)
                        printer = v;
                else if (strcmp(a, "--crop") == 0 && v)
                        crop_s = v;
                else if (strcmp(a, "--profile") == 0 && v)
                        profile = v;
                else if (strcmp(a, "--profiles") == 0 && v)
                        profiles_dir = v;
                else if (strcmp(a, "--catalogue") == 0 && v)
                        catalogue = v;
                else if (strcmp(a, "--in-process") == 0) {
                        in_process = true;
                        takes = false;
                }
                else if (strcmp(a, "--rotate") == 0 && v) {
                        if (strcmp(v, "0") && strcmp(v, "90") && strcmp(v, "180") && strcmp(v, "270")) {
                                ctl_msg("--rotate takes 0, 90, 180 or 270");
                                status = ctl_usage("render");
                                goto out;
                        }
                        rotate = (int)strtol(v, NULL, 10);
                } else if (strcmp(a, "--format") == 0 && v) {
                        if (!img_out_format_parse(v, &fmt)) {
                                ctl_msg("--format takes tiff or png");
                                status = ctl_usage("render");
                                goto out;
                        }
                } else if (strcmp(a, "--out") == 0 && v) {
                        if (njobs == 0 || jobs[njobs - 1].out) {
                                ctl_msg("--out must follow its FILE");
                                status = ctl_usage("render");
                                goto out;
                        }
                        jobs[njobs - 1].out = v;
                } else if (a[0] == '-' && a[1]) {
                        ctl_msg("unknown or incomplete option '%s'", a);
                        status = ctl_usage("render");
                        goto out;
                } else {
                        takes = false;
                        if (njobs >= RENDER_MAX_JOBS) {
                                ctl_msg("more than %d files", RENDER_MAX_JOBS);
                                status = ctl_usage("render");
                                goto out;
                        }
                        jobs[njobs++].in = a;
                }
                if (takes)
                        i++;
        }
        if (!sku || !paper_name || njobs == 0) {
                status = ctl_usage("render");
                goto out;
        }
        for (size_t k = 0; k < njobs; k++)
                if (!jobs[k].out) {
                        ctl_msg("missing --out for a FILE");
                        status = ctl_usage("render");
                        goto out;
                }
        if (crop_s && !img_rect_parse(crop_s, &crop)) {
                ctl_msg("--crop takes x,y,w,h with each in 0..1");
                status = ctl_usage("render");
                goto out;
        }
        if (img_init(ctx->prog, NULL) < 0) {
                ctl_msg("cannot start libvips");
                status = CTL_EXIT_USAGE;
                goto out;
        }
        inited = true;
        if (img_catalogue_load(catalogue, &cat, &eb) || !(prod = img_catalogue_find(cat, sku))) {
                ctl_msg("catalogue %s: %s", catalogue, cat ? "unknown SKU" : eb.msg);
                status = CTL_EXIT_USAGE;
                goto out;
        }
        if (img_manifest_load(profiles_dir, &man, &eb) ||
            img_paper_lookup(man, printer, paper_name, &paper, &eb) ||
            (profile && img_paper_from_profile(profile, &paper, &paper, &eb))) {
                ctl_msg("paper %s: %s", paper_name, eb.msg);
                status = CTL_EXIT_USAGE;
                goto out;
        }
        for (size_t k = 0; k < njobs; k++)
                if (render_one(&jobs[k], prod, &paper, printer, rotate, crop_s ? &crop : NULL, fmt,
                               profiles_dir, in_process))
                        status = CTL_EXIT_REJECTED;
out:
        img_catalogue_free(cat);
        img_manifest_free(man);
        free(jobs);
        if (inited)
                img_shutdown();
        return status;
}
CTL_VERB(render, "render",
         "render --sku SKU --paper PAPER [--printer MODEL] [--crop x,y,w,h] [--rotate R] "
         "[--format tiff|png] [--profile ICC] [--profiles DIR] [--catalogue FILE] [--in-process] "
         "FILE --out "
         "MASTER [FILE --out MASTER ...]",
         run_render);
