/* See corpus_util.h. */
#include "tests/image/corpus_util.h"
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *corpus_path(const char *file)
{
        return pk_test_strdupf("%s/corpus/%s", pk_test_build_dir(), file);
}

static void field(char **cur, char *out, size_t outlen)
{
        char *s = *cur ? *cur : (char *)"";
        char *tab = strchr(s, '\t');
        size_t n = tab ? (size_t)(tab - s) : strlen(s);
        snprintf(out, outlen, "%.*s", (int)n, s);
        *cur = tab ? tab + 1 : NULL;
}

int corpus_load(struct corpus_row *rows, size_t max)
{
        char *path = corpus_path("expected.tsv");
        char *text = pk_test_read_file(path, NULL);
        free(path);
        if (!text)
                return -1;
        int n = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line && (size_t)n < max;
             line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#' || line[0] == '\0')
                        continue;
                struct corpus_row *r = &rows[n++];
                char *cur = line;
                field(&cur, r->file, sizeof(r->file));
                field(&cur, r->verdict, sizeof(r->verdict));
                field(&cur, r->format, sizeof(r->format));
                field(&cur, r->orientation, sizeof(r->orientation));
                field(&cur, r->colour_source, sizeof(r->colour_source));
                field(&cur, r->colour_name, sizeof(r->colour_name));
                field(&cur, r->oriented_w, sizeof(r->oriented_w));
                field(&cur, r->oriented_h, sizeof(r->oriented_h));
        }
        free(text);
        return n;
}
