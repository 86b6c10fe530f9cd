/* drivers/volume: mount table watch and read-only mount helper (see
 * volume.h). The watcher keeps the last list of volumes under its roots and
 * announces the difference after each POLLPRI; it never touches the volumes'
 * contents. Lock: none shared; the thread owns `known`. */
#include "drivers/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Copy a mountinfo field decoding \ooo escapes; false when it does not fit. */
static bool unescape(const char *s, size_t n, char *out, size_t cap)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '\\' && i + 3 < n &&
                    s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
                    s[i + 3] >= '0' && s[i + 3] <= '7') {
                        c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                }
                if (c == '\0' || o + 1 >= cap)
                        return false;
                out[o++] = c;
        }
        out[o] = '\0';
        return true;
}

/* Parse an unsigned decimal in s[0..n) into *v; false on junk or overflow. */
static bool parse_uint(const char *s, size_t n, unsigned *v)
{
        unsigned long x = 0;
        if (n == 0 || n > 9)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                x = x * 10 + (unsigned)(s[i] - '0');
        }
        *v = (unsigned)x;
        return true;
}

int drv_volume_parse_line(const char *line, size_t len, struct drv_volume_info *ret)
{
        /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
        const char *f[64];
        size_t fl[64], nf = 0;
        if (!line || len == 0 || len > DRV_VOLUME_LINE_MAX)
                return DRV_E_INVALID;
        for (size_t i = 0; i < len && nf < 64;) {
                while (i < len && line[i] == ' ')
                        i++;
                if (i >= len)
                        break;
                size_t st = i;
                while (i < len && line[i] != ' ')
                        i++;
                f[nf] = line + st, fl[nf] = i - st, nf++;
        }
        size_t dash = 0;
        for (size_t k = 6; k < nf; k++)
                if (fl[k] == 1 && f[k][0] == '-') {
                        dash = k;
                        break;
                }
        if (nf < 7 || dash == 0 || dash + 2 >= nf)
                return DRV_E_INVALID;
        struct drv_volume_info v;
        memset(&v, 0, sizeof(v));
        const char *colon = memchr(f[2], ':', fl[2]);
        if (!colon || !parse_uint(f[2], (size_t)(colon - f[2]), &v.major) ||
            !parse_uint(colon + 1, fl[2] - (size_t)(colon + 1 - f[2]), &v.minor))
                return DRV_E_INVALID;
        if (!unescape(f[4], fl[4], v.mount_point, sizeof(v.mount_point)) ||
            !unescape(f[dash + 1], fl[dash + 1], v.fstype, sizeof(v.fstype)) ||
            !unescape(f[dash + 2], fl[dash + 2], v.device, sizeof(v.device)))
                return DRV_E_INVALID;
        v.read_only = fl[5] >= 2 && strncmp(f[5], "ro", 2) == 0 && (fl[5] == 2 || f[5][2] == ',');
        *ret = v;
        return 0;
}

bool drv_volume_under_roots(const char *mp, const char *const *roots, size_t n)
{
        for (size_t k = 0; k < n; k++) {
                size_t rl = strlen(roots[k]);
                while (rl > 1 && roots[k][rl - 1] == '/')
                        rl--;
                if (strncmp(mp, roots[k], rl) == 0 && mp[rl] == '/' && mp[rl + 1] != '\0')
                        return true;
        }
        return false;
}

/* Name of the /dev/disk/<dir> link that resolves to `device`, or false. udev
 * escapes spaces as \x20 in these names; decode the common ones. */
static bool by_link(const char *dir, const char *device, char *out, size_t cap)
{
        char want[4096], p[4096], got[4096];
        if (!realpath(device, want))
                return false;
        DIR *d = opendir(dir);
        if (!d)
                return false;
        bool found = false;
        struct dirent *e;
        for (int guard = 0; !found && guard < 4096 && (e = readdir(d)); guard++) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
                if (!realpath(p, got) || strcmp(got, want) != 0)
                        continue;
                size_t o = 0;
                for (const char *s = e->d_name; *s && o + 1 < cap; s++) {
                        if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
                                char h[3] = {s[2], s[3], 0};
                                char *end;
                                long c = strtol(h, &end, 16);
                                if (*end == '\0' && c >= 0x20 && c < 0x7f) {
                                        out[o++] = (char)c;
                                        s += 3;
                                        continue;
                                }
                        }
                        out[o++] = (unsigned char)*s < 0x20 ? '?' : *s;
                }
                out[o] = '\0';
                found = o > 0;
        }
        closedir(d);
        return found;
}

void drv_volume_identify(struct drv_volume_info *v)
{
        if (!by_link("/dev/disk/by-label", v->device, v->label, sizeof(v->label))) {
                const char *slash = strrchr(v->mount_point, '/');
                const char *base = slash ? slash + 1 : v->mount_point;
                size_t o = 0;
                for (; *base && o + 1 < sizeof(v->label); base++)
                        v->label[o++] = (unsigned char)*base < 0x20 ? '?' : *base;
                v->label[o] = '\0';
        }
        char uuid[128];
        if (by_link("/dev/disk/by-uuid", v->device, uuid, sizeof(uuid)))
                snprintf(v->id, sizeof(v->id), "uuid:%s", uuid);
        else
                snprintf(v->id, sizeof(v->id), "dev:%u:%u:%s", v->major, v->minor, v->label);
}

/* Read the whole table from fd (offset 0), bounded. (transfer full) */
static char *read_table(int fd, size_t *ret_len)
{
        size_t cap = 65536, len = 0;
        char *buf = malloc(cap + 1);
        if (!buf)
                return NULL;
        if (lseek(fd, 0, SEEK_SET) < 0) {
                free(buf);
                return NULL;
        }
        for (;;) {
                if (len == cap) {
                        if (cap >= DRV_VOLUME_TABLE_MAX) {
                                free(buf);
                                return NULL;
                        }
                        cap *= 2;
                        char *n = realloc(buf, cap + 1);
                        if (!n) {
                                free(buf);
                                return NULL;
                        }
                        buf = n;
                }
                ssize_t r = read(fd, buf + len, cap - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        free(buf);
                        return NULL;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = '\0';
        *ret_len = len;
        return buf;
}

static int list_fd(int fd, const char *const *roots, size_t n_roots, struct drv_volume_info **ret,
                   size_t *ret_n, struct drv_errbuf *err)
{
        size_t len = 0;
        char *t = read_table(fd, &len);
        if (!t)
                return drv_fail(err, DRV_E_IO, "cannot read the mount table");
        struct drv_volume_info *v = NULL;
        size_t n = 0, cap = 0;
        for (size_t i = 0; i < len;) {
                char *nl = memchr(t + i, '\n', len - i);
                size_t ll = nl ? (size_t)(nl - (t + i)) : len - i;
                struct drv_volume_info one;
                if (drv_volume_parse_line(t + i, ll, &one) == 0 &&
                    drv_volume_under_roots(one.mount_point, roots, n_roots)) {
                        if (n == cap) {
                                cap = cap ? cap * 2 : 8;
                                struct drv_volume_info *nv = realloc(v, cap * sizeof(*nv));
                                if (!nv) {
                                        free(v), free(t);
                                        return drv_fail(err, DRV_E_IO, "out of memory");
                                }
                                v = nv;
                        }
                        drv_volume_identify(&one);
                        v[n++] = one;
                }
                i += ll + 1;
        }
        free(t);
        *ret = v;
        *ret_n = n;
        return 0;
}

int drv_volume_list(const char *mountinfo, const char *const *roots, size_t n_roots,
                    struct drv_volume_info **ret, size_t *ret_n, struct drv_errbuf *err)
{
        if (!ret || !ret_n || n_roots > DRV_VOLUME_MAX_ROOTS)
                return drv_fail(err, DRV_E_INVALID, "bad arguments");
        const char *p = mountinfo ? mountinfo : "/proc/self/mountinfo";
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return drv_fail(err, DRV_E_UNAVAILABLE, "cannot open %s: %s", p, strerror(errno));
        int r = list_fd(fd, roots, n_roots, ret, ret_n, err);
        close(fd);
        return r;
}

struct drv_volume_watch {
        struct drv_volume_watch_opts o;
        char *roots[DRV_VOLUME_MAX_ROOTS];
        int table_fd;
        int wake[2]; /* write a byte to stop the thread */
        pthread_t thread;
        bool started;
        struct drv_volume_info *known;
        size_t n_known;
};

static bool same(const struct drv_volume_info *a, const struct drv_volume_info *b)
{
        return strcmp(a->mount_point, b->mount_point) == 0 && a->major == b->major &&
               a->minor == b->minor;
}

static void rescan(struct drv_volume_watch *w)
{
        struct drv_volume_info *now = NULL;
        size_t n = 0;
        if (list_fd(w->table_fd, (const char *const *)w->roots, w->o.n_roots, &now, &n, NULL) != 0)
                return;
        for (size_t i = 0; i < w->n_known; i++) {
                bool still = false;
                for (size_t j = 0; j < n && !still; j++)
                        still = same(&w->known[i], &now[j]);
                if (!still && w->o.on_event)
                        w->o.on_event(w->o.user, DRV_VOLUME_REMOVED, &w->known[i]);
        }
        for (size_t j = 0; j < n; j++) {
                bool old = false;
                for (size_t i = 0; i < w->n_known && !old; i++)
                        old = same(&w->known[i], &now[j]);
                if (!old && w->o.on_event)
                        w->o.on_event(w->o.user, DRV_VOLUME_ADDED, &now[j]);
        }
        free(w->known);
        w->known = now;
        w->n_known = n;
}

static void *watch_main(void *arg)
{
        struct drv_volume_watch *w = arg;
        rescan(w);
        /* Blocks in poll until the mount table changes or stop is asked: no
         * polling interval, no busy loop. */
        for (;;) {
                struct pollfd p[2] = {
                        {.fd = w->table_fd, .events = POLLPRI},
                        {.fd = w->wake[0], .events = POLLIN},
                };
                int r = poll(p, 2, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 || (p[1].revents & (POLLIN | POLLHUP)))
                        break;
                if (p[0].revents & (POLLPRI | POLLERR))
                        rescan(w);
        }
        return NULL;
}

int drv_volume_watch_start(const struct drv_volume_watch_opts *o, struct drv_volume_watch **ret,
                           struct drv_errbuf *err)
{
        if (!o || !ret || o->n_roots == 0 || o->n_roots > DRV_VOLUME_MAX_ROOTS)
                return drv_fail(err, DRV_E_INVALID, "1..%d roots needed", DRV_VOLUME_MAX_ROOTS);
        struct drv_volume_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return drv_fail(err, DRV_E_IO, "out of memory");
        w->o = *o;
        w->table_fd = -1;
        w->wake[0] = w->wake[1] = -1;
        for (size_t k = 0; k < o->n_roots; k++)
                if (!(w->roots[k] = strdup(o->roots[k]))) {
                        drv_volume_watch_free(w);
                        return drv_fail(err, DRV_E_IO, "out of memory");
                }
        w->table_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (w->table_fd < 0) {
                int e = errno;
                drv_volume_watch_free(w);
                return drv_fail(err, DRV_E_UNAVAILABLE, "cannot open /proc/self/mountinfo: %s",
                                strerror(e));
        }
        if (pipe2(w->wake, O_CLOEXEC) != 0 || pthread_create(&w->thread, NULL, watch_main, w) != 0) {
                drv_volume_watch_free(w);
                return drv_fail(err, DRV_E_IO, "cannot start the volume watcher");
        }
        w->started = true;
        *ret = w;
        return 0;
}

struct drv_volume_watch *drv_volume_watch_free(struct drv_volume_watch *w)
{
        if (!w)
                return NULL;
        if (w->started) {
                ssize_t r;
                do
                        r = write(w->wake[1], "x", 1);
                while (r < 0 && errno == EINTR);
                pthread_join(w->thread, NULL);
        }
        for (int k = 0; k < 2; k++)
                if (w->wake[k] >= 0)
                        close(w->wake[k]);
        if (w->table_fd >= 0)
                close(w->table_fd);
        for (size_t k = 0; k < DRV_VOLUME_MAX_ROOTS; k++)
                free(w->roots[k]);
        free(w->known);
        free(w);
        return NULL;
}

int drv_volume_mount_ro(const char *device, const char *fstype, const char *target,
                        unsigned uid, unsigned gid, struct drv_errbuf *err)
{
        static const char *const allowed[] = {"vfat", "exfat", "ntfs3", "ext4", "ext3",
                                              "ext2", "iso9660", "udf", "hfsplus"};
        static const char *const guess[] = {"vfat", "exfat", "ntfs3", "ext4"};
        if (!device || !target || strncmp(device, "/dev/", 5) != 0)
                return drv_fail(err, DRV_E_INVALID, "device must be a /dev path");
        const char *const *types = guess;
        size_t nt = sizeof(guess) / sizeof(guess[0]);
        if (fstype) {
                bool ok = false;
                for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && !ok; k++)
                        ok = strcmp(fstype, allowed[k]) == 0;
                if (!ok)
                        return drv_fail(err, DRV_E_INVALID, "filesystem type not allowed");
                types = &fstype, nt = 1;
        }
        struct stat st;
        if (stat(device, &st) != 0 || !S_ISBLK(st.st_mode))
                return drv_fail(err, DRV_E_NOT_FOUND, "not a block device");
        int last = 0;
        for (size_t k = 0; k < nt; k++) {
                char data[128] = "";
                if (strcmp(types[k], "vfat") == 0)
                        snprintf(data, sizeof(data), "uid=%u,gid=%u,fmask=0133,dmask=0022,utf8", uid, gid);
                else if (strcmp(types[k], "exfat") == 0)
                        snprintf(data, sizeof(data), "uid=%u,gid=%u,fmask=0133,dmask=0022,iocharset=utf8",
                                 uid, gid);
                else if (strcmp(types[k], "ntfs3") == 0)
                        snprintf(data, sizeof(data), "uid=%u,gid=%u,iocharset=utf8", uid, gid);
                if (mount(device, target, types[k], MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          data[0] ? data : NULL) == 0)
                        return 0;
                last = errno;
                if (last == EPERM || last == EACCES)
                        return drv_fail(err, DRV_E_PERMISSION, "mount needs CAP_SYS_ADMIN: %s",
                                        strerror(last));
        }
        return drv_fail(err, last == ENOENT || last == ENOTDIR ? DRV_E_NOT_FOUND : DRV_E_IO,
                        "mount failed: %s", strerror(last));
}

int drv_volume_unmount(const char *target, struct drv_errbuf *err)
{
        if (!target)
                return drv_fail(err, DRV_E_INVALID, "no target");
        if (umount2(target, MNT_DETACH) != 0)
                return drv_fail(err, errno == EPERM ? DRV_E_PERMISSION : DRV_E_IO, "umount failed: %s",
                                strerror(errno));
        return 0;
}
