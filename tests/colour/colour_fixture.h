/* tests/colour fixtures: synthetic photos made with libvips inside the test,
 * and the render path with the shipped catalogue and manifest. */
#pragma once
#include "image/render.h"

#include <stdint.h>

/* The 24 ColorChecker patches as 8-bit sRGB (BabelColor averages). */
extern const uint8_t fx_macbeth[24][3];

/* Write a 6x4 grid of the patches, patch_px square each, as PNG at path, the
 * numbers interpreted in icc_path's space (embedded) or untagged when NULL.
 * portrait: 4 columns x 6 rows instead. Returns 0 on success. */
int fx_write_macbeth_png(const char *path, int patch_px, const char *icc_path, bool portrait);
/* Probe, spec (shipped catalogue + manifest, given printer/rotate/crop) and
 * render. Returns the img_error. */
int fx_render(const char *in, const char *sku, const char *paper, const char *out,
              struct img_render_spec *ret_spec, struct img_render_result *ret_res);
/* Decode a trusted image (our masters) to 8-bit RGB (malloc'd), and its
 * embedded profile's SHA-256 ("" when none). NULL on failure. */
uint8_t *fx_read_rgb8(const char *path, int *w, int *h, char icc_sha[65]);
/* Shipped profile path (static buffer per call site is not needed: malloc'd). */
char *fx_profile(const char *name);
