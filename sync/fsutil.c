/* sync/fsutil: durable, content-addressed file writes (see fsutil.h).
 *
 * Invariants: a final name appears only via renameat() of a fully written and
 * fsynced temporary file in the same directory, followed by an fsync of the
 * directory; every descriptor is O_CLOEXEC; spool names are never followed as
 * symlinks; temporary files are removed on every error path.
 */
#include "sync/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)

static void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

static bool plain_name(const char *name)
{
        size_t n = name ? strnlen(name, NAME_MAX + 1) : 0;
        return n > 0 && n <= NAME_MAX && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0;
}

static int open_dir(const char *dir, struct store_errbuf *err)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Create a fresh temporary file in dirfd; its name goes to tmp. */
static int open_temp(int dirfd, mode_t mode, char tmp[64])
{
        for (int tries = 0; tries < 16; tries++) {
                uint64_t r;
                if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
                        return -EIO;
                snprintf(tmp, 64, ".tmp-%016llx", (unsigned long long)r);
                int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                                mode);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

/* fsync + close fd, then rename tmp → name and fsync the directory. On any
 * failure the temporary file is removed. Always closes fd. */
static int commit_temp(int dirfd, int fd, const char *tmp, const char *name, const char *dir,
                       struct store_errbuf *err)
{
        if (fsync(fd) != 0) {
                int e = errno;
                close(fd);
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "fsync %s/%s: %s", dir, name, strerror(e));
        }
        if (close(fd) != 0) {
                int e = errno;
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "close %s/%s: %s", dir, name, strerror(e));
        }
        if (renameat(dirfd, tmp, dirfd, name) != 0) {
                int e = errno;
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "rename into %s/%s: %s", dir, name, strerror(e));
        }
        if (fsync(dirfd) != 0)
                return store_fail(err, STORE_E_IO, "fsync dir %s: %s", dir, strerror(errno));
        return 0;
}

int sync_fs_write_atomic(const char *dir, const char *name, const void *buf, size_t len,
                         mode_t mode, struct store_errbuf *err)
{
        if (!dir || !plain_name(name) || (!buf && len))
                return store_fail(err, STORE_E_INVALID, "bad file name or buffer");
        _cleanup_close_ int dirfd = open_dir(dir, err);
        if (dirfd < 0)
                return store_fail(err, STORE_E_IO, "open dir %s: %s", dir, strerror(-dirfd));
        char tmp[64];
        int fd = open_temp(dirfd, mode, tmp);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "create temp in %s: %s", dir, strerror(-fd));
        int r = write_all(fd, buf, len);
        if (r < 0) {
                close(fd);
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "write %s/%s: %s", dir, name, strerror(-r));
        }
        return commit_temp(dirfd, fd, tmp, name, dir, err);
}

static void hex32(const unsigned char d[32], char out[65])
{
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 0xf];
        }
        out[64] = '\0';
}

static bool ext_ok(const char *ext)
{
        size_t n = strnlen(ext, 17);
        if (n > 16)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = ext[i];
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
                        return false;
        }
        return true;
}

/* The final name exists as a regular file of the expected size (never follows a
 * symlink: a symlink there is replaced by the rename). */
static bool have_same(int dirfd, const char *name, int64_t size)
{
        struct stat st;
        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               st.st_size == size;
}

static int finish_hashed(int dirfd, int fd, const char *tmp, const char *dir, const char *ext,
                         const unsigned char digest[32], int64_t size, char ret_sha256[65],
                         char **ret_path, struct store_errbuf *err)
{
        char hex[65], name[NAME_MAX + 1];
        hex32(digest, hex);
        snprintf(name, sizeof(name), "%s%s", hex, ext);
        char *path = NULL;
        if (ret_path) {
                size_t n = strlen(dir) + 1 + strlen(name) + 1;
                path = malloc(n);
                if (!path) {
                        close(fd);
                        unlinkat(dirfd, tmp, 0);
                        return store_fail(err, STORE_E_IO, "out of memory");
                }
                snprintf(path, n, "%s/%s", dir, name);
        }
        int r;
        if (have_same(dirfd, name, size)) {
                /* Content-addressed: already there. Its earlier rename may not have
                 * reached the disk's directory yet, so fsync the directory anyway. */
                close(fd);
                unlinkat(dirfd, tmp, 0);
                r = fsync(dirfd) == 0 ? 0
                                      : store_fail(err, STORE_E_IO, "fsync dir %s: %s", dir,
                                                   strerror(errno));
        } else {
                r = commit_temp(dirfd, fd, tmp, name, dir, err);
        }
        if (r < 0) {
                free(path);
                return r;
        }
        memcpy(ret_sha256, hex, 65);
        if (ret_path)
                *ret_path = path;
        return 0;
}

int sync_fs_store_buffer(const char *dir, const void *buf, size_t len, const char *ext,
                         char ret_sha256[65], char **ret_path, struct store_errbuf *err)
{
        if (!dir || (!buf && len) || !ext || !ext_ok(ext))
                return store_fail(err, STORE_E_INVALID, "bad directory, buffer or extension");
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init failed");
        unsigned char digest[32];
        crypto_hash_sha256(digest, buf, len);
        _cleanup_close_ int dirfd = open_dir(dir, err);
        if (dirfd < 0)
                return store_fail(err, STORE_E_IO, "open dir %s: %s", dir, strerror(-dirfd));
        char tmp[64];
        int fd = open_temp(dirfd, 0644, tmp);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "create temp in %s: %s", dir, strerror(-fd));
        int r = write_all(fd, buf, len);
        if (r < 0) {
                close(fd);
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "write in %s: %s", dir, strerror(-r));
        }
        return finish_hashed(dirfd, fd, tmp, dir, ext, digest, (int64_t)len, ret_sha256, ret_path,
                             err);
}

int sync_fs_store_file(const char *dir, const char *src, const char *ext, char ret_sha256[65],
                       char **ret_path, int64_t *ret_size, struct store_errbuf *err)
{
        if (!dir || !src || !ext || !ext_ok(ext))
                return store_fail(err, STORE_E_INVALID, "bad directory, source or extension");
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init failed");
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (in < 0)
                return store_fail(err, STORE_E_IO, "open source: %s", strerror(errno));
        struct stat st;
        if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))
                return store_fail(err, STORE_E_INVALID, "source is not a regular file");
        _cleanup_close_ int dirfd = open_dir(dir, err);
        if (dirfd < 0)
                return store_fail(err, STORE_E_IO, "open dir %s: %s", dir, strerror(-dirfd));
        char tmp[64];
        int fd = open_temp(dirfd, 0644, tmp);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "create temp in %s: %s", dir, strerror(-fd));
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        unsigned char *chunk = malloc(COPY_CHUNK);
        int64_t total = 0;
        int r = chunk ? 0 : -ENOMEM;
        while (r == 0) {
                ssize_t n = read(in, chunk, COPY_CHUNK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                total += n;
                if (total > SYNC_FS_MAX_COPY) {
                        r = -EFBIG;
                        break;
                }
                crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
                r = write_all(fd, chunk, (size_t)n);
        }
        free(chunk);
        if (r < 0) {
                close(fd);
                unlinkat(dirfd, tmp, 0);
                return store_fail(err, STORE_E_IO, "copy into %s: %s", dir, strerror(-r));
        }
        unsigned char digest[32];
        crypto_hash_sha256_final(&h, digest);
        r = finish_hashed(dirfd, fd, tmp, dir, ext, digest, total, ret_sha256, ret_path, err);
        if (r == 0 && ret_size)
                *ret_size = total;
        return r;
}

int sync_fs_sha256_file(const char *path, char ret_sha256[65], int64_t *ret_size,
                        struct store_errbuf *err)
{
        if (!path)
                return store_fail(err, STORE_E_INVALID, "no path");
        if (sodium_init() < 0)
                return store_fail(err, STORE_E_IO, "libsodium init failed");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "open %s: %s", path, strerror(errno));
        crypto_hash_sha256_state h;
        crypto_hash_sha256_init(&h);
        unsigned char buf[64 * 1024];
        int64_t total = 0;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return store_fail(err, STORE_E_IO, "read %s: %s", path, strerror(errno));
                }
                if (n == 0)
                        break;
                total += n;
                if (total > SYNC_FS_MAX_COPY)
                        return store_fail(err, STORE_E_INVALID, "%s: larger than the limit", path);
                crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
        }
        unsigned char d[32];
        crypto_hash_sha256_final(&h, d);
        hex32(d, ret_sha256);
        if (ret_size)
                *ret_size = total;
        return 0;
}

int sync_fs_fsync_dir(const char *dir, struct store_errbuf *err)
{
        _cleanup_close_ int fd = open_dir(dir, err);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "open dir %s: %s", dir, strerror(-fd));
        if (fsync(fd) != 0)
                return store_fail(err, STORE_E_IO, "fsync dir %s: %s", dir, strerror(errno));
        return 0;
}

int sync_fs_mkdir_p(const char *path, mode_t mode, struct store_errbuf *err)
{
        if (!path || !*path)
                return store_fail(err, STORE_E_INVALID, "empty path");
        char buf[PATH_MAX];
        size_t n = strnlen(path, sizeof(buf));
        if (n >= sizeof(buf))
                return store_fail(err, STORE_E_INVALID, "path too long");
        memcpy(buf, path, n + 1);
        /* Walk each '/' boundary; the loop is bounded by the path length. */
        for (size_t i = 1; i <= n; i++) {
                if (buf[i] != '/' && buf[i] != '\0')
                        continue;
                char saved = buf[i];
                buf[i] = '\0';
                if (mkdir(buf, mode) == 0) {
                        /* Make the new entry durable in its parent. */
                        char parent[PATH_MAX];
                        memcpy(parent, buf, i + 1);
                        char *slash = strrchr(parent, '/');
                        if (slash == parent)
                                parent[1] = '\0';
                        else if (slash)
                                *slash = '\0';
                        else
                                memcpy(parent, ".", 2);
                        int r = sync_fs_fsync_dir(parent, err);
                        if (r < 0)
                                return r;
                } else if (errno != EEXIST) {
                        return store_fail(err, STORE_E_IO, "mkdir %s: %s", buf, strerror(errno));
                } else {
                        struct stat st;
                        if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
                                return store_fail(err, STORE_E_IO, "%s exists and is not a directory",
                                                  buf);
                }
                buf[i] = saved;
        }
        return 0;
}

int sync_fs_read_small(const char *path, size_t max, char **ret, size_t *ret_len,
                       struct store_errbuf *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return store_fail(err, STORE_E_IO, "%s: %s", path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
                close(fd);
                return store_fail(err, STORE_E_INVALID, "%s: not a regular file of at most %zu bytes",
                                  path, max);
        }
        char *buf = malloc((size_t)st.st_size + 1);
        size_t n = 0;
        /* Bounded by the size fstat gave; a file that grows meanwhile is read
         * up to that size, one that shrinks is a short read. */
        while (buf && n < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        close(fd);
        if (!buf || n != (size_t)st.st_size) {
                free(buf);
                return store_fail(err, STORE_E_IO, "%s: short read", path);
        }
        buf[n] = '\0';
        *ret = buf;
        *ret_len = n;
        return 0;
}
