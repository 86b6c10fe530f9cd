/* image/proof: soft-proof previews.
 *
 * The whole photo (EXIF orientation and the customer's rotation applied) fitted
 * inside W x H, taken through the same source -> paper transform as the master
 * (intent, BPC) and on to the display profile (relative colorimetric), so the
 * screen shows what the paper can reproduce. Optional gamut warning: colours
 * the paper cannot reproduce are painted IMG_GAMUT_ALARM_RGB (magenta).
 * Thread-safe; transforms come from the colour cache.
 *
 * Two entry points compute the same pixels: img_proof_to_pixels() opens the
 * photo and the profiles by path (the technician CLI, in process), and
 * img_proof_fd_to_pixels() reads the photo from a descriptor and takes every
 * profile as bytes, for the sandboxed decode helper (app/decode), which may
 * open no file at all. img_proof_fit() is the size rule both follow, so a
 * caller can check a helper's answer against it.
 */
#pragma once
#include "image/colour.h"
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

/* The preview size for a photo of width x height (as stored) with EXIF
 * `orientation` (1..8; others mean 1) and customer `rotate`, fitted inside
 * box_w x box_h without enlarging. libvips' resize may land one pixel off
 * this in either direction; img_proof_* report the size they produced. */
void img_proof_fit(int width, int height, int orientation, int rotate, int box_w, int box_h,
                   int *ret_w, int *ret_h);

/* Profiles and the paper's rendering choices as bytes, for a process that
 * cannot open files. Every pointer is borrowed and must be a validated
 * profile (img_icc_from_memory). */
struct img_proof_colour {
        const struct img_icc *paper;   /* the paper's profile */
        const struct img_icc *display; /* the screen's profile */
        const struct img_icc *srgb;    /* source of untagged, grey and CMYK photos */
        const struct img_icc *adobe;   /* source of photos whose EXIF says Adobe RGB */
        enum img_intent intent;        /* photo -> paper, from the paper manifest */
        bool bpc;
};

/* img_proof_to_pixels() on a photo read from `fd` (a regular file; duplicated
 * and read from offset 0, never reopened; the fd stays the caller's), with
 * `probe` from img_probe_fd() on the same descriptor. spec->display_profile
 * and spec->profiles_dir are not used: `colour` carries the profiles.
 * Grey and CMYK photos are brought to sRGB by libvips' built-in sRGB profile
 * (the path entry point uses profiles_dir/sRGB.icc), so their previews may
 * differ from img_proof_to_pixels() by a level or two; RGB photos give the
 * same bytes. (transfer full) ret_px. */
int img_proof_fd_to_pixels(int fd, const struct img_probe *probe,
                           const struct img_proof_colour *colour, const struct img_proof_spec *spec,
                           struct img_pixels *ret_px, struct img_proof_info *ret_info,
                           struct img_errbuf *err);
