/* app/spool: content-addressed session spool (see spool.h for invariants).
 * SHA-256 from libsodium. Copies go through a 256 KiB buffer so a pull-out
 * is noticed within one chunk. */
#include "app/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/ingest_walk.h"

#define SPOOL_CHUNK (256u * 1024)

struct app_spool {
        char *dir;
        int dir_fd; /* O_DIRECTORY, every entry is created relative to it */
};

const char *app_spool_dir(const struct app_spool *sp)
{
        return sp ? sp->dir : NULL;
}

int app_spool_open(const char *dir, struct app_spool **ret, struct drv_errbuf *err)
{
        if (!dir || !*dir || !ret)
                return drv_fail(err, DRV_E_INVALID, "no spool directory");
        if (sodium_init() < 0)
                return drv_fail(err, DRV_E_IO, "libsodium init failed");
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return drv_fail(err, DRV_E_IO, "cannot create the spool: %s", strerror(errno));
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return drv_fail(err, DRV_E_IO, "cannot open the spool: %s", strerror(errno));
        struct app_spool *sp = calloc(1, sizeof(*sp));
        if (!sp || !(sp->dir = strdup(dir))) {
                free(sp);
                close(fd);
                return drv_fail(err, DRV_E_IO, "out of memory");
        }
        sp->dir_fd = fd;
        *ret = sp;
        return 0;
}

struct app_spool *app_spool_free(struct app_spool *sp)
{
        if (!sp)
                return NULL;
        if (sp->dir_fd >= 0)
                close(sp->dir_fd);
        free(sp->dir);
        free(sp);
        return NULL;
}

static void hex(const unsigned char *h, char out[65])
{
        static const char d[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
                out[2 * i] = d[h[i] >> 4];
                out[2 * i + 1] = d[h[i] & 15];
        }
        out[64] = '\0';
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                p += w;
                n -= (size_t)w;
        }
        return true;
}

/* Hash the file at fd from offset 0 (read-back verification). */
static int hash_fd(int fd, unsigned char *buf, unsigned char out[32])
{
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        off_t off = 0;
        for (;;) {
                ssize_t r = pread(fd, buf, SPOOL_CHUNK, off);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                crypto_hash_sha256_update(&st, buf, (unsigned long long)r);
                off += r;
        }
        crypto_hash_sha256_final(&st, out);
        return 0;
}

int app_spool_import_fd(struct app_spool *sp, int src_fd, uint64_t expected_size,
                        const char *ext, const struct app_spool_hook *hook,
                        char ret_sha256[65], struct drv_errbuf *err)
{
        if (!sp || src_fd < 0 || !ext || strlen(ext) > 8 || strchr(ext, '/'))
                return drv_fail(err, DRV_E_INVALID, "bad spool import arguments");
        char tmp[32], sha[65], name[96];
        unsigned char rnd[8], h1[32], h2[32];
        crypto_hash_sha256_state st;
        uint64_t copied = 0;
        off_t off = 0;
        int rc = 0, out = -1, vfd = -1, hr = -1;
        struct stat est;
        unsigned char *buf = NULL;
        randombytes_buf(rnd, sizeof(rnd));
        snprintf(tmp, sizeof(tmp), ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        buf = malloc(SPOOL_CHUNK);
        if (!buf)
                return drv_fail(err, DRV_E_IO, "out of memory");
        out = openat(sp->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0) {
                rc = drv_fail(err, DRV_E_IO, "cannot create a spool file: %s", strerror(errno));
                goto out_free;
        }
        crypto_hash_sha256_init(&st);
        /* Bounded by expected_size: reading more than announced is a change. */
        for (;;) {
                ssize_t r = pread(src_fd, buf, SPOOL_CHUNK, off);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        rc = app_walk_errno_is_gone(e)
                                     ? drv_fail(err, DRV_E_GONE, "volume gone during copy")
                                     : drv_fail(err, DRV_E_IO, "read failed: %s", strerror(e));
                        goto out_unlink;
                }
                if (r == 0)
                        break;
                if (copied + (uint64_t)r > expected_size) {
                        rc = drv_fail(err, DRV_E_GONE, "file changed during copy");
                        goto out_unlink;
                }
                crypto_hash_sha256_update(&st, buf, (unsigned long long)r);
                if (!write_all(out, buf, (size_t)r)) {
                        rc = drv_fail(err, DRV_E_IO, "spool write failed: %s", strerror(errno));
                        goto out_unlink;
                }
                copied += (uint64_t)r;
                off += r;
                if (hook && hook->after_chunk && hook->after_chunk(hook->user, copied)) {
                        rc = drv_fail(err, DRV_E_GONE, "volume gone during copy (test hook)");
                        goto out_unlink;
                }
        }
        if (copied != expected_size) {
                rc = drv_fail(err, DRV_E_GONE, "file ended early (%llu of %llu bytes)",
                              (unsigned long long)copied, (unsigned long long)expected_size);
                goto out_unlink;
        }
        crypto_hash_sha256_final(&st, h1);
        if (fsync(out) != 0) {
                rc = drv_fail(err, DRV_E_IO, "fsync failed: %s", strerror(errno));
                goto out_unlink;
        }
        /* Read back what reached the disk: a copy is only an asset when it is
         * verified, not when the write calls said so. */
        vfd = openat(sp->dir_fd, tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        hr = vfd >= 0 ? hash_fd(vfd, buf, h2) : -1;
        if (vfd >= 0)
                close(vfd);
        if (hr != 0 || memcmp(h1, h2, 32) != 0) {
                rc = drv_fail(err, DRV_E_IO, "spool copy does not verify");
                goto out_unlink;
        }
        hex(h1, sha);
        snprintf(name, sizeof(name), "%s.%s", sha, ext);
        if (fstatat(sp->dir_fd, name, &est, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(est.st_mode) &&
            (uint64_t)est.st_size == copied) {
                unlinkat(sp->dir_fd, tmp, 0); /* same content already stored: one asset */
        } else if (renameat(sp->dir_fd, tmp, sp->dir_fd, name) != 0) {
                rc = drv_fail(err, DRV_E_IO, "rename failed: %s", strerror(errno));
                goto out_unlink;
        }
        if (fsync(sp->dir_fd) != 0) {
                rc = drv_fail(err, DRV_E_IO, "fsync of the spool failed: %s", strerror(errno));
                goto out_close;
        }
        memcpy(ret_sha256, sha, 65);
        goto out_close;
out_unlink:
        unlinkat(sp->dir_fd, tmp, 0);
out_close:
        close(out);
out_free:
        free(buf);
        return rc;
}

static bool is_hex64(const char *s)
{
        for (int i = 0; i < 64; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int app_spool_wipe(struct app_spool *sp, const char *const *keep, size_t n_keep,
                   struct drv_errbuf *err)
{
        if (!sp)
                return 0;
        int fd = openat(sp->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return drv_fail(err, DRV_E_IO, "cannot read the spool: %s", strerror(errno));
        }
        int rc = 0;
        struct dirent *e;
        /* Only names this module writes are removed: a hash, or a temp file. */
        while ((e = readdir(d))) {
                const char *n = e->d_name;
                bool ours = strncmp(n, ".tmp-", 5) == 0;
                bool kept = false;
                if (!ours && strlen(n) > 64 && n[64] == '.' && is_hex64(n)) {
                        ours = true;
                        for (size_t k = 0; k < n_keep && !kept; k++)
                                kept = keep[k] && strncmp(keep[k], n, 64) == 0;
                }
                if (ours && !kept && unlinkat(sp->dir_fd, n, 0) != 0 && errno != ENOENT)
                        rc = drv_fail(err, DRV_E_IO, "cannot delete from the spool: %s",
                                      strerror(errno));
        }
        closedir(d);
        fsync(sp->dir_fd);
        return rc;
}
