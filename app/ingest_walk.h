/* app/ingest_walk: the safe, bounded walk of an untrusted volume (internal to
 * app/ingest; tests use it directly).
 *
 * Invariants: nothing outside the root is ever opened. Every directory and
 * file is opened with openat() relative to its parent's fd and O_NOFOLLOW, and
 * its type is checked with fstatat(AT_SYMLINK_NOFOLLOW) before and fstat()
 * after opening; symlinks are skipped (never followed), special files are
 * never opened, each directory (dev, inode) is entered at most once, depth,
 * file count and the number of directory entries looked at are bounded. Raw
 * names are bytes: they are used only as openat() arguments ('.', '..' and
 * names with '/' are refused) and joined into a relative path for re-opening
 * through app_walk_open(), which re-checks every component the same way.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "app/ingest.h"

struct app_walk_opts {
        unsigned max_depth;      /* directories below the root */
        unsigned max_files;      /* regular files looked at */
        uint64_t max_file_bytes; /* larger files are skipped as too-large */
};

/* A candidate photo (by extension) found by the walk. Pointers are valid only
 * during the callback. */
struct app_walk_file {
        const char *rel;      /* raw relative path, components joined by '/' */
        const char *name;     /* raw file name (last component of rel) */
        size_t name_len;
        const char *dir_rel;  /* raw relative path of its folder, "" for the root */
        size_t dir_rel_len;
        uint64_t size;
        int64_t mtime;
};

struct app_walk_cb {
        /* A candidate photo; return non-zero to stop the walk. */
        int (*on_file)(void *user, const struct app_walk_file *f);
        /* One entry skipped for reason r. */
        void (*on_skip)(void *user, enum app_ingest_skip r);
        /* A regular file was looked at (files_seen). */
        void (*on_seen)(void *user);
        /* Polled between entries: return true to stop (session ending). */
        bool (*should_stop)(void *user);
        void *user;
};

/* Walk the directory open at root_fd. Returns 0 when the walk completed or was
 * stopped, DRV_E_GONE when the root vanished or the device failed (EIO,
 * ENODEV, ENXIO) during the walk, DRV_E_IO for other failures of the root. */
int app_walk(int root_fd, const struct app_walk_opts *o, const struct app_walk_cb *cb,
             struct drv_errbuf *err);

/* Open the regular file at rel (a path produced by app_walk) beneath root_fd,
 * never following a symlink in any component. Returns an O_RDONLY|O_CLOEXEC fd,
 * or -errno (-ELOOP for a symlink, -EINVAL for a bad path or non-regular file). */
int app_walk_open(int root_fd, const char *rel);

/* True when name (len bytes) is a photo extension (jpg, jpeg, png, heic, ...). */
bool app_walk_is_photo_name(const char *name, size_t len);
/* True when a folder or file name is hidden or a system folder to skip. */
bool app_walk_is_hidden(const char *name, size_t len);
/* True when errno e means the device or volume went away. */
bool app_walk_errno_is_gone(int e);
