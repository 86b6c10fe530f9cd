/* Fuzz target: image/'s EXIF reader alone (img_exif_parse, img_exif_iso_date).
 * Any block must parse or be refused without reading out of bounds; a parsed
 * thumbnail location must lie inside the block; strings stay terminated.
 * Corpus: tests/fuzz/corpus/exif/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/exif_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_exif ex;
        if (img_exif_parse(data, size, &ex) != 0)
                return 0;
        if (ex.thumb_length && (ex.thumb_offset > size || ex.thumb_length > size - ex.thumb_offset))
                abort();
        if (strnlen(ex.make, sizeof(ex.make)) == sizeof(ex.make) ||
            strnlen(ex.model, sizeof(ex.model)) == sizeof(ex.model) ||
            strnlen(ex.datetime, sizeof(ex.datetime)) == sizeof(ex.datetime))
                abort();
        char iso[40];
        img_exif_iso_date(&ex, iso, sizeof(iso));
        if (strnlen(iso, sizeof(iso)) == sizeof(iso))
                abort();
        return 0;
}
