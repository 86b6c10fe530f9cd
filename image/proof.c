/* image/proof: soft-proof previews (see proof.h).
 *
 * Invariants: the preview fits inside the box and keeps the photo's aspect
 * (each side within one pixel); the decode half is render.c's
 * (img__load_rgb), so the preview sees the same orientation, alpha and
 * source-profile rules as the master. */
#include "image/proof.h"
#include "image/colour.h"
#include "image/crop.h"
#include "image/render_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int load_display(const struct img_proof_spec *spec, struct img_icc *ret,
                        struct img_errbuf *err)
{
        char path[PATH_MAX];
        if (spec->display_profile)
                g_snprintf(path, sizeof(path), "%s", spec->display_profile);
        else
                g_snprintf(path, sizeof(path), "%s/sRGB.icc", spec->profiles_dir);
        return img_icc_load_file(path, ret, err);
}

int img_proof_to_pixels(const char *path, const struct img_probe *probe,
                        const struct img_paper *paper, const struct img_proof_spec *spec,
                        struct img_pixels *ret_px, struct img_proof_info *ret_info,
                        struct img_errbuf *err)
{
        if (!path || !probe || !paper || !spec || !spec->profiles_dir || !ret_px)
                return img_fail(err, IMG_E_INVALID, "missing argument");
        if (spec->width < 16 || spec->height < 16 || spec->width > IMG_PROOF_MAX_SIDE ||
            spec->height > IMG_PROOF_MAX_SIDE)
                return img_fail(err, IMG_E_INVALID, "preview size out of range");
        if (spec->rotate != 0 && spec->rotate != 90 && spec->rotate != 180 && spec->rotate != 270)
                return img_fail(err, IMG_E_INVALID, "rotate must be 0, 90, 180 or 270");
        if (probe->width <= 0 || probe->height <= 0)
                return img_fail(err, IMG_E_INVALID, "bad probe");
        int orientation = probe->orientation >= 1 && probe->orientation <= 8 ? probe->orientation : 1;
        int dw, dh;
        img_crop_display_size(probe->width, probe->height, orientation, spec->rotate, &dw, &dh);
        double scale = fmin((double)spec->width / dw, (double)spec->height / dh);
        if (scale > 1)
                scale = 1; /* never enlarge a small photo for the screen */
        int tw = (int)lround(dw * scale), th = (int)lround(dh * scale);
        tw = tw < 1 ? 1 : tw, th = th < 1 ? 1 : th;
        int shrink = 1;
        if (probe->format == IMG_FMT_JPEG)
                for (int f = 8; f > 1; f /= 2)
                        if (dw / f >= tw && dh / f >= th) {
                                shrink = f;
                                break;
                        }
        char srgb[PATH_MAX], adobe[PATH_MAX];
        g_snprintf(srgb, sizeof(srgb), "%s/sRGB.icc", spec->profiles_dir);
        g_snprintf(adobe, sizeof(adobe), "%s/AdobeRGB1998-compatible.icc", spec->profiles_dir);
        struct img_icc src = {0}, pap = {0}, disp = {0};
        struct img_xform *xf = NULL;
        VipsImage *img = NULL, *sized = NULL;
        uint8_t *in_px = NULL, *out_px = NULL;
        bool converted = false;
        size_t in_len = 0, in_stride, out_stride;
        enum img_px_format pxf;
        int rc = img__load_rgb(path, probe->format, shrink, orientation, spec->rotate, srgb, &img,
                               &src, &converted, err);
        if (rc)
                goto out;
        if (!src.data) {
                bool is_adobe = !converted && probe->colour_source == IMG_COLOUR_EXIF &&
                                strstr(probe->colour_name, "Adobe") != NULL;
                rc = img_icc_load_file(is_adobe ? adobe : srgb, &src, err);
                if (rc)
                        goto out;
        }
        if ((rc = img_icc_load_file(paper->profile_path, &pap, err)) ||
            (rc = load_display(spec, &disp, err)))
                goto out;
        pxf = img->BandFmt == VIPS_FORMAT_USHORT ? IMG_PX_RGB16 : IMG_PX_RGB8;
        rc = img_colour_proof_transform(&src, &pap, &disp, paper->intent, paper->bpc,
                                        spec->gamut_warning, pxf, &xf, err);
        if (rc)
                goto out;
        if (vips_resize(img, &sized, (double)tw / img->Xsize, "vscale", (double)th / img->Ysize,
                        "kernel", VIPS_KERNEL_LANCZOS3, NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "resize");
                goto out;
        }
        tw = sized->Xsize, th = sized->Ysize;
        in_px = vips_image_write_to_memory(sized, &in_len);
        in_stride = (size_t)tw * (pxf == IMG_PX_RGB16 ? 6 : 3);
        if (!in_px || in_len != in_stride * (size_t)th) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "pixels");
                goto out;
        }
        out_stride = (size_t)tw * 3;
        out_px = g_malloc(out_stride * (size_t)th);
        img_xform_apply(xf, in_px, in_stride, out_px, out_stride, tw, th, 2);
        if (ret_info) {
                uint64_t n = 0;
                if (spec->gamut_warning)
                        for (size_t i = 0; i < (size_t)tw * th; i++)
                                n += out_px[3 * i] == 0xff && out_px[3 * i + 1] == 0 &&
                                     out_px[3 * i + 2] == 0xff;
                *ret_info = (struct img_proof_info){tw, th, (double)n / ((double)tw * th)};
        }
        *ret_px = (struct img_pixels){tw, th, (int)out_stride, out_px};
        out_px = NULL;
out:
        g_free(in_px);
        g_free(out_px);
        if (sized)
                g_object_unref(sized);
        if (img)
                g_object_unref(img);
        img_xform_unref(xf);
        img_icc_done(&src);
        img_icc_done(&pap);
        img_icc_done(&disp);
        return rc;
}

int img_proof_file(const char *path, const struct img_probe *probe, const struct img_paper *paper,
                   const struct img_proof_spec *spec, const char *out_png,
                   struct img_proof_info *ret_info, struct img_errbuf *err)
{
        struct img_pixels px = {0};
        struct img_icc disp = {0};
        VipsImage *v = NULL;
        void *buf = NULL;
        size_t len = 0;
        if (!out_png)
                return img_fail(err, IMG_E_INVALID, "no output path");
        int rc = img_proof_to_pixels(path, probe, paper, spec, &px, ret_info, err);
        if (rc)
                return rc;
        rc = load_display(spec, &disp, err);
        if (rc)
                goto out;
        v = vips_image_new_from_memory(px.data, (size_t)px.stride * px.height, px.width, px.height,
                                       3, VIPS_FORMAT_UCHAR);
        if (!v) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "wrap pixels");
                goto out;
        }
        vips_image_set_blob_copy(v, VIPS_META_ICC_NAME, disp.data, disp.len);
        if (vips_pngsave_buffer(v, &buf, &len, "compression", 1, NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "encode");
                goto out;
        }
        rc = img__write_durable(out_png, buf, len, err);
out:
        g_free(buf);
        if (v)
                g_object_unref(v);
        img_pixels_free(&px);
        img_icc_done(&disp);
        return rc;
}
