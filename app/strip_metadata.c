/* app/strip_metadata: JPEG metadata stripping without re-encoding.
 *
 * Invariants: the output is the input with some marker segments removed and
 * some EXIF value bytes zeroed; nothing from the first SOS on changes; every
 * read is bounds-checked against its segment; each IFD is visited at most
 * once (a visited list of IMG_STRIP_MAX_IFDS), so hostile loops end.
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
        if (ts == 0 || count > t->len)
                return;
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
        if (off < 8 || off >= t->len || t->n_seen >= MAX_IFDS)
                return 0;
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
        if (!visit(t, off) || (size_t)off + 2 > t->len)
                return;
        uint16_t n = rd16(t, off);
        if (n > MAX_ENTRIES || (size_t)off + 2 + (size_t)n * 12 > t->len)
                return;
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
        if (depth > 3 || !visit(t, off) || (size_t)off + 2 > t->len)
                return;
        uint16_t n = rd16(t, off);
        if (n > MAX_ENTRIES || (size_t)off + 2 + (size_t)n * 12 + 4 > t->len)
                return;
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

static void clean_exif(uint8_t *seg, size_t len, struct app_strip_report *rep)
{
        /* seg: the APP1 payload "Exif\0\0" + TIFF block. */
        if (len < 6 + 8)
                return;
        struct tiff t = {.b = seg + 6, .len = len - 6, .rep = rep};
        if (memcmp(t.b, "II*\0", 4) == 0)
                t.le = 1;
        else if (memcmp(t.b, "MM\0*", 4) != 0)
                return;
        walk_ifd(&t, rd32(&t, 4), 0);
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
                if (drop) {
                        rep.segments_dropped++;
                } else {
                        memcpy(out + o, in + i, 2 + L);
                        if (is_exif)
                                clean_exif(out + o + 4, pl, &rep);
                        o += 2 + L;
                }
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

int app_strip_jpeg_file(const char *in_path, const char *out_path, enum app_strip_mode mode,
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
        while (buf && got < len) {
                ssize_t r = read(fd, buf + got, len - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        if (!buf)
                return img_fail(err, IMG_E_INTERNAL, "strip: out of memory");
        uint8_t *out = NULL;
        size_t out_len = 0;
        int rc = app_strip_jpeg(buf, got, mode, &out, &out_len, report, err);
        free(buf);
        if (rc == 0)
                rc = write_durably(out_path, out, out_len, err);
        free(out);
        return rc;
}
