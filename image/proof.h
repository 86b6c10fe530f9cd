/* image/proof: soft-proof previews.
 *
 * The whole photo (EXIF orientation and the customer's rotation applied) fitted
 * inside W x H, taken through the same source -> paper transform as the master
 * (intent, BPC) and on to the display profile (relative colorimetric), so the
 * screen shows what the paper can reproduce. Optional gamut warning: colours
 * the paper cannot reproduce are painted IMG_GAMUT_ALARM_RGB (magenta).
 * Thread-safe; transforms come from the colour cache.
 */
#pragma once
#include "image/image.h"
#include "image/paper.h"
#include "image/probe.h"
#include "image/thumb.h"

#define IMG_PROOF_MAX_SIDE 8192 /* a 8K display; more is a bad request */

struct img_proof_spec {
        int width, height;   /* fit box, default 1920 x 1080, 16..IMG_PROOF_MAX_SIDE */
        int rotate;          /* customer rotation 0/90/180/270 */
        bool gamut_warning;
        const char *display_profile; /* ICC file; NULL = profiles_dir/sRGB.icc */
        const char *profiles_dir;    /* for sRGB.icc / AdobeRGB1998-compatible.icc */
};
#define IMG_PROOF_SPEC_DEFAULT {.width = 1920, .height = 1080}

struct img_proof_info {
        int width, height;  /* of the preview */
        double out_of_gamut; /* fraction of pixels painted, when gamut_warning */
};

/* Preview of `path` (probed as `probe`) for `paper` into memory: RGB8 in the
 * display profile's space. (transfer full) ret_px, free with img_pixels_free. */
int img_proof_to_pixels(const char *path, const struct img_probe *probe,
                        const struct img_paper *paper, const struct img_proof_spec *spec,
                        struct img_pixels *ret_px, struct img_proof_info *ret_info,
                        struct img_errbuf *err);
/* Same, written as a PNG with the display profile embedded (temp + rename). */
int img_proof_file(const char *path, const struct img_probe *probe, const struct img_paper *paper,
                   const struct img_proof_spec *spec, const char *out_png,
                   struct img_proof_info *ret_info, struct img_errbuf *err);
