/* image/proof: soft-proof previews (see proof.h).
 *
 * Invariants: the preview fits inside the box and keeps the photo's aspect
 * (each side within one pixel, img_proof_fit); both entry points share the
 * size rule, the choice of source profile and the colour half (finish());
 * the path entry point decodes with render.c's img__load_rgb, so it sees the
 * same orientation, alpha and source-profile rules as the master, and the
 * descriptor entry point decodes with load_rgb_source(), which repeats those
 * rules step for step on a VipsSource (tests/hostile/test_decode_proof.c
 * checks that both give the same pixels on the corpus). */
#include "image/proof.h"
#include "image/colour.h"
#include "image/crop.h"
#include "image/render_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

void img_proof_fit(int width, int height, int orientation, int rotate, int box_w, int box_h,
                   int *ret_w, int *ret_h)
{
        if (orientation < 1 || orientation > 8)
                orientation = 1;
        int dw, dh;
        img_crop_display_size(width, height, orientation, rotate, &dw, &dh);
        double scale = fmin((double)box_w / dw, (double)box_h / dh);
        if (scale > 1)
                scale = 1; /* never enlarge a small photo for the screen */
        int tw = (int)lround(dw * scale), th = (int)lround(dh * scale);
        *ret_w = tw < 1 ? 1 : tw;
        *ret_h = th < 1 ? 1 : th;
}

/* Check the spec and probe; the target size and the JPEG shrink-on-load. */
static int plan(const struct img_probe *probe, const struct img_proof_spec *spec, int *ret_w,
                int *ret_h, int *ret_shrink, int *ret_orientation, struct img_errbuf *err)
{
        if (spec->width < 16 || spec->height < 16 || spec->width > IMG_PROOF_MAX_SIDE ||
            spec->height > IMG_PROOF_MAX_SIDE)
                return img_fail(err, IMG_E_INVALID, "preview size out of range");
        if (spec->rotate != 0 && spec->rotate != 90 && spec->rotate != 180 && spec->rotate != 270)
                return img_fail(err, IMG_E_INVALID, "rotate must be 0, 90, 180 or 270");
        if (probe->width <= 0 || probe->height <= 0)
                return img_fail(err, IMG_E_INVALID, "bad probe");
        int orientation = probe->orientation >= 1 && probe->orientation <= 8 ? probe->orientation : 1;
        int dw, dh, tw, th;
        img_crop_display_size(probe->width, probe->height, orientation, spec->rotate, &dw, &dh);
        img_proof_fit(probe->width, probe->height, orientation, spec->rotate, spec->width,
                      spec->height, &tw, &th);
        int shrink = 1;
        if (probe->format == IMG_FMT_JPEG)
                for (int f = 8; f > 1; f /= 2)
                        if (dw / f >= tw && dh / f >= th) {
                                shrink = f;
                                break;
                        }
        *ret_w = tw, *ret_h = th, *ret_shrink = shrink, *ret_orientation = orientation;
        return IMG_OK;
}

/* Untagged sources: Adobe RGB when EXIF says so and libvips did not convert
 * the pixels, else sRGB (also the space a converted grey/CMYK photo is in). */
static bool wants_adobe(const struct img_probe *probe, bool converted)
{
        return !converted && probe->colour_source == IMG_COLOUR_EXIF &&
               strstr(probe->colour_name, "Adobe") != NULL;
}

/* The colour half, shared by both entry points: resize `img` (3-band RGB in
 * the source space) to tw x th, source -> paper -> display, gamut count. */
static int finish(VipsImage *img, const struct img_icc *src, const struct img_icc *pap,
                  const struct img_icc *disp, enum img_intent intent, bool bpc, bool gamut,
                  int tw, int th, struct img_pixels *ret_px, struct img_proof_info *ret_info,
                  struct img_errbuf *err)
{
        struct img_xform *xf = NULL;
        VipsImage *sized = NULL;
        uint8_t *in_px = NULL, *out_px = NULL;
        size_t in_len = 0, in_stride, out_stride;
        enum img_px_format pxf = img->BandFmt == VIPS_FORMAT_USHORT ? IMG_PX_RGB16 : IMG_PX_RGB8;
        int rc = img_colour_proof_transform(src, pap, disp, intent, bpc, gamut, pxf, &xf, err);
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
                rc = img__vips_fail(err, IMG_E_CORRUPT, "pixels");
                goto out;
        }
        out_stride = (size_t)tw * 3;
        out_px = g_malloc(out_stride * (size_t)th);
        img_xform_apply(xf, in_px, in_stride, out_px, out_stride, tw, th, 2);
        if (ret_info) {
                uint64_t n = 0;
                if (gamut)
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
        img_xform_unref(xf);
        return rc;
}

int img_proof_to_pixels(const char *path, const struct img_probe *probe,
                        const struct img_paper *paper, const struct img_proof_spec *spec,
                        struct img_pixels *ret_px, struct img_proof_info *ret_info,
                        struct img_errbuf *err)
{
        if (!path || !probe || !paper || !spec || !spec->profiles_dir || !ret_px)
                return img_fail(err, IMG_E_INVALID, "missing argument");
        int tw, th, shrink, orientation;
        int rc = plan(probe, spec, &tw, &th, &shrink, &orientation, err);
        if (rc)
                return rc;
        char srgb[PATH_MAX], adobe[PATH_MAX];
        g_snprintf(srgb, sizeof(srgb), "%s/sRGB.icc", spec->profiles_dir);
        g_snprintf(adobe, sizeof(adobe), "%s/AdobeRGB1998-compatible.icc", spec->profiles_dir);
        struct img_icc src = {0}, pap = {0}, disp = {0};
        VipsImage *img = NULL;
        bool converted = false;
        rc = img__load_rgb(path, probe->format, shrink, orientation, spec->rotate, srgb, &img, &src,
                           &converted, err);
        if (rc)
                goto out;
        if (!src.data) {
                rc = img_icc_load_file(wants_adobe(probe, converted) ? adobe : srgb, &src, err);
                if (rc)
                        goto out;
        }
        if ((rc = img_icc_load_file(paper->profile_path, &pap, err)) ||
            (rc = load_display(spec, &disp, err)))
                goto out;
        rc = finish(img, &src, &pap, &disp, paper->intent, paper->bpc, spec->gamut_warning, tw, th,
                    ret_px, ret_info, err);
out:
        if (img)
                g_object_unref(img);
        img_icc_done(&src);
        img_icc_done(&pap);
        img_icc_done(&disp);
        return rc;
}

/* img__load_rgb (render.c) on a VipsSource: the same loader options, then
 * the same steps (img__rgb_from_loaded). The one difference: no profile file
 * can be opened here, so the conversion to sRGB uses libvips' built-in "srgb"
 * profile instead of profiles_dir/sRGB.icc. */
static int load_rgb_source(VipsSource *in, enum img_format fmt, int shrink, int orientation,
                           int rotate, VipsImage **ret, struct img_icc *ret_embedded,
                           bool *ret_converted, struct img_errbuf *err)
{
        memset(ret_embedded, 0, sizeof(*ret_embedded));
        *ret_converted = false;
        VipsImage *loaded = NULL;
        int r;
        switch (fmt) {
        case IMG_FMT_JPEG:
                r = vips_jpegload_source(in, &loaded, "shrink", shrink, "fail_on",
                                         VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_PNG:
                r = vips_pngload_source(in, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_WEBP:
                r = vips_webpload_source(in, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_HEIF:
                r = vips_heifload_source(in, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_TIFF: /* never customer input */
        default:
                return img_fail(err, IMG_E_UNSUPPORTED, "format not allowed for a preview");
        }
        if (r)
                return img__vips_fail(err, IMG_E_CORRUPT, "decode");
        int rc = img__rgb_from_loaded(loaded, orientation, rotate, "srgb", ret, ret_embedded,
                                      ret_converted, err);
        g_object_unref(loaded);
        return rc;
}

int img_proof_fd_to_pixels(int fd, const struct img_probe *probe,
                           const struct img_proof_colour *colour, const struct img_proof_spec *spec,
                           struct img_pixels *ret_px, struct img_proof_info *ret_info,
                           struct img_errbuf *err)
{
        if (fd < 0 || !probe || !colour || !colour->paper || !colour->display || !colour->srgb ||
            !colour->adobe || !spec || !ret_px)
                return img_fail(err, IMG_E_INVALID, "missing argument");
        int tw, th, shrink, orientation;
        int rc = plan(probe, spec, &tw, &th, &shrink, &orientation, err);
        if (rc)
                return rc;
        /* Our own duplicate, read from offset 0 (it shares the offset with
         * the caller's, which img_probe_fd left anywhere). */
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dfd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "cannot duplicate: %s", strerror(errno));
        if (lseek(dfd, 0, SEEK_SET) != 0) {
                close(dfd);
                return img_fail(err, IMG_E_UNREADABLE, "cannot seek: %s", strerror(errno));
        }
        VipsSource *in = vips_source_new_from_descriptor(dfd);
        if (!in) {
                close(dfd);
                return img__vips_fail(err, IMG_E_INTERNAL, "source");
        }
        struct img_icc embedded = {0};
        VipsImage *img = NULL;
        bool converted = false;
        vips_error_clear();
        rc = load_rgb_source(in, probe->format, shrink, orientation, spec->rotate, &img, &embedded,
                             &converted, err);
        if (rc == 0) {
                const struct img_icc *src = embedded.data ? &embedded
                                            : wants_adobe(probe, converted) ? colour->adobe
                                                                            : colour->srgb;
                rc = finish(img, src, colour->paper, colour->display, colour->intent, colour->bpc,
                            spec->gamut_warning, tw, th, ret_px, ret_info, err);
        }
        if (img)
                g_object_unref(img);
        g_object_unref(in);
        close(dfd);
        img_icc_done(&embedded);
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
