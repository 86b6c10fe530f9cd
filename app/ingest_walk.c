/* app/ingest_walk: safe bounded walk of an untrusted volume; see
 * ingest_walk.h for the invariants. Iterative depth-first walk with an
 * explicit stack of directory handles (at most max_depth + 1 open), so a deep
 * tree can neither exhaust the C stack nor the fd table. */
#include "app/ingest_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directory entries looked at per walk, whatever their kind: bounds the time a
 * volume of millions of empty folders or non-photo files can cost. */
#define WALK_MAX_ENTRIES_FACTOR 8
#define WALK_MAX_ENTRIES_MIN 100000u
#define WALK_PATH_MAX 4096

struct frame {
        DIR *dir;
        size_t rel_len; /* length of this directory's relative path in rel[] */
};

/* Visited directories, by (dev, ino): open addressing, grows by doubling. */
struct visited {
        struct {
                dev_t dev;
                ino_t ino;
                bool used;
        } *slot;
        size_t cap, n;
};

static size_t vhash(dev_t d, ino_t i, size_t cap)
{
        uint64_t h = (uint64_t)d * 0x9e3779b97f4a7c15ull ^ (uint64_t)i * 0xc2b2ae3d27d4eb4full;
        return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* Returns 1 when added, 0 when already there, -1 on allocation failure. */
static int visited_add(struct visited *v, dev_t d, ino_t i)
{
        if ((v->n + 1) * 2 > v->cap) {
                size_t ncap = v->cap ? v->cap * 2 : 256;
                struct visited nv = {.slot = calloc(ncap, sizeof(*v->slot)), .cap = ncap};
                if (!nv.slot)
                        return -1;
                for (size_t k = 0; k < v->cap; k++)
                        if (v->slot[k].used)
                                visited_add(&nv, v->slot[k].dev, v->slot[k].ino);
                free(v->slot);
                *v = nv;
        }
        for (size_t k = vhash(d, i, v->cap), n = 0; n < v->cap; k = (k + 1) & (v->cap - 1), n++) {
                if (!v->slot[k].used) {
                        v->slot[k].used = true, v->slot[k].dev = d, v->slot[k].ino = i;
                        v->n++;
                        return 1;
                }
                if (v->slot[k].dev == d && v->slot[k].ino == i)
                        return 0;
        }
        return -1;
}

bool app_walk_errno_is_gone(int e)
{
        return e == ENOENT || e == ENODEV || e == EIO || e == ENXIO || e == ESTALE ||
               e == ENOTCONN || e == ESHUTDOWN;
}

bool app_walk_is_photo_name(const char *name, size_t len)
{
        static const char *const ext[] = {"jpg", "jpeg", "jpe", "png", "heic", "heif", "webp"};
        const char *dot = NULL;
        for (size_t i = 0; i < len; i++)
                if (name[i] == '.')
                        dot = name + i;
        if (!dot || dot == name)
                return false;
        size_t elen = len - (size_t)(dot + 1 - name);
        for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++)
                if (elen == strlen(ext[k]) && strncasecmp(dot + 1, ext[k], elen) == 0)
                        return true;
        return false;
}

bool app_walk_is_hidden(const char *name, size_t len)
{
        /* Folders other systems put on removable media: their photos are trash,
         * caches or thumbnails, never the customer's pictures. */
        static const char *const sys[] = {"System Volume Information", "$RECYCLE.BIN",
                                          "RECYCLER", "RECYCLED", "LOST.DIR", "lost+found",
                                          "$Extend", "Thumbs.db", "__MACOSX"};
        if (len == 0 || name[0] == '.')
                return true;
        for (size_t k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
                if (len == strlen(sys[k]) && strncasecmp(name, sys[k], len) == 0)
                        return true;
        return false;
}

static void skip(const struct app_walk_cb *cb, enum app_ingest_skip r)
{
        if (cb->on_skip)
                cb->on_skip(cb->user, r);
}

static bool root_gone(int root_fd)
{
        struct stat st;
        /* A deleted directory keeps working through its fd but has no links. */
        return fstat(root_fd, &st) != 0 || st.st_nlink == 0;
}

int app_walk(int root_fd, const struct app_walk_opts *o, const struct app_walk_cb *cb,
             struct drv_errbuf *err)
{
        struct frame *stack = NULL;
        struct visited seen = {0};
        char *rel = NULL;
        int rc = 0, dfd = -1;
        struct stat rst;
        size_t depth = 0; /* frames in use */
        unsigned files = 0;
        uint64_t entries = 0, max_entries = (uint64_t)o->max_files * WALK_MAX_ENTRIES_FACTOR;
        if (max_entries < WALK_MAX_ENTRIES_MIN)
                max_entries = WALK_MAX_ENTRIES_MIN;

        stack = calloc((size_t)o->max_depth + 2, sizeof(*stack));
        rel = malloc(WALK_PATH_MAX);
        if (!stack || !rel) {
                rc = drv_fail(err, DRV_E_IO, "out of memory");
                goto out;
        }
        rel[0] = '\0';
        if (fstat(root_fd, &rst) != 0 || !S_ISDIR(rst.st_mode)) {
                rc = drv_fail(err, DRV_E_IO, "root is not a directory");
                goto out;
        }
        if (visited_add(&seen, rst.st_dev, rst.st_ino) < 0) {
                rc = drv_fail(err, DRV_E_IO, "out of memory");
                goto out;
        }
        dfd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
        if (dfd < 0 || !(stack[0].dir = fdopendir(dfd))) {
                if (dfd >= 0)
                        close(dfd);
                rc = drv_fail(err, DRV_E_IO, "cannot read the root: %s", strerror(errno));
                goto out;
        }
        /* fdopendir on a dup shares the offset with root_fd's description. */
        rewinddir(stack[0].dir);
        stack[0].rel_len = 0;
        depth = 1;

        while (depth > 0) {
                struct frame *f = &stack[depth - 1];
                if (cb->should_stop && cb->should_stop(cb->user))
                        break;
                errno = 0;
                struct dirent *e = readdir(f->dir);
                if (!e) {
                        int e_no = errno;
                        if (e_no && app_walk_errno_is_gone(e_no)) {
                                rc = drv_fail(err, DRV_E_GONE, "volume gone while reading a folder");
                                break;
                        }
                        closedir(f->dir);
                        f->dir = NULL;
                        depth--;
                        if (depth > 0)
                                rel[stack[depth - 1].rel_len] = '\0';
                        if (root_gone(root_fd)) {
                                rc = drv_fail(err, DRV_E_GONE, "volume root vanished during the walk");
                                break;
                        }
                        continue;
                }
                const char *name = e->d_name;
                size_t nlen = strlen(name);
                if ((nlen == 1 && name[0] == '.') || (nlen == 2 && name[0] == '.' && name[1] == '.'))
                        continue;
                if (nlen == 0 || memchr(name, '/', nlen))
                        continue; /* cannot come from a sane kernel; never use it */
                if (++entries > max_entries) {
                        skip(cb, APP_SKIP_LIMIT);
                        break;
                }
                if (app_walk_is_hidden(name, nlen)) {
                        skip(cb, APP_SKIP_HIDDEN);
                        continue;
                }
                int dir_fd = dirfd(f->dir);
                /* After the file limit, count files by d_type without touching them. */
                if (files >= o->max_files && e->d_type == DT_REG) {
                        skip(cb, APP_SKIP_LIMIT);
                        continue;
                }
                struct stat st;
                if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                        if (app_walk_errno_is_gone(errno) && root_gone(root_fd)) {
                                rc = drv_fail(err, DRV_E_GONE, "volume root vanished during the walk");
                                break;
                        }
                        skip(cb, APP_SKIP_UNREADABLE);
                        continue;
                }
                if (S_ISLNK(st.st_mode)) {
                        skip(cb, APP_SKIP_SYMLINK);
                        continue;
                }
                size_t base = f->rel_len;
                size_t need = base + (base ? 1 : 0) + nlen + 1;
                if (S_ISDIR(st.st_mode)) {
                        if (depth > o->max_depth || need > WALK_PATH_MAX) {
                                skip(cb, APP_SKIP_TOO_DEEP);
                                continue;
                        }
                        int vr = visited_add(&seen, st.st_dev, st.st_ino);
                        if (vr <= 0) {
                                skip(cb, vr == 0 ? APP_SKIP_LOOP : APP_SKIP_UNREADABLE);
                                continue;
                        }
                        int cfd = openat(dir_fd, name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                        struct stat cst;
                        if (cfd < 0 || fstat(cfd, &cst) != 0 || cst.st_dev != st.st_dev ||
                            cst.st_ino != st.st_ino) {
                                /* Swapped between fstatat and openat: treat as hostile. */
                                if (cfd >= 0)
                                        close(cfd);
                                skip(cb, APP_SKIP_UNREADABLE);
                                continue;
                        }
                        DIR *d = fdopendir(cfd);
                        if (!d) {
                                close(cfd);
                                skip(cb, APP_SKIP_UNREADABLE);
                                continue;
                        }
                        if (base)
                                rel[base++] = '/';
                        memcpy(rel + base, name, nlen + 1);
                        stack[depth].dir = d;
                        stack[depth].rel_len = base + nlen;
                        depth++;
                        continue;
                }
                if (!S_ISREG(st.st_mode)) {
                        skip(cb, APP_SKIP_SPECIAL);
                        continue;
                }
                if (files >= o->max_files) {
                        skip(cb, APP_SKIP_LIMIT);
                        continue;
                }
                files++;
                if (cb->on_seen)
                        cb->on_seen(cb->user);
                if (!app_walk_is_photo_name(name, nlen)) {
                        skip(cb, APP_SKIP_NOT_IMAGE);
                        continue;
                }
                if ((uint64_t)st.st_size > o->max_file_bytes) {
                        skip(cb, APP_SKIP_TOO_LARGE);
                        continue;
                }
                if (need > WALK_PATH_MAX) {
                        skip(cb, APP_SKIP_TOO_DEEP);
                        continue;
                }
                size_t dir_len = f->rel_len;
                size_t pos = base;
                if (pos)
                        rel[pos++] = '/';
                memcpy(rel + pos, name, nlen + 1);
                struct app_walk_file wf = {
                        .rel = rel,
                        .name = rel + pos,
                        .name_len = nlen,
                        .dir_rel = rel,
                        .dir_rel_len = dir_len,
                        .size = (uint64_t)st.st_size,
                        .mtime = (int64_t)st.st_mtim.tv_sec,
                };
                int stop = cb->on_file ? cb->on_file(cb->user, &wf) : 0;
                rel[dir_len] = '\0';
                if (stop)
                        break;
        }
out:
        for (size_t k = 0; stack && k < depth; k++)
                if (stack[k].dir)
                        closedir(stack[k].dir);
        free(stack);
        free(seen.slot);
        free(rel);
        return rc;
}

int app_walk_open(int root_fd, const char *rel)
{
        if (!rel || !*rel || strlen(rel) >= WALK_PATH_MAX)
                return -EINVAL;
        char comp[NAME_MAX + 1];
        int cur = root_fd;
        const char *p = rel;
        /* Bounded: each turn consumes one component of a < 4096-byte path. */
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);
                if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') ||
                    (n == 2 && p[0] == '.' && p[1] == '.')) {
                        if (cur != root_fd)
                                close(cur);
                        return -EINVAL;
                }
                memcpy(comp, p, n);
                comp[n] = '\0';
                int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
                            (slash ? O_DIRECTORY : O_NOCTTY);
                int fd = openat(cur, comp, flags);
                int e = errno;
                if (cur != root_fd)
                        close(cur);
                if (fd < 0)
                        return -e;
                if (!slash) {
                        struct stat st;
                        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                                close(fd);
                                return -EINVAL;
                        }
                        /* O_NONBLOCK only guarded the open against FIFOs. */
                        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
                        return fd;
                }
                cur = fd;
                p = slash + 1;
        }
}
