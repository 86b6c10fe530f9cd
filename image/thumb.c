/* image/thumb: grid thumbnails, orientation applied, 8-bit sRGB out (thumb.h).
 *
 * Path: img_probe_internal (same rules and reasons as img_probe_file, without
 * the file hash) -> the EXIF thumbnail when it is big enough and has the
 * photo's aspect (within 2 %) -> else, for a progressive JPEG whose 1/8 scale
 * still covers the size, its DC scans only (jpeg_dc.c: libjpeg would
 * otherwise decode every scan of the whole image first, 5-8x the time of a
 * baseline photo) -> else libvips' shrink-on-load thumbnail (the JPEG decoder
 * scales by 1/2..1/8 while decoding, so a 24 MP photo never exists in memory
 * at full size) -> colour to sRGB on the small image only -> alpha flattened
 * onto white -> 3-band uchar. The EXIF and DC images share one tail
 * (small_image_thumb: orientation, vips_thumbnail_image).
 *
 * Colour: an embedded profile other than sRGB, a CMYK photo and EXIF Adobe RGB
 * are converted with lcms2 (through libvips' icc_transform) after shrinking;
 * sRGB and "assumed" photos are not transformed at all (nothing to do, and it is
 * the common case, so it costs nothing). EXIF thumbnails are treated as sRGB
 * unless the photo says EXIF Adobe RGB (DCF thumbnails share the photo's space);
 * with an embedded non-sRGB profile the EXIF thumbnail is never used, since
 * its space is unknown.
 *
 * Invariants: the spec is checked before any work; every libvips object is
 * unreffed on every path; thread-safe (no shared mutable state except the
 * Adobe RGB profile, built once under g_once). */
#include "image/thumb.h"
#include "image/jpeg_dc_internal.h"
#include "image/probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <lcms2.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THUMB_MIN_SIZE 16
#define THUMB_MAX_SIZE 2048
/* An EXIF thumbnail larger than this is not a thumbnail: refuse to decode it. */
#define EXIF_THUMB_MAX_SIDE 4096
#define ASPECT_TOLERANCE 0.02

void img_pixels_free(struct img_pixels *px)
{
        if (!px)
                return;
        g_free(px->data);
        memset(px, 0, sizeof(*px));
}

/* Adobe RGB (1998) from its published primaries, white D65 and gamma
 * 563/256, for photos that say Adobe RGB in EXIF only. Built once. */
struct mem_profile {
        void *data;
        size_t len;
};

static gpointer build_adobe_rgb(gpointer unused)
{
        (void)unused;
        static struct mem_profile prof;
        cmsCIExyY white = {0.3127, 0.3290, 1.0};
        cmsCIExyYTRIPLE prim = {{0.64, 0.33, 1.0}, {0.21, 0.71, 1.0}, {0.15, 0.06, 1.0}};
        cmsContext ctx = cmsCreateContext(NULL, NULL);
        cmsToneCurve *g = cmsBuildGamma(ctx, 563.0 / 256.0);
        cmsToneCurve *curves[3] = {g, g, g};
        cmsHPROFILE p = g ? cmsCreateRGBProfileTHR(ctx, &white, &prim, curves) : NULL;
        cmsUInt32Number n = 0;
        if (p && cmsSaveProfileToMem(p, NULL, &n) && n > 0) {
                prof.data = g_malloc(n);
                if (cmsSaveProfileToMem(p, prof.data, &n))
                        prof.len = n;
        }
        if (p)
                cmsCloseProfile(p);
        if (g)
                cmsFreeToneCurve(g);
        cmsDeleteContext(ctx);
        return &prof;
}

static const struct mem_profile *adobe_rgb_profile(void)
{
        static GOnce once = G_ONCE_INIT;
        return g_once(&once, build_adobe_rgb, NULL);
}

/* in -> *out with `fn` applied; unrefs in. Returns 0 or -1 (in unreffed). */
#define STEP(in, call)                                                                             \
        ({                                                                                         \
                VipsImage *o_ = NULL;                                                              \
                int r_ = (call);                                                                   \
                g_object_unref(in);                                                                \
                in = r_ == 0 ? o_ : NULL;                                                          \
                r_;                                                                                \
        })

/* Colour to 8-bit sRGB, alpha onto white, 3 bands. Consumes `im` (always
 * unreffed); *ret is (transfer full). */
static int to_srgb8(VipsImage *im, const struct img_probe *pr, bool exif_thumb, VipsImage **ret,
                    struct img_errbuf *err)
{
        bool transformed = false;
        if (vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK) {
                if (STEP(im, vips_icc_transform(im, &o_, "srgb", "embedded", TRUE, "input_profile",
                                                "cmyk", NULL)))
                        return img_vips_fail(err, IMG_E_CORRUPT, NULL, "CMYK to sRGB failed");
                transformed = true;
        } else if (pr->colour_source == IMG_COLOUR_ICC && strcmp(pr->colour_name, "sRGB") != 0 &&
                   !exif_thumb && vips_image_get_typeof(im, VIPS_META_ICC_NAME)) {
                if (STEP(im, vips_icc_transform(im, &o_, "srgb", "embedded", TRUE, NULL)))
                        return img_vips_fail(err, IMG_E_BAD_PROFILE, NULL, "colour conversion to sRGB failed");
                transformed = true;
        } else if (pr->colour_source == IMG_COLOUR_EXIF &&
                   strcmp(pr->colour_name, "Adobe RGB (1998)") == 0 && vips_image_get_bands(im) >= 3) {
                const struct mem_profile *ap = adobe_rgb_profile();
                if (ap->len) {
                        VipsImage *c = NULL;
                        if (vips_copy(im, &c, NULL)) {
                                g_object_unref(im);
                                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "copy failed");
                        }
                        g_object_unref(im);
                        im = c;
                        /* The blob points at static memory that lives for the process. */
                        vips_image_set_blob(im, VIPS_META_ICC_NAME, NULL, ap->data, ap->len);
                        if (STEP(im, vips_icc_transform(im, &o_, "srgb", "embedded", TRUE, NULL)))
                                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "Adobe RGB to sRGB failed");
                        transformed = true;
                }
        }
        if (!transformed || vips_image_get_interpretation(im) != VIPS_INTERPRETATION_sRGB) {
                /* grey, 16-bit, ... -> 8-bit sRGB; a no-op for sRGB uchar. */
                if (STEP(im, vips_colourspace(im, &o_, VIPS_INTERPRETATION_sRGB, NULL)))
                        return img_vips_fail(err, IMG_E_CORRUPT, NULL, "conversion to sRGB failed");
        }
        if (vips_image_hasalpha(im)) {
                VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
                int r = STEP(im, vips_flatten(im, &o_, "background", white, "max_alpha", 255.0, NULL));
                vips_area_unref(VIPS_AREA(white));
                if (r)
                        return img_vips_fail(err, IMG_E_CORRUPT, NULL, "flattening alpha failed");
        }
        if (vips_image_get_bands(im) > 3 &&
            STEP(im, vips_extract_band(im, &o_, 0, "n", 3, NULL)))
                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "band extract failed");
        if (vips_image_get_format(im) != VIPS_FORMAT_UCHAR &&
            STEP(im, vips_cast_uchar(im, &o_, NULL)))
                return img_vips_fail(err, IMG_E_INTERNAL, NULL, "cast failed");
        if (vips_image_get_bands(im) != 3) {
                g_object_unref(im);
                return img_fail(err, IMG_E_INTERNAL, "unexpected %d-band result", vips_image_get_bands(im));
        }
        *ret = im;
        return IMG_OK;
}

/* The shared tail of the EXIF-thumbnail and DC paths: a small, decoded,
 * not yet oriented image of the photo -> *ret, oriented as the photo and
 * thumbnailed to the spec ((transfer full)). `icc_from` (may be NULL): the
 * header whose embedded profile the small image carries on, so that to_srgb8
 * converts it as it would the libvips thumbnail. Does not consume `small`.
 * Returns 0, or -1 with libvips' error pending. */
static int small_image_thumb(VipsImage *small, VipsImage *icc_from, const struct img_probe *pr,
                             const struct img_thumb_spec *spec, VipsImage **ret)
{
        VipsImage *c = NULL, *rot = NULL;
        if (vips_copy(small, &c, NULL))
                return -1;
        vips_image_set_int(c, VIPS_META_ORIENTATION, pr->orientation);
        if (icc_from && vips_image_get_typeof(icc_from, VIPS_META_ICC_NAME)) {
                const void *icc = NULL;
                size_t ilen = 0;
                if (vips_image_get_blob(icc_from, VIPS_META_ICC_NAME, &icc, &ilen) == 0 && ilen > 0)
                        vips_image_set_blob_copy(c, VIPS_META_ICC_NAME, icc, ilen);
        }
        int r = vips_autorot(c, &rot, NULL);
        g_object_unref(c);
        if (r)
                return -1;
        r = vips_thumbnail_image(rot, ret, spec->size, "height", spec->size, "crop",
                                 spec->square ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
                                 "size", VIPS_SIZE_DOWN, NULL);
        g_object_unref(rot);
        return r;
}

/* The EXIF thumbnail as the thumbnail, when it is big enough and has the
 * photo's shape; NULL (and no error) otherwise. */
static VipsImage *try_exif_thumb(VipsImage *hdr, const struct img_exif *ex,
                                 const struct img_probe *pr, const struct img_thumb_spec *spec)
{
        const uint8_t *blob = NULL;
        size_t blen = 0;
        VipsImage *t = NULL, *mem = NULL, *out = NULL;
        if (!ex->thumb_length ||
            (pr->colour_source == IMG_COLOUR_ICC && strcmp(pr->colour_name, "sRGB") != 0))
                return NULL;
        if (vips_image_get_blob(hdr, VIPS_META_EXIF_NAME, (const void **)&blob, &blen) != 0 ||
            ex->thumb_offset > blen || ex->thumb_length > blen - ex->thumb_offset)
                return NULL;
        if (vips_jpegload_buffer((void *)(blob + ex->thumb_offset), ex->thumb_length, &t, "fail_on",
                                 VIPS_FAIL_ON_TRUNCATED, NULL))
                goto fail;
        {
                int tw = vips_image_get_width(t), th = vips_image_get_height(t);
                if (tw <= 0 || th <= 0 || tw > EXIF_THUMB_MAX_SIDE || th > EXIF_THUMB_MAX_SIDE)
                        goto fail;
                int ow = pr->orientation >= 5 ? th : tw, oh = pr->orientation >= 5 ? tw : th;
                int need = spec->square ? (ow < oh ? ow : oh) : (ow > oh ? ow : oh);
                if (need < spec->size)
                        goto fail;
                double a = (double)ow / oh, want = (double)pr->oriented_width / pr->oriented_height;
                if (fabs(a - want) / want > ASPECT_TOLERANCE)
                        goto fail;
        }
        /* Decode the small JPEG now: its bytes belong to hdr's metadata. */
        mem = vips_image_copy_memory(t);
        if (mem && small_image_thumb(mem, NULL, pr, spec, &out) != 0)
                out = NULL;
fail:
        vips_error_clear();
        if (t)
                g_object_unref(t);
        if (mem)
                g_object_unref(mem);
        return out;
}

static int check_spec(const struct img_thumb_spec *spec, struct img_errbuf *err)
{
        if (!spec)
                return img_fail(err, IMG_E_INVALID, "no thumbnail spec");
        if (spec->size < THUMB_MIN_SIZE || spec->size > THUMB_MAX_SIZE)
                return img_fail(err, IMG_E_INVALID, "thumbnail size %d is outside %d..%d", spec->size,
                                THUMB_MIN_SIZE, THUMB_MAX_SIZE);
        if (spec->quality < 1 || spec->quality > 100)
                return img_fail(err, IMG_E_INVALID, "JPEG quality %d is outside 1..100", spec->quality);
        return IMG_OK;
}

/* The finished thumbnail image, (transfer full) in *ret. */
static int make_thumb(const char *path, int in_fd, const struct img_thumb_spec *spec, VipsImage **ret,
                      struct img_thumb_info *info, struct img_errbuf *err)
{
        struct img_probe pr;
        struct img_exif ex;
        VipsImage *hdr = NULL, *t = NULL;
        VipsSource *src = NULL;
        bool from_exif = false, from_dc = false;
        int rc = check_spec(spec, err);
        if (rc < 0)
                return rc;
        rc = img_probe_internal(path, in_fd, IMG_PROBE_NO_HASH, &pr, &hdr, &src, &ex, err);
        if (rc < 0)
                return rc;
        if (spec->allow_exif_thumbnail)
                t = try_exif_thumb(hdr, &ex, &pr, spec);
        from_exif = t != NULL;
        if (!t && !spec->full_decode && pr.format == IMG_FMT_JPEG && pr.progressive && !pr.is_cmyk) {
                /* Through the probe's own descriptor (pread, offset untouched),
                 * so the bytes are the checked ones, as for libvips below. */
                VipsImage *dc = NULL;
                rc = img_jpeg_dc_thumb(VIPS_CONNECTION(src)->descriptor, pr.file_size, spec->size,
                                       spec->square, &dc, err);
                if (rc < 0) {
                        g_object_unref(hdr);
                        g_object_unref(src);
                        return rc;
                }
                if (rc == IMG_OK) {
                        int r = small_image_thumb(dc, hdr, &pr, spec, &t);
                        g_object_unref(dc);
                        if (r) {
                                g_object_unref(hdr);
                                g_object_unref(src);
                                return img_vips_fail(err, IMG_E_CORRUPT, path, "cannot decode");
                        }
                        from_dc = true;
                }
                rc = IMG_OK;
        }
        g_object_unref(hdr);
        if (!t) {
                vips_error_clear();
                /* Shrink-on-load, EXIF orientation applied, no colour work here
                 * (to_srgb8 does it on the small result). From the probe's
                 * source, never the path: see probe.c on libvips' cache. */
                if (vips_thumbnail_source(src, &t, spec->size, "height", spec->size, "crop",
                                          spec->square ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
                                          "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                          NULL)) {
                        g_object_unref(src);
                        return img_vips_fail(err, IMG_E_CORRUPT, path, "cannot decode");
                }
        }
        g_object_unref(src); /* t holds its own reference while it needs the file */
        rc = to_srgb8(t, &pr, from_exif, ret, err);
        if (rc < 0)
                return rc;
        if (info) {
                info->width = vips_image_get_width(*ret);
                info->height = vips_image_get_height(*ret);
                info->from_exif = from_exif;
                info->from_dc = from_dc;
                info->src_width = pr.oriented_width;
                info->src_height = pr.oriented_height;
        }
        return IMG_OK;
}

bool img_thumb_needs_full_decode(const struct img_probe *pr, const struct img_thumb_spec *spec)
{
        if (!pr || pr->format != IMG_FMT_JPEG || !pr->progressive)
                return false;
        if (!spec || spec->full_decode || pr->is_cmyk || (pr->bands != 1 && pr->bands != 3))
                return true;
        /* the DC image's size, as jpeg_dc.c keeps it (libvips' rounding down) */
        int w = pr->width >= 8 ? pr->width / 8 : pr->width;
        int h = pr->height >= 8 ? pr->height / 8 : pr->height;
        int have = spec->square ? (w < h ? w : h) : (w > h ? w : h);
        return have < spec->size;
}

static int thumb_to_pixels(const char *path, int in_fd, const struct img_thumb_spec *spec,
                           struct img_pixels *ret_px, struct img_thumb_info *ret_info,
                           struct img_errbuf *err)
{
        VipsImage *im = NULL;
        struct img_thumb_info info;
        if (!ret_px)
                return img_fail(err, IMG_E_INVALID, "no result");
        int rc = make_thumb(path, in_fd, spec, &im, &info, err);
        if (rc < 0)
                return rc;
        size_t len = 0;
        void *data = vips_image_write_to_memory(im, &len);
        int w = vips_image_get_width(im), h = vips_image_get_height(im);
        g_object_unref(im);
        if (!data)
                return img_vips_fail(err, IMG_E_CORRUPT, path, "cannot decode");
        if (len != (size_t)w * (size_t)h * 3) {
                g_free(data);
                return img_fail(err, IMG_E_INTERNAL, "unexpected pixel buffer size");
        }
        ret_px->width = w;
        ret_px->height = h;
        ret_px->stride = w * 3;
        ret_px->data = data;
        if (ret_info)
                *ret_info = info;
        return IMG_OK;
}

int img_thumb_to_pixels(const char *path, const struct img_thumb_spec *spec,
                        struct img_pixels *ret_px, struct img_thumb_info *ret_info,
                        struct img_errbuf *err)
{
        if (!path)
                return img_fail(err, IMG_E_INVALID, "no file");
        return thumb_to_pixels(path, -1, spec, ret_px, ret_info, err);
}

int img_thumb_fd_to_pixels(int fd, const struct img_thumb_spec *spec, struct img_pixels *ret_px,
                           struct img_thumb_info *ret_info, struct img_errbuf *err)
{
        if (fd < 0)
                return img_fail(err, IMG_E_INVALID, "no file");
        return thumb_to_pixels(NULL, fd, spec, ret_px, ret_info, err);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

int img_thumb_file(const char *path, const struct img_thumb_spec *spec, const char *out_path,
                   struct img_thumb_info *ret_info, struct img_errbuf *err)
{
        VipsImage *im = NULL;
        struct img_thumb_info info;
        void *buf = NULL;
        size_t len = 0;
        char *tmp = NULL;
        int fd = -1;
        if (!out_path)
                return img_fail(err, IMG_E_INVALID, "no output path");
        int rc = make_thumb(path, -1, spec, &im, &info, err);
        if (rc < 0)
                return rc;
        if (vips_jpegsave_buffer(im, &buf, &len, "Q", spec->quality, "strip", TRUE, NULL)) {
                g_object_unref(im);
                return img_vips_fail(err, IMG_E_CORRUPT, path, "cannot decode");
        }
        g_object_unref(im);
        /* Temp name + rename, so a reader never sees half a thumbnail. No fsync:
         * thumbnails are a cache rebuilt from the photo, never a durable record,
         * and an fsync per grid cell would cost more than the thumbnail. */
        tmp = g_strdup_printf("%s.tmp.XXXXXX", out_path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                rc = img_fail(err, IMG_E_IO, "cannot create the output: %s", strerror(errno));
                goto out;
        }
        if (fchmod(fd, 0644) != 0 || write_all(fd, buf, len) != 0) {
                rc = img_fail(err, IMG_E_IO, "cannot write the output: %s", strerror(errno));
                goto out;
        }
        if (close(fd) != 0) {
                fd = -1;
                rc = img_fail(err, IMG_E_IO, "cannot write the output: %s", strerror(errno));
                goto out;
        }
        fd = -1;
        if (rename(tmp, out_path) != 0) {
                rc = img_fail(err, IMG_E_IO, "cannot rename the output: %s", strerror(errno));
                goto out;
        }
        if (ret_info)
                *ret_info = info;
out:
        if (fd >= 0)
                close(fd);
        if (rc < 0 && tmp)
                unlink(tmp);
        g_free(tmp);
        g_free(buf);
        return rc;
}
