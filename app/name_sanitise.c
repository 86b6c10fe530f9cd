/* app/name_sanitise: raw file name bytes -> safe display name (see the header
 * for the output invariants). A small UTF-8 decoder that rejects overlong
 * forms, surrogates and code points above U+10FFFF, so the output is valid
 * UTF-8 whatever the input. */
#include "app/name_sanitise.h"

#include <stdint.h>
#include <string.h>

/* Decode one UTF-8 sequence at s[0..n). Returns its length (1..4) and the code
 * point, or 0 when the bytes are not a valid, shortest-form sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
        unsigned char c = s[0];
        size_t len;
        uint32_t v, min;
        if (c < 0x80) {
                *cp = c;
                return 1;
        } else if ((c & 0xe0) == 0xc0) {
                len = 2, v = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                len = 3, v = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                len = 4, v = c & 0x07, min = 0x10000;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (s[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        *cp = v;
        return len;
}

/* Characters that are valid but must not reach a label or a terminal. */
static int is_unsafe(uint32_t cp)
{
        return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
               (cp >= 0x202a && cp <= 0x202e) || /* bidi embedding/override */
               (cp >= 0x2066 && cp <= 0x2069) || /* bidi isolates */
               cp == 0x200e || cp == 0x200f || cp == 0xfeff;
}

size_t app_name_sanitise(const char *raw, size_t raw_len, char *out, size_t out_size)
{
        if (!out || out_size < 8)
                return 0;
        size_t cap = out_size - 1;
        if (cap > APP_NAME_DISPLAY_MAX)
                cap = APP_NAME_DISPLAY_MAX;
        const unsigned char *s = (const unsigned char *)raw;
        size_t i = 0, o = 0;
        /* The loop consumes at least one input byte per turn: bounded by raw_len. */
        while (raw && i < raw_len) {
                uint32_t cp = 0;
                size_t len = utf8_decode(s + i, raw_len - i, &cp);
                const char *rep = NULL;
                size_t rep_len = 0;
                if (len == 0) {
                        rep = "\xef\xbf\xbd", rep_len = 3; /* U+FFFD */
                        len = 1;
                } else if (is_unsafe(cp)) {
                        rep = "?", rep_len = 1;
                } else if (o == 0 && cp == '-') {
                        rep = "_", rep_len = 1;
                } else {
                        rep = (const char *)s + i, rep_len = len;
                }
                if (o + rep_len > cap)
                        break; /* never cut a character */
                memcpy(out + o, rep, rep_len);
                o += rep_len;
                i += len;
        }
        if (o == 0)
                out[o++] = '_';
        out[o] = '\0';
        return o;
}
