/* printkioskctl proof: soft-proof previews (image/proof.c).
 *
 *   proof --paper PAPER [--printer MODEL] [--display ICC] [--gamut-warning]
 *         [--size WxH] [--rotate R] [--profile ICC] [--profiles DIR]
 *         [--in-process] FILE --out PNG
 *
 * FILE is a customer's photo, so by default it is decoded and proofed in a
 * sandboxed decode helper (app_decode_proof, one helper, as the kiosk's
 * review screen does); this process only wraps the checked pixels into a PNG
 * with the display profile embedded (libvips encodes our own pixels; the
 * profile is the file named by --display, or sRGB.icc). --in-process keeps the
 * old path (img_probe_file + img_proof_file in this process) for benchmarks
 * that compare the two; the helper's size may differ from it by one pixel
 * (libvips rounding on a descriptor source), grey/CMYK photos by one level.
 *
 * One JSON line: {"path","ok":true,"out","width","height","paper","intent",
 * "out_of_gamut"} or the usual {"ok":false,"reason","message"} (reason also
 * "crashed", "timeout", "cpu-limit", "bad-answer" from the helper). Exit 0 ok,
 * 1 rejected, 2 usage or no helper. */
#include "app/ctl/ctl.h"
#include "app/decode_pool.h"
#include "app/transform_record.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/proof.h"
#include "sync/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

/* The checked preview as a PNG with the display profile embedded, written
 * durably (what img_proof_file writes for the in-process path). */
static int write_png(const struct img_pixels *px, const struct img_proof_spec *spec, const char *out,
                     struct img_errbuf *eb)
{
        char icc_path[PATH_MAX], dir[PATH_MAX], base[PATH_MAX];
        if (snprintf(icc_path, sizeof(icc_path), "%s%s", spec->display_profile ? "" : spec->profiles_dir,
                     spec->display_profile ? spec->display_profile : "/sRGB.icc") >= (int)sizeof(icc_path) ||
            snprintf(dir, sizeof(dir), "%s", out) >= (int)sizeof(dir) ||
            snprintf(base, sizeof(base), "%s", out) >= (int)sizeof(base))
                return img_fail(eb, IMG_E_INVALID, "path too long");
        struct store_errbuf se = {{0}};
        char *icc = NULL;
        size_t icc_len = 0;
        void *buf = NULL;
        size_t len = 0;
        int rc = 0;
        VipsImage *v = NULL;
        if (sync_fs_read_small(icc_path, img_get_limits()->max_icc_bytes, &icc, &icc_len, &se) < 0) {
                rc = img_fail(eb, IMG_E_BAD_PROFILE, "display profile: %s", se.msg);
                goto out;
        }
        v = vips_image_new_from_memory(px->data, (size_t)px->stride * (size_t)px->height, px->width,
                                       px->height, 3, VIPS_FORMAT_UCHAR);
        if (!v) {
                rc = img_fail(eb, IMG_E_INTERNAL, "wrap pixels: %s", vips_error_buffer());
                vips_error_clear();
                goto out;
        }
        vips_image_set_blob_copy(v, VIPS_META_ICC_NAME, icc, icc_len);
        if (vips_pngsave_buffer(v, &buf, &len, "compression", 1, NULL)) {
                rc = img_fail(eb, IMG_E_INTERNAL, "encode: %s", vips_error_buffer());
                vips_error_clear();
                goto out;
        }
        if (sync_fs_write_atomic(dirname(dir), basename(base), buf, len, 0644, &se) < 0)
                rc = img_fail(eb, IMG_E_IO, "%s", se.msg);
out:
        g_free(buf);
        if (v)
                g_object_unref(v);
        free(icc);
        return rc;
}

/* The photo proofed in a one-helper decode pool. A pool that cannot start
 * is APP_DECODE_E_SPAWN (exit 2, not a verdict on the photo). */
static int proof_in_helper(const char *file, const struct img_paper *paper,
                           const struct img_proof_spec *spec, const char *out,
                           struct img_proof_info *info, struct img_errbuf *eb)
{
        struct app_decode_config dc = APP_DECODE_CONFIG_DEFAULT;
        dc.helpers = 1;
        struct app_decode_pool *pool = NULL;
        struct img_pixels px = {0};
        /* Opened as img_probe_file would (a technician may name a
         * symlink); the helper gets the descriptor, never the path. */
        int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return img_fail(eb, IMG_E_UNREADABLE, "cannot open: %s", strerror(errno));
        int rc = app_decode_pool_new(&dc, &pool, eb);
        if (rc == 0)
                rc = app_decode_proof_fd(pool, fd, paper, spec, &px, info, eb);
        close(fd);
        app_decode_pool_free(pool);
        if (rc == 0)
                rc = write_png(&px, spec, out, eb);
        img_pixels_free(&px);
        return rc;
}

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
        bool in_process = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "--gamut-warning") == 0) {
                        spec.gamut_warning = true;
                        continue;
                }
                if (strcmp(a, "--in-process") == 0) {
                        in_process = true;
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
        if (in_process) {
                rc = img_probe_file(file, 0, &pr, &eb);
                if (!rc)
                        rc = img_proof_file(file, &pr, &paper, &spec, out, &info, &eb);
        } else {
                rc = proof_in_helper(file, &paper, &spec, out, &info, &eb);
                if (rc < 0 && !app_decode_error_is_photo(rc)) {
                        ctl_msg("proof: %s", eb.msg);
                        status = CTL_EXIT_USAGE;
                        goto done;
                }
        }
        o = json_object();
        p = json_string(file);
        json_object_set_new(o, "path", p ? p : json_string("(not UTF-8)"));
        json_object_set_new(o, "ok", json_boolean(rc == 0));
        if (rc) {
                json_object_set_new(o, "reason", json_string(app_decode_strerror(rc)));
                json_t *m = json_string(eb.msg);
                json_object_set_new(o, "message", m ? m : json_string(app_decode_strerror(rc)));
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
         "[--rotate R] [--profile ICC] [--profiles DIR] [--in-process] FILE --out PNG",
         run_proof);
