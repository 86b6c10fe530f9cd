/* image/crop: where a print's pixels come from in the photo.
 *
 * Coordinates are those of the photo after its EXIF orientation and then the
 * customer's rotation (0/90/180/270 clockwise) are applied ("display
 * coordinates"). A crop is a normalised rectangle x,y,w,h in 0..1 of that
 * image. The print is turned (landscape or portrait) to match the rotated
 * photo's shape; a square photo gets the landscape print.
 * Pure functions: no I/O, thread-safe.
 */
#pragma once
#include "image/catalogue.h"
#include "image/image.h"

struct img_rect {
        double x, y, w, h; /* normalised 0..1 */
};

enum img_res_warning {
        IMG_RES_OK = 0,     /* effective dpi >= warn_dpi */
        IMG_RES_WARN = 1,   /* strong_dpi <= dpi < warn_dpi */
        IMG_RES_STRONG = 2, /* dpi < strong_dpi */
};
const char *img_res_warning_name(enum img_res_warning w); /* "none", "warn", "strong" */

struct img_crop {
        int rotate;              /* customer rotation, 0/90/180/270 */
        int disp_w, disp_h;      /* photo size after orientation + rotation, px */
        bool landscape;          /* print long side horizontal */
        double print_w_in, print_h_in; /* the photo's extent on one print, as placed:
                                          print size - 2 x border (+ 2 x bleed) */
        struct img_rect rect;    /* the crop actually used (clamped to the print aspect) */
        int src_x, src_y, src_w, src_h; /* the crop in display pixels */
        double effective_dpi;    /* min(src_w / print_w_in, src_h / print_h_in) */
        enum img_res_warning warning;
};

/* Size after EXIF orientation (1..8) and rotation of a width x height image. */
void img_crop_display_size(int width, int height, int orientation, int rotate, int *ret_w,
                           int *ret_h);
/* Compute the crop of an oriented+rotated photo of disp_w x disp_h for product.
 * want == NULL: centred cover crop of the print's aspect. Otherwise the
 * customer's rectangle is validated (finite, inside 0..1 after clamping, at
 * least 1 % of each side), clamped into the image and trimmed around its centre
 * to the print's aspect. IMG_E_INVALID for bad arguments. */
int img_crop_compute(const struct img_product *product, int disp_w, int disp_h, int rotate,
                     const struct img_rect *want, struct img_crop *ret, struct img_errbuf *err);
/* Parse "x,y,w,h" (decimals, 0..1). false on anything else. */
bool img_rect_parse(const char *s, struct img_rect *ret);
