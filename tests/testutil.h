/* Helpers shared by the tests: temporary directories, file reads, paths into
 * the source tree. Assertions come from cmocka (assert_int_equal prints both
 * values). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Source tree root ($PK_SOURCE_DIR, else the compile-time PK_SOURCE_DIR). */
const char *pk_test_source_dir(void);
/* Build tree root ($PK_BUILD_DIR), or "." */
const char *pk_test_build_dir(void);
/* Make a fresh directory under $TMPDIR (or /tmp); returns a malloc'd path. */
char *pk_test_mkdtemp(const char *tag);
/* rm -rf PATH (no symlink following); returns 0 on success. */
int pk_test_rmtree(const char *path);
/* Read a whole file (malloc'd, NUL-terminated); NULL on error. */
char *pk_test_read_file(const char *path, size_t *ret_len);
/* Write a file; returns 0 on success. */
int pk_test_write_file(const char *path, const void *data, size_t len);
/* snprintf into a malloc'd string. */
char *pk_test_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
