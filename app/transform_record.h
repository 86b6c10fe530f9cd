/* app/transform_record: the transform record of a print master as JSON
 * (jansson), and back.
 *
 * The record is struct img_render_spec (every parameter that decides a pixel)
 * plus, when rendered, the result (output SHA-256, size, effective dpi). JSON ->
 * spec validates everything: known "record_version" only, bounded strings, hex
 * hashes, numeric ranges, then img_render_check(). Unknown keys are refused so
 * a newer record is never half-understood.
 */
#pragma once
#include "image/render.h"

#include <jansson.h>

#define APP_RECORD_MAX_BYTES (64u * 1024) /* a record is ~1.5 KB */

/* (transfer full) a new JSON object; result may be NULL (spec only). */
json_t *app_record_from_spec(const struct img_render_spec *spec,
                             const struct img_render_result *result);
/* Fill *ret from a record object. IMG_E_INVALID with the key named in err. */
int app_record_to_spec(const json_t *rec, struct img_render_spec *ret, struct img_errbuf *err);
/* Parse record text (at most APP_RECORD_MAX_BYTES) into *ret. */
int app_record_parse(const char *text, size_t len, struct img_render_spec *ret,
                     struct img_errbuf *err);

/* Where the shipped data lives: /usr/share/printkiosk when installed, else the
 * source tree (PK_SOURCE_DIR). Static strings. */
const char *app_default_profiles_dir(void);
const char *app_default_catalogue(void);
const char *app_default_prices(void);
