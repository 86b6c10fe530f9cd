/* image/render: print masters from a render spec (see render.h).
 *
 * Invariants: no pixel is touched before img_render_check() passed; one
 * pipeline (render_to_target) encodes every master, into a libvips target on
 * a descriptor: img_render_master_fd() renders into the caller's file (the
 * sandboxed helper), img_render_master() into a temp file it then fsyncs and
 * renames (img__tmp_commit), so the master path never holds a partial file
 * and both entry points write the same bytes; every parameter that changes a pixel is
 * in the spec, nothing else is consulted (no clock, no environment). The JPEG
 * shrink-on-load factor is a pure function of the spec. */
#include "image/render.h"
#include "image/colour.h"
#include "image/render_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const out_names[] = {"tiff", "png"};

const char *img_out_format_name(enum img_out_format f)
{
        return (unsigned)f < _IMG_OUT_MAX ? out_names[f] : "unknown";
}

bool img_out_format_parse(const char *s, enum img_out_format *ret)
{
        for (int i = 0; s && i < _IMG_OUT_MAX; i++)
                if (strcmp(s, out_names[i]) == 0)
                        return *ret = (enum img_out_format)i, true;
        return false;
}

int img__vips_fail(struct img_errbuf *err, int code, const char *what)
{
        const char *m = vips_error_buffer();
        img_fail(err, code, "%s: %.200s", what, m && *m ? m : "libvips failed");
        vips_error_clear();
        return code;
}

/* ---- decode half (shared with proof.c) ------------------------------------- */

int img__load_rgb(const char *path, enum img_format fmt, int shrink, int orientation, int rotate,
                  const char *srgb_path, VipsImage **ret, struct img_icc *ret_embedded,
                  bool *ret_converted, struct img_errbuf *err)
{
        memset(ret_embedded, 0, sizeof(*ret_embedded));
        *ret_converted = false;
        VipsImage *loaded = NULL;
        int r;
        switch (fmt) {
        case IMG_FMT_JPEG:
                r = vips_jpegload(path, &loaded, "shrink", shrink, "fail_on", VIPS_FAIL_ON_ERROR,
                                  NULL);
                break;
        case IMG_FMT_PNG:
                r = vips_pngload(path, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_WEBP:
                r = vips_webpload(path, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_HEIF:
                r = vips_heifload(path, &loaded, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
                break;
        case IMG_FMT_TIFF: /* only our own masters, never customer input */
        default:
                return img_fail(err, IMG_E_UNSUPPORTED, "format not allowed for rendering");
        }
        if (r)
                return img__vips_fail(err, IMG_E_CORRUPT, "decode");
        int rc = img__rgb_from_loaded(loaded, orientation, rotate, srgb_path, ret, ret_embedded,
                                      ret_converted, err);
        g_object_unref(loaded);
        return rc;
}

int img__rgb_from_loaded(VipsImage *loaded, int orientation, int rotate, const char *srgb_profile,
                         VipsImage **ret, struct img_icc *ret_embedded, bool *ret_converted,
                         struct img_errbuf *err)
{
        memset(ret_embedded, 0, sizeof(*ret_embedded));
        *ret_converted = false;
        VipsImage *base = vips_image_new();
        VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(base), 12);
        int rc = IMG_OK;
        int r;
        VipsImage *cur = NULL;
        bool is16 = false, has_icc = false, rgb = false;
        const void *icc = NULL;
        size_t icc_len = 0;
        /* Orientation from the spec, not from the file's tag: libvips'
         * autorot is the reference implementation of the 8 EXIF cases. */
        if (vips_copy(loaded, &t[1], NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "copy");
                goto out;
        }
        vips_image_set_int(t[1], VIPS_META_ORIENTATION, orientation);
        if (vips_autorot(t[1], &t[2], NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "orientation");
                goto out;
        }
        cur = t[2];
        if (rotate) {
                VipsAngle a = rotate == 90 ? VIPS_ANGLE_D90
                              : rotate == 180 ? VIPS_ANGLE_D180
                                              : VIPS_ANGLE_D270;
                if (vips_rot(cur, &t[3], a, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "rotate");
                        goto out;
                }
                cur = t[3];
        }
        is16 = cur->BandFmt == VIPS_FORMAT_USHORT;
        if (vips_image_hasalpha(cur)) {
                double white = is16 ? 65535 : 255;
                /* The operation takes its own reference to the array: ours is
                 * dropped at once (a long-lived helper must not leak it). */
                VipsArrayDouble *bg = vips_array_double_newv(1, white);
                r = vips_flatten(cur, &t[4], "background", bg, "max_alpha", white, NULL);
                vips_area_unref(VIPS_AREA(bg));
                if (r ||
                    vips_cast(t[4], &t[5], is16 ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "flatten");
                        goto out;
                }
                cur = t[5];
        }
        has_icc = vips_image_get_typeof(cur, VIPS_META_ICC_NAME) &&
                  !vips_image_get_blob(cur, VIPS_META_ICC_NAME, &icc, &icc_len);
        rgb = cur->Bands == 3 && cur->Type != VIPS_INTERPRETATION_CMYK &&
              (cur->BandFmt == VIPS_FORMAT_UCHAR || cur->BandFmt == VIPS_FORMAT_USHORT);
        if (rgb && has_icc) {
                rc = img_icc_from_memory(icc, icc_len, true, ret_embedded, err);
                if (rc)
                        goto out;
        } else if (!rgb) {
                /* Grey, CMYK or an odd layout: libvips brings it to 8-bit sRGB
                 * (through the embedded profile when there is one). */
                if (has_icc || cur->Type == VIPS_INTERPRETATION_CMYK)
                        r = vips_icc_transform(cur, &t[6], srgb_profile, "embedded", TRUE,
                                               "intent", VIPS_INTENT_RELATIVE, "depth", 8, NULL);
                else
                        r = vips_colourspace(cur, &t[6], VIPS_INTERPRETATION_sRGB, NULL);
                if (r || vips_cast(t[6], &t[7], VIPS_FORMAT_UCHAR, NULL)) {
                        rc = img__vips_fail(err, IMG_E_CORRUPT, "convert to sRGB");
                        goto out;
                }
                if (t[7]->Bands != 3) {
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "%d bands after conversion",
                                      t[7]->Bands);
                        goto out;
                }
                cur = t[7];
                *ret_converted = true;
        }
        /* Pixels are now 3-band RGB in the source space; say so, so that
         * sharpen's internal Lab round trip uses the right formulas. */
        if (vips_copy(cur, &t[8], "interpretation",
                      cur->BandFmt == VIPS_FORMAT_USHORT ? VIPS_INTERPRETATION_RGB16
                                                         : VIPS_INTERPRETATION_sRGB,
                      NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "copy");
                goto out;
        }
        vips_image_remove(t[8], VIPS_META_ICC_NAME);
        g_object_ref(t[8]);
        *ret = t[8];
out:
        if (rc)
                img_icc_done(ret_embedded);
        g_object_unref(base);
        return rc;
}

int img__tmp_create(const char *path, char *tmp, size_t tmplen, int *ret_fd,
                    struct img_errbuf *err)
{
        if (!path || !path[0] || snprintf(tmp, tmplen, "%s.tmp-XXXXXX", path) >= (int)tmplen)
                return img_fail(err, IMG_E_INVALID, "output path too long");
        /* O_RDWR: the master is hashed back from the same descriptor. */
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return img_fail(err, IMG_E_IO, "create temp file: %s", strerror(errno));
        *ret_fd = fd;
        return IMG_OK;
}

int img__tmp_commit(int fd, const char *tmp, const char *path, struct img_errbuf *err)
{
        char dir[PATH_MAX];
        int serr = 0;
        if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
                serr = ENAMETOOLONG;
        char *slash = strrchr(dir, '/');
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else if (slash == dir)
                dir[1] = '\0';
        else
                *slash = '\0';
        if (!serr && fchmod(fd, 0644) != 0)
                serr = errno;
        if (!serr && fsync(fd) != 0)
                serr = errno;
        if (close(fd) != 0 && !serr)
                serr = errno;
        if (!serr && rename(tmp, path) != 0)
                serr = errno;
        if (serr) {
                unlink(tmp);
                return img_fail(err, IMG_E_IO, "write master: %s", strerror(serr));
        }
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                if (fsync(dfd) != 0)
                        serr = errno;
                close(dfd);
        }
        if (serr)
                return img_fail(err, IMG_E_IO, "fsync folder: %s", strerror(serr));
        return IMG_OK;
}

int img__write_durable(const char *path, const void *data, size_t len, struct img_errbuf *err)
{
        char tmp[PATH_MAX + 16];
        int fd = -1;
        int rc = img__tmp_create(path, tmp, sizeof(tmp), &fd, err);
        if (rc)
                return rc;
        const uint8_t *p = data;
        size_t done = 0;
        int serr = 0;
        while (done < len) {
                ssize_t w = write(fd, p + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        serr = w < 0 ? errno : EIO;
                        break;
                }
                done += (size_t)w;
        }
        if (serr) {
                close(fd);
                unlink(tmp);
                return img_fail(err, IMG_E_IO, "write master: %s", strerror(serr));
        }
        return img__tmp_commit(fd, tmp, path, err);
}

int img__sha256_fd(int fd, uint64_t max_bytes, char out[65], uint64_t *ret_bytes,
                   struct img_errbuf *err)
{
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        uint8_t *buf = g_malloc(1 << 16);
        uint64_t total = 0;
        int rc = IMG_OK;
        for (;;) {
                ssize_t r = pread(fd, buf, 1 << 16, (off_t)total);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        rc = img_fail(err, IMG_E_IO, "read back: %s", strerror(errno));
                        break;
                }
                if (r == 0)
                        break;
                total += (uint64_t)r;
                if (total > max_bytes) {
                        rc = img_fail(err, IMG_E_IO, "over %llu bytes",
                                      (unsigned long long)max_bytes);
                        break;
                }
                g_checksum_update(c, buf, r);
        }
        if (!rc) {
                snprintf(out, 65, "%s", g_checksum_get_string(c));
                *ret_bytes = total;
        }
        g_free(buf);
        g_checksum_free(c);
        return rc;
}

/* ---- spec --------------------------------------------------------------------- */

static bool is_hex64(const char *s)
{
        if (strlen(s) != 64)
                return false;
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static bool bounded(const char *s, size_t max)
{
        return memchr(s, '\0', max) != NULL;
}

int img_render_spec_init_from(const char *input_path, const struct img_probe *probe,
                              const struct img_product *product, const struct img_paper *paper,
                              const char *printer, int rotate, const struct img_rect *crop,
                              enum img_out_format format, const char *profiles_dir,
                              struct img_render_spec *ret, struct img_crop *ret_crop,
                              struct img_errbuf *err)
{
        if (!input_path || !probe || !product || !paper || !profiles_dir || !ret)
                return img_fail(err, IMG_E_INVALID, "missing argument");
        struct img_render_spec *s = g_new0(struct img_render_spec, 1);
        int rc = IMG_OK;
        int dw, dh, cw, ch;
        bool along_x;
        struct img_crop c;
        s->version = IMG_RECORD_VERSION;
        if (g_snprintf(s->input_path, sizeof(s->input_path), "%s", input_path) >=
            (int)sizeof(s->input_path)) {
                rc = img_fail(err, IMG_E_INVALID, "input path too long");
                goto out;
        }
        snprintf(s->input_sha256, sizeof(s->input_sha256), "%s", probe->sha256);
        s->input_format = probe->format;
        s->src_width = probe->width, s->src_height = probe->height;
        s->orientation = probe->orientation >= 1 && probe->orientation <= 8 ? probe->orientation : 1;
        s->rotate = rotate;
        img_crop_display_size(probe->width, probe->height, s->orientation, rotate, &dw, &dh);
        rc = img_crop_compute(product, dw, dh, rotate, crop, &c, err);
        if (rc)
                goto out;
        s->crop = c.rect;
        snprintf(s->sku, sizeof(s->sku), "%s", product->sku);
        snprintf(s->media, sizeof(s->media), "%s", product->media);
        s->dpi = product->dpi;
        s->print_w_in = c.print_w_in, s->print_h_in = c.print_h_in;
        s->image_w = (int)lround(c.print_w_in * product->dpi);
        s->image_h = (int)lround(c.print_h_in * product->dpi);
        s->border_px = product->borderless ? 0 : (int)lround(product->border_mm / 25.4 * product->dpi);
        s->up = product->up;
        cw = s->image_w + 2 * s->border_px, ch = s->image_h + 2 * s->border_px;
        along_x = s->up == 2 && cw < ch; /* join along the short side */
        s->out_width = along_x ? 2 * cw : cw;
        s->out_height = s->up == 2 && !along_x ? 2 * ch : ch;
        /* Source profile: embedded, else EXIF colour space, else sRGB assumed. */
        s->src_colour = probe->colour_source;
        if (probe->colour_source == IMG_COLOUR_ICC && !probe->is_cmyk && probe->bands >= 3) {
                /* The probe identified the embedded profile (in the decode
                 * helper, for a customer's photo) and hashed its bytes; the
                 * render helper checks the same hash against the profile it
                 * reads from the photo. The photo is not opened here: this
                 * runs in the kiosk process. */
                if (!is_hex64(probe->icc_sha256)) {
                        rc = img_fail(err, IMG_E_BAD_PROFILE, "embedded profile not identified by the probe");
                        goto out;
                }
                snprintf(s->src_profile_sha256, sizeof(s->src_profile_sha256), "%s", probe->icc_sha256);
        } else {
                bool adobe = probe->colour_source == IMG_COLOUR_EXIF &&
                             strstr(probe->colour_name, "Adobe") != NULL;
                g_snprintf(s->src_profile_path, sizeof(s->src_profile_path), "%s/%s", profiles_dir,
                           adobe ? "AdobeRGB1998-compatible.icc" : "sRGB.icc");
                rc = img_profile_check_file(s->src_profile_path, s->src_profile_sha256, err);
                if (rc)
                        goto out;
                /* Grey (with or without alpha) and CMYK: libvips makes sRGB first
                 * (img__load_rgb), so the source is the shipped sRGB profile. */
                s->src_converted = probe->is_cmyk || probe->bands <= 2;
        }
        snprintf(s->paper, sizeof(s->paper), "%s", paper->name);
        snprintf(s->printer, sizeof(s->printer), "%s", printer ? printer : "");
        snprintf(s->profile_path, sizeof(s->profile_path), "%s", paper->profile_path);
        snprintf(s->profile_sha256, sizeof(s->profile_sha256), "%s", paper->profile_sha256);
        s->intent = paper->intent;
        s->bpc = paper->bpc;
        s->sharpen_sigma = paper->sharpen_sigma;
        s->sharpen_amount = paper->sharpen_amount;
        s->format = format;
        snprintf(s->vips_version, sizeof(s->vips_version), "%s", img_vips_version());
        snprintf(s->lcms_version, sizeof(s->lcms_version), "%s", img_lcms_version());
        rc = img_render_check(s, err);
        if (rc)
                goto out;
        *ret = *s;
        if (ret_crop)
                *ret_crop = c;
out:
        g_free(s);
        return rc;
}

#define CHECK(cond, ...)                                                    \
        do {                                                                \
                if (!(cond))                                                \
                        return img_fail(err, IMG_E_INVALID, __VA_ARGS__);   \
        } while (0)

int img_render_check(const struct img_render_spec *s, struct img_errbuf *err)
{
        CHECK(s, "no spec");
        CHECK(s->version == IMG_RECORD_VERSION, "version %d unsupported", s->version);
        CHECK(bounded(s->input_path, sizeof(s->input_path)) && s->input_path[0], "input_path");
        CHECK(is_hex64(s->input_sha256), "input_sha256");
        CHECK(s->input_format == IMG_FMT_JPEG || s->input_format == IMG_FMT_PNG ||
                      s->input_format == IMG_FMT_WEBP || s->input_format == IMG_FMT_HEIF,
              "input_format");
        const struct img_limits *l = img_get_limits();
        CHECK(s->src_width > 0 && s->src_height > 0 && (uint32_t)s->src_width <= l->max_side &&
                      (uint32_t)s->src_height <= l->max_side &&
                      (uint64_t)s->src_width * (uint64_t)s->src_height <= l->max_pixels,
              "source size");
        CHECK(s->orientation >= 1 && s->orientation <= 8, "orientation");
        CHECK(s->rotate == 0 || s->rotate == 90 || s->rotate == 180 || s->rotate == 270, "rotate");
        CHECK(isfinite(s->crop.x) && isfinite(s->crop.y) && isfinite(s->crop.w) &&
                      isfinite(s->crop.h) && s->crop.x >= 0 && s->crop.y >= 0 && s->crop.w > 0 &&
                      s->crop.h > 0 && s->crop.x + s->crop.w <= 1 + 1e-9 &&
                      s->crop.y + s->crop.h <= 1 + 1e-9,
              "crop");
        CHECK(bounded(s->sku, sizeof(s->sku)) && s->sku[0], "sku");
        CHECK(bounded(s->media, sizeof(s->media)) && s->media[0], "media");
        CHECK(s->dpi >= 150 && s->dpi <= 1200, "dpi");
        CHECK(isfinite(s->print_w_in) && isfinite(s->print_h_in) && s->print_w_in >= 0.5 &&
                      s->print_h_in >= 0.5 && s->print_w_in <= 21 && s->print_h_in <= 21,
              "print size");
        CHECK(abs(s->image_w - (int)lround(s->print_w_in * s->dpi)) <= 1 &&
                      abs(s->image_h - (int)lround(s->print_h_in * s->dpi)) <= 1,
              "image size does not match print size x dpi");
        CHECK(s->border_px >= 0 && s->border_px <= s->image_w / 2, "border_px");
        CHECK(s->up == 1 || s->up == 2, "up");
        int cw = s->image_w + 2 * s->border_px, ch = s->image_h + 2 * s->border_px;
        bool along_x = s->up == 2 && cw < ch;
        CHECK(s->out_width == (along_x ? 2 * cw : cw) &&
                      s->out_height == (s->up == 2 && !along_x ? 2 * ch : ch),
              "output size");
        CHECK(s->out_width <= IMG_RENDER_MAX_SIDE && s->out_height <= IMG_RENDER_MAX_SIDE,
              "output size over %d", IMG_RENDER_MAX_SIDE);
        CHECK(s->src_colour == IMG_COLOUR_ICC || s->src_colour == IMG_COLOUR_EXIF ||
                      s->src_colour == IMG_COLOUR_ASSUMED,
              "src_colour");
        CHECK(bounded(s->src_profile_path, sizeof(s->src_profile_path)), "src_profile_path");
        CHECK(s->src_colour == IMG_COLOUR_ICC && !s->src_converted ? !s->src_profile_path[0]
                                                                   : s->src_profile_path[0] != 0,
              "src_profile_path");
        CHECK(is_hex64(s->src_profile_sha256), "src_profile_sha256");
        CHECK(bounded(s->paper, sizeof(s->paper)) && s->paper[0], "paper");
        CHECK(bounded(s->printer, sizeof(s->printer)), "printer");
        CHECK(bounded(s->profile_path, sizeof(s->profile_path)) && s->profile_path[0],
              "profile_path");
        CHECK(is_hex64(s->profile_sha256), "profile_sha256");
        CHECK((unsigned)s->intent < _IMG_INTENT_MAX, "intent");
        CHECK(isfinite(s->sharpen_sigma) && (s->sharpen_sigma == 0 ||
                                             (s->sharpen_sigma >= 0.3 && s->sharpen_sigma <= 3)),
              "sharpen_sigma");
        CHECK(isfinite(s->sharpen_amount) && s->sharpen_amount >= 0 && s->sharpen_amount <= 10,
              "sharpen_amount");
        CHECK((unsigned)s->format < _IMG_OUT_MAX, "format");
        CHECK(bounded(s->vips_version, sizeof(s->vips_version)) &&
                      bounded(s->lcms_version, sizeof(s->lcms_version)),
              "versions");
        return IMG_OK;
}

/* ---- render ------------------------------------------------------------------- */

/* Unsharp mask as one integer convolution: out = (1 + a) in - a blur(in),
 * blur a Gaussian of sigma. It works on the RGB channels directly: libvips'
 * vips_sharpen round-trips every pixel through LabS, which cost a third of a
 * 6x4 master's CPU time, and assumes sRGB primaries the source may not have.
 * Integer arithmetic keeps it exact and deterministic. */
static int unsharp(VipsImage *in, VipsImage **out, double sigma, double amount)
{
        VipsImage *g = NULL, *m = NULL;
        int r = vips_gaussmat(&g, sigma, 0.1, "precision", VIPS_PRECISION_INTEGER, NULL);
        if (!r && vips_image_wio_input(g))
                r = -1;
        if (!r) {
                int n = g->Xsize * g->Ysize;
                double gs = vips_image_get_scale(g);
                /* Amount in tenths keeps the combined mask integral. */
                double a10 = round(amount * 10);
                m = vips_image_new_matrix(g->Xsize, g->Ysize);
                for (int i = 0; i < n; i++) {
                        int x = i % g->Xsize, y = i / g->Xsize;
                        double v = -a10 * *VIPS_MATRIX(g, x, y);
                        if (x == g->Xsize / 2 && y == g->Ysize / 2)
                                v += (10 + a10) * gs;
                        *VIPS_MATRIX(m, x, y) = v;
                }
                vips_image_set_double(m, "scale", 10 * gs);
                vips_image_set_double(m, "offset", 0);
                r = vips_conv(in, out, m, "precision",
                              in->BandFmt == VIPS_FORMAT_UCHAR ? VIPS_PRECISION_INTEGER
                                                               : VIPS_PRECISION_FLOAT,
                              NULL);
        }
        if (g)
                g_object_unref(g);
        if (m)
                g_object_unref(m);
        return r;
}

struct xform_job {
        const struct img_icc *src, *dst;
        enum img_intent intent;
        bool bpc;
        enum img_px_format fmt;
        struct img_xform *xf; /* out */
        int rc;               /* out */
        struct img_errbuf err;
};

static void *build_xform(void *arg)
{
        struct xform_job *j = arg;
        j->rc = img_colour_transform(j->src, j->dst, j->intent, j->bpc, j->fmt, &j->xf, &j->err);
        return NULL;
}

/* Largest JPEG shrink that still leaves at least the target pixels in the
 * crop, so shrink-on-load never costs resolution. */
static int pick_shrink(const struct img_render_spec *s)
{
        if (s->input_format != IMG_FMT_JPEG)
                return 1;
        int dw, dh;
        img_crop_display_size(s->src_width, s->src_height, s->orientation, s->rotate, &dw, &dh);
        double cw = s->crop.w * dw, ch = s->crop.h * dh;
        for (int f = 8; f > 1; f /= 2)
                if (floor(cw / f) >= s->image_w && floor(ch / f) >= s->image_h)
                        return f;
        return 1;
}

int img_render_expected(const struct img_render_spec *s, struct img_render_result *ret,
                        struct img_errbuf *err)
{
        int rc = img_render_check(s, err);
        if (rc)
                return rc;
        if (!ret)
                return img_fail(err, IMG_E_INVALID, "no result");
        struct img_render_result r = {0};
        int dw, dh;
        r.width = s->out_width, r.height = s->out_height;
        img_crop_display_size(s->src_width, s->src_height, s->orientation, s->rotate, &dw, &dh);
        double ex = s->crop.w * dw / s->print_w_in, ey = s->crop.h * dh / s->print_h_in;
        r.effective_dpi = ex < ey ? ex : ey;
        r.shrink = pick_shrink(s);
        *ret = r;
        return IMG_OK;
}

uint64_t img_render_max_bytes(const struct img_render_spec *s)
{
        /* Uncompressed 8-bit RGB (TIFF; PNG's worst case is the raw rows plus
         * a filter byte each and deflate's stored-block overhead), plus the
         * embedded paper profile and the headers. */
        uint64_t raw = (uint64_t)s->out_width * (uint64_t)s->out_height * 3;
        return raw + raw / 1000 + (uint64_t)s->out_height + img_get_limits()->max_icc_bytes +
               (1u << 20);
}

/* The whole pipeline, encoding into `target`. Fills ret except sha256 and
 * bytes (the caller knows the file). */
static int render_to_target(const struct img_render_spec *spec, unsigned flags,
                            VipsTarget *target, struct img_render_result *ret,
                            struct img_errbuf *err)
{
        int rc = IMG_OK;
        const struct img_render_spec *s = spec;
        if (flags & IMG_RENDER_VERIFY) {
                char sha[65];
                if (strcmp(s->vips_version, img_vips_version()) != 0 ||
                    strcmp(s->lcms_version, img_lcms_version()) != 0)
                        return img_fail(err, IMG_E_INVALID,
                                        "record made with %s / %s, running %s / %s", s->vips_version,
                                        s->lcms_version, img_vips_version(), img_lcms_version());
                rc = img_sha256_file(s->input_path, img_get_limits()->max_file_bytes, sha, err);
                if (rc)
                        return rc;
                if (strcmp(sha, s->input_sha256) != 0)
                        return img_fail(err, IMG_E_INVALID, "input changed: sha256 %.16s..., "
                                        "record has %.16s...", sha, s->input_sha256);
        }
        struct img_icc paper = {0}, src = {0}, embedded = {0};
        struct img_xform *xf = NULL;
        uint8_t *in_px = NULL, *out_px = NULL;
        VipsImage *base = vips_image_new();
        VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(base), 12);
        VipsImage *img = NULL;
        bool converted = false;
        int shrink = pick_shrink(s);
        const char *srgb = s->src_profile_path[0] ? s->src_profile_path : "srgb";
        enum img_px_format pxf = IMG_PX_RGB8;
        struct xform_job job = {0};
        pthread_t builder;
        bool building = false;
        int W, H, cx, cy, cw, ch;
        double hs, vs, res;
        VipsImage *cur = NULL;
        size_t in_len = 0, in_stride, out_stride;
        struct img_render_result r;

        rc = img_render_expected(s, &r, err);
        if (rc)
                return rc;
        rc = img_icc_load_file(s->profile_path, &paper, err);
        if (rc)
                goto out;
        if (strcmp(paper.sha256, s->profile_sha256) != 0) {
                rc = img_fail(err, IMG_E_INVALID, "paper profile changed since the record");
                goto out;
        }
        rc = img__load_rgb(s->input_path, s->input_format, shrink, s->orientation, s->rotate, srgb,
                           &img, &embedded, &converted, err);
        if (rc)
                goto out;
        t[0] = img;
        if (converted != s->src_converted) {
                rc = img_fail(err, IMG_E_INVALID, "input colour layout differs from the record");
                goto out;
        }
        if (embedded.data) {
                src = embedded;
                memset(&embedded, 0, sizeof(embedded));
        } else {
                rc = img_icc_load_file(s->src_profile_path, &src, err);
                if (rc)
                        goto out;
        }
        if (strcmp(src.sha256, s->src_profile_sha256) != 0) {
                rc = img_fail(err, IMG_E_INVALID, "source profile differs from the record");
                goto out;
        }
        pxf = img->BandFmt == VIPS_FORMAT_USHORT ? IMG_PX_RGB16 : IMG_PX_RGB8;
        /* Building an LUT transform costs as much as the decode; the cache makes
         * it free from the second master on, and the first one is built on a
         * second thread while libvips decodes (the JPEG decode is serial). */
        job = (struct xform_job){&src, &paper, s->intent, s->bpc, pxf, NULL, IMG_OK, {""}};
        building = pthread_create(&builder, NULL, build_xform, &job) == 0;
        if (!building)
                build_xform(&job);

        /* Crop in the (shrunk) source pixels, then resize to exactly size x dpi. */
        W = img->Xsize, H = img->Ysize;
        cx = (int)lround(s->crop.x * W), cy = (int)lround(s->crop.y * H);
        cw = (int)lround(s->crop.w * W), ch = (int)lround(s->crop.h * H);
        cw = cw < 1 ? 1 : cw, ch = ch < 1 ? 1 : ch;
        cx = cx + cw > W ? W - cw : cx, cy = cy + ch > H ? H - ch : cy;
        cx = cx < 0 ? 0 : cx, cy = cy < 0 ? 0 : cy;
        if (cw > W || ch > H || vips_extract_area(img, &t[1], cx, cy, cw, ch, NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "crop");
                goto out;
        }
        hs = (double)s->image_w / cw, vs = (double)s->image_h / ch;
        if (vips_resize(t[1], &t[2], hs, "vscale", vs, "kernel", VIPS_KERNEL_LANCZOS3, NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "resize");
                goto out;
        }
        cur = t[2];
        if (cur->Xsize != s->image_w || cur->Ysize != s->image_h) {
                /* Rounding left a pixel over or short: trim or repeat the edge. */
                if (vips_gravity(cur, &t[3], VIPS_COMPASS_DIRECTION_CENTRE, s->image_w, s->image_h,
                                 "extend", VIPS_EXTEND_COPY, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "fit");
                        goto out;
                }
                cur = t[3];
        }
        if (s->sharpen_sigma > 0 && s->sharpen_amount > 0) {
                if (unsharp(cur, &t[4], s->sharpen_sigma, s->sharpen_amount) ||
                    vips_cast(t[4], &t[5], cur->BandFmt, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "sharpen");
                        goto out;
                }
                cur = t[5];
        }
        in_px = vips_image_write_to_memory(cur, &in_len);
        in_stride = (size_t)s->image_w * (pxf == IMG_PX_RGB16 ? 6 : 3);
        if (!in_px || in_len != in_stride * (size_t)s->image_h) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "pixels");
                goto out;
        }
        if (building) {
                pthread_join(builder, NULL);
                building = false;
        }
        xf = job.xf;
        if (job.rc) {
                rc = img_fail(err, job.rc, "%s", job.err.msg);
                goto out;
        }
        out_stride = (size_t)s->image_w * 3;
        out_px = g_malloc(out_stride * (size_t)s->image_h);
        img_xform_apply(xf, in_px, in_stride, out_px, out_stride, s->image_w, s->image_h, 2);
        g_free(in_px);
        in_px = NULL;

        t[6] = vips_image_new_from_memory(out_px, out_stride * (size_t)s->image_h, s->image_w,
                                          s->image_h, 3, VIPS_FORMAT_UCHAR);
        if (!t[6]) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "wrap pixels");
                goto out;
        }
        cur = t[6];
        if (s->border_px > 0) {
                if (vips_embed(cur, &t[7], s->border_px, s->border_px, s->image_w + 2 * s->border_px,
                               s->image_h + 2 * s->border_px, "extend", VIPS_EXTEND_WHITE, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "border");
                        goto out;
                }
                cur = t[7];
        }
        if (s->up == 2) {
                VipsDirection d = s->out_width > cur->Xsize ? VIPS_DIRECTION_HORIZONTAL
                                                             : VIPS_DIRECTION_VERTICAL;
                if (vips_join(cur, cur, &t[8], d, NULL)) {
                        rc = img__vips_fail(err, IMG_E_INTERNAL, "2-up");
                        goto out;
                }
                cur = t[8];
        }
        res = s->dpi / 25.4; /* libvips resolution is pixels per mm */
        if (vips_copy(cur, &t[9], "interpretation", VIPS_INTERPRETATION_sRGB, "xres", res, "yres",
                      res, NULL)) {
                rc = img__vips_fail(err, IMG_E_INTERNAL, "copy");
                goto out;
        }
        cur = t[9];
        /* The master carries its paper profile (the printer's colour management
         * is off; the profile documents what the pixels mean). */
        vips_image_set_blob_copy(cur, VIPS_META_ICC_NAME, paper.data, paper.len);
        if (cur->Xsize != s->out_width || cur->Ysize != s->out_height) {
                rc = img_fail(err, IMG_E_INTERNAL, "master is %dx%d, spec says %dx%d", cur->Xsize,
                              cur->Ysize, s->out_width, s->out_height);
                goto out;
        }
        if (s->format == IMG_OUT_TIFF)
                rc = vips_tiffsave_target(cur, target, "compression",
                                          VIPS_FOREIGN_TIFF_COMPRESSION_NONE, "resunit",
                                          VIPS_FOREIGN_TIFF_RESUNIT_INCH, NULL);
        else
                rc = vips_pngsave_target(cur, target, "compression", 6, "filter",
                                         VIPS_FOREIGN_PNG_FILTER_ALL, NULL);
        if (rc || vips_target_end(target)) {
                rc = img__vips_fail(err, IMG_E_IO, "encode");
                goto out;
        }
        *ret = r;
out:
        if (building) {
                pthread_join(builder, NULL);
                xf = job.xf;
        }
        g_free(in_px);
        g_object_unref(base); /* drops t[6] before out_px is freed */
        g_free(out_px);
        img_xform_unref(xf);
        img_icc_done(&paper);
        img_icc_done(&src);
        img_icc_done(&embedded);
        return rc;
}

int img_render_master_fd(const struct img_render_spec *spec, int out_fd, unsigned flags,
                         struct img_render_result *ret, struct img_errbuf *err)
{
        int rc = img_render_check(spec, err);
        if (rc)
                return rc;
        if (out_fd < 0 || !ret)
                return img_fail(err, IMG_E_INVALID, "no output descriptor");
        /* TIFF seeks back to patch its directory offsets: the file must start
         * at the descriptor's offset 0 and hold nothing yet. */
        struct stat st;
        if (fstat(out_fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0 ||
            lseek(out_fd, 0, SEEK_CUR) != 0)
                return img_fail(err, IMG_E_INVALID, "output must be an empty regular file");
        VipsTarget *target = vips_target_new_to_descriptor(out_fd);
        if (!target)
                return img__vips_fail(err, IMG_E_IO, "output descriptor");
        struct img_render_result r;
        rc = render_to_target(spec, flags, target, &r, err);
        g_object_unref(target); /* a descriptor target leaves the fd open */
        if (rc)
                return rc;
        rc = img__sha256_fd(out_fd, img_render_max_bytes(spec), r.sha256, &r.bytes, err);
        if (rc)
                return rc;
        *ret = r;
        return IMG_OK;
}

int img_render_master(const struct img_render_spec *spec, const char *out_path, unsigned flags,
                      struct img_render_result *ret, struct img_errbuf *err)
{
        int rc = img_render_check(spec, err);
        if (rc)
                return rc;
        if (!out_path || !ret)
                return img_fail(err, IMG_E_INVALID, "no output path");
        char tmp[PATH_MAX + 16];
        int fd = -1;
        rc = img__tmp_create(out_path, tmp, sizeof(tmp), &fd, err);
        if (rc)
                return rc;
        struct img_render_result r;
        rc = img_render_master_fd(spec, fd, flags, &r, err);
        if (rc) {
                close(fd);
                unlink(tmp);
                return rc;
        }
        rc = img__tmp_commit(fd, tmp, out_path, err);
        if (rc)
                return rc;
        *ret = r;
        return IMG_OK;
}
