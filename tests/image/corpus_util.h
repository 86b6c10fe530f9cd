/* tests/image: reading the test corpus manifest ($PK_BUILD_DIR/corpus/expected.tsv,
 * written by tests/corpus/make-test-corpus.sh). */
#pragma once
#include <stddef.h>

#define CORPUS_MAX_ROWS 128

struct corpus_row {
        char file[64];
        char verdict[32];      /* "ok" or an img_strerror keyword */
        char format[16];       /* "-" = not checked */
        char orientation[8];
        char colour_source[16];
        char colour_name[96];
        char oriented_w[16], oriented_h[16];
};

/* Parses the manifest into rows (at most CORPUS_MAX_ROWS); returns the count,
 * or -1 when it cannot be read. */
int corpus_load(struct corpus_row *rows, size_t max);
/* malloc'd "$PK_BUILD_DIR/corpus/<file>". */
char *corpus_path(const char *file);
