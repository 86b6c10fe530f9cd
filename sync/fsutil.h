/* sync/fsutil: durable file writes for the spool and for small state files.
 *
 * A durable write is: a temporary file in the SAME directory (O_CLOEXEC|O_EXCL,
 * mode given), write all, fsync, rename over the final name, fsync the directory.
 * After a 0 return the file survives power loss under its final name; before it,
 * a crash leaves at most a ".tmp-*" file, never a half-written final file.
 * Final names inside the spool are never followed if they are symlinks
 * (O_NOFOLLOW), and names must be plain (no '/', not "." or "..").
 * Errors: 0 or negative enum store_error (STORE_E_IO, STORE_E_INVALID) with detail
 * (path and errno text) in the optional errbuf. Used by ingest, render and sync.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sync/error.h"

#define SYNC_FS_MAX_COPY ((int64_t)1 << 31) /* 2 GiB: far above any photo limit */

/* Write buf as dir/name durably. */
int sync_fs_write_atomic(const char *dir, const char *name, const void *buf, size_t len,
                         mode_t mode, struct store_errbuf *err);
/* Write buf into dir named "<sha256><ext>" (ext like ".jpg", may be ""), durably.
 * If that file already exists with the same size it is kept (content-addressed).
 * ret_sha256 (65 bytes) and ret_path (transfer full, may be NULL) on success. */
int sync_fs_store_buffer(const char *dir, const void *buf, size_t len, const char *ext,
                         char ret_sha256[65], char **ret_path, struct store_errbuf *err);
/* Copy file src into dir as "<sha256><ext>", hashing while copying (src is read
 * once, opened O_NOFOLLOW; at most SYNC_FS_MAX_COPY bytes). As above otherwise.
 * ret_size may be NULL. */
int sync_fs_store_file(const char *dir, const char *src, const char *ext,
                       char ret_sha256[65], char **ret_path, int64_t *ret_size,
                       struct store_errbuf *err);
/* SHA-256 of a file as lowercase hex (O_NOFOLLOW). */
int sync_fs_sha256_file(const char *path, char ret_sha256[65], int64_t *ret_size,
                        struct store_errbuf *err);
/* Read a small regular file (O_NOFOLLOW, at most max bytes, else an error)
 * into a NUL-terminated buffer (transfer full) of *ret_len bytes. */
int sync_fs_read_small(const char *path, size_t max, char **ret, size_t *ret_len,
                       struct store_errbuf *err);
/* fsync a directory (after creating or renaming entries in it). */
int sync_fs_fsync_dir(const char *dir, struct store_errbuf *err);
/* mkdir -p with mode for each created level; the new entries are fsynced into
 * their parents. */
int sync_fs_mkdir_p(const char *path, mode_t mode, struct store_errbuf *err);
