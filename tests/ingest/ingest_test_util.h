/* Shared by the ingest tests: build a nasty volume with make-nasty-volume.sh
 * and read its manifest of expected counts; look at what a session left on
 * disk. */
#pragma once
#include <stddef.h>

/* Make DIR/vol with n photos; returns the volume path (malloc'd) or NULL. */
char *ingest_test_make_volume(const char *dir, int n);
/* Value of key in VOL.manifest as a number, -1 when missing. */
long ingest_test_manifest(const char *vol, const char *key);
/* True when path (after resolving every link) is inside root. */
int ingest_test_inside(const char *root, const char *path);
/* Entries of dir whose name starts with prefix ("" = all, never . or ..);
 * -1 when dir cannot be read. */
int ingest_test_count_entries(const char *dir, const char *prefix);
/* The first session folder ("s-*") under sessions (malloc'd), or NULL. */
char *ingest_test_session_folder(const char *sessions);
