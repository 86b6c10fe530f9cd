/* Fuzz target: the transform record JSON parser (app/transform_record.c).
 * A record either parses into a spec that survives a round trip unchanged, or
 * is refused with the key named. Corpus: tests/fuzz/corpus/transform_record/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/transform_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_render_spec spec, again;
        struct img_errbuf err = {{0}};
        if (app_record_parse((const char *)data, size, &spec, &err) != 0) {
                if (!err.msg[0])
                        abort();
                return 0;
        }
        json_t *rec = app_record_from_spec(&spec, NULL);
        if (!rec)
                abort();
        if (app_record_to_spec(rec, &again, &err) != 0)
                abort(); /* what we accepted we must be able to write back */
        json_decref(rec);
        return 0;
}
