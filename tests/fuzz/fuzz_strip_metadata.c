/* Fuzz target: metadata stripping (app/strip_metadata.c) for every format it
 * handles: JPEG, PNG, WebP, HEIF/HEIC, through the sniffing entry point and
 * each format's own one, in both modes. Any input is refused with a reason,
 * or gives an output no longer than the input (HEIF: as long) that starts
 * with the input's first two bytes and that the stripper accepts again (what it emits is
 * well-formed by its own rules: lengths, CRCs, RIFF size, boxes untouched).
 * Corpus: tests/fuzz/corpus/strip_metadata/ (seeds from
 * tests/fuzz/make-seeds-strip.sh plus past findings). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/strip_metadata.h"

typedef int strip_fn(const uint8_t *in, size_t len, enum app_strip_mode mode, uint8_t **ret_out,
                     size_t *ret_len, struct app_strip_report *report, struct img_errbuf *err);

static void check(strip_fn *fn, const uint8_t *data, size_t size, int mode)
{
        uint8_t *out = NULL;
        size_t n = 0;
        struct img_errbuf err = {{0}};
        if (fn(data, size, mode, &out, &n, NULL, &err) != 0) {
                if (!err.msg[0] || out)
                        abort();
                return;
        }
        if (n > size || n < 4 || memcmp(out, data, 2) != 0)
                abort();
        if (fn == app_strip_heif && n != size)
                abort();
        uint8_t *again = NULL;
        size_t m = 0;
        struct img_errbuf err2 = {{0}};
        if (fn(out, n, mode, &again, &m, NULL, &err2) != 0 || m > n)
                abort();
        free(again);
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static strip_fn *const fns[] = {app_strip, app_strip_jpeg, app_strip_png, app_strip_webp, app_strip_heif};
        for (int mode = APP_STRIP_PRIVATE; mode <= APP_STRIP_ALL; mode++)
                for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
                        check(fns[k], data, size, mode);
        return 0;
}
