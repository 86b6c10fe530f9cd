/* image/paper: the paper manifest (profiles/manifest.ini): for a printer model
 * and a paper, which ICC profile, rendering intent, black-point compensation
 * and output sharpening a print master gets.
 *
 * Lookup order: [printer MODEL] entry for the paper (exact model string), then
 * [printer default], then the [paper NAME] group's own profile. The profile
 * file must exist inside the manifest's folder (no "/" or ".." in names) and is
 * identified by its SHA-256, which goes into the transform record.
 * A loaded manifest is immutable and may be shared between threads.
 */
#pragma once
#include "image/image.h"

#include <limits.h>

#define IMG_MANIFEST_MAX_BYTES (256u * 1024) /* a real manifest is a few KB */
#define IMG_MANIFEST_MAX_PAPERS 32
#define IMG_MANIFEST_MAX_PRINTERS 64
#define IMG_PAPER_NAME_MAX 32    /* "glossy": [a-z0-9_-] */
#define IMG_PRINTER_MODEL_MAX 128 /* IPP printer-make-and-model is at most 127 */
#define IMG_PROFILE_FILE_MAX 128

/* Values equal lcms2's INTENT_* so they pass straight through. */
enum img_intent {
        IMG_INTENT_PERCEPTUAL = 0,
        IMG_INTENT_RELATIVE = 1,
        IMG_INTENT_SATURATION = 2,
        IMG_INTENT_ABSOLUTE = 3,
        _IMG_INTENT_MAX,
};
/* "perceptual", "relative", "saturation", "absolute". */
const char *img_intent_name(enum img_intent i);
/* Parse a name above; false when unknown. */
bool img_intent_parse(const char *s, enum img_intent *ret);

struct img_paper {
        char name[IMG_PAPER_NAME_MAX];      /* manifest key, "glossy" */
        char label[64];                     /* "Glossy" */
        char profile_path[PATH_MAX];        /* absolute or as the manifest dir was given */
        char profile_sha256[65];
        enum img_intent intent;
        bool bpc;
        double sharpen_sigma;  /* 0 = no sharpening, else 0.3..3 */
        double sharpen_amount; /* 0..10 (libvips sharpen m2) */
};

struct img_manifest;

/* Parse manifest text; profile names resolve inside dir. (transfer full) *ret.
 * IMG_E_INVALID with "line N: ..." in err. Profile files are not opened here. */
int img_manifest_parse(const char *data, size_t len, const char *dir, struct img_manifest **ret,
                       struct img_errbuf *err);
/* Load dir/manifest.ini. */
int img_manifest_load(const char *dir, struct img_manifest **ret, struct img_errbuf *err);
struct img_manifest *img_manifest_free(struct img_manifest *m); /* NULL-safe */

/* Paper for (printer model or NULL, paper name): fills *ret including the
 * profile's SHA-256 (reads the file; IMG_E_UNREADABLE / IMG_E_BAD_PROFILE).
 * IMG_E_INVALID when the paper is unknown. */
int img_paper_lookup(const struct img_manifest *m, const char *printer_model, const char *paper,
                     struct img_paper *ret, struct img_errbuf *err);
/* A paper straight from a profile file (benchmarks, --profile): the named
 * paper's intent/bpc/sharpening when `base` is given, else relative + BPC and
 * no sharpening. */
int img_paper_from_profile(const char *icc_path, const struct img_paper *base,
                           struct img_paper *ret, struct img_errbuf *err);
size_t img_manifest_paper_count(const struct img_manifest *m);
const char *img_manifest_paper_name(const struct img_manifest *m, size_t i);
