/* image/render_internal.h: the decode half of the pipeline shared by render.c
 * (masters) and proof.c (previews), and the durable file write (temp file,
 * fsync, rename, fsync dir) that both use. */
#pragma once
#include "image/colour.h"
#include "image/probe.h"

#include <vips/vips.h>

/* Load `path` (allow-listed format fmt) with JPEG shrink-on-load `shrink`
 * (1/2/4/8; ignored for other formats), apply EXIF `orientation` then `rotate`
 * degrees clockwise, flatten alpha on white and bring the pixels to 3-band RGB,
 * 8- or 16-bit. Non-RGB sources (grey, CMYK) are converted to sRGB by libvips
 * using srgb_path (*ret_converted = true). *ret_embedded gets a private copy of
 * the embedded RGB profile when there is one (else zeroed). (transfer full)
 * *ret. */
int img__load_rgb(const char *path, enum img_format fmt, int shrink, int orientation, int rotate,
                  const char *srgb_path, VipsImage **ret, struct img_icc *ret_embedded,
                  bool *ret_converted, struct img_errbuf *err);
/* The same steps on an image a loader has just made (not consumed): for
 * callers that load from a VipsSource (proof.c in the decode helper).
 * srgb_profile is an ICC file or libvips' built-in "srgb". */
int img__rgb_from_loaded(VipsImage *loaded, int orientation, int rotate, const char *srgb_profile,
                         VipsImage **ret, struct img_icc *ret_embedded, bool *ret_converted,
                         struct img_errbuf *err);
/* Write len bytes to path durably: temp file in the same folder, fsync,
 * rename, fsync the folder (img__tmp_create + write + img__tmp_commit). */
int img__write_durable(const char *path, const void *data, size_t len, struct img_errbuf *err);
/* Create "<path>.tmp-XXXXXX" (O_RDWR|O_CLOEXEC, mkostemp) next to path; tmp
 * gets its name. */
int img__tmp_create(const char *path, char *tmp, size_t tmplen, int *ret_fd,
                    struct img_errbuf *err);
/* fchmod 0644, fsync, close fd (always), rename tmp to path, fsync the
 * folder. On failure before the rename, tmp is unlinked. */
int img__tmp_commit(int fd, const char *tmp, const char *path, struct img_errbuf *err);
/* SHA-256 (hex) and size of the file behind fd, read with pread from 0.
 * IMG_E_IO on a read error or when it holds more than max_bytes. */
int img__sha256_fd(int fd, uint64_t max_bytes, char out[65], uint64_t *ret_bytes,
                   struct img_errbuf *err);
/* libvips' error text (cleared) into err. */
int img__vips_fail(struct img_errbuf *err, int code, const char *what);
