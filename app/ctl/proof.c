/* printkioskctl proof: soft-proof previews (image/proof.c).
 *
 *   proof --paper PAPER [--printer MODEL] [--display ICC] [--gamut-warning]
 *         [--size WxH] [--rotate R] [--profile ICC] [--profiles DIR] FILE --out PNG
 *
 * One JSON line: {"path","ok":true,"out","width","height","paper","intent",
 * "out_of_gamut"} or the usual {"ok":false,"reason","message"}. Exit 0 ok, 1
 * rejected, 2 usage. */
#include "app/ctl/ctl.h"
#include "app/transform_record.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/proof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_size(const char *s, int *w, int *h)
{
        char *x = NULL, *e = NULL;
        long a = strtol(s, &x, 10);
        if (x == s || *x != 'x')
                return false;
        long b = strtol(x + 1, &e, 10);
        if (e == x + 1 || *e || a < 16 || b < 16 || a > IMG_PROOF_MAX_SIDE || b > IMG_PROOF_MAX_SIDE)
                return false;
        *w = (int)a, *h = (int)b;
        return true;
}

static int run_proof(const struct ctl_ctx *ctx, int argc, char **argv)
{
        const char *paper_name = NULL, *printer = NULL, *display = NULL, *file = NULL, *out = NULL;
        const char *profile = NULL, *profiles_dir = app_default_profiles_dir();
        struct img_proof_spec spec = IMG_PROOF_SPEC_DEFAULT;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--gamut-warning") == 0) {
                        spec.gamut_warning = true;
                        continue;
                }
                if (a[0] == '-' && a[1] && !v) {
                        ctl_msg("option '%s' needs a value", a);
                        return ctl_usage("proof");
                }
                if (strcmp(a, "--paper") == 0)
                        paper_name = v;
                else if (strcmp(a, "--printer") == 0)
                        printer = v;
                else if (strcmp(a, "--display") == 0)
                        display = v;
                else if (strcmp(a, "--profile") == 0)
                        profile = v;
                else if (strcmp(a, "--profiles") == 0)
                        profiles_dir = v;
                else if (strcmp(a, "--out") == 0)
                        out = v;
                else if (strcmp(a, "--size") == 0) {
                        if (!parse_size(v, &spec.width, &spec.height)) {
                                ctl_msg("--size takes WxH, 16..%d", IMG_PROOF_MAX_SIDE);
                                return ctl_usage("proof");
                        }
                } else if (strcmp(a, "--rotate") == 0) {
                        if (strcmp(v, "0") && strcmp(v, "90") && strcmp(v, "180") && strcmp(v, "270"))
                                return ctl_msg("--rotate takes 0, 90, 180 or 270"), ctl_usage("proof");
                        spec.rotate = (int)strtol(v, NULL, 10);
                } else if (a[0] == '-' && a[1]) {
                        ctl_msg("unknown option '%s'", a);
                        return ctl_usage("proof");
                } else if (!file) {
                        file = a;
                        continue;
                } else {
                        ctl_msg("one FILE only");
                        return ctl_usage("proof");
                }
                i++;
        }
        if (!paper_name || !file || !out)
                return ctl_usage("proof");
        spec.display_profile = display;
        spec.profiles_dir = profiles_dir;
        if (img_init(ctx->prog, NULL) < 0)
                return ctl_msg("cannot start libvips"), CTL_EXIT_USAGE;
        struct img_errbuf eb = {.msg = ""};
        struct img_manifest *man = NULL;
        struct img_paper paper;
        struct img_probe pr;
        struct img_proof_info info = {0};
        int status = CTL_EXIT_OK;
        int rc;
        json_t *o, *p;
        if (img_manifest_load(profiles_dir, &man, &eb) ||
            img_paper_lookup(man, printer, paper_name, &paper, &eb) ||
            (profile && img_paper_from_profile(profile, &paper, &paper, &eb))) {
                ctl_msg("paper %s: %s", paper_name, eb.msg);
                status = CTL_EXIT_USAGE;
                goto done;
        }
        rc = img_probe_file(file, 0, &pr, &eb);
        if (!rc)
                rc = img_proof_file(file, &pr, &paper, &spec, out, &info, &eb);
        o = json_object();
        p = json_string(file);
        json_object_set_new(o, "path", p ? p : json_string("(not UTF-8)"));
        json_object_set_new(o, "ok", json_boolean(rc == 0));
        if (rc) {
                json_object_set_new(o, "reason", json_string(img_strerror(rc)));
                json_t *m = json_string(eb.msg);
                json_object_set_new(o, "message", m ? m : json_string(img_strerror(rc)));
                status = CTL_EXIT_REJECTED;
        } else {
                json_t *op = json_string(out);
                json_object_set_new(o, "out", op ? op : json_null());
                json_object_set_new(o, "width", json_integer(info.width));
                json_object_set_new(o, "height", json_integer(info.height));
                json_object_set_new(o, "paper", json_string(paper.name));
                json_object_set_new(o, "profile_sha256", json_string(paper.profile_sha256));
                json_object_set_new(o, "intent", json_string(img_intent_name(paper.intent)));
                if (spec.gamut_warning)
                        json_object_set_new(o, "out_of_gamut", json_real(info.out_of_gamut));
        }
        ctl_emit(o);
done:
        img_manifest_free(man);
        img_shutdown();
        return status;
}
CTL_VERB(proof, "proof",
         "proof --paper PAPER [--printer MODEL] [--display ICC] [--gamut-warning] [--size WxH] "
         "[--rotate R] [--profile ICC] [--profiles DIR] FILE --out PNG",
         run_proof);
