/* app/spool: the session spool, photos named by content (SHA-256).
 *
 * Copy-on-select writes here. Invariants: a file named "<sha256>.<ext>" holds
 * exactly the bytes whose SHA-256 is its name (hashed while copying, then the
 * written file is read back and hashed again before the rename); it appeared by
 * rename after fsync, and the directory was fsynced after; a copy that fails
 * for any reason leaves no file behind (its ".tmp-*" is unlinked). Identical
 * content is stored once.
 *
 * Why not sync/fsutil's sync_fs_store_file: ingest must copy from an fd it
 * opened itself beneath the volume root (never a path that could be swapped
 * for a symlink), tell a pulled-out device (DRV_E_GONE) from a local disk
 * failure, and tests inject a pull-out between chunks.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "drivers/error.h"

struct app_spool;

/* Open (create 0700 if missing) the spool at dir. */
int app_spool_open(const char *dir, struct app_spool **ret, struct drv_errbuf *err);
struct app_spool *app_spool_free(struct app_spool *sp);
const char *app_spool_dir(const struct app_spool *sp);

/* Per-chunk hook: return non-zero to make the copy fail as if the source
 * device vanished (tests). */
struct app_spool_hook {
        int (*after_chunk)(void *user, uint64_t copied);
        void *user;
};

/* Copy everything readable from src_fd (expected_size bytes; a different
 * length means the source changed or went away) into the spool as
 * "<sha256>.<ext>". ret_sha256 gets the hex hash. Returns 0, DRV_E_GONE when
 * reading the source failed like a removed device (ENOENT, ENODEV, EIO, ENXIO,
 * short read, or the hook), DRV_E_IO for local write failures. */
int app_spool_import_fd(struct app_spool *sp, int src_fd, uint64_t expected_size,
                        const char *ext, const struct app_spool_hook *hook,
                        char ret_sha256[65], struct drv_errbuf *err);

/* Delete every spool file whose name's hash is not in keep[0..n) and every
 * leftover temporary file; other names are left alone. Returns 0 or DRV_E_IO. */
int app_spool_wipe(struct app_spool *sp, const char *const *keep, size_t n_keep,
                   struct drv_errbuf *err);
