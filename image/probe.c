/* image/probe: sniff, allow-list, limits, truncation, header, EXIF and ICC
 * identity of a photo, before any pixel is decoded (see probe.h).
 *
 * Order of checks (each cheap one before any costlier one, so hostile files
 * cost little): stat (empty, file-too-large) -> sniff 64 bytes (unsupported)
 * -> end-of-data marker (truncated) -> libvips header with the format's own
 * loader, sequential and fail-on-truncation (corrupt) -> pixel and side limits
 * (too-many-pixels, zero size is corrupt) -> EXIF (never fatal) -> ICC
 * (bad-profile) -> SHA-256 of the bytes.
 *
 * Invariants: the file is opened O_CLOEXEC and read with bounded buffers;
 * libvips only sees files whose sniffed type is on the allow-list, through that
 * type's loader; nothing here decodes pixels. Thread-safe (no shared state
 * except libvips' own, which is thread-safe). */
#include "image/probe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <lcms2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNIFF_BYTES 64
#define TAIL_WINDOW (64 * 1024)  /* end-marker search window before a full scan */
#define TAIL_FIRST 4096          /* looked at first: where the end marker usually is */
#define JPEG_MAX_MARKERS 4096     /* segments before the first scan; real files < 50 */
#define HASH_CHUNK (64 * 1024)

void img_sanitise_ascii(const char *in, char *out, size_t outlen)
{
        size_t o = 0;
        bool space = false;
        if (outlen == 0)
                return;
        for (size_t i = 0; in && in[i] && o + 1 < outlen; i++) {
                unsigned char c = (unsigned char)in[i];
                if (c < 0x20 || c >= 0x7f) {
                        if (c == '\t' || c == '\n' || c == '\r')
                                space = true;
                        continue;
                }
                if (c == ' ') {
                        space = true;
                        continue;
                }
                if (space && o > 0 && o + 2 < outlen)
                        out[o++] = ' ';
                space = false;
                out[o++] = (char)c;
        }
        out[o] = '\0';
}

/* Replace every occurrence of `name` in s (in place) with "<file>". */
static void hide_name(char *s, size_t cap, const char *name)
{
        size_t nl = name ? strlen(name) : 0;
        if (nl < 3)
                return;
        for (int guard = 0; guard < 8; guard++) {
                char *hit = strstr(s, name);
                if (!hit)
                        return;
                char rest[160];
                snprintf(rest, sizeof(rest), "%s", hit + nl);
                size_t at = (size_t)(hit - s);
                snprintf(s + at, cap - at, "<file>%s", rest);
        }
}

int img_vips_fail(struct img_errbuf *err, int code, const char *path, const char *what)
{
        /* libvips' error buffer is process-wide: take the first line only, and
         * classify truncation by libjpeg/libpng/libheif wording. */
        char first[160] = "";
        char *buf = vips_error_buffer_copy(); /* a copy taken under libvips' lock */
        if (buf) {
                size_t n = strcspn(buf, "\n");
                char raw[160];
                snprintf(raw, sizeof(raw), "%.*s", (int)(n < sizeof(raw) ? n : sizeof(raw) - 1), buf);
                const char *base = path ? strrchr(path, '/') : NULL;
                hide_name(raw, sizeof(raw), path);
                hide_name(raw, sizeof(raw), base ? base + 1 : path);
                img_sanitise_ascii(raw, first, sizeof(first));
                g_free(buf);
        }
        if (strstr(first, "runcat") || strstr(first, "remature end") || strstr(first, "nds early") ||
            strstr(first, "end of file") || strstr(first, "Not enough") || strstr(first, "out of data") ||
            strstr(first, "bad seek"))
                code = IMG_E_TRUNCATED;
        return img_fail(err, code, "%s%s%s", what, first[0] ? ": " : "", first);
}

static ssize_t pread_full(int fd, void *buf, size_t n, off_t off)
{
        size_t got = 0;
        for (int tries = 0; got < n && tries < 1000; tries++) {
                ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

/* Offset of the first byte after the first SOS header; 0 when the segment
 * structure is broken; JPEG_PAST_END when the segments run past the end. */
#define JPEG_PAST_END UINT64_MAX
static uint64_t jpeg_scan_start(int fd, uint64_t size)
{
        uint64_t pos = 2;
        for (int i = 0; i < JPEG_MAX_MARKERS; i++) {
                if (pos + 4 > size)
                        return JPEG_PAST_END;
                uint8_t m[4];
                if (pread_full(fd, m, 4, (off_t)pos) != 4)
                        return JPEG_PAST_END;
                if (m[0] != 0xFF)
                        return 0;
                if (m[1] == 0xFF) { /* fill byte */
                        pos++;
                        continue;
                }
                uint32_t len = (uint32_t)m[2] << 8 | m[3];
                if (len < 2)
                        return 0;
                if (m[1] == 0xDA)
                        return pos + 2 + len;
                pos += 2 + len;
        }
        return 0;
}

/* Is there an FF D9 (EOI) at or after `from`? Looks at the tail first (the
 * usual place, allowing trailing data such as phone extras), then the rest. */
static int find_pattern_after(int fd, uint64_t size, uint64_t from, const uint8_t *pat,
                              size_t plen, bool *found)
{
        static const size_t chunk = TAIL_WINDOW;
        uint8_t *buf = g_malloc(chunk + 8);
        *found = false;
        uint64_t tail = size > chunk ? size - chunk : 0;
        if (tail < from)
                tail = from;
        uint64_t last = size > TAIL_FIRST ? size - TAIL_FIRST : 0;
        if (last < tail)
                last = tail;
        /* Pass 1: the last TAIL_FIRST bytes, where an untouched photo's end
         * marker is (reading and scanning the whole window for every probe
         * was a fifth of a 1000-photo walk's probe time); pass 2: the rest of
         * the tail window; pass 3: from `from` to the tail window. Each pass
         * overlaps the next by plen - 1 bytes, so a split pattern is seen. */
        uint64_t starts[3] = {last, tail, from};
        uint64_t ends[3] = {size, last + plen - 1 < size ? last + plen - 1 : size,
                            tail + plen - 1 < size ? tail + plen - 1 : size};
        for (int pass = 0; pass < 3 && !*found; pass++) {
                for (uint64_t p = starts[pass]; p < ends[pass] && !*found;) {
                        size_t want = ends[pass] - p < chunk ? (size_t)(ends[pass] - p) : chunk;
                        ssize_t r = pread_full(fd, buf, want, (off_t)p);
                        if (r < 0) {
                                g_free(buf);
                                return -1;
                        }
                        if ((size_t)r < plen)
                                break;
                        for (size_t i = 0; i + plen <= (size_t)r; i++)
                                if (buf[i] == pat[0] && memcmp(buf + i, pat, plen) == 0) {
                                        *found = true;
                                        break;
                                }
                        if ((size_t)r < want)
                                break;
                        p += (uint64_t)r - (plen - 1); /* overlap so a split pattern is seen */
                }
        }
        g_free(buf);
        return 0;
}

static int check_complete(int fd, enum img_format fmt, uint64_t size, struct img_errbuf *err)
{
        bool found = false;
        if (fmt == IMG_FMT_JPEG) {
                uint64_t scan = jpeg_scan_start(fd, size);
                if (scan == 0)
                        return img_fail(err, IMG_E_CORRUPT, "JPEG segment structure is broken");
                if (scan >= size)
                        return img_fail(err, IMG_E_TRUNCATED, "JPEG data ends before the image data");
                if (find_pattern_after(fd, size, scan, (const uint8_t *)"\xff\xd9", 2, &found) < 0)
                        return img_fail(err, IMG_E_UNREADABLE, "read failed: %s", strerror(errno));
                if (!found)
                        return img_fail(err, IMG_E_TRUNCATED, "JPEG data ends early (no end-of-image marker)");
        } else if (fmt == IMG_FMT_PNG) {
                if (find_pattern_after(fd, size, 8, (const uint8_t *)"\0\0\0\0IEND", 8, &found) < 0)
                        return img_fail(err, IMG_E_UNREADABLE, "read failed: %s", strerror(errno));
                if (!found)
                        return img_fail(err, IMG_E_TRUNCATED, "PNG data ends early (no IEND chunk)");
        } else if (fmt == IMG_FMT_HEIF) {
                /* ISO BMFF: top-level boxes must tile the file; one that runs past
                 * the end means the data (usually mdat) was cut. */
                uint64_t pos = 0;
                for (int i = 0; i < JPEG_MAX_MARKERS && pos < size; i++) {
                        uint8_t b[16];
                        if (size - pos < 8 || pread_full(fd, b, 16, (off_t)pos) < 8)
                                return img_fail(err, IMG_E_TRUNCATED, "HEIF data ends inside a box header");
                        uint64_t len = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
                        if (len == 1) { /* 64-bit size follows the type */
                                if (size - pos < 16)
                                        return img_fail(err, IMG_E_TRUNCATED, "HEIF data ends inside a box header");
                                len = 0;
                                for (int k = 8; k < 16; k++)
                                        len = len << 8 | b[k];
                        } else if (len == 0) { /* box runs to the end of the file */
                                break;
                        }
                        if (len < 8)
                                return img_fail(err, IMG_E_CORRUPT, "HEIF box of %llu bytes", (unsigned long long)len);
                        if (len > size - pos)
                                return img_fail(err, IMG_E_TRUNCATED, "HEIF data ends early (box of %llu bytes at %llu, file %llu)",
                                                (unsigned long long)len, (unsigned long long)pos,
                                                (unsigned long long)size);
                        pos += len;
                }
        } else if (fmt == IMG_FMT_WEBP) {
                uint8_t h[8];
                if (pread_full(fd, h, 8, 0) != 8)
                        return img_fail(err, IMG_E_TRUNCATED, "WebP data ends early");
                uint64_t riff = (uint64_t)h[4] | (uint64_t)h[5] << 8 | (uint64_t)h[6] << 16 |
                                (uint64_t)h[7] << 24;
                if (riff + 8 > size)
                        return img_fail(err, IMG_E_TRUNCATED,
                                        "WebP data ends early (%llu of %llu bytes)",
                                        (unsigned long long)size, (unsigned long long)riff + 8);
        }
        return IMG_OK;
}

static int hash_file(int fd, uint64_t limit, char out[65], struct img_errbuf *err)
{
        GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
        uint8_t *buf = g_malloc(HASH_CHUNK);
        uint64_t total = 0;
        int rc = IMG_OK;
        if (lseek(fd, 0, SEEK_SET) < 0) {
                rc = img_fail(err, IMG_E_UNREADABLE, "seek failed: %s", strerror(errno));
                goto out;
        }
        for (;;) {
                ssize_t r = read(fd, buf, HASH_CHUNK);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        rc = img_fail(err, IMG_E_UNREADABLE, "read failed: %s", strerror(errno));
                        goto out;
                }
                if (r == 0)
                        break;
                total += (uint64_t)r;
                if (total > limit) { /* the file grew under us */
                        rc = img_fail(err, IMG_E_FILE_TOO_LARGE, "file grew past the size limit");
                        goto out;
                }
                g_checksum_update(ck, buf, (gssize)r);
        }
        snprintf(out, 65, "%s", g_checksum_get_string(ck));
out:
        g_free(buf);
        g_checksum_free(ck);
        return rc;
}

static VipsImage *load_header(VipsSource *src, enum img_format fmt)
{
        VipsImage *im = NULL;
        int r = -1;
        /* The format's own loader, never libvips' guess: the allow-list holds
         * even if a file's bytes would also match another loader. */
        switch (fmt) {
        case IMG_FMT_JPEG:
                r = vips_jpegload_source(src, &im, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                  VIPS_FAIL_ON_TRUNCATED, NULL);
                break;
        case IMG_FMT_PNG:
                r = vips_pngload_source(src, &im, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                 VIPS_FAIL_ON_TRUNCATED, NULL);
                break;
        case IMG_FMT_WEBP:
                r = vips_webpload_source(src, &im, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                  VIPS_FAIL_ON_TRUNCATED, NULL);
                break;
        case IMG_FMT_HEIF:
                r = vips_heifload_source(src, &im, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                  VIPS_FAIL_ON_TRUNCATED, NULL);
                break;
        case IMG_FMT_TIFF:
                r = vips_tiffload_source(src, &im, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                  VIPS_FAIL_ON_TRUNCATED, NULL);
                break;
        default:
                break;
        }
        return r == 0 ? im : NULL;
}

/* Known RGB spaces by their D50-adapted colorants (ICC rXYZ/gXYZ/bXYZ) and the
 * red TRC at 0.5 (to tell a linear or gamma-1.8 variant apart). Values from the
 * published profiles (sRGB IEC61966-2.1, Adobe RGB (1998), Display P3). */
static const struct known_space {
        const char *name;
        double xyz[3][3];
        double trc_half;
} known_spaces[] = {
        {"sRGB", {{0.4361, 0.2225, 0.0139}, {0.3851, 0.7169, 0.0971}, {0.1431, 0.0606, 0.7139}}, 0.2140},
        {"Adobe RGB (1998)",
         {{0.6097, 0.3111, 0.0195}, {0.2053, 0.6257, 0.0609}, {0.1492, 0.0632, 0.7446}},
         0.2176},
        {"Display P3", {{0.5151, 0.2412, -0.0011}, {0.2920, 0.6922, 0.0419}, {0.1571, 0.0666, 0.7841}}, 0.2140},
};
#define COLORANT_TOLERANCE 0.006
#define TRC_TOLERANCE 0.02

static const char *match_known_space(cmsHPROFILE p)
{
        const cmsCIEXYZ *c[3] = {cmsReadTag(p, cmsSigRedColorantTag),
                                 cmsReadTag(p, cmsSigGreenColorantTag),
                                 cmsReadTag(p, cmsSigBlueColorantTag)};
        const cmsToneCurve *trc = cmsReadTag(p, cmsSigRedTRCTag);
        if (!c[0] || !c[1] || !c[2] || !trc)
                return NULL;
        double half = cmsEvalToneCurveFloat(trc, 0.5f);
        for (size_t k = 0; k < sizeof(known_spaces) / sizeof(known_spaces[0]); k++) {
                const struct known_space *s = &known_spaces[k];
                bool ok = fabs(half - s->trc_half) <= TRC_TOLERANCE;
                for (int i = 0; i < 3 && ok; i++)
                        ok = fabs(c[i]->X - s->xyz[i][0]) <= COLORANT_TOLERANCE &&
                             fabs(c[i]->Y - s->xyz[i][1]) <= COLORANT_TOLERANCE &&
                             fabs(c[i]->Z - s->xyz[i][2]) <= COLORANT_TOLERANCE;
                if (ok)
                        return s->name;
        }
        return NULL;
}

/* Descriptions of well-known profiles whose colorants we could not read
 * (LUT-based ones): substring -> name. */
static const char *match_description(const char *desc)
{
        static const struct {
                const char *needle, *name;
        } map[] = {
                {"sRGB", "sRGB"},
                {"Adobe RGB (1998)", "Adobe RGB (1998)"},
                {"AdobeRGB1998", "Adobe RGB (1998)"},
                {"Display P3", "Display P3"},
                {"DisplayP3", "Display P3"},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strstr(desc, map[i].needle))
                        return map[i].name;
        return NULL;
}

static int identify_icc(const void *data, size_t len, const struct img_probe *pr,
                        struct img_probe *ret, struct img_errbuf *err)
{
        if (len > img_get_limits()->max_icc_bytes)
                return img_fail(err, IMG_E_BAD_PROFILE, "ICC profile of %zu bytes is over the %u byte limit",
                                len, img_get_limits()->max_icc_bytes);
        if (len < 132)
                return img_fail(err, IMG_E_BAD_PROFILE, "ICC profile of %zu bytes is too short", len);
        cmsContext ctx = cmsCreateContext(NULL, NULL);
        cmsHPROFILE p = cmsOpenProfileFromMemTHR(ctx, data, (cmsUInt32Number)len);
        cmsColorSpaceSignature cs, want;
        cmsProfileClassSignature cls;
        char desc[256] = "";
        const char *known = NULL;
        int rc = IMG_OK;
        if (!p) {
                rc = img_fail(err, IMG_E_BAD_PROFILE, "embedded ICC profile cannot be parsed");
                goto out;
        }
        cs = cmsGetColorSpace(p);
        cls = cmsGetDeviceClass(p);
        want = pr->is_cmyk ? cmsSigCmykData
                                      : pr->bands - (pr->has_alpha ? 1 : 0) == 1 ? cmsSigGrayData
                                                                                 : cmsSigRgbData;
        if (cls == cmsSigLinkClass || cls == cmsSigAbstractClass || cls == cmsSigNamedColorClass) {
                rc = img_fail(err, IMG_E_BAD_PROFILE, "embedded ICC profile is not a device profile");
                goto out;
        }
        if (cs != want) {
                rc = img_fail(err, IMG_E_BAD_PROFILE,
                              "embedded ICC profile's colour space does not match the image");
                goto out;
        }
        cmsGetProfileInfoASCII(p, cmsInfoDescription, "en", "US", desc, sizeof(desc));
        desc[sizeof(desc) - 1] = '\0';
        known = cs == cmsSigRgbData ? match_known_space(p) : NULL;
        if (!known)
                known = match_description(desc);
        if (known)
                snprintf(ret->colour_name, sizeof(ret->colour_name), "%s", known);
        else
                img_sanitise_ascii(desc[0] ? desc : "unnamed ICC profile", ret->colour_name,
                                   sizeof(ret->colour_name));
        ret->colour_source = IMG_COLOUR_ICC;
        {
                gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
                snprintf(ret->icc_sha256, sizeof(ret->icc_sha256), "%s", hex);
                g_free(hex);
        }
out:
        if (p)
                cmsCloseProfile(p);
        cmsDeleteContext(ctx);
        return rc;
}

static void apply_exif(const struct img_exif *ex, struct img_probe *ret)
{
        ret->orientation = ex->orientation >= 1 && ex->orientation <= 8 ? ex->orientation : 1;
        img_exif_iso_date(ex, ret->captured_at, sizeof(ret->captured_at));
        char raw[160];
        char make[64], model[64];
        img_sanitise_ascii(ex->make, make, sizeof(make));
        img_sanitise_ascii(ex->model, model, sizeof(model));
        /* Many cameras repeat the make in the model ("Canon" "Canon EOS R6"). */
        if (make[0] && strncasecmp(model, make, strlen(make)) == 0)
                snprintf(raw, sizeof(raw), "%s", model);
        else
                snprintf(raw, sizeof(raw), "%s%s%s", make, make[0] && model[0] ? " " : "", model);
        img_sanitise_ascii(raw, ret->camera, sizeof(ret->camera));
        ret->has_exif_thumbnail = ex->thumb_length > 0;
}

int img_probe_internal(const char *path, int in_fd, unsigned flags, struct img_probe *ret,
                       VipsImage **ret_header, VipsSource **ret_source, struct img_exif *ret_exif,
                       struct img_errbuf *err)
{
        const struct img_limits *lim = img_get_limits();
        struct img_probe pr;
        struct img_exif ex;
        struct stat st;
        uint8_t head[SNIFF_BYTES];
        VipsImage *im = NULL;
        VipsSource *src = NULL;
        int fd = -1, rc = IMG_OK;
        ssize_t n;

        memset(&pr, 0, sizeof(pr));
        memset(&ex, 0, sizeof(ex));
        if ((!path && in_fd < 0) || !ret)
                return img_fail(err, IMG_E_INVALID, "no file or result");
        /* A handed descriptor is duplicated, never reopened: the sandboxed
         * decode helper cannot open files at all (Landlock), and the caller
         * keeps its own. Reads are pread() or from offset 0 (seek below). */
        fd = in_fd >= 0 ? fcntl(in_fd, F_DUPFD_CLOEXEC, 0)
                        : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) != 0) {
                rc = img_fail(err, IMG_E_UNREADABLE, "cannot stat: %s", strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                rc = img_fail(err, IMG_E_UNREADABLE, "not a regular file");
                goto out;
        }
        pr.file_size = (uint64_t)st.st_size;
        if (pr.file_size == 0) {
                rc = img_fail(err, IMG_E_EMPTY, "zero-byte file");
                goto out;
        }
        if (pr.file_size > lim->max_file_bytes) {
                rc = img_fail(err, IMG_E_FILE_TOO_LARGE, "file of %llu bytes is over the %llu byte limit",
                              (unsigned long long)pr.file_size, (unsigned long long)lim->max_file_bytes);
                goto out;
        }
        n = pread_full(fd, head, sizeof(head), 0);
        if (n < 0) {
                rc = img_fail(err, IMG_E_UNREADABLE, "read failed: %s", strerror(errno));
                goto out;
        }
        pr.format = img_sniff(head, (size_t)n);
        if (pr.format == IMG_FMT_UNKNOWN) {
                rc = img_fail(err, n < 12 ? IMG_E_CORRUPT : IMG_E_UNSUPPORTED,
                              n < 12 ? "too short to be an image" : "not a JPEG, PNG, HEIF or WebP file");
                goto out;
        }
        if (pr.format == IMG_FMT_TIFF && !(flags & IMG_PROBE_ALLOW_TIFF)) {
                rc = img_fail(err, IMG_E_UNSUPPORTED, "TIFF is accepted from trusted paths only");
                goto out;
        }
        rc = check_complete(fd, pr.format, pr.file_size, err);
        if (rc < 0)
                goto out;

        /* From our own descriptor, never by name: libvips caches loads by file
         * name, so a different photo at the same path (the next customer's USB
         * stick) would get the last one's header. Source loads are not cached,
         * and the checks above then hold for exactly the bytes libvips reads. */
        /* libvips reads the descriptor from its current offset, which a
         * duplicated descriptor shares with the caller's. */
        if (lseek(fd, 0, SEEK_SET) != 0) {
                rc = img_fail(err, IMG_E_UNREADABLE, "cannot seek: %s", strerror(errno));
                goto out;
        }
        src = vips_source_new_from_descriptor(fd);
        if (!src) {
                rc = img_vips_fail(err, IMG_E_INTERNAL, path, "cannot start reading");
                goto out;
        }
        vips_error_clear(); /* loaders may leave warnings from earlier files */
        im = load_header(src, pr.format);
        if (!im) {
                rc = img_vips_fail(err, IMG_E_CORRUPT, path, "cannot read the header");
                goto out;
        }
        pr.width = vips_image_get_width(im);
        pr.height = vips_image_get_height(im);
        if (pr.width <= 0 || pr.height <= 0) {
                rc = img_fail(err, IMG_E_CORRUPT, "zero-size image");
                goto out;
        }
        if ((uint64_t)pr.width > lim->max_side || (uint64_t)pr.height > lim->max_side ||
            (uint64_t)pr.width * (uint64_t)pr.height > lim->max_pixels) {
                rc = img_fail(err, IMG_E_TOO_MANY_PIXELS, "%dx%d is over the limit (%llu pixels, %u per side)",
                              pr.width, pr.height, (unsigned long long)lim->max_pixels, lim->max_side);
                goto out;
        }
        pr.bands = vips_image_get_bands(im);
        {
                VipsBandFormat bf = vips_image_get_format(im);
                pr.bits = bf == VIPS_FORMAT_UCHAR || bf == VIPS_FORMAT_CHAR ? 8
                          : bf == VIPS_FORMAT_USHORT || bf == VIPS_FORMAT_SHORT ? 16
                                                                               : 32;
        }
        pr.is_cmyk = vips_image_get_interpretation(im) == VIPS_INTERPRETATION_CMYK;
        pr.has_alpha = !pr.is_cmyk && vips_image_hasalpha(im);
        {
                int il = 0;
                if (vips_image_get_typeof(im, "interlaced") && vips_image_get_int(im, "interlaced", &il) == 0)
                        pr.progressive = il != 0;
        }

        /* EXIF: never fatal. A block we cannot parse is as good as none. */
        pr.orientation = 1;
        if (vips_image_get_typeof(im, VIPS_META_EXIF_NAME)) {
                const void *blob = NULL;
                size_t blen = 0;
                if (vips_image_get_blob(im, VIPS_META_EXIF_NAME, &blob, &blen) == 0 &&
                    img_exif_parse(blob, blen, &ex) == 0)
                        apply_exif(&ex, &pr);
                else
                        memset(&ex, 0, sizeof(ex));
        }
        pr.oriented_width = pr.orientation >= 5 ? pr.height : pr.width;
        pr.oriented_height = pr.orientation >= 5 ? pr.width : pr.height;

        if (vips_image_get_typeof(im, VIPS_META_ICC_NAME)) {
                const void *icc = NULL;
                size_t ilen = 0;
                if (vips_image_get_blob(im, VIPS_META_ICC_NAME, &icc, &ilen) != 0) {
                        rc = img_fail(err, IMG_E_BAD_PROFILE, "embedded ICC profile unreadable");
                        goto out;
                }
                rc = identify_icc(icc, ilen, &pr, &pr, err);
                if (rc < 0)
                        goto out;
        } else if (ex.colour_space == 1) {
                pr.colour_source = IMG_COLOUR_EXIF;
                snprintf(pr.colour_name, sizeof(pr.colour_name), "sRGB");
        } else if ((ex.colour_space == 0xFFFF && ex.interop_r03) || ex.colour_space == 2) {
                /* 65535 + Interop R03 is DCF's Adobe RGB; 2 is what some cameras write. */
                pr.colour_source = IMG_COLOUR_EXIF;
                snprintf(pr.colour_name, sizeof(pr.colour_name), "Adobe RGB (1998)");
        } else {
                pr.colour_source = IMG_COLOUR_ASSUMED;
                snprintf(pr.colour_name, sizeof(pr.colour_name), "sRGB");
        }

        if (!(flags & IMG_PROBE_NO_HASH)) {
                rc = hash_file(fd, lim->max_file_bytes, pr.sha256, err);
                if (rc < 0)
                        goto out;
        }
        *ret = pr;
        if (ret_exif)
                *ret_exif = ex;
        if (ret_header) {
                *ret_header = im;
                im = NULL;
        }
        if (ret_source) {
                *ret_source = src;
                src = NULL;
        }
out:
        if (im)
                g_object_unref(im);
        if (src)
                g_object_unref(src);
        if (fd >= 0)
                close(fd);
        return rc;
}

int img_probe_file(const char *path, unsigned flags, struct img_probe *ret, struct img_errbuf *err)
{
        return img_probe_internal(path, -1, flags, ret, NULL, NULL, NULL, err);
}

int img_probe_fd(int fd, unsigned flags, struct img_probe *ret, struct img_errbuf *err)
{
        if (fd < 0)
                return img_fail(err, IMG_E_INVALID, "no file");
        return img_probe_internal(NULL, fd, flags, ret, NULL, NULL, NULL, err);
}
