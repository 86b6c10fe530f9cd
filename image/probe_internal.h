/* image/probe internals shared with thumb.c: the checked header read. */
#pragma once
#include "image/exif_internal.h"
#include "image/probe.h"

#include <vips/vips.h>

/* img_probe_file's rules (sniff, allow-list, file-size and pixel limits,
 * truncation, EXIF, ICC) and, on success, the header image (ret_header,
 * (transfer full), unref it; may be NULL), the libvips source on the file
 * descriptor that was checked (ret_source, (transfer full); decode from it, not
 * from the path, so the checked bytes are the decoded ones; may be NULL) and
 * the parsed EXIF (ret_exif, may be NULL; zeroed when the photo has none).
 * in_fd >= 0: read that open file (duplicated, never reopened; path may be
 * NULL and is then only missing from error texts); otherwise open path. */
int img_probe_internal(const char *path, int in_fd, unsigned flags, struct img_probe *ret,
                       VipsImage **ret_header, VipsSource **ret_source, struct img_exif *ret_exif,
                       struct img_errbuf *err);

/* Turn the pending libvips error into `code` (or IMG_E_TRUNCATED when libvips
 * says the data ends early) with "what: <first line of the libvips message>".
 * The file's name (path's last component) is cut out of the libvips text:
 * customer file names must not reach logs through error messages. */
int img_vips_fail(struct img_errbuf *err, int code, const char *path, const char *what);

/* Sanitise to printable ASCII (controls and bytes >= 0x7f become nothing,
 * runs of spaces collapse, ends trimmed) into out (outlen bytes). */
void img_sanitise_ascii(const char *in, char *out, size_t outlen);
