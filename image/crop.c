/* image/crop: crop geometry (see crop.h).
 *
 * Invariants of a computed crop: 0 <= src_x, src_x + src_w <= disp_w (same for
 * y), src_w/src_h equals the print aspect to within one pixel, and rect is
 * src_* divided by the display size. */
#include "image/crop.h"
#include "image/ini_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *img_res_warning_name(enum img_res_warning w)
{
        switch (w) {
        case IMG_RES_OK:
                return "none";
        case IMG_RES_WARN:
                return "warn";
        case IMG_RES_STRONG:
                return "strong";
        }
        return "unknown";
}

void img_crop_display_size(int width, int height, int orientation, int rotate, int *ret_w,
                           int *ret_h)
{
        bool swap = orientation >= 5 && orientation <= 8;
        if (rotate == 90 || rotate == 270)
                swap = !swap;
        *ret_w = swap ? height : width;
        *ret_h = swap ? width : height;
}

static double clamp01(double v)
{
        return v < 0 ? 0 : v > 1 ? 1 : v;
}

int img_crop_compute(const struct img_product *product, int disp_w, int disp_h, int rotate,
                     const struct img_rect *want, struct img_crop *ret, struct img_errbuf *err)
{
        if (!product || !ret || disp_w <= 0 || disp_h <= 0)
                return img_fail(err, IMG_E_INVALID, "bad crop arguments");
        if (rotate != 0 && rotate != 90 && rotate != 180 && rotate != 270)
                return img_fail(err, IMG_E_INVALID, "rotate must be 0, 90, 180 or 270");
        struct img_crop c = {0};
        c.rotate = rotate;
        c.disp_w = disp_w, c.disp_h = disp_h;
        c.landscape = disp_w >= disp_h;
        /* The photo covers the print minus its white border plus the bleed. */
        double inset = (product->borderless ? -product->bleed_mm : product->border_mm) * 2 / 25.4;
        double lng = product->long_in - inset, shrt = product->short_in - inset;
        c.print_w_in = c.landscape ? lng : shrt;
        c.print_h_in = c.landscape ? shrt : lng;
        double aspect = c.print_w_in / c.print_h_in; /* w/h of the print */

        /* Requested region in pixels (whole image by default). */
        double rx = 0, ry = 0, rw = disp_w, rh = disp_h;
        if (want) {
                if (!isfinite(want->x) || !isfinite(want->y) || !isfinite(want->w) ||
                    !isfinite(want->h) || want->w <= 0 || want->h <= 0 || want->x < -0.5 ||
                    want->y < -0.5 || want->w > 1.5 || want->h > 1.5)
                        return img_fail(err, IMG_E_INVALID, "crop rectangle out of range");
                double x0 = clamp01(want->x), y0 = clamp01(want->y);
                double x1 = clamp01(want->x + want->w), y1 = clamp01(want->y + want->h);
                if (x1 - x0 < 0.01 || y1 - y0 < 0.01)
                        return img_fail(err, IMG_E_INVALID, "crop rectangle too small");
                rx = x0 * disp_w, ry = y0 * disp_h;
                rw = (x1 - x0) * disp_w, rh = (y1 - y0) * disp_h;
        }
        /* Trim to the print aspect around the region's centre (cover). */
        double cx = rx + rw / 2, cy = ry + rh / 2;
        if (rw / rh > aspect)
                rw = rh * aspect;
        else
                rh = rw / aspect;
        int sw = (int)lround(rw), sh = (int)lround(rh);
        if (sw < 1)
                sw = 1;
        if (sh < 1)
                sh = 1;
        if (sw > disp_w)
                sw = disp_w;
        if (sh > disp_h)
                sh = disp_h;
        int sx = (int)lround(cx - sw / 2.0), sy = (int)lround(cy - sh / 2.0);
        if (sx < 0)
                sx = 0;
        if (sy < 0)
                sy = 0;
        if (sx + sw > disp_w)
                sx = disp_w - sw;
        if (sy + sh > disp_h)
                sy = disp_h - sh;
        c.src_x = sx, c.src_y = sy, c.src_w = sw, c.src_h = sh;
        c.rect = (struct img_rect){(double)sx / disp_w, (double)sy / disp_h, (double)sw / disp_w,
                                   (double)sh / disp_h};
        double dx = sw / c.print_w_in, dy = sh / c.print_h_in;
        c.effective_dpi = dx < dy ? dx : dy;
        c.warning = c.effective_dpi < product->strong_dpi ? IMG_RES_STRONG
                    : c.effective_dpi < product->warn_dpi ? IMG_RES_WARN
                                                          : IMG_RES_OK;
        *ret = c;
        return IMG_OK;
}

bool img_rect_parse(const char *s, struct img_rect *ret)
{
        if (!s || strlen(s) > 100)
                return false;
        char buf[101];
        snprintf(buf, sizeof(buf), "%s", s);
        double v[4];
        char *p = buf;
        for (int i = 0; i < 4; i++) {
                char *comma = strchr(p, ',');
                if ((i < 3) != (comma != NULL))
                        return false;
                if (comma)
                        *comma = '\0';
                if (!img__parse_double(p, 0, 1, &v[i]))
                        return false;
                p = comma ? comma + 1 : p;
        }
        *ret = (struct img_rect){v[0], v[1], v[2], v[3]};
        return true;
}
