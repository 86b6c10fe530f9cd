/* Fuzz target: ICC profile validation and identification (image/colour.c
 * img_icc_from_memory, lcms2 underneath). Any bytes are accepted with a
 * printable description and a hex hash, or refused with a reason.
 * Corpus: tests/fuzz/corpus/icc/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/colour.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_icc icc;
        struct img_errbuf err = {{0}};
        if (img_icc_from_memory(data, size, true, &icc, &err) == 0) {
                if (strlen(icc.sha256) != 64 || strnlen(icc.desc, sizeof(icc.desc)) == sizeof(icc.desc))
                        abort();
                for (const char *c = icc.desc; *c; c++)
                        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                                abort();
                img_icc_done(&icc);
        } else if (!err.msg[0]) {
                abort();
        }
        return 0;
}
