/* image/exif: bounded EXIF (TIFF IFD) reader; see exif_internal.h.
 *
 * Invariants: all reads go through get_bytes(), which checks offset + size
 * against the block length in 64-bit arithmetic; every IFD role (0, Exif,
 * Interop, 1) is visited at most once; entry counts are capped. */
#include "image/exif_internal.h"

#include <stdio.h>
#include <string.h>

struct tiff {
        const uint8_t *p;
        size_t len;
        bool big_endian;
};

enum {
        TAG_MAKE = 0x010F,
        TAG_MODEL = 0x0110,
        TAG_ORIENTATION = 0x0112,
        TAG_JPEG_OFFSET = 0x0201,
        TAG_JPEG_LENGTH = 0x0202,
        TAG_EXIF_IFD = 0x8769,
        TAG_DATETIME_ORIGINAL = 0x9003,
        TAG_OFFSET_TIME_ORIGINAL = 0x9011,
        TAG_COLOUR_SPACE = 0xA001,
        TAG_INTEROP_IFD = 0xA005,
        TAG_INTEROP_INDEX = 0x0001,
};

enum { T_BYTE = 1, T_ASCII = 2, T_SHORT = 3, T_LONG = 4, T_UNDEFINED = 7 };

static const uint8_t *get_bytes(const struct tiff *t, uint64_t off, uint64_t n)
{
        if (off > t->len || n > t->len - off)
                return NULL;
        return t->p + off;
}

static bool get_u16(const struct tiff *t, uint64_t off, uint32_t *v)
{
        const uint8_t *b = get_bytes(t, off, 2);
        if (!b)
                return false;
        *v = t->big_endian ? (uint32_t)(b[0] << 8 | b[1]) : (uint32_t)(b[1] << 8 | b[0]);
        return true;
}

static bool get_u32(const struct tiff *t, uint64_t off, uint32_t *v)
{
        const uint8_t *b = get_bytes(t, off, 4);
        if (!b)
                return false;
        if (t->big_endian)
                *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        else
                *v = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
        return true;
}

struct entry {
        uint32_t tag, type, count;
        uint64_t value_off; /* where the value bytes are (inline or pointed to) */
        uint64_t value_len;
};

static uint32_t type_size(uint32_t type)
{
        switch (type) {
        case T_BYTE:
        case T_ASCII:
        case T_UNDEFINED:
                return 1;
        case T_SHORT:
                return 2;
        case T_LONG:
                return 4;
        default:
                return 0; /* types we never read */
        }
}

/* An integer value (SHORT or LONG, count 1). */
static bool entry_uint(const struct tiff *t, const struct entry *e, uint32_t *v)
{
        if (e->count < 1)
                return false;
        if (e->type == T_SHORT)
                return get_u16(t, e->value_off, v);
        if (e->type == T_LONG)
                return get_u32(t, e->value_off, v);
        return false;
}

/* An ASCII value copied NUL-terminated into out (truncated to outlen - 1). */
static void entry_ascii(const struct tiff *t, const struct entry *e, char *out, size_t outlen)
{
        out[0] = '\0';
        if ((e->type != T_ASCII && e->type != T_UNDEFINED) || outlen == 0)
                return;
        const uint8_t *b = get_bytes(t, e->value_off, e->value_len);
        if (!b)
                return;
        size_t n = e->value_len < outlen - 1 ? (size_t)e->value_len : outlen - 1;
        size_t i = 0;
        for (; i < n && b[i]; i++)
                out[i] = (char)b[i];
        out[i] = '\0';
}

typedef void (*entry_fn)(const struct tiff *t, const struct entry *e, void *ud);

/* Walk one IFD; returns the next-IFD offset (0 when none or unreadable). */
static uint32_t walk_ifd(const struct tiff *t, uint32_t off, entry_fn fn, void *ud)
{
        uint32_t n;
        if (off < 8 || !get_u16(t, off, &n))
                return 0;
        if (n > IMG_EXIF_MAX_ENTRIES)
                n = IMG_EXIF_MAX_ENTRIES;
        for (uint32_t i = 0; i < n; i++) {
                uint64_t eo = (uint64_t)off + 2 + (uint64_t)i * 12;
                struct entry e;
                uint32_t type, count;
                if (!get_u16(t, eo, &e.tag) || !get_u16(t, eo + 2, &type) ||
                    !get_u32(t, eo + 4, &count))
                        return 0;
                e.type = type;
                e.count = count;
                uint32_t ts = type_size(type);
                if (ts == 0)
                        continue;
                e.value_len = (uint64_t)ts * count;
                if (e.value_len <= 4) {
                        e.value_off = eo + 8;
                } else {
                        uint32_t vo;
                        if (!get_u32(t, eo + 8, &vo))
                                return 0;
                        e.value_off = vo;
                }
                fn(t, &e, ud);
        }
        uint32_t next = 0;
        if (!get_u32(t, (uint64_t)off + 2 + (uint64_t)n * 12, &next))
                return 0;
        return next;
}

struct walk {
        struct img_exif *ex;
        uint32_t exif_ifd, interop_ifd;
        uint32_t thumb_off, thumb_len;
};

static void on_ifd0(const struct tiff *t, const struct entry *e, void *ud)
{
        struct walk *w = ud;
        uint32_t v;
        switch (e->tag) {
        case TAG_MAKE:
                entry_ascii(t, e, w->ex->make, sizeof(w->ex->make));
                break;
        case TAG_MODEL:
                entry_ascii(t, e, w->ex->model, sizeof(w->ex->model));
                break;
        case TAG_ORIENTATION:
                if (entry_uint(t, e, &v))
                        w->ex->orientation = v > 0xFFFF ? 0 : (int)v;
                break;
        case TAG_EXIF_IFD:
                if (entry_uint(t, e, &v))
                        w->exif_ifd = v;
                break;
        default:
                break;
        }
}

static void on_exif_ifd(const struct tiff *t, const struct entry *e, void *ud)
{
        struct walk *w = ud;
        uint32_t v;
        switch (e->tag) {
        case TAG_DATETIME_ORIGINAL:
                entry_ascii(t, e, w->ex->datetime, sizeof(w->ex->datetime));
                break;
        case TAG_OFFSET_TIME_ORIGINAL:
                entry_ascii(t, e, w->ex->offset, sizeof(w->ex->offset));
                break;
        case TAG_COLOUR_SPACE:
                if (entry_uint(t, e, &v))
                        w->ex->colour_space = v > 0xFFFF ? 0 : (int)v;
                break;
        case TAG_INTEROP_IFD:
                if (entry_uint(t, e, &v))
                        w->interop_ifd = v;
                break;
        default:
                break;
        }
}

static void on_interop_ifd(const struct tiff *t, const struct entry *e, void *ud)
{
        struct walk *w = ud;
        if (e->tag == TAG_INTEROP_INDEX) {
                char idx[8];
                entry_ascii(t, e, idx, sizeof(idx));
                w->ex->interop_r03 = strcmp(idx, "R03") == 0;
        }
}

static void on_ifd1(const struct tiff *t, const struct entry *e, void *ud)
{
        struct walk *w = ud;
        uint32_t v;
        if (e->tag == TAG_JPEG_OFFSET && entry_uint(t, e, &v))
                w->thumb_off = v;
        else if (e->tag == TAG_JPEG_LENGTH && entry_uint(t, e, &v))
                w->thumb_len = v;
}

int img_exif_parse(const uint8_t *blob, size_t len, struct img_exif *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (!blob)
                return -1;
        size_t base = 0;
        if (len >= 6 && memcmp(blob, "Exif\0\0", 6) == 0)
                base = 6;
        struct tiff t = {.p = blob + base, .len = len - base};
        if (t.len < 8)
                return -1;
        if (memcmp(t.p, "II", 2) == 0)
                t.big_endian = false;
        else if (memcmp(t.p, "MM", 2) == 0)
                t.big_endian = true;
        else
                return -1;
        uint32_t magic, ifd0;
        if (!get_u16(&t, 2, &magic) || magic != 42 || !get_u32(&t, 4, &ifd0))
                return -1;

        struct walk w = {.ex = ret};
        uint32_t ifd1 = walk_ifd(&t, ifd0, on_ifd0, &w);
        /* Each role once: an IFD pointing at itself or another is read as
         * that role only, so the walk is bounded by four IFDs. */
        if (w.exif_ifd && w.exif_ifd != ifd0)
                walk_ifd(&t, w.exif_ifd, on_exif_ifd, &w);
        if (w.interop_ifd && w.interop_ifd != ifd0 && w.interop_ifd != w.exif_ifd)
                walk_ifd(&t, w.interop_ifd, on_interop_ifd, &w);
        if (ifd1 && ifd1 != ifd0 && ifd1 != w.exif_ifd) {
                walk_ifd(&t, ifd1, on_ifd1, &w);
                if (w.thumb_len >= 4 && get_bytes(&t, w.thumb_off, w.thumb_len) &&
                    t.p[w.thumb_off] == 0xFF && t.p[w.thumb_off + 1] == 0xD8) {
                        ret->thumb_offset = base + w.thumb_off;
                        ret->thumb_length = w.thumb_len;
                }
        }
        return 0;
}

static bool digits(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

void img_exif_iso_date(const struct img_exif *ex, char *out, size_t outlen)
{
        const char *d = ex->datetime;
        if (outlen)
                out[0] = '\0';
        /* "YYYY:MM:DD HH:MM:SS", all digits where digits belong; "0000:..." is a
         * camera with no clock set, which is no date at all. */
        if (strlen(d) != 19 || !digits(d, 4) || d[4] != ':' || !digits(d + 5, 2) || d[7] != ':' ||
            !digits(d + 8, 2) || (d[10] != ' ' && d[10] != 'T') || !digits(d + 11, 2) ||
            d[13] != ':' || !digits(d + 14, 2) || d[16] != ':' || !digits(d + 17, 2))
                return;
        if (memcmp(d, "0000", 4) == 0 || memcmp(d + 5, "00", 2) == 0 || memcmp(d + 8, "00", 2) == 0)
                return;
        const char *o = ex->offset;
        bool has_off = strlen(o) == 6 && (o[0] == '+' || o[0] == '-') && digits(o + 1, 2) &&
                       o[3] == ':' && digits(o + 4, 2);
        snprintf(out, outlen, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%s", d, d + 5, d + 8, d + 11, d + 14,
                 d + 17, has_off ? o : "");
}
