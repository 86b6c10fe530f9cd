/* See testutil.h. */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *pk_test_source_dir(void)
{
        const char *s = getenv("PK_SOURCE_DIR");
        return s && *s ? s : PK_SOURCE_DIR;
}

const char *pk_test_build_dir(void)
{
        const char *s = getenv("PK_BUILD_DIR");
        return s && *s ? s : ".";
}

char *pk_test_strdupf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

char *pk_test_mkdtemp(const char *tag)
{
        const char *tmp = getenv("TMPDIR");
        char *p = pk_test_strdupf("%s/pk-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
        if (p && !mkdtemp(p)) {
                free(p);
                return NULL;
        }
        return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb, (void)flag, (void)ftw;
        return remove(path);
}

int pk_test_rmtree(const char *path)
{
        return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *pk_test_read_file(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rbe");
        if (!f)
                return NULL;
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap + 1);
        while (buf) {
                size_t n = fread(buf + len, 1, cap - len, f);
                len += n;
                if (len < cap)
                        break;
                cap *= 2;
                char *nb = realloc(buf, cap + 1);
                if (!nb) {
                        free(buf);
                        buf = NULL;
                }
                buf = nb;
        }
        fclose(f);
        if (!buf)
                return NULL;
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        return buf;
}

int pk_test_write_file(const char *path, const void *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        const char *p = data;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        close(fd);
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return close(fd);
}
