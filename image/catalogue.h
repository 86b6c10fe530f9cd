/* image/catalogue: the print products the kiosk sells (assets/catalogue.ini).
 *
 * A product says how big a print is, at what resolution it is rendered, on which
 * IPP media it goes, and when its resolution is too low. Sizes are stored long
 * side first; the renderer turns the print to match the photo (crop.h).
 *
 * Parsing: GKeyFile behind a line scanner that rejects anything that is not a
 * comment, [group] or key=value line, so every error names a line. Every field
 * is range-checked; unknown keys are errors (a typo must not silently become a
 * default). A loaded catalogue is immutable and may be shared between threads.
 */
#pragma once
#include "image/image.h"

/* Limits, each with its reason. */
#define IMG_CATALOGUE_MAX_BYTES (256u * 1024) /* a real catalogue is a few KB */
#define IMG_CATALOGUE_MAX_PRODUCTS 64         /* one kiosk screen of products */
#define IMG_SKU_MAX 32                        /* "PRINT-3X4-2UP" with room */
#define IMG_MEDIA_MAX 64                      /* PWG self-describing names */
#define IMG_PRODUCT_NAME_MAX 96

struct img_product {
        char sku[IMG_SKU_MAX];          /* [A-Z0-9-], starts with a letter */
        char name[IMG_PRODUCT_NAME_MAX];
        double long_in, short_in;       /* print size of one image, inches, long >= short */
        int dpi;                        /* 150..1200 */
        double bleed_mm;                /* 0..10, added on each side of the master */
        bool borderless;
        double border_mm;               /* 0..25, white border (0 when borderless) */
        char media[IMG_MEDIA_MAX];      /* PWG 5101.1 media name of the sheet */
        int up;                         /* 1 or 2 images per sheet */
        int warn_dpi, strong_dpi;       /* strong_dpi < warn_dpi */
};

struct img_catalogue; /* opaque, immutable after load */

/* Parse catalogue text (len bytes, need not be NUL-terminated). (transfer full)
 * *ret on success. IMG_E_INVALID with "line N: ..." in err on any error. */
int img_catalogue_parse(const char *data, size_t len, struct img_catalogue **ret,
                        struct img_errbuf *err);
/* Read and parse the file at path (IMG_E_UNREADABLE, IMG_E_FILE_TOO_LARGE). */
int img_catalogue_load(const char *path, struct img_catalogue **ret, struct img_errbuf *err);
/* NULL-safe; returns NULL. */
struct img_catalogue *img_catalogue_free(struct img_catalogue *c);

size_t img_catalogue_count(const struct img_catalogue *c);
/* Products in file order; NULL past the end. Pointers live as long as c. */
const struct img_product *img_catalogue_at(const struct img_catalogue *c, size_t i);
/* By SKU (exact match); NULL when absent. */
const struct img_product *img_catalogue_find(const struct img_catalogue *c, const char *sku);
