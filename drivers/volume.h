/* drivers/volume: removable volumes as the mount table shows them.
 *
 * A watcher thread polls /proc/self/mountinfo (the kernel flags POLLPRI when
 * the mount table changes; a pipe wakes it for stop) and announces mounts that
 * appear or disappear strictly below the configured roots (/media,
 * /run/media, or a test folder). Volumes already mounted at start are
 * announced as added. Callbacks run on the watcher thread.
 *
 * For kiosks without udisks2, drv_volume_mount_ro() mounts a block device
 * read-only with nosuid,nodev,noexec (vfat/exfat: uid/gid and UTF-8 names).
 *
 * mountinfo parsing is bounded: lines over DRV_VOLUME_LINE_MAX are skipped,
 * the file over DRV_VOLUME_TABLE_MAX is an error, octal escapes (\040 ...)
 * decoded into fixed buffers.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "drivers/error.h"

#define DRV_VOLUME_LINE_MAX 8192          /* a mountinfo line: 2 paths + options */
#define DRV_VOLUME_TABLE_MAX (4u << 20)   /* the whole table; a kiosk has ~50 mounts */
#define DRV_VOLUME_MAX_ROOTS 8

struct drv_volume_info {
        char mount_point[1024];
        char device[256];       /* mount source, "/dev/sdb1" */
        char fstype[32];
        char label[128];        /* /dev/disk/by-label name, else the mount point's name */
        char id[192];           /* "uuid:<fs uuid>" when udev knows it, else
                                   "dev:<major>:<minor>:<label>" */
        unsigned major, minor;
        bool read_only;
};

/* Parse one mountinfo line (without the newline). Returns 0 or DRV_E_INVALID.
 * label and id are not filled (drv_volume_identify does that). */
int drv_volume_parse_line(const char *line, size_t len, struct drv_volume_info *ret);
/* Fill label and id of a parsed volume from /dev/disk/by-label and by-uuid. */
void drv_volume_identify(struct drv_volume_info *v);
/* True when mount_point is strictly below one of roots[0..n). */
bool drv_volume_under_roots(const char *mount_point, const char *const *roots, size_t n);

/* All volumes under roots in the mount table at `mountinfo` (NULL: the
 * process's own). *ret (transfer full, free()) and *ret_n. */
int drv_volume_list(const char *mountinfo, const char *const *roots, size_t n_roots,
                    struct drv_volume_info **ret, size_t *ret_n, struct drv_errbuf *err);

enum drv_volume_event {
        DRV_VOLUME_ADDED = 0,
        DRV_VOLUME_REMOVED,
};

struct drv_volume_watch_opts {
        const char *const *roots; /* 1..DRV_VOLUME_MAX_ROOTS folders */
        size_t n_roots;
        void (*on_event)(void *user, enum drv_volume_event ev, const struct drv_volume_info *v);
        void *user;
};

struct drv_volume_watch;

/* Start the watcher thread. DRV_E_UNAVAILABLE when /proc/self/mountinfo cannot
 * be opened. */
int drv_volume_watch_start(const struct drv_volume_watch_opts *o, struct drv_volume_watch **ret,
                           struct drv_errbuf *err);
/* Stop and join the thread; NULL-safe; returns NULL. */
struct drv_volume_watch *drv_volume_watch_free(struct drv_volume_watch *w);

/* Mount `device` (a block device) at `target` (an existing empty folder)
 * read-only, nosuid, nodev, noexec. fstype one of vfat, exfat, ntfs3, ext4,
 * ext3, ext2, iso9660, udf, hfsplus; NULL tries vfat, exfat, ntfs3, ext4 in
 * turn. uid/gid own the files on FAT-like systems. Needs CAP_SYS_ADMIN:
 * DRV_E_PERMISSION otherwise; DRV_E_INVALID for a type not on the list. */
int drv_volume_mount_ro(const char *device, const char *fstype, const char *target,
                        unsigned uid, unsigned gid, struct drv_errbuf *err);
/* Lazy unmount (the stick may already be gone). */
int drv_volume_unmount(const char *target, struct drv_errbuf *err);
