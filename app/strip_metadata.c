/* app/strip_metadata: metadata stripping without re-encoding for JPEG, PNG,
 * WebP and HEIF/HEIC (what goes and what stays: app/strip_metadata.h).
 *
 * Invariants: the output is the input with some segments/chunks removed and
 * some metadata bytes overwritten; image data (JPEG from the first SOS on,
 * PNG IDAT/fdAT, WebP VP8/VP8L/ALPH/ANMF, HEIF mdat outside metadata items)
 * is copied unchanged; every read is bounds-checked against its segment,
 * chunk or box; each EXIF IFD is visited at most once (a visited list of
 * MAX_IFDS), so hostile loops end; every loop has a count bound from the
 * header. An output is only handed out complete: any error frees it.
 */
#include "app/strip_metadata.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IFDS 8
#define MAX_ENTRIES 512

struct tiff {
        uint8_t *b; /* the TIFF block inside our output copy (writable) */
        size_t len;
        int le;
        uint32_t seen[MAX_IFDS];
        int n_seen;
        bool incomplete; /* some IFD could not be walked: the block must go whole */
        struct app_strip_report *rep;
};

static uint16_t rd16(const struct tiff *t, size_t o)
{
        return t->le ? (uint16_t)(t->b[o] | t->b[o + 1] << 8) : (uint16_t)(t->b[o] << 8 | t->b[o + 1]);
}

static uint32_t rd32(const struct tiff *t, size_t o)
{
        const uint8_t *p = t->b + o;
        return t->le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                     : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static size_t type_size(uint16_t type)
{
        static const uint8_t sz[] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8};
        return type < sizeof(sz) ? sz[type] : 0;
}

/* Zero an entry's value bytes (inline or out of line, when in bounds). */
static void blank_value(struct tiff *t, size_t entry)
{
        uint16_t type = rd16(t, entry + 2);
        uint32_t count = rd32(t, entry + 4);
        size_t ts = type_size(type);
        if (ts == 0 || count > t->len) {
                /* Unknown type or absurd count: where the value lies is unknown. */
                t->incomplete = true;
                return;
        }
        size_t n = ts * count;
        if (n <= 4) {
                memset(t->b + entry + 8, 0, 4);
                return;
        }
        uint32_t off = rd32(t, entry + 8);
        if (off < t->len && n <= t->len - off)
                memset(t->b + off, 0, n);
}

static int visit(struct tiff *t, uint32_t off)
{
        if (off < 8 || off >= t->len)
                return 0;
        if (t->n_seen >= MAX_IFDS) {
                t->incomplete = true;
                return 0;
        }
        for (int i = 0; i < t->n_seen; i++)
                if (t->seen[i] == off)
                        return 0;
        t->seen[t->n_seen++] = off;
        return 1;
}

static int is_private_tag(uint16_t tag)
{
        switch (tag) {
        case 0x010e: /* ImageDescription */
        case 0x013b: /* Artist */
        case 0x013c: /* HostComputer */
        case 0x8298: /* Copyright (often the owner's name) */
        case 0x927c: /* MakerNote: body serials, owner */
        case 0x9286: /* UserComment */
        case 0xa420: /* ImageUniqueID */
        case 0xa430: /* CameraOwnerName */
        case 0xa431: /* BodySerialNumber */
        case 0xa435: /* LensSerialNumber */
        case 0x9c9b: /* XPTitle */
        case 0x9c9c: /* XPComment */
        case 0x9c9d: /* XPAuthor */
        case 0x9c9e: /* XPKeywords */
        case 0x9c9f: /* XPSubject */
                return 1;
        default:
                return 0;
        }
}

static void empty_gps(struct tiff *t, uint32_t off)
{
        if (!visit(t, off))
                return;
        if ((size_t)off + 2 > t->len) {
                t->incomplete = true;
                return;
        }
        uint16_t n = rd16(t, off);
        if (n > MAX_ENTRIES || (size_t)off + 2 + (size_t)n * 12 > t->len) {
                t->incomplete = true;
                return;
        }
        for (uint16_t i = 0; i < n; i++) {
                size_t e = (size_t)off + 2 + (size_t)i * 12;
                blank_value(t, e);
                memset(t->b + e, 0, 12);
        }
        /* An IFD with no entries: readers see an empty GPS directory. */
        t->b[off] = 0;
        t->b[off + 1] = 0;
        t->rep->gps_entries_removed += n;
}

static void walk_ifd(struct tiff *t, uint32_t off, int depth)
{
        if (depth > 3) {
                t->incomplete = true;
                return;
        }
        if (!visit(t, off))
                return;
        uint16_t n = (size_t)off + 2 <= t->len ? rd16(t, off) : 0;
        if ((size_t)off + 2 > t->len || n > MAX_ENTRIES || (size_t)off + 2 + (size_t)n * 12 + 4 > t->len) {
                t->incomplete = true;
                return;
        }
        for (uint16_t i = 0; i < n; i++) {
                size_t e = (size_t)off + 2 + (size_t)i * 12;
                uint16_t tag = rd16(t, e);
                if (tag == 0x8825) {
                        empty_gps(t, rd32(t, e + 8));
                } else if (tag == 0x8769) {
                        walk_ifd(t, rd32(t, e + 8), depth + 1); /* Exif IFD */
                } else if (is_private_tag(tag)) {
                        blank_value(t, e);
                        t->rep->tags_blanked++;
                }
        }
        if (depth == 0)
                walk_ifd(t, rd32(t, (size_t)off + 2 + (size_t)n * 12), depth + 1); /* IFD1 */
}

/* Clean a TIFF block (EXIF) in place. Returns false when it is not a TIFF
 * block or could not be walked completely: the caller then removes or
 * overwrites the whole block, since what was not walked may hold GPS. */
static bool clean_tiff(uint8_t *b, size_t len, struct app_strip_report *rep)
{
        if (len < 8)
                return false;
        struct tiff t = {.b = b, .len = len, .rep = rep};
        if (memcmp(t.b, "II*\0", 4) == 0)
                t.le = 1;
        else if (memcmp(t.b, "MM\0*", 4) != 0)
                return false;
        walk_ifd(&t, rd32(&t, 4), 0);
        return !t.incomplete;
}

/* An EXIF payload: a TIFF block, or (as some writers put it into PNG eXIf,
 * WebP EXIF or JPEG APP1) "Exif\0\0" then the block. */
static bool clean_exif(uint8_t *p, size_t len, struct app_strip_report *rep)
{
        if (len >= 6 && memcmp(p, "Exif\0\0", 6) == 0) {
                p += 6;
                len -= 6;
        }
        return clean_tiff(p, len, rep);
}

int app_strip_jpeg(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err)
{
        struct app_strip_report rep = {0};
        if (!in || !ret_out || !ret_len || (mode != APP_STRIP_PRIVATE && mode != APP_STRIP_ALL))
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        if (len > APP_STRIP_MAX_BYTES)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: %zu bytes is over the limit", len);
        if (len < 4 || in[0] != 0xff || in[1] != 0xd8)
                return img_fail(err, IMG_E_UNSUPPORTED, "strip: not a JPEG");
        uint8_t *out = malloc(len);
        if (!out)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        size_t o = 0, i = 2;
        out[o++] = 0xff;
        out[o++] = 0xd8;
        int rc = IMG_E_TRUNCATED;
        for (int seg = 0; seg < APP_STRIP_MAX_SEGMENTS; seg++) {
                if (i + 2 > len) {
                        img_fail(err, rc, "strip: JPEG ends before the image data");
                        goto fail;
                }
                if (in[i] != 0xff) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: marker expected at byte %zu", i);
                        goto fail;
                }
                uint8_t m = in[i + 1];
                if (m == 0xff) { /* fill byte */
                        i++;
                        continue;
                }
                if (m == 0xd8 || m == 0xd9 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
                        /* No length; a second SOI or an early EOI is broken. */
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: unexpected marker 0x%02x", m);
                        goto fail;
                }
                if (i + 4 > len) {
                        img_fail(err, IMG_E_TRUNCATED, "strip: segment header cut off");
                        rc = IMG_E_TRUNCATED;
                        goto fail;
                }
                size_t L = (size_t)in[i + 2] << 8 | in[i + 3];
                if (L < 2 || i + 2 + L > len) {
                        rc = img_fail(err, IMG_E_TRUNCATED, "strip: segment 0x%02x runs past the end", m);
                        goto fail;
                }
                if (m == 0xda) {
                        /* SOS: the rest is image data, copied unchanged. */
                        memcpy(out + o, in + i, len - i);
                        o += len - i;
                        if (report)
                                *report = rep;
                        *ret_out = out;
                        *ret_len = o;
                        return 0;
                }
                const uint8_t *p = in + i + 4;
                size_t pl = L - 2;
                bool is_exif = m == 0xe1 && pl >= 6 && memcmp(p, "Exif\0\0", 6) == 0;
                bool drop = m == 0xed || m == 0xfe || (m == 0xe1 && (mode == APP_STRIP_ALL || !is_exif));
                if (!drop) {
                        memcpy(out + o, in + i, 2 + L);
                        /* An EXIF block we cannot walk whole goes whole. */
                        if (is_exif && !clean_exif(out + o + 4, pl, &rep))
                                drop = true;
                        else
                                o += 2 + L;
                }
                if (drop)
                        rep.segments_dropped++;
                i += 2 + L;
        }
        rc = img_fail(err, IMG_E_CORRUPT, "strip: more than %d segments", APP_STRIP_MAX_SEGMENTS);
fail:
        free(out);
        return rc;
}

static int write_durably(const char *path, const uint8_t *buf, size_t len, struct img_errbuf *err)
{
        char tmp[4096];
        if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
                return img_fail(err, IMG_E_IO, "strip: output path too long");
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return img_fail(err, IMG_E_IO, "strip: cannot create output: %s", strerror(errno));
        size_t done = 0;
        while (done < len) {
                ssize_t w = write(fd, buf + done, len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                done += (size_t)w;
        }
        if (done != len || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
                int e = errno;
                close(fd);
                unlink(tmp);
                return img_fail(err, IMG_E_IO, "strip: write failed: %s", strerror(e));
        }
        close(fd);
        if (rename(tmp, path) != 0) {
                int e = errno;
                unlink(tmp);
                return img_fail(err, IMG_E_IO, "strip: rename failed: %s", strerror(e));
        }
        char dirbuf[4096];
        snprintf(dirbuf, sizeof(dirbuf), "%s", path);
        int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
        }
        return 0;
}

/* ---- PNG --------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

/* CRC-32 as PNG defines it (ISO 3309, reflected 0xedb88320). */
struct crc_table {
        uint32_t t[256];
};

static void crc_init(struct crc_table *c)
{
        for (uint32_t n = 0; n < 256; n++) {
                uint32_t v = n;
                for (int k = 0; k < 8; k++)
                        v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
                c->t[n] = v;
        }
}

static uint32_t crc_of(const struct crc_table *c, const uint8_t *p, size_t n)
{
        uint32_t v = 0xffffffffu;
        for (size_t i = 0; i < n; i++)
                v = c->t[(v ^ p[i]) & 0xff] ^ (v >> 8);
        return v ^ 0xffffffffu;
}

/* Chunks kept as they are: the critical ones we know and the ancillary ones
 * that decide how pixels look (colour, transparency, density, animation).
 * Every other ancillary chunk is dropped: text, time, private chunks
 * (Apple's iDOT holds offsets that dropping other chunks would falsify). */
static bool png_keep(const uint8_t *type)
{
        static const char keep[][5] = {"IHDR", "PLTE", "IDAT", "IEND", "iCCP", "sRGB", "gAMA",
                                       "cHRM", "pHYs", "tRNS", "bKGD", "sBIT", "cICP", "acTL",
                                       "fcTL", "fdAT"};
        for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
                if (memcmp(type, keep[k], 4) == 0)
                        return true;
        return false;
}

static bool png_type_ok(const uint8_t *t)
{
        for (int k = 0; k < 4; k++)
                if (!((t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= 'a' && t[k] <= 'z')))
                        return false;
        return true;
}

int app_strip_png(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                  size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err)
{
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        struct app_strip_report rep = {0};
        if (!in || !ret_out || !ret_len || (mode != APP_STRIP_PRIVATE && mode != APP_STRIP_ALL))
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        if (len > APP_STRIP_MAX_BYTES)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: %zu bytes is over the limit", len);
        if (len < 8 || memcmp(in, sig, 8) != 0)
                return img_fail(err, IMG_E_UNSUPPORTED, "strip: not a PNG");
        uint8_t *out = malloc(len);
        if (!out)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        struct crc_table crc;
        crc_init(&crc);
        memcpy(out, sig, 8);
        size_t o = 8, i = 8;
        int rc;
        for (int n = 0; n < APP_STRIP_MAX_CHUNKS; n++) {
                if (i + 12 > len) {
                        rc = img_fail(err, IMG_E_TRUNCATED, "strip: PNG ends before IEND (byte %zu)", i);
                        goto fail;
                }
                uint32_t L = be32(in + i);
                const uint8_t *type = in + i + 4;
                if (L > 0x7fffffffu || !png_type_ok(type)) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: bad PNG chunk header at byte %zu", i);
                        goto fail;
                }
                if ((size_t)L > len - i - 12) {
                        rc = img_fail(err, IMG_E_TRUNCATED, "strip: PNG chunk at byte %zu runs past the end", i);
                        goto fail;
                }
                size_t whole = 12 + (size_t)L;
                if (crc_of(&crc, type, 4 + (size_t)L) != be32(in + i + 8 + L)) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: PNG chunk at byte %zu has a bad CRC", i);
                        goto fail;
                }
                bool ihdr = memcmp(type, "IHDR", 4) == 0;
                if ((n == 0) != ihdr || (ihdr && L != 13)) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: PNG must start with one IHDR");
                        goto fail;
                }
                bool critical = type[0] >= 'A' && type[0] <= 'Z';
                if (memcmp(type, "eXIf", 4) == 0 && mode == APP_STRIP_PRIVATE) {
                        memcpy(out + o, in + i, whole);
                        if (clean_exif(out + o + 8, L, &rep)) {
                                /* Same length; only this chunk's CRC changes. */
                                put_be32(out + o + 8 + L, crc_of(&crc, out + o + 4, 4 + (size_t)L));
                                o += whole;
                        } else {
                                rep.segments_dropped++;
                        }
                } else if (png_keep(type)) {
                        memcpy(out + o, in + i, whole);
                        o += whole;
                } else if (critical) {
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: unknown critical PNG chunk");
                        goto fail;
                } else {
                        rep.segments_dropped++;
                }
                i += whole;
                if (memcmp(type, "IEND", 4) == 0) {
                        if (i < len)
                                rep.segments_dropped++; /* bytes after IEND: not the photo's */
                        if (report)
                                *report = rep;
                        *ret_out = out;
                        *ret_len = o;
                        return 0;
                }
        }
        rc = img_fail(err, IMG_E_CORRUPT, "strip: more than %d PNG chunks", APP_STRIP_MAX_CHUNKS);
fail:
        free(out);
        return rc;
}

/* ---- WebP -------------------------------------------------------------- */

#define VP8X_XMP 0x04
#define VP8X_EXIF 0x08

/* Chunks of the extended format kept as they are (image, alpha, animation,
 * colour); EXIF has its own rule; XMP and unknown chunks go. */
static bool webp_keep(const uint8_t *fourcc)
{
        static const char keep[][5] = {"VP8X", "ICCP", "ANIM", "ANMF", "ALPH", "VP8 ", "VP8L"};
        for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
                if (memcmp(fourcc, keep[k], 4) == 0)
                        return true;
        return false;
}

int app_strip_webp(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err)
{
        struct app_strip_report rep = {0};
        if (!in || !ret_out || !ret_len || (mode != APP_STRIP_PRIVATE && mode != APP_STRIP_ALL))
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        if (len > APP_STRIP_MAX_BYTES)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: %zu bytes is over the limit", len);
        if (len < 12 || memcmp(in, "RIFF", 4) != 0 || memcmp(in + 8, "WEBP", 4) != 0)
                return img_fail(err, IMG_E_UNSUPPORTED, "strip: not a WebP");
        uint32_t riff = le32(in + 4);
        if (riff < 4 + 8)
                return img_fail(err, IMG_E_CORRUPT, "strip: WebP RIFF size %u too small", riff);
        if ((size_t)riff > len - 8)
                return img_fail(err, IMG_E_TRUNCATED, "strip: WebP shorter than its RIFF size");
        size_t end = 8 + (size_t)riff;
        if (end < len)
                rep.segments_dropped++; /* bytes after the RIFF chunk: not the photo's */
        uint8_t *out = malloc(end);
        if (!out)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        memcpy(out, in, 12);
        size_t o = 12, i = 12, vp8x_at = 0;
        bool extended = false, exif_kept = false;
        int rc;
        for (int n = 0; i < end; n++) {
                if (n >= APP_STRIP_MAX_CHUNKS) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: more than %d WebP chunks", APP_STRIP_MAX_CHUNKS);
                        goto fail;
                }
                if (end - i < 8) {
                        rc = img_fail(err, IMG_E_TRUNCATED, "strip: WebP chunk header cut off at byte %zu", i);
                        goto fail;
                }
                const uint8_t *cc = in + i;
                size_t L = le32(in + i + 4);
                if (L > end - i - 8) {
                        rc = img_fail(err, IMG_E_TRUNCATED, "strip: WebP chunk at byte %zu runs past the end", i);
                        goto fail;
                }
                /* A missing pad byte after the very last chunk is tolerated. */
                size_t whole = 8 + L + (L & 1);
                if (whole > end - i)
                        whole = end - i;
                if (n == 0) {
                        extended = memcmp(cc, "VP8X", 4) == 0;
                        if (!extended && memcmp(cc, "VP8 ", 4) != 0 && memcmp(cc, "VP8L", 4) != 0) {
                                rc = img_fail(err, IMG_E_CORRUPT, "strip: WebP starts with no image chunk");
                                goto fail;
                        }
                        if (extended && L < 10) {
                                rc = img_fail(err, IMG_E_CORRUPT, "strip: WebP VP8X chunk too short");
                                goto fail;
                        }
                        vp8x_at = o;
                } else if (memcmp(cc, "VP8X", 4) == 0) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: second WebP VP8X chunk");
                        goto fail;
                }
                bool is_exif = memcmp(cc, "EXIF", 4) == 0;
                bool keep;
                if (!extended && n > 0)
                        keep = false; /* the simple format is one image chunk; the rest is not read */
                else if (is_exif)
                        keep = mode == APP_STRIP_PRIVATE;
                else
                        keep = webp_keep(cc);
                if (keep) {
                        memcpy(out + o, cc, whole);
                        if (is_exif) {
                                keep = clean_exif(out + o + 8, L, &rep);
                                exif_kept = exif_kept || keep;
                        }
                }
                if (keep)
                        o += whole;
                else
                        rep.segments_dropped++;
                i += whole;
        }
        if (extended) {
                uint8_t *flags = out + vp8x_at + 8;
                *flags = (uint8_t)(*flags & ~VP8X_XMP);
                if (!exif_kept)
                        *flags = (uint8_t)(*flags & ~VP8X_EXIF);
        }
        put_le32(out + 4, (uint32_t)(o - 8));
        if (report)
                *report = rep;
        *ret_out = out;
        *ret_len = o;
        return 0;
fail:
        free(out);
        return rc;
}
/* ---- HEIF / HEIC (ISOBMFF) -------------------------------------------- */

#define MAX_MDATS 64               /* top-level mdat boxes remembered */
#define MAX_TOTAL_EXTENTS (1 << 20) /* iloc extents over all items (sizes can be 0 bytes) */

struct box {
        size_t body; /* first payload byte (after size, type, largesize, uuid) */
        size_t end;  /* one past the last byte */
        const uint8_t *type;
};

/* The box whose header starts at `at`, inside a parent ending at `limit`. */
static int box_at(const uint8_t *b, size_t at, size_t limit, struct box *ret, struct img_errbuf *err)
{
        if (limit - at < 8)
                return img_fail(err, IMG_E_TRUNCATED, "strip: HEIF box header cut off at byte %zu", at);
        uint64_t size = be32(b + at);
        size_t hdr = 8;
        if (size == 1) {
                if (limit - at < 16)
                        return img_fail(err, IMG_E_TRUNCATED, "strip: HEIF box header cut off at byte %zu", at);
                size = (uint64_t)be32(b + at + 8) << 32 | be32(b + at + 12);
                hdr = 16;
        } else if (size == 0) {
                size = limit - at; /* "to the end of its parent" */
        }
        if (memcmp(b + at + 4, "uuid", 4) == 0)
                hdr += 16;
        if (size < hdr)
                return img_fail(err, IMG_E_CORRUPT, "strip: HEIF box at byte %zu smaller than its header", at);
        if (size > limit - at)
                return img_fail(err, IMG_E_TRUNCATED, "strip: HEIF box at byte %zu runs past its parent", at);
        ret->body = at + hdr;
        ret->end = at + (size_t)size;
        ret->type = b + at + 4;
        return 0;
}

/* A bounds-checked big-endian reader over one box's payload. */
struct cursor {
        const uint8_t *b;
        size_t pos, end;
        bool short_read;
};

static uint64_t take(struct cursor *c, unsigned n)
{
        if (n > c->end - c->pos) {
                c->short_read = true;
                c->pos = c->end;
                return 0;
        }
        uint64_t v = 0;
        for (unsigned k = 0; k < n; k++)
                v = v << 8 | c->b[c->pos + k];
        c->pos += n;
        return v;
}

enum meta_kind { META_EXIF = 1, META_MIME };

struct meta_item {
        uint32_t id;
        enum meta_kind kind;
};

struct heif {
        const uint8_t *in;
        uint8_t *out;
        size_t len;
        enum app_strip_mode mode;
        size_t mdat[MAX_MDATS][2]; /* payload ranges of top-level mdat boxes */
        int n_mdat;
        struct meta_item items[APP_STRIP_MAX_META_ITEMS];
        int n_items;
        int boxes;
        struct app_strip_report rep;
        struct img_errbuf *err;
};

/* iinf: remember the Exif and mime items (infe v2/v3). */
static int heif_iinf(struct heif *h, const struct box *iinf)
{
        struct cursor c = {.b = h->in, .pos = iinf->body, .end = iinf->end};
        uint8_t version = (uint8_t)take(&c, 1);
        take(&c, 3);
        take(&c, version == 0 ? 2 : 4); /* entry_count: the children are counted instead */
        if (c.short_read)
                return img_fail(h->err, IMG_E_TRUNCATED, "strip: HEIF iinf box cut off");
        size_t at = c.pos;
        for (int n = 0; at < iinf->end; n++) {
                if (n >= APP_STRIP_MAX_ITEMS || ++h->boxes > APP_STRIP_MAX_BOXES + APP_STRIP_MAX_ITEMS)
                        return img_fail(h->err, IMG_E_CORRUPT, "strip: more than %d HEIF items",
                                        APP_STRIP_MAX_ITEMS);
                struct box infe;
                int rc = box_at(h->in, at, iinf->end, &infe, h->err);
                if (rc < 0)
                        return rc;
                at = infe.end;
                if (memcmp(infe.type, "infe", 4) != 0)
                        continue;
                struct cursor e = {.b = h->in, .pos = infe.body, .end = infe.end};
                uint8_t v = (uint8_t)take(&e, 1);
                take(&e, 3);
                if (v < 2 || v > 3)
                        return img_fail(h->err, IMG_E_UNSUPPORTED,
                                        "strip: HEIF item info version %u (only 2 and 3 are handled)", v);
                uint32_t id = (uint32_t)take(&e, v == 2 ? 2 : 4);
                uint16_t protection = (uint16_t)take(&e, 2);
                if (e.short_read || e.end - e.pos < 4)
                        return img_fail(h->err, IMG_E_TRUNCATED, "strip: HEIF item info cut off");
                const uint8_t *type = h->in + e.pos;
                enum meta_kind kind = memcmp(type, "Exif", 4) == 0 ? META_EXIF
                                      : memcmp(type, "mime", 4) == 0 ? META_MIME
                                                                     : 0;
                if (!kind)
                        continue;
                if (protection != 0)
                        return img_fail(h->err, IMG_E_UNSUPPORTED, "strip: HEIF metadata item is protected");
                if (h->n_items >= APP_STRIP_MAX_META_ITEMS)
                        return img_fail(h->err, IMG_E_UNSUPPORTED, "strip: more than %d HEIF metadata items",
                                        APP_STRIP_MAX_META_ITEMS);
                h->items[h->n_items].id = id;
                h->items[h->n_items].kind = kind;
                h->n_items++;
        }
        return 0;
}

static enum meta_kind meta_kind_of(const struct heif *h, uint32_t id)
{
        for (int k = 0; k < h->n_items; k++)
                if (h->items[k].id == id)
                        return h->items[k].kind;
        return 0;
}

static bool in_mdat(const struct heif *h, uint64_t off, uint64_t n)
{
        for (int k = 0; k < h->n_mdat; k++)
                if (off >= h->mdat[k][0] && off <= h->mdat[k][1] && n <= h->mdat[k][1] - off)
                        return true;
        return false;
}

/* Overwrite one metadata item's payload: an Exif item becomes an empty TIFF
 * block (big-endian, IFD0 with no entry) where the first extent has room,
 * zeros elsewhere; a mime (XMP) item becomes zeros. */
static void heif_blank(struct heif *h, enum meta_kind kind, uint64_t ext[][2], int n_ext)
{
        static const uint8_t empty_exif[18] = {0, 0, 0, 0, 'M', 'M', 0, '*', 0, 0, 0, 8, 0, 0, 0, 0, 0, 0};
        for (int k = 0; k < n_ext; k++)
                memset(h->out + ext[k][0], 0, (size_t)ext[k][1]);
        if (kind == META_EXIF && n_ext > 0 && ext[0][1] >= sizeof(empty_exif))
                memcpy(h->out + ext[0][0], empty_exif, sizeof(empty_exif));
        h->rep.items_blanked++;
}

/* iloc v0-2: find each metadata item's extents and clean or blank them. */
static int heif_iloc(struct heif *h, const struct box *iloc)
{
        struct cursor c = {.b = h->in, .pos = iloc->body, .end = iloc->end};
        uint8_t version = (uint8_t)take(&c, 1);
        take(&c, 3);
        if (c.short_read)
                return img_fail(h->err, IMG_E_TRUNCATED, "strip: HEIF iloc box cut off");
        if (version > 2)
                return img_fail(h->err, IMG_E_UNSUPPORTED, "strip: HEIF iloc version %u (only 0-2 are handled)",
                                version);
        uint8_t a = (uint8_t)take(&c, 1), b = (uint8_t)take(&c, 1);
        unsigned off_size = a >> 4, len_size = a & 15, base_size = b >> 4;
        unsigned index_size = version >= 1 ? (unsigned)(b & 15) : 0;
        if ((off_size | len_size | base_size | index_size) & ~12u)
                return img_fail(h->err, IMG_E_CORRUPT, "strip: HEIF iloc field size not 0, 4 or 8");
        uint32_t count = (uint32_t)take(&c, version < 2 ? 2 : 4);
        if (count > APP_STRIP_MAX_ITEMS)
                return img_fail(h->err, IMG_E_CORRUPT, "strip: more than %d HEIF items", APP_STRIP_MAX_ITEMS);
        uint64_t (*ex)[2] = malloc(sizeof(uint64_t[APP_STRIP_MAX_EXTENTS][2]));
        if (!ex)
                return img_fail(h->err, IMG_E_INTERNAL, "strip: out of memory");
        int rc = 0;
        uint64_t total = 0;
        for (uint32_t it = 0; it < count && rc == 0; it++) {
                uint32_t id = (uint32_t)take(&c, version < 2 ? 2 : 4);
                unsigned method = version >= 1 ? (unsigned)(take(&c, 2) & 15) : 0;
                uint16_t dref = (uint16_t)take(&c, 2);
                uint64_t base = take(&c, base_size);
                uint16_t n_ext = (uint16_t)take(&c, 2);
                if (c.short_read)
                        break;
                enum meta_kind kind = meta_kind_of(h, id);
                if (kind && method != 0)
                        rc = img_fail(h->err, IMG_E_UNSUPPORTED,
                                      "strip: HEIF metadata item stored with construction_method %u "
                                      "(only 0, file offsets, is handled)", method);
                else if (kind && dref != 0)
                        rc = img_fail(h->err, IMG_E_UNSUPPORTED, "strip: HEIF metadata item in another file");
                else if (kind && n_ext > APP_STRIP_MAX_EXTENTS)
                        rc = img_fail(h->err, IMG_E_UNSUPPORTED, "strip: HEIF metadata item in %u extents", n_ext);
                total += n_ext;
                if (rc == 0 && total > MAX_TOTAL_EXTENTS)
                        rc = img_fail(h->err, IMG_E_CORRUPT, "strip: more than %d HEIF extents", MAX_TOTAL_EXTENTS);
                for (unsigned e = 0; e < n_ext && rc == 0; e++) {
                        take(&c, index_size);
                        uint64_t off = take(&c, off_size), n = take(&c, len_size);
                        if (c.short_read || !kind)
                                continue;
                        if (n == 0)
                                rc = img_fail(h->err, IMG_E_UNSUPPORTED,
                                              "strip: HEIF metadata extent of length 0 (to the end of the file)");
                        else if (off > UINT64_MAX - base || !in_mdat(h, base + off, n))
                                rc = img_fail(h->err, IMG_E_CORRUPT, "strip: HEIF metadata item outside every mdat box");
                        ex[e][0] = base + off;
                        ex[e][1] = n;
                }
                if (rc < 0 || c.short_read || !kind)
                        continue;
                if (kind == META_EXIF && h->mode == APP_STRIP_PRIVATE && n_ext == 1 && ex[0][1] >= 4) {
                        /* exif_tiff_header_offset, then the TIFF block after it. */
                        uint8_t *p = h->out + ex[0][0];
                        size_t L = (size_t)ex[0][1];
                        uint32_t skip = be32(p);
                        if (skip <= L - 4 && clean_exif(p + 4 + skip, L - 4 - skip, &h->rep))
                                continue;
                }
                heif_blank(h, kind, ex, n_ext);
        }
        free(ex);
        if (rc == 0 && c.short_read)
                rc = img_fail(h->err, IMG_E_TRUNCATED, "strip: HEIF iloc box cut off");
        return rc;
}

int app_strip_heif(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                   size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err)
{
        if (!in || !ret_out || !ret_len || (mode != APP_STRIP_PRIVATE && mode != APP_STRIP_ALL))
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        if (len > APP_STRIP_MAX_BYTES)
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: %zu bytes is over the limit", len);
        if (len < 12 || memcmp(in + 4, "ftyp", 4) != 0)
                return img_fail(err, IMG_E_UNSUPPORTED, "strip: not a HEIF file");
        struct heif *h = calloc(1, sizeof(*h));
        if (!h)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        h->in = in;
        h->len = len;
        h->mode = mode;
        h->err = err;
        struct box meta = {0};
        int rc = 0;
        /* Top level: remember mdat payloads and the one meta box. */
        size_t at = 0;
        for (int n = 0; at < len && rc == 0; n++) {
                struct box bx;
                if (n >= APP_STRIP_MAX_BOXES) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: more than %d HEIF boxes", APP_STRIP_MAX_BOXES);
                        break;
                }
                rc = box_at(in, at, len, &bx, err);
                if (rc < 0)
                        break;
                h->boxes++;
                if (n == 0 && memcmp(bx.type, "ftyp", 4) != 0)
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: not a HEIF file");
                else if (memcmp(bx.type, "meta", 4) == 0 && meta.type)
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: HEIF file with two meta boxes");
                else if (memcmp(bx.type, "meta", 4) == 0)
                        meta = bx;
                else if (memcmp(bx.type, "mdat", 4) == 0 && h->n_mdat < MAX_MDATS) {
                        h->mdat[h->n_mdat][0] = bx.body;
                        h->mdat[h->n_mdat][1] = bx.end;
                        h->n_mdat++;
                } else if (memcmp(bx.type, "mdat", 4) == 0)
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: more than %d HEIF mdat boxes", MAX_MDATS);
                at = bx.end;
        }
        if (rc == 0 && !meta.type)
                rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: HEIF file without a meta box");
        /* meta is a full box: version and flags, then its children. */
        struct box iinf = {0}, iloc = {0};
        at = meta.body + 4;
        if (rc == 0 && meta.end - meta.body < 4)
                rc = img_fail(err, IMG_E_TRUNCATED, "strip: HEIF meta box cut off");
        for (int n = 0; rc == 0 && at < meta.end; n++) {
                struct box bx;
                if (++h->boxes > APP_STRIP_MAX_BOXES) {
                        rc = img_fail(err, IMG_E_CORRUPT, "strip: more than %d HEIF boxes", APP_STRIP_MAX_BOXES);
                        break;
                }
                rc = box_at(in, at, meta.end, &bx, err);
                if (rc < 0)
                        break;
                at = bx.end;
                bool is_iinf = memcmp(bx.type, "iinf", 4) == 0, is_iloc = memcmp(bx.type, "iloc", 4) == 0;
                if ((is_iinf && iinf.type) || (is_iloc && iloc.type))
                        rc = img_fail(err, IMG_E_UNSUPPORTED, "strip: HEIF meta box with two %.4s boxes",
                                      (const char *)bx.type);
                else if (is_iinf)
                        iinf = bx;
                else if (is_iloc)
                        iloc = bx;
        }
        if (rc == 0) {
                h->out = malloc(len);
                if (!h->out)
                        rc = img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
                else
                        memcpy(h->out, in, len);
        }
        if (rc == 0 && iinf.type)
                rc = heif_iinf(h, &iinf);
        /* Metadata items without an iloc entry have no bytes to blank. */
        if (rc == 0 && iloc.type && h->n_items > 0)
                rc = heif_iloc(h, &iloc);
        if (rc < 0) {
                free(h->out);
                free(h);
                return rc;
        }
        if (report)
                *report = h->rep;
        *ret_out = h->out;
        *ret_len = len;
        free(h);
        return 0;
}

/* ---- any format, files ------------------------------------------------- */

bool app_strip_supports(enum img_format f)
{
        return f == IMG_FMT_JPEG || f == IMG_FMT_PNG || f == IMG_FMT_WEBP || f == IMG_FMT_HEIF;
}

enum img_format app_strip_sniff(const uint8_t *in, size_t len)
{
        if (!in)
                return IMG_FMT_UNKNOWN;
        if (len >= 3 && in[0] == 0xff && in[1] == 0xd8 && in[2] == 0xff)
                return IMG_FMT_JPEG;
        if (len >= 8 && memcmp(in, "\x89PNG\r\n\x1a\n", 8) == 0)
                return IMG_FMT_PNG;
        if (len >= 12 && memcmp(in, "RIFF", 4) == 0 && memcmp(in + 8, "WEBP", 4) == 0)
                return IMG_FMT_WEBP;
        if (len >= 12 && memcmp(in + 4, "ftyp", 4) == 0)
                return IMG_FMT_HEIF;
        return IMG_FMT_UNKNOWN;
}

int app_strip(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
              size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err)
{
        if (!in)
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        if (len == 0)
                return img_fail(err, IMG_E_EMPTY, "strip: empty file");
        switch (app_strip_sniff(in, len)) {
        case IMG_FMT_JPEG:
                return app_strip_jpeg(in, len, mode, ret_out, ret_len, report, err);
        case IMG_FMT_PNG:
                return app_strip_png(in, len, mode, ret_out, ret_len, report, err);
        case IMG_FMT_WEBP:
                return app_strip_webp(in, len, mode, ret_out, ret_len, report, err);
        case IMG_FMT_HEIF:
                return app_strip_heif(in, len, mode, ret_out, ret_len, report, err);
        default:
                return img_fail(err, IMG_E_UNSUPPORTED, "strip: not a JPEG, PNG, WebP or HEIF file");
        }
}

typedef int strip_fn(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                     size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);

/* Read in_path whole (a regular file within the size limit), strip it with
 * fn, write out_path durably. Nothing is written unless the strip succeeds. */
static int strip_file_with(strip_fn *fn, const char *in_path, const char *out_path, enum app_strip_mode mode,
                           struct app_strip_report *report, struct img_errbuf *err)
{
        if (!in_path || !out_path)
                return img_fail(err, IMG_E_INVALID, "strip: bad argument");
        int fd = open(in_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return img_fail(err, IMG_E_UNREADABLE, "strip: cannot open input: %s", strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return img_fail(err, IMG_E_UNREADABLE, "strip: input is not a regular file");
        }
        if ((uint64_t)st.st_size > APP_STRIP_MAX_BYTES) {
                close(fd);
                return img_fail(err, IMG_E_FILE_TOO_LARGE, "strip: input over the size limit");
        }
        size_t len = (size_t)st.st_size;
        uint8_t *buf = malloc(len ? len : 1);
        size_t got = 0;
        int rerr = 0;
        while (buf && got < len) {
                ssize_t r = read(fd, buf + got, len - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        rerr = errno;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        if (!buf)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        if (rerr) {
                free(buf);
                return img_fail(err, IMG_E_UNREADABLE, "strip: cannot read input: %s", strerror(rerr));
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        int rc = fn(buf, got, mode, &out, &out_len, report, err);
        free(buf);
        if (rc == 0)
                rc = write_durably(out_path, out, out_len, err);
        free(out);
        return rc;
}

int app_strip_jpeg_file(const char *in_path, const char *out_path, enum app_strip_mode mode,
                        struct app_strip_report *report, struct img_errbuf *err)
{
        return strip_file_with(app_strip_jpeg, in_path, out_path, mode, report, err);
}

int app_strip_file(const char *in_path, const char *out_path, enum app_strip_mode mode,
                   struct app_strip_report *report, struct img_errbuf *err)
{
        return strip_file_with(app_strip, in_path, out_path, mode, report, err);
}
