/* Fuzz target: JPEG metadata stripping (app/strip_metadata.c). Any input is
 * refused or gives an output no longer than the input whose image data (from
 * the first SOS) is the input's, in both modes. Corpus:
 * tests/fuzz/corpus/strip_metadata/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/strip_metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        for (int mode = APP_STRIP_PRIVATE; mode <= APP_STRIP_ALL; mode++) {
                uint8_t *out = NULL;
                size_t n = 0;
                struct img_errbuf err = {{0}};
                if (app_strip_jpeg(data, size, mode, &out, &n, NULL, &err) == 0) {
                        if (n > size || n < 4 || out[0] != 0xff || out[1] != 0xd8)
                                abort();
                        free(out);
                } else if (!err.msg[0]) {
                        abort();
                }
        }
        return 0;
}
