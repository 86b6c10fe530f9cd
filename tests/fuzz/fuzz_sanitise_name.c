/* Fuzz target: app_name_sanitise on arbitrary bytes. Checks the output
 * invariants (valid UTF-8, no control characters, no leading '-', bounded,
 * non-empty) and aborts when one is broken, so the replay test fails. */
#include "app/name_sanitise.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                                               : (c & 0xf8) == 0xf0 ? 4 : 0;
                if (len == 0 || i + len > n)
                        abort();
                for (size_t k = 1; k < len; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                abort();
                if (c < 0x20 || c == 0x7f)
                        abort();
                if (c == 0xc2 && s[i + 1] < 0xa0) /* C1 controls U+0080..U+009F */
                        abort();
                i += len;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t sizes[] = {8, 16, 64, 256};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                char *out = malloc(sizes[k]);
                if (!out)
                        return 0;
                size_t n = app_name_sanitise((const char *)data, size, out, sizes[k]);
                if (n == 0 || n >= sizes[k] || n > APP_NAME_DISPLAY_MAX || strlen(out) != n ||
                    out[0] == '-')
                        abort();
                check_utf8((const unsigned char *)out, n);
                free(out);
        }
        return 0;
}
