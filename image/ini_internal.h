/* image/ini_internal.h: the small .ini layer shared by catalogue.c and paper.c
 * (implemented in catalogue.c). GKeyFile parses; these helpers add what it
 * lacks: a size limit, a line scanner so syntax errors name their line, the line
 * of a key for semantic errors, and strict number parsing (no atoi/sscanf). */
#pragma once
#include "image/image.h"

#include <glib.h>

/* Check len <= max, and that every line is blank, a comment (# or ;), a [group]
 * or key=value; then load into a new GKeyFile (transfer full). */
int img__ini_open(const char *data, size_t len, size_t max, GKeyFile **ret,
                  struct img_errbuf *err);
/* 1-based line of `key` inside [group] (key NULL: the group header); 0 if absent. */
int img__ini_line(const char *data, size_t len, const char *group, const char *key);
/* Strict parsers: the whole string must be the number; range inclusive. */
bool img__parse_double(const char *s, double lo, double hi, double *ret);
bool img__parse_int(const char *s, long lo, long hi, long *ret);
bool img__parse_bool(const char *s, bool *ret);
/* Read a whole regular file of at most max bytes (g_free the result). */
int img__read_small_file(const char *path, size_t max, char **ret, size_t *ret_len,
                         struct img_errbuf *err);
