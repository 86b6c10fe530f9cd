/* image/render: deterministic print masters.
 *
 * struct img_render_spec holds every parameter of a master; it IS the transform
 * record (app/transform_record.c turns it into JSON and back). The same spec
 * renders the same bytes: the pipeline is fixed (decode with JPEG shrink-on-load
 * chosen from the spec -> EXIF orientation -> customer rotation -> crop in
 * source pixels -> Lanczos3 resize to size x dpi -> output sharpening -> lcms2
 * source -> paper profile -> 8-bit RGB -> border / 2-up layout -> TIFF or PNG
 * with the paper profile embedded), nothing in it reads the clock, and the
 * encoders are set to write no dates.
 *
 * Flow: img_render_spec_init_from() fills a spec from the probe, the product,
 * the paper and the customer's crop; img_render_check() validates every field
 * (call it on specs read from outside); img_render_master() renders.
 * Thread-safe (libvips and the transform cache are).
 */
#pragma once
#include "image/catalogue.h"
#include "image/crop.h"
#include "image/image.h"
#include "image/paper.h"
#include "image/probe.h"

#include <limits.h>

#define IMG_RECORD_VERSION 1
#define IMG_RENDER_MAX_SIDE 20000 /* a 10x8" 2-up at 1200 dpi; more is a bad spec */

enum img_out_format {
        IMG_OUT_TIFF = 0,
        IMG_OUT_PNG = 1,
        _IMG_OUT_MAX,
};
const char *img_out_format_name(enum img_out_format f); /* "tiff", "png" */
bool img_out_format_parse(const char *s, enum img_out_format *ret);

struct img_render_spec {
        int version;                     /* IMG_RECORD_VERSION */
        /* input */
        char input_path[PATH_MAX];
        char input_sha256[65];
        enum img_format input_format;    /* JPEG, PNG, WebP, HEIF */
        int src_width, src_height;       /* as stored */
        int orientation;                 /* EXIF 1..8 applied first */
        int rotate;                      /* then the customer's 0/90/180/270 clockwise */
        struct img_rect crop;            /* normalised, in the rotated image */
        /* product */
        char sku[IMG_SKU_MAX];
        char media[IMG_MEDIA_MAX];
        int dpi;
        double print_w_in, print_h_in;   /* photo extent on one print, as placed */
        int image_w, image_h;            /* photo pixels of one print */
        int border_px;                   /* white border around each image */
        int up;                          /* copies per sheet, joined along the short side */
        int out_width, out_height;       /* the master */
        /* colour */
        enum img_colour_source src_colour; /* icc (embedded), exif, assumed */
        char src_profile_path[PATH_MAX];   /* shipped profile used when not embedded */
        char src_profile_sha256[65];
        bool src_converted;                /* grey/CMYK/odd: libvips made sRGB first */
        char paper[IMG_PAPER_NAME_MAX];
        char printer[IMG_PRINTER_MODEL_MAX]; /* "" = default */
        char profile_path[PATH_MAX];
        char profile_sha256[65];
        enum img_intent intent;
        bool bpc;
        double sharpen_sigma, sharpen_amount;
        /* output */
        enum img_out_format format;
        char vips_version[32];
        char lcms_version[32];
};

struct img_render_result {
        char sha256[65];        /* of the master file */
        uint64_t bytes;
        int width, height;
        double effective_dpi;   /* source pixels per inch inside the crop (the
                                   warning level comes from img_crop_compute) */
        int shrink;             /* JPEG shrink-on-load factor used (1, 2, 4, 8) */
};

/* Fill *ret from a probed photo (probe of input_path, sha256 included), a
 * product, a paper (img_paper_lookup) and the customer's choices. crop NULL =
 * centred cover crop. profiles_dir holds sRGB.icc and
 * AdobeRGB1998-compatible.icc for photos without an embedded profile. Also
 * returns the crop geometry (ret_crop may be NULL). */
int img_render_spec_init_from(const char *input_path, const struct img_probe *probe,
                              const struct img_product *product, const struct img_paper *paper,
                              const char *printer, int rotate, const struct img_rect *crop,
                              enum img_out_format format, const char *profiles_dir,
                              struct img_render_spec *ret, struct img_crop *ret_crop,
                              struct img_errbuf *err);
/* Validate every field (ranges, string lengths, hex hashes, consistency of the
 * geometry). IMG_E_INVALID with the field named in err. */
int img_render_check(const struct img_render_spec *spec, struct img_errbuf *err);

enum img_render_flags {
        /* Re-hash the input and the profiles and refuse (IMG_E_INVALID, "input
         * changed") when they differ from the spec: for re-renders from a record. */
        IMG_RENDER_VERIFY = 1 << 0,
};
/* Render the master to out_path (temp file + fsync + rename + fsync dir).
 * The library versions in spec must equal the running ones when
 * IMG_RENDER_VERIFY is set (a different libvips may resample differently).
 * Same pipeline and bytes as img_render_master_fd (it is built on it). */
int img_render_master(const struct img_render_spec *spec, const char *out_path, unsigned flags,
                      struct img_render_result *ret, struct img_errbuf *err);
/* Render the master into out_fd: an empty regular file at offset 0, opened
 * read-write (the encoded file is hashed back from it for ret->sha256 and
 * ret->bytes). No fsync, no rename: the caller owns the file and makes it
 * durable. The fd stays the caller's. On error the file may hold a partial
 * master. Used by the sandboxed render helper (app/render/). */
int img_render_master_fd(const struct img_render_spec *spec, int out_fd, unsigned flags,
                         struct img_render_result *ret, struct img_errbuf *err);
/* What a correct master of this spec must be, without rendering: width,
 * height, effective_dpi and shrink (sha256 "" and bytes 0). Checks the spec
 * first (IMG_E_INVALID). Lets a caller check a helper's answer. */
int img_render_expected(const struct img_render_spec *spec, struct img_render_result *ret,
                        struct img_errbuf *err);
/* Upper bound of a master file's size for this (checked) spec: uncompressed
 * 8-bit RGB plus profile and headers. */
uint64_t img_render_max_bytes(const struct img_render_spec *spec);
