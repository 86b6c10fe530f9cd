/* image/colour: lcms2 transforms for print masters and soft proofs.
 *
 * Building a transform for an LUT printer profile costs tens of milliseconds,
 * as much as applying it to a whole 6x4, so transforms are cached, keyed by
 * (source profile SHA-256, destination SHA-256, proof profile SHA-256, intent,
 * BPC, flags, pixel format). The cache is process-wide, bounded
 * (IMG_COLOUR_CACHE_MAX entries, least recently used evicted) and guarded by
 * one mutex (cache_lock). Transforms are reference-counted, so an evicted one
 * lives until its last user drops it, and are built with cmsFLAGS_NOCACHE so
 * several threads may apply the same transform at once.
 *
 * lcms2's error handler is routed into a per-thread buffer whose text lands in
 * the caller's img_errbuf (never on stderr).
 */
#pragma once
#include "image/image.h"
#include "image/paper.h"

#define IMG_COLOUR_CACHE_MAX 16 /* sources x papers x intents a kiosk sees at once */
#define IMG_COLOUR_MAX_THREADS 8

/* An ICC profile's bytes and identity. */
struct img_icc {
        uint8_t *data;
        size_t len;
        char sha256[65];
        char desc[96]; /* profile description, printable ASCII */
        bool owned;    /* data is ours: img_icc_done frees it */
};
/* Read and validate a profile file (size <= limits.max_icc_bytes, parsed by
 * lcms2, RGB or grey data colour space). IMG_E_UNREADABLE, IMG_E_BAD_PROFILE. */
int img_icc_load_file(const char *path, struct img_icc *ret, struct img_errbuf *err);
/* Validate and hash profile bytes; copy = take a private copy (owned). */
int img_icc_from_memory(const void *data, size_t len, bool copy, struct img_icc *ret,
                        struct img_errbuf *err);
void img_icc_done(struct img_icc *icc); /* NULL-safe; frees owned data, zeroes */

/* Check that path is a usable RGB profile and write its SHA-256 (hex) to sha. */
int img_profile_check_file(const char *path, char sha[65], struct img_errbuf *err);
/* Hex SHA-256 of a buffer. */
void img_sha256_hex(const void *data, size_t len, char out[65]);
/* Hex SHA-256 of a file (at most max_bytes). */
int img_sha256_file(const char *path, uint64_t max_bytes, char out[65], struct img_errbuf *err);

enum img_px_format {
        IMG_PX_RGB8 = 0,  /* 3 x uint8 */
        IMG_PX_RGB16 = 1, /* 3 x uint16, native endian */
        _IMG_PX_MAX,
};

struct img_xform; /* a cached, reference-counted lcms2 transform */

/* Source -> destination, RGB in (fmt), RGB8 out. (transfer full) *ret. */
int img_colour_transform(const struct img_icc *src, const struct img_icc *dst,
                         enum img_intent intent, bool bpc, enum img_px_format fmt,
                         struct img_xform **ret, struct img_errbuf *err);
/* Soft proof: source -> paper (intent, bpc) -> display (relative colorimetric),
 * RGB8 out. gamut_warning marks colours outside the paper's gamut with
 * IMG_GAMUT_ALARM_RGB. (transfer full) *ret. */
int img_colour_proof_transform(const struct img_icc *src, const struct img_icc *paper,
                               const struct img_icc *display, enum img_intent intent, bool bpc,
                               bool gamut_warning, enum img_px_format fmt,
                               struct img_xform **ret, struct img_errbuf *err);
#define IMG_GAMUT_ALARM_RGB 0xff, 0x00, 0xff /* vivid magenta: no photo is this flat */

/* Apply over height rows of width pixels; in and out may not overlap. Splits
 * the rows into up to `threads` strips run in parallel (1 = this thread). */
void img_xform_apply(struct img_xform *x, const void *in, size_t in_stride, void *out,
                     size_t out_stride, int width, int height, int threads);
struct img_xform *img_xform_unref(struct img_xform *x); /* NULL-safe, returns NULL */

struct img_colour_stats {
        unsigned hits, misses, entries;
};
void img_colour_cache_stats(struct img_colour_stats *ret);
/* Drop every cached transform (those in use live on until unreffed). */
void img_colour_cache_clear(void);
