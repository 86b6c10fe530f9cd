/* Fuzz target: the .ini parsers of image/ (product catalogue and paper
 * manifest) and the transform record parser (app/transform_record.c) on the
 * same bytes. None may crash, leak or read out of bounds; a parsed catalogue
 * must satisfy its own invariants. Corpus: tests/fuzz/corpus/catalogue/. */
#include "app/transform_record.h"
#include "image/catalogue.h"
#include "image/paper.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_errbuf eb;
        struct img_catalogue *c = NULL;
        if (img_catalogue_parse((const char *)data, size, &c, &eb) == 0) {
                for (size_t i = 0; i < img_catalogue_count(c); i++) {
                        const struct img_product *p = img_catalogue_at(c, i);
                        if (p->long_in < p->short_in || p->dpi < 150 || p->strong_dpi >= p->warn_dpi ||
                            img_catalogue_find(c, p->sku) != p)
                                abort();
                }
                img_catalogue_free(c);
        }
        struct img_manifest *m = NULL;
        if (img_manifest_parse((const char *)data, size, "/nonexistent", &m, &eb) == 0) {
                if (img_manifest_paper_count(m) == 0)
                        abort();
                img_manifest_free(m);
        }
        struct img_render_spec *s = malloc(sizeof(*s));
        if (s) {
                app_record_parse((const char *)data, size, s, &eb);
                free(s);
        }
        return 0;
}
