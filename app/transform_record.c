/* app/transform_record: transform record <-> JSON (see transform_record.h).
 *
 * Invariant: app_record_to_spec(app_record_from_spec(s)) == s for every spec
 * that passes img_render_check() (doubles are written with full precision by
 * jansson's %.17g, so they round-trip exactly). */
#include "app/transform_record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *colour_source_name(enum img_colour_source c)
{
        return c == IMG_COLOUR_ICC ? "icc" : c == IMG_COLOUR_EXIF ? "exif" : "assumed";
}

json_t *app_record_from_spec(const struct img_render_spec *s,
                             const struct img_render_result *r)
{
        json_t *o = json_object();
        json_object_set_new(o, "record_version", json_integer(s->version));
        json_object_set_new(o, "input", json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "path",
                                                  s->input_path, "sha256", s->input_sha256,
                                                  "format", img_format_name(s->input_format),
                                                  "width", s->src_width, "height", s->src_height,
                                                  "orientation", s->orientation));
        json_object_set_new(o, "rotate", json_integer(s->rotate));
        json_object_set_new(o, "crop", json_pack("{s:f, s:f, s:f, s:f}", "x", s->crop.x, "y",
                                                 s->crop.y, "w", s->crop.w, "h", s->crop.h));
        json_object_set_new(o, "product",
                            json_pack("{s:s, s:s, s:i, s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:i}",
                                      "sku", s->sku, "media", s->media, "dpi", s->dpi,
                                      "print_w_in", s->print_w_in, "print_h_in", s->print_h_in,
                                      "image_w", s->image_w, "image_h", s->image_h, "border_px",
                                      s->border_px, "up", s->up, "width", s->out_width, "height",
                                      s->out_height));
        json_object_set_new(o, "source_profile",
                            json_pack("{s:s, s:s, s:s, s:b}", "source",
                                      colour_source_name(s->src_colour), "path",
                                      s->src_profile_path, "sha256", s->src_profile_sha256,
                                      "converted", s->src_converted));
        json_object_set_new(o, "paper",
                            json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:f}", "name", s->paper,
                                      "printer", s->printer, "profile", s->profile_path,
                                      "profile_sha256", s->profile_sha256, "intent",
                                      img_intent_name(s->intent), "bpc", s->bpc, "sharpen_sigma",
                                      s->sharpen_sigma, "sharpen_amount", s->sharpen_amount));
        json_object_set_new(o, "format", json_string(img_out_format_name(s->format)));
        json_object_set_new(o, "versions", json_pack("{s:s, s:s}", "libvips", s->vips_version,
                                                     "lcms2", s->lcms_version));
        if (r)
                json_object_set_new(o, "output",
                                    json_pack("{s:s, s:I, s:i, s:i, s:f}", "sha256", r->sha256,
                                              "bytes", (json_int_t)r->bytes, "width", r->width,
                                              "height", r->height, "effective_dpi",
                                              r->effective_dpi));
        return o;
}

/* ---- JSON -> spec ----------------------------------------------------------- */

struct reader {
        struct img_errbuf *err;
        int rc;
};

static const json_t *member(struct reader *rd, const json_t *o, const char *obj, const char *key,
                            json_type type)
{
        if (rd->rc)
                return NULL;
        const json_t *v = json_object_get(o, key);
        bool ok = v && (json_typeof(v) == type ||
                        (type == JSON_REAL && json_typeof(v) == JSON_INTEGER) ||
                        (type == JSON_TRUE && json_typeof(v) == JSON_FALSE));
        if (!ok) {
                rd->rc = img_fail(rd->err, IMG_E_INVALID, "record: %s%s%s missing or wrong type",
                                  obj, *obj ? "." : "", key);
                return NULL;
        }
        return v;
}

static void get_str(struct reader *rd, const json_t *o, const char *obj, const char *key,
                    char *dst, size_t cap, bool allow_empty)
{
        const json_t *v = member(rd, o, obj, key, JSON_STRING);
        if (!v)
                return;
        size_t n = json_string_length(v);
        const char *s = json_string_value(v);
        if (n >= cap || memchr(s, '\0', n) || (!allow_empty && n == 0)) {
                rd->rc = img_fail(rd->err, IMG_E_INVALID, "record: %s.%s bad length", obj, key);
                return;
        }
        memcpy(dst, s, n + 1);
}

static void get_int(struct reader *rd, const json_t *o, const char *obj, const char *key,
                    long lo, long hi, int *dst)
{
        const json_t *v = member(rd, o, obj, key, JSON_INTEGER);
        if (!v)
                return;
        json_int_t x = json_integer_value(v);
        if (x < lo || x > hi) {
                rd->rc = img_fail(rd->err, IMG_E_INVALID, "record: %s.%s out of range", obj, key);
                return;
        }
        *dst = (int)x;
}

static void get_real(struct reader *rd, const json_t *o, const char *obj, const char *key,
                     double lo, double hi, double *dst)
{
        const json_t *v = member(rd, o, obj, key, JSON_REAL);
        if (!v)
                return;
        double x = json_number_value(v);
        if (!isfinite(x) || x < lo || x > hi) {
                rd->rc = img_fail(rd->err, IMG_E_INVALID, "record: %s.%s out of range", obj, key);
                return;
        }
        *dst = x;
}

static void get_bool(struct reader *rd, const json_t *o, const char *obj, const char *key,
                     bool *dst)
{
        const json_t *v = member(rd, o, obj, key, JSON_TRUE);
        if (v)
                *dst = json_is_true(v);
}

/* Refuse keys we do not know: a record from a newer kiosk is not guessed at. */
static void only_keys(struct reader *rd, const json_t *o, const char *obj,
                      const char *const *keys, size_t n)
{
        const char *k;
        json_t *v;
        if (rd->rc)
                return;
        json_object_foreach((json_t *)o, k, v) {
                bool known = false;
                for (size_t i = 0; i < n; i++)
                        known |= strcmp(k, keys[i]) == 0;
                if (!known) {
                        rd->rc = img_fail(rd->err, IMG_E_INVALID, "record: unknown key %s%s%.40s",
                                          obj, *obj ? "." : "", k);
                        return;
                }
        }
}
#define ONLY(rd, o, obj, ...)                                                                 \
        do {                                                                                  \
                static const char *const k_[] = {__VA_ARGS__};                                \
                only_keys(rd, o, obj, k_, sizeof(k_) / sizeof(k_[0]));                        \
        } while (0)

int app_record_to_spec(const json_t *rec, struct img_render_spec *ret, struct img_errbuf *err)
{
        if (!json_is_object(rec) || !ret)
                return img_fail(err, IMG_E_INVALID, "record is not a JSON object");
        struct reader rd = {err, IMG_OK};
        struct img_render_spec *s = calloc(1, sizeof(*s));
        if (!s)
                return img_fail(err, IMG_E_INTERNAL, "out of memory");
        char buf[32];
        int rc;
        ONLY(&rd, rec, "", "record_version", "input", "rotate", "crop", "product",
             "source_profile", "paper", "format", "versions", "output");
        get_int(&rd, rec, "", "record_version", 0, 1000, &s->version);
        if (!rd.rc && s->version != IMG_RECORD_VERSION)
                rd.rc = img_fail(err, IMG_E_INVALID, "record_version %d is not supported (want %d)",
                                 s->version, IMG_RECORD_VERSION);
        const json_t *in = member(&rd, rec, "", "input", JSON_OBJECT);
        ONLY(&rd, in, "input", "path", "sha256", "format", "width", "height", "orientation");
        get_str(&rd, in, "input", "path", s->input_path, sizeof(s->input_path), false);
        get_str(&rd, in, "input", "sha256", s->input_sha256, sizeof(s->input_sha256), false);
        get_str(&rd, in, "input", "format", buf, sizeof(buf), false);
        if (!rd.rc) {
                s->input_format = IMG_FMT_UNKNOWN;
                for (int f = 1; f < _IMG_FMT_MAX; f++)
                        if (strcmp(buf, img_format_name((enum img_format)f)) == 0)
                                s->input_format = (enum img_format)f;
        }
        get_int(&rd, in, "input", "width", 1, 1 << 20, &s->src_width);
        get_int(&rd, in, "input", "height", 1, 1 << 20, &s->src_height);
        get_int(&rd, in, "input", "orientation", 1, 8, &s->orientation);
        get_int(&rd, rec, "", "rotate", 0, 270, &s->rotate);
        const json_t *c = member(&rd, rec, "", "crop", JSON_OBJECT);
        ONLY(&rd, c, "crop", "x", "y", "w", "h");
        get_real(&rd, c, "crop", "x", 0, 1, &s->crop.x);
        get_real(&rd, c, "crop", "y", 0, 1, &s->crop.y);
        get_real(&rd, c, "crop", "w", 0, 1, &s->crop.w);
        get_real(&rd, c, "crop", "h", 0, 1, &s->crop.h);
        const json_t *p = member(&rd, rec, "", "product", JSON_OBJECT);
        ONLY(&rd, p, "product", "sku", "media", "dpi", "print_w_in", "print_h_in", "image_w",
             "image_h", "border_px", "up", "width", "height");
        get_str(&rd, p, "product", "sku", s->sku, sizeof(s->sku), false);
        get_str(&rd, p, "product", "media", s->media, sizeof(s->media), false);
        get_int(&rd, p, "product", "dpi", 150, 1200, &s->dpi);
        get_real(&rd, p, "product", "print_w_in", 0.5, 21, &s->print_w_in);
        get_real(&rd, p, "product", "print_h_in", 0.5, 21, &s->print_h_in);
        get_int(&rd, p, "product", "image_w", 1, IMG_RENDER_MAX_SIDE, &s->image_w);
        get_int(&rd, p, "product", "image_h", 1, IMG_RENDER_MAX_SIDE, &s->image_h);
        get_int(&rd, p, "product", "border_px", 0, IMG_RENDER_MAX_SIDE, &s->border_px);
        get_int(&rd, p, "product", "up", 1, 2, &s->up);
        get_int(&rd, p, "product", "width", 1, IMG_RENDER_MAX_SIDE, &s->out_width);
        get_int(&rd, p, "product", "height", 1, IMG_RENDER_MAX_SIDE, &s->out_height);
        const json_t *sp = member(&rd, rec, "", "source_profile", JSON_OBJECT);
        ONLY(&rd, sp, "source_profile", "source", "path", "sha256", "converted");
        get_str(&rd, sp, "source_profile", "source", buf, sizeof(buf), false);
        if (!rd.rc) {
                if (strcmp(buf, "icc") == 0)
                        s->src_colour = IMG_COLOUR_ICC;
                else if (strcmp(buf, "exif") == 0)
                        s->src_colour = IMG_COLOUR_EXIF;
                else if (strcmp(buf, "assumed") == 0)
                        s->src_colour = IMG_COLOUR_ASSUMED;
                else
                        rd.rc = img_fail(err, IMG_E_INVALID, "record: source_profile.source");
        }
        get_str(&rd, sp, "source_profile", "path", s->src_profile_path, sizeof(s->src_profile_path),
                true);
        get_str(&rd, sp, "source_profile", "sha256", s->src_profile_sha256,
                sizeof(s->src_profile_sha256), false);
        get_bool(&rd, sp, "source_profile", "converted", &s->src_converted);
        const json_t *pa = member(&rd, rec, "", "paper", JSON_OBJECT);
        ONLY(&rd, pa, "paper", "name", "printer", "profile", "profile_sha256", "intent", "bpc",
             "sharpen_sigma", "sharpen_amount");
        get_str(&rd, pa, "paper", "name", s->paper, sizeof(s->paper), false);
        get_str(&rd, pa, "paper", "printer", s->printer, sizeof(s->printer), true);
        get_str(&rd, pa, "paper", "profile", s->profile_path, sizeof(s->profile_path), false);
        get_str(&rd, pa, "paper", "profile_sha256", s->profile_sha256, sizeof(s->profile_sha256),
                false);
        get_str(&rd, pa, "paper", "intent", buf, sizeof(buf), false);
        if (!rd.rc && !img_intent_parse(buf, &s->intent))
                rd.rc = img_fail(err, IMG_E_INVALID, "record: paper.intent");
        get_bool(&rd, pa, "paper", "bpc", &s->bpc);
        get_real(&rd, pa, "paper", "sharpen_sigma", 0, 3, &s->sharpen_sigma);
        get_real(&rd, pa, "paper", "sharpen_amount", 0, 10, &s->sharpen_amount);
        get_str(&rd, rec, "", "format", buf, sizeof(buf), false);
        if (!rd.rc && !img_out_format_parse(buf, &s->format))
                rd.rc = img_fail(err, IMG_E_INVALID, "record: format");
        const json_t *v = member(&rd, rec, "", "versions", JSON_OBJECT);
        ONLY(&rd, v, "versions", "libvips", "lcms2");
        get_str(&rd, v, "versions", "libvips", s->vips_version, sizeof(s->vips_version), false);
        get_str(&rd, v, "versions", "lcms2", s->lcms_version, sizeof(s->lcms_version), false);
        rc = rd.rc ? rd.rc : img_render_check(s, err);
        if (!rc)
                *ret = *s;
        free(s);
        return rc;
}

int app_record_parse(const char *text, size_t len, struct img_render_spec *ret,
                     struct img_errbuf *err)
{
        if (!text || len > APP_RECORD_MAX_BYTES)
                return img_fail(err, IMG_E_INVALID, "record over %u bytes", APP_RECORD_MAX_BYTES);
        json_error_t je;
        json_t *rec = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!rec)
                return img_fail(err, IMG_E_INVALID, "record JSON line %d: %.120s", je.line, je.text);
        int rc = app_record_to_spec(rec, ret, err);
        json_decref(rec);
        return rc;
}

const char *app_default_profiles_dir(void)
{
        if (access("/usr/share/printkiosk/profiles/manifest.ini", R_OK) == 0)
                return "/usr/share/printkiosk/profiles";
        return PK_SOURCE_DIR "/profiles";
}

const char *app_default_catalogue(void)
{
        if (access("/usr/share/printkiosk/assets/catalogue.ini", R_OK) == 0)
                return "/usr/share/printkiosk/assets/catalogue.ini";
        return PK_SOURCE_DIR "/assets/catalogue.ini";
}

const char *app_default_prices(void)
{
        if (access("/usr/share/printkiosk/assets/prices.ini", R_OK) == 0)
                return "/usr/share/printkiosk/assets/prices.ini";
        return PK_SOURCE_DIR "/assets/prices.ini";
}
